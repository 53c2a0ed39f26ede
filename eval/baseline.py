"""The plain LangChain tutorial pipeline, as a user would build it, for side-by-side evaluation.

RecursiveCharacterTextSplitter over the raw text of every knowledge file (cards are read as plain
text files, documents through the same format loaders), Chroma dense-only with the same embeddings,
the top chunk as the answer, always "answered" (no hand-off logic, no rules, no confidence).
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import yaml
from langchain_core.documents import Document

from chatbot.config import Settings
from chatbot.errors import LoaderError
from chatbot.knowledge.documents import scan
from chatbot.knowledge.loaders import load_document
from chatbot.quality.cases import Case, CaseResult
from chatbot.text import normalize

logger = logging.getLogger(__name__)

COLLECTION = "tutorial-baseline"
TEXT_FORMAT = 2  # part of the cached index's name: 2 = cards read without their not_answered list


def _raw_documents(root: Path) -> list[Document]:
    documents = []
    for source, path, kind in scan(root):
        if kind == "card":
            text = _card_text(path)
            source_id = path.stem
        else:
            try:
                loaded = load_document(path, display_path=source)
            except LoaderError:
                continue
            text = "\n".join(block.text for block in loaded.blocks)
            source_id = loaded.meta.id
        documents.append(Document(page_content=text, metadata={"source": source, "source_id": source_id}))
    return documents


def _card_text(path: Path) -> str:
    """The card file as plain text, without the questions it says it does not answer (our pipeline's
    metadata, not content: read as text they would make the chunk match exactly those questions)."""
    text = path.read_text(encoding="utf-8")
    try:
        fields = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if not isinstance(fields, dict) or "not_answered" not in fields:
        return text
    fields.pop("not_answered")
    return yaml.safe_dump(fields, allow_unicode=True, sort_keys=False)


def _digest(root: Path) -> str:
    digest = hashlib.sha256()
    for source, path, _ in scan(root):
        digest.update(source.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


class TutorialBaseline:
    def __init__(self, settings: Settings, embeddings, *, chunk_size: int = 300, chunk_overlap: int = 50):
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        root = Path(settings.knowledge_dir)
        directory = settings.data_dir / "baseline" / f"{_digest(root)}-{chunk_size}-{chunk_overlap}-t{TEXT_FORMAT}"
        fresh = not directory.exists()
        client = chromadb.PersistentClient(path=str(directory), settings=ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma(client=client, collection_name=COLLECTION, embedding_function=embeddings,
                            collection_metadata={"hnsw:space": "cosine"})
        if fresh or self.store._collection.count() == 0:
            started = time.perf_counter()
            splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
            chunks = splitter.split_documents(_raw_documents(root))
            self.store.add_documents(chunks)
            logger.info("baseline indexed chunks=%s seconds=%.1f", len(chunks), time.perf_counter() - started)

    def run_case(self, case: Case) -> CaseResult:
        started = time.perf_counter()
        # The provider embeds a query as given; the question is normalised here, as the assistant does.
        hits = self.store.similarity_search(normalize(case.question), k=5)
        latency = (time.perf_counter() - started) * 1000
        top = hits[0] if hits else None
        return CaseResult(
            id=case.id,
            question=case.question,
            topic=case.topic,
            outcome="answered",
            answer=top.page_content if top else "",
            citations=[{"id": top.metadata["source_id"], "title": top.metadata["source"],
                        "source": top.metadata["source"], "snippet": top.page_content[:160]}] if top else [],
            confidence=1.0,
            handoff_reason=None,
            latency_ms=round(latency, 2),
            matched_id=top.metadata["source_id"] if top else None,
            retrieved=list(dict.fromkeys(h.metadata["source_id"] for h in hits)),
        )
