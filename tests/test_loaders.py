"""Every loader reads its format; every kind of bad file fails with its path and a reason."""

from __future__ import annotations

import pytest

from chatbot.errors import LoaderError
from chatbot.knowledge.loaders import load_card, load_document
from tests.conftest import FEE_CARD, FEE_DOC

META = "id: doc-test\ntitle: 测试文档\nversion: '2'\neffective_date: 2024-01-01\n"
BODY_BLOCKS = [("title", "测试文档"), ("heading", "第一章 总则"), ("para", "第一条 信用卡免息期最长56天。"),
               ("para", "第二条 最低还款额为账单金额的10%。")]


def _sidecar(path):
    path.with_name(path.name + ".meta.yaml").write_text(META, encoding="utf-8")


def _texts(doc):
    return [b.text for b in doc.blocks if b.kind == "para"]


def test_markdown_with_front_matter(tmp_path):
    path = tmp_path / "fees.md"
    path.write_text(FEE_DOC.format(fee="2"), encoding="utf-8")
    doc = load_document(path)
    assert doc.meta.id == "doc-test-fees" and doc.meta.version == "1"
    assert any("他行ATM取现每笔收费2元" in t for t in _texts(doc))
    assert ("heading", "第二章 取现") in [(b.kind, b.text) for b in doc.blocks]


def test_txt_with_plain_chapter_lines(tmp_path):
    path = tmp_path / "rules.txt"
    path.write_text(f"---\n{META}---\n第一章 总则\n第一条 信用卡免息期最长56天。\n", encoding="utf-8")
    doc = load_document(path)
    assert ("heading", "第一章 总则") in [(b.kind, b.text) for b in doc.blocks]


def test_html_with_sidecar(tmp_path):
    path = tmp_path / "rules.html"
    path.write_text("<html><body><h1>测试文档</h1><h2>第一章 总则</h2><p>第一条 信用卡免息期最长56天。</p>"
                    "<script>var x = '不应出现';</script></body></html>", encoding="utf-8")
    _sidecar(path)
    doc = load_document(path)
    assert doc.meta.id == "doc-test"
    assert _texts(doc) == ["第一条 信用卡免息期最长56天。"]


def _build_docs_module():
    import importlib.util

    from tests.conftest import KNOWLEDGE

    spec = importlib.util.spec_from_file_location("build_docs", KNOWLEDGE / "build_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docx_and_pdf_built_from_our_text(tmp_path):
    build_docs = _build_docs_module()
    build_docx, build_pdf = build_docs.build_docx, build_docs.build_pdf

    for suffix, build in ((".docx", build_docx), (".pdf", build_pdf)):
        path = tmp_path / f"rules{suffix}"
        build(BODY_BLOCKS, path)
        _sidecar(path)
        doc = load_document(path)
        texts = _texts(doc)
        assert any("56天" in t for t in texts), (suffix, texts)
        assert any("10%" in t for t in texts), (suffix, texts)
        assert "第一章 总则" in [b.text for b in doc.blocks if b.kind == "heading"]


def test_yaml_card(tmp_path):
    path = tmp_path / "card-test-atm-fee.yaml"
    path.write_text(FEE_CARD.format(fee="2"), encoding="utf-8")
    card = load_card(path)
    assert card.id == "card-test-atm-fee" and len(card.similar_questions) == 3
    assert card.sources[0].article == "第二条"


# --- bad files ----------------------------------------------------------------------------------

def test_corrupt_pdf_names_file(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n this is not really a pdf \x00\x01")
    _sidecar(path)
    with pytest.raises(LoaderError) as error:
        load_document(path, display_path="docs/broken.pdf")
    assert error.value.path == "docs/broken.pdf"
    assert "PDF" in error.value.reason or "no text" in error.value.reason


def test_corrupt_docx_names_file(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 not a zip at all")
    _sidecar(path)
    with pytest.raises(LoaderError, match="DOCX"):
        load_document(path)


def test_html_without_sidecar(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<p>第一条 文本。</p>", encoding="utf-8")
    with pytest.raises(LoaderError, match="page.html.meta.yaml"):
        load_document(path)


def test_markdown_without_front_matter(tmp_path):
    path = tmp_path / "plain.md"
    path.write_text("# 标题\n第一条 文本。\n", encoding="utf-8")
    with pytest.raises(LoaderError, match="front matter"):
        load_document(path)


def test_markdown_with_bad_metadata(tmp_path):
    path = tmp_path / "bad.md"
    path.write_text("---\nid: doc-x\ntitle: 标题\neffective_date: 明天\n---\n第一条 文本。\n", encoding="utf-8")
    with pytest.raises(LoaderError, match="effective_date"):
        load_document(path)


def test_empty_document(tmp_path):
    path = tmp_path / "empty.md"
    path.write_text(f"---\n{META}---\n# 只有标题\n", encoding="utf-8")
    with pytest.raises(LoaderError, match="no text"):
        load_document(path)


def test_card_yaml_typo_reports_line(tmp_path):
    path = tmp_path / "card-test-atm-fee.yaml"
    broken = FEE_CARD.format(fee="2").replace("similar_questions:\n", "similar_questions: [\n")
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(LoaderError) as error:
        load_card(path, display_path="cards/card-test-atm-fee.yaml")
    assert error.value.path == "cards/card-test-atm-fee.yaml"
    assert "YAML syntax error (line" in error.value.reason


def test_card_unknown_key_reports_key_and_line(tmp_path):
    path = tmp_path / "card-test-atm-fee.yaml"
    path.write_text(FEE_CARD.format(fee="2").replace("risk_tier: low", "risk_tier: low\nanswr: 多余"), encoding="utf-8")
    with pytest.raises(LoaderError) as error:
        load_card(path)
    assert "answr" in error.value.reason and "unknown key" in error.value.reason
    line = FEE_CARD.count("\n", 0, FEE_CARD.index("risk_tier")) + 2
    assert f"line {line}" in error.value.reason


def test_card_missing_field(tmp_path):
    path = tmp_path / "card-test-atm-fee.yaml"
    text = "\n".join(l for l in FEE_CARD.format(fee="2").splitlines() if not l.startswith("topic:"))
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoaderError, match="topic"):
        load_card(path)


def test_card_with_too_few_similar_questions(tmp_path):
    path = tmp_path / "card-test-atm-fee.yaml"
    path.write_text(FEE_CARD.format(fee="2").replace("  - 跨行ATM手续费\n", ""), encoding="utf-8")
    with pytest.raises(LoaderError, match="similar_questions"):
        load_card(path)


def test_card_file_name_must_match_id(tmp_path):
    path = tmp_path / "other-name.yaml"
    path.write_text(FEE_CARD.format(fee="2"), encoding="utf-8")
    with pytest.raises(LoaderError, match="file name"):
        load_card(path)
