"""Evaluators: each takes a case and its result and returns a score or None (not applicable)."""

from __future__ import annotations

from chatbot.phrases import FORBIDDEN_PHRASES
from chatbot.text import normalize


def _squash(text: str) -> str:
    return normalize(text).replace(" ", "")


def outcome(case: dict, result: dict) -> float | None:
    expected = case.get("expect", {}).get("outcome")
    return None if expected is None else float(result["outcome"] == expected)


def facts(case: dict, result: dict) -> float | None:
    groups = case.get("expect", {}).get("facts") or []
    if not groups:
        return None
    answer = _squash(result["answer"])
    return float(all(any(_squash(alt) in answer for alt in group) for group in groups))


def missing_facts(case: dict, result: dict) -> list[list[str]]:
    answer = _squash(result["answer"])
    return [g for g in case.get("expect", {}).get("facts") or [] if not any(_squash(a) in answer for a in g)]


def _expected_sources(case: dict) -> set[str]:
    return set(case.get("expect", {}).get("sources") or [])


def hit_at(k: int):
    def evaluator(case: dict, result: dict) -> float | None:
        expected = _expected_sources(case)
        if not expected or case.get("expect", {}).get("outcome") != "answered":
            return None
        return float(bool(expected & set(result.get("retrieved", [])[:k])))

    evaluator.__name__ = f"hit@{k}"
    return evaluator


def reciprocal_rank(case: dict, result: dict) -> float | None:
    expected = _expected_sources(case)
    if not expected or case.get("expect", {}).get("outcome") != "answered":
        return None
    for rank, source_id in enumerate(result.get("retrieved", [])[:10], start=1):
        if source_id in expected:
            return 1.0 / rank
    return 0.0


def citation_present(case: dict, result: dict) -> float | None:
    if result["outcome"] != "answered":
        return None
    return float(bool(result["citations"]))


def no_forbidden_phrase(case: dict, result: dict) -> float | None:
    answer = result["answer"]
    return float(not any(phrase in answer for phrase in FORBIDDEN_PHRASES))


EVALUATORS = {
    "outcome": outcome,
    "facts": facts,
    "hit@1": hit_at(1),
    "hit@3": hit_at(3),
    "mrr": reciprocal_rank,
    "citation": citation_present,
    "no_forbidden": no_forbidden_phrase,
}
