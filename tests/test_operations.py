"""Operations: 智能质检 of every message, an escalation raising the ticket's priority, the survey stored
once, `explain` after a re-ingest, and the staff action log that no endpoint can change."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from chatbot.conversations.db import Database
from chatbot.conversations.erasure import DataEraser
from chatbot.conversations.models import Conversation, utcnow
from chatbot.conversations.service import ChatService
from chatbot.errors import ConfigError
from chatbot.publishing.pipeline import run_ingest
from chatbot.quality.cases import load_cases
from chatbot.quality.inspection import default_rules_text, inspect, parse_rules
from chatbot.quality.inspector import Inspector
from chatbot.services import build_assistant, build_services
from chatbot.staff.accounts import StaffDirectory, hash_password
from chatbot.staff.dashboard import DashboardService
from chatbot.staff.desk import Desk
from chatbot.staff.operations import Operations
from chatbot.web.api import create_api
from chatbot.web.staff_api import staff_router
from chatbot.web.survey_api import add_survey_route
from eval.demo_data import seed_demo_data
from tests.conftest import ROOT, make_settings, write_small_kb

RULES = parse_rules(default_rules_text())
PASSWORDS = {"wang": "expert-pass", "root": "admin-pass", "sue": "super-pass", "cora": "compliance-pass"}
ROLES = {"wang": "expert", "root": "admin", "sue": "supervisor", "cora": "compliance"}
STAFF = ";".join(f"{n}:{ROLES[n]}:{hash_password(p, iterations=1000)}" for n, p in PASSWORDS.items())


def _auth(name):
    return (name, PASSWORDS[name])


@pytest.mark.parametrize("message, role, category", [
    ("这款理财保本保息，到期刚兑，您放心买。", "expert", "prohibited_sales"),
    ("这个产品稳赚不赔，收益有保障。", "assistant", "prohibited_sales"),
    ("这个不归我管，你自己去查吧。", "expert", "service_taboo"),
    ("我都说了多少遍了，你怎么还不明白？", "expert", "service_taboo"),
    ("我的卡号是 6222 0212 3456 7890 123，帮我查一下", "user", "personal_data"),
    ("您的手机号138****5678已登记。", "expert", "personal_data"),
    ("推荐您购买这款净值型理财，近一年年化收益率4.2%。", "expert", "missing_risk_disclosure"),
    ("再不给我处理，我就打12378投诉你们。", "user", "escalation"),
    ("我要找媒体曝光你们银行！", "user", "escalation"),
    ("我已经请了律师，准备起诉。", "user", "escalation"),
])
def test_each_inspection_category_is_detected(message, role, category):
    assert category in {hit.category for hit in inspect(message, role, RULES)}


@pytest.mark.parametrize("message, role", [
    ("理财产品不保本，过往业绩不代表未来表现，投资须谨慎。", "assistant"),
    ("信用卡免息期最长56天，具体以账单为准。", "assistant"),
    ("推荐您购买这款理财，年化业绩比较基准3%。理财非存款，产品有风险，投资须谨慎。", "expert"),
    ("这款理财保本吗？", "user"),  # a customer asking is not a sales promise
    ("您好，这个问题我帮您转给信用卡中心，他们会在2个工作日内联系您。", "expert"),
    ("12378是什么电话？", "assistant"),  # escalation signals are the customer's
    ("员工不得以“不归我管”为由推诿，确需移交的会告知客户。", "assistant"),  # a policy quoting the taboo
])
def test_a_clean_message_is_not_flagged(message, role):
    assert inspect(message, role, RULES) == []


def test_rules_are_validated_and_versioned(tmp_path):
    inspector = Inspector(Database(f"sqlite:///{tmp_path / 'r.sqlite'}"))
    assert inspector.current().version == 0  # the bundled file
    with pytest.raises(ConfigError, match="质检规则无效"):
        inspector.save("categories: {}\nrules:\n  - {id: x, category: nope, label: x, keywords: [a]}\n", "cora")
    stricter = default_rules_text().replace("keywords: [不归我管,", "keywords: [请稍等, 不归我管,")
    assert inspector.save(stricter, "cora", "加一条") == 1
    assert inspector.current().version == 1
    assert [h.category for h in inspect("请稍等", "expert", inspector.current().rules)] == ["service_taboo"]


@pytest.fixture
def chat(demo_assistant, demo_data_dir, tmp_path):
    settings = make_settings(demo_data_dir, staff_users=STAFF)
    service = ChatService(demo_assistant, Database(f"sqlite:///{tmp_path / 'ops.sqlite'}"), settings)
    return service, Operations.attach(service)


def test_an_escalation_signal_raises_the_ticket_priority_and_is_flagged(chat):
    service, ops = chat
    first = service.chat("s-esc", "为什么冻结我的卡")
    ticket_id = first.answer.ticket_id
    assert service.tickets.get(ticket_id).priority == "normal"
    service.chat("s-esc", "再不解冻，我就打12378投诉你们")
    assert service.tickets.get(ticket_id).priority == "urgent"
    hits = ops.inspector.hits(ticket_id=ticket_id)
    assert [(h.category, h.rule_id, h.role) for h in hits] == [("escalation", "regulator_complaint", "user")], [
        (h.rule_id, h.excerpt) for h in hits]
    # A signal in the message that opens the ticket is flagged on it as well.
    opened = service.chat("s-media", "我要找媒体曝光你们银行")
    assert service.tickets.get(opened.answer.ticket_id).priority == "urgent"
    assert ops.inspector.hits(ticket_id=opened.answer.ticket_id)[0].rule_id == "media_exposure"


def test_survey_is_stored_once_and_shown_on_the_ticket(chat):
    service, ops = chat
    app = create_api(service)
    add_survey_route(app, service, app.state.signer)
    app.include_router(staff_router(Desk(service), StaffDirectory.from_settings(service.settings), ops=ops))
    client = TestClient(app)
    reply = client.post("/api/chat", json={"message": "我要投诉你们网点"}).json()
    token = reply["session_id"]
    first = client.post("/api/survey", json={"session_id": token, "stars": 2, "comment": "等太久，电话13812345678"})
    assert first.json() == {"stored": True, "message": "感谢您的评价！"}
    again = client.post("/api/survey", json={"session_id": token, "stars": 5})
    assert again.json() == {"stored": False, "message": "您已评价过本次服务，感谢！"}
    assert client.post("/api/survey", json={"session_id": "forged", "stars": 5}).status_code == 404
    assert client.post("/api/survey", json={"session_id": token, "stars": 6}).status_code == 422
    view = client.get(f"/api/staff/tickets/{reply['ticket_id']}", auth=_auth("wang")).json()
    assert view["survey"] == {"stars": 2, "comment": "等太久，电话138****5678"}
    # Erasing the conversation takes its rating, its answers' audit trail and its inspection hits along.
    session_id = app.state.signer.verify(token)
    counts = DataEraser(service.db).erase_session(session_id, by="test")
    assert (counts["surveys"], counts["answer_audit"]) == (1, 1) and service.surveys.get(session_id) is None


def test_the_survey_is_offered_once_after_the_ticket_is_resolved(chat):
    service, ops = chat
    desk, wang = Desk(service), StaffDirectory.from_settings(service.settings).get("wang")
    ticket_id = service.chat("s-rate", "我要投诉你们网点的柜员态度太差").answer.ticket_id
    assert not service.surveys.offered_after_resolution("s-rate")  # waiting for an expert
    desk.claim(ticket_id, wang)
    assert not service.surveys.offered_after_resolution("s-rate")  # being served
    desk.resolve(ticket_id, wang, "complaint_registered", "已登记，转网点负责人")
    assert service.surveys.offered_after_resolution("s-rate")
    assert not service.surveys.offered_after_resolution("s-other")  # a conversation without a ticket
    assert service.surveys.submit("s-rate", 5, "处理得很快") is True
    assert not service.surveys.offered_after_resolution("s-rate")  # once per conversation
    assert service.surveys.submit("s-rate", 1) is False
    survey = ops.surveys.get("s-rate")
    assert (survey.ticket_id, survey.stars, survey.comment) == (ticket_id, 5, "处理得很快")  # on the ticket


def test_explain_names_the_generation_and_card_version_of_an_answer_given_before_a_reingest(tmp_path, embeddings):
    knowledge = write_small_kb(tmp_path / "knowledge")
    settings = make_settings(tmp_path / "data", knowledge)
    run_ingest(settings, embeddings, show_bar=False)
    assistant = build_assistant(settings, embeddings=embeddings, auto_ingest=False)
    service = ChatService(assistant, Database.from_settings(settings), settings)
    before = service.chat("s1", "跨行取钱要收费吗")
    assert "2元" in before.answer.text

    write_small_kb(knowledge, fee="4")
    card = knowledge / "cards" / "card-test-atm-fee.yaml"
    card.write_text(card.read_text(encoding="utf-8") + "version: 2\n", encoding="utf-8")
    assert run_ingest(settings, embeddings, show_bar=False).generation == 2
    assistant.retriever.refresh(force=True)
    after = service.chat("s2", "跨行取钱要收费吗")
    assert "4元" in after.answer.text

    old = service.trail.get(before.answer_message_id)
    assert (old.generation, old.card_id, old.card_version, old.outcome) == (1, "card-test-atm-fee", 1, "answered")
    assert (service.trail.get(after.answer_message_id).generation, service.trail.get(after.answer_message_id).card_version) == (2, 2)
    result = subprocess.run([sys.executable, "-m", "chatbot", "explain", str(before.answer_message_id)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "CHATBOT_DATA_DIR": str(settings.data_dir)})
    assert result.returncode == 0, result.stderr
    assert "索引版本：第 1 代" in result.stdout and "知识卡片：card-test-atm-fee，第 1 版" in result.stdout
    assert "2元" in result.stdout and "生成方式：知识卡片原文（大模型未使用：未配置大模型" in result.stdout
    missing = subprocess.run([sys.executable, "-m", "chatbot", "explain", "999999"], cwd=ROOT, capture_output=True,
                             text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "CHATBOT_DATA_DIR": str(settings.data_dir)})
    assert missing.returncode == 1 and "没有找到" in missing.stderr


def test_the_staff_action_log_is_append_only_in_the_database(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'a.sqlite'}")
    from chatbot.staff.audit import StaffAuditLog

    StaffAuditLog(db).record("root", "login", "员工工作台")
    for statement in ("UPDATE staff_actions SET actor = 'x'", "DELETE FROM staff_actions"):
        with pytest.raises(DatabaseError, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(text(statement))
    with sqlite3.connect(tmp_path / "a.sqlite") as raw:  # outside the application too
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("DELETE FROM staff_actions")
    assert [a.actor for a in StaffAuditLog(db).search()] == ["root"]


def test_the_staff_action_log_is_append_only_on_postgresql(request):
    try:  # the throwaway PostgreSQL fixture comes with the scale-out branch (#15)
        server = request.getfixturevalue("postgres")
    except pytest.FixtureLookupError:
        pytest.skip("no postgres fixture on this branch")
    from chatbot.staff.audit import StaffAuditLog

    db = Database(server.create_database("ops_staff_actions"))
    StaffAuditLog(db).record("root", "login", "员工工作台")
    for statement in ("UPDATE staff_actions SET actor = 'x'", "DELETE FROM staff_actions", "TRUNCATE staff_actions"):
        with pytest.raises(DatabaseError, match="append-only"):
            with db.engine.begin() as connection:
                connection.execute(text(statement))
    assert [a.actor for a in StaffAuditLog(Database(db.url)).search()] == ["root"]  # a restart creates nothing twice


def _snapshot(db: Database) -> list[tuple]:
    with db.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text("SELECT * FROM staff_actions ORDER BY id"))]


def test_no_staff_endpoint_changes_the_action_log_and_each_action_is_recorded(tmp_path, embeddings):
    knowledge = write_small_kb(tmp_path / "knowledge")
    settings = make_settings(tmp_path / "data", knowledge, staff_users=STAFF)
    run_ingest(settings, embeddings, show_bar=False)
    services = build_services(settings, embeddings=embeddings, auto_ingest=False)
    app = create_api(services.chat)
    router = staff_router(services.desk, services.staff, services.knowledge, gaps=services.gaps,
                          erasure=services.erasure, ops=services.operations)
    app.include_router(router)
    client = TestClient(app)
    ticket = client.post("/api/chat", json={"message": "我要投诉你们网点"}).json()
    other = client.post("/api/chat", json={"message": "跨行取钱要收费吗"}).json()
    services.operations.audit.record("root", "login", "员工工作台")  # something to protect from the start
    rules = default_rules_text()
    bodies = {
        "/api/staff/tickets/{ticket_id}/check": {"draft": "您好"},
        "/api/staff/tickets/{ticket_id}/reply": {"draft": "您好，这个不归我管。"},
        "/api/staff/tickets/{ticket_id}/resolve": {"resolution": "answered", "note": "已解答", "care_gesture": "赠送积分"},
        "/api/staff/copilot": {"question": "跨行取钱要收费吗"},
        "/api/staff/knowledge/ingest": {}, "/api/staff/knowledge/publish-staged": {"reason": "测试"},
        "/api/staff/gaps/drafts": {"cluster_id": "none"},
        "/api/staff/privacy/erase": {"session_id": other["session_id"]},
        "/api/staff/inspection/rules": {"text": rules, "note": "原样保存"},
    }
    order = ["claim", "check", "reply", "resolve"]  # the ticket's own life first, then everything else
    routes = sorted((r for r in router.routes), key=lambda r: next((n for n, w in enumerate(order) if r.path.endswith(w)), 9))
    called = []
    for route in routes:
        path = route.path.replace("{ticket_id}", ticket["ticket_id"]).replace("{message_id}", str(ticket["message_id"]))
        for method in route.methods:
            before = _snapshot(services.database)
            if route.path.endswith("/knowledge/upload"):
                response = client.post(path, files={"files": ("fees2.md", b"# x\n", "text/markdown")}, auth=_auth("root"))
            else:
                response = client.request(method, path, json=bodies.get(route.path), auth=_auth("root"))
            after = _snapshot(services.database)
            assert after[:len(before)] == before, f"{method} {route.path} changed the staff action log"
            called.append((method, route.path, response.status_code))
    assert len(called) >= 25
    actions = {a.action for a in services.operations.audit.search()}
    assert {"login", "claim", "reply", "resolve", "care_gesture", "upload", "publish", "rules_change", "erasure",
            "retention"} <= actions, actions
    # Roles: the dashboard is the supervisor's and admin's; the log the admin's; rules are edited by compliance.
    assert client.get("/api/staff/dashboard", auth=_auth("sue")).status_code == 200
    assert client.get("/api/staff/dashboard", auth=_auth("wang")).status_code == 403
    assert client.get("/api/staff/audit", auth=_auth("sue")).status_code == 403
    assert client.post("/api/staff/inspection/rules", json={"text": rules}, auth=_auth("sue")).status_code == 403
    assert client.post("/api/staff/inspection/rules", json={"text": rules}, auth=_auth("cora")).status_code == 200
    assert client.post("/api/staff/inspection/rules", json={"text": "rules: ["}, auth=_auth("cora")).status_code == 422
    csv = client.get("/api/staff/audit.csv", auth=_auth("root"))
    assert csv.status_code == 200 and csv.content.startswith("\ufeff序号".encode())
    explained = client.get(f"/api/staff/messages/{other['message_id']}/explain", auth=_auth("wang"))
    assert explained.status_code == 404  # erased above with its conversation
    flagged = client.get("/api/staff/inspection", params={"ticket_id": ticket["ticket_id"]}, auth=_auth("cora")).json()
    assert {h["rule"] for h in flagged["hits"]} == {"passing_the_buck"}
    assert client.get("/api/staff/dashboard", auth=_auth("root")).json()["desk"]["current"]["care_gestures"] == 1


def test_demo_data_is_labelled_spread_over_the_period_and_survives_retention(demo_assistant, demo_data_dir, tmp_path):
    cases = load_cases(ROOT / "eval" / "cases" / "dev.jsonl")[:12]
    service = ChatService(demo_assistant, Database(f"sqlite:///{tmp_path / 'demo.sqlite'}"), make_settings(demo_data_dir))
    summary = seed_demo_data(service, cases, days=14)
    assert summary["conversations"] == 12
    figures = DashboardService(service.db).figures(15)
    current = figures["resolution"]["current"]
    assert current["conversations"] == current["demo_conversations"] == 12
    assert figures["satisfaction"]["current"]["responses"] == summary["surveys"]
    with service.db.session() as session:
        started = list(session.scalars(select(Conversation.created_at)))
    assert all(utcnow() - dt.timedelta(days=14, minutes=1) <= s <= utcnow() for s in started)
    assert max(started) - min(started) > dt.timedelta(days=1)  # spread, not all at once
    assert not any(DataEraser(service.db).enforce_retention(180).values())  # dates the database compares right
