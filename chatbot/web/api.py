"""FastAPI app: the JSON API under /api. The Gradio chat is mounted at / by `app.create_app`."""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from ..conversations.callbacks import consent_text
from ..conversations.service import ChatService, Turn
from ..errors import CallbackError

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


class SessionRequest(BaseModel):
    session_id: str = Field(min_length=1, max_length=128)


class CallbackRequest(BaseModel):
    session_id: str = Field(min_length=1, max_length=128)
    phone: str = Field(max_length=32, description="A mobile number, or a landline with its area code.")
    consent: bool = Field(description="The customer ticked the consent text (GET /api/agent returns it).")


class PresenceRequest(BaseModel):
    session_id: str = Field(min_length=1, max_length=128)
    typing: bool = Field(False, description="The customer is typing (shown to the expert as 客户正在输入…).")


def turn_response(turn: Turn) -> dict:
    """`/api/chat`'s shape plus the stored message id and, during a hand-off, `agent` (its state)."""
    return turn.answer.to_api() | {"message_id": turn.answer_message_id,
                                   "agent": turn.agent.to_api() if turn.agent else None}


def create_api(service: ChatService) -> FastAPI:
    app = FastAPI(title="消保智答 XiaoBao", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.state.service = service

    @app.post("/api/chat")
    def chat(request: ChatRequest) -> dict:
        turn = service.chat(request.session_id, request.message, customer_id=request.customer_id)
        return turn_response(turn)

    @app.post("/api/feedback")
    def feedback(request: FeedbackRequest) -> dict:
        if not service.feedback(request.message_id, request.value, request.session_id):
            raise HTTPException(404, "没有找到这条回答")
        return {"ok": True}

    @app.post("/api/handoff")
    def handoff(request: HandoffRequest) -> dict:
        turn = service.request_human(request.session_id, customer_id=request.customer_id)
        return turn_response(turn)

    @app.post("/api/handoff/return")
    def return_to_assistant(request: SessionRequest) -> dict:
        """"返回智能助手": closes the session's open hand-off request; the assistant answers again."""
        turn = service.return_to_assistant(request.session_id)
        if turn is None:
            raise HTTPException(404, "没有正在进行的人工服务请求")
        return turn_response(turn)

    @app.post("/api/callback")
    def callback(request: CallbackRequest) -> dict:
        try:
            turn = service.leave_callback(request.session_id, request.phone, consent=request.consent)
        except CallbackError as error:
            raise HTTPException(422, str(error)) from error
        return turn_response(turn)

    @app.get("/api/agent")
    def agent(session_id: str) -> dict:
        """The hand-off state (null when the assistant serves the session) and the callback consent text."""
        state = service.live.state(session_id)
        return {"agent": state.to_api() if state else None, "callback_consent": consent_text(service.settings)}

    @app.post("/api/presence")
    def presence(request: PresenceRequest) -> dict:
        """A heartbeat from the customer's page during a hand-off (the expert sees 客户已离开 without one)."""
        if request.typing:
            service.live.customer_typing(request.session_id)
        elif service.tickets.open_for_session(request.session_id):
            service.live.customer_seen(request.session_id)
        return {"ok": True}

    @app.get("/api/messages")
    def messages(session_id: str, after_id: int = 0) -> dict:
        """The conversation (for reloads) and new expert replies (for polling), with the hand-off state."""
        names = service.live.expert_names
        state = service.live.state(session_id)
        return {"messages": [
            {"id": m.id, "role": m.role, "content": m.content, "outcome": m.outcome, "feedback": m.feedback,
             "expert": names(m.author) if m.role == "expert" and m.author else None}
            for m in service.conversations.messages(session_id, after_id=after_id)
        ], "agent": state.to_api() if state else None}

    @app.get("/api/health")
    def health() -> dict:
        assistant = service.assistant
        units = assistant.retriever.size
        llm = assistant.llm_status.state if assistant.llm_status else "disabled"
        return {
            "status": "ok" if units and llm != "degraded" else "degraded",
            "index_units": units,
            "embeddings": assistant.retriever.embeddings.model_id,
            "llm": llm,
            "llm_error": assistant.llm_status.last_error if assistant.llm_status else None,
        }

    return app
