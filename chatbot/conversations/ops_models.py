"""The operations tables, on the conversations' declarative base: what produced each answer (the audit
trail), satisfaction surveys, quality-inspection hits and rule-set versions, and the staff action log.

`db.Database` imports this module, so `create_all` adds these tables to an existing database. The staff
action log is append-only: the code has no path that updates or deletes it, and the database refuses
both (a trigger on SQLite and on PostgreSQL), so nobody changes it through the application.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import DDL, DateTime, Float, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, utcnow


class AnswerAudit(Base):
    """Why one assistant message said what it said: the index generation that served it, the card and
    its version or the passages, the confidence and checks, the outcome and reason, the LLM model."""

    __tablename__ = "answer_audit"

    message_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # messages.id of the answer
    session_id: Mapped[str] = mapped_column(String(128), index=True)
    generation: Mapped[int | None] = mapped_column(Integer)  # the served index generation's number
    collection: Mapped[str | None] = mapped_column(String(128))
    card_id: Mapped[str | None] = mapped_column(String(128))
    card_version: Mapped[int | None] = mapped_column(Integer)
    passages: Mapped[str] = mapped_column(Text, default="[]")  # JSON: cited document/article ids
    confidence: Mapped[float | None] = mapped_column(Float)
    checks: Mapped[str] = mapped_column(Text, default="{}")  # JSON: decided by, rule, retrieved, signals
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    llm_model: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def details(self) -> dict:
        return {"passages": json.loads(self.passages or "[]"), "checks": json.loads(self.checks or "{}")}


class Survey(Base):
    """A customer's satisfaction rating of one conversation (once per conversation)."""

    __tablename__ = "surveys"

    session_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    ticket_id: Mapped[str | None] = mapped_column(String(32), index=True)
    stars: Mapped[int] = mapped_column(Integer)  # 1–5
    comment: Mapped[str] = mapped_column(Text, default="")  # PII-masked
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class InspectionHit(Base):
    """One rule of the quality inspection (智能质检) that matched one message."""

    __tablename__ = "inspection_hits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(Integer, index=True)
    session_id: Mapped[str] = mapped_column(String(128), index=True)
    ticket_id: Mapped[str | None] = mapped_column(String(32), index=True)
    role: Mapped[str] = mapped_column(String(16))  # user | assistant | expert
    author: Mapped[str | None] = mapped_column(String(64))  # the expert, for expert messages
    category: Mapped[str] = mapped_column(String(32), index=True)
    rule_id: Mapped[str] = mapped_column(String(64))
    excerpt: Mapped[str] = mapped_column(String(200), default="")  # PII-masked
    ruleset_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)


class InspectionRuleSet(Base):
    """One saved version of the inspection rules (YAML); the highest version is in force."""

    __tablename__ = "inspection_rulesets"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class StaffAction(Base):
    """One staff action: who, when, what (append-only)."""

    __tablename__ = "staff_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")  # a ticket id, a file, a rule-set version…
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON, no personal data


APPEND_ONLY_MESSAGE = "staff_actions is append-only"
_SQLITE_TRIGGERS = [
    DDL(f"CREATE TRIGGER IF NOT EXISTS staff_actions_no_{verb.lower()} BEFORE {verb} ON staff_actions "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END").execute_if(dialect="sqlite")
    for verb in ("UPDATE", "DELETE")
]
_POSTGRES_TRIGGERS = [
    DDL("CREATE OR REPLACE FUNCTION staff_actions_append_only() RETURNS trigger AS $$ "
        f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END; $$ LANGUAGE plpgsql").execute_if(dialect="postgresql"),
    DDL("CREATE TRIGGER staff_actions_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON staff_actions "
        "FOR EACH STATEMENT EXECUTE FUNCTION staff_actions_append_only()").execute_if(dialect="postgresql"),
]
for _ddl in _SQLITE_TRIGGERS + _POSTGRES_TRIGGERS:
    event.listen(StaffAction.__table__, "after_create", _ddl)
