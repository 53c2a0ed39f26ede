"""The expert desk: queue, ticket view with the customer's history, suggested reply (co-pilot),
compliance check, reply to the customer, transfer, resolve. The staff UI and the staff API both use it.

首问负责制: the first expert to claim a ticket owns it until it is resolved; only the owner replies,
transfers (with a note, recorded) or resolves it; an urgent or complaint ticket needs an outcome and a
note to be resolved. A callback number is shown in clear to the ticket's owner and to admins only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ..conversations.handoff import reason_label
from ..conversations.models import Message, Ticket, TicketEvent
from ..conversations.service import ChatService
from ..conversations.summary import since_trigger
from ..conversations.tickets import DEFAULT_QUEUE
from ..errors import DeskError
from .accounts import StaffDirectory, StaffUser
from .compliance import Finding, check_draft
from .suggest import Suggester, Suggestion

PRIORITY_LABELS = {"urgent": "紧急", "high": "高", "normal": "普通"}
STATUS_LABELS = {"open": "待认领", "claimed": "处理中", "resolved": "已解决", "returned": "客户已返回智能助手"}
RESOLUTIONS = {"answered": "已解答", "complaint_registered": "已登记投诉", "referred": "已转相关部门",
               "no_response": "客户未回应", "other": "其他"}
QUEUE_LABELS = {"expert": "专家队列", "admin": "管理员队列"}
PRESENCE_LABELS = {"typing": "客户正在输入…", "online": "客户在线", "away": "客户已离开", "unknown": "客户状态未知"}


@dataclass
class CallbackView:
    """A callback request as the viewer may see it: the number only for the owner or an admin."""

    requested: bool
    phone: str | None = None  # in clear, for the owner or an admin
    masked: str | None = None
    consented_at: dt.datetime | None = None


@dataclass
class TicketView:
    ticket: Ticket
    transcript: list[Message]
    earlier_tickets: list[Ticket]
    earlier_sessions: list[str]
    trigger_ids: list[int] = field(default_factory=list)  # the messages that triggered the hand-off
    events: list[TicketEvent] = field(default_factory=list)
    queue: str = DEFAULT_QUEUE
    presence: str = "unknown"  # the customer's page: typing, online, away
    callback: CallbackView | None = None
    suggestion: Suggestion | None = None  # only when the ticket is opened (it runs the engine)
    customer_id: str | None = None  # verified by the bank's website; None = 未验证 (no history is joined)


class Desk:
    def __init__(self, service: ChatService, staff: StaffDirectory | None = None):
        self.service = service
        self.staff = staff or StaffDirectory({})
        self.tickets = service.tickets
        self.conversations = service.conversations
        self.suggester = Suggester(service.assistant, service.settings)
        self.zone = ZoneInfo(service.settings.timezone)

    def queue(self) -> tuple[list[Ticket], dict[str, int]]:
        self.service.callbacks.purge_expired()
        return self.tickets.queue(), self.tickets.counts()

    def open(self, ticket_id: str, viewer: StaffUser) -> TicketView:
        """The ticket as an expert opens it: the view and a suggested reply (the engine answers again)."""
        view = self.view(ticket_id, viewer)
        trigger = view.trigger_ids[-1] if view.trigger_ids else None
        said = [m for m in since_trigger(view.transcript, trigger) if m.role == "user"]
        view.suggestion = self.suggester.for_ticket(view.ticket, said, viewer.display_name)
        return view

    def view(self, ticket_id: str, viewer: StaffUser) -> TicketView:
        """The ticket, its conversation, its record and the customer's other tickets: what a redraw
        needs (no engine)."""
        ticket = self._ticket(ticket_id)
        transcript = self.conversations.messages(ticket.session_id)
        customer = ticket.customer_id or self.conversations.customer_of(ticket.session_id)
        earlier = [t for t in self.tickets.for_customer(customer, ticket.session_id) if t.id != ticket.id]
        sessions = [s for s in self.conversations.sessions_of_customer(customer) if s != ticket.session_id] \
            if customer else []
        return TicketView(ticket, transcript, earlier, sessions, trigger_ids=self.tickets.trigger_ids(ticket.id),
                          events=self.tickets.events(ticket.id), queue=self.tickets.queue_of(ticket.id),
                          presence=self.service.live.customer_presence(ticket.session_id),
                          callback=self.callback(ticket, viewer), customer_id=customer)

    def callback(self, ticket: Ticket, viewer: StaffUser) -> CallbackView | None:
        found = self.service.callbacks.for_ticket(ticket.id)
        if found is None:
            return None
        if viewer.role == "admin" or (ticket.status == "claimed" and ticket.owner == viewer.name):
            return CallbackView(True, self.service.callbacks.phone(found), found.phone_masked, found.consented_at)
        return CallbackView(True)

    def copilot(self, question: str, as_of: dt.date | None = None, viewer: StaffUser | None = None) -> Suggestion:
        """Answer with sources and reminders, written for the expert; `as_of` answers from the knowledge in
        force on that date."""
        return self.suggester.copilot(question, as_of, expert_name=viewer.display_name if viewer else "")

    def check(self, draft: str, ticket_id: str | None = None) -> list[Finding]:
        topic = None
        if ticket_id:
            last = self.conversations.last_assistant(self._ticket(ticket_id).session_id)
            topic = last.topic if last else None
        return check_draft(draft, topic=topic)

    def heartbeat(self, user: StaffUser) -> None:
        """The expert's console is open: they count as online (no callback offered while one is)."""
        if user.can("desk"):
            self.service.live.staff_seen(user.name)

    def claim(self, ticket_id: str, expert: StaffUser) -> Ticket:
        ticket = self._ticket(ticket_id)
        queue = self.tickets.queue_of(ticket_id)
        if queue not in expert.queues:
            raise DeskError(f"工单 {ticket_id} 在{QUEUE_LABELS.get(queue, queue)}中，您的角色不能认领。")
        if not self.tickets.claim(ticket_id, expert.name, expert.queues):
            current = self.tickets.get(ticket_id)
            if current.status == "claimed":
                raise DeskError(f"工单 {ticket_id} 已被 {self.staff.display_name(current.owner)} 认领。")
            raise DeskError(f"工单 {ticket_id} 当前状态为{status_label(current.status)}，不能认领。")
        return self.tickets.get(ticket.id)

    def reply(self, ticket_id: str, expert: StaffUser, draft: str) -> list[Finding]:
        """Send the expert's reply to the customer's chat — only when the compliance check passes."""
        ticket = self._owned(ticket_id, expert)
        if not draft.strip():
            raise DeskError("回复内容不能为空。")
        findings = self.check(draft, ticket_id)
        if findings:
            return findings
        self.conversations.add_expert(ticket.session_id, draft.strip(), author=expert.name)
        return []

    def transfer(self, ticket_id: str, expert: StaffUser, *, note: str, to_expert: str | None = None,
                 to_queue: str | None = None) -> Ticket:
        """Hand the ticket to another expert or back to a role's queue; the note is required and kept."""
        ticket = self._ticket(ticket_id)
        if expert.role != "admin":
            self._owned(ticket_id, expert)
        elif ticket.status != "claimed":
            raise DeskError(f"只能转交处理中的工单（当前状态：{status_label(ticket.status)}）。")
        if not (note or "").strip():
            raise DeskError("转交工单必须填写转交说明。")
        if bool(to_expert) == bool(to_queue):
            raise DeskError("请选择转交给哪位专家或哪个队列。")
        if to_expert:
            target = self.staff.get(to_expert)
            if target is None or not target.can("desk"):
                raise DeskError(f"没有可以接手工单的员工 {to_expert}。")
            if to_expert == ticket.owner:
                raise DeskError("工单已由该专家处理。")
        elif to_queue not in QUEUE_LABELS:
            raise DeskError(f"没有这个队列：{to_queue}")
        if not self.tickets.transfer(ticket_id, expert.name, owner=ticket.owner, note=note.strip(),
                                     to_expert=to_expert, to_queue=to_queue):
            raise DeskError(f"工单 {ticket_id} 已有变化，请刷新后重试。")
        return self.tickets.get(ticket_id)

    def resolve(self, ticket_id: str, expert: StaffUser, resolution: str | None, note: str = "",
                care_gesture: str | None = None) -> Ticket:
        ticket = self._owned(ticket_id, expert)
        if not resolution:
            raise DeskError("请选择处理结果。")
        if resolution not in RESOLUTIONS:
            raise DeskError(f"未知的处理结果：{resolution}")
        if needs_outcome_note(ticket) and not (note or "").strip():
            kind = "投诉" if ticket.reason == "complaint" else "紧急"
            raise DeskError(f"{kind}工单办结时必须填写处理说明（做了什么、结果如何）。")
        self.tickets.resolve(ticket_id, expert.name, resolution, (note or "").strip(), care_gesture or None)
        return self.tickets.get(ticket_id)

    def transfer_targets(self, viewer: StaffUser) -> list[tuple[str, str]]:
        """(label, value) choices: the other experts by name, then the role queues."""
        people = [(f"{user.display_name}（{user.name}）", f"expert:{user.name}")
                  for user in self.staff.with_permission("desk") if user.name != viewer.name]
        return people + [(label, f"queue:{queue}") for queue, label in QUEUE_LABELS.items()]

    def local(self, moment: dt.datetime | None) -> str:
        return local_time(moment, self.zone)

    def _ticket(self, ticket_id: str) -> Ticket:
        ticket = self.tickets.get(ticket_id) if ticket_id else None
        if ticket is None:
            raise DeskError(f"没有找到工单 {ticket_id}。" if ticket_id else "请先在队列中选择工单。")
        return ticket

    def _owned(self, ticket_id: str, expert: StaffUser) -> Ticket:
        ticket = self._ticket(ticket_id)
        if ticket.status == "claimed" and ticket.owner != expert.name:
            raise DeskError(f"工单 {ticket_id} 由 {self.staff.display_name(ticket.owner)} 负责（首问负责制），"
                            "如需接手请让对方转交。")
        if ticket.status != "claimed":
            raise DeskError(f"请先认领工单 {ticket_id}（当前状态：{status_label(ticket.status)}）。")
        return ticket


def needs_outcome_note(ticket: Ticket) -> bool:
    """Urgent and complaint tickets are closed with an outcome and a note of what was done."""
    return ticket.priority == "urgent" or ticket.reason == "complaint"


def priority_label(priority: str) -> str:
    return PRIORITY_LABELS.get(priority, priority)


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def local_time(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    """A stored (naive UTC) time in the office time zone, as staff read it."""
    if moment is None:
        return "—"
    return f"{moment.replace(tzinfo=dt.timezone.utc).astimezone(zone):%Y-%m-%d %H:%M}"


def ticket_row(ticket: Ticket, zone: ZoneInfo, staff: StaffDirectory | None = None,
               queue: str = DEFAULT_QUEUE) -> list[str]:
    """The ticket as a row of the console's queue table (Chinese labels, local times)."""
    owner = (staff.display_name(ticket.owner) if staff else ticket.owner) if ticket.owner else ""
    status = status_label(ticket.status)
    if ticket.status == "open" and queue != DEFAULT_QUEUE:
        status += f"（{QUEUE_LABELS.get(queue, queue)}）"
    return [ticket.id, priority_label(ticket.priority), reason_label(ticket.reason), status, owner,
            local_time(ticket.deadline, zone)]
