"""Staff API routes of knowledge management, added to the /api/staff router (permission "knowledge")."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile
from pydantic import BaseModel, Field

from ..errors import ChatbotError
from ..publishing.admin import KnowledgeAdmin
from ..staff.accounts import StaffUser


class IngestRequest(BaseModel):
    override_reason: str = Field("", max_length=1000, description="Publish even if the evaluation gate blocks.")


class PublishRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


def add_knowledge_routes(router: APIRouter, knowledge: KnowledgeAdmin, needs) -> None:
    """Knowledge managers: upload, validate, re-ingest and publish (the console's 知识库 tab).
    `needs(permission)` is the staff router's role check."""

    def run(action):
        try:
            return action()
        except ChatbotError as error:  # e.g. another ingest is running
            raise HTTPException(409, str(error)) from error

    @router.post("/knowledge/upload")
    async def upload(files: list[UploadFile] = File(...), current: StaffUser = Depends(needs("knowledge"))) -> dict:
        limit = int(knowledge.settings.upload_max_mb * 1024 * 1024)
        results = [knowledge.upload(f.filename or "", await f.read(limit + 1), user=current.name) for f in files]
        return {"files": [asdict(r) for r in results]}

    @router.post("/knowledge/validate")
    def check(current: StaffUser = Depends(needs("knowledge"))) -> dict:
        plan = run(knowledge.validate)
        return {"changed": [p.source for p in plan.pending], "deleted": plan.deleted,
                "errors": [{"path": f.path, "error": f.error} for f in plan.files if f.status == "error"]}

    @router.post("/knowledge/ingest", status_code=202)
    def ingest(request: IngestRequest, current: StaffUser = Depends(needs("knowledge"))) -> dict:
        """Queue a re-ingest; the worker runs it. Poll `GET /knowledge/jobs/{id}` for progress and report."""
        return {"job": knowledge.reingest(current.name, override_reason=request.override_reason).to_api()}

    @router.get("/knowledge/jobs/{job_id}")
    def job(job_id: int, current: StaffUser = Depends(needs("knowledge"))) -> dict:
        found = knowledge.job(job_id)
        if found is None:
            raise HTTPException(404, "没有这个导入任务")
        return {"job": found.to_api()}

    @router.post("/knowledge/publish-staged")
    def publish(request: PublishRequest, current: StaffUser = Depends(needs("knowledge"))) -> dict:
        return {"published": run(lambda: knowledge.publish_staged(current.name, request.reason))}

    @router.get("/knowledge/status")
    def status(current: StaffUser = Depends(needs("knowledge"))) -> dict:
        return asdict(knowledge.status())
