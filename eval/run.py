"""python -m eval.run --cases FILE.jsonl --out DIR — run evaluation cases through the Assistant."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from chatbot.config import Settings, offline_environment
from chatbot.errors import ChatbotError
from chatbot.quality.cases import load_cases
from chatbot.quality.report import failures, write_report
from chatbot.quality.scoring import run_case, score


def main(argv: list[str] | None = None) -> int:
    offline_environment()
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
    logging.getLogger("chatbot.services").setLevel(logging.INFO)

    from chatbot.services import build_assistant

    try:
        cases = load_cases(args.cases)
        assistant = build_assistant(Settings())
    except ChatbotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
            handle.write(result.to_json() + "\n")
    summary = score(cases, results)
    failed = failures(cases, results)
    summary["failures"] = failed
    if not args.no_baseline:
        from eval.baseline import TutorialBaseline

        baseline = TutorialBaseline(assistant.settings, assistant.retriever.embeddings)
        baseline_results = [baseline.run_case(case) for case in cases]
        with (args.out / "baseline_results.jsonl").open("w", encoding="utf-8") as handle:
            for result in baseline_results:
                handle.write(result.to_json() + "\n")
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
