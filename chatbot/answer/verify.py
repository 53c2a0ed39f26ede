"""Checks an LLM answer must pass before a customer sees it.

Each check returns the name of the rule that fired (for the log) or None. Sentence checks run on
every sentence before it is streamed; answer checks run on the whole answer at the end.
"""

from __future__ import annotations

import re

from ..phrases import FORBIDDEN_PHRASES
from ..pii import has_unmasked_pii
from ..text import normalize

CITATION = re.compile(r"\[(\d{1,2})\]")
# Amounts, days, percentages, phone numbers: digit runs with their separators, e.g. 400-000-0000, 0.6, 13%.
_NUMBER = re.compile(r"\d+(?:[.,\-]\d+)*")
# The rules below, as staff read them (the audit trail of an answer the checks blocked).
RULE_LABELS = {"forbidden_phrase": "含禁用表述", "unmasked_pii": "含未脱敏的个人信息",
               "number_not_in_sources": "数字不在资料中", "number_not_in_cited_source": "数字不在所引资料中",
               "empty_answer": "空回答", "no_citation": "未标注引用", "citation_out_of_range": "引用了不存在的资料"}


def numbers_in(text: str) -> list[str]:
    text = CITATION.sub(" ", normalize(text))
    return [n.replace(",", "") for n in _NUMBER.findall(text)]


def _number_forms(text: str) -> set[str]:
    """Every number of a source, also split at its separators (a source saying 400-000-0000 allows 400)."""
    forms = set()
    for number in numbers_in(text):
        forms.add(number)
        forms.update(part for part in re.split(r"[.\-]", number) if part)
    return forms


def check_sentence(sentence: str, source_texts: list[str]) -> str | None:
    """Rules for one sentence: forbidden phrases, unmasked PII, and numbers found in some source."""
    if any(phrase in sentence for phrase in FORBIDDEN_PHRASES):
        return "forbidden_phrase"
    if has_unmasked_pii(sentence):
        return "unmasked_pii"
    allowed = set().union(*(_number_forms(t) for t in source_texts)) if source_texts else set()
    if any(n not in allowed for n in numbers_in(sentence)):
        return "number_not_in_sources"
    return None


def check_answer(answer: str, source_texts: list[str]) -> str | None:
    """Rules for the whole answer: a citation to an existing source, numbers found in *cited* sources."""
    if not answer.strip():
        return "empty_answer"
    cited = sorted({int(n) for n in CITATION.findall(answer)})
    if not cited:
        return "no_citation"
    if any(n < 1 or n > len(source_texts) for n in cited):
        return "citation_out_of_range"
    allowed = set().union(*(_number_forms(source_texts[n - 1]) for n in cited))
    if any(n not in allowed for n in numbers_in(answer)):
        return "number_not_in_cited_source"
    return check_sentence(answer, source_texts)


def cited_indexes(answer: str) -> list[int]:
    return sorted({int(n) for n in CITATION.findall(answer)})
