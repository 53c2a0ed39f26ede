"""Incremental ingest of the knowledge directory into Chroma with LangChain's indexing API.

Per file: unchanged files (same bytes, same pipeline) are skipped before loading; changed files are
re-indexed with `index(..., cleanup="incremental")` so their stale chunks are deleted; files that
disappeared have their chunks deleted; a file that fails to load is reported and its previously
indexed chunks are kept (a typo in one card must not take the served answer away).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import sqlite3
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from langchain_core.documents import Document

from .config import Settings
from .errors import IngestBusyError, LoaderError
from .lexical import tokenize
from .loaders import CARD_SUFFIXES, DOC_SUFFIXES, SIDECAR_SUFFIX, is_sidecar, load_card, load_document
from .schema import Card
from .splitter import split_document

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
        }


class Manifest:
    """What was indexed from which file (hash, pipeline, ids), and the index version counter."""

    def __init__(self, path: Path):
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS files (source TEXT PRIMARY KEY, digest TEXT, "
                         "pipeline TEXT, ids TEXT)")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
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

    def put(self, source: str, digest: str, pipeline: str, ids: list[str]) -> None:
        self._db.execute("INSERT OR REPLACE INTO files VALUES (?,?,?,?)", (source, digest, pipeline, json.dumps(ids)))
        self._db.commit()

    def remove(self, source: str) -> None:
        self._db.execute("DELETE FROM files WHERE source=?", (source,))
        self._db.commit()

    def clear(self) -> None:
        self._db.execute("DELETE FROM files")
        self._db.commit()

    def index_version(self) -> int:
        row = self._db.execute("SELECT value FROM meta WHERE key='index_version'").fetchone()
        return int(row[0]) if row else 0

    def bump_version(self) -> int:
        version = self.index_version() + 1
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('index_version', ?)", (str(version),))
        self._db.commit()
        return version

    def close(self) -> None:
        self._db.close()


def read_index_version(settings: Settings) -> int:
    path = settings.data_dir / "records.sqlite"
    if not path.exists():
        return 0
    manifest = Manifest(path)
    try:
        return manifest.index_version()
    finally:
        manifest.close()


def scan(root: Path) -> list[tuple[str, Path, str]]:
    """(source key, path, kind) for every knowledge file under root, sorted; kind is 'doc' or 'card'."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if any(part.startswith((".", "_")) for part in path.relative_to(root).parts):
            continue
        if relative.startswith("sources/") or is_sidecar(path):
            continue
        suffix = path.suffix.lower()
        if suffix in CARD_SUFFIXES:
            found.append((relative, path, "card"))
        elif suffix in DOC_SUFFIXES:
            found.append((relative, path, "doc"))
    return found


def file_digest(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes())
    sidecar = Path(str(path) + SIDECAR_SUFFIX)
    if sidecar.exists():
        digest.update(b"\0sidecar\0" + sidecar.read_bytes())
    return digest.hexdigest()


def card_documents(card: Card, source: str, lexical_mode: str) -> list[Document]:
    """One unit per question variant (question-to-question matching) plus one for the answer."""
    card_json = card.model_dump_json()
    base = {
        "unit": "card", "source_id": card.id, "kind": card.kind, "topic": card.topic, "title": card.title,
        "source": source, "article": "", "effective_date": card.effective_date.isoformat(),
        "version": str(card.version),
    }
    if card.effective_to:
        base["effective_to"] = card.effective_to.isoformat()
    variants = [card.question, *card.similar_questions]
    documents = []
    for number, text in enumerate(variants):
        documents.append(Document(page_content=text, metadata={
            **base, "variant": f"q{number}", "lex": " ".join(tokenize(text, lexical_mode)), "card": card_json,
        }))
    answer_text = f"{card.title}：{card.answer}"
    documents.append(Document(page_content=answer_text, metadata={
        **base, "variant": "answer", "lex": " ".join(tokenize(answer_text, lexical_mode)), "card": card_json,
    }))
    return documents


def doc_documents(path: Path, source: str, settings: Settings) -> tuple[str, list[Document]]:
    loaded = load_document(path, display_path=source)
    chunks = split_document(loaded, chunk_tokens=settings.chunk_tokens,
                            overlap_sentences=settings.chunk_overlap_sentences)
    meta = loaded.meta
    documents = []
    for chunk in chunks:
        metadata = {
            "unit": "doc", "source_id": meta.id, "kind": "answer", "topic": "", "title": meta.title,
            "source": source, "article": chunk.article, "chapter": chunk.chapter, "chunk_id": chunk.chunk_id,
            "version": meta.version, "effective_date": meta.effective_date.isoformat(), "body": chunk.text,
            "lex": " ".join(tokenize(f"{chunk.context} {chunk.text}", settings.lexical_tokenizer)),
        }
        if meta.effective_to:
            metadata["effective_to"] = meta.effective_to.isoformat()
        documents.append(Document(page_content=f"{chunk.context}\n{chunk.text}", metadata=metadata))
    return meta.id, documents


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
    source: str
    digest: str
    item_id: str
    existed: bool
    documents: list[Document]


class Indexer:
    def __init__(self, settings: Settings, embeddings, *, client=None):
        from langchain_chroma import Chroma
        from langchain_community.indexes._sql_record_manager import SQLRecordManager

        from .store import MODEL_KEY, make_client, open_collection

        self.settings = settings
        self.embeddings = embeddings
        self.client = client or make_client(settings)
        self._open = lambda: open_collection(self.client, settings.collection, embeddings.model_id)
        self.collection = self._open()
        self.vector_store = Chroma(
            client=self.client, collection_name=settings.collection, embedding_function=embeddings,
            collection_metadata={MODEL_KEY: embeddings.model_id, "hnsw:space": "cosine"},
        )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.record_manager = SQLRecordManager(f"chroma/{settings.collection}", db_url=settings.record_db_url)
        self.record_manager.create_schema()
        self.manifest = Manifest(settings.data_dir / "records.sqlite")
        self.pipeline = "|".join([PIPELINE_VERSION, embeddings.model_id, str(settings.chunk_tokens),
                                  str(settings.chunk_overlap_sentences), settings.lexical_tokenizer])

    def close(self) -> None:
        self.manifest.close()

    def rebuild(self) -> None:
        """Drop everything indexed so the next run starts from nothing (e.g. after a model change)."""
        from .store import MODEL_KEY

        with contextlib.suppress(Exception):
            self.client.delete_collection(self.settings.collection)
        keys = self.record_manager.list_keys()
        if keys:
            self.record_manager.delete_keys(keys)
        self.manifest.clear()
        self.collection = self._open()
        from langchain_chroma import Chroma

        self.vector_store = Chroma(
            client=self.client, collection_name=self.settings.collection, embedding_function=self.embeddings,
            collection_metadata={MODEL_KEY: self.embeddings.model_id, "hnsw:space": "cosine"},
        )

    def ingest(self, root: Path, *, progress: Callable[[int, int, str], None] | None = None,
               show_bar: bool | None = None) -> IngestReport:
        report = IngestReport()
        files = scan(root)
        # Documents first, so that cards can be checked against the document ids they cite.
        files.sort(key=lambda item: (item[2] != "doc", item[0]))
        known_ids = self.manifest.known_ids()
        seen_ids: dict[str, str] = {}
        pending: list[_Pending] = []
        bar = _progress_bar(len(files), show_bar)
        for number, (source, path, kind) in enumerate(files, start=1):
            if progress:
                progress(number, len(files), source)
            bar.set_postfix_str(source[-40:], refresh=False)
            bar.update(1)
            digest = file_digest(path)
            previous = self.manifest.get(source)
            if previous and previous[0] == digest and previous[1] == self.pipeline:
                for item in previous[2]:
                    seen_ids[item] = source
                report.files.append(FileReport(source, "unchanged"))
                continue
            try:
                if kind == "doc":
                    item_id, documents = doc_documents(path, source, self.settings)
                else:
                    card = load_card(path, display_path=source)
                    missing = [s.doc for s in card.sources if s.doc not in seen_ids and s.doc not in known_ids]
                    if missing:
                        raise LoaderError(source, f"sources: unknown document id {', '.join(missing)}")
                    item_id, documents = card.id, card_documents(card, source, self.settings.lexical_tokenizer)
                owner = seen_ids.get(item_id)
                if owner and owner != source:
                    raise LoaderError(source, f"id {item_id} is already defined in {owner}")
            except LoaderError as exc:
                logger.warning("ingest failed path=%s reason=%s", source, exc.reason)
                report.files.append(FileReport(source, "error", error=exc.reason))
                if previous:
                    for item in previous[2]:
                        seen_ids[item] = source
                continue
            seen_ids[item_id] = source
            pending.append(_Pending(source, digest, item_id, previous is not None, documents))
            if sum(len(p.documents) for p in pending) >= FLUSH_UNITS:
                self._flush(pending, report)
                pending = []
        self._flush(pending, report)
        bar.close()
        present = {source for source, _, _ in files}
        for source in self.manifest.sources():
            if source not in present:
                report.files.append(FileReport(source, "deleted", chunks_deleted=self._delete_source(source)))
                logger.info("removed path=%s", source)
        if report.changed:
            self.manifest.bump_version()
        return report

    def _flush(self, pending: list["_Pending"], report: IngestReport) -> None:
        """Index the loaded files together: one `index()` call for many small files, since its
        per-call cost (record manager round trips, a Chroma write, an embedding batch) dominates
        when files are small. Per-file counts come from the record manager before and after."""
        from langchain_core.indexing import index

        if not pending:
            return
        before = {p.source: set(self.record_manager.list_keys(group_ids=[p.source])) for p in pending}
        index([d for p in pending for d in p.documents], self.record_manager, self.vector_store,
              cleanup="incremental", source_id_key="source", key_encoder="sha256", batch_size=64)
        for item in pending:
            after = set(self.record_manager.list_keys(group_ids=[item.source]))
            added, deleted = len(after - before[item.source]), len(before[item.source] - after)
            self.manifest.put(item.source, item.digest, self.pipeline, [item.item_id])
            status = "updated" if item.existed else "added"
            report.files.append(FileReport(item.source, status, added, deleted))
            logger.info("ingested path=%s status=%s added=%s deleted=%s", item.source, status, added, deleted)

    def _delete_source(self, source: str) -> int:
        keys = self.record_manager.list_keys(group_ids=[source])
        if keys:
            self.vector_store.delete(keys)
            self.record_manager.delete_keys(keys)
        self.manifest.remove(source)
        return len(keys)


def _progress_bar(total: int, show: bool | None):
    from tqdm import tqdm

    if show is None:
        show = sys.stderr.isatty()
    return tqdm(total=total, desc="导入知识库", unit="文件", disable=not show, file=sys.stderr)


def run_ingest(settings: Settings, embeddings, *, root: Path | None = None, rebuild: bool = False,
               progress=None, show_bar: bool | None = None, client=None) -> IngestReport:
    """Ingest the knowledge directory (or `root`), holding the data-dir lock for the duration."""
    root = Path(root or settings.knowledge_dir)
    if not root.exists():
        raise LoaderError(str(root), "knowledge directory not found")
    with ingest_lock(settings.data_dir):
        indexer = Indexer(settings, embeddings, client=client)
        try:
            if rebuild:
                indexer.rebuild()
            return indexer.ingest(root, progress=progress, show_bar=show_bar)
        finally:
            indexer.close()
