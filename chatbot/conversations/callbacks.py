"""Callback numbers: left by the customer with explicit consent when no expert is available, for one
ticket only. The number is encrypted at rest (`sealing.Sealer`) in a table of its own; anywhere but the
assigned expert's view (transcript, events, logs) it appears masked. The desk decides who may open it."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..config import Settings
from ..errors import CallbackError
from ..sealing import Sealer
from .db import Database
from .models import Callback, Ticket, TicketEvent, utcnow
from .tickets import OPEN_STATUSES

logger = logging.getLogger(__name__)

CONSENT_TEXT = ("我同意{bank_name}使用我填写的电话号码，仅用于就本次咨询回电联系我。号码加密保存，只有负责本工单的"
                "专家可以查看，工单结束后{days}天内删除；我也可以随时要求删除。")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")


def consent_text(settings: Settings) -> str:
    return CONSENT_TEXT.format(bank_name=settings.bank_name, days=settings.callback_retention_days)


def normalize_phone(raw: str) -> str:
    """A mainland mobile number or a landline with its area code, digits only; CallbackError otherwise."""
    digits = re.sub(r"[\s\-()（）]", "", raw or "")
    digits = re.sub(r"^(\+86|0086)", "", digits)
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    raise CallbackError("请填写正确的手机号码，或带区号的固定电话。")


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}"


class CallbackStore:
    def __init__(self, db: Database, settings: Settings, sealer: Sealer | None = None):
        self.db = db
        self.settings = settings
        self._sealer = sealer

    @property
    def sealer(self) -> Sealer:
        if self._sealer is None:  # the key file is read (or made) only when a number is first handled
            self._sealer = Sealer.from_settings(self.settings)
        return self._sealer

    def leave(self, ticket: Ticket, phone: str, *, consent: bool) -> Callback:
        """Store the number for this ticket (replacing an earlier one); consent must be given."""
        if not consent:
            raise CallbackError("请先勾选同意，我们才能保存您的电话号码并回电。")
        if ticket.status not in OPEN_STATUSES:
            raise CallbackError("该人工服务请求已结束，如需帮助请重新点击“转人工”。")
        phone = normalize_phone(phone)
        callback = Callback(ticket_id=ticket.id, session_id=ticket.session_id, phone_sealed=self.sealer.seal(phone),
                            phone_masked=mask_phone(phone), consent_text=consent_text(self.settings),
                            consented_at=utcnow())
        with self.db.session.begin() as session:
            session.execute(delete(Callback).where(Callback.ticket_id == ticket.id))
            session.add(callback)
            session.add(TicketEvent(ticket_id=ticket.id, at=utcnow(), actor="customer", kind="callback_left",
                                    note=f"回电号码 {callback.phone_masked}"))
        logger.info("callback left ticket=%s phone=%s", ticket.id, callback.phone_masked)
        return callback

    def for_ticket(self, ticket_id: str) -> Callback | None:
        with self.db.session() as session:
            return session.scalars(select(Callback).where(Callback.ticket_id == ticket_id)).first()

    def phone(self, callback: Callback) -> str:
        """The number in clear: only for the assigned expert's (or an admin's) view."""
        return self.sealer.open(callback.phone_sealed)

    def erase_for_ticket(self, ticket_id: str) -> int:
        with self.db.session.begin() as session:
            return session.execute(delete(Callback).where(Callback.ticket_id == ticket_id)).rowcount

    def purge_expired(self, now: dt.datetime | None = None) -> int:
        """Erase the numbers of tickets closed longer ago than the retention period."""
        cutoff = (now or utcnow()) - dt.timedelta(days=self.settings.callback_retention_days)
        with self.db.session.begin() as session:
            closed = select(Ticket.id).where(Ticket.status.not_in(OPEN_STATUSES), Ticket.resolved_at < cutoff)
            return session.execute(delete(Callback).where(Callback.ticket_id.in_(closed))).rowcount


def erase_callbacks_for(db: Session, session_ids: Sequence[str]) -> int:
    """Erase every callback number left in these sessions, inside the erasure's transaction (registered as
    per-customer data in `personal_data`, so erasing a customer or a session erases their callbacks)."""
    if not session_ids:
        return 0
    return db.execute(delete(Callback).where(Callback.session_id.in_(list(session_ids)))).rowcount
