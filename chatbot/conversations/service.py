"""The chat service: one conversation turn end to end — history from SQL, the assistant's answer,
the record, and a ticket when the customer is handed to an expert. From the hand-off until the ticket is
closed the conversation belongs to the expert: the customer's messages go to the ticket, the assistant
stays quiet (one acknowledgement; a more urgent hand-off still escalates). The UI and the API both use it."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from typing import Callable, Iterator

from ..answer.assistant import Assistant
from ..config import Settings
from ..errors import CallbackError
from ..payloads import Answer, Event
from ..sealing import Sealer
from ..text import clean_text
from .callbacks import CallbackStore
from .db import Database
from .handoff import HandoffPolicy
from .history import ConversationStore, storable
from .models import Ticket, utcnow
from .summary import refresh_summary, ticket_summary
from .takeover import AgentState, LiveHandoff
from .tickets import TicketStore, more_urgent

logger = logging.getLogger(__name__)

HUMAN_REQUEST_TEXT = "好的，我已为您转接人工专家。"
ALREADY_WAITING_TEXT = "您的人工服务请求正在处理中（工单号：{ticket_id}），请留在本页面，专家会在此对话中回复您。"
REPEATED_FAILURE_NOTE = "上一个回答没能帮到您，我已同时为您转接人工专家。"
TAKEOVER_ACK = "您的消息已转给人工专家，请稍候，专家会在此对话中回复您。"
RETURNED_TEXT = ("好的，已为您结束本次人工服务请求（工单号：{ticket_id}）。您可以继续向我提问；"
                 "如需人工帮助，可以随时点击“转人工”。")
CALLBACK_TEXT = "已收到您的回电号码 {masked}，专家会尽快回电联系您。号码仅用于本次回电，工单结束后会按约定删除。"


@dataclass
class Turn:
    """The result of one turn: the answer, the ids the UI needs (feedback, polling) and, during a
    hand-off, its state for the customer."""

    answer: Answer
    user_message_id: int | None = None
    answer_message_id: int | None = None
    agent: AgentState | None = None


class ChatService:
    def __init__(self, assistant: Assistant, db: Database, settings: Settings, *,
                 expert_names: Callable[[str], str] | None = None, sealer: Sealer | None = None):
        self.assistant = assistant
        self.settings = settings
        self.db = db
        self.conversations = ConversationStore(db)
        self.tickets = TicketStore(db)
        self.policy = HandoffPolicy(settings)
        self.callbacks = CallbackStore(db, settings, sealer)
        self.live = LiveHandoff(db, settings, self.tickets, self.policy, self.callbacks, expert_names=expert_names)

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
        ticket = self.tickets.open_for_session(session_id) if recorded else None
        stored = storable(message, self.settings.max_message_chars) if recorded else None
        history, previous, user_id = self.conversations.begin_turn(session_id, stored, customer_id)
        if ticket is not None:
            yield self._takeover_turn(ticket, message, history, user_id, customer_id, as_of)
            return
        final: Answer | None = None
        for event in self.assistant.stream(message, history, as_of=as_of):
            if event.kind == "final":
                final = event.answer
            else:
                yield event
        final = self._repeated_failure(final, previous) if recorded else final
        if final.outcome == "handoff":
            final = self._open_ticket(session_id, final, customer_id, user_id)
        answer_id = self.conversations.add_answer(session_id, final) if recorded else None
        yield Turn(final, user_id, answer_id, self.live.state(session_id) if final.ticket_id else None)

    def request_human(self, session_id: str, *, customer_id: str | None = None) -> Turn:
        """The 转人工 button: a ticket for this conversation, whatever the last answer was. What the
        customer last asked is taken as what they need (the hand-off had no message of its own)."""
        self.conversations.ensure(session_id, customer_id)
        waiting = self.tickets.open_for_session(session_id)
        if waiting is not None:
            answer = Answer("handoff", ALREADY_WAITING_TEXT.format(ticket_id=waiting.id), confidence=1.0,
                            ticket_id=waiting.id, handoff_reason=waiting.reason, priority=waiting.priority,
                            topic="takeover")
        else:
            asked = [m for m in self.conversations.messages(session_id) if m.role == "user"]
            answer = Answer("handoff", HUMAN_REQUEST_TEXT, confidence=1.0, handoff_reason="human_request",
                            priority="normal", topic="handoff", matched_id="human_request")
            answer = self._open_ticket(session_id, answer, customer_id, asked[-1].id if asked else None)
        answer_id = self.conversations.add_answer(session_id, answer)
        return Turn(answer, None, answer_id, self.live.state(session_id))

    def return_to_assistant(self, session_id: str) -> Turn | None:
        """The customer's "返回智能助手": their open request is closed politely (and a callback number
        they left is erased). None when there is nothing to close."""
        ticket = self.tickets.open_for_session(session_id)
        if ticket is None or not self.tickets.withdraw(ticket.id):
            return None
        self.callbacks.erase_for_ticket(ticket.id)
        logger.info("handoff returned ticket=%s session=%s", ticket.id, session_id)
        answer = Answer("answered", RETURNED_TEXT.format(ticket_id=ticket.id), confidence=1.0, topic="takeover")
        return Turn(answer, None, self.conversations.add_answer(session_id, answer), None)

    def leave_callback(self, session_id: str, phone: str, *, consent: bool) -> Turn:
        """A callback number with consent for the session's open ticket (CallbackError when refused)."""
        ticket = self.tickets.open_for_session(session_id)
        if ticket is None:
            raise CallbackError("没有正在等待的人工服务请求。")
        callback = self.callbacks.leave(ticket, phone, consent=consent)
        answer = Answer("handoff", CALLBACK_TEXT.format(masked=callback.phone_masked), confidence=1.0,
                        ticket_id=ticket.id, topic="takeover")
        answer_id = self.conversations.add_answer(session_id, answer)
        return Turn(replace(answer, handoff_reason=ticket.reason), None, answer_id, self.live.state(session_id))

    def feedback(self, message_id: int, value: int, session_id: str | None = None) -> bool:
        return self.conversations.set_feedback(message_id, 1 if value > 0 else -1, session_id)

    # --- hand-off ------------------------------------------------------------------------------

    def _takeover_turn(self, ticket: Ticket, message: str, history: list[dict], user_id: int | None,
                       customer_id: str | None, as_of: dt.date | None) -> Turn:
        """A customer message while an expert has (or is about to have) the conversation: it goes to the
        ticket. The assistant answers only when the message is a more urgent hand-off (its safety steps,
        and the ticket is escalated); otherwise, while no expert has claimed the ticket, it says once
        that the expert will get the message."""
        session_id = ticket.session_id
        urgent = self.assistant.ask(message, history, as_of=as_of)
        if urgent.outcome == "handoff" and more_urgent(urgent.priority or "normal", ticket.priority):
            final = self._open_ticket(session_id, urgent, customer_id, user_id)
            answer_id = self.conversations.add_answer(session_id, final)
            return Turn(final, user_id, answer_id, self.live.state(session_id))
        takeover = self.tickets.takeover(ticket.id)
        trigger = takeover.trigger_message_id if takeover else None
        self.tickets.update_summary(ticket.id, refresh_summary(
            ticket.summary, self.conversations.messages(session_id), trigger))
        answer = Answer("handoff", "", confidence=1.0, ticket_id=ticket.id, topic="takeover")
        answer_id = None
        if ticket.status == "open" and self.tickets.acknowledge(ticket.id):  # no expert has answered yet
            answer = replace(answer, text=TAKEOVER_ACK)
            answer_id = self.conversations.add_answer(session_id, answer)  # stored without a reason: no gap
        answer = replace(answer, handoff_reason=ticket.reason, priority=ticket.priority)
        return Turn(answer, user_id, answer_id, self.live.state(session_id))

    def _repeated_failure(self, answer: Answer, previous) -> Answer:
        """A 👎 on the last answer followed by another question: hand off (keeping a good answer)."""
        if answer.outcome != "answered" or previous is None or previous.feedback != -1:
            return answer
        return replace(answer, outcome="handoff", handoff_reason="repeated_failure", priority="normal",
                       text=f"{answer.text}\n{REPEATED_FAILURE_NOTE}")

    def _open_ticket(self, session_id: str, answer: Answer, customer_id: str | None,
                     trigger_message_id: int | None) -> Answer:
        """A ticket for the hand-off (or the session's open one, escalated when this one is more urgent),
        and the answer telling what happens next."""
        now = utcnow()
        reason = answer.handoff_reason or "low_confidence"
        priority = answer.priority or "normal"
        open_ticket = self.tickets.open_for_session(session_id)
        summary = ticket_summary(self.conversations.messages(session_id), reason=reason,
                                 trigger_message_id=trigger_message_id, topic=answer.topic,
                                 earlier_reason=open_ticket.reason if open_ticket else None,
                                 generator=self.assistant.generator)
        ticket = self.tickets.create(
            session_id=session_id, reason=reason, priority=priority,
            deadline=self.policy.deadline(reason, priority, now), summary=summary,
            sources=[c.to_dict() for c in answer.citations], customer_id=customer_id,
            trigger_message_id=trigger_message_id)
        self.live.customer_seen(session_id)
        logger.info("handoff ticket=%s reason=%s priority=%s session=%s", ticket.id, reason, priority, session_id)
        steps = self.policy.next_steps(ticket.id, ticket.priority, now, experts_online=self.live.experts_online(now))
        return replace(answer, ticket_id=ticket.id, text=f"{answer.text}\n{steps}")
