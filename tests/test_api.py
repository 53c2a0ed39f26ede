"""The JSON API through FastAPI's test client (real app, real assistant, SQLite in tmp)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from chatbot.conversations.db import Database
from chatbot.conversations.service import ChatService
from chatbot.web.api import create_api
from tests.conftest import make_settings


@pytest.fixture
def service(tmp_path, demo_assistant, demo_data_dir):
    settings = make_settings(demo_data_dir)
    return ChatService(demo_assistant, Database(f"sqlite:///{tmp_path / 'app.sqlite'}"), settings)


@pytest.fixture
def client(service):
    return TestClient(create_api(service))


def _chat(client, message: str, session: str | None = None) -> dict:
    """A customer turn; the session is the token the server gave (None: a new conversation)."""
    return client.post("/api/chat", json={"message": message} | ({"session_id": session} if session else {})).json()


def _session_of(service, token: str) -> str:
    from chatbot.web.sessions import SessionSigner

    return SessionSigner.from_settings(service.settings).verify(token)


def test_chat_and_follow_up_in_one_session(client):
    first = _chat(client, "对投诉处理决定不满意怎么办？")
    assert first["outcome"] == "answered" and first["session_id"]
    follow = _chat(client, "那要在多久之内提出？", first["session_id"])
    assert "30日" in follow["answer"] and follow["session_id"] == first["session_id"]
    assert {"outcome", "answer", "citations", "confidence", "ticket_id", "handoff_reason"} <= set(follow)


def test_session_survives_a_restart(tmp_path, demo_assistant, demo_data_dir):
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    settings = make_settings(demo_data_dir)
    first = TestClient(create_api(ChatService(demo_assistant, Database(url), settings)))
    token = _chat(first, "对投诉处理决定不满意怎么办？")["session_id"]
    second = TestClient(create_api(ChatService(demo_assistant, Database(url), settings)))  # a new worker
    follow = _chat(second, "那要在多久之内提出？", token)
    assert "30日" in follow["answer"]


def test_handoff_creates_a_ticket(client, service):
    reply = _chat(client, "我要投诉你们网点的柜员")
    assert reply["outcome"] == "handoff" and reply["handoff_reason"] == "complaint"
    assert reply["ticket_id"] and reply["ticket_id"] in reply["answer"]
    ticket = service.tickets.get(reply["ticket_id"])
    assert ticket.priority == "high" and ticket.status == "open"
    assert "投诉你们网点的柜员" in ticket.summary


def test_human_button_and_feedback(client, service):
    answer = _chat(client, "信用卡年费怎么免？")
    token = answer["session_id"]
    assert client.post("/api/feedback", json={"session_id": token, "message_id": answer["message_id"],
                                              "value": -1}).json() == {"ok": True}
    stored = [m for m in service.conversations.messages(_session_of(service, token))
              if m.id == answer["message_id"]][0]
    assert stored.feedback == -1
    human = client.post("/api/handoff", json={"session_id": token}).json()
    assert human["outcome"] == "handoff" and human["ticket_id"] and human["session_id"] == token


def test_feedback_on_someone_elses_message_is_refused(client):
    answer = _chat(client, "信用卡年费怎么免？")
    other = _chat(client, "信用卡免息期最长多少天？")["session_id"]
    response = client.post("/api/feedback", json={"session_id": other, "message_id": answer["message_id"],
                                                  "value": 1})
    assert response.status_code == 404


def test_expert_reply_reaches_the_customer(client, service):
    token = _chat(client, "转人工")["session_id"]
    service.conversations.add_expert(_session_of(service, token), "您好，我是专家小王，已为您核实。", author="wang")
    messages = client.get("/api/messages", params={"session_id": token}).json()["messages"]
    assert messages[-1]["role"] == "expert" and "专家小王" in messages[-1]["content"]


def test_long_and_empty_messages_get_clear_answers(client):
    long = _chat(client, "我" * 1500)
    assert long["outcome"] == "refused" and "1000" in long["answer"]
    empty = _chat(client, "", long["session_id"])
    assert "请输入" in empty["answer"]


def test_pii_is_masked_in_the_record(client, service):
    token = _chat(client, "我的卡号6222021234567890123丢了怎么办")["session_id"]
    stored = service.conversations.messages(_session_of(service, token))[0].content
    assert "6222021234567890123" not in stored and "6222" in stored


def test_health(client):
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["index_units"] > 500 and health["llm"] == "disabled"


def test_bad_request_is_a_clear_422(client):
    assert client.post("/api/chat", json={"session_id": "s1"}).status_code == 422


def test_a_reload_gets_the_clarifying_options_back(client):
    asked = _chat(client, "房贷想一把还清，咋操作")
    assert asked["outcome"] == "clarify" and asked["options"]
    messages = client.get("/api/messages", params={"session_id": asked["session_id"]}).json()["messages"]
    assert messages[-1]["outcome"] == "clarify" and messages[-1]["options"] == asked["options"]
    assert messages[0]["options"] == []  # the customer's own message offers nothing


def test_polling_reads_clarifying_options_only_when_a_new_message_offers_some(client, service):
    """Pages poll /api/messages every few seconds during a hand-off: a poll that brings nothing new (or no
    clarifying question) does not read the stored options (it did on every call)."""
    from sqlalchemy import event

    asked = _chat(client, "房贷想一把还清，咋操作")
    last = client.get("/api/messages", params={"session_id": asked["session_id"]}).json()["messages"][-1]["id"]
    statements: list[str] = []
    listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(service.db.engine, "before_cursor_execute", listener)
    try:
        polled = client.get("/api/messages", params={"session_id": asked["session_id"], "after_id": last}).json()
    finally:
        event.remove(service.db.engine, "before_cursor_execute", listener)
    assert polled["messages"] == []
    assert not [s for s in statements if "clarify_options" in s], statements
