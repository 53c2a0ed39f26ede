"""Answerability: a calibrated confidence from retrieval signals.

Features of the top candidate: its dense similarity (question-to-question for cards), the margin to the
best candidate of another topic, whether dense and lexical retrieval agree on it, and its lexical
rank. A logistic model maps them to the probability that the top candidate answers the question; its
coefficients live in `calibration.json`, fitted on the dev set by `python -m eval.calibrate`.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from ..payloads import Candidate, Signals

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


def signals(candidates: list[Candidate], *, unknown_terms: int = 0, missing_weight: float = 0.0,
            missing_share: float = 0.0) -> Signals | None:
    if not candidates:
        return None
    top = candidates[0]
    others = [c.dense_score for c in candidates[1:] if c.topic_key != top.topic_key]
    best_lexical = min((c.lexical_rank for c in candidates if c.lexical_rank), default=None)
    return Signals(
        dense_top=top.dense_score,
        dense_margin=top.dense_score - max(others, default=top.dense_score - 0.1),
        lexical_agree=1.0 if top.lexical_rank is not None and top.lexical_rank == best_lexical else 0.0,
        lexical_reciprocal=1.0 / top.lexical_rank if top.lexical_rank else 0.0,
        dense_reciprocal=1.0 / top.dense_rank if top.dense_rank else 0.0,
        is_card=1.0 if top.unit == "card" else 0.0,
        coverage=top.coverage,
        unknown_terms=float(unknown_terms),
        missing_weight=missing_weight,
        missing_share=missing_share,
    )


@dataclass(frozen=True)
class Calibration:
    weights: list[float]
    bias: float
    center: list[float]  # features are centered before weighting, to keep the fit well conditioned

    def confidence(self, features: Signals) -> float:
        # A calibration fitted on fewer features (an older file) weighs only those it knows.
        z = self.bias + sum(w * (x - c) for w, x, c in zip(self.weights, features.vector(), self.center))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def save(self, path: Path = CALIBRATION_FILE) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")


@lru_cache(maxsize=4)
def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration:
    if not path.exists():
        # Hand-set defaults for a store without a fitted calibration.
        return Calibration(weights=[40.0, 30.0, 1.0, 1.0, 1.0, 0.5, 5.0], bias=0.0,
                           center=[0.88, 0.02, 0.5, 0.5, 0.5, 0.5, 0.6])
    raw = json.loads(path.read_text(encoding="utf-8"))
    return Calibration(**raw)
