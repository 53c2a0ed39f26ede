"""Staff API routes of the knowledge-gap report, added to the /api/staff router (permission "knowledge")."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field

from ..staff.accounts import StaffUser
from ..staff.gap_drafts import draft_card
from ..staff.gaps import GapReporter

SINCE_DAYS = Query(30, ge=0, le=3650, description="questions of the last N days; 0 = all")


class GapDraftRequest(BaseModel):
    cluster_id: str = Field(min_length=1, max_length=64, description="`id` of a cluster in GET /gaps")
    since_days: float = Field(30, ge=0, le=3650, description="the period the cluster was listed for")


def add_gap_routes(router: APIRouter, reporter: GapReporter, needs) -> None:
    """`needs(permission)` is the staff router's role check."""
    knowledge = Depends(needs("knowledge"))

    @router.get("/gaps")
    def gaps(since_days: float = SINCE_DAYS, current: StaffUser = knowledge) -> dict:
        report = reporter.report(since_days=since_days or None)
        return {"since": report.since.isoformat() if report.since else None, "until": report.until.isoformat(),
                "questions": report.questions, "threshold": report.threshold,
                "clusters": [c.to_dict(reporter.zone) for c in report.clusters]}

    @router.get("/gaps.csv")
    def gaps_csv(since_days: float = SINCE_DAYS, current: StaffUser = knowledge) -> Response:
        report = reporter.report(since_days=since_days or None)
        return Response(reporter.to_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="gap-report-{report.until:%Y%m%d}.csv"'})

    @router.post("/gaps/drafts")
    def draft(request: GapDraftRequest, current: StaffUser = knowledge) -> dict:
        cluster = reporter.report(since_days=request.since_days or None).cluster(request.cluster_id)
        if cluster is None:
            raise HTTPException(404, "没有找到该问题簇，请重新生成缺口报告")
        written = draft_card(reporter, cluster)
        return {"id": written.card_id, "path": written.path.relative_to(reporter.settings.knowledge_dir).as_posix(),
                "yaml": written.text, "author": current.name}
