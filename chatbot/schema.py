"""Strict schemas for hand-written knowledge: cards and document metadata."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .text import normalize

Topic = Literal[
    "rights", "complaints", "cards_accounts", "fraud", "credit_card", "loans", "credit_report",
    "privacy", "wealth_insurance", "deposits_fees", "handoff", "refuse",
]

_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,120}$"
# The answer of a card draft from the gap report (chatbot/staff/gap_drafts.py) until a manager writes it.
DRAFT_PLACEHOLDER = "【待填写】"


class SourceRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc: str = Field(pattern=_ID_PATTERN)
    article: str = ""


class Card(BaseModel):
    """A knowledge card: one customer question with its approved answer."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^card-[a-z0-9-]+$")
    title: str = Field(min_length=2)
    topic: Topic
    kind: Literal["answer", "handoff", "refuse"] = "answer"
    question: str = Field(min_length=2)
    similar_questions: list[str] = Field(min_length=3)
    # Questions on this card's subject that its answer does not answer (another fee, channel, time…): a
    # customer's question closer to one of them than to every phrasing above is not answered with this card.
    not_answered: list[str] = Field(default_factory=list)
    answer: str = Field(min_length=5)
    sources: list[SourceRef] = Field(min_length=1)
    risk_tier: Literal["low", "medium", "high"]
    # A hand-off card's ticket priority; without it, that of the rule saying the same card, else high for a high-risk
    # card and normal for others. Money just sent to a scammer or taken from the card is urgent (FACTS §11).
    priority: Literal["urgent", "high", "normal"] | None = None
    effective_date: dt.date
    effective_to: dt.date | None = None
    version: int = 1
    tags: list[str] = Field(default_factory=list)
    reminders: list[str] = Field(default_factory=list)

    @field_validator("answer")
    @classmethod
    def _not_a_draft(cls, value: str) -> str:
        if DRAFT_PLACEHOLDER in value:
            raise ValueError(f"answer is still the draft placeholder {DRAFT_PLACEHOLDER}: write the approved answer")
        return value

    @field_validator("similar_questions", "not_answered")
    @classmethod
    def _no_blank_questions(cls, value: list[str]) -> list[str]:
        if any(not q.strip() for q in value):
            raise ValueError("question lists must not contain empty entries")
        return value

    @model_validator(mode="after")
    def _not_answered_is_no_phrasing(self) -> "Card":
        if self.not_answered and self.kind != "answer":
            raise ValueError("not_answered is for answer cards: a hand-off or refusal card answers nothing")
        if self.priority and self.kind != "handoff":
            raise ValueError("priority is for hand-off cards: it is the priority of the ticket they open")
        own = {normalize(q) for q in (self.question, *self.similar_questions)}
        both = [q for q in self.not_answered if normalize(q) in own]
        if both:
            raise ValueError(f"not_answered repeats one of the card's own questions: {both[0]}")
        return self


class DocMeta(BaseModel):
    """Front matter or sidecar of a policy document."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^doc-[a-z0-9-]+$")
    title: str = Field(min_length=2)
    version: str = "1"
    effective_date: dt.date
    effective_to: dt.date | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value):
        return str(value)
