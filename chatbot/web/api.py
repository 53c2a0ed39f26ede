"""FastAPI app: the JSON API under /api. The Gradio chat is mounted at / by `app.create_app`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from ..conversations.service import ChatService

logger = logging.getLogger(__name__)


class ChatRequest(BaseModel):
    session_id: str = Field(min_length=1, max_length=128)
    message: str = Field(max_length=100_000)
    customer_id: str | None = Field(None, max_length=128, description="The website's customer id, if logged in.")


class FeedbackRequest(BaseModel):
    session_id: str = Field(min_length=1, max_length=128)
    message_id: int
    value: int = Field(description="1 for 👍, -1 for 👎")


class HandoffRequest(BaseModel):
    session_id: str = Field(min_length=1, max_length=128)
    customer_id: str | None = Field(None, max_length=128)


def create_api(service: ChatService) -> FastAPI:
    app = FastAPI(title="消保智答 XiaoBao", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.state.service = service

    @app.post("/api/chat")
    def chat(request: ChatRequest) -> dict:
        turn = service.chat(request.session_id, request.message, customer_id=request.customer_id)
        return turn.answer.to_api() | {"message_id": turn.answer_message_id}

    @app.post("/api/feedback")
    def feedback(request: FeedbackRequest) -> dict:
        if not service.feedback(request.message_id, request.value, request.session_id):
            raise HTTPException(404, "没有找到这条回答")
        return {"ok": True}

    @app.post("/api/handoff")
    def handoff(request: HandoffRequest) -> dict:
        turn = service.request_human(request.session_id, customer_id=request.customer_id)
        return turn.answer.to_api() | {"message_id": turn.answer_message_id}

    @app.get("/api/messages")
    def messages(session_id: str, after_id: int = 0) -> dict:
        """The conversation (for reloads) and new expert replies (for polling)."""
        return {"messages": [
            {"id": m.id, "role": m.role, "content": m.content, "outcome": m.outcome, "feedback": m.feedback}
            for m in service.conversations.messages(session_id, after_id=after_id)
        ]}

    @app.get("/api/health")
    def health() -> dict:
        assistant = service.assistant
        units = assistant.retriever.size
        llm = assistant.llm_status.state if assistant.llm_status else "disabled"
        return {
            "status": "ok" if units and llm != "degraded" else "degraded",
            "index_units": units,
            "index_generation": assistant.retriever.generation,
            "embeddings": assistant.retriever.embeddings.model_id,
            "llm": llm,
            "llm_error": assistant.llm_status.last_error if assistant.llm_status else None,
        }

    return app
