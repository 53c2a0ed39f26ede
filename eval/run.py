"""python -m eval.run --cases FILE.jsonl --out DIR — run evaluation cases through the Assistant."""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from chatbot.config import Settings
from chatbot.conversations.handoff import GAP_HANDOFF_REASONS
from eval.evaluators import EVALUATORS, missing_facts


def load_cases(path: Path) -> list[dict]:
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                cases.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
    return cases


def run_case(assistant, case: dict, recorder=None) -> dict:
    if recorder is not None:  # --record-db: through the chat service, recorded (eval/record.py)
        answer, history = recorder.ask(case)
    else:
        history = case.get("history")
        answer = assistant.ask(case["question"], history)
    decision_ids = []
    if answer.outcome == "answered" or answer.handoff_reason in GAP_HANDOFF_REASONS:
        decision = assistant.decide(case["question"], history)
        for candidate in decision.candidates:
            if candidate.best.source_id not in decision_ids:
                decision_ids.append(candidate.best.source_id)
    elif answer.matched_id:
        decision_ids = [c.id for c in answer.citations]
    return {
        "id": case["id"],
        "question": case["question"],
        "topic": case.get("topic", ""),
        "outcome": answer.outcome,
        "answer": answer.text,
        "citations": [c.to_dict() for c in answer.citations],
        "confidence": round(answer.confidence, 4),
        "handoff_reason": answer.handoff_reason,
        "latency_ms": round(answer.latency_ms, 2),
        "matched_id": answer.matched_id,
        "retrieved": decision_ids[:10],
    }


def score(cases: list[dict], results: list[dict]) -> dict:
    per_metric: dict[str, list[float]] = defaultdict(list)
    per_topic: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    per_outcome: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for case, result in zip(cases, results):
        for name, evaluator in EVALUATORS.items():
            value = evaluator(case, result)
            if value is None:
                continue
            per_metric[name].append(value)
            per_topic[case.get("topic", "")][name].append(value)
            per_outcome[case.get("expect", {}).get("outcome", "")][name].append(value)
    expected = [c.get("expect", {}).get("outcome") for c in cases]
    got = [r["outcome"] for r in results]
    true_handoffs = sum(e == g == "handoff" for e, g in zip(expected, got))
    answerable = [g for e, g in zip(expected, got) if e == "answered"]
    per_metric["handoff_precision"] = [true_handoffs / max(1, got.count("handoff"))]
    per_metric["handoff_recall"] = [true_handoffs / max(1, expected.count("handoff"))]
    per_metric["answerable_handed_off"] = [answerable.count("handoff") / max(1, len(answerable))]
    latencies = sorted(r["latency_ms"] for r in results)
    mean = lambda values: round(sum(values) / len(values), 4) if values else None  # noqa: E731
    return {
        "cases": len(cases),
        "metrics": {name: mean(values) for name, values in per_metric.items()},
        "latency_ms": {
            "p50": round(statistics.median(latencies), 2) if latencies else None,
            "p95": round(latencies[int(0.95 * (len(latencies) - 1))], 2) if latencies else None,
        },
        "by_topic": {t: {n: mean(v) for n, v in m.items()} | {"n": len(m.get("outcome", []))}
                     for t, m in sorted(per_topic.items())},
        "by_outcome": {o: {n: mean(v) for n, v in m.items()} | {"n": len(m.get("outcome", []))}
                       for o, m in sorted(per_outcome.items())},
    }


def failures(cases: list[dict], results: list[dict]) -> list[dict]:
    found = []
    for case, result in zip(cases, results):
        expect = case.get("expect", {})
        problems = []
        if EVALUATORS["outcome"](case, result) == 0.0:
            problems.append(f"outcome: expected {expect['outcome']}, got {result['outcome']}")
        if EVALUATORS["facts"](case, result) == 0.0:
            problems.append(f"facts missing: {missing_facts(case, result)}")
        if problems:
            found.append({"id": case["id"], "question": case["question"], "problems": problems,
                          "expected_sources": expect.get("sources", []), "matched": result["matched_id"],
                          "confidence": result["confidence"], "answer": result["answer"][:120]})
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run evaluation cases through the assistant")
    parser.add_argument("--cases", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the plain LangChain tutorial pipeline that is otherwise run side by side")
    parser.add_argument("--record-db", metavar="URL_OR_PATH",
                        help="also record every case as a customer conversation in this database (SQLAlchemy URL "
                             "or SQLite file; runs add up, so use a new one), with a 👎 on each answer judged wrong; "
                             "see eval/record.py")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("chatbot.bootstrap").setLevel(logging.INFO)

    from chatbot.bootstrap import build_assistant

    cases = load_cases(args.cases)
    assistant = build_assistant(Settings())
    recorder = None
    if args.record_db:
        from eval.record import CaseRecorder

        recorder = CaseRecorder(assistant, args.record_db)
    results = [run_case(assistant, case, recorder) for case in cases]
    if recorder is not None:
        print(f"recorded {len(cases)} conversations in {args.record_db} "
              f"({recorder.thumbs_down_wrong(cases, results)} 👎 on answers judged wrong)")
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "results.jsonl").open("w", encoding="utf-8") as handle:
        for result in results:
            handle.write(json.dumps(result, ensure_ascii=False) + "\n")
    summary = score(cases, results)
    failed = failures(cases, results)
    summary["failures"] = failed
    if not args.no_baseline:
        from eval.baseline import TutorialBaseline

        baseline = TutorialBaseline(assistant.settings, assistant.retriever.embeddings)
        baseline_results = [baseline.run_case(case) for case in cases]
        with (args.out / "baseline_results.jsonl").open("w", encoding="utf-8") as handle:
            for result in baseline_results:
                handle.write(json.dumps(result, ensure_ascii=False) + "\n")
        summary["baseline"] = score(cases, baseline_results)
    (args.out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    write_report(args.out, summary, failed)
    for name, part in (("xiaobao", summary), ("baseline", summary.get("baseline"))):
        if part:
            metrics = part["metrics"]
            print(f"{name}: cases={part['cases']} outcome={metrics.get('outcome')} facts={metrics.get('facts')} "
                  f"hit@1={metrics.get('hit@1')} hit@3={metrics.get('hit@3')} mrr={metrics.get('mrr')} "
                  f"p50={part['latency_ms']['p50']}ms p95={part['latency_ms']['p95']}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
