"""The SQL tables of conversations, messages and hand-off tickets, on one declarative base.

Every table is defined here, so creating the schema (`db.Database`) needs nothing but this module.
The live hand-off keeps its state in tables of its own (takeovers, ticket events, presence, callbacks)
keyed by ticket or session id: `create_all` adds them to an existing database, and every replica
reads the same state.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..sql import utcnow


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    __tablename__ = "conversations"

    session_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(128), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("conversations.session_id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # user | assistant | expert
    content: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))
    confidence: Mapped[float | None] = mapped_column(Float)
    handoff_reason: Mapped[str | None] = mapped_column(String(64))
    matched_id: Mapped[str | None] = mapped_column(String(128))
    topic: Mapped[str | None] = mapped_column(String(64))
    citations: Mapped[str | None] = mapped_column(Text)  # JSON list
    latency_ms: Mapped[float | None] = mapped_column(Float)
    feedback: Mapped[int | None] = mapped_column(Integer)  # +1 / -1
    author: Mapped[str | None] = mapped_column(String(64))  # the expert who wrote it
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    def as_turn(self) -> dict:
        """The message as the engine reads history: role, text and, for answers, the outcome (a second
        clarifying question in a row hands off)."""
        turn = {"role": "assistant" if self.role == "expert" else self.role, "content": self.content}
        if self.role == "assistant" and self.outcome:
            turn["outcome"] = self.outcome
        return turn


class FeedbackReason(Base):
    """Why a 👎 was given, when the customer picked a reason (答非所问, 信息有误…). A table of its own, so
    databases made before it need no migration; rows of erased or expired messages are swept with them."""

    __tablename__ = "feedback_reasons"

    message_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ClarifyOptions(Base):
    """The options of a clarifying question (您想问的是以下哪个问题？), so that a reload shows the same buttons
    and a tap still answers the chosen card. A table of its own, like the 👎 reasons: no migration."""

    __tablename__ = "clarify_options"

    message_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    options: Mapped[str] = mapped_column(Text)  # JSON list of {"id": card id, "question": standard question}


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(128), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(128), index=True)
    reason: Mapped[str] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    owner: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of citations
    deadline: Mapped[dt.datetime] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolution: Mapped[str | None] = mapped_column(String(32))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    care_gesture: Mapped[str | None] = mapped_column(Text)  # 客户关怀基金 used, if any

    @property
    def source_list(self) -> list[dict]:
        return json.loads(self.sources or "[]")


class Takeover(Base):
    """A ticket's live hand-off: the message that triggered it, which role's queue may claim it, and
    whether the customer was told that their messages now go to the expert."""

    __tablename__ = "takeovers"

    ticket_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(128), index=True)
    trigger_message_id: Mapped[int | None] = mapped_column(Integer)
    queue: Mapped[str] = mapped_column(String(32), default="expert")  # the role whose members may claim it
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class TicketEvent(Base):
    """What happened to a ticket, by whom and when: created, escalated, claimed, transferred, resolved…"""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(String(32), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))  # a staff name, "customer" or "assistant"
    kind: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON

    @property
    def details(self) -> dict:
        return json.loads(self.detail or "{}")


class CustomerPresence(Base):
    """The customer's page during a hand-off: its last heartbeat and when the customer last typed."""

    __tablename__ = "customer_presence"

    session_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    typing_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class StaffPresence(Base):
    """When a staff member's console last checked in (an expert is online while it keeps doing so)."""

    __tablename__ = "staff_presence"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime)


class Callback(Base):
    """A callback number the customer left with consent, for one ticket; the number is encrypted."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(String(32), index=True)
    session_id: Mapped[str] = mapped_column(String(128), index=True)
    phone_sealed: Mapped[str] = mapped_column(Text)  # Fernet token of the number
    phone_masked: Mapped[str] = mapped_column(String(32))  # what may be shown anywhere else
    consent_text: Mapped[str] = mapped_column(Text)  # the wording the customer agreed to
    consented_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ErasureRecord(Base):
    """That personal data was erased (on request or by retention) and how much: never what or whose."""

    __tablename__ = "erasure_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))  # customer | session | retention
    by: Mapped[str] = mapped_column(String(64))  # the staff member, or "cli", "retention-job"
    counts: Mapped[str] = mapped_column(Text, default="{}")  # JSON: rows deleted per kind of data


class HealthProbe(Base):
    """One row that /api/health writes, so that a read-only database shows as not ok."""

    __tablename__ = "health_probe"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
