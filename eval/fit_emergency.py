"""python -m eval.fit_emergency — fit the model that recognises an emergency: fraud now, or money taken.

Trained on `eval/train/emergency_[abcd].jsonl` (written for training by four writers who saw only `FACTS.md`: fraud
happening now or just done, money taken from a card without the customer, against hard negatives — questions on
fraud, offers not acted on, lawful and mistaken transfers, incidents long handled, lost cards, complaints; the third
file the hardest of both: lawful money movements told with 刚/已经 and amounts, emergencies in five characters or in
dialect; the fourth the kinds the recogniser still missed — very short, dialect, a calm question at the end, someone
else the victim now, a deepfake relative, money silently gone — against their lawful look-alikes) and on the
development sets' questions expected answered (negatives). Sealed sets are never read. The threshold is the lowest
probability at which, cross-validated (5 folds), at most `--max-false-alarms` (1%) of the negatives would be recognised; the fit, with that threshold, is written to `chatbot/answer/emergency.json`. The rule
`suspected_emergency` uses it after retrieval (`chatbot/answer/classifier.py`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from chatbot.answer.classifier import model_file
from chatbot.config import offline_environment
from chatbot.quality.cases import Case

from .fit_classifier import arguments, examples, fit_and_save

TRAINING = tuple(Path(f"eval/train/emergency_{part}.jsonl") for part in "abcd")
# The circumvention model's share. Session 20 took half (0.5%): a false alarm told a customer who made a lawful transfer
# that it may be fraud, and nothing more. Since session 21 an alarm the model raises says it may have misread, and a
# customer who answers "不是诈骗" is taken at their word — a false alarm costs one message. On the fourth writer's file
# the 0.5% rule rose to 0.93 (the negatives are harder); at 1% (0.845) the fresh probe `emergency_probe2` (never fitted
# on) had 114 of 150 emergencies urgent (102 with the session-20 model) and the same 10 lawful alarms, and no outcome of
# any evaluation set changed.
MAX_FALSE_ALARMS = 0.01
# The development sets with answered questions when the shipped model was fitted (session 21). Not the circumvention
# model's list: that one grew in session 25, and this model was not refitted.
ANSWERED = ("dev", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6", "holdout9", "holdout11",
            "outofkb", "outofkb2", "outofkb3", "holdout12", "holdout13", "holdout14")


def label_of(case: Case) -> int | None:
    """A development case's label: a question it expects answered is a negative; no other case is an example."""
    return 0 if case.expect.outcome == "answered" else None


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    args = arguments(__doc__.splitlines()[0], list(TRAINING), model_file("emergency"),
                     max_false_alarms=MAX_FALSE_ALARMS).parse_args(argv)
    fit_and_save(*examples(args.training, args.cases, ANSWERED, label_of), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
