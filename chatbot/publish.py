"""Atomic publish of the index: every re-ingest builds a new generation and switches to it at the end.

A generation is a Chroma collection (`<collection>-g00007`) plus its state file (`data/index/g00007.sqlite`:
manifest and record manager). A re-ingest copies the served generation (vectors included, nothing is
re-embedded), writes the changes into the copy, probes it for stale content, runs the evaluation gate,
and only then publishes it by atomically replacing `data/index/current.json`. A crash or `kill -9`
before that rename leaves the served generation untouched; the next ingest discards the leftovers.
Readers (the retriever in every worker) follow `current.json`. The previous generation is kept, so a
worker that has not yet noticed the switch still answers from an intact index.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from .config import Settings
from .errors import ChatbotError, LoaderError
from .indexer import (
    Indexer,
    IngestReport,
    Manifest,
    Plan,
    ingest_lock,
    pipeline_of,
    plan_changes,
)

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


@dataclass
class Generation:
    number: int
    collection: str
    state: str  # the state file, relative to the data directory
    published_at: str | None = None
    evaluation: dict | None = None  # the evaluation figures it was published with
    previous: dict | None = None  # the generation it replaced (kept until the next publish)

    def state_path(self, settings: Settings) -> Path:
        return settings.data_dir / self.state

    @property
    def key(self) -> tuple[int, str]:
        return self.number, self.collection


def index_dir(settings: Settings) -> Path:
    return settings.data_dir / "index"


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _read(path: Path) -> Generation | None:
    data = _read_json(path)
    return None if data is None else _generation(data)


def _generation(data: dict) -> Generation:
    return Generation(**{k: v for k, v in data.items() if k in Generation.__dataclass_fields__})


def read_current(settings: Settings) -> Generation | None:
    """The served generation; an index built before generations existed counts as generation 0."""
    found = _read(index_dir(settings) / "current.json")
    if found is None and (settings.data_dir / "records.sqlite").exists():
        return Generation(0, settings.collection, "records.sqlite")
    return found


def read_staged(settings: Settings) -> Generation | None:
    """A generation the evaluation gate held back, waiting for a manager's decision."""
    return _read(index_dir(settings) / "staged.json")


def staged_report(settings: Settings) -> dict | None:
    """The ingest report of the held-back generation (why it was blocked, its figures)."""
    data = _read_json(index_dir(settings) / "staged.json")
    return None if data is None else data.get("report")


def _write_atomic(path: Path, data: dict) -> None:
    """Write, flush to disk, then rename over the old file: readers see the old or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".tmp{os.getpid()}")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _audit(settings: Settings, event: dict) -> None:
    """Append-only log of publications and overrides (data/index/publish.log, one JSON per line)."""
    index_dir(settings).mkdir(parents=True, exist_ok=True)
    event = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **event}
    with open(index_dir(settings) / "publish.log", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(event, ensure_ascii=False) + "\n")


def publish_log(settings: Settings) -> list[dict]:
    path = index_dir(settings) / "publish.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- generations in the store ---------------------------------------------------------------------

def _numbered(settings: Settings, number: int) -> Generation:
    """Generation `number`'s collection and state file names."""
    return Generation(number, f"{settings.collection}-g{number:05d}", f"index/g{number:05d}.sqlite")


def _collections(client) -> list[str]:
    return [c.name if hasattr(c, "name") else c for c in client.list_collections()]


def _drop(settings: Settings, client, generation: Generation | dict | None) -> None:
    if generation is None:
        return
    if isinstance(generation, dict):
        generation = _generation(generation)
    with contextlib.suppress(Exception):
        client.delete_collection(generation.collection)
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(generation.state_path(settings)) + suffix).unlink()


def _discard_unpublished(settings: Settings, client, current: Generation | None) -> None:
    """Remove what a crashed or held-back run left: generations that are neither served nor previous."""
    keep = {current.collection} if current else set()
    if current and current.previous:
        keep.add(current.previous["collection"])
    pattern = re.compile(re.escape(settings.collection) + r"-g(\d{5})$")
    for name in _collections(client):
        match = pattern.match(name)
        if match and name not in keep:
            logger.info("discarding unpublished generation %s", name)
            _drop(settings, client, _numbered(settings, int(match.group(1))))
    with contextlib.suppress(FileNotFoundError):
        (index_dir(settings) / "staged.json").unlink()


def _copy_generation(settings: Settings, client, source: Generation, target: Generation, embeddings,
                     progress: Progress | None) -> None:
    """Copy the served collection and state into a new generation (vectors copied, not recomputed)."""
    from .store import open_collection

    origin = open_collection(client, source.collection, embeddings.model_id, create=False)
    copy = open_collection(client, target.collection, embeddings.model_id)
    total = origin.count() if origin is not None else 0
    page = 1000
    for offset in range(0, total, page):
        batch = origin.get(include=["documents", "metadatas", "embeddings"], limit=page, offset=offset)
        copy.add(ids=batch["ids"], documents=batch["documents"], metadatas=batch["metadatas"],
                 embeddings=batch["embeddings"])
        if progress:
            progress(min(offset + page, total), total, "")
    target_path = target.state_path(settings)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source_db = sqlite3.connect(source.state_path(settings))
    target_db = sqlite3.connect(target_path)
    try:
        source_db.backup(target_db)
        tables = {r[0] for r in target_db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "upsertion_record" in tables:
            target_db.execute("UPDATE upsertion_record SET namespace=?", (f"chroma/{target.collection}",))
        target_db.commit()
    finally:
        source_db.close()
        target_db.close()


# --- one re-ingest ----------------------------------------------------------------------------------

@dataclass
class Override:
    """A manager's decision to publish although the evaluation gate blocked (logged)."""

    by: str
    reason: str


def run_ingest(settings: Settings, embeddings, *, root: Path | None = None, rebuild: bool = False,
               progress: Progress | None = None, show_bar: bool | None = None, client=None,
               override: Override | None = None, user: str = "cli") -> IngestReport:
    """Validate, build a new generation, probe it, gate it, publish it; holding the data-dir lock."""
    from .store import make_client

    root = Path(root or settings.knowledge_dir)
    if not root.exists():
        raise LoaderError(str(root), "knowledge directory not found")
    step = _Steps(progress)
    with ingest_lock(settings.data_dir):
        client = client or make_client(settings)
        current = read_current(settings)
        _discard_unpublished(settings, client, current)
        number = (current.number if current else 0) + 1
        target = _numbered(settings, number)
        base = None if rebuild else current  # what the new generation starts from
        plan = _plan(settings, embeddings, base, root, step("校验"), show_bar)
        if base and not plan.has_writes:  # nothing valid to change: no new generation
            return IngestReport(files=list(plan.files))
        if base:
            _copy_generation(settings, client, base, target, embeddings, step("复制当前索引"))
        indexer = Indexer(settings, embeddings, client=client, collection=target.collection,
                          state_path=target.state_path(settings))
        try:
            report, changes = indexer.apply(plan, progress=step("写入索引"), show_bar=show_bar)
        finally:
            indexer.close()
        report.generation = number
        report.archived = [{"path": c.source, "id": c.item_id, "version": c.archived_version}
                           for c in changes if c.archived_version]
        return _check_and_publish(settings, embeddings, client, current, target, report, changes, step,
                                  override=override, user=user)


def validate(settings: Settings, embeddings, *, root: Path | None = None, progress: Progress | None = None,
             show_bar: bool | None = None) -> Plan:
    """What a re-ingest would do, and every file's errors, against the served index. Writes nothing."""
    return _plan(settings, embeddings, read_current(settings), Path(root or settings.knowledge_dir), progress,
                 show_bar)


def _plan(settings: Settings, embeddings, base: Generation | None, root: Path, progress: Progress | None,
          show_bar: bool | None) -> Plan:
    """Validate the knowledge directory against `base` (None: against nothing indexed)."""
    manifest = Manifest(base.state_path(settings)) if base else None
    try:
        return plan_changes(settings, pipeline_of(settings, embeddings.model_id), manifest, root,
                            progress=progress, show_bar=show_bar)
    finally:
        if manifest:
            manifest.close()


def _check_and_publish(settings, embeddings, client, current, target, report, changes, step, *,
                       override, user) -> IngestReport:
    from .assistant import Assistant
    from .gate import compare, evaluate_generation
    from .probe import probe_changes
    from .retriever import HybridRetriever

    retriever = HybridRetriever(settings, embeddings, client=client, generation=target)
    assistant = Assistant(settings, retriever=retriever)
    step("核验旧内容是否已清除")(0, 1, "")
    report.probe = [asdict(result) for result in probe_changes(assistant, changes)]
    stale = [p for p in report.probe if not p["old_gone"]]
    if stale:
        report.blocked.append("旧内容仍可被检索到：" + "、".join(p["item_id"] or p["source"] for p in stale))
    cases = settings.eval_gate_cases
    if cases and Path(cases).is_file() and current is not None:  # a first build has nothing to compare
        step("运行评测集")(0, 1, str(cases))
        previous = current.evaluation
        if previous is None:  # first gated run: measure the served generation too
            previous = evaluate_generation(settings, embeddings, client, current, Path(cases))
        figures = evaluate_generation(settings, embeddings, client, target, Path(cases), assistant=assistant)
        report.evaluation = {"previous": previous, "current": figures, "margin": settings.eval_gate_margin}
        report.blocked += compare(previous, figures, settings.eval_gate_margin)
    target.evaluation = report.evaluation["current"] if report.evaluation else None
    if report.blocked and override is None:
        _write_atomic(index_dir(settings) / "staged.json", asdict(target) | {"report": report.summary()})
        _audit(settings, {"event": "blocked", "generation": target.number, "by": user, "reasons": report.blocked})
        logger.warning("generation %s not published: %s", target.number, "; ".join(report.blocked))
        return report
    if report.blocked:
        report.override = {"by": override.by, "reason": override.reason}
    _publish(settings, client, current, target, user=user, override=override, blocked=report.blocked)
    report.published = True
    step("已发布")(1, 1, target.collection)
    return report


def _publish(settings: Settings, client, current: Generation | None, target: Generation, *, user: str,
             override: Override | None, blocked: list[str]) -> None:
    target.published_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    target.previous = ({"number": current.number, "collection": current.collection, "state": current.state}
                       if current else None)
    _write_atomic(index_dir(settings) / "current.json", asdict(target))
    with contextlib.suppress(FileNotFoundError):
        (index_dir(settings) / "staged.json").unlink()
    event = {"event": "published", "generation": target.number, "collection": target.collection, "by": user,
             "evaluation": target.evaluation}
    if override is not None:
        event |= {"override": True, "override_by": override.by, "override_reason": override.reason,
                  "blocked": blocked}
        logger.warning("generation %s published over the gate by %s: %s", target.number, override.by,
                       override.reason)
    _audit(settings, event)
    if current and current.previous:  # two back: no reader can still be on it
        _drop(settings, client, current.previous)
    logger.info("published generation %s (%s)", target.number, target.collection)


def publish_staged(settings: Settings, override: Override, *, client=None) -> Generation:
    """Publish the generation the gate held back, on a manager's responsibility (logged)."""
    from .store import make_client

    if not override.reason.strip():
        raise ChatbotError("请填写强制发布的原因。")
    with ingest_lock(settings.data_dir):
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
