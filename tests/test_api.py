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


def test_chat_and_follow_up_in_one_session(client):
    first = client.post("/api/chat", json={"session_id": "s1", "message": "对投诉处理决定不满意怎么办？"}).json()
    assert first["outcome"] == "answered"
    follow = client.post("/api/chat", json={"session_id": "s1", "message": "那要在多久之内提出？"}).json()
    assert "30日" in follow["answer"]
    assert {"outcome", "answer", "citations", "confidence", "ticket_id", "handoff_reason"} <= set(follow)


def test_session_survives_a_restart(tmp_path, demo_assistant, demo_data_dir):
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    settings = make_settings(demo_data_dir)
    first = TestClient(create_api(ChatService(demo_assistant, Database(url), settings)))
    first.post("/api/chat", json={"session_id": "s9", "message": "对投诉处理决定不满意怎么办？"})
    second = TestClient(create_api(ChatService(demo_assistant, Database(url), settings)))  # a new worker
    follow = second.post("/api/chat", json={"session_id": "s9", "message": "那要在多久之内提出？"}).json()
    assert "30日" in follow["answer"]


def test_handoff_creates_a_ticket(client, service):
    reply = client.post("/api/chat", json={"session_id": "s2", "message": "我要投诉你们网点的柜员"}).json()
    assert reply["outcome"] == "handoff" and reply["handoff_reason"] == "complaint"
    assert reply["ticket_id"] and reply["ticket_id"] in reply["answer"]
    ticket = service.tickets.get(reply["ticket_id"])
    assert ticket.priority == "high" and ticket.status == "open"
    assert "投诉你们网点的柜员" in ticket.summary


def test_human_button_and_feedback(client, service):
    answer = client.post("/api/chat", json={"session_id": "s3", "message": "信用卡年费怎么免？"}).json()
    assert client.post("/api/feedback", json={"session_id": "s3", "message_id": answer["message_id"],
                                              "value": -1}).json() == {"ok": True}
    stored = [m for m in service.conversations.messages("s3") if m.id == answer["message_id"]][0]
    assert stored.feedback == -1
    human = client.post("/api/handoff", json={"session_id": "s3"}).json()
    assert human["outcome"] == "handoff" and human["ticket_id"]


def test_feedback_on_someone_elses_message_is_refused(client):
    answer = client.post("/api/chat", json={"session_id": "s4", "message": "信用卡年费怎么免？"}).json()
    response = client.post("/api/feedback", json={"session_id": "other", "message_id": answer["message_id"],
                                                  "value": 1})
    assert response.status_code == 404


def test_expert_reply_reaches_the_customer(client, service):
    client.post("/api/chat", json={"session_id": "s5", "message": "转人工"})
    service.conversations.add_expert("s5", "您好，我是专家小王，已为您核实。", author="wang")
    messages = client.get("/api/messages", params={"session_id": "s5"}).json()["messages"]
    assert messages[-1]["role"] == "expert" and "专家小王" in messages[-1]["content"]


def test_long_and_empty_messages_get_clear_answers(client):
    long = client.post("/api/chat", json={"session_id": "s6", "message": "我" * 1500}).json()
    assert long["outcome"] == "refused" and "1000" in long["answer"]
    empty = client.post("/api/chat", json={"session_id": "s6", "message": ""}).json()
    assert "请输入" in empty["answer"]


def test_pii_is_masked_in_the_record(client, service):
    client.post("/api/chat", json={"session_id": "s7", "message": "我的卡号6222021234567890123丢了怎么办"})
    stored = service.conversations.messages("s7")[0].content
    assert "6222021234567890123" not in stored and "6222" in stored


def test_health(client):
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["index_units"] > 500 and health["llm"] == "disabled"


def test_bad_request_is_a_clear_422(client):
    assert client.post("/api/chat", json={"message": "hi"}).status_code == 422
