"""The JSON API, through FastAPI's test client (real app, real assistant)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from chatbot.api import create_api


def test_chat_and_follow_up_in_one_session(demo_assistant):
    client = TestClient(create_api(demo_assistant))
    first = client.post("/api/chat", json={"session_id": "s1", "message": "对投诉处理决定不满意怎么办？"}).json()
    assert first["outcome"] == "answered"
    follow = client.post("/api/chat", json={"session_id": "s1", "message": "那要在多久之内提出？"}).json()
    assert "30日" in follow["answer"]
    assert set(follow) == {"outcome", "answer", "citations", "confidence", "ticket_id", "handoff_reason"}


def test_health(demo_assistant):
    health = TestClient(create_api(demo_assistant)).get("/api/health").json()
    assert health["status"] == "ok" and health["index_units"] > 500


def test_bad_request_is_a_clear_422(demo_assistant):
    response = TestClient(create_api(demo_assistant)).post("/api/chat", json={"message": "hi"})
    assert response.status_code == 422
