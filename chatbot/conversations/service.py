"""The chat service: one conversation turn end to end — history from SQL, the assistant's answer,
the record, and a ticket when the customer is handed to an expert. The UI and the API both use it."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from typing import Iterator

from ..answer.assistant import Assistant
from ..config import Settings
from ..payloads import Answer, Event
from ..text import clean_text
from .db import Database
from .handoff import HandoffPolicy, reason_label
from .history import ConversationStore, storable
from .models import utcnow
from .tickets import TicketStore

logger = logging.getLogger(__name__)

HUMAN_REQUEST_TEXT = "好的，我已为您转接人工专家。"
REPEATED_FAILURE_NOTE = "上一个回答没能帮到您，我已同时为您转接人工专家。"


@dataclass
class Turn:
    """The result of one turn: the answer and the ids the UI needs (feedback, polling)."""

    answer: Answer
    user_message_id: int | None = None
    answer_message_id: int | None = None


class ChatService:
    def __init__(self, assistant: Assistant, db: Database, settings: Settings):
        self.assistant = assistant
        self.settings = settings
        self.db = db
        self.conversations = ConversationStore(db)
        self.tickets = TicketStore(db)
        self.policy = HandoffPolicy(settings)

    # --- turns ---------------------------------------------------------------------------------

    def chat(self, session_id: str, message: str, *, customer_id: str | None = None,
             as_of: dt.date | None = None) -> Turn:
        turn = None
        for item in self.stream(session_id, message, customer_id=customer_id, as_of=as_of):
            if isinstance(item, Turn):
                turn = item
        if turn is None:  # stream() always ends with the recorded Turn; none is a bug
            raise RuntimeError("the chat stream ended without a turn")
        return turn

    def stream(self, session_id: str, message: str, *, customer_id: str | None = None,
               as_of: dt.date | None = None) -> Iterator[Event | Turn]:
        """Events for the UI as the answer is produced, then the recorded Turn."""
        message = clean_text(message)
        recorded = bool(message.strip())
        stored = storable(message, self.settings.max_message_chars) if recorded else None
        history, previous, user_id = self.conversations.begin_turn(session_id, stored, customer_id)
        final: Answer | None = None
        for event in self.assistant.stream(message, history, as_of=as_of):
            if event.kind == "final":
                final = event.answer
            else:
                yield event
        final = self._repeated_failure(final, previous) if recorded else final
        if final.outcome == "handoff":
            final = self._open_ticket(session_id, final, customer_id)
        answer_id = self.conversations.add_answer(session_id, final) if recorded else None
        yield Turn(final, user_id, answer_id)

    def request_human(self, session_id: str, *, customer_id: str | None = None) -> Turn:
        """The 转人工 button: a ticket for this conversation, whatever the last answer was."""
        self.conversations.ensure(session_id, customer_id)
        answer = Answer("handoff", HUMAN_REQUEST_TEXT, confidence=1.0, handoff_reason="human_request",
                        priority="normal", topic="handoff", matched_id="human_request")
        answer = self._open_ticket(session_id, answer, customer_id)
        answer_id = self.conversations.add_answer(session_id, answer)
        return Turn(answer, None, answer_id)

    def feedback(self, message_id: int, value: int, session_id: str | None = None) -> bool:
        return self.conversations.set_feedback(message_id, 1 if value > 0 else -1, session_id)

    # --- hand-off ------------------------------------------------------------------------------

    def _repeated_failure(self, answer: Answer, previous) -> Answer:
        """A 👎 on the last answer followed by another question: hand off (keeping a good answer)."""
        if answer.outcome != "answered" or previous is None or previous.feedback != -1:
            return answer
        return replace(answer, outcome="handoff", handoff_reason="repeated_failure", priority="normal",
                       text=f"{answer.text}\n{REPEATED_FAILURE_NOTE}")

    def _open_ticket(self, session_id: str, answer: Answer, customer_id: str | None) -> Answer:
        """A ticket for the hand-off (or the session's open one), and the answer telling what happens next."""
        now = utcnow()
        reason = answer.handoff_reason or "low_confidence"
        priority = answer.priority or "normal"
        summary = self._summary(session_id, answer)
        ticket = self.tickets.create(
            session_id=session_id, reason=reason, priority=priority,
            deadline=self.policy.deadline(reason, priority, now), summary=summary,
            sources=[c.to_dict() for c in answer.citations], customer_id=customer_id)
        logger.info("handoff ticket=%s reason=%s priority=%s session=%s", ticket.id, reason, priority, session_id)
        return replace(answer, ticket_id=ticket.id,
                       text=f"{answer.text}\n{self.policy.next_steps(ticket.id, ticket.priority, now)}")

    def _summary(self, session_id: str, answer: Answer) -> str:
        """For the expert: why, an LLM summary when one is configured, and what the customer said."""
        messages = self.conversations.messages(session_id)
        said = [m.content for m in messages if m.role == "user"][-5:]
        reason = reason_label(answer.handoff_reason)
        lines = [f"转人工原因：{reason}"]
        generator = self.assistant.generator
        if generator is not None and said:
            summary = generator.summarize([m.as_turn() for m in messages], reason)
            if summary:
                lines.append(f"对话摘要：{summary}")
        if answer.topic:
            lines.append(f"匹配主题：{answer.topic}")
        lines += [f"客户：{text}" for text in said]
        return "\n".join(lines)
