"""Staff JSON API under /api/staff, behind HTTP Basic auth with per-role permissions."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field

from ..errors import ChatbotError, DeskError
from ..publishing.admin import KnowledgeAdmin
from ..staff.accounts import StaffDirectory, StaffUser
from ..staff.desk import Desk, ticket_row
from ..staff.gaps import GapReporter
from .gaps_api import add_gap_routes

security = HTTPBasic(realm="xiaobao-staff")


class DraftRequest(BaseModel):
    draft: str = Field(max_length=5000)


class ResolveRequest(BaseModel):
    resolution: str
    note: str = Field("", max_length=5000)
    care_gesture: str | None = Field(None, max_length=500)


class CopilotRequest(BaseModel):
    question: str = Field(max_length=2000)
    as_of: dt.date | None = Field(None, description="Answer from the knowledge in force on this date (audits).")


class IngestRequest(BaseModel):
    override_reason: str = Field("", max_length=1000, description="Publish even if the evaluation gate blocks.")


class PublishRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


def staff_router(desk: Desk, directory: StaffDirectory, knowledge: KnowledgeAdmin | None = None, *,
                 gaps: GapReporter | None = None) -> APIRouter:
    router = APIRouter(prefix="/api/staff")

    def user(credentials: HTTPBasicCredentials = Depends(security)) -> StaffUser:
        found = directory.authenticate(credentials.username, credentials.password)
        if found is None:  # one message for an unknown user and a wrong password
            raise HTTPException(401, "用户名或密码错误", headers={"WWW-Authenticate": "Basic"})
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
        tickets, counts = desk.queue()
        return {"counts": counts, "tickets": [dict(zip(["id", "priority", "reason", "status", "owner", "deadline"],
                                                        ticket_row(t))) | {"priority_code": t.priority}
                                               for t in tickets]}

    @router.get("/tickets/{ticket_id}")
    def view(ticket_id: str, current: StaffUser = Depends(needs("desk"))) -> dict:
        found = run(lambda: desk.view(ticket_id))
        ticket = found.ticket
        return {
            "id": ticket.id, "status": ticket.status, "priority": ticket.priority, "reason": ticket.reason,
            "owner": ticket.owner, "summary": ticket.summary, "deadline": ticket.deadline.isoformat(),
            "transcript": [{"role": m.role, "content": m.content, "outcome": m.outcome} for m in found.transcript],
            "earlier_tickets": [t.id for t in found.earlier_tickets],
            "earlier_sessions": found.earlier_sessions,
            "suggestion": found.suggestion.answer.to_api() | {"reminders": found.suggestion.reminders},
        }

    @router.post("/tickets/{ticket_id}/claim")
    def claim(ticket_id: str, current: StaffUser = Depends(needs("desk"))) -> dict:
        ticket = run(lambda: desk.claim(ticket_id, current.name))
        return {"id": ticket.id, "status": ticket.status, "owner": ticket.owner}

    @router.post("/tickets/{ticket_id}/check")
    def check(ticket_id: str, request: DraftRequest, current: StaffUser = Depends(needs("desk"))) -> dict:
        findings = run(lambda: desk.check(request.draft, ticket_id))
        return {"ok": not findings, "findings": [f.__dict__ for f in findings]}

    @router.post("/tickets/{ticket_id}/reply")
    def reply(ticket_id: str, request: DraftRequest, current: StaffUser = Depends(needs("desk"))) -> dict:
        findings = run(lambda: desk.reply(ticket_id, current.name, request.draft))
        if findings:
            raise HTTPException(422, {"message": "回复未通过合规检查", "findings": [f.__dict__ for f in findings]})
        return {"sent": True}

    @router.post("/tickets/{ticket_id}/resolve")
    def resolve(ticket_id: str, request: ResolveRequest, current: StaffUser = Depends(needs("desk"))) -> dict:
        ticket = run(lambda: desk.resolve(ticket_id, current.name, request.resolution, request.note,
                                          request.care_gesture))
        return {"id": ticket.id, "status": ticket.status, "resolution": ticket.resolution}

    @router.post("/copilot")
    def copilot(request: CopilotRequest, current: StaffUser = Depends(needs("copilot"))) -> dict:
        suggestion = desk.copilot(request.question, request.as_of)
        return suggestion.answer.to_api() | {"reminders": suggestion.reminders,
                                             "as_of": (request.as_of or dt.date.today()).isoformat()}

    if knowledge is not None:
        _knowledge_routes(router, knowledge, needs)

    # /gaps, /gaps.csv, /gaps/drafts
    add_gap_routes(router, gaps or GapReporter.from_service(desk.service), needs)
    return router


def _knowledge_routes(router: APIRouter, knowledge: KnowledgeAdmin, needs) -> None:
    """Knowledge managers: upload, validate, re-ingest and publish (the console's 知识库 tab)."""
    from dataclasses import asdict

    def run(action):
        try:
            return action()
        except ChatbotError as error:  # e.g. another ingest is running
            raise HTTPException(409, str(error)) from error

    @router.post("/knowledge/upload")
    async def upload(files: list[UploadFile] = File(...), current: StaffUser = Depends(needs("knowledge"))) -> dict:
        limit = int(knowledge.settings.upload_max_mb * 1024 * 1024)
        results = [knowledge.upload(f.filename or "", await f.read(limit + 1)) for f in files]
        return {"files": [asdict(r) for r in results]}

    @router.post("/knowledge/validate")
    def check(current: StaffUser = Depends(needs("knowledge"))) -> dict:
        plan = run(knowledge.validate)
        return {"changed": [p.source for p in plan.pending], "deleted": plan.deleted,
                "errors": [{"path": f.path, "error": f.error} for f in plan.files if f.status == "error"]}

    @router.post("/knowledge/ingest")
    def ingest(request: IngestRequest, current: StaffUser = Depends(needs("knowledge"))) -> dict:
        return run(lambda: knowledge.reingest(current.name, override_reason=request.override_reason)).summary()

    @router.post("/knowledge/publish-staged")
    def publish(request: PublishRequest, current: StaffUser = Depends(needs("knowledge"))) -> dict:
        return {"published": run(lambda: knowledge.publish_staged(current.name, request.reason))}

    @router.get("/knowledge/status")
    def status(current: StaffUser = Depends(needs("knowledge"))) -> dict:
        return asdict(knowledge.status())
