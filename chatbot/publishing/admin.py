"""The knowledge manager's functions, shared by the staff console, the staff API and `ingest.py`:
upload, validate, re-ingest (validate → build → probe → gate → publish), publish a held-back
generation, status, and the report as Chinese text."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings
from ..index.generations import Progress, publish_log, read_current, read_staged, staged_report
from ..index.plan import Plan
from ..index.report import IngestReport
from ..knowledge.uploads import UploadResult, save_upload
from ..publish import Override, publish_staged, run_ingest, validate

FILE_STATUS = {"added": "新增", "updated": "更新", "deleted": "删除", "unchanged": "未变", "error": "失败"}


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

    def reingest(self, user: str, *, override_reason: str = "", progress: Progress | None = None) -> IngestReport:
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
                           (staged_report(settings) or {}).get("blocked", []), publish_log(settings)[-last:])


def format_report(summary: dict) -> str:
    """The ingest report as plain Chinese text (`ingest.py` prints it, the console shows it)."""
    lines = [f"新增 {summary['added']}，更新 {summary['updated']}，删除 {summary['deleted']}，"
             f"未变 {summary['skipped']}，失败 {len(summary['errors'])} 个文件"]
    for item in summary["files"]:
        label = FILE_STATUS.get(item["status"], item["status"])
        extra = f" — {item['error']}" if item["error"] else f"（片段 +{item['chunks_added']} −{item['chunks_deleted']}）"
        lines.append(f"  {label}：{item['path']}{extra}")
    for item in summary["archived"]:
        lines.append(f"  存档：{item['id']} 第 {item['version']} 版（已被取代，仅供审计查询）")
    for probe in summary["probe"]:
        # Only stale content blocks a publish; a phrasing that another card answers is worth a look.
        if not probe["old_gone"]:
            verdict = "未通过（旧内容仍可检索）"
        elif probe["new_answered"] is False:
            verdict = "通过（旧内容已清除；部分问法由其他卡片回答，请留意）"
        else:
            verdict = "通过"
        removed = f"；已清除：“{probe['removed'][0][:60]}”" if probe["removed"] else ""
        lines.append(f"  旧内容核验 {verdict}：{probe['item_id'] or probe['source']} — {probe['detail']}{removed}")
    evaluation = summary["evaluation"]
    if evaluation:
        previous, current = evaluation["previous"] or {}, evaluation["current"]
        lines.append("  评测（上次 → 本次）：" + "，".join(
            f"{name} {_figure(previous.get(name))} → {_figure(current.get(name))}"
            for name in ("outcome", "facts", "hit@1", "hit@3")))
    if summary["generation"] is None:
        lines.append("没有需要写入的变更，当前索引保持不变。")
    elif summary["published"]:
        note = f"（强制发布：{summary['override']['by']}，原因：{summary['override']['reason']}）" \
            if summary["override"] else ""
        lines.append(f"已发布第 {summary['generation']} 版索引{note}。")
    else:
        lines.append(f"第 {summary['generation']} 版索引未发布，线上仍使用原索引：" + "；".join(summary["blocked"]))
        lines.append("确认无误后可运行：python ingest.py --publish-staged --override \"原因\"")
    return "\n".join(lines)


def _figure(value) -> str:
    return "—" if value is None else f"{value:.3f}"
