"""The live hand-off (issue 14) without a browser: the expert's conversation (the assistant stays quiet),
ticket content from the moment of hand-off, the suggested reply and co-pilot written for an expert,
callback numbers with consent, 首问负责制 and transfers, and what the staff API shows to whom."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import stat

import pytest
from fastapi.testclient import TestClient

from chatbot.conversations.callbacks import erase_callbacks_for
from chatbot.conversations.db import Database
from chatbot.conversations.models import utcnow
from chatbot.conversations.erasure import REGISTRY, DataEraser
from chatbot.conversations.service import TAKEOVER_ACK, ChatService
from chatbot.errors import CallbackError, DeskError
from chatbot.sealing import KEY_FILE, Sealer, new_key
from chatbot.staff.accounts import StaffDirectory, hash_password
from chatbot.staff.desk import Desk
from chatbot.staff.suggest import default_replies, expert_voice
from chatbot.web.api import create_api
from chatbot.web.staff_api import staff_router
from tests.conftest import make_settings

PASSWORDS = {"wang": "expert-pass", "zhao": "expert2-pass", "root": "admin-pass"}
ROLES = {"wang": "expert:王芳", "zhao": "expert:赵强", "root": "admin:主管"}
ALWAYS_OPEN = {"office_weekdays": "1234567", "office_open": "00:00", "office_close": "24:00"}
PHONE = "13812345678"


@pytest.fixture(scope="module")
def staff_users() -> str:
    entries = []
    for name, password in PASSWORDS.items():
        role, display = ROLES[name].split(":")
        entries.append(f"{name}:{role}:{hash_password(password, iterations=1000)}:{display}")
    return ";".join(entries)


@pytest.fixture
def settings(demo_data_dir, staff_users):
    return make_settings(demo_data_dir, staff_users=staff_users, data_key=new_key(), **ALWAYS_OPEN)


@pytest.fixture
def staff(settings):
    return StaffDirectory.from_settings(settings)


@pytest.fixture
def service(demo_assistant, settings, staff, tmp_path):
    return ChatService(demo_assistant, Database(f"sqlite:///{tmp_path / 'handoff.sqlite'}"), settings,
                       expert_names=staff.display_name)


@pytest.fixture
def desk(service, staff):
    return Desk(service, staff)


@pytest.fixture
def client(service, desk, staff):
    app = create_api(service)
    app.include_router(staff_router(desk, staff))
    return TestClient(app)


def _auth(name):
    return (name, PASSWORDS[name])


# --- 1. takeover ---------------------------------------------------------------------------------


def test_the_expert_has_the_conversation_until_resolved(service, desk, staff):
    handed = service.chat("t1", "我要投诉你们网点的柜员态度太差")
    ticket_id = handed.answer.ticket_id
    assert handed.agent.state == "waiting" and handed.agent.ticket_id == ticket_id

    first = service.chat("t1", "我在城东支行办的业务")  # waiting: one acknowledgement, no answer
    assert first.answer.outcome == "handoff" and first.answer.ticket_id == ticket_id
    assert first.answer.text == TAKEOVER_ACK
    again = service.chat("t1", "信用卡免息期最长多少天？")  # an answerable question: still not answered
    assert again.answer.text == "" and again.answer_message_id is None

    desk.claim(ticket_id, staff.get("wang"))
    serving = service.chat("t1", "好的，那大概什么时候有结果？")
    assert serving.answer.text == "" and serving.agent.state == "serving" and serving.agent.expert == "王芳"
    roles = [m.role for m in service.conversations.messages("t1")]
    assert roles == ["user", "assistant", "user", "assistant", "user", "user"]  # the ack is the only reply

    desk.resolve(ticket_id, staff.get("wang"), "complaint_registered", "已登记，转网点负责人")
    assert service.live.state("t1").state == "ended"
    back = service.chat("t1", "信用卡免息期最长多少天？")
    assert back.answer.outcome == "answered" and "56天" in back.answer.text and back.agent is None


def test_the_customer_may_go_back_to_the_assistant(service):
    ticket_id = service.chat("t2", "我要转人工").answer.ticket_id
    service.leave_callback("t2", PHONE, consent=True)
    turn = service.return_to_assistant("t2")
    assert ticket_id in turn.answer.text and "继续向我提问" in turn.answer.text
    assert service.tickets.get(ticket_id).status == "returned"
    assert service.callbacks.for_ticket(ticket_id) is None  # the number goes with the request
    assert [e.kind for e in service.tickets.events(ticket_id)][-1] == "returned"
    assert service.chat("t2", "信用卡免息期最长多少天？").answer.outcome == "answered"
    assert service.return_to_assistant("t2") is None


def test_api_reports_the_agent_during_takeover(client, desk, staff):
    handed = client.post("/api/chat", json={"message": "我要投诉你们网点"}).json()
    assert handed["agent"]["state"] == "waiting" and handed["agent"]["ticket_id"] == handed["ticket_id"]
    desk.claim(handed["ticket_id"], staff.get("wang"))
    during = client.post("/api/chat", json={"session_id": handed["session_id"], "message": "还在吗"}).json()
    assert during["outcome"] == "handoff" and during["ticket_id"] == handed["ticket_id"]
    assert during["agent"] == {"state": "serving", "ticket_id": handed["ticket_id"], "expert": "王芳", "ahead": None,
                               "office_hours": True, "experts_online": True, "callback_offered": False,
                               "callback_left": None}
    assert during["answer"] == ""
    assert client.post("/api/chat", json={"message": "信用卡免息期最长多少天？"}).json()["agent"] is None


def test_a_more_urgent_handoff_escalates_the_open_ticket(service):
    complaint = service.chat("t5", "我要投诉你们网点").answer.ticket_id
    fraud = service.chat("t5", "有人冒充公安让我把钱转到安全账户，我刚转了两万")
    assert fraud.answer.ticket_id == complaint and "110" in fraud.answer.text  # the safety steps are said
    ticket = service.tickets.get(complaint)
    assert (ticket.reason, ticket.priority) == ("fraud_in_progress", "urgent")
    assert "疑似正在遭遇诈骗" in ticket.summary and "此前转人工原因：客户投诉" in ticket.summary
    assert "触发消息：有人冒充公安" in ticket.summary
    escalated = [e for e in service.tickets.events(complaint) if e.kind == "escalated"][0]
    assert escalated.details["from_reason"] == "complaint" and escalated.details["reason"] == "fraud_in_progress"


def test_presence_typing_and_away(service, settings):
    service.chat("t6", "我要转人工")
    assert service.live.customer_presence("t6") == "online"
    assert service.live.customer_typing("t6") and not service.live.customer_typing("t6")  # throttled
    assert service.live.customer_presence("t6") == "typing"
    later = utcnow() + dt.timedelta(seconds=settings.customer_away_seconds + 5)
    assert service.live.customer_presence("t6", now=later) == "away"
    assert not service.live.customer_typing("no-handoff")  # nothing written for a session without one


def test_callback_offered_only_when_no_expert_is_available(service, desk, staff):
    handed = service.chat("t7", "我要转人工")
    assert handed.agent.callback_offered and not handed.agent.experts_online
    assert "留下电话号码" in handed.answer.text and "暂时都不在线" in handed.answer.text
    desk.heartbeat(staff.get("zhao"))  # an expert's console checks in
    assert not service.live.state("t7").callback_offered
    sunday_night = dt.datetime(2026, 3, 1, 15, 0)
    closed = make_settings(service.settings.data_dir, office_weekdays="12345")
    from chatbot.conversations.handoff import HandoffPolicy

    text = HandoffPolicy(closed).next_steps("XB1", "normal", sunday_night, experts_online=True)
    assert "非工作时间" in text and "留下您的电话号码" in text


# --- 2. ticket content ---------------------------------------------------------------------------


def test_fraud_ticket_summary_and_suggestion_come_from_the_fraud_message(service, desk, staff):
    service.chat("t8", "个人征信报告一年能免费查几次？")
    service.chat("t8", "信用卡年费怎么免？")
    ticket_id = service.chat("t8", "有人冒充公安让我把钱转到安全账户，我刚转了两万").answer.ticket_id
    ticket = service.tickets.get(ticket_id)
    assert ticket.reason == "fraud_in_progress"
    assert "征信" not in ticket.summary and "年费" not in ticket.summary
    assert "触发消息：有人冒充公安让我把钱转到安全账户" in ticket.summary

    view = desk.open(ticket_id, staff.get("wang"))
    text = view.suggestion.text
    assert "110" in text and "止付" in text and "反诈专员王芳" in text  # safety steps, then what the expert does
    assert "年费" not in text and "转接" not in text
    assert view.suggestion.answer.citations[0].id == "card-handoff-fraud-in-progress"
    trigger = [m for m in view.transcript if m.id in view.trigger_ids]
    assert [m.content for m in trigger] == ["有人冒充公安让我把钱转到安全账户，我刚转了两万"]


def test_what_the_customer_adds_updates_the_summary(service):
    ticket_id = service.chat("t9", "我要投诉你们网点").answer.ticket_id
    service.chat("t9", "城东支行的柜员让我等了两个小时")
    assert "客户补充：城东支行的柜员让我等了两个小时" in service.tickets.get(ticket_id).summary


def test_complaint_suggestion_is_never_the_bots_handoff_text(service, desk, staff):
    ticket_id = service.chat("t10", "我要投诉你们网点的柜员").answer.ticket_id
    text = desk.open(ticket_id, staff.get("wang")).suggestion.text
    assert "我已为您转接" not in text and "投诉受理专员王芳" in text and ticket_id in text and "15日" in text


def test_low_confidence_suggestion_answers_what_the_customer_added(service, desk, staff):
    ticket_id = service.chat("t11", "示例银行支持开通数字人民币钱包吗？").answer.ticket_id
    service.chat("t11", "另外信用卡免息期最长多少天？")
    suggestion = desk.open(ticket_id, staff.get("wang")).suggestion
    assert "56天" in suggestion.text and suggestion.text.startswith("您好，我是人工专家王芳。")


def test_copilot_writes_for_an_expert(desk, staff):
    fraud = desk.copilot("有人冒充客服让我把钱转到安全账户", viewer=staff.get("wang"))
    assert "转接" not in fraud.text and "【需人工处理】" in fraud.text and "110" in fraud.text
    human = desk.copilot("我要转人工", viewer=staff.get("wang"))
    assert "我已为您转接人工专家" not in human.text
    assert "56天" in desk.copilot("信用卡免息期最长多少天？").text


def test_expert_voice_keeps_instructions_and_drops_the_handoff():
    phrases = default_replies().handoff_phrases
    assert expert_voice("请立即挂断。我已为您转接人工专家，请保留通话记录和聊天截图。", phrases) == \
        "请立即挂断。请保留通话记录和聊天截图。"
    assert expert_voice("好的，我已为您转接人工专家，请稍候。", phrases) == ""
    assert expert_voice("我已为您转接投诉受理人员，他们会登记；您也可以拨打热线。", phrases) == "您也可以拨打热线。"


# --- 3. callback ---------------------------------------------------------------------------------


def test_callback_needs_consent_and_a_phone_number(service):
    service.chat("t12", "我要转人工")
    with pytest.raises(CallbackError, match="勾选同意"):
        service.leave_callback("t12", PHONE, consent=False)
    with pytest.raises(CallbackError, match="正确的手机号码"):
        service.leave_callback("t12", "12345", consent=True)
    with pytest.raises(CallbackError, match="没有正在等待"):
        service.leave_callback("nobody", PHONE, consent=True)
    turn = service.leave_callback("t12", "138-1234-5678", consent=True)
    assert "138****5678" in turn.answer.text and turn.agent.callback_left == "138****5678"


def test_callback_is_encrypted_and_shown_to_the_assigned_expert_only(service, desk, staff, client, tmp_path):
    ticket_id = service.chat("t13", "我要转人工").answer.ticket_id
    service.leave_callback("t13", PHONE, consent=True)
    with sqlite3.connect(tmp_path / "handoff.sqlite") as connection:  # at rest: neither table holds it in clear
        dump = "\n".join(connection.iterdump())
    assert PHONE not in dump and "138****5678" in dump

    assert desk.view(ticket_id, staff.get("wang")).callback.phone is None  # unclaimed: nobody but admin
    desk.claim(ticket_id, staff.get("wang"))
    assert desk.view(ticket_id, staff.get("wang")).callback.phone == PHONE
    assert desk.view(ticket_id, staff.get("zhao")).callback.phone is None
    assert desk.view(ticket_id, staff.get("root")).callback.phone == PHONE

    owner = client.get(f"/api/staff/tickets/{ticket_id}", auth=_auth("wang")).json()
    other = client.get(f"/api/staff/tickets/{ticket_id}", auth=_auth("zhao"))
    assert owner["callback"]["phone"] == PHONE
    assert PHONE not in other.text and other.json()["callback"] == {"requested": True, "phone": None,
                                                                    "consented_at": None}
    token = client.app.state.signer.token("t13")
    messages = client.get("/api/messages", params={"session_id": token}).text
    assert PHONE not in messages and "138****5678" in messages

    desk.transfer(ticket_id, staff.get("wang"), note="夜班同事回电", to_expert="zhao")
    assert desk.view(ticket_id, staff.get("zhao")).callback.phone == PHONE
    assert desk.view(ticket_id, staff.get("wang")).callback.phone is None


def test_callbacks_are_erased_with_the_customers_data(service, desk, staff):
    """Erasure (by session or by verified customer) goes through the registry: the callback number, the
    takeover, the customer's presence and the ticket record go with the conversation and the ticket."""
    ticket_id = service.chat("t14", "我要转人工").answer.ticket_id
    service.leave_callback("t14", PHONE, consent=True)
    service.live.customer_typing("t14")
    desk.claim(ticket_id, staff.get("wang"))
    other = service.chat("t14b", "我要转人工", customer_id="c-14").answer.ticket_id
    service.leave_callback("t14b", PHONE, consent=True)
    assert {"callbacks", "takeovers", "customer_presence", "ticket_events"} <= {e.name for e in REGISTRY}
    with service.db.session.begin() as session:
        assert erase_callbacks_for(session, ["other-session"]) == 0
    counts = DataEraser(service.db).erase_session("t14", by="test")
    assert counts["callbacks"] == 1 and counts["takeovers"] == 1 and counts["customer_presence"] == 1
    assert counts["ticket_events"] >= 3  # created, callback_left, claimed
    assert service.callbacks.for_ticket(ticket_id) is None and service.tickets.events(ticket_id) == []
    assert service.callbacks.for_ticket(other) is not None  # another customer's is untouched
    assert DataEraser(service.db).erase_customer("c-14", by="test")["callbacks"] == 1
    assert service.callbacks.for_ticket(other) is None and service.tickets.takeover(other) is None


def test_callbacks_of_closed_tickets_are_purged_after_the_retention(service, desk, staff):
    ticket_id = service.chat("t15", "我要转人工").answer.ticket_id
    service.leave_callback("t15", PHONE, consent=True)
    desk.claim(ticket_id, staff.get("wang"))
    desk.resolve(ticket_id, staff.get("wang"), "answered")
    assert service.callbacks.purge_expired() == 0
    later = utcnow() + dt.timedelta(days=service.settings.callback_retention_days + 1)
    assert service.callbacks.purge_expired(later) == 1


def test_data_key_file_is_made_once_and_private(tmp_path):
    settings = make_settings(tmp_path / "data")
    sealed = Sealer.from_settings(settings).seal(PHONE)
    key_file = tmp_path / "data" / KEY_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert Sealer.from_settings(settings).open(sealed) == PHONE  # the same key on the next start
    assert Sealer(new_key()).seal(PHONE) != sealed


# --- 4. 首问负责制 and transfers -----------------------------------------------------------------


def test_first_claimant_owns_and_transfers_need_a_note(service, desk, staff):
    wang, zhao, root = staff.get("wang"), staff.get("zhao"), staff.get("root")
    ticket_id = service.chat("t16", "我要投诉你们网点").answer.ticket_id
    desk.claim(ticket_id, wang)
    with pytest.raises(DeskError, match="首问负责制"):
        desk.reply(ticket_id, zhao, "您好")
    with pytest.raises(DeskError, match="转交说明"):
        desk.transfer(ticket_id, wang, note=" ", to_expert="zhao")
    desk.transfer(ticket_id, wang, note="赵强负责城东支行", to_expert="zhao")
    assert service.tickets.get(ticket_id).owner == "zhao"
    assert desk.reply(ticket_id, zhao, "您好，我是赵强。") == []

    desk.transfer(ticket_id, zhao, note="需主管决定补偿", to_queue="admin")
    assert service.tickets.get(ticket_id).status == "open"
    with pytest.raises(DeskError, match="管理员队列"):
        desk.claim(ticket_id, wang)
    desk.claim(ticket_id, root)
    events = [(e.actor, e.kind, e.note) for e in service.tickets.events(ticket_id)]
    assert ("wang", "transferred", "赵强负责城东支行") in events and ("zhao", "transferred", "需主管决定补偿") in events
    assert [kind for _, kind, _ in events] == ["created", "claimed", "transferred", "transferred", "claimed"]


def test_urgent_and_complaint_tickets_need_an_outcome_and_a_note(service, desk, staff):
    wang = staff.get("wang")
    fraud = service.chat("t17", "有人冒充公安让我把钱转到安全账户，我刚转了两万").answer.ticket_id
    desk.claim(fraud, wang)
    with pytest.raises(DeskError, match="请选择处理结果"):
        desk.resolve(fraud, wang, None, "已止付")
    with pytest.raises(DeskError, match="紧急工单办结时必须填写处理说明"):
        desk.resolve(fraud, wang, "answered", "")
    assert desk.resolve(fraud, wang, "referred", "已提交紧急止付，客户已报警").status == "resolved"

    complaint = service.chat("t18", "我要投诉你们网点").answer.ticket_id
    desk.claim(complaint, wang)
    with pytest.raises(DeskError, match="投诉工单"):
        desk.resolve(complaint, wang, "complaint_registered", "")
    human = service.chat("t19", "我要转人工").answer.ticket_id
    desk.claim(human, wang)
    assert desk.resolve(human, wang, "answered").status == "resolved"  # a normal ticket: no note needed


def test_staff_api_transfer_and_resolve_validation(client, service):
    ticket_id = client.post("/api/chat", json={"message": "我要投诉你们网点"}).json()["ticket_id"]
    client.post(f"/api/staff/tickets/{ticket_id}/claim", auth=_auth("wang"))
    refused = client.post(f"/api/staff/tickets/{ticket_id}/transfer", json={"to_expert": "zhao", "note": ""},
                          auth=_auth("wang"))
    assert refused.status_code == 409 and "转交说明" in refused.json()["detail"]
    moved = client.post(f"/api/staff/tickets/{ticket_id}/transfer", json={"to_expert": "zhao", "note": "换班"},
                        auth=_auth("wang")).json()
    assert moved["owner"] == "zhao"
    unresolved = client.post(f"/api/staff/tickets/{ticket_id}/resolve", json={"resolution": "answered"},
                             auth=_auth("zhao"))
    assert unresolved.status_code == 409 and "处理说明" in unresolved.json()["detail"]
    view = client.get(f"/api/staff/tickets/{ticket_id}", auth=_auth("zhao")).json()
    assert [e["kind"] for e in view["events"]] == ["created", "claimed", "transferred"]
    assert view["events"][-1]["note"] == "换班"


def test_customer_api_callback_and_return(client):
    token = client.post("/api/chat", json={"message": "我要转人工"}).json()["session_id"]
    refused = client.post("/api/callback", json={"session_id": token, "phone": PHONE, "consent": False})
    assert refused.status_code == 422 and "勾选同意" in refused.json()["detail"]
    left = client.post("/api/callback", json={"session_id": token, "phone": PHONE, "consent": True}).json()
    assert left["agent"]["callback_left"] == "138****5678" and left["session_id"] == token
    agent = client.get("/api/agent", params={"session_id": token}).json()
    assert agent["agent"]["state"] == "waiting" and "仅用于就本次咨询回电" in agent["callback_consent"]
    assert client.post("/api/presence", json={"session_id": token, "typing": True}).json() == {"ok": True}
    returned = client.post("/api/handoff/return", json={"session_id": token}).json()
    assert returned["outcome"] == "answered" and returned["agent"] is None
    assert client.post("/api/handoff/return", json={"session_id": token}).status_code == 404


def test_hand_off_endpoints_open_only_the_servers_sessions(client, service):
    """The session ids the hand-off endpoints accept are the server's signed tokens: a bare session id
    (as the desk shows it) or a guessed one opens nothing, and leaves nothing behind."""
    handed = client.post("/api/chat", json={"message": "我要转人工"}).json()
    bare = service.tickets.get(handed["ticket_id"]).session_id
    assert bare != handed["session_id"]
    for guessed in (bare, "t21", handed["session_id"] + "x"):
        assert client.get("/api/agent", params={"session_id": guessed}).status_code == 404
        assert client.post("/api/callback", json={"session_id": guessed, "phone": PHONE, "consent": True}
                           ).status_code == 404
        assert client.post("/api/presence", json={"session_id": guessed, "typing": True}).status_code == 404
        assert client.post("/api/handoff/return", json={"session_id": guessed}).status_code == 404
        assert client.get("/api/messages", params={"session_id": guessed}).status_code == 404
    assert service.callbacks.for_ticket(handed["ticket_id"]) is None
    assert service.tickets.get(handed["ticket_id"]).status == "open"
