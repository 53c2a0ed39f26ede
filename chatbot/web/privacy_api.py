"""Staff API routes of erasure and retention, added to the /api/staff router (permission "admin")."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field, model_validator

from ..config import Settings
from ..conversations.erasure import DataEraser
from ..staff.accounts import StaffUser
from .sessions import SessionSigner


class ErasureRequest(BaseModel):
    customer_id: str | None = Field(None, min_length=1, max_length=128, description="A verified customer id")
    session_id: str | None = Field(None, min_length=1, max_length=256,
                                   description="A session id as the desk shows it, or a customer's session token")

    @model_validator(mode="after")
    def one_subject(self):
        if (self.customer_id is None) == (self.session_id is None):
            raise ValueError("give exactly one of customer_id and session_id")
        return self


def session_of(value: str, settings: Settings) -> str:
    """The stored session id, from either the bare id (staff) or a customer's token."""
    return SessionSigner.from_settings(settings).verify(value) or value


def add_privacy_routes(router: APIRouter, eraser: DataEraser, settings: Settings, needs) -> None:
    admin = Depends(needs("admin"))

    @router.post("/privacy/erase")
    def erase(request: ErasureRequest, current: StaffUser = admin) -> dict:
        if request.customer_id is not None:
            counts = eraser.erase_customer(request.customer_id, by=current.name)
        else:
            counts = eraser.erase_session(session_of(request.session_id, settings), by=current.name)
        if not any(counts.values()):
            raise HTTPException(404, "没有找到该客户或会话的数据（可能已被删除）")
        return {"erased": counts}

    @router.post("/privacy/retention")
    def retention(current: StaffUser = admin) -> dict:
        return {"days": settings.retention_days,
                "erased": eraser.enforce_retention(settings.retention_days, by=current.name)}

    @router.get("/privacy/log")
    def log(current: StaffUser = admin) -> dict:
        return {"records": [{"at": r.at.isoformat(), "kind": r.kind, "by": r.by, "counts": json.loads(r.counts)}
                            for r in eraser.audit_log()]}
