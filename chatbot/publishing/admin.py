"""The knowledge manager's functions, shared by the staff console, the staff API and `ingest.py`:
upload, validate, queue a re-ingest (validate → build → probe → gate → publish, run by the worker) and
follow its job, publish a held-back generation, and status."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings
from ..index.generations import Progress, publish_log, read_current, read_staged, staged_report
from ..index.plan import Plan
from ..knowledge.uploads import UploadResult, save_upload
from ..staff.audit import StaffAuditLog
from .jobs import Job, JobQueue
from .pipeline import publish_staged, validate
from .report import Override


@dataclass
class KnowledgeStatus:
    current: dict | None
    staged: dict | None
    staged_blocked: list[str]
    log: list[dict]
    job: dict | None = None  # the latest ingest job (`Job.to_api()`)


class KnowledgeAdmin:
    def __init__(self, settings: Settings, retriever, *, audit: StaffAuditLog | None = None,
                 jobs: JobQueue | None = None):
        self.settings = settings
        self.retriever = retriever  # the served one: its embeddings and client are reused
        self.audit = audit  # the staff action log (None: not recorded, e.g. `ingest.py`)
        self.jobs = jobs or JobQueue(settings)

    def upload(self, name: str, data: bytes, *, user: str = "") -> UploadResult:
        result = save_upload(self.settings, name, data)
        self._record(user, "upload", name, status=result.status, bytes=len(data))
        return result

    def validate(self, progress: Progress | None = None) -> Plan:
        return validate(self.settings, self.retriever.embeddings, progress=progress, show_bar=False)

    def reingest(self, user: str, *, override_reason: str = "") -> Job:
        """Queue a re-ingest for the worker; follow it with `job()`. The web process never runs it."""
        job = self.jobs.enqueue(user, override_reason=override_reason.strip())
        self._record(user, "override" if override_reason.strip() else "publish", f"reingest job {job.id}",
                     reason=override_reason.strip())
        return job

    def job(self, job_id: int) -> Job | None:
        return self.jobs.get(job_id)

    def publish_staged(self, user: str, reason: str) -> int:
        staged = publish_staged(self.settings, Override(by=user, reason=reason), client=self.retriever.client)
        self.retriever.refresh(force=True)
        self._record(user, "override", f"generation {staged.number}", reason=reason)
        return staged.number

    def _record(self, user: str, action: str, target: str, **detail) -> None:
        if self.audit is not None and user:
            self.audit.record(user, action, target, **detail)

    def status(self) -> KnowledgeStatus:
        status = knowledge_status(self.settings)
        latest = self.jobs.latest()
        status.job = latest.to_api() if latest else None
        return status


def knowledge_status(settings: Settings, *, last: int = 10) -> KnowledgeStatus:
    """The served and held-back generations, and the last publications."""
    current, staged = read_current(settings), read_staged(settings)
    return KnowledgeStatus(current.__dict__ if current else None, staged.__dict__ if staged else None,
                           (staged_report(settings) or {}).get("blocked", []), publish_log(settings, last=last))
