"""The knowledge manager's functions, shared by the staff console, the staff API and `ingest.py`:
upload, validate, re-ingest (validate → build → probe → gate → publish), publish a held-back
generation, and status."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings
from ..index.generations import Progress, publish_log, read_current, read_staged, staged_report
from ..index.plan import Plan
from ..knowledge.uploads import UploadResult, save_upload
from .pipeline import publish_staged, run_ingest, validate
from .report import Override, PublishReport


@dataclass
class KnowledgeStatus:
    current: dict | None
    staged: dict | None
    staged_blocked: list[str]
    log: list[dict]


class KnowledgeAdmin:
    def __init__(self, settings: Settings, retriever):
        self.settings = settings
        self.retriever = retriever  # the served one: its embeddings and client are reused

    def upload(self, name: str, data: bytes) -> UploadResult:
        return save_upload(self.settings, name, data)

    def validate(self, progress: Progress | None = None) -> Plan:
        return validate(self.settings, self.retriever.embeddings, progress=progress, show_bar=False)

    def reingest(self, user: str, *, override_reason: str = "", progress: Progress | None = None) -> PublishReport:
        override = Override(by=user, reason=override_reason.strip()) if override_reason.strip() else None
        report = run_ingest(self.settings, self.retriever.embeddings, progress=progress, show_bar=False,
                            client=self.retriever.client, override=override, user=user)
        self.retriever.refresh(force=True)
        return report

    def publish_staged(self, user: str, reason: str) -> int:
        staged = publish_staged(self.settings, Override(by=user, reason=reason), client=self.retriever.client)
        self.retriever.refresh(force=True)
        return staged.number

    def status(self) -> KnowledgeStatus:
        return knowledge_status(self.settings)


def knowledge_status(settings: Settings, *, last: int = 10) -> KnowledgeStatus:
    """The served and held-back generations, and the last publications."""
    current, staged = read_current(settings), read_staged(settings)
    return KnowledgeStatus(current.__dict__ if current else None, staged.__dict__ if staged else None,
                           (staged_report(settings) or {}).get("blocked", []), publish_log(settings, last=last))
