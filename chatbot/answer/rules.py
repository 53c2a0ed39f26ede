"""Intent and risk rules loaded from `rules.yaml` (data, not code)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from .classifier import load_model, model_file
from .intent import OnQuestion, asks_bank_to_act

RULES_FILE = Path(__file__).with_name("rules.yaml")


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    action: str  # handoff | refuse
    priority: str | None = None
    card: str | None = None
    patterns: list[str]
    unless: list[str] = []
    message: str
    # How much the message must read as a question for the assistant to answer it instead (intent.py).
    on_question: OnQuestion = "handoff"
    # Also fires on any clause that asks the bank to act on the customer's matter (intent.asks_bank_to_act).
    on_request: bool = False
    # Also fires when this trained recogniser (classifier.py) recognises the message, unless an exception applies:
    # when no rule's patterns matched ("unmatched"), or only after retrieval ("after_retrieval",
    # `RuleBook.match_after_retrieval`): on what the knowledge base does not answer, and on what it answers when the
    # message does not only ask (`on_question`).
    model: Literal["circumvention", "emergency"] | None = None
    model_when: Literal["unmatched", "after_retrieval"] = "unmatched"
    # A probability at which the recogniser ("unmatched") fires even when a later hand-off rule short of urgent matched
    # by pattern: "我愿意付一笔费用，能不能请你们把我那几条真实的逾期记录删掉" is no request about the customer's own account.
    model_sure: float | None = None


@dataclass(frozen=True)
class RuleMatch:
    rule: RuleSpec
    matched: str  # the text the pattern matched, for logs and the expert
    by_model: bool = False  # a trained model recognised the message, not a pattern: it may have misread it


class RuleBook:
    def __init__(self, specs: list[RuleSpec]):
        self.rules = specs
        self._compiled = [
            ([re.compile(p) for p in spec.patterns], [re.compile(p) for p in spec.unless]) for spec in specs
        ]

    @classmethod
    def from_file(cls, path: Path = RULES_FILE) -> "RuleBook":
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        fragments = raw.get("fragments") or {}
        for rule in raw["rules"]:
            for key in ("patterns", "unless"):
                rule[key] = [_expand(pattern, fragments, rule.get("id", "?")) for pattern in rule.get(key) or []]
        return cls([RuleSpec.model_validate(r) for r in raw["rules"]])

    def match(self, normalized_text: str, *, priority: str | None = None) -> RuleMatch | None:
        """The first rule whose patterns (or request check) match; failing all, the first whose trained model
        recognises the message. A model is the net under the patterns: "旧卡找不到了，给我补一张新的吧" asks for a
        new card (own_account's request check), whatever a model makes of "补一张" — unless an earlier rule's model is
        sure (`model_sure`) and the rule matched is a hand-off short of urgent. With `priority`, only the rules of that
        priority."""
        with_model = []  # rules with a model whose exceptions do not apply, in file order
        for spec, patterns in self._not_excepted(normalized_text):
            if priority is not None and spec.priority != priority:
                continue
            found = _first_match(patterns, normalized_text) or (spec.on_request and asks_bank_to_act(normalized_text))
            if found:
                return self._surely_recognised(with_model, spec, normalized_text) or RuleMatch(spec, found)
            if spec.model and spec.model_when == "unmatched":
                with_model.append(spec)
        return self._by_model(with_model, normalized_text)

    def match_after_retrieval(self, normalized_text: str) -> RuleMatch | None:
        """For a message no rule's patterns matched, once retrieval has been judged: the first rule whose recogniser
        acts then (`model_when: after_retrieval`) and recognises it, unless an exception applies. Whether it acts on
        the retrieval's reply is the assistant's to say."""
        return self._by_model([spec for spec, _ in self._not_excepted(normalized_text)
                               if spec.model and spec.model_when == "after_retrieval"], normalized_text)

    def _not_excepted(self, normalized_text: str):
        """The rules, with their compiled patterns, that no `unless` entry of their own excepts the text from."""
        for spec, (patterns, unless) in zip(self.rules, self._compiled):
            if not any(u.search(normalized_text) for u in unless):
                yield spec, patterns

    @staticmethod
    def _surely_recognised(earlier: list[RuleSpec], matched: RuleSpec, normalized_text: str) -> RuleMatch | None:
        """An earlier rule's recogniser that is sure of the message (`model_sure`), when the rule that matched is a
        hand-off short of urgent."""
        if matched.action != "handoff" or matched.priority == "urgent":
            return None
        for spec in earlier:
            model = load_model(model_file(spec.model)) if spec.model_sure is not None else None
            if model is not None and model.probability(normalized_text) >= spec.model_sure:
                return RuleMatch(spec, f"model:{spec.model}", by_model=True)
        return None

    @staticmethod
    def _by_model(specs: list[RuleSpec], normalized_text: str) -> RuleMatch | None:
        for spec in specs:
            model = load_model(model_file(spec.model))
            if model is not None and model.recognises(normalized_text):
                return RuleMatch(spec, f"model:{spec.model}", by_model=True)
        return None


def _first_match(patterns: list[re.Pattern], text: str) -> str | None:
    """What the first pattern that matches the text matched."""
    for pattern in patterns:
        found = pattern.search(text)
        if found:
            return found.group(0)
    return None


_FRAGMENT = re.compile(r"<([a-z_]+)>")  # never a regex construct: lookbehinds are (?<! / (?<=, no named groups


def _expand(pattern: str, fragments: dict[str, str], rule: str) -> str:
    """A pattern with each `<name>` replaced by the rules file's fragment of that name, as a group."""
    def fragment(found: re.Match) -> str:
        if found.group(1) not in fragments:
            raise ValueError(f"rules.yaml: rule {rule} uses <{found.group(1)}>, which `fragments` does not define")
        return f"({fragments[found.group(1)]})"
    return _FRAGMENT.sub(fragment, pattern)


@lru_cache(maxsize=1)
def default_rules() -> RuleBook:
    return RuleBook.from_file()
