"""Text normalisation and tokenising shared by ingest and query: one implementation so both sides agree.

`normalize` is traditional→simplified, full→half width (NFKC), collapsed whitespace and lower-case
Latin. `english_terms` finds the Chinese terms of English banking words (glossary.yaml) in normalised
text. `tokenize` turns text into the BM25 tokens of the lexical index.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

# OpenCC's t2s keeps a few variants that the simplified standard writes differently.
_VARIANTS = str.maketrans({"帐": "账", "裏": "里", "綫": "线", "賬": "账"})
_SPACES = re.compile(r"\s+")
GLOSSARY_FILE = Path(__file__).with_name("glossary.yaml")


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _converter().convert(text).translate(_VARIANTS)


def normalize(text: str) -> str:
    """Traditional→simplified, full→half width (NFKC), collapse whitespace, lower-case Latin."""
    text = unicodedata.normalize("NFKC", text or "")
    text = to_simplified(text)
    return _SPACES.sub(" ", text).strip().lower()


@lru_cache(maxsize=1)
def _glossary() -> list[tuple[re.Pattern, str]]:
    import yaml

    raw = yaml.safe_load(GLOSSARY_FILE.read_text(encoding="utf-8"))["terms"]
    ordered = sorted(raw.items(), key=lambda item: -len(item[0]))
    return [(re.compile(r"\b" + re.escape(key)), value) for key, value in ordered]


def expand_english(text: str) -> str:
    """Append the Chinese terms of English banking words, so English questions meet the Chinese KB."""
    lowered = text.lower()
    if not re.search(r"[a-z]{3,}", lowered):
        return text
    found = []
    for pattern, value in _glossary():
        if pattern.search(lowered):
            found.append(value)
            lowered = pattern.sub(" ", lowered)
    return f"{text} {' '.join(found)}" if found else text


# --- lexical tokens ----------------------------------------------------------------------------------

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
