"""`POST /api/survey`: the customer's satisfaction rating of a conversation (1–5 stars, an optional
comment), once per conversation. The session is the server-signed token the chat responses gave."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from ..conversations.service import ChatService
from ..conversations.survey import COMMENT_LIMIT, SURVEY_ALREADY, SURVEY_THANKS
from .sessions import SessionSigner


class SurveyRequest(BaseModel):
    session_id: str = Field(min_length=1, max_length=256)
    stars: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=COMMENT_LIMIT)


def add_survey_route(app: FastAPI, service: ChatService, signer: SessionSigner) -> None:
    @app.post("/api/survey")
    def survey(request: SurveyRequest) -> dict:
        session_id = signer.verify(request.session_id)
        if session_id is None or not service.conversations.messages(session_id):
            raise HTTPException(404, "没有找到该会话，请重新开始对话。")
        stored = service.surveys.submit(session_id, request.stars, request.comment)
        return {"stored": stored, "message": SURVEY_THANKS if stored else SURVEY_ALREADY}
