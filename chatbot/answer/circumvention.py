"""Requests to get around a control, recognised by a trained model as well as by the rules' patterns.

Customers word a way around a control in endless ways ("有没有什么变通的办法让柜员别问那么多", "卡借我表哥收几笔货款"),
and each new writer of test questions found wordings no pattern of `rules.yaml` had. This is a logistic regression
over the message's character n-grams (one to three characters) and jieba words, fitted by `python -m
eval.fit_circumvention` on requests to get around controls and on hard negatives — questions and lawful requests
on the same controls ("大额现金存款要报告吗", "我想正常申请提高限额") — and on the development sets' questions. Its
weights live in `circumvention.json`. The rule `circumvent_controls` (`model: circumvention` in `rules.yaml`) fires
when no rule's patterns matched and the model's probability reaches the threshold chosen there, unless one of the
rule's exceptions applies; its refusal then offers a person, since a model can misread a lawful question.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from .wording import jieba_module

MODEL_FILE = Path(__file__).with_name("circumvention.json")
_KEPT = re.compile(r"[\u4e00-\u9fff]+|[a-z]+|\d+")


def features(text: str) -> set[str]:
    """The (normalised) message's character n-grams within runs of Chinese characters, its Latin words and digits
    (as one token), and its jieba words prefixed with "w:"."""
    found: set[str] = set()
    for run in _KEPT.findall(text):
        if run.isascii():  # a Latin word, or digits (any number is one feature)
            found.add("#" if run.isdigit() else run)
            continue
        for n in (1, 2, 3):
            found.update(run[i:i + n] for i in range(len(run) - n + 1))
    found.update("w:" + word for word in jieba_module().lcut(text) if len(word) >= 2 and _KEPT.fullmatch(word))
    return found


@dataclass(frozen=True)
class CircumventionModel:
    weights: dict[str, float]
    bias: float
    threshold: float  # the probability at and above which the message asks to get around a control

    def probability(self, text: str) -> float:
        z = self.bias + sum(self.weights.get(feature, 0.0) for feature in features(text))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def asks_to_circumvent(self, text: str) -> bool:
        return self.probability(text) >= self.threshold

    def save(self, path: Path = MODEL_FILE) -> None:
        raw = asdict(self)
        raw["weights"] = {k: round(v, 5) for k, v in sorted(raw["weights"].items()) if abs(v) >= 1e-4}
        path.write_text(json.dumps(raw, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")


@lru_cache(maxsize=2)
def load_model(path: Path = MODEL_FILE) -> CircumventionModel | None:
    """The fitted model; None when there is none (the rule's patterns alone then decide)."""
    if not path.exists():
        return None
    return CircumventionModel(**json.loads(path.read_text(encoding="utf-8")))
