"""Erasure of a customer's data (by verified customer id or by session) and the retention job.

Every table that holds data about a customer registers a `PersonalData` entry: how to delete its rows
for a set of sessions (and a customer id), and how to delete rows older than a cutoff. Erasure and
retention iterate over the registry, so a table added later (callback phone numbers, surveys) is
covered once it registers itself with `register()`. Each run leaves an `ErasureRecord` with the
counts — never the ids or the content.

Logs are not rewritten: they hold no unmasked card, ID or phone number (chatbot/logsafe.py) and are
rotated by the operator.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from .db import Database
from .models import ClarifyOptions, Conversation, ErasureRecord, FeedbackReason, Message, Ticket, utcnow
from .ops_models import AnswerAudit, InspectionHit, Survey
from .personal_data import HANDOFF_DATA

logger = logging.getLogger(__name__)

Eraser = Callable[[Session, list[str], str | None], int]  # (db session, session ids, customer id) -> rows
Expirer = Callable[[Session, dt.datetime], int]  # (db session, cutoff) -> rows


@dataclass(frozen=True)
class PersonalData:
    name: str
    erase: Eraser
    expire: Expirer | None = None  # None: its rows go with their sessions (the `erase` of expired sessions)


REGISTRY: list[PersonalData] = []


def register(entry: PersonalData) -> PersonalData:
    """Add a table of per-customer data to erasure and retention (once per name)."""
    REGISTRY[:] = [e for e in REGISTRY if e.name != entry.name] + [entry]
    return entry


def _erase_messages(db: Session, sessions: list[str], customer: str | None) -> int:
    # Feedback (👍/👎) and the gap report's questions live on the messages.
    return db.execute(delete(Message).where(Message.session_id.in_(sessions))).rowcount if sessions else 0


def _orphans_of(table) -> Eraser:
    """The sweeper of a table keyed by message id (👎 reasons, clarifying options): rows whose message is gone
    (erased with its session, or expired with it)."""
    def sweep(db: Session, *_) -> int:
        return db.execute(delete(table).where(table.message_id.not_in(select(Message.id)))).rowcount
    return sweep


def _erase_tickets(db: Session, sessions: list[str], customer: str | None) -> int:
    conditions = [Ticket.session_id.in_(sessions)] if sessions else []
    if customer:
        conditions.append(Ticket.customer_id == customer)
    return db.execute(delete(Ticket).where(or_(*conditions))).rowcount if conditions else 0


def _expire_tickets(db: Session, cutoff: dt.datetime) -> int:
    return db.execute(delete(Ticket).where(Ticket.updated_at < cutoff)).rowcount


def _erase_conversations(db: Session, sessions: list[str], customer: str | None) -> int:
    return db.execute(delete(Conversation).where(Conversation.session_id.in_(sessions))).rowcount if sessions else 0


def _by_sessions(table) -> Eraser:
    """The eraser of a table whose rows belong to a conversation (they expire with it)."""
    def erase(db: Session, sessions: list[str], customer: str | None) -> int:
        return db.execute(delete(table).where(table.session_id.in_(sessions))).rowcount if sessions else 0
    return erase


# Order matters for foreign keys: messages before their conversations.
register(PersonalData("messages", _erase_messages))
register(PersonalData("feedback_reasons", _orphans_of(FeedbackReason), _orphans_of(FeedbackReason)))
register(PersonalData("clarify_options", _orphans_of(ClarifyOptions), _orphans_of(ClarifyOptions)))
register(PersonalData("tickets", _erase_tickets, _expire_tickets))
register(PersonalData("conversations", _erase_conversations))
# The live hand-off's tables (callbacks, takeovers, presence, ticket events), after the tickets.
for _name, _erase, _expire in HANDOFF_DATA:
    register(PersonalData(_name, _erase, _expire))
# The operations tables (ops_models): ratings, the answers' audit trail, inspection hits.
register(PersonalData("surveys", _by_sessions(Survey)))
register(PersonalData("answer_audit", _by_sessions(AnswerAudit)))
register(PersonalData("inspection_hits", _by_sessions(InspectionHit)))


class DataEraser:
    def __init__(self, db: Database):
        self.db = db

    def erase_customer(self, customer_id: str, *, by: str) -> dict[str, int]:
        with self.db.session.begin() as db:
            sessions = list(db.scalars(select(Conversation.session_id).where(Conversation.customer_id == customer_id)))
            sessions += [s for s in db.scalars(select(Ticket.session_id).where(Ticket.customer_id == customer_id))
                         if s not in sessions]
            return self._erase(db, sessions, customer_id, kind="customer", by=by)

    def erase_session(self, session_id: str, *, by: str) -> dict[str, int]:
        with self.db.session.begin() as db:
            return self._erase(db, [session_id], None, kind="session", by=by)

    def enforce_retention(self, days: int, *, by: str = "retention-job", now: dt.datetime | None = None) -> dict[str, int]:
        """Delete every conversation not active for `days` days, with everything registered about it."""
        cutoff = (now or utcnow()) - dt.timedelta(days=days)
        with self.db.session.begin() as db:
            sessions = list(db.scalars(select(Conversation.session_id).where(Conversation.updated_at < cutoff)))
            counts = {entry.name: 0 for entry in REGISTRY}
            for batch in _batches(sessions, 500):
                for entry in REGISTRY:
                    counts[entry.name] += entry.erase(db, batch, None)
            for entry in REGISTRY:
                if entry.expire is not None:
                    counts[entry.name] += entry.expire(db, cutoff)
            self._audit(db, "retention", by, counts)
        logger.info("retention enforced days=%s counts=%s", days, counts)
        return counts

    def _erase(self, db: Session, sessions: list[str], customer: str | None, *, kind: str, by: str) -> dict[str, int]:
        counts = {entry.name: 0 for entry in REGISTRY}
        for batch in _batches(sessions, 500) or [[]]:
            for entry in REGISTRY:
                counts[entry.name] += entry.erase(db, batch, customer)
        self._audit(db, kind, by, counts)
        logger.info("personal data erased kind=%s by=%s counts=%s", kind, by, counts)
        return counts

    @staticmethod
    def _audit(db: Session, kind: str, by: str, counts: dict[str, int]) -> None:
        db.add(ErasureRecord(kind=kind, by=by[:64], counts=json.dumps(counts, sort_keys=True)))

    def audit_log(self, last: int = 50) -> list[ErasureRecord]:
        with self.db.session() as db:
            return list(db.scalars(select(ErasureRecord).order_by(ErasureRecord.id.desc()).limit(last)))


def _batches(items: Iterable[str], size: int) -> list[list[str]]:
    items = list(items)
    return [items[n:n + size] for n in range(0, len(items), size)]
