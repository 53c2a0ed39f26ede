"""Atomic publish of the index: every re-ingest builds a new generation and switches to it at the end.

A re-ingest copies the served generation (vectors included, nothing is re-embedded), writes the
changes into the copy, probes it for stale content, runs the evaluation gate, and only then publishes
it by replacing the `current` pointer row in one transaction (index/generations.py). A crash or
`kill -9` before that commit leaves the served generation untouched; the next ingest discards the
leftovers. Readers (the retriever in every replica) follow the pointer. The previous generation is
kept, so a replica that has not yet noticed the switch still answers from an intact index.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from ..answer.assistant import Assistant
from ..config import Settings
from ..errors import ChatbotError, LoaderError
from ..index.generations import (
    Generation,
    Progress,
    copy_generation,
    discard_unpublished,
    drop_generation,
    numbered_generation,
    read_current,
    read_staged,
    set_pointer,
    staged_report,
)
from ..index.indexer import Indexer
from ..index.locks import ingest_lock
from ..index.plan import Plan, pipeline_of, plan_changes
from ..index.report import Change, IndexReport
from ..index.store import make_client
from ..retrieval.retriever import HybridRetriever
from .gate import compare, evaluate_generation
from .consistency import cards_to_check, check_cards
from .probe import probe_changes
from .report import ArchivedVersion, GateEvaluation, Override, PublishReport

logger = logging.getLogger(__name__)


# --- one re-ingest ----------------------------------------------------------------------------------

@dataclass
class IngestRun:
    """One re-ingest after its generation is written: what the check-and-publish step works with."""

    settings: Settings
    embeddings: Embeddings
    client: Any  # the Chroma client
    current: Generation | None  # the served generation (None on a first build)
    target: Generation  # the one just built
    steps: _Steps
    override: Override | None  # a manager's decision to publish even if blocked
    user: str


def run_ingest(settings: Settings, embeddings, *, root: Path | None = None, rebuild: bool = False,
               progress: Progress | None = None, show_bar: bool | None = None, client=None,
               override: Override | None = None, user: str = "cli") -> PublishReport:
    """Validate, build a new generation, probe it, gate it, publish it; holding the ingest lock."""
    root = Path(root or settings.knowledge_dir)
    if not root.exists():
        raise LoaderError(str(root), "knowledge directory not found")
    steps = _Steps(progress)
    with ingest_lock(settings):
        client = client or make_client(settings)
        current = read_current(settings)
        discard_unpublished(settings, client, current)
        number = (current.number if current else 0) + 1
        target = numbered_generation(settings, number)
        base = None if rebuild else current  # what the new generation starts from
        plan = _plan(settings, embeddings, base, root, steps("校验"), show_bar)
        if base and not plan.has_writes:  # nothing valid to change: no new generation
            return PublishReport(IndexReport(files=list(plan.files)))
        if base:
            copy_generation(settings, client, base, target, embeddings, steps("复制当前索引"))
        indexer = Indexer(settings, embeddings, client=client, collection=target.collection,
                          namespace=target.state)
        try:
            index_report, changes = indexer.apply(plan, progress=steps("写入索引"), show_bar=show_bar)
        finally:
            indexer.close()
        report = PublishReport(index_report, generation=number,
                               archived=[ArchivedVersion(c.source, c.item_id, c.archived_version)
                                         for c in changes if c.archived_version])
        run = IngestRun(settings, embeddings, client, current, target, steps, override, user)
        return _check_and_publish(run, report, changes)


def validate(settings: Settings, embeddings, *, root: Path | None = None, progress: Progress | None = None,
             show_bar: bool | None = None) -> Plan:
    """What a re-ingest would do, and every file's errors, against the served index. Writes nothing."""
    return _plan(settings, embeddings, read_current(settings), Path(root or settings.knowledge_dir), progress,
                 show_bar)


def _plan(settings: Settings, embeddings, base: Generation | None, root: Path, progress: Progress | None,
          show_bar: bool | None) -> Plan:
    """Validate the knowledge directory against `base` (None: against nothing indexed)."""
    manifest = base.manifest(settings) if base else None
    return plan_changes(settings, pipeline_of(settings, embeddings.model_id), manifest, root,
                        progress=progress, show_bar=show_bar)


def _check_and_publish(run: IngestRun, report: PublishReport, changes: list[Change]) -> PublishReport:
    """Probe the new generation for stale content and run the evaluation gate; publish it unless one
    of them blocks (and no manager overrides), else hold it back as the staged generation."""
    settings, target = run.settings, run.target
    retriever = HybridRetriever(settings, run.embeddings, client=run.client, generation=target)
    assistant = Assistant(settings, retriever=retriever)
    run.steps("核验旧内容是否已清除")(0, 1, "")
    report.probe = probe_changes(assistant, changes)
    stale = [p for p in report.probe if not p.old_gone]
    if stale:
        report.blocked.append("旧内容仍可被检索到：" + "、".join(p.item_id or p.source for p in stale))
    changed = {c.item_id for c in changes if c.item_id and c.status != "deleted"}
    report.consistency = check_cards(retriever, cards_to_check(retriever, changed))
    if report.consistency:
        report.blocked.append("卡片答案与其引用的条款不一致：" + "、".join(i.card_id for i in report.consistency))
    cases = settings.eval_gate_cases
    if cases and Path(cases).is_file() and run.current is not None:  # a first build has nothing to compare
        run.steps("运行评测集")(0, 1, str(cases))
        previous = run.current.evaluation
        if previous is None:  # first gated run: measure the served generation too
            previous = evaluate_generation(settings, run.embeddings, run.client, run.current, Path(cases))
        figures = evaluate_generation(settings, run.embeddings, run.client, target, Path(cases), assistant=assistant)
        report.evaluation = GateEvaluation(previous, figures, settings.eval_gate_margin)
        report.blocked += compare(previous, figures, settings.eval_gate_margin)
    target.evaluation = report.evaluation.current if report.evaluation else None
    if report.blocked and run.override is None:
        set_pointer(settings, "staged", target, extra={"report": report.summary()},
                    event={"event": "blocked", "generation": target.number, "by": run.user,
                           "reasons": report.blocked})
        logger.warning("generation %s not published: %s", target.number, "; ".join(report.blocked))
        return report
    if report.blocked:
        report.override = run.override
    _publish(settings, run.client, run.current, target, user=run.user, override=run.override,
             blocked=report.blocked)
    report.published = True
    run.steps("已发布")(1, 1, target.collection)
    return report


def _publish(settings: Settings, client, current: Generation | None, target: Generation, *, user: str,
             override: Override | None, blocked: list[str]) -> None:
    target.published_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    target.previous = ({"number": current.number, "collection": current.collection, "state": current.state}
                       if current else None)
    event = {"event": "published", "generation": target.number, "collection": target.collection, "by": user,
             "evaluation": target.evaluation}
    if override is not None:
        event |= {"override": True, "override_by": override.by, "override_reason": override.reason,
                  "blocked": blocked}
        logger.warning("generation %s published over the gate by %s: %s", target.number, override.by,
                       override.reason)
    set_pointer(settings, "current", target, event=event, clear=("staged",))
    if current and current.previous:  # two back: no reader can still be on it
        drop_generation(settings, client, current.previous)
    logger.info("published generation %s (%s)", target.number, target.collection)


def publish_staged(settings: Settings, override: Override, *, client=None) -> Generation:
    """Publish the generation the gate held back, on a manager's responsibility (logged)."""
    if not override.reason.strip():
        raise ChatbotError("请填写强制发布的原因。")
    with ingest_lock(settings):
        staged = read_staged(settings)
        if staged is None:
            raise ChatbotError("没有等待发布的索引版本。")
        client = client or make_client(settings)
        _publish(settings, client, read_current(settings), staged, user=override.by, override=override,
                 blocked=(staged_report(settings) or {}).get("blocked", []))
        return staged


class _Steps:
    """Progress across phases: each phase reports its own done/total with a Chinese label."""

    def __init__(self, progress: Progress | None):
        self.progress = progress

    def __call__(self, label: str) -> Progress:
        def report(done: int, total: int, detail: str) -> None:
            if self.progress:
                self.progress(done, total, f"{label} {detail}".strip())
        return report
