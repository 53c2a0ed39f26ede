"""Whether a question is about banking at all (`domain.yaml`, data like the other vocabularies): a
question the assistant cannot answer goes to an expert when it is, and is refused as out of scope when
it is not."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

DOMAIN_FILE = Path(__file__).with_name("domain.yaml")


@lru_cache(maxsize=1)
def _domain_words() -> re.Pattern:
    words = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["words"]
    return re.compile("|".join(re.escape(str(word)) for word in words))


def is_about_banking(text: str) -> bool:
    """True when a normalised question names anything of banking (a word of domain.yaml)."""
    return bool(_domain_words().search(text))
