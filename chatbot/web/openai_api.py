"""An OpenAI-compatible endpoint, so chat front ends and bank middleware that speak that protocol can
use XiaoBao as a "model": `POST /v1/chat/completions` (streamed or not) and `GET /v1/models`.

The last user message is the question, the earlier user and assistant messages are the history (system
messages are ignored: the assistant's behaviour is not the caller's to change), the answer text is the
content. What a plain chat completion cannot say travels in the extra top-level field `xiaobao`
(the last chunk when streaming): outcome, citations, confidence, ticket id, hand-off reason, the
clarification options, the session token and whether the identity was verified. Every turn is recorded
like the page's, so hand-offs open tickets and the gap report sees the questions.

Keys come from `CHATBOT_API_KEYS` (`Authorization: Bearer …`); with none configured every request is
refused. Optional `session_id` (the token a response returned: the turns join one conversation) and
`identity_token` (the bank's signed customer identity, web/identity.py) go in the request body
(`extra_body` in the official client).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
import time
from typing import Annotated, Any, Iterator, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from ..config import Settings
from ..conversations.service import ChatService, Turn
from ..knowledge.splitter import count_tokens
from ..payloads import Answer
from .api import MAX_REQUEST_CHARS, UNAVAILABLE, Text, Token
from .identity import verify_identity
from .sessions import SessionSigner

logger = logging.getLogger(__name__)

EXTRA_FIELD = "xiaobao"
MAX_MESSAGES = 100
HISTORY_TURNS = 20  # as many earlier messages as the page's conversations keep


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    text: Text = ""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Annotated[Text, Field(max_length=MAX_REQUEST_CHARS)] | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content if part.type == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="ignore")
    include_usage: bool = False


class CompletionRequest(BaseModel):
    """The fields of OpenAI's request that mean something here; sampling parameters are accepted and ignored
    (the approved answers are not sampled)."""

    model_config = ConfigDict(extra="ignore")
    model: str
    messages: Annotated[list[ChatMessage], Field(min_length=1, max_length=MAX_MESSAGES)]
    stream: bool = False
    stream_options: StreamOptions | None = None
    session_id: Token | None = None
    identity_token: Annotated[Text, Field(max_length=4096)] | None = None


class OpenAIError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error", code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.kind, self.code = status, message, kind, code

    def response(self) -> JSONResponse:
        headers = {"www-authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse({"error": {"message": self.message, "type": self.kind, "param": None, "code": self.code}},
                            status_code=self.status, headers=headers)


def api_keys(settings: Settings) -> list[str]:
    return [key.strip() for key in re.split(r"[,;]", settings.api_keys) if key.strip()]


def authorized(header: str | None, keys: list[str]) -> bool:
    """A `Bearer` key that is one of the configured ones (constant-time per key)."""
    scheme, _, key = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return False
    given = key.strip().encode()
    return any([hmac.compare_digest(given, known.encode()) for known in keys])


def split_conversation(messages: list[ChatMessage]) -> tuple[str, list[dict]]:
    """(question, history): the last message must be the customer's; earlier user/assistant turns are history."""
    if messages[-1].role != "user" or not messages[-1].text().strip():
        raise OpenAIError(400, "The last message must be a non-empty user message.", code="invalid_messages")
    history = [{"role": m.role, "content": m.text()} for m in messages[:-1] if m.role in {"user", "assistant"}]
    return messages[-1].text(), history[-HISTORY_TURNS:]


def extra_fields(answer: Answer, session_token: str, verified: bool) -> dict:
    """The documented extra field: what the `/api/chat` response says beyond the text."""
    fields = answer.to_api()
    fields.pop("answer")
    options = getattr(answer, "options", None)
    if options:
        fields["options"] = list(options)
    return fields | {"session_id": session_token, "identity_verified": verified}


def openai_router(service: ChatService, signer: SessionSigner) -> APIRouter:
    settings = service.settings
    router = APIRouter()

    def check_key(request: Request) -> None:
        keys = api_keys(settings)
        if not keys:
            raise OpenAIError(401, "The OpenAI-compatible API is not enabled (CHATBOT_API_KEYS is empty).",
                              "authentication_error", "api_disabled")
        if not authorized(request.headers.get("authorization"), keys):
            raise OpenAIError(401, "Incorrect API key provided.", "authentication_error", "invalid_api_key")

    def model_card() -> dict:
        return {"id": settings.openai_model_id, "object": "model", "created": 0, "owned_by": settings.bank_name}

    @router.get("/v1/models")
    def models(request: Request):
        try:
            check_key(request)
        except OpenAIError as error:
            return error.response()
        return {"object": "list", "data": [model_card()]}

    @router.get("/v1/models/{model_id}")
    def model(model_id: str, request: Request):
        try:
            check_key(request)
            if model_id != settings.openai_model_id:
                raise OpenAIError(404, f"The model '{model_id[:64]}' does not exist.", code="model_not_found")
        except OpenAIError as error:
            return error.response()
        return model_card()

    @router.post("/v1/chat/completions")
    async def completions(request: Request):
        try:
            check_key(request)
            try:
                body = CompletionRequest.model_validate_json(await request.body())
            except ValidationError as error:
                # Where it was wrong, never the input (it may hold personal data).
                where = "; ".join(".".join(map(str, e["loc"])) + ": " + e["msg"] for e in error.errors()[:5])
                raise OpenAIError(400, f"Invalid request: {where}") from None
            if body.model != settings.openai_model_id:
                raise OpenAIError(404, f"The model '{body.model[:64]}' does not exist.", code="model_not_found")
            question, history = split_conversation(body.messages)
        except OpenAIError as error:
            return error.response()
        session_id, token, _ = signer.resolve(body.session_id)
        customer = verify_identity(body.identity_token, settings)
        completion = Completion(settings.openai_model_id, question, token, customer is not None)
        events = service.stream(session_id, question, customer_id=customer, history=history)
        if body.stream:
            include_usage = bool(body.stream_options and body.stream_options.include_usage)
            return StreamingResponse(completion.sse(events, include_usage), media_type="text/event-stream",
                                     headers={"cache-control": "no-cache", "x-accel-buffering": "no"})
        try:
            # The turn runs in a worker thread: in this async route it would hold the event loop (and every
            # other request of the process) for as long as the LLM takes.
            turn = await run_in_threadpool(lambda: next(item for item in events if isinstance(item, Turn)))
        except Exception as error:
            logger.error("completion failed error=%s", type(error).__name__, exc_info=error)
            return OpenAIError(500, UNAVAILABLE, "server_error").response()
        return completion.whole(turn)

    return router


class Completion:
    """One chat completion in OpenAI's shapes: the whole object, or its chunks as server-sent events."""

    def __init__(self, model: str, question: str, session_token: str, verified: bool):
        self.id = "chatcmpl-" + secrets.token_hex(12)
        self.created = int(time.time())
        self.model, self.question = model, question
        self.session_token, self.verified = session_token, verified

    def usage(self, text: str) -> dict:
        prompt, completion = count_tokens(self.question), count_tokens(text)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def whole(self, turn: Turn) -> dict:
        answer = turn.answer
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text, "refusal": None},
                             "finish_reason": "stop", "logprobs": None}],
                "usage": self.usage(answer.text),
                EXTRA_FIELD: extra_fields(answer, self.session_token, self.verified)}

    def chunk(self, delta: dict, finish_reason: str | None = None, **extra: Any) -> str:
        payload = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                   "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}], **extra}
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    def sse(self, events: Iterator, include_usage: bool) -> Iterator[str]:
        """Text as the assistant produces it; the hand-off's next steps (added once the ticket exists) as a
        last delta. When the final answer does not continue what was streamed (an LLM answer that failed
        the final checks was replaced by the approved one), `xiaobao.replaced` is true and
        `xiaobao.answer` holds the text to show instead."""
        yield self.chunk({"role": "assistant", "content": ""})
        shown = ""
        replaced = False
        try:
            for item in events:
                if isinstance(item, Turn):
                    text = item.answer.text
                    extra = extra_fields(item.answer, self.session_token, self.verified)
                    if not replaced and text.startswith(shown):
                        if text[len(shown):]:
                            yield self.chunk({"content": text[len(shown):]})
                    else:
                        extra |= {"replaced": True, "answer": text}
                    yield self.chunk({}, "stop", **{EXTRA_FIELD: extra})
                    if include_usage:
                        payload = {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                                   "model": self.model, "choices": [], "usage": self.usage(text)}
                        yield f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"
                elif item.kind == "replace":
                    replaced = replaced or bool(shown)
                    if not shown:
                        shown = item.text
                        yield self.chunk({"content": item.text})
                else:
                    shown += item.text
                    yield self.chunk({"content": item.text})
        except Exception as error:  # the stream has started: the error travels as an event
            logger.error("completion stream failed error=%s", type(error).__name__, exc_info=error)
            yield f"data: {json.dumps({'error': {'message': UNAVAILABLE, 'type': 'server_error'}}, ensure_ascii=False)}\n\n"
        yield "data: [DONE]\n\n"
