"""Text normalization shared by ingest and query: one function so both sides agree."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# OpenCC's t2s keeps a few variants that the simplified standard writes differently.
_VARIANTS = str.maketrans({"帐": "账", "裏": "里", "綫": "线", "賬": "账"})
_SPACES = re.compile(r"\s+")

# Card, ID and phone numbers: masked in logs and records.
ID_NUMBER = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)")
CARD_NUMBER = re.compile(r"(?<!\d)(\d{4})\d{8,11}(\d{4})(?!\d)")
PHONE_NUMBER = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


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


def mask_pii(text: str) -> str:
    """Mask ID, card and mobile numbers so they never reach logs or stored transcripts."""
    text = ID_NUMBER.sub(lambda m: m.group(1) + "********" + "****", text)
    text = CARD_NUMBER.sub(lambda m: m.group(1) + " **** **** " + m.group(2), text)
    return PHONE_NUMBER.sub(lambda m: m.group(1) + "****" + m.group(2), text)


def has_unmasked_pii(text: str) -> bool:
    return bool(ID_NUMBER.search(text) or CARD_NUMBER.search(text) or PHONE_NUMBER.search(text))


@lru_cache(maxsize=1)
def _glossary() -> list[tuple[re.Pattern, str]]:
    from pathlib import Path

    import yaml

    raw = yaml.safe_load(Path(__file__).with_name("glossary.yaml").read_text(encoding="utf-8"))["terms"]
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
