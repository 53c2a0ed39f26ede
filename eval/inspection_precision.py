"""`python -m eval.inspection_precision [--sample FILE] [--rules FILE] [--show]`: the 智能质检 rules'
precision and recall on a labelled sample of messages (eval/inspection_sample.jsonl: one message a line,
`{"id", "role": "user"|"assistant"|"expert", "text", "labels": [categories]}`).

Counted per (message, category): a hit of a category the message is labelled with is a true positive,
any other hit a false positive, a label without a hit a false negative. Prints one row per category and
the micro-averaged total; `--show` lists the misses and false alarms.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from chatbot.quality.inspection import default_rules_text, inspect, parse_rules

SAMPLE = Path(__file__).with_name("inspection_sample.jsonl")


def measure(sample: list[dict], rules) -> tuple[dict, list[str]]:
    true_pos, false_pos, false_neg = Counter(), Counter(), Counter()
    notes = []
    for item in sample:
        found = {hit.category for hit in inspect(item["text"], item["role"], rules)}
        labels = set(item["labels"])
        for category in found & labels:
            true_pos[category] += 1
        for category in found - labels:
            false_pos[category] += 1
            notes.append(f"false alarm {category}: [{item['role']}] {item['text']}")
        for category in labels - found:
            false_neg[category] += 1
            notes.append(f"missed {category}: [{item['role']}] {item['text']}")
    table = {}
    for category in list(rules.categories) + ["total"]:
        tp, fp, fn = ((sum(c.values()) for c in (true_pos, false_pos, false_neg)) if category == "total"
                      else (true_pos[category], false_pos[category], false_neg[category]))
        table[category] = {"tp": tp, "fp": fp, "fn": fn,
                           "precision": round(tp / (tp + fp), 3) if tp + fp else None,
                           "recall": round(tp / (tp + fn), 3) if tp + fn else None}
    clean = [item for item in sample if not item["labels"]]
    flagged = sum(bool(inspect(item["text"], item["role"], rules)) for item in clean)
    table["clean_messages_flagged"] = {"count": flagged, "of": len(clean)}
    return table, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--rules", type=Path, help="a rules YAML (default: the bundled one)")
    parser.add_argument("--show", action="store_true", help="list the misses and false alarms")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rules = parse_rules(args.rules.read_text(encoding="utf-8") if args.rules else default_rules_text())
    sample = [json.loads(line) for line in args.sample.read_text(encoding="utf-8").splitlines() if line.strip()]
    table, notes = measure(sample, rules)
    if args.json:
        print(json.dumps(table, ensure_ascii=False, indent=2))
        return 0
    print(f"{len(sample)} messages, {sum(bool(i['labels']) for i in sample)} with a label")
    print(f"{'category':<26}{'TP':>4}{'FP':>4}{'FN':>4}{'precision':>11}{'recall':>8}")
    for category, row in table.items():
        if "tp" in row:
            print(f"{category:<26}{row['tp']:>4}{row['fp']:>4}{row['fn']:>4}{row['precision']!s:>11}{row['recall']!s:>8}")
    clean = table["clean_messages_flagged"]
    print(f"clean messages flagged: {clean['count']} of {clean['of']}")
    if args.show:
        print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
