"""BM25 over Chinese tokens (bm25s). Tokens (`text.tokenize`) are computed at ingest and kept with each unit."""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterable, Iterator, Sequence

import numpy as np

logger = logging.getLogger(__name__)

class TokenRows(Sequence):
    """Token ids of many units in one flat int32 buffer. A row becomes a list only while bm25s reads
    it: 100k units held as lists of Python ints would cost ~100 MB more during the index build."""

    def __init__(self) -> None:
        self._ids = array("i")
        self._ends = array("q")

    def append(self, ids: Iterable[int]) -> None:
        self._ids.extend(ids)
        self._ends.append(len(self._ids))

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, row: int) -> list[int]:
        row = range(len(self._ends))[row]
        start = self._ends[row - 1] if row else 0
        return self._ids[start:self._ends[row]].tolist()

    def __iter__(self) -> Iterator[list[int]]:
        start = 0
        for end in self._ends:
            yield self._ids[start:end].tolist()
            start = end


class _WithPlaceholder(Sequence):
    """Rows with an empty row replaced by [placeholder], without copying them all."""

    def __init__(self, rows: Sequence[Sequence[int]], placeholder: int):
        self._rows = rows
        self._placeholder = [placeholder]

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, row: int) -> Sequence[int]:
        return self._rows[row] or self._placeholder

    def __iter__(self) -> Iterator[Sequence[int]]:
        return (ids or self._placeholder for ids in self._rows)


class LexicalIndex:
    """An in-memory BM25 index over units given as token ids of a shared vocabulary."""

    def __init__(self, keys: list[str], token_ids: Sequence[Sequence[int]], vocabulary: dict[str, int]):
        import bm25s

        # bm25s sets its logger to DEBUG on import and logs every index build: keep it quiet.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.keys = keys
        self.vocabulary = vocabulary
        self._retriever = None
        if keys:
            # Empty units get a placeholder token so that bm25s keeps document positions aligned.
            empty = len(vocabulary)
            corpus = _WithPlaceholder(token_ids, empty)
            vocab = dict(vocabulary)
            vocab["\u2205"] = empty
            # scipy builds the same column-sorted matrix as bm25s's numpy backend with about half the
            # transient memory (+99 vs +177 MB at 100k chunks); "auto" falls back to numpy without it.
            self._retriever = bm25s.BM25(csc_backend="auto")
            self._retriever.index(bm25s.tokenization.Tokenized(ids=corpus, vocab=vocab), show_progress=False)

    @classmethod
    def from_tokens(cls, keys: list[str], token_lists: list[list[str]]) -> "LexicalIndex":
        vocabulary: dict[str, int] = {}
        ids = [[vocabulary.setdefault(t, len(vocabulary)) for t in tokens] for tokens in token_lists]
        return cls(keys, ids, vocabulary)

    def document_frequency(self, size: int) -> np.ndarray:
        """In how many units each token id occurs (from the index's sparse matrix)."""
        if self._retriever is None:
            return np.zeros(size)
        # bm25s keeps a column-compressed matrix: one column of units per token id.
        counts = np.diff(np.asarray(self._retriever.scores["indptr"]))
        return np.pad(counts, (0, max(0, size - len(counts))))[:size].astype(float)

    def units_with(self, token_id: int, limit: int) -> list[int]:
        """The first `limit` units (positions) that have the token."""
        return [int(u) for u in self._column(token_id)[:limit]]

    def _column(self, token_id: int) -> np.ndarray:
        """The units (positions) that have the token, in ascending order: the token's column of the index's
        column-compressed matrix (bm25s sorts it); empty for a token the index does not have."""
        if self._retriever is None:
            return np.zeros(0, dtype=np.int64)
        indptr, indices = self._retriever.scores["indptr"], self._retriever.scores["indices"]
        if not 0 <= token_id < len(indptr) - 1:
            return np.zeros(0, dtype=np.int64)
        return indices[indptr[token_id]:indptr[token_id + 1]]

    def contains(self, token_ids: list[int], units: list[int]) -> np.ndarray:
        """For each token id, whether any of the units (positions) has that token."""
        return self.contains_many(token_ids, [units])[0]

    def contains_many(self, token_ids: list[int], groups: list[list[int]]) -> np.ndarray:
        """For each group of units (positions) and each token id, whether any unit of the group has
        that token: a (groups × tokens) boolean matrix. Read from the index's columns (so no per-unit
        token sets are kept), one vectorised lookup per token for all groups together."""
        hits = np.zeros((len(groups), len(token_ids)), dtype=bool)
        if self._retriever is None or not groups:
            return hits
        sizes = [len(g) for g in groups]
        if not sum(sizes):
            return hits
        wanted = np.fromiter((u for g in groups for u in g), dtype=np.int64, count=sum(sizes))
        starts = np.cumsum([0, *sizes[:-1]])
        filled = np.array(sizes) > 0
        for number, token in enumerate(token_ids):
            column = self._column(token)
            if not len(column):
                continue
            at = np.minimum(np.searchsorted(column, wanted), len(column) - 1)
            found = column[at] == wanted
            hits[filled, number] = np.logical_or.reduceat(found, starts[filled])
        return hits

    def search(self, tokens: list[str], k: int) -> list[tuple[str, float]]:
        if self._retriever is None or not tokens:
            return []
        vocab = self._retriever.vocab_dict
        ids = [vocab[t] for t in tokens if t in vocab]
        if not ids:
            return []
        scores = self._retriever.get_scores(ids)
        k = min(k, len(self.keys))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.keys[i], float(scores[i])) for i in top if scores[i] > 0]
