"""Phase 1 of an ingest: validate the knowledge directory against what is indexed, writing nothing.

Unchanged files (same bytes, same pipeline) are skipped before loading; changed files are loaded and
checked (schema errors with file and line; a card citing an unknown document; an id defined twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.documents import Document

from ..config import Settings
from ..errors import LoaderError, QuarantineError
from ..knowledge.documents import card_documents, doc_documents, file_digest, scan
from ..knowledge.loaders import load_card
from ..knowledge.quarantine import QUARANTINE_DIR, quarantine
from .manifest import Manifest
from .report import FileReport, progress_bar

logger = logging.getLogger(__name__)

PIPELINE_VERSION = "3"  # bump when loaders/splitter/unit layout change: every file is re-indexed


@dataclass
class PendingFile:
    """One changed file, loaded and validated, waiting to be written."""

    source: str
    digest: str
    item_id: str
    existed: bool
    documents: list[Document]
    version: str
    effective_date: str


@dataclass
class Plan:
    """The result of validating a knowledge directory against what is indexed: nothing written yet."""

    files: list[FileReport] = field(default_factory=list)  # unchanged and failed files
    pending: list[PendingFile] = field(default_factory=list)
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
    bar = progress_bar(len(files), show_bar, "校验知识文件", "文件")
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
            reason = exc.reason
            if isinstance(exc, QuarantineError):
                quarantine(root, path, reason)
                reason = f"文件已隔离到 {QUARANTINE_DIR}/，未导入：{reason}"
            logger.warning("ingest failed path=%s reason=%s", source, reason)
            plan.files.append(FileReport(source, "error", error=reason))
            if previous:
                for item in previous[2]:
                    seen_ids[item] = source
            continue
        seen_ids[item_id] = source
        plan.pending.append(PendingFile(source, digest, item_id, previous is not None, documents, version,
                                     effective))
    bar.close()
    present = {source for source, _, _ in files}
    plan.deleted = [s for s in manifest.sources() if s not in present] if manifest else []
    return plan
