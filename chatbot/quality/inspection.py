"""智能质检: the rule set (YAML, strict schema) and the check of one message against it. Pure: no
database; `quality/inspector.py` stores the hits and acts on them.

A keyword matches the message normalised (traditional→simplified, full→half width), except where it sits
inside one of its rule's `unless` phrases (不保本 discloses a risk, 保本 promises). A `when` rule matches a
message that matches `when` (and `also`, when given) but not `missing`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import ConfigError
from ..pii import find_pii
from ..text import normalize

RULES_FILE = Path(__file__).with_name("inspection_rules.yaml")
ROLES = ("user", "assistant", "expert")
# The forms the conversation store keeps of masked numbers (pii.PiiMatch.masked).
_MASKED_NUMBER = re.compile(r"\d{3}\*{4}\d{4}|\d{6}\*{9,12}|\d{4} \*{4} \*{4} \d{4}")
EXCERPT_CHARS = 12  # of context either side of a hit


class Category(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str
    roles: list[Literal["user", "assistant", "expert"]]
    raises_priority: Literal["urgent", "high"] | None = None


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    category: str
    label: str
    keywords: list[str] = []
    unless: list[str] = []
    detector: Literal["pii"] | None = None
    when: str | None = None
    also: str | None = None
    missing: str | None = None

    @model_validator(mode="after")
    def _one_kind(self):
        kinds = [bool(self.keywords), self.detector is not None, self.when is not None]
        if sum(kinds) != 1:
            raise ValueError(f"rule {self.id}: give exactly one of keywords, detector, when")
        for pattern in (self.when, self.also, self.missing):
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as error:
                    raise ValueError(f"rule {self.id}: bad regular expression {pattern!r}: {error}") from error
        self.keywords = [normalize(str(k)) for k in self.keywords]
        self.unless = [normalize(str(u)) for u in self.unless]
        return self


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: dict[str, Category]
    rules: list[Rule]

    @model_validator(mode="after")
    def _known_categories(self):
        for rule in self.rules:
            if rule.category not in self.categories:
                raise ValueError(f"rule {rule.id}: unknown category {rule.category}")
        ids = [rule.id for rule in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("rule ids must be unique")
        return self


@dataclass(frozen=True)
class Hit:
    rule_id: str
    category: str
    excerpt: str


def parse_rules(text: str) -> RuleSet:
    """A rule set from YAML; ConfigError (in Chinese, with the reason) when it is not valid."""
    try:
        return RuleSet.model_validate(yaml.safe_load(text) or {})
    except yaml.YAMLError as error:
        raise ConfigError(f"质检规则不是有效的 YAML：{error}") from error
    except ValidationError as error:
        reasons = "；".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise ConfigError(f"质检规则无效：{reasons}") from error


def default_rules_text() -> str:
    return RULES_FILE.read_text(encoding="utf-8")


def inspect(text: str, role: str, rules: RuleSet) -> list[Hit]:
    """The rules this message breaks (at most one hit per rule)."""
    normalized = normalize(text or "")
    hits = []
    for rule in rules.rules:
        if role not in rules.categories[rule.category].roles:
            continue
        span = _match(rule, text or "", normalized)
        if span is not None:
            source = normalized if rule.detector is None else text
            start, end = span
            excerpt = source[max(0, start - EXCERPT_CHARS):end + EXCERPT_CHARS]
            hits.append(Hit(rule.id, rule.category, excerpt))
    return hits


def _match(rule: Rule, text: str, normalized: str) -> tuple[int, int] | None:
    if rule.detector == "pii":
        found = find_pii(text)
        if found:
            return found[0].start, found[0].end
        masked = _MASKED_NUMBER.search(text)
        return masked.span() if masked else None
    if rule.when is not None:
        trigger = re.search(rule.when, normalized)
        if trigger is None or (rule.also and not re.search(rule.also, normalized)):
            return None
        return None if re.search(rule.missing or r"(?!)", normalized) else trigger.span()
    for keyword in rule.keywords:
        for found in re.finditer(re.escape(keyword), normalized):
            if not _excused(found.start(), found.end(), normalized, rule.unless):
                return found.span()
    return None


def _excused(start: int, end: int, text: str, unless: list[str]) -> bool:
    """The keyword at [start, end) lies inside an occurrence of an `unless` phrase."""
    for phrase in unless:
        for found in re.finditer(re.escape(phrase), text):
            if found.start() <= start and end <= found.end():
                return True
    return False
