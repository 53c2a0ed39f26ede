"""Staff JSON API under /api/staff, behind HTTP Basic auth with per-role permissions."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field

from ..conversations.erasure import DataEraser
from ..conversations.handoff import reason_label
from ..conversations.models import Ticket
from ..errors import DeskError
from ..publishing.admin import KnowledgeAdmin
from ..staff.accounts import StaffDirectory, StaffUser
from ..staff.desk import PRESENCE_LABELS, Desk, TicketView, priority_label, status_label
from ..staff.gaps import GapReporter
from ..staff.throttle import LoginThrottle
from .gaps_api import add_gap_routes
from .guards import LOGIN_BLOCKED, client_address
from .knowledge_api import add_knowledge_routes
from .privacy_api import add_privacy_routes

security = HTTPBasic(realm="xiaobao-staff")


class DraftRequest(BaseModel):
    draft: str = Field(max_length=5000)


class ResolveRequest(BaseModel):
    resolution: str = Field(description="answered | complaint_registered | referred | no_response | other")
    note: str = Field("", max_length=5000, description="Required for urgent and complaint tickets.")
    care_gesture: str | None = Field(None, max_length=500)


class TransferRequest(BaseModel):
    to_expert: str | None = Field(None, max_length=64, description="The staff name who owns the ticket next.")
    to_queue: str | None = Field(None, description="Or a role's queue: expert | admin (the ticket is open again).")
    note: str = Field(max_length=5000, description="Why (required, kept in the ticket's record).")


class CopilotRequest(BaseModel):
    question: str = Field(max_length=2000)
    as_of: dt.date | None = Field(None, description="Answer from the knowledge in force on this date (audits).")


def staff_router(desk: Desk, directory: StaffDirectory, knowledge: KnowledgeAdmin | None = None, *,
                 gaps: GapReporter | None = None, throttle: LoginThrottle | None = None,
                 erasure: DataEraser | None = None) -> APIRouter:
    router = APIRouter(prefix="/api/staff")
    throttle = throttle or LoginThrottle("", "")

    def user(request: Request, credentials: HTTPBasicCredentials = Depends(security)) -> StaffUser:
        address = client_address(request.scope)
        wait = throttle.retry_after(credentials.username, address)
        if wait:  # refused before the password is checked: guessing costs no CPU
            raise HTTPException(429, LOGIN_BLOCKED, headers={"Retry-After": str(wait)})
        found = directory.authenticate(credentials.username, credentials.password)
        if found is None:  # one message for an unknown user and a wrong password
            throttle.failed(credentials.username, address)
            raise HTTPException(401, "用户名或密码错误", headers={"WWW-Authenticate": "Basic"})
        throttle.succeeded(credentials.username)
        return found

    def needs(permission: str):
        def check(current: StaffUser = Depends(user)) -> StaffUser:
            if not current.can(permission):
                raise HTTPException(403, "您的角色无权使用此功能")
            return current
        return check

    def run(action):
        try:
            return action()
        except DeskError as error:
            raise HTTPException(409, str(error)) from error

    @router.get("/me")
    def me(current: StaffUser = Depends(user)) -> dict:
        return {"name": current.name, "role": current.role}

    @router.get("/queue")
    def queue(current: StaffUser = Depends(needs("desk"))) -> dict:
        """The open and claimed tickets; polling it counts as being online (no callback is offered then)."""
        desk.heartbeat(current)
        tickets, counts = desk.queue()
        queues = desk.tickets.queues([t.id for t in tickets])
        return {"counts": counts, "tickets": [_queue_item(desk, t, queues[t.id]) for t in tickets]}

    @router.get("/tickets/{ticket_id}")
    def view(ticket_id: str, current: StaffUser = Depends(needs("desk"))) -> dict:
        found = run(lambda: desk.open(ticket_id, current))
        suggestion = found.suggestion
        return _ticket_view(desk, found) | {
            "suggestion": suggestion.answer.to_api() | {"answer": suggestion.text, "reminders": suggestion.reminders},
        }

    @router.post("/tickets/{ticket_id}/claim")
    def claim(ticket_id: str, current: StaffUser = Depends(needs("desk"))) -> dict:
        ticket = run(lambda: desk.claim(ticket_id, current))
        return {"id": ticket.id, "status": ticket.status, "owner": ticket.owner}

    @router.post("/tickets/{ticket_id}/check")
    def check(ticket_id: str, request: DraftRequest, current: StaffUser = Depends(needs("desk"))) -> dict:
        findings = run(lambda: desk.check(request.draft, ticket_id))
        return {"ok": not findings, "findings": [f.__dict__ for f in findings]}

    @router.post("/tickets/{ticket_id}/reply")
    def reply(ticket_id: str, request: DraftRequest, current: StaffUser = Depends(needs("desk"))) -> dict:
        findings = run(lambda: desk.reply(ticket_id, current, request.draft))
        if findings:
            raise HTTPException(422, {"message": "回复未通过合规检查", "findings": [f.__dict__ for f in findings]})
        return {"sent": True}

    @router.post("/tickets/{ticket_id}/transfer")
    def transfer(ticket_id: str, request: TransferRequest, current: StaffUser = Depends(needs("desk"))) -> dict:
        ticket = run(lambda: desk.transfer(ticket_id, current, note=request.note, to_expert=request.to_expert,
                                           to_queue=request.to_queue))
        return {"id": ticket.id, "status": ticket.status, "owner": ticket.owner,
                "queue": desk.tickets.queue_of(ticket.id)}

    @router.post("/tickets/{ticket_id}/resolve")
    def resolve(ticket_id: str, request: ResolveRequest, current: StaffUser = Depends(needs("desk"))) -> dict:
        ticket = run(lambda: desk.resolve(ticket_id, current, request.resolution, request.note,
                                          request.care_gesture))
        return {"id": ticket.id, "status": ticket.status, "resolution": ticket.resolution}

    @router.post("/copilot")
    def copilot(request: CopilotRequest, current: StaffUser = Depends(needs("copilot"))) -> dict:
        suggestion = desk.copilot(request.question, request.as_of, current)
        return suggestion.answer.to_api() | {"answer": suggestion.text, "reminders": suggestion.reminders,
                                             "as_of": (request.as_of or dt.date.today()).isoformat()}

    if knowledge is not None:
        add_knowledge_routes(router, knowledge, needs)  # /knowledge/...

    # /gaps, /gaps.csv, /gaps/drafts
    add_gap_routes(router, gaps or GapReporter.from_service(desk.service), needs)
    # /privacy/erase, /privacy/retention, /privacy/log (admin)
    add_privacy_routes(router, erasure or DataEraser(desk.service.db), desk.service.settings, needs)
    return router


def _queue_item(desk: Desk, ticket: Ticket, queue: str) -> dict:
    """A queue entry: the labels the console shows (Chinese, times in the office time zone) and the codes
    behind them."""
    return {"id": ticket.id, "priority": priority_label(ticket.priority), "reason": reason_label(ticket.reason),
            "status": status_label(ticket.status), "owner": ticket.owner or "",
            "owner_name": desk.staff.display_name(ticket.owner) if ticket.owner else "",
            "deadline": desk.local(ticket.deadline), "priority_code": ticket.priority, "reason_code": ticket.reason,
            "status_code": ticket.status, "queue": queue, "deadline_utc": ticket.deadline.isoformat()}


def _ticket_view(desk: Desk, view: TicketView) -> dict:
    ticket, callback = view.ticket, view.callback
    return {
        "id": ticket.id, "status": ticket.status, "priority": ticket.priority, "reason": ticket.reason,
        "owner": ticket.owner, "queue": view.queue, "summary": ticket.summary,
        "customer_id": view.customer_id, "identity_verified": view.customer_id is not None,
        "deadline": ticket.deadline.isoformat(), "deadline_local": desk.local(ticket.deadline),
        "transcript": [{"id": m.id, "role": m.role, "content": m.content, "outcome": m.outcome, "author": m.author,
                        "trigger": m.id in view.trigger_ids} for m in view.transcript],
        "customer": {"presence": view.presence, "label": PRESENCE_LABELS[view.presence]},
        # The number in clear only for the ticket's owner or an admin; others learn that one was left.
        "callback": None if callback is None else {"requested": True, "phone": callback.phone,
                                                   "consented_at": callback.consented_at.isoformat()
                                                   if callback.consented_at else None},
        "events": [{"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind, "note": e.note, "detail": e.details}
                   for e in view.events],
        "earlier_tickets": [t.id for t in view.earlier_tickets],
        "earlier_sessions": view.earlier_sessions,
    }
