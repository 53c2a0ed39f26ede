"""The live hand-off's per-customer data for the erasure registry: callback numbers, takeover state, the
customer's presence, and ticket events. `erasure` registers `HANDOFF_DATA` after its own tables, so that
erasing a customer or a session, and the retention job, delete them with the conversations and tickets
they belong to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .callbacks import erase_callbacks_for
from .models import Callback, CustomerPresence, Takeover, Ticket, TicketEvent


def _orphans(model, column):
    """Rows whose ticket is gone (erased, or expired by retention): they run after the tickets' entry."""
    return delete(model).where(column.not_in(select(Ticket.id)))


def _erase_takeovers(db: Session, sessions: list[str], customer: str | None) -> int:
    gone = db.execute(delete(Takeover).where(Takeover.session_id.in_(sessions))).rowcount if sessions else 0
    return gone + db.execute(_orphans(Takeover, Takeover.ticket_id)).rowcount


def _expire_takeovers(db: Session, cutoff: dt.datetime) -> int:
    return db.execute(_orphans(Takeover, Takeover.ticket_id)).rowcount


def _erase_presence(db: Session, sessions: list[str], customer: str | None) -> int:
    return db.execute(delete(CustomerPresence).where(CustomerPresence.session_id.in_(sessions))).rowcount \
        if sessions else 0


def _expire_presence(db: Session, cutoff: dt.datetime) -> int:
    return db.execute(delete(CustomerPresence).where(CustomerPresence.last_seen_at < cutoff)).rowcount


def _erase_ticket_events(db: Session, sessions: list[str], customer: str | None) -> int:
    return db.execute(_orphans(TicketEvent, TicketEvent.ticket_id)).rowcount  # notes may quote the customer


def _expire_ticket_events(db: Session, cutoff: dt.datetime) -> int:
    return db.execute(_orphans(TicketEvent, TicketEvent.ticket_id)).rowcount


def _expire_callbacks(db: Session, cutoff: dt.datetime) -> int:
    return db.execute(_orphans(Callback, Callback.ticket_id)).rowcount


def _erase_callbacks(db: Session, sessions: list[str], customer: str | None) -> int:
    return erase_callbacks_for(db, sessions) + db.execute(_orphans(Callback, Callback.ticket_id)).rowcount


# (name, erase, expire), in this order: after the tickets' entry, so that orphans are found.
HANDOFF_DATA = [
    ("callbacks", _erase_callbacks, _expire_callbacks),
    ("takeovers", _erase_takeovers, _expire_takeovers),
    ("customer_presence", _erase_presence, _expire_presence),
    ("ticket_events", _erase_ticket_events, _expire_ticket_events),
]
