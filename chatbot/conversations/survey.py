"""The satisfaction survey: 1–5 stars and an optional comment, once per conversation, offered after the
conversation's ticket is resolved or when the customer ends the conversation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..pii import mask_pii
from .db import Database
from .models import Ticket
from .ops_models import Survey

COMMENT_LIMIT = 500
SURVEY_THANKS = "感谢您的评价！"
SURVEY_ALREADY = "您已评价过本次服务，感谢！"


class SurveyStore:
    def __init__(self, db: Database):
        self.db = db

    def submit(self, session_id: str, stars: int, comment: str = "") -> bool:
        """Store the rating; False when this conversation was rated already (the first rating stays)."""
        if not 1 <= int(stars) <= 5:
            raise ValueError("stars must be 1–5")
        with self.db.session() as session:
            ticket = session.scalars(select(Ticket).where(Ticket.session_id == session_id)
                                     .order_by(Ticket.created_at.desc())).first()
        try:
            with self.db.session.begin() as session:
                session.add(Survey(session_id=session_id, ticket_id=ticket.id if ticket else None, stars=int(stars),
                                   comment=mask_pii((comment or "").strip())[:COMMENT_LIMIT]))
            return True
        except IntegrityError:
            return False

    def get(self, session_id: str) -> Survey | None:
        with self.db.session() as session:
            return session.get(Survey, session_id)

    def offered_after_resolution(self, session_id: str) -> bool:
        """The chat offers the survey now: the conversation's ticket is resolved and it was not rated yet."""
        return self.get(session_id) is None and self.resolved_ticket(session_id)

    def resolved_ticket(self, session_id: str) -> bool:
        """The conversation has a resolved ticket (the survey is offered then)."""
        with self.db.session() as session:
            return session.scalars(select(Ticket.id).where(Ticket.session_id == session_id,
                                                           Ticket.status == "resolved")).first() is not None


def stars_text(stars: int) -> str:
    return "★" * stars + "☆" * (5 - stars)
