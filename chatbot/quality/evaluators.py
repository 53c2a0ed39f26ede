"""Evaluators: each takes a case and its result and returns a score or None (not applicable)."""

from __future__ import annotations

from ..phrases import FORBIDDEN_PHRASES
from ..text import normalize
from .cases import Case, CaseResult


def _squash(text: str) -> str:
    return normalize(text).replace(" ", "")


def outcome(case: Case, result: CaseResult) -> float | None:
    expected = case.expect.outcome
    return None if expected is None else float(result.outcome == expected)


def facts(case: Case, result: CaseResult) -> float | None:
    groups = case.expect.facts
    if not groups:
        return None
    answer = _squash(result.answer)
    return float(all(any(_squash(alt) in answer for alt in group) for group in groups))


def missing_facts(case: Case, result: CaseResult) -> list[list[str]]:
    answer = _squash(result.answer)
    return [g for g in case.expect.facts if not any(_squash(a) in answer for a in g)]


def hit_at(k: int):
    def evaluator(case: Case, result: CaseResult) -> float | None:
        expected = set(case.expect.sources)
        if not expected or case.expect.outcome != "answered":
            return None
        return float(bool(expected & set(result.retrieved[:k])))

    evaluator.__name__ = f"hit@{k}"
    return evaluator


def reciprocal_rank(case: Case, result: CaseResult) -> float | None:
    expected = set(case.expect.sources)
    if not expected or case.expect.outcome != "answered":
        return None
    for rank, source_id in enumerate(result.retrieved[:10], start=1):
        if source_id in expected:
            return 1.0 / rank
    return 0.0


def citation_present(case: Case, result: CaseResult) -> float | None:
    if result.outcome != "answered":
        return None
    return float(bool(result.citations))


def no_forbidden_phrase(case: Case, result: CaseResult) -> float | None:
    return float(not any(phrase in result.answer for phrase in FORBIDDEN_PHRASES))


def judged_wrong(case: Case, result: CaseResult) -> bool:
    """A wrong outcome, or a required fact missing: what a customer would have noticed."""
    return outcome(case, result) == 0.0 or facts(case, result) == 0.0


EVALUATORS = {
    "outcome": outcome,
    "facts": facts,
    "hit@1": hit_at(1),
    "hit@3": hit_at(3),
    "mrr": reciprocal_rank,
    "citation": citation_present,
    "no_forbidden": no_forbidden_phrase,
}
