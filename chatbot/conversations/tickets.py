"""Hand-off tickets: durable, with an atomic claim so that exactly one expert wins, and a record of every
step (ticket_events): who, when, what, and the note that a transfer or a resolution needs."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..pii import mask_pii
from .db import Database
from .models import Takeover, Ticket, TicketEvent, utcnow

PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2}
OPEN_STATUSES = ("open", "claimed")
DEFAULT_QUEUE = "expert"  # any expert (and admin) may claim; "admin": only admins


logger = logging.getLogger(__name__)
CREATE_ATTEMPTS = 5


def new_ticket_id(now: dt.datetime) -> str:
    """The day and 64 random bits: unguessable, and a collision is astronomically rare (and retried)."""
    return f"XB{now:%y%m%d}-{secrets.token_hex(8).upper()}"


def more_urgent(priority: str, than: str) -> bool:
    return PRIORITY_ORDER.get(priority, 2) < PRIORITY_ORDER.get(than, 2)


def _record(session, ticket_id: str, actor: str, kind: str, note: str = "", **detail) -> None:
    session.add(TicketEvent(ticket_id=ticket_id, at=utcnow(), actor=actor, kind=kind, note=mask_pii(note or ""),
                            detail=json.dumps(detail, ensure_ascii=False)))


class TicketStore:
    def __init__(self, db: Database):
        self.db = db

    # --- reading -------------------------------------------------------------------------------

    def get(self, ticket_id: str) -> Ticket | None:
        with self.db.session() as session:
            return session.get(Ticket, ticket_id)

    def open_for_session(self, session_id: str) -> Ticket | None:
        with self.db.session() as session:
            query = select(Ticket).where(Ticket.session_id == session_id, Ticket.status.in_(OPEN_STATUSES)) \
                .order_by(Ticket.created_at.desc())
            return session.scalars(query).first()

    def latest_for_session(self, session_id: str) -> Ticket | None:
        with self.db.session() as session:
            query = select(Ticket).where(Ticket.session_id == session_id).order_by(Ticket.created_at.desc())
            return session.scalars(query).first()

    def takeover(self, ticket_id: str) -> Takeover | None:
        with self.db.session() as session:
            return session.get(Takeover, ticket_id)

    def queue_of(self, ticket_id: str) -> str:
        found = self.takeover(ticket_id)
        return found.queue if found else DEFAULT_QUEUE

    def events(self, ticket_id: str) -> list[TicketEvent]:
        with self.db.session() as session:
            query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
            return list(session.scalars(query))

    def queue(self) -> list[Ticket]:
        """Open and claimed tickets, most urgent first, then by deadline."""
        with self.db.session() as session:
            tickets = list(session.scalars(select(Ticket).where(Ticket.status.in_(OPEN_STATUSES))))
        return sorted(tickets, key=lambda t: (PRIORITY_ORDER.get(t.priority, 9), t.deadline, t.created_at))

    def queues(self, ticket_ids: list[str]) -> dict[str, str]:
        """Which role's queue each ticket is in."""
        with self.db.session() as session:
            found = dict(session.execute(select(Takeover.ticket_id, Takeover.queue)
                                         .where(Takeover.ticket_id.in_(ticket_ids))).all())
        return {ticket_id: found.get(ticket_id, DEFAULT_QUEUE) for ticket_id in ticket_ids}

    def waiting_ahead(self, ticket: Ticket) -> int:
        """Unclaimed tickets an expert would take before this one (same or higher priority, earlier)."""
        order = PRIORITY_ORDER.get(ticket.priority, 2)
        return sum(1 for other in self.queue() if other.status == "open" and other.id != ticket.id and (
            PRIORITY_ORDER.get(other.priority, 2) < order
            or (PRIORITY_ORDER.get(other.priority, 2) == order and other.created_at < ticket.created_at)))

    def for_customer(self, customer_id: str | None, session_id: str) -> list[Ticket]:
        with self.db.session() as session:
            condition = Ticket.customer_id == customer_id if customer_id else Ticket.session_id == session_id
            return list(session.scalars(select(Ticket).where(condition).order_by(Ticket.created_at)))

    def counts(self) -> dict[str, int]:
        counts = {"open": 0, "claimed": 0, "urgent": 0, "high": 0, "normal": 0}
        for ticket in self.queue():
            counts[ticket.status] += 1
            counts[ticket.priority] = counts.get(ticket.priority, 0) + 1
        return counts

    # --- the hand-off ---------------------------------------------------------------------------

    def create(self, *, session_id: str, reason: str, priority: str, deadline: dt.datetime, summary: str = "",
               sources: list[dict] | None = None, customer_id: str | None = None,
               trigger_message_id: int | None = None) -> Ticket:
        """Create a ticket, or return the session's open one. A more urgent hand-off in the same session
        takes the open ticket over (reason, priority, deadline, summary, trigger) and records both."""
        existing = self.open_for_session(session_id)
        if existing:
            if more_urgent(priority, existing.priority):
                self._escalate(existing, reason=reason, priority=priority, deadline=deadline, summary=summary,
                               trigger_message_id=trigger_message_id)
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
                    session.flush()  # a colliding id fails here, before the takeover refers to it
                    session.add(Takeover(ticket_id=ticket.id, session_id=session_id,
                                         trigger_message_id=trigger_message_id, queue=DEFAULT_QUEUE))
                    _record(session, ticket.id, "assistant", "created", reason=reason, priority=priority,
                            trigger_message_id=trigger_message_id)
                return ticket
            except IntegrityError:
                logger.warning("ticket id collision attempt=%s", attempt + 1)
        raise RuntimeError("no free ticket id after several attempts")

    new_id = staticmethod(new_ticket_id)  # tests replace it to force a collision

    def _escalate(self, ticket: Ticket, *, reason: str, priority: str, deadline: dt.datetime, summary: str,
                  trigger_message_id: int | None) -> None:
        with self.db.session.begin() as session:
            session.execute(update(Ticket).where(Ticket.id == ticket.id).values(
                priority=priority, reason=reason, deadline=min(deadline, ticket.deadline),
                summary=summary or ticket.summary, updated_at=utcnow()))
            takeover = session.get(Takeover, ticket.id)
            if takeover is None:  # a ticket from before live hand-offs
                session.add(Takeover(ticket_id=ticket.id, session_id=ticket.session_id,
                                     trigger_message_id=trigger_message_id, queue=DEFAULT_QUEUE))
            elif trigger_message_id is not None:
                takeover.trigger_message_id = trigger_message_id
            _record(session, ticket.id, "assistant", "escalated", from_reason=ticket.reason,
                    from_priority=ticket.priority, reason=reason, priority=priority,
                    trigger_message_id=trigger_message_id)

    def update_summary(self, ticket_id: str, summary: str) -> None:
        with self.db.session.begin() as session:
            session.execute(update(Ticket).where(Ticket.id == ticket_id).values(summary=summary))

    def acknowledge(self, ticket_id: str) -> bool:
        """True exactly once per ticket: the first customer message after the hand-off (any replica)."""
        with self.db.session.begin() as session:
            result = session.execute(update(Takeover).where(Takeover.ticket_id == ticket_id,
                                                            Takeover.acknowledged_at.is_(None))
                                     .values(acknowledged_at=utcnow()))
            return result.rowcount == 1

    def trigger_ids(self, ticket_id: str) -> list[int]:
        """The customer messages that triggered this ticket's hand-offs (the first, and any escalation)."""
        found = [e.details.get("trigger_message_id") for e in self.events(ticket_id)
                 if e.kind in ("created", "escalated")]
        takeover = self.takeover(ticket_id)
        if takeover and takeover.trigger_message_id:
            found.append(takeover.trigger_message_id)
        return sorted({message_id for message_id in found if message_id})

    # --- experts ----------------------------------------------------------------------------------

    def claim(self, ticket_id: str, expert: str, queues: tuple[str, ...] = (DEFAULT_QUEUE,)) -> bool:
        """Atomic: a single conditional UPDATE, so of two experts claiming at once exactly one wins. Only
        members of the ticket's queue may claim it (`queues`: the queues the expert belongs to)."""
        if self.queue_of(ticket_id) not in queues:
            return False
        with self.db.session.begin() as session:
            result = session.execute(
                update(Ticket).where(Ticket.id == ticket_id, Ticket.status == "open")
                .values(status="claimed", owner=expert, claimed_at=utcnow(), updated_at=utcnow()))
            if result.rowcount != 1:
                return False
            _record(session, ticket_id, expert, "claimed")
            return True

    def transfer(self, ticket_id: str, by: str, *, owner: str | None, note: str, to_expert: str | None = None,
                 to_queue: str | None = None) -> bool:
        """Hand a claimed ticket to another expert (who owns it from now on) or back to a role's queue
        (open again, for that role to claim). `owner` is who holds it now; the UPDATE checks it."""
        values = {"updated_at": utcnow()}
        if to_expert:
            values |= {"owner": to_expert, "claimed_at": utcnow()}
        else:
            values |= {"owner": None, "status": "open", "claimed_at": None}
        with self.db.session.begin() as session:
            result = session.execute(update(Ticket).where(Ticket.id == ticket_id, Ticket.status == "claimed",
                                                          Ticket.owner == owner).values(**values))
            if result.rowcount != 1:
                return False
            if to_queue:
                takeover = session.get(Takeover, ticket_id)
                if takeover is None:
                    ticket = session.get(Ticket, ticket_id)
                    session.add(Takeover(ticket_id=ticket_id, session_id=ticket.session_id, queue=to_queue))
                else:
                    takeover.queue = to_queue
            _record(session, ticket_id, by, "transferred", note, from_owner=owner, to_expert=to_expert,
                    to_queue=to_queue)
            return True

    def resolve(self, ticket_id: str, expert: str, resolution: str, note: str = "",
                care_gesture: str | None = None) -> bool:
        with self.db.session.begin() as session:
            result = session.execute(
                update(Ticket).where(Ticket.id == ticket_id, Ticket.status == "claimed", Ticket.owner == expert)
                .values(status="resolved", resolution=resolution, resolution_note=mask_pii(note),
                        care_gesture=mask_pii(care_gesture) if care_gesture else None,
                        resolved_at=utcnow(), updated_at=utcnow()))
            if result.rowcount != 1:
                return False
            _record(session, ticket_id, expert, "resolved", note, resolution=resolution,
                    care_gesture=mask_pii(care_gesture) if care_gesture else None)
            return True

    # --- the customer ---------------------------------------------------------------------------

    def withdraw(self, ticket_id: str) -> bool:
        """The customer went back to the assistant: the request is closed (an expert may not reply)."""
        with self.db.session.begin() as session:
            result = session.execute(
                update(Ticket).where(Ticket.id == ticket_id, Ticket.status.in_(OPEN_STATUSES))
                .values(status="returned", resolved_at=utcnow(), updated_at=utcnow()))
            if result.rowcount != 1:
                return False
            _record(session, ticket_id, "customer", "returned")
            return True

    def record(self, ticket_id: str, actor: str, kind: str, note: str = "", **detail) -> None:
        with self.db.session.begin() as session:
            _record(session, ticket_id, actor, kind, note, **detail)
