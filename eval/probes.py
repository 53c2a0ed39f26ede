"""python -m eval.probes pairs|messages [FILE] — counts on the probes of `eval/train/` (not evaluation sets).

- `pairs` (default file `eval/train/card_pairs.jsonl`): questions written for each answer card, half that the card
  answers (label 1) and half on another attribute of its subject that it does not (label 0). Counted: how many of
  each are answered with that card — the second number is wrong answers on another attribute.
- `messages` (default file `eval/train/rules_probe.jsonl`): messages marked lawful (`"lawful": true`, or
  `"label": 0`) or not. Counted: the outcome of each kind, the rule that decided, and the lawful messages refused
  or handed off as urgent — false alarms a customer would notice.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from chatbot.config import Settings, offline_environment

TRAIN = Path("eval/train")


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def lawful(row: dict) -> bool:
    return row.get("lawful", row.get("label") == 0)


def count_pairs(assistant, rows: list[dict]) -> Counter:
    """(label, answered with the pair's card) -> number of questions."""
    counts = Counter()
    for row in rows:
        answer = assistant.ask(row["text"])
        counts[(row["label"], answer.outcome == "answered" and answer.matched_id == row["card"])] += 1
    return counts


def count_messages(assistant, rows: list[dict]) -> tuple[Counter, list[str]]:
    """(lawful, outcome, basis rule) -> number of messages; and the false alarms, one line each."""
    counts, alarms = Counter(), []
    for row in rows:
        answer = assistant.ask(row["text"])
        counts[(lawful(row), answer.outcome, answer.basis.rule or "-")] += 1
        if lawful(row) and (answer.outcome == "refused" or answer.priority == "urgent"):
            alarms.append(f"{answer.outcome}/{answer.matched_id}: {row['text']}")
    return counts, alarms


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("pairs", "messages"))
    parser.add_argument("file", type=Path, nargs="?")
    parser.add_argument("--show", action="store_true", help="list the false alarms (reads the probe: it is spent)")
    args = parser.parse_args(argv)
    from chatbot.services import build_assistant

    assistant = build_assistant(Settings())
    if args.kind == "pairs":
        rows = read(args.file or TRAIN / "card_pairs.jsonl")
        counts = count_pairs(assistant, rows)
        for label, name in ((1, "answers"), (0, "does not answer")):
            total = counts[(label, True)] + counts[(label, False)]
            print(f"the card {name}: {counts[(label, True)]}/{total} answered with it")
        return 0
    rows = read(args.file or TRAIN / "rules_probe.jsonl")
    counts, alarms = count_messages(assistant, rows)
    for (allowed, outcome, rule), n in sorted(counts.items(), key=lambda item: (not item[0][0], item[0][1:])):
        print(f"{'lawful' if allowed else 'to act on'}\t{outcome}\t{rule}\t{n}")
    print(f"lawful messages refused or handed off as urgent: {len(alarms)}/{sum(map(lawful, rows))}")
    if args.show:
        print("\n".join(alarms))
    return 0


if __name__ == "__main__":
    sys.exit(main())
