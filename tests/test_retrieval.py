"""Hybrid retrieval returns typed, scored candidates; both retrievers contribute."""

from __future__ import annotations

import datetime as dt

from chatbot.retrieval.lexical import LexicalIndex, TokenRows
from chatbot.retrieval.units import Positions, UnitTable
from chatbot.schema import Card
from chatbot.text import normalize, tokenize


def test_typed_results_with_scores(demo_assistant):
    candidates = demo_assistant.retriever.retrieve(normalize("III类户余额上限是多少"))
    top = candidates[0]
    assert top.source_id == "card-account-class-iii"
    assert top.unit == "card" and top.best.title
    assert 0 < top.dense_score <= 1 and top.lexical_score > 0
    assert top.dense_rank is not None and top.lexical_rank is not None
    assert all(a.fused_score >= b.fused_score for a, b in zip(candidates, candidates[1:]))


def test_cards_match_on_similar_questions(demo_assistant):
    top = demo_assistant.retriever.retrieve(normalize("卡被ATM吞了咋办"))[0]
    assert top.source_id.startswith("card-card-atm")


def test_questions_a_card_does_not_answer_only_say_how_close_a_question_came(demo_assistant):
    """They are indexed for meaning only: never a candidate's best unit, no score of its own, no words."""
    from chatbot.knowledge.documents import is_not_answered

    retriever = demo_assistant.retriever
    candidates = retriever.retrieve(normalize("在ATM存钱收手续费吗？"))
    card = next(c for c in candidates if c.source_id == "card-fees-atm-withdrawal")
    assert card.not_answered_score > card.dense_score + 0.02
    assert not any(is_not_answered(u.metadata) for c in candidates for u in c.units)
    stored = retriever.collection.get(include=["metadatas"])
    listed = {key for key, meta in zip(stored["ids"], stored["metadatas"]) if is_not_answered(meta)}
    assert listed and not listed & set(retriever._lexical.keys)  # no row of the lexical index, so no words
    asked = retriever.retrieve(normalize("信用卡免息期多长"))
    assert asked[0].not_answered_score < asked[0].dense_score  # a card's own question is not one it refuses
    assert all(c.not_answered_score == 0.0 for c in asked if c.unit == "doc")


def test_document_chunks_carry_provenance(demo_assistant):
    docs = [c for c in demo_assistant.retriever.retrieve(normalize("双录是什么")) if c.unit == "doc"]
    assert docs
    chunk = docs[0].best
    assert chunk.source_id.startswith("doc-") and chunk.article.startswith("第") and chunk.source


def test_content_not_yet_in_force_is_not_retrieved(demo_assistant):
    candidates = demo_assistant.retriever.retrieve(normalize("信用卡免息期"), as_of=dt.date(2000, 1, 1))
    assert candidates == []


def test_bigram_and_jieba_tokenizers():
    assert "免息" in tokenize("信用卡的免息期有多長", "bigram")
    assert "免息期" in tokenize("信用卡的免息期有多長", "jieba")
    assert tokenize("ＡＴＭ取現", "bigram")[0] == "atm"


def test_lexical_index_ranks_by_bm25():
    index = LexicalIndex.from_tokens(["a", "b"], [tokenize("信用卡免息期最长56天"), tokenize("征信报告每年免费查询2次")])
    assert index.document_frequency(len(index.vocabulary))[index.vocabulary["免息"]] == 1
    assert index.search(tokenize("免息期多长"), 2)[0][0] == "a"
    assert index.search(tokenize("完全无关"), 2) == []


def test_lexical_index_reads_token_rows_and_knows_which_units_hold_a_token():
    rows = TokenRows()
    corpus = [tokenize("信用卡免息期最长56天"), [], tokenize("征信报告每年免费查询2次"), tokenize("信用卡年费")]
    vocabulary: dict[str, int] = {}
    for tokens in corpus:
        rows.append([vocabulary.setdefault(t, len(vocabulary)) for t in tokens])
    assert len(rows) == 4 and rows[1] == [] and rows[-1] == [vocabulary[t] for t in corpus[3]]
    index = LexicalIndex(["a", "empty", "b", "c"], rows, vocabulary)
    from_lists = LexicalIndex.from_tokens(["a", "empty", "b", "c"], corpus)
    query = tokenize("信用卡免息期和征信")
    assert index.search(query, 4) == from_lists.search(query, 4)
    ids = [vocabulary.get(t, -1) for t in query] + [-1]
    groups = [[0], [1], [2], [3], [0, 2], [1, 3], [0, 1, 2, 3], []]
    for units in groups:
        expected = [any(t in corpus[u] for u in units) for t in query] + [False]
        assert index.contains(ids, units).tolist() == expected
    # All groups at once (what retrieval asks per question) agrees with one group at a time.
    assert index.contains_many(ids, groups).tolist() == [index.contains(ids, g).tolist() for g in groups]


def test_unit_table_returns_the_stored_metadata_and_keeps_each_string_once():
    table = UnitTable()
    card = '{"id": "card-x", "answer": "很长的标准答案"}'
    first = table.add("k1", "问题一", {"unit": "card", "card": card, "flag": True, "rank": 1})
    # Chroma hands every unit a fresh copy of each string, with keys in any order.
    second = table.add("k2", "问题二", {"rank": 1.0, "flag": 1, "card": "".join(card), "unit": "card"})
    table.finish()
    assert table.position("k2") == second and table.position("missing") is None
    assert table.text(first) == "问题一"
    assert table.metadata(first) == {"unit": "card", "card": card, "flag": True, "rank": 1}
    assert type(table.metadata(first)["flag"]) is bool and type(table.metadata(second)["flag"]) is int
    assert type(table.metadata(second)["rank"]) is float
    assert table.metadata(first)["card"] is table.metadata(second)["card"]
    table.metadata(first)["unit"] = "changed"  # a caller's copy, not the table's row
    assert table.metadata(first)["unit"] == "card"


def test_positions_keep_load_order():
    positions = Positions()
    for key, position in [("a", 0), ("b", 1), ("a", 2), ("a", 5)]:
        positions.add(key, position)
    assert positions.get("a") == [0, 2, 5] and positions.get("b") == [1] and positions.get("c") == []


def test_candidates_carry_the_metadata_and_articles_the_text_the_store_holds(demo_assistant):
    retriever = demo_assistant.retriever
    candidates = retriever.retrieve(normalize("信用卡被盗刷了怎么办")) + retriever.retrieve(normalize("双录是什么"))
    assert {c.unit for c in candidates} == {"card", "doc"}
    for candidate in candidates:
        chunk = candidate.best
        stored = retriever.collection.get(ids=[chunk.key], include=["metadatas", "documents"])
        expected = dict(stored["metadatas"][0])
        expected.pop("lex")
        if chunk.unit == "doc":
            assert chunk.text == expected.pop("body")
        else:
            assert chunk.text == stored["documents"][0]
        assert chunk.metadata == expected
        if chunk.unit == "card":
            assert retriever.card(chunk.source_id) == Card.model_validate_json(expected["card"])
            assert candidate.card is retriever.card(chunk.source_id)  # parsed once, when loaded
        elif chunk.article:
            title, source, text = retriever.article(chunk.source_id, chunk.article)
            same = retriever.collection.get(where={"$and": [{"source_id": chunk.source_id},
                                                            {"article": chunk.article}]}, include=["metadatas"])
            bodies = [m["body"] for m in same["metadatas"]]
            assert (title, source) == (chunk.title, chunk.source)
            assert chunk.text in text and len(text) == sum(map(len, bodies))


BLAS_THREADS = """
import json, sys
from threadpoolctl import threadpool_info
from chatbot.config import Settings
from chatbot.retrieval.retriever import HybridRetriever
blas = lambda: [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
before = blas()
HybridRetriever(Settings(_env_file=None, data_dir=sys.argv[1]), embeddings=None)
print(json.dumps([before, blas()]))
"""


def test_the_dense_product_runs_on_one_blas_thread(tmp_path):
    # A multi-threaded BLAS product spins against the embedding engine's OpenMP threads: at 10k units
    # Assistant.ask went from 28 to 61 ms (p50, bench/scale.py). Requests run in parallel instead.
    # Checked in a fresh process, before and after a retriever exists: the limit must come from it.
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}  # no limit from outside
    result = subprocess.run([sys.executable, "-c", BLAS_THREADS, str(tmp_path / "data")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    before, after = json.loads(result.stdout)
    # Preconditions: numpy's BLAS is visible to threadpoolctl, and on more than one core it would use
    # several threads (else the limit changes nothing and this test shows nothing).
    assert before, "no BLAS thread pool found: the test would check nothing"
    if len(os.sched_getaffinity(0)) > 1:
        assert max(before) > 1, before
    assert after == [1] * len(before)


def test_dense_search_finds_the_exact_nearest_units(demo_assistant):
    # Chroma's HNSW index is approximate, and in chromadb 1.5.9 which near neighbours it misses
    # varies from process to process (chroma-core/chroma#7758): the same question could get another
    # answer from another worker. The dense side must return the true nearest units, every time.
    import json

    import numpy as np

    from tests.conftest import ROOT

    retriever = demo_assistant.retriever
    from chatbot.knowledge.documents import is_not_answered

    stored = retriever.collection.get(include=["embeddings", "metadatas"])
    ranked = [n for n, meta in enumerate(stored["metadatas"]) if not is_not_answered(meta)]  # never ranked
    keys = np.array(stored["ids"])[ranked]
    vectors = np.asarray(stored["embeddings"], dtype=np.float64)[ranked]
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    questions = [json.loads(line)["question"] for line in (ROOT / "eval/cases/dev.jsonl").open(encoding="utf-8")]
    for question in questions:
        query = np.asarray(retriever.embeddings.embed_query(question), dtype=np.float64)
        scores = vectors @ (query / np.linalg.norm(query))
        thirtieth = np.sort(scores)[-30]
        found = [key for key, _ in retriever._dense(question, 30)]
        # every unit clearly inside the true top 30 is found (ties at the edge may go either way)
        assert set(keys[scores > thirtieth + 1e-5]) <= set(found), question
        assert found[0] == keys[np.argmax(scores)], question


def test_hnsw_mode_keeps_no_vectors_and_reranks_chroma_candidates_exactly(demo_data_dir, demo_assistant, embeddings):
    # dense_search=hnsw is for indexes too large for every replica to hold every vector: the replica
    # loads none, asks Chroma's HNSW index for candidates and orders them by exact cosine.
    import json

    from chatbot.retrieval.retriever import HybridRetriever
    from tests.conftest import ROOT, make_settings

    hnsw = HybridRetriever(make_settings(demo_data_dir, dense_search="hnsw", dense_candidates=100), embeddings)
    assert hnsw._vectors.size == 0 and hnsw.size == demo_assistant.retriever.size
    questions = [json.loads(line)["question"] for line in (ROOT / "eval/cases/dev.jsonl").open(encoding="utf-8")]
    agree = 0
    for question in questions[:60]:
        exact = demo_assistant.retriever._dense(question, 10)
        approximate = hnsw._dense(question, 10)
        assert [score for _, score in approximate] == sorted((score for _, score in approximate), reverse=True)
        assert approximate[0][0] == exact[0][0], question
        agree += [key for key, _ in approximate] == [key for key, _ in exact]
    assert agree >= 57  # the pool of 100 holds the true top 10 (ties at the edge may differ)
