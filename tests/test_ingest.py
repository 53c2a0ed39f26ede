"""Incremental ingest: counts and retrieval follow adds, changes and deletes; bad files lose nothing."""

from __future__ import annotations

import pytest

from chatbot.errors import EmbeddingMismatchError, IngestBusyError
from chatbot.index.locks import ingest_lock
from chatbot.publishing.pipeline import run_ingest
from chatbot.services import build_assistant
from tests.conftest import make_settings, write_small_kb


def _ask(settings, embeddings, question):
    assistant = build_assistant(settings, embeddings=embeddings, auto_ingest=False)
    return assistant.ask(question)


def _all_text(settings, embeddings) -> str:
    from chatbot.retrieval.retriever import HybridRetriever

    retriever = HybridRetriever(settings, embeddings)
    retriever.refresh(force=True)
    units = retriever._units
    return "\n".join(units.text(p) + units.metadata(p).get("card", "") for p in range(len(units))
                     if not units.metadata(p).get("superseded"))


def test_add_change_delete(tmp_path, small_kb, embeddings):
    settings = make_settings(tmp_path / "data", small_kb)

    first = run_ingest(settings, embeddings, show_bar=False).summary()
    assert (first["added"], first["updated"], first["deleted"], first["skipped"]) == (2, 0, 0, 0)
    assert first["chunks"]["added"] > 0
    assert "2元" in _ask(settings, embeddings, "跨行取钱要收费吗").text

    again = run_ingest(settings, embeddings, show_bar=False).summary()
    assert (again["added"], again["updated"], again["deleted"], again["skipped"]) == (0, 0, 0, 2)

    write_small_kb(small_kb, fee="4")  # the fee changes in the document and in the card
    changed = run_ingest(settings, embeddings, show_bar=False).summary()
    assert (changed["added"], changed["updated"], changed["deleted"], changed["skipped"]) == (0, 2, 0, 0)
    assert changed["chunks"]["deleted"] > 0
    answer = _ask(settings, embeddings, "跨行取钱要收费吗")
    assert "4元" in answer.text and "2元" not in answer.text
    stored = _all_text(settings, embeddings)
    assert "每笔收费4元" in stored and "每笔收费2元" not in stored  # the old figure is gone from the index

    (small_kb / "cards" / "card-test-atm-fee.yaml").unlink()
    deleted = run_ingest(settings, embeddings, show_bar=False).summary()
    assert (deleted["deleted"], deleted["skipped"]) == (1, 1)
    assert "card-test-atm-fee" not in _all_text(settings, embeddings)


def test_bad_file_is_reported_and_the_rest_indexed(tmp_path, small_kb, embeddings):
    settings = make_settings(tmp_path / "data", small_kb)
    (small_kb / "docs" / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (small_kb / "docs" / "broken.pdf.meta.yaml").write_text(
        "id: doc-broken\ntitle: 坏文件\neffective_date: 2024-01-01\n", encoding="utf-8")
    summary = run_ingest(settings, embeddings, show_bar=False).summary()
    assert summary["added"] == 2
    assert [e["path"] for e in summary["errors"]] == ["docs/broken.pdf"]
    assert "2元" in _ask(settings, embeddings, "跨行取钱要收费吗").text


def test_a_typo_in_a_changed_card_keeps_the_served_answer(tmp_path, small_kb, embeddings):
    settings = make_settings(tmp_path / "data", small_kb)
    run_ingest(settings, embeddings, show_bar=False)
    card = small_kb / "cards" / "card-test-atm-fee.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("risk_tier: low", "risk_teir: low"), encoding="utf-8")
    summary = run_ingest(settings, embeddings, show_bar=False).summary()
    assert summary["errors"][0]["path"] == "cards/card-test-atm-fee.yaml"
    assert "risk_teir" in summary["errors"][0]["error"]
    answer = _ask(settings, embeddings, "在别的银行ATM取钱要手续费吗？")
    assert answer.outcome == "answered" and answer.matched_id == "card-test-atm-fee"
    # Fixed back to the indexed bytes: nothing to do, and no error any more.
    card.write_text(card.read_text(encoding="utf-8").replace("risk_teir", "risk_tier"), encoding="utf-8")
    fixed = run_ingest(settings, embeddings, show_bar=False).summary()
    assert (fixed["skipped"], fixed["errors"]) == (2, [])


def test_card_citing_an_unknown_document_fails(tmp_path, small_kb, embeddings):
    settings = make_settings(tmp_path / "data", small_kb)
    card = small_kb / "cards" / "card-test-atm-fee.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("doc: doc-test-fees", "doc: doc-missing"), encoding="utf-8")
    summary = run_ingest(settings, embeddings, show_bar=False).summary()
    assert "doc-missing" in summary["errors"][0]["error"]


def test_rebuild_reindexes_everything(tmp_path, small_kb, embeddings):
    settings = make_settings(tmp_path / "data", small_kb)
    run_ingest(settings, embeddings, show_bar=False)
    summary = run_ingest(settings, embeddings, rebuild=True, show_bar=False).summary()
    assert (summary["added"], summary["skipped"]) == (2, 0)


def test_second_ingest_at_once_is_refused(tmp_path, small_kb, embeddings):
    settings = make_settings(tmp_path / "data", small_kb)
    with ingest_lock(settings):
        with pytest.raises(IngestBusyError, match="正在进行"):
            run_ingest(settings, embeddings, show_bar=False)


def test_store_built_with_another_model_is_refused(tmp_path, small_kb, embeddings):
    settings = make_settings(tmp_path / "data", small_kb)
    run_ingest(settings, embeddings, show_bar=False)

    class OtherModel:
        model_id = "st:other/model"

        def embed_query(self, text):
            return [0.0] * 384

    with pytest.raises(EmbeddingMismatchError, match="--rebuild"):
        build_assistant(settings, embeddings=OtherModel(), auto_ingest=False)


def test_progress_is_reported_per_phase(tmp_path, small_kb, embeddings):
    settings = make_settings(tmp_path / "data", small_kb)
    seen = []
    run_ingest(settings, embeddings, show_bar=False, progress=lambda done, total, text: seen.append((done, total, text)))
    assert [(done, total) for done, total, text in seen if text.startswith("校验")] == [(1, 2), (2, 2)]
    written = [(done, total) for done, total, text in seen if text.startswith("写入索引")]
    assert written and written[-1][0] == written[-1][1] > 0
    assert seen[-1][2].startswith("已发布")


def test_first_question_on_an_empty_index_ingests_first(tmp_path, small_kb, embeddings):
    settings = make_settings(tmp_path / "data", small_kb)
    assistant = build_assistant(settings, embeddings=embeddings)
    assert "2元" in assistant.ask("跨行取钱要收费吗").text


def test_first_run_log_shows_each_phase_of_a_long_ingest(caplog):
    from chatbot.services import ProgressLog

    log = ProgressLog()
    with caplog.at_level("INFO", logger="chatbot.services"):
        for done in range(1, 11):
            log(done, 10, f"校验 docs/{done}.md")
        for done in range(256, 1025, 256):
            log(done, 1024, "写入索引 cards/x.yaml")
    lines = [r.getMessage() for r in caplog.records]
    assert [line for line in lines if "写入索引" in line] == [
        f"ingest progress {p}% ({d}/1024) 写入索引 cards/x.yaml" for p, d in [(25, 256), (50, 512), (75, 768), (100, 1024)]]
    assert sum("校验" in line for line in lines) == 10

