from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

from chatbot.knowledge.loaders import Block, LoadedDoc
from chatbot.knowledge.splitter import count_tokens, split_document, split_sentences
from chatbot.schema import DocMeta
from tests.conftest import ROOT


def _doc(blocks):
    meta = DocMeta(id="doc-t", title="测试规则", effective_date=dt.date(2024, 1, 1))
    return LoadedDoc(meta=meta, blocks=[Block(k, t) for k, t in blocks], path="docs/t.md")


def test_one_chunk_per_article_with_chapter_context():
    doc = _doc([("title", "测试规则"), ("heading", "第一章 总则"), ("para", "第一条 甲。"),
                ("heading", "第二章 收费"), ("para", "第二条 乙。"), ("para", "续写的第二段。"), ("para", "第三条 丙。")])
    chunks = split_document(doc)
    assert [c.article for c in chunks] == ["第一条", "第二条", "第三条"]
    assert chunks[1].text == "第二条 乙。续写的第二段。"
    assert chunks[1].chapter == "第二章 收费"
    assert chunks[1].context == "测试规则 · 第二章 收费"
    assert [c.chunk_id for c in chunks] == ["doc-t:第一条", "doc-t:第二条", "doc-t:第三条"]


def test_long_article_is_cut_on_sentences_within_the_token_budget():
    sentence = "客户办理业务时应当携带本人有效身份证件并配合完成身份核验。"
    doc = _doc([("para", "第一条 " + sentence * 30)])
    chunks = split_document(doc, chunk_tokens=120)
    assert len(chunks) > 1
    assert all(count_tokens(c.text) <= 120 for c in chunks)
    assert all(c.text.endswith("。") for c in chunks)
    assert [c.chunk_id for c in chunks][:2] == ["doc-t:第一条-1", "doc-t:第一条-2"]
    assert "".join(c.text for c in chunks) == "第一条 " + sentence * 30


def test_sentence_longer_than_budget_is_cut_without_breaking_characters():
    doc = _doc([("para", "第一条 " + "银行" * 400)])
    chunks = split_document(doc, chunk_tokens=50)
    assert all(count_tokens(c.text) <= 50 for c in chunks)
    assert "".join(c.text for c in chunks) == "第一条 " + "银行" * 400
    assert "\ufffd" not in "".join(c.text for c in chunks)


CHUNK_IDS = """
import datetime as dt, json
from chatbot.knowledge.loaders import Block, LoadedDoc
from chatbot.knowledge.splitter import split_document
from chatbot.schema import DocMeta
from tests.conftest import ROOT
meta = DocMeta(id="doc-t", title="测试规则", effective_date=dt.date(2024, 1, 1))
blocks = [Block(k, t) for k, t in json.loads(input())]
print(json.dumps([c.chunk_id for c in split_document(LoadedDoc(meta, blocks, "docs/t.md"), chunk_tokens=40)]))
"""


def test_chunk_ids_are_stable_across_runs():
    # Ids decide what a re-ingest replaces: two processes (with different string hashing) must agree.
    blocks = [("heading", "第一章"), ("para", "第一条 甲。"), ("para", "第二条 " + "乙。" * 60), ("para", "说明。")]
    expected = [c.chunk_id for c in split_document(_doc(blocks), chunk_tokens=40)]
    assert expected[:2] == ["doc-t:第一条", "doc-t:第二条-1"] and expected[-1] == "doc-t:第二条-5"
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run([sys.executable, "-c", CHUNK_IDS], input=json.dumps(blocks), cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == expected


def test_text_outside_articles_is_kept_by_heading():
    doc = _doc([("heading", "前言"), ("para", "这是说明。"), ("para", "还有一句。")])
    chunks = split_document(doc)
    assert len(chunks) == 1 and chunks[0].article == "" and chunks[0].chunk_id == "doc-t:p1"


def test_sentence_split_keeps_chinese_punctuation():
    assert split_sentences("甲。乙！丙？丁；戊") == ["甲。", "乙！", "丙？", "丁；", "戊"]
