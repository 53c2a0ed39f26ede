"""Hand-off tickets: durable, with an atomic claim so that exactly one expert wins."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..pii import mask_pii
from .db import Database
from .models import Ticket, utcnow

PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2}
OPEN_STATUSES = ("open", "claimed")


logger = logging.getLogger(__name__)
CREATE_ATTEMPTS = 5


def new_ticket_id(now: dt.datetime) -> str:
    """The day and 64 random bits: unguessable, and a collision is astronomically rare (and retried)."""
    return f"XB{now:%y%m%d}-{secrets.token_hex(8).upper()}"


class TicketStore:
    def __init__(self, db: Database):
        self.db = db

    def open_for_session(self, session_id: str) -> Ticket | None:
        with self.db.session() as session:
            query = select(Ticket).where(Ticket.session_id == session_id, Ticket.status.in_(OPEN_STATUSES)) \
                .order_by(Ticket.created_at.desc())
            return session.scalars(query).first()

    def create(self, *, session_id: str, reason: str, priority: str, deadline: dt.datetime, summary: str = "",
               sources: list[dict] | None = None, customer_id: str | None = None) -> Ticket:
        """Create a ticket, or return the session's open one (raising its priority if needed)."""
        existing = self.open_for_session(session_id)
        if existing:
            if PRIORITY_ORDER.get(priority, 2) < PRIORITY_ORDER.get(existing.priority, 2):
                with self.db.session.begin() as session:
                    session.execute(update(Ticket).where(Ticket.id == existing.id).values(
                        priority=priority, reason=reason, deadline=min(deadline, existing.deadline),
                        updated_at=utcnow()))
                return self.get(existing.id)
            return existing
        now = utcnow()
        for attempt in range(CREATE_ATTEMPTS):
            ticket = Ticket(id=self.new_id(now), session_id=session_id, customer_id=customer_id, reason=reason,
                            priority=priority, status="open", summary=summary, deadline=deadline,
                            sources=json.dumps(sources or [], ensure_ascii=False), created_at=now, updated_at=now)
            try:
                with self.db.session.begin() as session:
                    session.add(ticket)
                return ticket
            except IntegrityError:
                logger.warning("ticket id collision attempt=%s", attempt + 1)
        raise RuntimeError("no free ticket id after several attempts")

    new_id = staticmethod(new_ticket_id)  # tests replace it to force a collision

    def get(self, ticket_id: str) -> Ticket | None:
        with self.db.session() as session:
            return session.get(Ticket, ticket_id)

    def queue(self) -> list[Ticket]:
        """Open and claimed tickets, most urgent first, then by deadline."""
        with self.db.session() as session:
            tickets = list(session.scalars(select(Ticket).where(Ticket.status.in_(OPEN_STATUSES))))
        return sorted(tickets, key=lambda t: (PRIORITY_ORDER.get(t.priority, 9), t.deadline, t.created_at))

    def for_customer(self, customer_id: str | None, session_id: str) -> list[Ticket]:
        with self.db.session() as session:
            condition = Ticket.customer_id == customer_id if customer_id else Ticket.session_id == session_id
            return list(session.scalars(select(Ticket).where(condition).order_by(Ticket.created_at)))

    def claim(self, ticket_id: str, expert: str) -> bool:
        """Atomic: a single conditional UPDATE, so of two experts claiming at once exactly one wins."""
        with self.db.session.begin() as session:
            result = session.execute(
                update(Ticket).where(Ticket.id == ticket_id, Ticket.status == "open")
                .values(status="claimed", owner=expert, claimed_at=utcnow(), updated_at=utcnow()))
            return result.rowcount == 1

    def resolve(self, ticket_id: str, expert: str, resolution: str, note: str = "",
                care_gesture: str | None = None) -> bool:
        with self.db.session.begin() as session:
            result = session.execute(
                update(Ticket).where(Ticket.id == ticket_id, Ticket.status == "claimed", Ticket.owner == expert)
                .values(status="resolved", resolution=resolution, resolution_note=mask_pii(note),
                        care_gesture=mask_pii(care_gesture) if care_gesture else None,
                        resolved_at=utcnow(), updated_at=utcnow()))
            return result.rowcount == 1

    def counts(self) -> dict[str, int]:
        counts = {"open": 0, "claimed": 0, "urgent": 0, "high": 0, "normal": 0}
        for ticket in self.queue():
            counts[ticket.status] += 1
            counts[ticket.priority] = counts.get(ticket.priority, 0) + 1
        return counts
