"""Hybrid retrieval returns typed, scored candidates; both retrievers contribute."""

from __future__ import annotations

import datetime as dt

from chatbot.lexical import LexicalIndex, tokenize


def test_typed_results_with_scores(demo_assistant):
    candidates = demo_assistant.retriever.retrieve("III类户余额上限是多少")
    top = candidates[0]
    assert top.source_id == "card-account-class-iii"
    assert top.unit == "card" and top.best.title
    assert 0 < top.dense_score <= 1 and top.lexical_score > 0
    assert top.dense_rank is not None and top.lexical_rank is not None
    assert all(a.fused_score >= b.fused_score for a, b in zip(candidates, candidates[1:]))


def test_cards_match_on_similar_questions(demo_assistant):
    top = demo_assistant.retriever.retrieve("卡被ATM吞了咋办")[0]
    assert top.source_id.startswith("card-card-atm")


def test_document_chunks_carry_provenance(demo_assistant):
    docs = [c for c in demo_assistant.retriever.retrieve("双录是什么") if c.unit == "doc"]
    assert docs
    chunk = docs[0].best
    assert chunk.source_id.startswith("doc-") and chunk.article.startswith("第") and chunk.source


def test_content_not_yet_in_force_is_not_retrieved(demo_assistant):
    candidates = demo_assistant.retriever.retrieve("信用卡免息期", as_of=dt.date(2000, 1, 1))
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
