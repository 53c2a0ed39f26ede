"""What a question is about (a product, account, channel, service, document, fee), and whether the best
match names it.

Similar wording is not the same subject: "信用卡取现的手续费怎么收？" lands on the card about 借记卡 ATM
fees, with high confidence. The card never names 信用卡 (it names its sibling 借记卡), so answering from it
would mislead: the assistant hands off instead. The subjects and their relations are data, in
`subjects.yaml`, so knowledge managers extend them without code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ..text import normalize

SUBJECTS_FILE = Path(__file__).with_name("subjects.yaml")


@dataclass(frozen=True)
class Subject:
    term: str
    names: tuple[str, ...]  # the term and its aliases, normalized
    broader: str | None
    generic: bool = False  # a family name: hides the words inside it, is not checked on its own


class SubjectLexicon:
    def __init__(self, subjects: dict[str, Subject]):
        self.subjects = subjects
        self._siblings: dict[str, list[Subject]] = {}
        for subject in subjects.values():
            if subject.broader:
                self._siblings.setdefault(subject.broader, []).append(subject)
        # Longest names first, so that 存款保险 is found before 保险 and 信用卡 before 银行卡.
        self._names = sorted(((name, subject) for subject in subjects.values() for name in subject.names),
                             key=lambda pair: -len(pair[0]))

    @classmethod
    def from_yaml(cls, path: Path = SUBJECTS_FILE) -> SubjectLexicon:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))["subjects"]
        subjects = {}
        for term, fields in raw.items():
            fields = fields or {}
            names = {normalize(str(name)) for name in [term, *fields.get("aliases", [])]}
            subjects[str(term)] = Subject(str(term), tuple(sorted(names, key=len, reverse=True)),
                                          fields.get("broader"), bool(fields.get("generic", False)))
        unknown = {s.broader for s in subjects.values() if s.broader and s.broader not in subjects}
        if unknown:
            raise ValueError(f"{path}: broader terms that are not subjects: {sorted(unknown)}")
        return cls(subjects)

    def mentioned(self, text: str) -> list[Subject]:
        """The subjects a normalised text names, each once, in the order they first appear; a longer name
        hides the shorter ones inside it."""
        taken = [False] * len(text)
        found: dict[str, tuple[int, Subject]] = {}
        for name, subject in self._names:
            for start, end in _occurrences(text, name):
                if not any(taken[start:end]):
                    taken[start:end] = [True] * (end - start)
                    if subject.term not in found or start < found[subject.term][0]:
                        found[subject.term] = (start, subject)
        return [subject for _, subject in sorted(found.values(), key=lambda pair: pair[0])]

    @lru_cache(maxsize=2048)
    def _named(self, passage: str) -> frozenset[str]:
        """The subjects a passage names, a longer name hiding the shorter ones inside it: a card on III类户
        does not name II类户, one on 存款保险 does not name 保险. Cached: the same cards come back."""
        return frozenset(subject.term for subject in self.mentioned(passage))

    def all_names(self, passage: str, question: str) -> str:
        """Every name of the subjects (not family names) that both the question and the (normalised) passage name,
        space-separated: a card that writes ATM uses the customer's 柜员机 too."""
        named = self._named(passage)
        return " ".join(name for subject in self.mentioned(question) if subject.term in named and not subject.generic
                        for name in subject.names)

    def uncovered(self, question: str, passage: str) -> list[str]:
        """The subjects the question names that the passage does not cover (family names are not checked);
        both normalised."""
        return [s.term for s in self.mentioned(question) if not s.generic and not self._covers(passage, s)]

    def _covers(self, passage: str, subject: Subject) -> bool:
        """The (normalized) passage names the subject, or names none of its siblings: a card on 银行卡 in
        general (or on a rule that names no card at all) covers 信用卡, a card on 借记卡 does not. When a card names
        both the family and a sibling (存款 and 大额存单), the stricter reading wins: a wrong answer costs
        more than a hand-off."""
        named = self._named(passage)
        if subject.term in named:
            return True
        if subject.broader is None:
            return False
        if any(s.term in named for s in self._siblings[subject.broader] if s.term != subject.term):
            return False
        # The passage names the family (银行卡) or none of it at all: a rule for every product of the
        # family (the 5-year retention of a negative credit record does not name 信用卡, and holds for it).
        return True


def _occurrences(text: str, name: str) -> list[tuple[int, int]]:
    if name.isascii():  # "pos" must not match inside "deposits"
        return [m.span() for m in re.finditer(rf"(?<![a-z]){re.escape(name)}(?![a-z])", text)]
    spans, start = [], text.find(name)
    while start != -1:
        spans.append((start, start + len(name)))
        start = text.find(name, start + len(name))
    return spans


@lru_cache(maxsize=1)
def default_lexicon() -> SubjectLexicon:
    return SubjectLexicon.from_yaml()
