"""Hybrid retrieval: dense (Chroma) + BM25 over Chinese tokens, fused with reciprocal rank fusion.

Cards are matched on their question and similar questions (question-to-question); documents on
their chunks. The retriever follows the published generation (`index/generations.py`) and rebuilds its lexical
index when a new one is published. Superseded versions are in the store too; only units in force on
the asked date (today by default) are ever returned.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time

import numpy as np
from threadpoolctl import threadpool_limits

from ..config import Settings
from ..knowledge.documents import is_not_answered, passage_of
from ..payloads import Candidate, RetrievedChunk
from ..schema import Card
from ..text import tokenize_normalized
from .lexical import LexicalIndex, TokenRows
from .vocabulary import Vocabulary
from .units import Positions, UnitTable

logger = logging.getLogger(__name__)

RRF_K = 60


class HybridRetriever:
    def __init__(self, settings: Settings, embeddings, *, client=None, generation=None):
        """`generation` pins the retriever to one generation (the ingest probes an unpublished one);
        by default it follows the published one."""
        from ..index.store import make_client

        self.settings = settings
        self.embeddings = embeddings
        self.client = client or make_client(settings)
        self._pinned = generation
        self.collection = None
        self._lock = threading.Lock()
        self._version: tuple | None = None
        self._checked_at = 0.0
        self._units = UnitTable()
        self._lexical = LexicalIndex([], [], {})
        self._cards: dict[str, dict] = {}  # card id → {(version, superseded): (dates, Card)}
        self._groups = Positions()
        self._vocabulary: dict[str, int] = {}
        self.vocabulary = Vocabulary({}, np.zeros(0), 0, (0, ""))
        self._idf = np.zeros(0)
        self._unseen_idf = 1.0
        self._articles = Positions()
        self._vectors = np.zeros((0, 0), dtype=np.float32)  # unit vectors by position, for exact search
        # Questions cards say they do not answer (`Card.not_answered`): never ranked, only compared with.
        # (card id, edition) → rows of the vectors; swapped as one pair, as a request may read it meanwhile
        self._not_answered: tuple[dict[tuple, list[int]], np.ndarray] = ({}, np.zeros((0, 0), dtype=np.float32))
        # One BLAS thread: a threaded product spins against the embedding engine's OpenMP threads
        # (at 10k units Assistant.ask took 61 instead of 28 ms); the server runs requests in parallel.
        threadpool_limits(limits=1, user_api="blas")
        self.refresh()  # fails here, with a clear message, on a store built with another model

    # --- index state ---------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> None:
        """Reload units and rebuild BM25 when another generation was published (checked at most once a
        second, so a busy server does not read the pointer on every question)."""
        from ..index.generations import read_current
        from ..index.store import open_collection

        now = time.monotonic()
        if not force and self._version is not None and now - self._checked_at < 1.0:
            return
        self._checked_at = now
        generation = self._pinned or read_current(self.settings)
        version = generation.key if generation else (0, "")
        if not force and version == self._version:
            return
        if not force and self._version is not None and self._lock.locked():
            return  # another thread is reloading: answer from the loaded generation meanwhile
        with self._lock:
            if not force and version == self._version:
                return
            self.collection = (open_collection(self.client, generation.collection, self.embeddings.model_id,
                                               create=False) if generation else None)
            units = UnitTable()
            groups = Positions()  # the units of one card, or of one document chunk
            articles = Positions()  # the chunks of one (document id, article)
            cards: dict[str, dict] = {}
            listed: list[tuple[str, tuple, np.ndarray | None]] = []  # not answered: key, (card, edition), vector
            vocabulary: dict[str, int] = {}
            token_ids = TokenRows()
            total = self.collection.count() if self.collection is not None else 0
            vectors = None
            exact = self.settings.dense_search == "exact"  # else the vectors stay in Chroma (hnsw mode)
            # Small pages: Chroma's native side keeps its peak allocation, and 5,000-row pages cost
            # 2–3x the memory of 1,000-row pages at 20k chunks (measured with bench/scale.py).
            page = 1000
            for offset in range(0, total, page):
                batch = self.collection.get(include=["documents", "metadatas", *(["embeddings"] if exact else [])],
                                            limit=page, offset=offset)
                if exact:
                    page_vectors = _unit_rows(np.asarray(batch["embeddings"], dtype=np.float32))
                    if vectors is None:
                        vectors = np.empty((total, page_vectors.shape[1]), dtype=np.float32)
                for row, (key, text, meta) in enumerate(zip(batch["ids"], batch["documents"], batch["metadatas"])):
                    if is_not_answered(meta):  # compared with, never ranked: no unit, no tokens
                        listed.append((key, (meta["source_id"], _edition(meta)),
                                             page_vectors[row].copy() if exact else None))
                        continue
                    # Tokens become integer ids, and the document body is sliced from the text when
                    # needed: at 100k chunks, kept strings would cost more than everything else.
                    lex = meta.pop("lex", "")
                    token_ids.append([vocabulary.setdefault(t, len(vocabulary)) for t in lex.split()])
                    if meta.get("unit") == "doc":
                        meta.pop("body", None)
                    position = units.add(key, text, meta)
                    if exact:
                        vectors[position] = page_vectors[row]
                    meta = units.metadata(position)  # its strings shared, so keys below add none
                    groups.add(_token_group(meta, key), position)
                    if meta.get("unit") == "card":  # every indexed version: the served one and superseded ones
                        editions = cards.setdefault(meta["source_id"], {})
                        edition = _edition(meta)
                        if edition not in editions:  # parsed once per edition, not per question variant
                            dates = {"effective_date": meta.get("effective_date"),
                                     "effective_to": meta.get("effective_to")}
                            editions[edition] = (dates, Card.model_validate_json(meta["card"]))
                    elif meta.get("unit") == "doc" and meta.get("article"):
                        articles.add((meta["source_id"], meta["article"]), position)
                del batch
            units.finish()
            not_answered = self._not_answered_questions(listed)  # before any swap: it may fail
            lexical = LexicalIndex(units.keys, token_ids, vocabulary)
            del token_ids
            # Document frequency per unit, from the lexical index's own counts.
            document_frequency = lexical.document_frequency(len(vocabulary))
            self._lexical = lexical
            self._cards = cards
            self._groups = groups
            self._articles = articles
            self._vocabulary = vocabulary
            self.vocabulary = Vocabulary(vocabulary, document_frequency, len(units), version,
                                         self.settings.lexical_tokenizer, _texts_with(lexical, units))
            self._idf = np.log(1 + (len(units) - document_frequency + 0.5) / (document_frequency + 0.5))
            self._unseen_idf = math.log(1 + (len(units) + 0.5) / 0.5)
            self._units = units
            if vectors is not None and len(units) < len(vectors):
                vectors = vectors[:len(units)].copy()  # not the rows kept for questions cards do not answer
            self._vectors = vectors if vectors is not None else np.zeros((0, 0), dtype=np.float32)
            self._not_answered = not_answered
            self._version = version
            _release_freed_memory()
            logger.info("retriever loaded units=%s index_version=%s", len(units), version)

    def _not_answered_questions(self, found: list[tuple[str, tuple, np.ndarray | None]]
                                ) -> tuple[dict[tuple, list[int]], np.ndarray]:
        """Questions cards say they do not answer (`Card.not_answered`): rows by card edition, and vectors."""
        rows: dict[tuple, list[int]] = {}
        for row, (_, edition, _) in enumerate(found):
            rows.setdefault(edition, []).append(row)
        if not found:
            return rows, np.zeros((0, 0), dtype=np.float32)
        if found[0][2] is not None:
            return rows, np.stack([vector for _, _, vector in found])
        # hnsw mode loads no vectors: these are fetched, a page at a time (SQLite caps the ids of one query)
        keys = [key for key, _, _ in found]
        fetched: dict[str, list[float]] = {}
        for start in range(0, len(keys), 1000):
            got = self.collection.get(ids=keys[start:start + 1000], include=["embeddings"])
            fetched.update(zip(got["ids"], got["embeddings"]))
        return rows, _unit_rows(np.asarray([fetched[key] for key in keys], dtype=np.float32))

    def card_ids(self) -> list[str]:
        """Every card id in the index (any version)."""
        self.refresh()
        return sorted(self._cards)

    def card(self, card_id: str, as_of: dt.date | None = None) -> Card | None:
        """The card in the version in force on `as_of` (today by default)."""
        self.refresh()
        as_of = as_of or dt.date.today()
        return next((card for dates, card in self._cards.get(card_id, {}).values() if _in_force(dates, as_of)), None)

    def article(self, doc_id: str, article: str, as_of: dt.date | None = None) -> tuple[str, str, str] | None:
        """(document title, source path, article text) of a cited article in force on `as_of`."""
        self.refresh()
        as_of = as_of or dt.date.today()
        units = self._units
        found = [(p, meta) for p in self._articles.get((doc_id, article))
                 if _in_force(meta := units.metadata(p), as_of)]
        if not found:
            return None
        text = "".join(passage_of(units.text(p), meta) for p, meta in found)
        return found[0][1]["title"], found[0][1]["source"], text

    @property
    def served_generation(self) -> tuple[int, str]:
        """(number, collection) of the generation the loaded units come from; (0, "") before any."""
        return self._version or (0, "")

    @property
    def size(self) -> int:
        return len(self._units)

    @property
    def generation(self) -> int | None:
        """The number of the generation loaded (None before the first publish)."""
        return self._version[0] if self._version and self._version[1] else None

    def _unit(self, key: str) -> tuple[str, dict]:
        """A unit's text and metadata ("" and {} for a key no longer loaded)."""
        position = self._units.position(key)
        if position is None:
            return "", {}
        return self._units.text(position), self._units.metadata(position)

    # --- search --------------------------------------------------------------------------------

    def retrieve(self, search: str, *, k: int | None = None, as_of: dt.date | None = None) -> list[Candidate]:
        """Candidates (cards and document chunks) sorted by fused score, in force on `as_of`. `search` is
        normalised text (a turn's `Query.search`; other callers normalise with `text.normalize`)."""
        self.refresh()
        if not len(self._units):
            return []
        k = k or self.settings.retrieval_k
        as_of = as_of or dt.date.today()
        vector = self._query_vector(search)
        dense = self._nearest(vector, k * 3)
        query_tokens = tokenize_normalized(search, self.settings.lexical_tokenizer)
        lexical = self._lexical.search(query_tokens, k * 3)
        scores: dict[str, dict] = {}
        for rank, (key, score) in enumerate(dense, start=1):
            scores[key] = {"dense_score": score, "dense_rank": rank}
        for rank, (key, score) in enumerate(lexical, start=1):
            scores.setdefault(key, {}).update(lexical_score=score, lexical_rank=rank)
        fused = []
        for key, found in scores.items():
            text, meta = self._unit(key)
            if not _in_force(meta, as_of):
                continue
            found["fused_score"] = _rrf(found.get("dense_rank")) + _rrf(found.get("lexical_rank"))
            fused.append(self._chunk(key, text, meta, **found))
        candidates = _group(fused)[:k]
        not_answered, not_answered_vectors = self._not_answered  # one pair, read once
        for candidate, coverage in zip(candidates, self._coverage(set(query_tokens), candidates)):
            candidate.coverage = coverage
            if candidate.unit == "card":
                edition = (candidate.best.source_id, _edition(candidate.best.metadata))
                candidate.card = self._cards[edition[0]][edition[1]][1]
                # the best similarity to a question the card says it does not answer
                rows = not_answered.get(edition)
                if rows:
                    candidate.not_answered_score = float(np.max(not_answered_vectors[rows] @ vector))
        return candidates

    def _coverage(self, query_tokens: set[str], candidates: list[Candidate]) -> list[float]:
        """Per candidate, the IDF-weighted share of the query's tokens that the card or chunk contains."""
        if not query_tokens or not candidates:
            return [0.0] * len(candidates)
        ids = [self._vocabulary.get(t, -1) for t in query_tokens]
        weights = np.array([self._idf[i] if i >= 0 else self._unseen_idf for i in ids])
        groups = [self._groups.get(_token_group(c.best.metadata, c.best.key)) for c in candidates]
        hits = self._lexical.contains_many(ids, groups)
        return [float(weights[row].sum() / weights.sum()) for row in hits]

    def _query_vector(self, query: str) -> np.ndarray:
        return _unit_rows(np.asarray(self.embeddings.embed_query(query), dtype=np.float32)[None, :])[0]

    def _dense(self, query: str, k: int) -> list[tuple[str, float]]:
        return self._nearest(self._query_vector(query), k)

    def _nearest(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k units nearest the query vector by cosine similarity, searched exactly over the loaded vectors.
        Chroma's HNSW index is approximate, and in chromadb 1.5.9 the neighbours it misses vary from
        process to process (chroma-core/chroma#7758), so two workers could answer one question
        differently. Exact search is deterministic and cheap here (~12 ms at 100k units)."""
        if self.settings.dense_search == "hnsw":
            return self._dense_hnsw(vector, k)
        scores = self._vectors @ vector  # cosine
        n = min(k, len(scores))
        if n == 0:
            return []
        top = np.argpartition(-scores, n - 1)[:n]
        top = top[np.lexsort((top, -scores[top]))]  # by score, ties in load order
        keys = self._units.keys
        return [(keys[p], float(scores[p])) for p in top]

    def _dense_hnsw(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """For an index too large for every replica to hold every vector (`dense_search=hnsw`): Chroma's
        HNSW query for `dense_candidates` neighbours, re-ranked by exact cosine over their stored vectors.
        The order among the candidates is exact; a neighbour outside the pool can be missed (measured in
        bench/ann_recall.py). With a Chroma server every replica queries the same HNSW index, so replicas
        agree with each other."""
        if self.collection is None or not len(self._units):
            return []
        # The collection also holds the questions cards do not answer, which are dropped from the pool: it
        # grows by their share, so that about `dense_candidates` units remain to rank.
        ranked, stored = len(self._units), len(self._units) + len(self._not_answered[1])
        pool = math.ceil(max(k, self.settings.dense_candidates) * stored / ranked)
        found = self.collection.query(query_embeddings=[vector.tolist()], include=["embeddings"],
                                      n_results=min(pool, stored))
        keys = found["ids"][0]
        if not keys:
            return []
        scores = _unit_rows(np.asarray(found["embeddings"][0], dtype=np.float32)) @ vector
        order = sorted(range(len(keys)), key=lambda i: (-scores[i], keys[i]))
        # a key no longer loaded, or a question a card does not answer, is no unit
        return [(keys[i], float(scores[i])) for i in order if self._units.position(keys[i]) is not None][:k]

    def _chunk(self, key: str, text: str, meta: dict, **scores) -> RetrievedChunk:
        return RetrievedChunk(
            key=key,
            text=passage_of(text, meta),
            unit=meta.get("unit", "doc"),
            source_id=meta.get("source_id", ""),
            title=meta.get("title", ""),
            source=meta.get("source", ""),
            article=meta.get("article", ""),
            kind=meta.get("kind", "answer"),
            topic=meta.get("topic", ""),
            metadata=meta,
            **scores,
        )


def _texts_with(lexical: LexicalIndex, units: UnitTable):
    """(token id, limit) → texts of the first units that have the token (Vocabulary.sample_texts)."""
    return lambda token, limit: [units.text(position) for position in lexical.units_with(token, limit)]


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (in place), so that a dot product is the cosine."""
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return vectors


def _rrf(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / (RRF_K + rank)


def _in_force(meta: dict, as_of: dt.date) -> bool:
    start = meta.get("effective_date")
    end = meta.get("effective_to")
    if start and dt.date.fromisoformat(start) > as_of:
        return False
    return not (end and dt.date.fromisoformat(end) < as_of)


def _release_freed_memory() -> None:
    """Give the pages freed after a reload back to the OS (glibc keeps them otherwise)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _edition(meta: dict) -> tuple:
    """Which version of a card a unit belongs to: the served one, or a superseded one kept for audits."""
    return meta.get("version"), meta.get("superseded", "")


def _group_key(meta: dict, key: str) -> str:
    """Units of one card group under the card id; a document chunk is its own group."""
    return meta.get("source_id", key) if meta.get("unit") == "card" else meta.get("chunk_id", key)


def _token_group(meta: dict, key: str) -> str:
    """The group whose tokens measure coverage: a superseded version's tokens are kept apart."""
    group = _group_key(meta, key)
    return f"{group}@{meta.get('version')}" if meta.get("superseded") else group


def _group(chunks: list[RetrievedChunk]) -> list[Candidate]:
    groups: dict[str, list[RetrievedChunk]] = {}
    for chunk in chunks:
        groups.setdefault(_group_key(chunk.metadata, chunk.key), []).append(chunk)
    candidates = []
    for key, units in groups.items():
        units.sort(key=lambda c: c.fused_score, reverse=True)
        dense_ranks = [u.dense_rank for u in units if u.dense_rank]
        lexical_ranks = [u.lexical_rank for u in units if u.lexical_rank]
        # A card matched by several of its question variants is more likely the right card:
        # its fused score is the best unit's plus a damped share of the others'.
        fused = units[0].fused_score + 0.25 * sum(u.fused_score for u in units[1:3])
        candidates.append(Candidate(
            source_id=key,
            best=units[0],
            units=units,
            fused_score=fused,
            dense_score=max((u.dense_score for u in units), default=0.0),
            lexical_score=max((u.lexical_score for u in units), default=0.0),
            dense_rank=min(dense_ranks) if dense_ranks else None,
            lexical_rank=min(lexical_ranks) if lexical_ranks else None,
        ))
    candidates.sort(key=lambda c: c.fused_score, reverse=True)
    return candidates
