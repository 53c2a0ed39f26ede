"""FastAPI app: JSON API under /api; the Gradio chat is mounted at / by `create_app`."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from fastapi import FastAPI
from pydantic import BaseModel, Field

from .assistant import Assistant

logger = logging.getLogger(__name__)

MAX_TURNS_KEPT = 20


class ChatRequest(BaseModel):
    session_id: str = Field(min_length=1, max_length=128)
    message: str = Field(max_length=20000)


class SessionStore:
    """Conversation history per session (the last turns, enough for follow-ups)."""

    def __init__(self):
        self._turns: dict[str, list[dict]] = defaultdict(list)
        self._lock = threading.Lock()

    def history(self, session_id: str) -> list[dict]:
        with self._lock:
            return list(self._turns[session_id])

    def append(self, session_id: str, user: str, assistant: str) -> None:
        with self._lock:
            turns = self._turns[session_id]
            turns.extend([{"role": "user", "content": user}, {"role": "assistant", "content": assistant}])
            del turns[:-MAX_TURNS_KEPT]


def create_api(assistant: Assistant, sessions: SessionStore | None = None) -> FastAPI:
    app = FastAPI(title="消保智答 XiaoBao", docs_url="/api/docs", openapi_url="/api/openapi.json")
    sessions = sessions or SessionStore()
    app.state.assistant = assistant
    app.state.sessions = sessions

    @app.post("/api/chat")
    def chat(request: ChatRequest) -> dict:
        answer = assistant.ask(request.message, sessions.history(request.session_id))
        if request.message.strip():
            sessions.append(request.session_id, request.message, answer.text)
        return answer.to_api()

    @app.get("/api/health")
    def health() -> dict:
        units = assistant.retriever.size
        return {"status": "ok" if units else "degraded", "index_units": units,
                "llm": "disabled", "embeddings": assistant.retriever.embeddings.model_id}

    return app
