"""Incremental ingest of the knowledge directory into one generation of the index.

Two phases. `prepare` validates: unchanged files (same bytes, same pipeline) are skipped before
loading, changed files are loaded and checked (schema errors with file and line), nothing is written.
`apply` writes the plan with LangChain's indexing API (`index(..., cleanup="incremental")`), so a
changed file's stale chunks are deleted; a file that failed validation keeps its previously indexed
chunks (a typo in one card must not take the served answer away). A superseded version (the version
field changed, or the file was removed) is archived: kept in the collection for the record, out of
force from the day the new version takes effect. Which generation is served is `publish.py`'s job.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from langchain_core.documents import Document

from .config import Settings
from .errors import IngestBusyError, LoaderError
from .knowledge.documents import card_documents, doc_documents, file_digest, scan
from .knowledge.loaders import load_card

logger = logging.getLogger(__name__)

PIPELINE_VERSION = "3"  # bump when loaders/splitter/unit layout change: every file is re-indexed


@dataclass
class FileReport:
    path: str
    status: str  # added | updated | deleted | unchanged | error
    chunks_added: int = 0
    chunks_deleted: int = 0
    error: str | None = None


@dataclass
class IngestReport:
    files: list[FileReport] = field(default_factory=list)
    generation: int | None = None  # the generation this run built (None: nothing to write)
    published: bool = False  # whether it is now the served index
    blocked: list[str] = field(default_factory=list)  # why it was not published (Chinese, for the manager)
    archived: list[dict] = field(default_factory=list)  # superseded versions kept for the record
    probe: list[dict] = field(default_factory=list)  # stale-content probe, one entry per changed item
    evaluation: dict | None = None  # {"previous": {...}, "current": {...}, "margin": float}
    override: dict | None = None  # {"by", "reason"} when a manager published despite the gate

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def errors(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "error"]

    @property
    def changed(self) -> bool:
        return any(f.status in {"added", "updated", "deleted"} for f in self.files)

    def summary(self) -> dict:
        """The `ingest.py --json` shape of the design (counts are files), plus per-file detail."""
        return {
            "added": self.count("added"),
            "updated": self.count("updated"),
            "deleted": self.count("deleted"),
            "skipped": self.count("unchanged"),
            "errors": [{"path": f.path, "error": f.error} for f in self.errors],
            "chunks": {
                "added": sum(f.chunks_added for f in self.files),
                "deleted": sum(f.chunks_deleted for f in self.files),
            },
            "files": [asdict(f) for f in self.files if f.status != "unchanged"],
            "generation": self.generation,
            "published": self.published,
            "blocked": self.blocked,
            "archived": self.archived,
            "probe": self.probe,
            "evaluation": self.evaluation,
            "override": self.override,
        }


class Manifest:
    """One generation's record of what was indexed from which file (hash, pipeline, ids), and of the
    superseded versions it archived."""

    def __init__(self, path: Path):
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS files (source TEXT PRIMARY KEY, digest TEXT, "
                         "pipeline TEXT, ids TEXT)")
        self._db.execute("CREATE TABLE IF NOT EXISTS archive (source TEXT, item_id TEXT, version TEXT, ids TEXT, "
                         "in_force_until TEXT, archived_at TEXT)")
        self._db.commit()

    def get(self, source: str) -> tuple[str, str, list[str]] | None:
        row = self._db.execute("SELECT digest, pipeline, ids FROM files WHERE source=?", (source,)).fetchone()
        return (row[0], row[1], json.loads(row[2])) if row else None

    def sources(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT source FROM files")]

    def known_ids(self) -> dict[str, str]:
        """Document/card id → the source file that defines it."""
        ids = {}
        for source, raw in self._db.execute("SELECT source, ids FROM files"):
            for item in json.loads(raw):
                ids[item] = source
        return ids

    def put(self, source: str, digest: str, pipeline: str, ids: list[str], *, commit: bool = True) -> None:
        self._db.execute("INSERT OR REPLACE INTO files VALUES (?,?,?,?)", (source, digest, pipeline, json.dumps(ids)))
        if commit:
            self._db.commit()

    def commit(self) -> None:
        self._db.commit()

    def remove(self, source: str) -> None:
        self._db.execute("DELETE FROM files WHERE source=?", (source,))
        self._db.commit()

    def clear(self) -> None:
        self._db.execute("DELETE FROM files")
        self._db.commit()

    def archive(self, source: str, item_id: str, version: str, ids: list[str], until: str) -> None:
        self._db.execute("INSERT INTO archive VALUES (?,?,?,?,?,?)", (
            source, item_id, version, json.dumps(ids), until, dt.datetime.now(dt.UTC).isoformat()))
        self._db.commit()

    def archived(self) -> list[dict]:
        rows = self._db.execute("SELECT source, item_id, version, in_force_until, archived_at FROM archive "
                                "ORDER BY archived_at")
        return [dict(zip(["source", "item_id", "version", "in_force_until", "archived_at"], r)) for r in rows]

    def close(self) -> None:
        self._db.close()


@contextlib.contextmanager
def ingest_lock(data_dir: Path):
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(data_dir / "ingest.lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise IngestBusyError("另一个知识库导入正在进行中，请稍后再试。(another ingest is running)") from exc
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


FLUSH_UNITS = 256  # units loaded before they are indexed together


@dataclass
class _Pending:
    """One changed file, loaded and validated, waiting to be written."""

    source: str
    digest: str
    item_id: str
    existed: bool
    documents: list[Document]
    version: str
    effective_date: str


@dataclass
class Change:
    """What one written file replaced: the units it had before (for archiving and the stale probe)."""

    source: str
    item_id: str
    unit: str  # card | doc
    status: str  # added | updated | deleted
    old_units: list[tuple[str, dict]] = field(default_factory=list)  # (text, metadata), in force before
    old_ids: list[str] = field(default_factory=list)  # their ids, in the same order
    new_units: list[tuple[str, dict]] = field(default_factory=list)
    archived_version: str | None = None  # the superseded version kept for the record, if any


@dataclass
class Plan:
    """The result of validating a knowledge directory against what is indexed: nothing written yet."""

    files: list[FileReport] = field(default_factory=list)  # unchanged and failed files
    pending: list[_Pending] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def has_writes(self) -> bool:
        return bool(self.pending or self.deleted)

    @property
    def units(self) -> int:
        return sum(len(p.documents) for p in self.pending)


def pipeline_of(settings: Settings, model_id: str) -> str:
    """Everything that shapes the indexed units: a file indexed under another pipeline is re-indexed."""
    return "|".join([PIPELINE_VERSION, model_id, str(settings.chunk_tokens),
                     str(settings.chunk_overlap_sentences), settings.lexical_tokenizer])


def plan_changes(settings: Settings, pipeline: str, manifest: Manifest | None, root: Path, *,
             progress: Callable[[int, int, str], None] | None = None, show_bar: bool | None = None) -> Plan:
    """Phase 1: load and validate every file that changed since `manifest` (None: nothing indexed yet),
    with schema errors naming file and line. Writes nothing."""
    plan = Plan()
    files = scan(root)
    # Documents first, so that cards can be checked against the document ids they cite.
    files.sort(key=lambda item: (item[2] != "doc", item[0]))
    known_ids = manifest.known_ids() if manifest else {}
    seen_ids: dict[str, str] = {}
    bar = _progress_bar(len(files), show_bar, "校验知识文件", "文件")
    for number, (source, path, kind) in enumerate(files, start=1):
        if progress:
            progress(number, len(files), source)
        bar.set_postfix_str(source[-40:], refresh=False)
        bar.update(1)
        digest = file_digest(path)
        previous = manifest.get(source) if manifest else None
        if previous and previous[0] == digest and previous[1] == pipeline:
            for item in previous[2]:
                seen_ids[item] = source
            plan.files.append(FileReport(source, "unchanged"))
            continue
        try:
            if kind == "doc":
                meta, documents = doc_documents(path, source, settings)
                item_id, version, effective = meta.id, meta.version, meta.effective_date.isoformat()
            else:
                card = load_card(path, display_path=source)
                missing = [s.doc for s in card.sources if s.doc not in seen_ids and s.doc not in known_ids]
                if missing:
                    raise LoaderError(source, f"sources: unknown document id {', '.join(missing)}")
                item_id, documents = card.id, card_documents(card, source, settings.lexical_tokenizer)
                version, effective = str(card.version), card.effective_date.isoformat()
            owner = seen_ids.get(item_id)
            if owner and owner != source:
                raise LoaderError(source, f"id {item_id} is already defined in {owner}")
        except LoaderError as exc:
            logger.warning("ingest failed path=%s reason=%s", source, exc.reason)
            plan.files.append(FileReport(source, "error", error=exc.reason))
            if previous:
                for item in previous[2]:
                    seen_ids[item] = source
            continue
        seen_ids[item_id] = source
        plan.pending.append(_Pending(source, digest, item_id, previous is not None, documents, version,
                                     effective))
    bar.close()
    present = {source for source, _, _ in files}
    plan.deleted = [s for s in manifest.sources() if s not in present] if manifest else []
    return plan


class Indexer:
    """Writes one generation: a Chroma collection plus its state file (manifest + record manager)."""

    def __init__(self, settings: Settings, embeddings, *, client, collection: str, state_path: Path):
        from langchain_chroma import Chroma
        from langchain_community.indexes._sql_record_manager import SQLRecordManager

        from .store import MODEL_KEY, open_collection

        self.settings = settings
        self.embeddings = embeddings
        self.client = client
        self.collection = open_collection(client, collection, embeddings.model_id)
        self.vector_store = Chroma(
            client=client, collection_name=collection, embedding_function=embeddings,
            collection_metadata={MODEL_KEY: embeddings.model_id, "hnsw:space": "cosine"},
        )
        state_path.parent.mkdir(parents=True, exist_ok=True)
        self.record_manager = SQLRecordManager(f"chroma/{collection}", db_url=f"sqlite:///{state_path.resolve()}")
        self.record_manager.create_schema()
        self.manifest = Manifest(state_path)
        self.pipeline = pipeline_of(settings, embeddings.model_id)

    def close(self) -> None:
        self.manifest.close()
        with contextlib.suppress(Exception):
            self.record_manager.engine.dispose()

    # --- phase 2: write ----------------------------------------------------------------------------

    def apply(self, plan: Plan, *, progress: Callable[[int, int, str], None] | None = None,
              show_bar: bool | None = None, today: dt.date | None = None) -> tuple[IngestReport, list[Change]]:
        """Write a validated plan into this generation. Superseded versions are archived: kept in the
        collection for the record (and for audits as of a past date), out of force from the day the new
        version takes effect."""
        report = IngestReport(files=list(plan.files))
        changes: list[Change] = []
        total, done = plan.units, 0
        bar = _progress_bar(total, show_bar, "写入索引", "片段")
        batch: list[_Pending] = []
        size = 0
        for item in plan.pending:
            batch.append(item)
            size += len(item.documents)
            if size >= FLUSH_UNITS or item is plan.pending[-1]:
                changes += self._flush(batch, report)
                done += size
                bar.update(size)
                if progress:
                    progress(done, total, batch[-1].source)
                batch, size = [], 0
        bar.close()
        withdrawn = ((today or dt.date.today()) - dt.timedelta(days=1)).isoformat()
        keys = self._keys_by_source(plan.deleted)
        live = self._live_units(keys)
        for source in plan.deleted:
            ids, units = live.get(source, ([], []))
            change = Change(source, "", "", "deleted", old_units=units, old_ids=ids)
            if units:
                change.item_id = units[0][1].get("source_id", "")
                change.unit = units[0][1].get("unit", "")
                change.archived_version = self._archive(change, withdrawn)
            indexed = sorted(keys.get(source, ()))
            self._delete_source(source, indexed)
            report.files.append(FileReport(source, "deleted", chunks_deleted=len(indexed)))
            changes.append(change)
            logger.info("removed path=%s", source)
        return report, changes

    def _flush(self, pending: list[_Pending], report: IngestReport) -> list[Change]:
        """Index the loaded files together: one `index()` call for many small files, since its
        per-call cost (record manager round trips, a Chroma write, an embedding batch) dominates
        when files are small. The whole flush is one embedding batch and one Chroma upsert (each
        upsert has a fixed cost: 64-unit batches spent ~3 s more on the demo KB). Per-file counts come
        from the record manager before and after."""
        from langchain_core.indexing import index

        if not pending:
            return []
        changes = []
        sources = [p.source for p in pending]
        before = self._keys_by_source(sources)
        live = self._live_units(before)
        for item in pending:
            ids, old = live.get(item.source, ([], []))
            change = Change(item.source, item.item_id, item.documents[0].metadata["unit"] if item.documents else "",
                            "updated" if item.existed else "added", old_units=old, old_ids=ids,
                            new_units=[(d.page_content, d.metadata) for d in item.documents])
            old_version = old[0][1].get("version") if old else None
            if old_version is not None and old_version != item.version:
                # The day before the new version takes effect is the old version's last day in force.
                last_day = dt.date.fromisoformat(item.effective_date) - dt.timedelta(days=1)
                change.archived_version = self._archive(change, last_day.isoformat())
            changes.append(change)
        index([d for p in pending for d in p.documents], self.record_manager, self.vector_store,
              cleanup="incremental", source_id_key="source", key_encoder="sha256", batch_size=FLUSH_UNITS)
        after = self._keys_by_source(sources)
        for item in pending:
            old, new = before.get(item.source, set()), after.get(item.source, set())
            added, deleted = len(new - old), len(old - new)
            self.manifest.put(item.source, item.digest, self.pipeline, [item.item_id], commit=False)
            status = "updated" if item.existed else "added"
            report.files.append(FileReport(item.source, status, added, deleted))
            logger.info("ingested path=%s status=%s added=%s deleted=%s", item.source, status, added, deleted)
        self.manifest.commit()
        return changes

    def _keys_by_source(self, sources: list[str]) -> dict[str, set[str]]:
        """The record manager's keys of many files in one query (its API asks one file at a time)."""
        from langchain_community.indexes._sql_record_manager import UpsertionRecord
        from sqlalchemy import select

        found: dict[str, set[str]] = {}
        with self.record_manager._make_session() as session:
            for start in range(0, len(sources), 500):
                rows = session.execute(select(UpsertionRecord.group_id, UpsertionRecord.key).where(
                    UpsertionRecord.namespace == self.record_manager.namespace,
                    UpsertionRecord.group_id.in_(sources[start:start + 500])))
                for group, key in rows:
                    found.setdefault(group, set()).add(key)
        return found

    def _live_units(self, keys: dict[str, set[str]]) -> dict[str, tuple[list[str], list[tuple[str, dict]]]]:
        """Per file, the ids and (text, metadata) of its indexed, not archived units (`keys`: the record
        manager's keys per file), read from Chroma together for all the files."""
        wanted = [key for found in keys.values() for key in sorted(found)]
        units: dict[str, tuple[str, dict]] = {}
        for start in range(0, len(wanted), 1000):
            found = self.collection.get(ids=wanted[start:start + 1000], include=["documents", "metadatas"])
            units.update(zip(found["ids"], zip(found["documents"], found["metadatas"])))
        live = {}
        for source, found in keys.items():
            ids = [key for key in sorted(found) if key in units]
            live[source] = (ids, [units[key] for key in ids])
        return live

    def _archive(self, change: Change, last_day: str) -> str | None:
        """Keep the replaced units under archive ids, in force only up to `last_day`. Their vectors are
        copied, not recomputed. The manifest's archive table is the record of what was superseded."""
        if not change.old_ids:
            return None
        vectors = self.collection.get(ids=change.old_ids, include=["embeddings"])
        vector_of = dict(zip(vectors["ids"], vectors["embeddings"]))
        version = change.old_units[0][1].get("version", "")
        ids, metadatas = [], []
        for key, (_, meta) in zip(change.old_ids, change.old_units):
            ending = meta.get("effective_to")
            meta = dict(meta, superseded="1", effective_to=min(ending, last_day) if ending else last_day)
            ids.append(f"archive:{version}:{key}")
            metadatas.append(meta)
        self.collection.upsert(ids=ids, documents=[text for text, _ in change.old_units], metadatas=metadatas,
                               embeddings=[vector_of[key] for key in change.old_ids])
        self.manifest.archive(change.source, metadatas[0].get("source_id", ""), version, ids, last_day)
        logger.info("archived path=%s version=%s units=%s until=%s", change.source, version, len(ids), last_day)
        return version

    def _delete_source(self, source: str, keys: list[str]) -> None:
        if keys:
            self.vector_store.delete(keys)
            self.record_manager.delete_keys(keys)
        self.manifest.remove(source)


def _progress_bar(total: int, show: bool | None, description: str, unit: str):
    from tqdm import tqdm

    if show is None:
        show = sys.stderr.isatty()
    return tqdm(total=total, desc=description, unit=unit, disable=not show, file=sys.stderr)
