"""FastAPI app: the JSON API under /api. The Gradio chat is mounted at / by `app.create_app`.

Sessions are the server's: `session_id` in a request is the token a response gave (web/sessions.py); a
request without one, or with one this server did not sign, starts a new conversation and the response
carries its token. A customer id comes only from a verified identity token (web/identity.py).
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, Field

from ..conversations.callbacks import consent_text
from ..conversations.service import ChatService, Turn
from ..errors import CallbackError
from .identity import verify_identity
from .sessions import SessionSigner

logger = logging.getLogger(__name__)

MAX_REQUEST_CHARS = 20_000  # beyond this a message is not read at all (422); up to it, too long = polite refusal
MAX_ID = 2**63 - 1  # the databases' integer range
UNAVAILABLE = "服务暂时不可用，请稍后再试。"
NO_SESSION = "没有找到该会话，请重新开始对话。"


def _no_surrogates(text: str) -> str:
    if any("\ud800" <= char <= "\udfff" for char in text):
        raise ValueError("text holds unpaired surrogates (not valid Unicode)")
    return text


Text = Annotated[str, AfterValidator(_no_surrogates)]
Token = Annotated[str, Field(min_length=1, max_length=256), AfterValidator(_no_surrogates)]


class ChatRequest(BaseModel):
    session_id: Token | None = Field(None, description="The token of an earlier response; omit to start a session.")
    message: Annotated[Text, Field(max_length=MAX_REQUEST_CHARS)]
    identity_token: Annotated[Text, Field(max_length=4096)] | None = Field(
        None, description="The bank website's signed identity of a logged-in customer (JWT, HS256).")
    customer_id: Annotated[Text, Field(max_length=128)] | None = Field(
        None, description="Ignored: a customer id is accepted only inside a verified identity_token.")
    choice: Annotated[Text, Field(max_length=128)] | None = Field(
        None, description="The id of the option picked from a clarifying question (outcome \"clarify\"); "
        "the message is that option's question.")


class FeedbackRequest(BaseModel):
    session_id: Token
    message_id: int = Field(ge=1, le=MAX_ID)
    value: Literal[1, -1] = Field(description="1 for 👍, -1 for 👎")


class HandoffRequest(BaseModel):
    session_id: Token | None = None
    identity_token: Annotated[Text, Field(max_length=4096)] | None = None
    customer_id: Annotated[Text, Field(max_length=128)] | None = Field(None, description="Ignored (see /api/chat).")


class SessionRequest(BaseModel):
    session_id: Token


class CallbackRequest(BaseModel):
    session_id: Token
    phone: Annotated[Text, Field(max_length=32, description="A mobile number, or a landline with its area code.")]
    consent: bool = Field(description="The customer ticked the consent text (GET /api/agent returns it).")


class PresenceRequest(BaseModel):
    session_id: Token
    typing: bool = Field(False, description="The customer is typing (shown to the expert as 客户正在输入…).")


def turn_response(turn: Turn, token: str) -> dict:
    """`/api/chat`'s shape plus the stored message id, the session token and, during a hand-off, `agent`."""
    return turn.answer.to_api() | {"message_id": turn.answer_message_id, "session_id": token,
                                   "agent": turn.agent.to_api() if turn.agent else None}


def create_api(service: ChatService, signer: SessionSigner | None = None) -> FastAPI:
    # No public schema or docs: they would list the staff endpoints to anyone.
    app = FastAPI(title="消保智答 XiaoBao", docs_url=None, redoc_url=None, openapi_url=None)
    signer = signer or SessionSigner.from_settings(service.settings)
    app.state.service, app.state.signer = service, signer
    settings = service.settings

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        # What was wrong and where, never the input itself (it may hold personal data).
        return JSONResponse({"detail": [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""),
                                         "type": e.get("type", "")} for e in error.errors()]}, status_code=422)

    @app.exception_handler(Exception)
    async def failed(request: Request, error: Exception) -> JSONResponse:
        logger.error("request failed path=%s error=%s", request.url.path, type(error).__name__, exc_info=error)
        return JSONResponse({"detail": UNAVAILABLE}, status_code=500)

    def session_of(token: str | None) -> tuple[str, str]:
        session_id, token, _ = signer.resolve(token)
        return session_id, token

    def existing_session(token: str) -> str:
        session_id = signer.verify(token)
        if session_id is None:
            raise HTTPException(404, NO_SESSION)
        return session_id

    @app.post("/api/chat")
    def chat(request: ChatRequest) -> dict:
        session_id, token = session_of(request.session_id)
        customer = verify_identity(request.identity_token, settings)
        turn = service.chat(session_id, request.message, customer_id=customer, choice=request.choice)
        return turn_response(turn, token) | {"identity_verified": customer is not None}

    @app.post("/api/feedback")
    def feedback(request: FeedbackRequest) -> dict:
        if not service.feedback(request.message_id, request.value, existing_session(request.session_id)):
            raise HTTPException(404, "没有找到这条回答")
        return {"ok": True}

    @app.post("/api/handoff")
    def handoff(request: HandoffRequest) -> dict:
        session_id, token = session_of(request.session_id)
        customer = verify_identity(request.identity_token, settings)
        turn = service.request_human(session_id, customer_id=customer)
        return turn_response(turn, token)

    @app.post("/api/handoff/return")
    def return_to_assistant(request: SessionRequest) -> dict:
        """"返回智能助手": closes the session's open hand-off request; the assistant answers again."""
        turn = service.return_to_assistant(existing_session(request.session_id))
        if turn is None:
            raise HTTPException(404, "没有正在进行的人工服务请求")
        return turn_response(turn, request.session_id)

    @app.post("/api/callback")
    def callback(request: CallbackRequest) -> dict:
        session_id = existing_session(request.session_id)
        try:
            turn = service.leave_callback(session_id, request.phone, consent=request.consent)
        except CallbackError as error:
            raise HTTPException(422, str(error)) from error
        return turn_response(turn, request.session_id)

    @app.get("/api/agent")
    def agent(session_id: Annotated[str, Query(min_length=1, max_length=256)]) -> dict:
        """The hand-off state (null when the assistant serves the session) and the callback consent text."""
        state = service.live.state(existing_session(session_id))
        return {"agent": state.to_api() if state else None, "callback_consent": consent_text(service.settings)}

    @app.post("/api/presence")
    def presence(request: PresenceRequest) -> dict:
        """A heartbeat from the customer's page during a hand-off (the expert sees 客户已离开 without one)."""
        session_id = existing_session(request.session_id)
        if request.typing:
            service.live.customer_typing(session_id)
        elif service.tickets.open_for_session(session_id):
            service.live.customer_seen(session_id)
        return {"ok": True}

    @app.get("/api/messages")
    def messages(session_id: Annotated[str, Query(min_length=1, max_length=256)],
                 after_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> dict:
        """The conversation (for reloads) and new expert replies (for polling), with the hand-off state."""
        session = existing_session(session_id)
        names = service.live.expert_names
        state = service.live.state(session)
        found = service.conversations.messages(session, after_id=after_id)
        # Polls bring nothing new most of the time: the options are read only for a new clarifying question.
        options = service.conversations.clarify_options(session) if any(m.outcome == "clarify" for m in found) else {}
        return {"messages": [
            {"id": m.id, "role": m.role, "content": m.content, "outcome": m.outcome, "feedback": m.feedback,
             "expert": names(m.author) if m.role == "expert" and m.author else None,
             "options": [option.to_dict() for option in options.get(m.id, ())]}
            for m in found
        ], "agent": state.to_api() if state else None}

    @app.get("/api/health")
    def health() -> dict:
        assistant = service.assistant
        units = assistant.retriever.size
        llm = assistant.llm_status.state if assistant.llm_status else "disabled"
        writable = service.db.check_writable()
        return {
            "status": "ok" if units and llm != "degraded" and writable else "degraded",
            "index_units": units,
            "index_generation": assistant.retriever.generation,
            "embeddings": assistant.retriever.embeddings.model_id,
            "llm": llm,
            "llm_error": assistant.llm_status.last_error if assistant.llm_status else None,
            "database": "ok" if writable else "not writable",
        }

    return app
