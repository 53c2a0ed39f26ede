"""What a re-ingest reports: the typed report, its JSON summary (the stable `ingest.py --json` shape),
and its plain Chinese text for knowledge managers (`ingest.py` prints it, the console shows it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..index.report import FileReport, IndexReport
from .gate import FIGURE_LABELS
from .probe import ProbeResult

FILE_STATUS = {"added": "新增", "updated": "更新", "deleted": "删除", "unchanged": "未变", "error": "失败"}


@dataclass(frozen=True)
class Override:
    """A manager's decision to publish although the evaluation gate or the probe blocked (logged)."""

    by: str
    reason: str


@dataclass(frozen=True)
class ArchivedVersion:
    """A superseded version kept in the index for the record (audits as of an earlier date)."""

    path: str
    id: str
    version: str


@dataclass(frozen=True)
class GateEvaluation:
    """The evaluation figures of the served generation and of the new one, and the drop allowed."""

    previous: dict | None  # metric name -> value (None: nothing served before)
    current: dict
    margin: float


@dataclass
class PublishReport:
    """One re-ingest: what was indexed, and whether and why the new generation was published."""

    index: IndexReport = field(default_factory=IndexReport)
    generation: int | None = None  # the generation this run built (None: nothing to write)
    published: bool = False  # whether it is now the served index
    blocked: list[str] = field(default_factory=list)  # why it was not published (Chinese, for the manager)
    archived: list[ArchivedVersion] = field(default_factory=list)
    probe: list[ProbeResult] = field(default_factory=list)  # the stale-content probe, per changed item
    evaluation: GateEvaluation | None = None
    override: Override | None = None  # when a manager published despite a block

    @property
    def files(self) -> list[FileReport]:
        return self.index.files

    @property
    def errors(self) -> list[FileReport]:
        return self.index.errors

    def summary(self) -> dict:
        """`ingest.py --json`: the design's counts, then per-file detail and the publication."""
        return self.index.summary() | {
            "generation": self.generation,
            "published": self.published,
            "blocked": list(self.blocked),
            "archived": [asdict(a) for a in self.archived],
            "probe": [asdict(p) for p in self.probe],
            "evaluation": asdict(self.evaluation) if self.evaluation else None,
            "override": asdict(self.override) if self.override else None,
        }


def format_report(report: PublishReport) -> str:
    """The report as plain Chinese text."""
    index = report.index
    lines = [f"新增 {index.count('added')}，更新 {index.count('updated')}，删除 {index.count('deleted')}，"
             f"未变 {index.count('unchanged')}，失败 {len(index.errors)} 个文件"]
    for item in index.files:
        if item.status == "unchanged":
            continue
        label = FILE_STATUS.get(item.status, item.status)
        extra = f" — {item.error}" if item.error else f"（片段 +{item.chunks_added} −{item.chunks_deleted}）"
        lines.append(f"  {label}：{item.path}{extra}")
    for item in report.archived:
        lines.append(f"  存档：{item.id} 第 {item.version} 版（已被取代，仅供审计查询）")
    for probe in report.probe:
        # Only stale content blocks a publish; a phrasing that another card answers is worth a look.
        if not probe.old_gone:
            verdict = "未通过（旧内容仍可检索）"
        elif probe.new_answered is False:
            verdict = "通过（旧内容已清除；部分问法由其他卡片回答，请留意）"
        else:
            verdict = "通过"
        removed = f"；已清除：“{probe.removed[0][:60]}”" if probe.removed else ""
        lines.append(f"  旧内容核验 {verdict}：{probe.item_id or probe.source} — {probe.detail}{removed}")
    evaluation = report.evaluation
    if evaluation:
        previous, current = evaluation.previous or {}, evaluation.current
        lines.append("  评测（上次 → 本次）：" + "，".join(
            f"{label} {_figure(previous.get(name))} → {_figure(current.get(name))}"
            for name, label in FIGURE_LABELS.items()))
    if report.generation is None:
        lines.append("没有需要写入的变更，当前索引保持不变。")
    elif report.published:
        note = f"（强制发布：{report.override.by}，原因：{report.override.reason}）" if report.override else ""
        lines.append(f"已发布第 {report.generation} 版索引{note}。")
    else:
        lines.append(f"第 {report.generation} 版索引未发布，线上仍使用原索引：" + "；".join(report.blocked))
        lines.append("确认无误后可运行：python ingest.py --publish-staged --override \"原因\"")
    return "\n".join(lines)


def _figure(value) -> str:
    return "—" if value is None else f"{value:.3f}"
