"""Hand-off tickets and the expert desk: priorities, deadlines, durability, atomic claims, roles,
the compliance check, and an expert's reply reaching the customer."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from chatbot.conversations.db import Database
from chatbot.conversations.handoff import HandoffPolicy
from chatbot.conversations.models import utcnow
from chatbot.conversations.service import ChatService
from chatbot.conversations.tickets import TicketStore
from chatbot.staff.accounts import StaffDirectory, StaffUser, hash_password, verify_password
from chatbot.staff.compliance import check_draft
from chatbot.staff.desk import Desk
from chatbot.web.api import create_api
from chatbot.web.staff_api import staff_router
from tests.conftest import make_settings

PASSWORDS = {"wang": "expert-pass", "zhao": "expert2-pass", "li": "km-pass", "root": "admin-pass"}


@pytest.fixture(scope="module")
def staff_users() -> str:
    roles = {"wang": "expert", "zhao": "expert", "li": "knowledge_manager", "root": "admin"}
    return ";".join(f"{name}:{roles[name]}:{hash_password(pw, iterations=1000)}" for name, pw in PASSWORDS.items())


@pytest.fixture
def settings(demo_data_dir, staff_users):
    return make_settings(demo_data_dir, staff_users=staff_users)


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'desk.sqlite'}"


@pytest.fixture
def service(demo_assistant, settings, db_url):
    return ChatService(demo_assistant, Database(db_url), settings)


@pytest.fixture
def client(service, settings):
    app = create_api(service)
    staff = StaffDirectory.from_settings(settings)
    app.include_router(staff_router(Desk(service, staff), staff))
    return TestClient(app)


def _auth(name):
    return (name, PASSWORDS[name])


@pytest.mark.parametrize("message, reason, priority", [
    ("有人在电话里让我把验证码告诉他", "fraud_in_progress", "urgent"),
    ("我的卡被盗刷了好几笔", "unauthorized_transaction", "urgent"),
    ("我要投诉你们的客户经理", "complaint", "high"),
    ("不给我解决我就找媒体曝光你们", "escalation_threat", "high"),
    ("你们这些混蛋", "abuse_distress", "high"),
    ("我今年78岁了，想把养老钱全部买理财", "vulnerable_decision", "high"),
    ("为什么冻结我的卡", "own_account", "normal"),
    ("我要转人工", "human_request", "normal"),
    ("示例银行支持开通数字人民币钱包吗？", "subject_not_in_knowledge", "normal"),
])
def test_every_trigger_makes_a_ticket_with_its_priority(service, message, reason, priority):
    turn = service.chat("s-" + reason, message)
    assert turn.answer.outcome == "handoff"
    ticket = service.tickets.get(turn.answer.ticket_id)
    assert (ticket.reason, ticket.priority) == (reason, priority)


def test_thumbs_down_then_another_question_hands_off(service):
    first = service.chat("s-rf", "信用卡年费怎么免？")
    service.feedback(first.answer_message_id, -1, "s-rf")
    second = service.chat("s-rf", "信用卡免息期最长多少天？")
    assert second.answer.outcome == "handoff" and second.answer.handoff_reason == "repeated_failure"
    assert "56天" in second.answer.text  # the answer is still given


def test_deadlines(settings):
    policy = HandoffPolicy(settings)
    now = dt.datetime(2026, 3, 2, 2, 0)
    assert policy.deadline("complaint", "high", now) == now + dt.timedelta(days=15)
    assert policy.deadline("fraud_in_progress", "urgent", now) == now + dt.timedelta(hours=1)
    assert policy.deadline("own_account", "normal", now) == now + dt.timedelta(hours=48)


def test_office_hours_change_what_the_customer_is_told(settings):
    policy = HandoffPolicy(settings)
    monday_morning_shanghai = dt.datetime(2026, 3, 2, 2, 0)  # 10:00 in Asia/Shanghai
    sunday = dt.datetime(2026, 3, 1, 2, 0)
    assert "尽快在此对话中回复" in policy.next_steps("XB1", "normal", monday_morning_shanghai)
    outside = policy.next_steps("XB1", "normal", sunday)
    assert "非工作时间" in outside and "400-000-0000" in outside and "回电" in outside


def test_tickets_survive_a_restart(demo_assistant, settings, db_url):
    first = ChatService(demo_assistant, Database(db_url), settings)
    ticket_id = first.chat("s-durable", "我要投诉你们网点").answer.ticket_id
    first.db.engine.dispose()
    again = ChatService(demo_assistant, Database(db_url), settings)  # a new process on the same database
    ticket = again.tickets.get(ticket_id)
    assert ticket is not None and ticket.status == "open" and ticket.reason == "complaint"
    assert [m.role for m in again.conversations.messages("s-durable")] == ["user", "assistant"]


def test_concurrent_claims_exactly_one_wins(service):
    ticket_id = service.chat("s-race", "我要投诉你们网点").answer.ticket_id
    experts = [f"expert{n}" for n in range(8)]
    barrier = threading.Barrier(len(experts))
    wins = []

    def claim(expert):
        store = TicketStore(service.db)
        barrier.wait()
        if store.claim(ticket_id, expert):
            wins.append(expert)

    threads = [threading.Thread(target=claim, args=(e,)) for e in experts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1
    assert service.tickets.get(ticket_id).owner == wins[0]


def test_queue_is_sorted_by_priority_then_deadline(db_url):
    # Created in an order that neither priority nor deadline follows: the queue must reorder by both.
    store = TicketStore(Database(db_url))
    now = utcnow()
    for session, priority, hours in [("late-normal", "normal", 40), ("early-normal", "normal", 2),
                                     ("late-high", "high", 30), ("urgent", "urgent", 1), ("early-high", "high", 3)]:
        store.create(session_id=session, reason="complaint", priority=priority, deadline=now + dt.timedelta(hours=hours))
    assert [t.session_id for t in store.queue()] == ["urgent", "early-high", "late-high", "early-normal",
                                                     "late-normal"]


def test_passwords_are_hashed():
    encoded = hash_password("secret")
    assert "secret" not in encoded and verify_password("secret", encoded) and not verify_password("wrong", encoded)


def test_staff_api_needs_login_and_the_right_role(client):
    assert client.get("/api/staff/queue").status_code == 401
    assert client.get("/api/staff/queue", auth=("wang", "wrong")).status_code == 401
    assert client.get("/api/staff/queue", auth=_auth("wang")).status_code == 200
    assert client.get("/api/staff/queue", auth=_auth("root")).status_code == 200
    assert client.get("/api/staff/queue", auth=_auth("li")).status_code == 403  # knowledge manager
    assert client.post("/api/staff/copilot", json={"question": "大额存单起存金额"}, auth=_auth("li")).status_code == 200


def test_customer_endpoints_do_not_expose_staff_data(client):
    reply = client.post("/api/chat", json={"message": "我要投诉你们网点"}).json()
    assert "summary" not in reply and "owner" not in reply
    assert client.get(f"/api/staff/tickets/{reply['ticket_id']}").status_code == 401
    # No public schema or docs: they listed every staff endpoint.
    assert client.get("/api/openapi.json").status_code == 404 and client.get("/api/docs").status_code == 404


def test_desk_flow_reply_reaches_the_customer(client, service):
    customer = client.post("/api/chat", json={"message": "我要投诉你们网点的柜员"}).json()
    ticket_id = customer["ticket_id"]
    queue = client.get("/api/staff/queue", auth=_auth("wang")).json()
    assert ticket_id in [t["id"] for t in queue["tickets"]] and queue["counts"]["open"] >= 1
    item = next(t for t in queue["tickets"] if t["id"] == ticket_id)
    assert (item["priority"], item["reason"], item["status"], item["owner"]) == ("高", "客户投诉", "待认领", "")
    assert (item["priority_code"], item["reason_code"], item["status_code"]) == ("high", "complaint", "open")
    utc = dt.datetime.fromisoformat(item["deadline_utc"]).replace(tzinfo=dt.timezone.utc)
    assert item["deadline"] == f"{utc.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M}"  # the office's time
    view = client.get(f"/api/staff/tickets/{ticket_id}", auth=_auth("wang")).json()
    assert view["transcript"][0]["content"] == "我要投诉你们网点的柜员"
    assert view["suggestion"]["answer"]

    assert client.post(f"/api/staff/tickets/{ticket_id}/reply", json={"draft": "您好"},
                       auth=_auth("wang")).status_code == 409  # not claimed yet
    assert client.post(f"/api/staff/tickets/{ticket_id}/claim", auth=_auth("wang")).json()["owner"] == "wang"
    assert client.post(f"/api/staff/tickets/{ticket_id}/claim", auth=_auth("zhao")).status_code == 409

    blocked = client.post(f"/api/staff/tickets/{ticket_id}/reply", json={"draft": "这款理财保本，放心买"},
                          auth=_auth("wang"))
    assert blocked.status_code == 422
    assert {f["rule"] for f in blocked.json()["detail"]["findings"]} >= {"forbidden_phrase"}

    sent = client.post(f"/api/staff/tickets/{ticket_id}/reply",
                       json={"draft": "您好，我是专家小王，您的投诉已登记，我们会在15日内答复。"}, auth=_auth("wang"))
    assert sent.json() == {"sent": True}
    messages = client.get("/api/messages", params={"session_id": customer["session_id"]}).json()["messages"]
    assert messages[-1]["role"] == "expert" and "投诉已登记" in messages[-1]["content"]

    resolved = client.post(f"/api/staff/tickets/{ticket_id}/resolve", auth=_auth("wang"),
                           json={"resolution": "complaint_registered", "note": "已转网点负责人",
                                 "care_gesture": "赠送小礼品致歉"}).json()
    assert resolved["status"] == "resolved"
    assert service.tickets.get(ticket_id).care_gesture == "赠送小礼品致歉"


def test_customer_history_shows_earlier_tickets(service):
    first = service.chat("h1", "我要投诉你们网点", customer_id="cust-7").answer.ticket_id
    service.chat("h2", "我的卡被盗刷了", customer_id="cust-7")
    second = service.tickets.open_for_session("h2").id
    view = Desk(service).view(second, StaffUser("wang", "expert"))
    assert first in [t.id for t in view.earlier_tickets]
    assert "h1" in view.earlier_sessions


def test_copilot_gives_answer_sources_and_reminders(service):
    figure = Desk(service).copilot("大额存单起存金额是多少？")
    assert "20万元" in figure.answer.text
    assert figure.answer.citations[0].id == "card-deposit-large-cd-threshold"
    wealth = Desk(service).copilot("理财产品能保证本金吗")
    assert "不保证本金" in wealth.answer.text
    assert [c.id for c in wealth.answer.citations] == ["card-wealth-principal-not-guaranteed", "doc-wealth"]
    assert any("禁用表述" in r and "不保证本金" in r for r in wealth.reminders)  # the card's 话术提醒


@pytest.mark.parametrize("draft, rule", [
    ("这款产品稳赚不赔。", "forbidden_phrase"),
    ("您的卡号6222021234567890123已冻结。", "card_number"),
    ("请核对身份证110101199003071234。", "id_number"),
    ("我们会致电13812345678。", "phone_number"),
    ("这只基金去年收益很好，推荐您购买。", "missing_risk_disclosure"),
])
def test_compliance_check_rules(draft, rule):
    assert rule in {f.rule for f in check_draft(draft)}


def test_compliant_wealth_draft_passes():
    draft = "理财非存款，产品有风险，投资须谨慎。该产品风险等级为R2，不保证本金和收益。"
    assert check_draft(draft) == []


def test_deadline_stored_for_complaints(service):
    ticket = service.tickets.get(service.chat("dl", "我要投诉你们网点").answer.ticket_id)
    assert (ticket.deadline - utcnow()).days in (14, 15)


def test_console_redraws_a_ticket_without_asking_the_engine_again(service, settings, monkeypatch):
    # Opening a ticket (clicking its row) asks the engine for a suggested reply; claiming, sending and
    # resolving only redraw what the database holds, and each redraws the queue as well.
    import types

    import gradio as gr

    from chatbot.web.staff_ui import build_staff_ui

    staff = StaffDirectory.from_settings(settings)
    console = build_staff_ui(Desk(service, staff), staff)
    handlers = {function.name: function.fn for function in console.fns.values()}
    ticket_id = service.chat("c-redraw", "我要投诉你们网点的柜员").answer.ticket_id
    request = types.SimpleNamespace(username="wang")
    asked = []
    ask = service.assistant.ask
    monkeypatch.setattr(service.assistant, "ask", lambda *args, **kwargs: asked.append(args) or ask(*args, **kwargs))
    row = gr.SelectData(None, {"index": [0, 1], "value": "高", "row_value": [ticket_id, "高", "客户投诉"]})
    current, info, transcript, events, suggestion, draft, findings = handlers["select"](row, request)
    assert current == ticket_id and asked and "建议回复" in suggestion and draft
    asked.clear()
    counts, rows, info, transcript, events = handlers["claim"](ticket_id, request)
    assert "状态：处理中" in info and [r[3:5] for r in rows if r[0] == ticket_id] == [["处理中", "wang"]]
    findings, draft, counts, rows, info, transcript, events = handlers["send"](
        ticket_id, "您好，您的投诉已登记，我们会在15日内答复。", request)
    assert "已发送" in findings and draft == "" and "投诉已登记" in transcript  # the draft is cleared
    with pytest.raises(gr.Error, match="处理说明"):
        handlers["resolve"](ticket_id, "已登记投诉", "", "", request)
    counts, rows, info, transcript, events = handlers["resolve"](ticket_id, "已登记投诉", "已转网点负责人", "", request)
    assert "状态：已解决" in info and ticket_id not in [r[0] for r in rows]
    assert asked == []
