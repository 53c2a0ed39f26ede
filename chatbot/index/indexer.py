"""Phase 2 of an ingest: write a validated plan into one generation of the index.

Phase 1 (`plan.py`) validates: unchanged files (same bytes, same pipeline) are skipped before
loading, changed files are loaded and checked (schema errors with file and line), nothing is written.
`apply` writes the plan with LangChain's indexing API (`index(..., cleanup="incremental")`), so a
changed file's stale chunks are deleted; a file that failed validation keeps its previously indexed
chunks (a typo in one card must not take the served answer away). A superseded version (the version
field changed, or the file was removed) is archived: kept in the collection for the record, out of
force from the day the new version takes effect. Which generation is served is `publishing/pipeline.py`'s job.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from ..config import Settings
from .manifest import Manifest, open_record_manager
from .plan import PendingFile, Plan, pipeline_of
from .report import Change, FileReport, IndexReport, progress_bar

logger = logging.getLogger(__name__)

FLUSH_UNITS = 256  # units loaded before they are indexed together


class Indexer:
    """Writes one generation: a Chroma collection plus its bookkeeping (manifest + record manager) under
    `namespace` in the shared SQL database."""

    def __init__(self, settings: Settings, embeddings, *, client, collection: str, namespace: str):
        from langchain_chroma import Chroma

        from .state import state_engine
        from .store import MODEL_KEY, open_collection

        self.settings = settings
        self.embeddings = embeddings
        self.client = client
        self.collection = open_collection(client, collection, embeddings.model_id)
        self.vector_store = Chroma(
            client=client, collection_name=collection, embedding_function=embeddings,
            collection_metadata={MODEL_KEY: embeddings.model_id, "hnsw:space": "cosine"},
        )
        engine = state_engine(settings)
        self.record_manager = open_record_manager(engine, namespace)
        self.manifest = Manifest(engine, namespace)
        self.pipeline = pipeline_of(settings, embeddings.model_id)

    def close(self) -> None:
        self.manifest.close()  # the engine is shared: nothing else to release

    # --- phase 2: write ----------------------------------------------------------------------------

    def apply(self, plan: Plan, *, progress: Callable[[int, int, str], None] | None = None,
              show_bar: bool | None = None, today: dt.date | None = None) -> tuple[IndexReport, list[Change]]:
        """Write a validated plan into this generation. Superseded versions are archived: kept in the
        collection for the record (and for audits as of a past date), out of force from the day the new
        version takes effect."""
        report = IndexReport(files=list(plan.files))
        changes: list[Change] = []
        total, done = plan.units, 0
        bar = progress_bar(total, show_bar, "写入索引", "片段")
        batch: list[PendingFile] = []
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

    def _flush(self, pending: list[PendingFile], report: IndexReport) -> list[Change]:
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
        """The record manager's keys of each file (the group id of its units is the file's source key)."""
        found = {}
        for source in sources:
            keys = self.record_manager.list_keys(group_ids=[source])
            if keys:
                found[source] = set(keys)
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
