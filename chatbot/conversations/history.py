"""The conversation history: each conversation's messages, outcomes and feedback, stored PII-masked."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from sqlalchemy import select

from ..payloads import Answer, Option
from ..pii import mask_pii
from .db import Database
from .models import ClarifyOptions, Conversation, FeedbackReason, Message, utcnow

logger = logging.getLogger(__name__)
MessageListener = Callable[[Message], None]

TRUNCATED_MARK = "…【消息过长，仅保存前{limit}字】"


def storable(text: str, limit: int) -> str:
    """A refused too-long message is kept only up to the limit, with a marker saying so."""
    return text if len(text) <= limit else text[:limit] + TRUNCATED_MARK.format(limit=limit)


class ConversationStore:
    def __init__(self, db: Database):
        self.db = db
        # Called with every stored message after it is committed (the quality inspection listens here).
        self.listeners: list[MessageListener] = []

    def _stored(self, message: Message | None) -> None:
        for listener in self.listeners if message is not None else ():
            try:
                listener(message)
            except Exception:  # a listener's failure must not lose the customer's turn
                logger.exception("message listener failed message=%s", message.id)

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
            message = None
            if text is not None:
                message = Message(session_id=session_id, role="user", content=mask_pii(text))
                session.add(message)
                session.flush()
            turns = [m.as_turn() for m in recent]
        self._stored(message)
        return turns, previous, message.id if message else None

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
            if answer.options:
                session.add(ClarifyOptions(message_id=message.id, options=json.dumps(
                    [option.to_dict() for option in answer.options], ensure_ascii=False)))
        self._stored(message)
        return message.id

    def add_expert(self, session_id: str, text: str, author: str) -> int:
        with self.db.session.begin() as session:
            message = Message(session_id=session_id, role="expert", content=mask_pii(text), author=author)
            session.add(message)
            session.flush()
        self._stored(message)
        return message.id

    def messages(self, session_id: str, *, after_id: int = 0) -> list[Message]:
        with self.db.session() as session:
            query = select(Message).where(Message.session_id == session_id, Message.id > after_id).order_by(Message.id)
            return list(session.scalars(query))

    def clarify_options(self, session_id: str) -> dict[int, tuple[Option, ...]]:
        """The options of the conversation's clarifying questions, by message id."""
        with self.db.session() as session:
            rows = session.execute(select(ClarifyOptions.message_id, ClarifyOptions.options)
                                   .join(Message, Message.id == ClarifyOptions.message_id)
                                   .where(Message.session_id == session_id))
            return {message_id: tuple(Option(**option) for option in json.loads(options)) for message_id, options in rows}

    def set_feedback(self, message_id: int, value: int, session_id: str | None = None,
                     reason: str | None = None) -> bool:
        """Store 👍 (+1) or 👎 (-1) on an assistant message, and a 👎's reason (a 👍 clears it); False when
        there is no such message."""
        with self.db.session.begin() as session:
            message = session.get(Message, message_id)
            if message is None or message.role == "user" or (session_id and message.session_id != session_id):
                return False
            message.feedback = value
            stored = session.get(FeedbackReason, message_id)
            if value < 0 and reason:
                if stored is None:
                    session.add(FeedbackReason(message_id=message_id, reason=reason[:32]))
                else:
                    stored.reason = reason[:32]
            elif stored is not None and value > 0:
                session.delete(stored)
            return True

    def feedback_reason(self, message_id: int) -> str | None:
        with self.db.session() as session:
            stored = session.get(FeedbackReason, message_id)
            return stored.reason if stored else None

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
