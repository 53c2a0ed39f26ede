"""The live hand-off as both sides see it: the state shown to the customer (waiting, served by an
expert, ended), whether a callback is offered, and presence — the customer's page heartbeat and typing,
the experts' consoles checking in. Everything is in SQL, so any replica answers for any page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError

from ..config import Settings
from .callbacks import CallbackStore
from .db import Database
from .handoff import HandoffPolicy
from .models import CustomerPresence, Message, StaffPresence, Ticket, utcnow
from .tickets import TicketStore

TYPING_SHOWN_SECONDS = 6  # "客户正在输入…" for this long after the last keystroke report
TYPING_THROTTLE_SECONDS = 2  # at most one typing write per page per this many seconds


@dataclass(frozen=True)
class AgentState:
    """What the customer's page shows about the hand-off (and `/api/chat` returns as `agent`)."""

    state: str  # "waiting" | "serving" | "ended"
    ticket_id: str
    expert: str | None = None  # the serving expert's display name
    ahead: int | None = None  # unclaimed tickets before this one while waiting
    office_hours: bool = True
    experts_online: bool = True
    callback_offered: bool = False
    callback_left: str | None = None  # the number left, masked

    def to_api(self) -> dict:
        return {"state": self.state, "ticket_id": self.ticket_id, "expert": self.expert, "ahead": self.ahead,
                "office_hours": self.office_hours, "experts_online": self.experts_online,
                "callback_offered": self.callback_offered, "callback_left": self.callback_left}


class LiveHandoff:
    def __init__(self, db: Database, settings: Settings, tickets: TicketStore, policy: HandoffPolicy,
                 callbacks: CallbackStore, *, expert_names: Callable[[str], str] | None = None):
        self.db = db
        self.settings = settings
        self.tickets = tickets
        self.policy = policy
        self.callbacks = callbacks
        self.expert_names = expert_names or (lambda name: name)

    def state(self, session_id: str, now: dt.datetime | None = None) -> AgentState | None:
        """The hand-off state of this conversation; None when the assistant is serving it."""
        now = now or utcnow()
        ticket = self.tickets.latest_for_session(session_id)
        if ticket is None or ticket.status == "returned":
            return None
        if ticket.status == "resolved":
            return AgentState("ended", ticket.id) if not self._spoke_since(ticket) else None
        if ticket.status == "claimed":
            return AgentState("serving", ticket.id, expert=self.expert_names(ticket.owner or ""))
        office = self.policy.in_office_hours(now)
        online = self.experts_online(now)
        callback = self.callbacks.for_ticket(ticket.id)
        return AgentState("waiting", ticket.id, ahead=self.tickets.waiting_ahead(ticket), office_hours=office,
                          experts_online=online, callback_offered=not (office and online),
                          callback_left=callback.phone_masked if callback else None)

    def _spoke_since(self, ticket: Ticket) -> bool:
        """Has the customer written since the ticket was resolved (then the banner is gone)?"""
        with self.db.session() as session:
            return bool(session.scalar(select(exists().where(
                Message.session_id == ticket.session_id, Message.role == "user",
                Message.created_at > ticket.resolved_at))))

    # --- customer presence ----------------------------------------------------------------------

    def customer_seen(self, session_id: str) -> None:
        """A heartbeat from the customer's page (its poll), kept for sessions in a hand-off."""
        self._seen(CustomerPresence, session_id=session_id)

    def customer_typing(self, session_id: str) -> bool:
        """The customer is typing: one write at most every few seconds, only for a session in a hand-off."""
        now = utcnow()
        throttle = now - dt.timedelta(seconds=TYPING_THROTTLE_SECONDS)
        with self.db.session.begin() as session:
            result = session.execute(
                update(CustomerPresence).where(
                    CustomerPresence.session_id == session_id,
                    (CustomerPresence.typing_at.is_(None)) | (CustomerPresence.typing_at < throttle))
                .values(typing_at=now, last_seen_at=now))
            return result.rowcount == 1

    def customer_presence(self, session_id: str, now: dt.datetime | None = None) -> str:
        """"typing", "online", "away" (no heartbeat for `customer_away_seconds`) or "unknown"."""
        now = now or utcnow()
        with self.db.session() as session:
            found = session.get(CustomerPresence, session_id)
        if found is None or found.last_seen_at is None:
            return "unknown"
        if found.typing_at and now - found.typing_at < dt.timedelta(seconds=TYPING_SHOWN_SECONDS):
            return "typing"
        if now - found.last_seen_at > dt.timedelta(seconds=self.settings.customer_away_seconds):
            return "away"
        return "online"

    # --- experts ----------------------------------------------------------------------------------

    def staff_seen(self, name: str) -> None:
        """An expert's console checked in (its timer)."""
        self._seen(StaffPresence, name=name)

    def experts_online(self, now: dt.datetime | None = None) -> bool:
        since = (now or utcnow()) - dt.timedelta(seconds=self.settings.expert_online_seconds)
        with self.db.session() as session:
            return bool(session.scalar(select(exists().where(StaffPresence.last_seen_at >= since))))

    def _seen(self, model, **key) -> None:
        """Set the row's `last_seen_at` to now, making the row on the first heartbeat."""
        now = utcnow()
        (column, value), = key.items()
        with self.db.session.begin() as session:
            if session.execute(update(model).where(getattr(model, column) == value)
                               .values(last_seen_at=now)).rowcount:
                return
        try:
            with self.db.session.begin() as session:
                session.add(model(**key, last_seen_at=now))
        except IntegrityError:  # another replica made it first: its heartbeat counts as well
            pass
