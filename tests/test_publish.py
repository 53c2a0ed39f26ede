"""Re-ingest publishes atomically; superseded versions stay for audits; stale content is proven gone;
the evaluation gate holds back a worse index unless a manager overrides it; kill -9 loses nothing."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from chatbot.index.generations import numbered_generation, publish_log, read_current, read_staged
from chatbot.publishing.pipeline import publish_staged, run_ingest
from chatbot.publishing.report import Override
from chatbot.services import build_assistant
from tests.conftest import ROOT, make_settings, write_bulk_docs, write_small_kb


def _ask(settings, embeddings, question, as_of=None):
    assistant = build_assistant(settings, embeddings=embeddings, auto_ingest=False)
    return assistant.ask(question, as_of=as_of)


def _bump(root: Path, fee: str, version: int, effective: str) -> None:
    """Edit the figure in the card and the document, as a new version taking effect on `effective`."""
    write_small_kb(root, fee=fee)
    card = root / "cards" / "card-test-atm-fee.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("effective_date: 2024-01-01",
                                                             f"effective_date: {effective}\nversion: {version}"),
                    encoding="utf-8")
    doc = root / "docs" / "fees.md"
    doc.write_text(doc.read_text(encoding="utf-8").replace('version: "1"\neffective_date: 2024-01-01',
                                                           f'version: "{version}"\neffective_date: {effective}'),
                   encoding="utf-8")


def test_changed_figure_old_gone_new_answered_and_old_kept_for_audit(tmp_path, small_kb, embeddings):
    settings = make_settings(tmp_path / "data", small_kb)
    run_ingest(settings, embeddings, show_bar=False)
    assert "2元" in _ask(settings, embeddings, "跨行取钱要收费吗").text

    _bump(small_kb, fee="4", version=2, effective="2026-01-01")
    report = run_ingest(settings, embeddings, show_bar=False)
    assert report.published and report.generation == 2 and read_current(settings).number == 2
    # The probe asked the changed card's questions against the new index before publishing.
    card_probe = next(p for p in report.probe if p.item_id == "card-test-atm-fee")
    assert card_probe.new_answered and card_probe.old_gone and card_probe.checked == 4
    assert any("2元" in statement for statement in card_probe.removed)
    doc_probe = next(p for p in report.probe if p.item_id == "doc-test-fees")
    assert doc_probe.old_gone and doc_probe.new_answered
    assert {(a.id, a.version) for a in report.archived} == {("card-test-atm-fee", "1"), ("doc-test-fees", "1")}

    today = _ask(settings, embeddings, "他行取款机取钱收费吗")
    assert "4元" in today.text and "2元" not in today.text
    assert all("2元" not in c.snippet for c in today.citations)
    # An audit as of a date before the new version took effect gets the version then in force.
    audit = _ask(settings, embeddings, "他行取款机取钱收费吗", as_of=dt.date(2025, 6, 1))
    assert "2元" in audit.text and "4元" not in audit.text


def test_questions_a_superseded_version_did_not_answer_do_not_weigh_on_the_served_one(tmp_path, small_kb, embeddings):
    """Every indexed version of a card is loaded (audits ask as of a date): the questions its old version listed as
    not answered must not hold against the version in force, which may answer them."""
    from chatbot.text import normalize

    card = small_kb / "cards" / "card-test-atm-fee.yaml"
    listed = card.read_text(encoding="utf-8").replace("answer:", "not_answered:\n  - 在ATM存钱收手续费吗？\nanswer:")
    card.write_text(listed, encoding="utf-8")
    settings = make_settings(tmp_path / "data", small_kb)
    run_ingest(settings, embeddings, show_bar=False)
    question = normalize("在ATM存钱收手续费吗？")

    def not_answered_score(as_of=None):
        retriever = build_assistant(settings, embeddings=embeddings, auto_ingest=False).retriever
        return next(c for c in retriever.retrieve(question, as_of=as_of)
                    if c.source_id == "card-test-atm-fee").not_answered_score

    assert not_answered_score() > 0.9
    _bump(small_kb, fee="4", version=2, effective="2026-01-01")  # the new version lists none
    assert run_ingest(settings, embeddings, show_bar=False).published
    assert not_answered_score() == 0.0
    assert not_answered_score(as_of=dt.date(2025, 6, 1)) > 0.9  # the old version, as of a date it was in force


def test_probe_blocks_a_card_edit_that_leaves_the_old_figure_in_a_document(tmp_path, small_kb, embeddings):
    settings = make_settings(tmp_path / "data", small_kb)
    run_ingest(settings, embeddings, show_bar=False)
    card = small_kb / "cards" / "card-test-atm-fee.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("每笔收费2元", "每笔收费4元"), encoding="utf-8")

    report = run_ingest(settings, embeddings, show_bar=False)
    assert not report.published and read_current(settings).number == 1
    assert "旧内容仍可被检索到" in report.blocked[0]
    probe = report.probe[0]
    assert not probe.old_gone and "docs/fees.md" in probe.detail
    assert "2元" in _ask(settings, embeddings, "跨行取钱要收费吗").text  # still serving the consistent index
    assert read_staged(settings).number == 2

    staged = publish_staged(settings, Override(by="km1", reason="文件更新中，先发布卡片"))
    assert staged.number == 2 and read_current(settings).number == 2 and read_staged(settings) is None
    assert "4元" in _ask(settings, embeddings, "跨行取钱要收费吗").text
    entry = publish_log(settings)[-1]
    assert entry["override"] and entry["override_by"] == "km1" and "先发布卡片" in entry["override_reason"]


def test_gate_blocks_a_drop_in_accuracy_until_a_manager_overrides(tmp_path, small_kb, embeddings):
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(case, ensure_ascii=False) for case in [
        {"id": "fee", "question": "跨行取钱要收费吗", "expect": {"outcome": "answered", "facts": [["2元"]]}},
        {"id": "fee2", "question": "他行ATM取现收费多少", "expect": {"outcome": "answered", "facts": [["2元"]]}},
    ]) + "\n", encoding="utf-8")
    settings = make_settings(tmp_path / "data", small_kb, eval_gate_cases=cases, eval_gate_margin=0.1)
    run_ingest(settings, embeddings, show_bar=False)
    _bump(small_kb, fee="4", version=2, effective="2026-01-01")

    blocked = run_ingest(settings, embeddings, show_bar=False)
    assert not blocked.published
    assert blocked.evaluation.previous["facts"] == 1.0 and blocked.evaluation.current["facts"] == 0.0
    assert "事实准确率从 1.000 降至 0.000" in blocked.blocked[0]
    assert "2元" in _ask(settings, embeddings, "跨行取钱要收费吗").text
    assert publish_log(settings)[-1]["event"] == "blocked"

    forced = run_ingest(settings, embeddings, show_bar=False, override=Override(by="admin", reason="费率调整已审批"),
                        user="admin")
    assert forced.published and forced.override == Override(by="admin", reason="费率调整已审批")
    assert "4元" in _ask(settings, embeddings, "跨行取钱要收费吗").text
    assert publish_log(settings)[-1]["override_reason"] == "费率调整已审批"


def test_unchanged_reingest_builds_no_generation_and_a_live_retriever_follows_publishes(tmp_path, small_kb,
                                                                                        embeddings):
    settings = make_settings(tmp_path / "data", small_kb)
    run_ingest(settings, embeddings, show_bar=False)
    assistant = build_assistant(settings, embeddings=embeddings, auto_ingest=False)
    again = run_ingest(settings, embeddings, show_bar=False)
    assert again.generation is None and read_current(settings).number == 1
    loaded = assistant.retriever._units
    time.sleep(1.1)
    assistant.retriever.refresh()
    assert assistant.retriever._units is loaded  # nothing published: nothing reloaded

    write_small_kb(small_kb, fee="5")
    run_ingest(settings, embeddings, show_bar=False)
    time.sleep(1.1)  # the retriever checks the published pointer at most once a second
    assert "5元" in assistant.ask("跨行取钱要收费吗").text


def test_kill_9_mid_ingest_leaves_the_served_index_answering(tmp_path, small_kb, embeddings):
    settings = make_settings(tmp_path / "data", small_kb)
    run_ingest(settings, embeddings, show_bar=False)
    bulk = write_bulk_docs(small_kb / "docs" / "bulk", 150)
    write_small_kb(small_kb, fee="4")
    env = dict(os.environ, CHATBOT_DATA_DIR=str(settings.data_dir), CHATBOT_KNOWLEDGE_DIR=str(small_kb),
               CHATBOT_EVAL_GATE_CASES="")
    process = subprocess.Popen([sys.executable, "ingest.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    staging = numbered_generation(settings, 2).manifest(settings)
    deadline = time.monotonic() + 120
    while not staging.sources() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)  # until the first files are written into the new generation
    time.sleep(2)  # well into writing the new generation
    assert process.poll() is None, process.stderr.read().decode()
    os.kill(process.pid, signal.SIGKILL)
    process.wait()

    assert read_current(settings).number == 1
    answer = _ask(settings, embeddings, "跨行取钱要收费吗")
    assert answer.outcome == "answered" and "2元" in answer.text

    # The next ingest discards the half-built generation and publishes a complete one.
    import shutil
    shutil.rmtree(bulk)
    report = run_ingest(settings, embeddings, show_bar=False)
    assert report.published and read_current(settings).number == 2
    assert "4元" in _ask(settings, embeddings, "跨行取钱要收费吗").text


def test_an_index_from_before_the_state_moved_into_sql_keeps_serving(tmp_path, small_kb, embeddings):
    # Before: data/index/current.json named the served generation, data/index/g00001.sqlite held its
    # manifest and record manager. The upgrade imports them instead of re-indexing from nothing.
    import shutil
    import sqlite3

    built = make_settings(tmp_path / "built", small_kb)
    run_ingest(built, embeddings, show_bar=False)
    old = tmp_path / "data"  # the installation being upgraded: the Chroma store and the old state files
    shutil.copytree(built.chroma_dir, old / "chroma")
    (old / "index").mkdir()
    old_state = sqlite3.connect(old / "index" / "g00001.sqlite")
    old_state.execute("ATTACH DATABASE ? AS db", (str(built.data_dir / "xiaobao.sqlite"),))
    old_state.execute("CREATE TABLE files AS SELECT source, digest, pipeline, ids FROM db.index_manifest")
    old_state.execute("CREATE TABLE archive AS SELECT source, item_id, version, ids, in_force_until, archived_at "
                      "FROM db.index_archive")
    old_state.execute("CREATE TABLE upsertion_record AS SELECT * FROM db.upsertion_record")
    old_state.commit()
    old_state.close()
    (old / "index" / "current.json").write_text(json.dumps(
        {"number": 1, "collection": "xiaobao-g00001", "state": "index/g00001.sqlite"}), encoding="utf-8")
    (old / "index" / "publish.log").write_text(
        json.dumps({"time": "2026-01-01T00:00:00+00:00", "event": "published", "generation": 1}) + "\n")

    upgraded = make_settings(old, small_kb)
    assert read_current(upgraded).number == 1 and publish_log(upgraded)[0]["generation"] == 1
    assert "2元" in _ask(upgraded, embeddings, "跨行取钱要收费吗").text
    assert run_ingest(upgraded, embeddings, show_bar=False).generation is None  # the manifest came along
    write_small_kb(small_kb, fee="4")
    changed = run_ingest(upgraded, embeddings, show_bar=False).summary()
    assert (changed["updated"], changed["added"]) == (2, 0) and changed["chunks"]["deleted"] > 0  # the records too
    assert "4元" in _ask(upgraded, embeddings, "跨行取钱要收费吗").text
