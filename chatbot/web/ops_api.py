"""Staff API routes of operations, added to the /api/staff router: the 360° dashboard (supervisor, admin),
the quality-inspection report and its rules (compliance, supervisor, admin; editing: compliance, admin),
the staff action log (admin) and why an answer was given. None of them changes the action log except by
appending (a rule-set change is recorded)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from ..conversations.models import utcnow
from ..errors import ConfigError
from ..staff.accounts import StaffUser
from ..staff.operations import Operations

Days = Annotated[int, Query(ge=1, le=366)]


class RulesRequest(BaseModel):
    text: str = Field(min_length=1, max_length=200_000)
    note: str = Field("", max_length=500)


def csv_response(data: bytes, name: str) -> Response:
    return Response(data, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def add_ops_routes(router: APIRouter, ops: Operations, needs) -> None:
    dashboard, inspection, rules, audit = (Depends(needs(p)) for p in ("dashboard", "inspection", "rules", "audit"))

    @router.get("/dashboard")
    def figures(days: Days = 7, current: StaffUser = dashboard) -> dict:
        return ops.dashboard.figures(days)

    @router.get("/dashboard.csv")
    def figures_csv(days: Days = 7, current: StaffUser = dashboard) -> Response:
        return csv_response(ops.dashboard.csv(ops.dashboard.figures(days)), f"dashboard-{days}d.csv")

    def hits(days: int, category: str | None, role: str | None, ticket_id: str | None):
        return ops.inspector.hits(since=utcnow() - dt.timedelta(days=days), category=category, role=role,
                                  ticket_id=ticket_id)

    @router.get("/inspection")
    def report(days: Days = 30, category: str | None = None, role: str | None = None, ticket_id: str | None = None,
               current: StaffUser = inspection) -> dict:
        found = hits(days, category, role, ticket_id)
        return {"ruleset_version": ops.inspector.current().version,
                "hits": [{"at": h.created_at.isoformat(), "category": h.category, "rule": h.rule_id, "role": h.role,
                          "author": h.author, "ticket_id": h.ticket_id, "session_id": h.session_id,
                          "message_id": h.message_id, "excerpt": h.excerpt, "ruleset_version": h.ruleset_version}
                         for h in found]}

    @router.get("/inspection.csv")
    def report_csv(days: Days = 30, category: str | None = None, role: str | None = None,
                   ticket_id: str | None = None, current: StaffUser = inspection) -> Response:
        return csv_response(ops.inspector.csv(hits(days, category, role, ticket_id)), f"inspection-{days}d.csv")

    @router.get("/inspection/rules")
    def rules_in_force(current: StaffUser = inspection) -> dict:
        in_force = ops.inspector.current()
        return {"version": in_force.version, "text": in_force.text,
                "versions": [{"version": v.version, "author": v.author, "note": v.note, "at": v.created_at.isoformat()}
                             for v in ops.inspector.versions()]}

    @router.post("/inspection/rules")
    def save_rules(request: RulesRequest, current: StaffUser = rules) -> dict:
        try:
            return {"version": ops.save_rules(request.text, current.name, request.note)}
        except ConfigError as error:
            raise HTTPException(422, str(error)) from error

    @router.get("/audit")
    def actions(days: Days = 30, actor: str | None = None, action: str | None = None, q: str | None = None,
                current: StaffUser = audit) -> dict:
        found = ops.audit.search(actor=actor, action=action, text=q, since=utcnow() - dt.timedelta(days=days))
        return {"actions": [ops.audit.as_dict(a) for a in found]}

    @router.get("/audit.csv")
    def actions_csv(days: Days = 30, actor: str | None = None, action: str | None = None, q: str | None = None,
                    current: StaffUser = audit) -> Response:
        found = ops.audit.search(actor=actor, action=action, text=q, since=utcnow() - dt.timedelta(days=days))
        return csv_response(ops.audit.csv(found), f"staff-actions-{days}d.csv")

    @router.get("/messages/{message_id}/explain")
    def explain(message_id: int, current: StaffUser = Depends(needs("copilot"))) -> dict:
        text = ops.trail.explain(message_id)
        if text is None:
            raise HTTPException(404, "没有找到该回答的审计记录")
        record = ops.trail.get(message_id)
        return {"message_id": message_id, "explanation": text, "generation": record.generation,
                "collection": record.collection, "card_id": record.card_id, "card_version": record.card_version,
                "outcome": record.outcome, "reason": record.reason, "confidence": record.confidence,
                "llm_model": record.llm_model} | record.details
