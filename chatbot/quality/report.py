"""The evaluation report for engineers (report.md): figures, groups and every failed case."""

from __future__ import annotations

from pathlib import Path

from .cases import Case, CaseResult
from .evaluators import facts, missing_facts, outcome


def failures(cases: list[Case], results: list[CaseResult]) -> list[dict]:
    found = []
    for case, result in zip(cases, results):
        problems = []
        if outcome(case, result) == 0.0:
            problems.append(f"outcome: expected {case.expect.outcome}, got {result.outcome}")
        if facts(case, result) == 0.0:
            problems.append(f"facts missing: {missing_facts(case, result)}")
        if problems:
            found.append({"id": case.id, "question": case.question, "problems": problems,
                          "expected_sources": case.expect.sources, "matched": result.matched_id,
                          "confidence": result.confidence, "answer": result.answer[:120]})
    return found


def write_report(out: Path, summary: dict, failed: list[dict]) -> None:
    metrics = summary["metrics"]
    baseline = summary.get("baseline")
    lines = ["# Evaluation report", "", f"Cases: {summary['cases']}", ""]
    if baseline:
        lines += ["| metric | XiaoBao | LangChain tutorial baseline |", "|---|---|---|"]
        lines += [f"| {name} | {value} | {baseline['metrics'].get(name)} |" for name, value in metrics.items()]
        lines += [f"| latency p50 (ms) | {summary['latency_ms']['p50']} | {baseline['latency_ms']['p50']} |",
                  f"| latency p95 (ms) | {summary['latency_ms']['p95']} | {baseline['latency_ms']['p95']} |", ""]
    else:
        lines += ["| metric | value |", "|---|---|"]
        lines += [f"| {name} | {value} |" for name, value in metrics.items()]
        lines += [f"| latency p50 (ms) | {summary['latency_ms']['p50']} |",
                  f"| latency p95 (ms) | {summary['latency_ms']['p95']} |", ""]
    for title, key in (("By topic", "by_topic"), ("By expected outcome", "by_outcome")):
        lines += [f"## {title}", "", "| group | n | outcome | facts | hit@1 | hit@3 |", "|---|---|---|---|---|---|"]
        for group, values in summary[key].items():
            lines.append(f"| {group} | {values['n']} | {values.get('outcome')} | {values.get('facts')} | "
                         f"{values.get('hit@1')} | {values.get('hit@3')} |")
        lines.append("")
    lines += [f"## Failures ({len(failed)})", ""]
    for item in failed:
        lines.append(f"- **{item['id']}** {item['question']} — {'; '.join(item['problems'])}; "
                     f"expected sources {item['expected_sources']}, matched {item['matched']} "
                     f"(confidence {item['confidence']})")
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
