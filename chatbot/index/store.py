"""The Chroma vector store: embedded on disk by default, a Chroma server when a URL is set.

The collection records which embedding model built it; opening it with another model is refused,
since mixed vectors would silently return nonsense.
"""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from ..config import Settings
from ..errors import EmbeddingMismatchError, StoreUnavailableError

logger = logging.getLogger(__name__)

MODEL_KEY = "embedding_model"


def make_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    except Exception as exc:
        where = settings.chroma_url or settings.chroma_dir
        raise StoreUnavailableError(f"cannot open the Chroma store at {where}: {exc}") from exc


def open_collection(client, name: str, model_id: str, *, create: bool = True):
    """Get (or create) the collection, refusing one built with another embedding model."""
    try:
        existing = {c.name if hasattr(c, "name") else c for c in client.list_collections()}
        if name not in existing:
            if not create:
                return None
            return client.create_collection(
                name=name,
                metadata={MODEL_KEY: model_id, "hnsw:space": "cosine"},
                embedding_function=None,
            )
        collection = client.get_collection(name=name, embedding_function=None)
    except Exception as exc:
        raise StoreUnavailableError(f"cannot open Chroma collection {name!r}: {exc}") from exc
    built_with = (collection.metadata or {}).get(MODEL_KEY)
    if built_with and built_with != model_id:
        raise EmbeddingMismatchError(
            f"索引由嵌入模型 {built_with} 构建，而当前配置为 {model_id}；"
            f"请改回原模型，或运行 `python ingest.py --rebuild` 用新模型重建索引。"
            f" (index built with {built_with}, configured {model_id})"
        )
    return collection
