"""Running cases through an assistant and scoring the results (summary.json's figures)."""

from __future__ import annotations

import statistics
from collections import defaultdict

from ..conversations.handoff import GAP_HANDOFF_REASONS
from .cases import Case, CaseResult
from .evaluators import EVALUATORS


def run_case(assistant, case: Case, recorder=None) -> CaseResult:
    """The assistant's answer to one case; `recorder` (eval/record.py) asks through the chat service.
    What was retrieved is read from the answer's basis: the same turn, not a second retrieval."""
    if recorder is not None:
        answer, history = recorder.ask(case)
    else:
        history = case.turns()
        answer = assistant.ask(case.question, history)
    offered = answer.options
    if answer.outcome == "clarify" and offered:
        answer = _click(assistant, case, history, answer) or answer
    basis = answer.basis
    retrieved: list[str] = []
    if answer.outcome == "answered" or answer.handoff_reason in GAP_HANDOFF_REASONS:
        retrieved = list(basis.retrieved) if basis else []  # what the answer was decided on
    elif answer.matched_id:  # a rule or a hand-off card: what it cites
        retrieved = [c.id for c in answer.citations]
    return CaseResult(
        id=case.id,
        question=case.question,
        topic=case.topic,
        outcome=answer.outcome,
        answer=answer.text,
        citations=[c.to_dict() for c in answer.citations],
        confidence=round(answer.confidence, 4),
        handoff_reason=answer.handoff_reason,
        latency_ms=round(answer.latency_ms, 2),
        matched_id=answer.matched_id,
        retrieved=retrieved[:10],
        clarified=bool(offered) and answer.outcome != "clarify",
        options=[option.to_dict() for option in offered],
        signals=basis.signals.vector() if basis and basis.signals else None,
    )


def _click(assistant, case: Case, history: list[dict] | None, clarifying):
    """The option of a clarifying question the customer clicks: the one whose answer holds the expected
    facts (or cites an expected source) — a customer recognises their own question. None when no option
    is their question (nothing is clicked; the outcome stays "clarify")."""
    turns = [*(history or []), {"role": "user", "content": case.question},
             {"role": "assistant", "content": clarifying.text, "outcome": "clarify"}]
    answers = [assistant.ask(option.question, turns, choice=option.id) for option in clarifying.options]
    for answer in answers:
        probe = CaseResult(id=case.id, question=case.question, outcome=answer.outcome, answer=answer.text,
                           confidence=0.0, latency_ms=0.0, retrieved=[c.id for c in answer.citations])
        if case.expect.outcome != "answered":
            return None
        if EVALUATORS["facts"](case, probe) == 1.0 or (not case.expect.facts and EVALUATORS["hit@1"](case, probe)):
            return answer
    return None


def score(cases: list[Case], results: list[CaseResult]) -> dict:
    per_metric: dict[str, list[float]] = defaultdict(list)
    per_topic: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    per_outcome: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for case, result in zip(cases, results):
        for name, evaluator in EVALUATORS.items():
            value = evaluator(case, result)
            if value is None:
                continue
            per_metric[name].append(value)
            per_topic[case.topic][name].append(value)
            per_outcome[case.expect.outcome or ""][name].append(value)
    expected = [c.expect.outcome for c in cases]
    got = [r.outcome for r in results]
    true_handoffs = sum(e == g == "handoff" for e, g in zip(expected, got))
    answerable = [g for e, g in zip(expected, got) if e == "answered"]
    per_metric["handoff_precision"] = [true_handoffs / max(1, got.count("handoff"))]
    per_metric["handoff_recall"] = [true_handoffs / max(1, expected.count("handoff"))]
    per_metric["answerable_handed_off"] = [answerable.count("handoff") / max(1, len(answerable))]
    # What the issue of trustworthy answers measures: a wrong answer is an answer where none was expected,
    # or one without an expected fact; "resolved" is an answerable question answered (facts included)
    # directly or after one click on a clarifying question.
    per_metric["wrong_answers"] = [sum(_wrong(c, r) for c, r in zip(cases, results)) / max(1, len(cases))]
    per_metric["answered_rate"] = [got.count("answered") / max(1, len(got))]
    per_metric["clarification_rate"] = [sum(bool(r.options) for r in results) / max(1, len(results))]
    per_metric["clarify_clicked"] = [sum(r.clarified for r in results) / max(1, len(results))]
    answerable_pairs = [(c, r) for c, r in zip(cases, results) if c.expect.outcome == "answered"]
    per_metric["resolved"] = [sum(r.outcome == "answered" and EVALUATORS["facts"](c, r) != 0.0
                                  for c, r in answerable_pairs) / max(1, len(answerable_pairs))]
    latencies = sorted(r.latency_ms for r in results)
    return {
        "cases": len(cases),
        "metrics": {name: _mean(values) for name, values in per_metric.items()},
        "latency_ms": {
            "p50": round(statistics.median(latencies), 2) if latencies else None,
            "p95": round(latencies[int(0.95 * (len(latencies) - 1))], 2) if latencies else None,
        },
        "by_topic": {t: {n: _mean(v) for n, v in m.items()} | {"n": len(m.get("outcome", []))}
                     for t, m in sorted(per_topic.items())},
        "by_outcome": {o: {n: _mean(v) for n, v in m.items()} | {"n": len(m.get("outcome", []))}
                       for o, m in sorted(per_outcome.items())},
    }


def _wrong(case: Case, result: CaseResult) -> bool:
    if result.outcome != "answered":
        return False
    return case.expect.outcome not in (None, "answered") or EVALUATORS["facts"](case, result) == 0.0


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None
