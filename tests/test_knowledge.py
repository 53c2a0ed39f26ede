"""The knowledge manager's tools: uploads (types, size, safe names), validate-before-index, the staff
API for knowledge (roles, a whole upload → validate → ingest → answer cycle, a busy ingest), the CLI."""

from __future__ import annotations

import json

import pytest
import yaml
from fastapi.testclient import TestClient
from pydantic import ValidationError

from chatbot.conversations.db import Database
from chatbot.conversations.service import ChatService
from chatbot.index.generations import read_current
from chatbot.index.locks import ingest_lock
from chatbot.knowledge.uploads import safe_name, save_upload
from chatbot.publishing.admin import KnowledgeAdmin
from chatbot.publishing.pipeline import run_ingest, validate
from chatbot.publishing.worker import IngestWorker
from chatbot.schema import Card
from chatbot.services import build_assistant
from chatbot.staff.accounts import StaffDirectory, hash_password
from chatbot.staff.desk import Desk
from chatbot.web.api import create_api
from chatbot.web.staff_api import staff_router
from tests.conftest import FEE_CARD, make_settings, write_small_kb
from tests.test_cli import _run


@pytest.mark.parametrize("name, expected", [
    ("收费规则.md", "收费规则.md"),
    ("../../etc/cron.d/evil.md", "evil.md"),
    ("..\\..\\windows\\evil.yaml", "evil.yaml"),
    ("a b　c.md", "a_b_c.md"),  # the full-width space too
    ("x;rm -rf.md", "x_rm_-rf.md"),
    (".hidden.md", None),
    ("_draft.yaml", None),
    ("..", None),
    ("", None),
])
def test_safe_names(name, expected):
    assert safe_name(name) == expected


def test_upload_checks_type_size_signature_and_encoding(tmp_path):
    settings = make_settings(tmp_path / "data", tmp_path / "kb", upload_max_mb=0.001)
    card = save_upload(settings, "card-new.yaml", b"id: card-new\n")
    assert (card.status, card.path) == ("saved", "cards/card-new.yaml")
    sidecar = save_upload(settings, "rules.pdf.meta.yaml", b"id: doc-x\n")
    assert sidecar.path == "docs/rules.pdf.meta.yaml"
    assert save_upload(settings, "card-new.yaml", b"id: card-new\nversion: 2\n").status == "replaced"
    traversal = save_upload(settings, "../../outside.md", b"# x")
    assert traversal.path == "docs/outside.md" and not (tmp_path / "outside.md").exists()

    def rejected(name, data):
        result = save_upload(settings, name, data)
        assert result.status == "rejected" and result.path is None
        return result.error

    assert "不支持的文件类型 .exe" in rejected("setup.exe", b"MZ")
    assert "文件过大" in rejected("big.md", b"x" * 2000)
    assert "与扩展名 .pdf 不符" in rejected("fake.pdf", b"<html>not a pdf</html>")
    assert "UTF-8" in rejected("gbk.md", "收费".encode("gbk"))
    assert "文件为空" in rejected("empty.md", b"")
    assert "文件名不合法" in rejected(".env", b"SECRET=1")
    assert sorted(p.name for p in (tmp_path / "kb").rglob("*") if p.is_file()) == [
        "card-new.yaml", "outside.md", "rules.pdf.meta.yaml"]


def test_validate_reports_errors_with_line_and_writes_nothing(tmp_path, small_kb, embeddings):
    settings = make_settings(tmp_path / "data", small_kb)
    run_ingest(settings, embeddings, show_bar=False)
    served = read_current(settings)
    card = small_kb / "cards" / "card-test-atm-fee.yaml"
    card.write_text(card.read_text(encoding="utf-8").replace("risk_tier: low", "risk_tier: lowest"), encoding="utf-8")
    (small_kb / "cards" / "card-new.yaml").write_text(FEE_CARD.format(fee="3").replace("card-test-atm-fee", "card-new"),
                                                      encoding="utf-8")
    plan = validate(settings, embeddings)
    assert [p.source for p in plan.pending] == ["cards/card-new.yaml"]
    errors = [f for f in plan.files if f.status == "error"]
    assert errors[0].path == "cards/card-test-atm-fee.yaml" and "risk_tier" in errors[0].error
    assert "line 13" in errors[0].error
    assert read_current(settings) == served  # nothing built, nothing published


def test_a_card_cannot_list_its_own_question_as_one_it_does_not_answer():
    fields = yaml.safe_load(FEE_CARD.format(fee="2"))
    assert Card.model_validate({**fields, "not_answered": ["在ATM存钱收手续费吗？"]}).not_answered
    with pytest.raises(ValidationError, match="not_answered repeats"):
        Card.model_validate({**fields, "not_answered": ["跨行ATM手续费"]})
    with pytest.raises(ValidationError, match="not_answered repeats"):  # the same once normalised
        Card.model_validate({**fields, "not_answered": ["跨行ＡＴＭ手续费"]})
    with pytest.raises(ValidationError, match="for answer cards"):
        Card.model_validate({**fields, "kind": "handoff", "not_answered": ["在ATM存钱收手续费吗？"]})


def test_only_a_hand_off_card_says_a_priority():
    fields = yaml.safe_load(FEE_CARD.format(fee="2"))
    assert Card.model_validate({**fields, "kind": "handoff", "priority": "urgent"}).priority == "urgent"
    with pytest.raises(ValidationError, match="priority is for hand-off cards"):
        Card.model_validate({**fields, "priority": "urgent"})


@pytest.fixture
def knowledge_client(tmp_path, small_kb, embeddings):
    settings = make_settings(tmp_path / "data", small_kb, staff_users=";".join(
        f"{name}:{role}:{hash_password('pw-' + name, iterations=1000)}"
        for name, role in [("wang", "expert"), ("li", "knowledge_manager")]))
    run_ingest(settings, embeddings, show_bar=False)
    assistant = build_assistant(settings, embeddings=embeddings, auto_ingest=False)
    service = ChatService(assistant, Database(f"sqlite:///{tmp_path / 'chat.sqlite'}"), settings)
    app = create_api(service)
    app.include_router(staff_router(Desk(service), StaffDirectory.from_settings(settings),
                                    KnowledgeAdmin(settings, assistant.retriever)))
    return TestClient(app), settings, IngestWorker(settings, embeddings, client=assistant.retriever.client)


def test_knowledge_api_roles_and_a_whole_change(knowledge_client, small_kb):
    client, settings, worker = knowledge_client
    km, expert = ("li", "pw-li"), ("wang", "pw-wang")
    assert client.get("/api/staff/knowledge/status", auth=expert).status_code == 403
    assert client.post("/api/staff/knowledge/ingest", json={}, auth=expert).status_code == 403
    assert client.get("/api/staff/knowledge/status").status_code == 401

    changed = FEE_CARD.format(fee="6").replace("effective_date: 2024-01-01", "effective_date: 2026-01-01\nversion: 2")
    upload = client.post("/api/staff/knowledge/upload", auth=km,
                         files=[("files", ("card-test-atm-fee.yaml", changed.encode(), "application/x-yaml")),
                                ("files", ("run.sh", b"#!/bin/sh", "text/plain"))])
    assert [f["status"] for f in upload.json()["files"]] == ["replaced", "rejected"]
    checked = client.post("/api/staff/knowledge/validate", auth=km).json()
    assert checked == {"changed": ["cards/card-test-atm-fee.yaml"], "deleted": [], "errors": []}

    # The web process only queues the re-ingest; the worker runs it and writes the report into the job.
    queued = client.post("/api/staff/knowledge/ingest", json={}, auth=km)
    assert queued.status_code == 202 and queued.json()["job"]["status"] == "queued"
    assert worker.run_once().id == queued.json()["job"]["id"]
    job = client.get(f"/api/staff/knowledge/jobs/{queued.json()['job']['id']}", auth=km).json()["job"]
    assert job["status"] == "done" and job["progress"]["text"].startswith("核验旧内容")
    # The document still says 2元: the probe refuses to publish a card that contradicts it.
    report = job["report"]
    assert not report["published"] and "旧内容仍可被检索到" in report["blocked"][0]
    assert "2元" in client.post("/api/chat", json={"session_id": "s1", "message": "跨行取钱要收费吗"}).json()["answer"]
    status = client.get("/api/staff/knowledge/status", auth=km).json()
    assert status["staged"]["number"] == 2 and status["staged_blocked"]

    assert client.post("/api/staff/knowledge/publish-staged", json={"reason": ""}, auth=km).status_code == 422
    published = client.post("/api/staff/knowledge/publish-staged", json={"reason": "文档另行修订"}, auth=km)
    assert published.json() == {"published": 2}
    answer = client.post("/api/chat", json={"session_id": "s1", "message": "跨行取钱要收费吗"}).json()
    assert "6元" in answer["answer"]
    # Audits: the staff API answers as of a date, from the version then in force.
    audit = client.post("/api/staff/copilot", json={"question": "跨行取钱要收费吗", "as_of": "2025-06-01"},
                        auth=km).json()
    assert audit["as_of"] == "2025-06-01" and "2元" in audit["answer"] and "6元" not in audit["answer"]
    log = client.get("/api/staff/knowledge/status", auth=km).json()["log"]
    assert log[-1]["override_by"] == "li" and log[-1]["override_reason"] == "文档另行修订"

    with ingest_lock(settings):  # e.g. `python ingest.py` at the same time: the job waits its turn
        busy = client.post("/api/staff/knowledge/ingest", json={}, auth=km).json()["job"]
        assert worker.run_once().status == "queued"
    assert worker.run_once().id == busy["id"]
    done = client.get(f"/api/staff/knowledge/jobs/{busy['id']}", auth=km).json()["job"]
    assert done["status"] == "done" and done["attempts"] == 1 and done["report"]["generation"] is None
    assert client.get("/api/staff/knowledge/jobs/999", auth=km).status_code == 404


def test_cli_validate_upload_status_and_ask_as_of(tmp_path):
    kb = write_small_kb(tmp_path / "kb")
    data = tmp_path / "data"

    def run(*args):
        return _run(["ingest.py", *args], data, CHATBOT_EVAL_GATE_CASES="")

    assert run(str(kb)).returncode == 0
    # Version 2 of the card and its document, in force from 2025: three free withdrawals become five.
    incoming = write_small_kb(tmp_path / "incoming")
    for path in [incoming / "cards" / "card-test-atm-fee.yaml", incoming / "docs" / "fees.md"]:
        text = path.read_text(encoding="utf-8").replace("每月前3笔免费", "每月前5笔免费")
        text = text.replace('version: "1"\n', "").replace("effective_date: 2024-01-01",
                                                          "effective_date: 2025-01-01\nversion: 2")
        path.write_text(text, encoding="utf-8")
    (tmp_path / "virus.exe").write_bytes(b"MZ")

    rejected = run(str(kb), "--upload", str(tmp_path / "virus.exe"))
    assert rejected.returncode == 1 and "不支持的文件类型" in rejected.stdout
    checked = run(str(kb), "--upload", str(incoming / "cards" / "card-test-atm-fee.yaml"),
                  str(incoming / "docs" / "fees.md"), "--validate", "--json")
    assert checked.returncode == 0, checked.stderr
    assert sorted(json.loads(checked.stdout.splitlines()[-1])["changed"]) == [
        "cards/card-test-atm-fee.yaml", "docs/fees.md"]
    assert read_current(make_settings(data, kb)).number == 1  # validating built nothing

    ingested = run(str(kb))
    assert ingested.returncode == 0, ingested.stderr + ingested.stdout
    assert "已发布第 2 版索引" in ingested.stdout and "旧内容核验 未通过" not in ingested.stdout
    assert "旧内容核验 通过：card-test-atm-fee" in ingested.stdout
    assert "存档：card-test-atm-fee 第 1 版" in ingested.stdout
    assert "线上索引：第 2 版" in run("--status").stdout
    now = json.loads(run(str(kb), "--ask", "跨行取钱要收费吗", "--json").stdout)
    then = json.loads(run(str(kb), "--ask", "跨行取钱要收费吗", "--as-of", "2024-06-01", "--json").stdout)
    assert "前5笔" in now["answer"] and "前3笔" in then["answer"] and then["as_of"] == "2024-06-01"


def test_report_tells_stale_content_from_phrasings_answered_by_another_card():
    # Only stale content blocks a publish. A phrasing that another card answers is worth a look, but
    # calling it "未通过" next to "已发布" told managers the opposite of what happened.
    from chatbot.publishing.probe import ProbeResult
    from chatbot.publishing.report import PublishReport, format_report

    probes = [ProbeResult("cards/a.yaml", "card-a", "updated", 7, False, True, [], "6/7 个问法得到新答案"),
              ProbeResult("cards/b.yaml", "card-b", "updated", 7, True, False, [], "7/7 个问法得到新答案")]
    report = PublishReport(generation=2, published=True, probe=probes)
    text = format_report(report)
    assert "旧内容核验 通过（旧内容已清除；部分问法由其他卡片回答，请留意）：card-a" in text
    assert "旧内容核验 未通过（旧内容仍可检索）：card-b" in text


def test_report_names_evaluation_figures_in_chinese():
    from chatbot.publishing.report import GateEvaluation, PublishReport, format_report

    figures = {"outcome": 0.99, "facts": 0.98, "hit@1": 0.95, "hit@3": 0.99}
    text = format_report(PublishReport(generation=2, published=True,
                                       evaluation=GateEvaluation(figures, figures | {"outcome": 0.97}, 0.02)))
    assert "结论准确率 0.990 → 0.970" in text and "事实准确率" in text and "首位来源命中率" in text
    assert "outcome" not in text and "hit@1" not in text


def test_the_json_summary_keeps_the_shape_ingest_py_prints():
    # `ingest.py --json` is a stable interface: the typed report must print exactly what the old dict did.
    from chatbot.index.report import FileReport, IndexReport
    from chatbot.publishing.probe import ProbeResult
    from chatbot.publishing.report import ArchivedVersion, GateEvaluation, Override, PublishReport

    index = IndexReport([FileReport("cards/a.yaml", "updated", 3, 2), FileReport("docs/b.md", "unchanged"),
                         FileReport("cards/c.yaml", "error", error="bad")])
    probe = ProbeResult("cards/a.yaml", "card-a", "updated", 4, True, True, ["旧句子。"], "4/4 个问法得到新答案")
    report = PublishReport(index, generation=3, published=True, blocked=["原因"],
                           archived=[ArchivedVersion("cards/a.yaml", "card-a", "1")], probe=[probe],
                           evaluation=GateEvaluation({"outcome": 1.0}, {"outcome": 0.9}, 0.02),
                           override=Override("km1", "先发布"))
    assert json.loads(json.dumps(report.summary(), ensure_ascii=False)) == {
        "added": 0, "updated": 1, "deleted": 0, "skipped": 1,
        "errors": [{"path": "cards/c.yaml", "error": "bad"}],
        "chunks": {"added": 3, "deleted": 2},
        "files": [{"path": "cards/a.yaml", "status": "updated", "chunks_added": 3, "chunks_deleted": 2, "error": None},
                  {"path": "cards/c.yaml", "status": "error", "chunks_added": 0, "chunks_deleted": 0, "error": "bad"}],
        "generation": 3, "published": True, "blocked": ["原因"],
        "archived": [{"path": "cards/a.yaml", "id": "card-a", "version": "1"}],
        "probe": [{"source": "cards/a.yaml", "item_id": "card-a", "status": "updated", "checked": 4,
                   "new_answered": True, "old_gone": True, "removed": ["旧句子。"], "detail": "4/4 个问法得到新答案"}],
        "evaluation": {"previous": {"outcome": 1.0}, "current": {"outcome": 0.9}, "margin": 0.02},
        "override": {"by": "km1", "reason": "先发布"},
        "consistency": [],
    }
    assert list(report.summary())[:5] == ["added", "updated", "deleted", "skipped", "errors"]
