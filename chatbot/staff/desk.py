"""The expert desk: queue, ticket view with the customer's history, suggested reply (co-pilot),
compliance check, reply to the customer, resolve. The staff UI and the staff API both use it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..conversations.handoff import reason_label
from ..conversations.models import Message, Ticket
from ..conversations.service import ChatService
from ..errors import DeskError
from ..payloads import Answer
from .compliance import Finding, check_draft

PRIORITY_LABELS = {"urgent": "紧急", "high": "高", "normal": "普通"}
STATUS_LABELS = {"open": "待认领", "claimed": "处理中", "resolved": "已解决"}
RESOLUTIONS = {"answered": "已解答", "complaint_registered": "已登记投诉", "referred": "已转相关部门",
               "no_response": "客户未回应", "other": "其他"}


@dataclass
class Suggestion:
    answer: Answer
    reminders: list[str] = field(default_factory=list)


@dataclass
class TicketView:
    ticket: Ticket
    transcript: list[Message]
    earlier_tickets: list[Ticket]
    earlier_sessions: list[str]
    suggestion: Suggestion | None = None  # only when the ticket is opened (it runs the engine)
    customer_id: str | None = None  # verified by the bank's website; None = 未验证 (no history is joined)


class Desk:
    def __init__(self, service: ChatService):
        self.service = service
        self.tickets = service.tickets
        self.conversations = service.conversations

    def queue(self) -> tuple[list[Ticket], dict[str, int]]:
        return self.tickets.queue(), self.tickets.counts()

    def open(self, ticket_id: str) -> TicketView:
        """The ticket as an expert opens it: the view and a suggested reply (the engine answers again)."""
        view = self.view(ticket_id)
        view.suggestion = self.suggest([m.content for m in view.transcript if m.role == "user"])
        return view

    def view(self, ticket_id: str) -> TicketView:
        """The ticket, its conversation and the customer's other tickets: what a redraw needs (no engine)."""
        ticket = self._ticket(ticket_id)
        transcript = self.conversations.messages(ticket.session_id)
        customer = ticket.customer_id or self.conversations.customer_of(ticket.session_id)
        earlier = [t for t in self.tickets.for_customer(customer, ticket.session_id) if t.id != ticket.id]
        sessions = [s for s in self.conversations.sessions_of_customer(customer) if s != ticket.session_id] \
            if customer else []
        return TicketView(ticket, transcript, earlier, sessions, customer_id=customer)

    def suggest(self, questions: list[str]) -> Suggestion:
        """The assistant's answer to the customer's latest answerable question (of the last three), with
        its sources and the card's 话术提醒 — a draft for the expert, never sent by itself."""
        attempts = []
        for index in range(len(questions) - 1, max(-1, len(questions) - 4), -1):
            history = [{"role": "user", "content": q} for q in questions[:index]]
            answer = self.service.assistant.ask(questions[index], history)
            if answer.outcome == "answered":
                return Suggestion(answer, self.reminders(answer))
            attempts.append(answer)
        first = attempts[0] if attempts else Answer("handoff", "")
        return Suggestion(first, self.reminders(first))

    def copilot(self, question: str, as_of: dt.date | None = None) -> Suggestion:
        """Answer with sources and reminders; `as_of` answers from the knowledge in force on that date."""
        answer = self.service.assistant.ask(question, as_of=as_of)
        return Suggestion(answer, self.reminders(answer, as_of))

    def reminders(self, answer: Answer, as_of: dt.date | None = None) -> list[str]:
        found = []
        for citation in answer.citations:
            card = self.service.assistant.retriever.card(citation.id, as_of)
            if card:
                found.extend(card.reminders)
        return found

    def check(self, draft: str, ticket_id: str | None = None) -> list[Finding]:
        topic = None
        if ticket_id:
            last = self.conversations.last_assistant(self._ticket(ticket_id).session_id)
            topic = last.topic if last else None
        return check_draft(draft, topic=topic)

    def claim(self, ticket_id: str, expert: str) -> Ticket:
        self._ticket(ticket_id)
        if not self.tickets.claim(ticket_id, expert):
            owner = self.tickets.get(ticket_id).owner
            raise DeskError(f"工单 {ticket_id} 已被 {owner} 认领。")
        return self.tickets.get(ticket_id)

    def reply(self, ticket_id: str, expert: str, draft: str) -> list[Finding]:
        """Send the expert's reply to the customer's chat — only when the compliance check passes."""
        ticket = self._owned(ticket_id, expert)
        if not draft.strip():
            raise DeskError("回复内容不能为空。")
        findings = self.check(draft, ticket_id)
        if findings:
            return findings
        self.conversations.add_expert(ticket.session_id, draft.strip(), author=expert)
        return []

    def resolve(self, ticket_id: str, expert: str, resolution: str, note: str = "",
                care_gesture: str | None = None) -> Ticket:
        self._owned(ticket_id, expert)
        if resolution not in RESOLUTIONS:
            raise DeskError(f"未知的处理结果：{resolution}")
        self.tickets.resolve(ticket_id, expert, resolution, note, care_gesture or None)
        return self.tickets.get(ticket_id)

    def _ticket(self, ticket_id: str) -> Ticket:
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            raise DeskError(f"没有找到工单 {ticket_id}。")
        return ticket

    def _owned(self, ticket_id: str, expert: str) -> Ticket:
        ticket = self._ticket(ticket_id)
        if ticket.status != "claimed" or ticket.owner != expert:
            raise DeskError(f"请先认领工单 {ticket_id}（当前状态：{STATUS_LABELS.get(ticket.status, ticket.status)}）。")
        return ticket


def priority_label(priority: str) -> str:
    return PRIORITY_LABELS.get(priority, priority)


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def deadline_text(deadline: dt.datetime) -> str:
    return f"{deadline:%Y-%m-%d %H:%M} UTC"


def ticket_row(ticket: Ticket) -> list[str]:
    """The ticket as a row of the console's queue table (Chinese labels)."""
    return [ticket.id, priority_label(ticket.priority), reason_label(ticket.reason), status_label(ticket.status),
            ticket.owner or "", deadline_text(ticket.deadline)]
