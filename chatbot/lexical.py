"""BM25 over Chinese tokens (bm25s). Tokens are computed at ingest and kept with each unit."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import numpy as np

from .normalize import normalize

logger = logging.getLogger(__name__)

_RUNS = re.compile(r"[\u4e00-\u9fff]+|[a-z]+|\d+(?:\.\d+)?")
# Function words that carry no topic; dropped from queries and passages alike.
_STOP = set("的了吗呢吧啊呀么嘛哦是在我你他她它们和与及或也都就还要会能可以这那有个怎么什么如何请问一下")


def tokenize(text: str, mode: str = "bigram") -> list[str]:
    text = normalize(text)
    match mode:
        case "bigram":
            return _bigrams(text)
        case "jieba":
            return _jieba_words(text)
        case _:
            raise ValueError(f"unknown lexical tokenizer {mode!r}: use 'bigram' or 'jieba'")


def _bigrams(text: str) -> list[str]:
    tokens: list[str] = []
    for run in _RUNS.findall(text):
        if not ("\u4e00" <= run[0] <= "\u9fff"):
            tokens.append(run)
            continue
        chars = [c for c in run if c not in _STOP] if len(run) > 2 else list(run)
        if len(chars) == 1:
            tokens.append(chars[0])
        tokens.extend(chars[i] + chars[i + 1] for i in range(len(chars) - 1))
    return tokens


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _jieba_words(text: str) -> list[str]:
    words = []
    for run in _RUNS.findall(text):
        if "\u4e00" <= run[0] <= "\u9fff":
            words.extend(w for w in _jieba().lcut_for_search(run) if w not in _STOP)
        else:
            words.append(run)
    return words


class LexicalIndex:
    """An in-memory BM25 index over pre-tokenized units."""

    def __init__(self, keys: list[str], token_lists: list[list[str]]):
        import bm25s

        # bm25s sets its logger to DEBUG on import and logs every index build: keep it quiet.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.keys = keys
        self._retriever = None
        if keys:
            self._retriever = bm25s.BM25()
            # Empty units get a placeholder token so that bm25s keeps document positions aligned.
            corpus = [tokens or ["∅"] for tokens in token_lists]
            self._retriever.index(_to_tokenized(corpus), show_progress=False)

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


def _to_tokenized(corpus: list[list[str]]):
    """Build bm25s's Tokenized structure from our own token lists (no bm25s stemming or stopwords)."""
    import bm25s

    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(token, len(vocab)) for token in tokens] for tokens in corpus]
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)
