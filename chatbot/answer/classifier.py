"""Trained recognisers of messages a rule must act on, beside the rules' patterns.

Customers word the matters a rule acts on in endless ways, and each new writer of test questions found wordings no
pattern of `rules.yaml` had. A recogniser is a logistic regression over the message's character n-grams (one to three
characters) and jieba words, fitted on messages written for training and on hard negatives (`eval/fit_classifier.py`);
its weights live in `<name>.json` beside this file. A rule names its recogniser (`model:` in `rules.yaml`) and when it
may act (`model_when:`):
- `circumvention` (`python -m eval.fit_circumvention`): requests to get around a control ("有没有什么变通的办法让柜员
  别问那么多", "卡借我表哥收几笔货款") against questions and lawful requests on the same controls ("大额现金存款要报告吗",
  "我想正常申请提高限额"). The rule `circumvent_controls` refuses when no rule's patterns matched and the model
  recognises the message; its refusal then offers a person, since a model can misread a lawful question.
- `emergency` (`python -m eval.fit_emergency`): fraud happening now or just done, and money taken without the customer
  ("对方冒充我领导让我给一个账户打款，我打了八万", "半夜收到好几条扣款短信，我根本没买东西") against questions on fraud,
  offers not acted on, lawful and mistaken transfers and incidents long handled. It acts after retrieval (the rule
  `suspected_emergency`): on a message the knowledge base does not answer, which would go to a person anyway (now an
  urgent hand-off with the safety steps instead of an ordinary one, a clarifying question or a referral), and on one a
  card answers unless the message only asks ("万一被骗了怎么办"); and it outranks a pattern rule's hand-off short of
  urgent (`Assistant._outranked`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from .wording import jieba_module

MODELS = Path(__file__).parent
_KEPT = re.compile(r"[\u4e00-\u9fff]+|[a-z]+|\d+")


def model_file(name: str) -> Path:
    return MODELS / f"{name}.json"


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
class MessageClassifier:
    weights: dict[str, float]
    bias: float
    threshold: float  # the probability at and above which the message is recognised

    def probability(self, text: str) -> float:
        z = self.bias + sum(self.weights.get(feature, 0.0) for feature in features(text))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def recognises(self, text: str) -> bool:
        return self.probability(text) >= self.threshold

    def save(self, path: Path) -> None:
        raw = asdict(self)
        raw["weights"] = {k: round(v, 5) for k, v in sorted(raw["weights"].items()) if abs(v) >= 1e-4}
        path.write_text(json.dumps(raw, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")


@lru_cache(maxsize=4)
def load_model(path: Path) -> MessageClassifier | None:
    """The fitted model in `path`; None when there is none (the rule's patterns alone then decide)."""
    if not path.exists():
        return None
    return MessageClassifier(**json.loads(path.read_text(encoding="utf-8")))
