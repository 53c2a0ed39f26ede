"""The conversation history: each conversation's messages, outcomes and feedback, stored PII-masked."""

from __future__ import annotations

import json

from sqlalchemy import select

from ..payloads import Answer
from ..pii import mask_pii
from .db import Database
from .models import Conversation, Message, utcnow


TRUNCATED_MARK = "…【消息过长，仅保存前{limit}字】"


def storable(text: str, limit: int) -> str:
    """A refused too-long message is kept only up to the limit, with a marker saying so."""
    return text if len(text) <= limit else text[:limit] + TRUNCATED_MARK.format(limit=limit)


class ConversationStore:
    def __init__(self, db: Database):
        self.db = db

    def ensure(self, session_id: str, customer_id: str | None = None) -> None:
        with self.db.session.begin() as session:
            _touch(session, session_id, customer_id)

    def begin_turn(self, session_id: str, text: str | None, customer_id: str | None = None,
                   history_limit: int = 20) -> tuple[list[dict], Message | None, int | None]:
        """One transaction per customer message: make sure the conversation exists, read the recent
        history and the last answer (for feedback-based hand-off), and store the message."""
        with self.db.session.begin() as session:
            _touch(session, session_id, customer_id)
            recent = list(session.scalars(select(Message).where(Message.session_id == session_id)
                                          .order_by(Message.id.desc()).limit(history_limit)))[::-1]
            previous = next((m for m in reversed(recent) if m.role == "assistant"), None)
            message_id = None
            if text is not None:
                message = Message(session_id=session_id, role="user", content=mask_pii(text))
                session.add(message)
                session.flush()
                message_id = message.id
            return [m.as_turn() for m in recent], previous, message_id

    def add_answer(self, session_id: str, answer: Answer) -> int:
        with self.db.session.begin() as session:
            message = Message(
                session_id=session_id, role="assistant", content=mask_pii(answer.text), outcome=answer.outcome,
                confidence=answer.confidence, handoff_reason=answer.handoff_reason, matched_id=answer.matched_id,
                topic=answer.topic, latency_ms=answer.latency_ms,
                citations=json.dumps([c.to_dict() for c in answer.citations], ensure_ascii=False),
            )
            session.add(message)
            session.flush()
            return message.id

    def add_expert(self, session_id: str, text: str, author: str) -> int:
        with self.db.session.begin() as session:
            message = Message(session_id=session_id, role="expert", content=mask_pii(text), author=author)
            session.add(message)
            session.flush()
            return message.id

    def messages(self, session_id: str, *, after_id: int = 0) -> list[Message]:
        with self.db.session() as session:
            query = select(Message).where(Message.session_id == session_id, Message.id > after_id).order_by(Message.id)
            return list(session.scalars(query))

    def set_feedback(self, message_id: int, value: int, session_id: str | None = None) -> bool:
        """Store 👍 (+1) or 👎 (-1) on an assistant message; False when there is no such message."""
        with self.db.session.begin() as session:
            message = session.get(Message, message_id)
            if message is None or message.role == "user" or (session_id and message.session_id != session_id):
                return False
            message.feedback = value
            return True

    def last_assistant(self, session_id: str) -> Message | None:
        found = [m for m in self.messages(session_id) if m.role == "assistant"]
        return found[-1] if found else None

    def customer_of(self, session_id: str) -> str | None:
        with self.db.session() as session:
            conversation = session.get(Conversation, session_id)
            return conversation.customer_id if conversation else None

    def sessions_of_customer(self, customer_id: str) -> list[str]:
        with self.db.session() as session:
            query = select(Conversation.session_id).where(Conversation.customer_id == customer_id) \
                .order_by(Conversation.created_at)
            return list(session.scalars(query))


def _touch(session, session_id: str, customer_id: str | None) -> None:
    """Create the conversation on its first message, else mark it active (and learn the customer id)."""
    conversation = session.get(Conversation, session_id)
    if conversation is None:
        session.add(Conversation(session_id=session_id, customer_id=customer_id))
        return
    conversation.updated_at = utcnow()
    if customer_id and not conversation.customer_id:
        conversation.customer_id = customer_id
