"""The knowledge base's own words, as the lexical index holds them: every BM25 token with the number of
units that contain it. The answer engine reads it to tell a customer's typo from a word the knowledge
base really uses, and a term it has never heard of from one it knows."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..text import STOP_CHARS


class Vocabulary:
    def __init__(self, ids: dict[str, int], document_frequency: np.ndarray, units: int, version: tuple,
                 mode: str = "bigram", texts: Callable[[int, int], list[str]] | None = None):
        self._ids = ids
        self._texts = texts  # (token id, limit) → texts of units that have the token, when the index keeps texts
        self.mode = mode  # the lexical tokenizer: character bigrams, or jieba words
        self._df = document_frequency
        self.units = units
        self.version = version
        self.derived: dict[str, Any] = {}  # what the answer engine builds from it once (typo index, …)

    def __contains__(self, token: str) -> bool:
        return token in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def frequency(self, token: str) -> int:
        """Units that contain the token (0 for a token the knowledge base never uses)."""
        found = self._ids.get(token)
        return 0 if found is None else int(self._df[found])

    def items(self):
        """(token, document frequency) for every token."""
        for token, number in self._ids.items():
            yield token, int(self._df[number])

    def sample_texts(self, token: str, limit: int) -> list[str] | None:
        """Texts of up to `limit` units that have the token (in load order); None when this vocabulary was
        built without the texts."""
        if self._texts is None:
            return None
        found = self._ids.get(token)
        return [] if found is None else self._texts(found, limit)

    def knows(self, word: str) -> bool:
        """Whether the knowledge base writes every pair of adjacent characters of the word (function
        characters left out, as the lexical index leaves them out): a word it has never written has a
        pair it does not know."""
        if self.mode != "bigram":
            return word in self._ids
        chars = [c for c in word if c not in STOP_CHARS]
        return all(chars[i] + chars[i + 1] in self._ids for i in range(len(chars) - 1))
