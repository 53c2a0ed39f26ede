"""Median and p95 latency of Assistant.ask on the demo knowledge base (approved mode).

Run: python bench/ask_latency.py [--rounds 3] [--data-dir DIR]
Uses (and, the first time, builds) the index in DIR (default: ./data). Prints a table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    from chatbot.config import offline_environment

    offline_environment()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()

    from chatbot.config import Settings
    from chatbot.services import build_assistant

    settings = Settings(data_dir=args.data_dir) if args.data_dir else Settings()
    assistant = build_assistant(settings)
    cases = [json.loads(line) for line in (ROOT / "eval/cases/dev.jsonl").read_text(encoding="utf-8").splitlines()]
    assistant.ask("预热")  # first call loads the lexical index and warms the caches
    by_outcome: dict[str, list[float]] = {}
    all_ms: list[float] = []
    for _ in range(args.rounds):
        for case in cases:
            started = time.perf_counter()
            answer = assistant.ask(case["question"], case.get("history"))
            elapsed = (time.perf_counter() - started) * 1000
            all_ms.append(elapsed)
            by_outcome.setdefault(answer.outcome, []).append(elapsed)
    print(f"Assistant.ask latency, {len(cases)} dev questions x {args.rounds} rounds, "
          f"{assistant.retriever.size} indexed units")
    print(f"{'subset':<12}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, values in [("all", all_ms), *sorted(by_outcome.items())]:
        print(f"{name:<12}{len(values):>6}{statistics.median(values):>10.1f}{percentile(values, 0.95):>10.1f}"
              f"{max(values):>10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
