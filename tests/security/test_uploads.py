"""Findings 1–3 and the staff files: what may be uploaded, read and parsed, and by whom."""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import pytest

from tests.security.conftest import gradio_call

PASSWD = Path("/etc/passwd")


def _gradio_cache() -> Path:
    import gradio.utils

    return Path(gradio.utils.get_upload_folder())


def _cached_copies_of(data: bytes) -> list[Path]:
    cache = _gradio_cache()
    return [p for p in cache.rglob("*") if p.is_file() and p.stat().st_size == len(data) and p.read_bytes() == data] \
        if cache.exists() else []


# --- 1. the console's upload reads only what was uploaded ---------------------------------------------

def test_console_upload_cannot_name_a_server_file(app):
    """Before: the knowledge tab's upload event read any path the request named (/etc/passwd was copied
    into Gradio's cache and served)."""
    secret = PASSWD.read_bytes()
    before = _cached_copies_of(secret)
    result = gradio_call(app.console("li"), "/staff", "upload",
                         [[{"path": str(PASSWD), "orig_name": "passwd.md", "meta": {"_type": "gradio.FileData"}}]])
    assert "error" in result and "not uploaded by a user" in result["error"]
    assert _cached_copies_of(secret) == before


def test_upload_handler_reads_only_regular_files_inside_the_cache(tmp_path):
    from chatbot.web.knowledge_ui import read_uploaded

    cache = tmp_path / "cache"
    (cache / "abc").mkdir(parents=True)
    good = cache / "abc" / "card.yaml"
    good.write_text("id: x\n", encoding="utf-8")
    assert read_uploaded(good, 1000, cache) == (b"id: x\n", None)
    data, problem = read_uploaded(PASSWD, 10**6, cache)
    assert data == b"" and "只能导入通过本页面上传的文件" in problem
    link = cache / "abc" / "secrets.md"
    link.symlink_to(PASSWD)  # a link inside the cache that leads out of it
    assert read_uploaded(link, 10**6, cache)[0] == b""
    big = cache / "abc" / "big.md"
    with open(big, "wb") as handle:  # 50 MB, sparse: refused by its size, never read
        handle.truncate(50 * 1024 * 1024)
    data, problem = read_uploaded(big, 20 * 1024 * 1024, cache)
    assert data == b"" and "文件过大" in problem


def test_ingest_never_follows_a_link_out_of_the_knowledge_directory(tmp_path):
    from chatbot.knowledge.documents import scan
    from tests.conftest import write_small_kb

    root = write_small_kb(tmp_path / "knowledge")
    outside = tmp_path / "secrets.md"
    outside.write_text("---\nid: doc-secret\ntitle: 机密\nversion: '1'\neffective_date: 2024-01-01\n---\n"
                       "第一条 数据库口令是 hunter2。\n", encoding="utf-8")
    (root / "docs" / "secrets.md").symlink_to(outside)
    assert [source for source, _, _ in scan(root)] == ["cards/card-test-atm-fee.yaml", "docs/fees.md"]


# --- 2. the customer app takes no uploads and serves no staff files -----------------------------------

def test_customer_app_refuses_uploads(app):
    """Before: POST /gradio_api/upload on the public page stored any file, of any size, for anyone."""
    with app.client() as client:
        response = client.post("/gradio_api/upload", files={"files": ("x.txt", b"hello", "text/plain")})
        assert response.status_code == 403 and "不接受文件上传" in response.json()["detail"]
        assert client.post("/staff/gradio_api/upload",
                           files={"files": ("x.txt", b"hello", "text/plain")}).status_code == 401  # staff: login


def test_staff_exports_are_not_served_by_the_customer_app(app):
    """Before: the gap report's CSV (customer questions) was served at /gradio_api/file=… to anyone."""
    console = app.console("li")
    result = gradio_call(console, "/staff", "generate", [0])
    csv = result["output"][2]
    path = csv["path"] if isinstance(csv, dict) else csv
    with app.client() as anonymous:
        assert anonymous.get(f"/gradio_api/file={path}").status_code == 403
        assert anonymous.get(f"/staff/gradio_api/file={path}").status_code in (401, 403)
    assert console.get(f"/staff/gradio_api/file={path}").status_code == 200


# --- 3. documents are parsed with limits; a bomb is quarantined ---------------------------------------

def zip_bomb_docx(unpacked_mb: int = 120) -> bytes:
    """A valid .docx (the demo's, re-packed) whose document.xml unpacks to `unpacked_mb` MB of empty
    paragraphs: a few hundred KB packed."""
    from tests.conftest import KNOWLEDGE

    buffer = io.BytesIO()
    with zipfile.ZipFile(KNOWLEDGE / "docs" / "anti-fraud.docx") as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in source.infolist():
            if entry.filename != "word/document.xml":
                archive.writestr(entry, source.read(entry))
                continue
            original = source.read(entry).decode("utf-8")
            head, tail = original.split("<w:body>", 1)
            with archive.open("word/document.xml", "w", force_zip64=True) as member:
                member.write((head + "<w:body>").encode())
                chunk = b"<w:p/>" * (1024 * 1024 // 6)
                for _ in range(unpacked_mb):
                    member.write(chunk)
                member.write(tail.encode())
    return buffer.getvalue()


SIDECAR = b"id: doc-bomb\ntitle: \xe7\x82\xb8\xe5\xbc\xb9\nversion: '1'\neffective_date: 2024-01-01\n"
GOOD_DOC = ("---\nid: doc-fine\ntitle: 正常文件\nversion: '1'\neffective_date: 2024-01-01\n---\n"
            "# 正常文件\n第一条 本文件用于检验隔离不影响其他文件。\n").encode()


def test_zip_bomb_docx_is_quarantined_and_the_rest_still_ingests(app):
    """Before: a 300 KB .docx unpacking to ~100 MB cost 75 s and 3.8 GB in the serving process, at every
    validation. Now its zip directory is checked first; it is moved to knowledge/_quarantine/."""
    bomb = zip_bomb_docx()
    assert len(bomb) < 1024 * 1024
    manager = app.staff("li")
    files = [("files", ("bomb.docx", bomb, "application/octet-stream")),
             ("files", ("bomb.docx.meta.yaml", SIDECAR, "text/yaml")),
             ("files", ("fine.md", GOOD_DOC, "text/markdown"))]
    saved = manager.post("/api/staff/knowledge/upload", files=files).json()["files"]
    assert [f["status"] for f in saved] == ["saved", "saved", "saved"]
    started = time.monotonic()
    plan = manager.post("/api/staff/knowledge/validate").json()
    assert time.monotonic() - started < 30
    errors = {e["path"]: e["error"] for e in plan["errors"]}
    assert "已隔离" in errors["docs/bomb.docx"] and "压缩炸弹" in errors["docs/bomb.docx"]
    assert "docs/fine.md" in plan["changed"]  # the others still go in
    quarantined = list((app.knowledge_dir / "_quarantine").glob("*bomb.docx*"))
    assert {p.name.split("-", 2)[-1] for p in quarantined} == {"bomb.docx", "bomb.docx.meta.yaml",
                                                               "bomb.docx.reason.txt"}
    assert not (app.knowledge_dir / "docs" / "bomb.docx").exists()
    again = manager.post("/api/staff/knowledge/validate").json()  # not parsed again
    assert "docs/bomb.docx" not in {e["path"] for e in again["errors"]}
    os.remove(app.knowledge_dir / "docs" / "fine.md")


def test_parsing_runs_in_a_child_held_to_memory_and_time(tmp_path):
    from chatbot.errors import QuarantineError
    from chatbot.knowledge.sandbox import ParseLimits, parse_blocks
    from tests.conftest import KNOWLEDGE

    docx = KNOWLEDGE / "docs" / "anti-fraud.docx"
    assert parse_blocks(docx, "docs/anti-fraud.docx", ParseLimits())  # the limits leave a normal file alone
    with pytest.raises(QuarantineError, match="内存或时间"):
        parse_blocks(docx, "docs/anti-fraud.docx", ParseLimits(memory_mb=1))
    with pytest.raises(QuarantineError, match="解析超时"):
        parse_blocks(KNOWLEDGE / "docs" / "wealth.pdf", "docs/wealth.pdf", ParseLimits(timeout_s=0.05))
    many = tmp_path / "many.docx"
    with zipfile.ZipFile(many, "w") as archive:
        for number in range(3000):
            archive.writestr(f"word/media/{number}.xml", "")
    with pytest.raises(QuarantineError, match="条目"):
        parse_blocks(many, "docs/many.docx", ParseLimits())
