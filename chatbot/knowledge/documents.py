"""Knowledge files as index units.

A card becomes one unit per question variant (question-to-question matching) plus one for its answer,
each carrying the card's JSON; a document becomes one unit per chunk, its text "title · chapter" then
the passage. The metadata layout here is what the store holds: changing it needs a new
`PIPELINE_VERSION` (index/plan.py), so that every file is indexed again.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from langchain_core.documents import Document

from ..config import Settings
from ..schema import Card, DocMeta
from ..text import tokenize
from .loaders import CARD_SUFFIXES, DOC_SUFFIXES, SIDECAR_SUFFIX, is_sidecar, load_document
from .sandbox import ParseLimits, parse_blocks
from .splitter import split_document

logger = logging.getLogger(__name__)


def scan(root: Path) -> list[tuple[str, Path, str]]:
    """(source key, path, kind) for every knowledge file under root, sorted; kind is 'doc' or 'card'.
    A symbolic link that leads out of the knowledge directory is never followed."""
    found = []
    inside = root.resolve()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if any(part.startswith((".", "_")) for part in path.relative_to(root).parts):
            continue
        if not _within(path, inside):
            logger.warning("knowledge file skipped: a link out of the knowledge directory path=%s", relative)
            continue
        if relative.startswith("sources/") or is_sidecar(path):
            continue
        suffix = path.suffix.lower()
        if suffix in CARD_SUFFIXES:
            found.append((relative, path, "card"))
        elif suffix in DOC_SUFFIXES:
            found.append((relative, path, "doc"))
    return found


def _within(path: Path, root: Path) -> bool:
    resolved = path.resolve()
    sidecar = Path(str(path) + SIDECAR_SUFFIX)
    targets = [resolved] + ([sidecar.resolve()] if sidecar.exists() or sidecar.is_symlink() else [])
    return all(root in target.parents for target in targets)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes())
    sidecar = Path(str(path) + SIDECAR_SUFFIX)
    if sidecar.exists():
        digest.update(b"\0sidecar\0" + sidecar.read_bytes())
    return digest.hexdigest()


def is_phrasing(metadata: dict) -> bool:
    """Whether an indexed card unit is one of the card's phrasings (`q0`, `q1`…), not its answer."""
    return metadata.get("variant", "").startswith("q")


def is_not_answered(metadata: dict) -> bool:
    """Whether an indexed card unit is a question the card does not answer (`n0`, `n1`…)."""
    return metadata.get("variant", "").startswith("n")


def card_documents(card: Card, source: str, lexical_mode: str) -> list[Document]:
    """One unit per question variant (question-to-question matching), one for the answer, and one per
    question the card does not answer (matched by meaning only: no words for the lexical index)."""
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
    for number, text in enumerate(card.not_answered):
        documents.append(Document(page_content=text, metadata={
            **base, "variant": f"n{number}", "lex": "", "card": card_json,
        }))
    return documents


def doc_documents(path: Path, source: str, settings: Settings) -> tuple[DocMeta, list[Document]]:
    limits = ParseLimits.from_settings(settings)
    loaded = load_document(path, display_path=source, parse=lambda file, shown: parse_blocks(file, shown, limits))
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
    return meta, documents


def passage_of(text: str, meta: dict) -> str:
    """A document chunk's passage without the "title · chapter" line it was embedded with."""
    if meta.get("unit") == "doc" and "\n" in text:
        return text.split("\n", 1)[1]
    return text
