"""python -m eval.fit_circumvention — fit the model that recognises requests to get around a control.

Trained on `eval/train/circumvent*.jsonl` (requests to get around controls and hard negatives on the same controls,
written for training by two writers) and on the development sets: their ways around controls (`style` circumvent,
expected refused) against every question they expect answered or handed off. Sealed sets are never read. The
threshold is the lowest probability at which, cross-validated (5 folds), at most `--max-false-alarms` of the
questions and lawful requests (the hard negatives written for training and the development sets' questions) would
be refused; the fit, with that threshold, is written to `chatbot/answer/circumvention.json`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from chatbot.answer.classifier import model_file
from chatbot.config import offline_environment
from chatbot.quality.cases import Case

from .fit_classifier import arguments, examples, fit_and_save

TRAINING = (Path("eval/train/circumvent.jsonl"), Path("eval/train/circumvent_2.jsonl"))
# Development sets only: their failures have been read. The sealed sets (README) are for measuring.
DEVELOPMENT = ("dev", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6", "holdout9", "holdout11",
               "outofkb", "outofkb2", "outofkb3",
               # read since (#12's eighteenth to twenty-third sessions), joined in the twenty-fifth
               "holdout12", "holdout13", "holdout14", "dev2", "outofkb7", "outofkb8", "outofkb9", "outofkb16")


def label_of(case: Case) -> int | None:
    """A development case's label: its ways around controls are positives, every question it expects answered or handed
    off a negative; refusals of other kinds (a poem, a stock tip) are neither."""
    if case.expect.outcome == "refused" and case.style.startswith("circumvent"):
        return 1
    return 0 if case.expect.outcome in ("answered", "handoff") else None


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    args = arguments(__doc__.splitlines()[0], list(TRAINING), model_file("circumvention")).parse_args(argv)
    fit_and_save(*examples(args.training, args.cases, DEVELOPMENT, label_of), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
