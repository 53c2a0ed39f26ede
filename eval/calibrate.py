"""python -m eval.calibrate --cases eval/cases/dev.jsonl — fit the confidence model on labelled cases.

For every case that no rule decides, the engine answers from its top candidate regardless of
confidence; the label is whether that answer would be right (outcome and facts). A logistic
regression on the retrieval signals then predicts that probability; the fit is written to
`chatbot/answer/calibration.json`. Five-fold cross-validated accuracy is printed so the fit can be judged on
questions it did not see.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

from chatbot.answer.confidence import CALIBRATION_FILE, Calibration
from chatbot.config import Settings, offline_environment
from chatbot.conversations.handoff import GAP_HANDOFF_REASONS
from chatbot.quality.cases import Case, load_cases
from chatbot.quality.evaluators import facts, outcome
from chatbot.quality.scoring import run_case


def collect(assistant, cases: list[Case]) -> tuple[np.ndarray, np.ndarray]:
    """Signals and labels of every case that retrieval decided (not a rule, nor an empty message)."""
    assistant.settings.answer_threshold = 0.0
    rows, labels = [], []
    for case in cases:
        result = run_case(assistant, case)
        if result.signals is None:
            continue
        # Right: the top candidate's answer is the expected one. A hand-off by a check of the top candidate
        # (a figure or subject it lacks) is the engine catching a wrong match, not a right match.
        right = (outcome(case, result) == 1.0 and facts(case, result) in (None, 1.0)
                 and result.handoff_reason not in GAP_HANDOFF_REASONS)
        rows.append(result.signals)
        labels.append(1.0 if right else 0.0)
    return np.array(rows), np.array(labels)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 20000, rate: float = 0.5) -> Calibration:
    center = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = (x - center) / scale
    w = np.zeros(z.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        grad_w = z.T @ (p - y) / len(y) + l2 * w
        grad_b = float(np.mean(p - y))
        w -= rate * grad_w
        b -= rate * grad_b
    return Calibration(weights=(w / scale).tolist(), bias=b, center=center.tolist())


def predict(calibration: Calibration, x: np.ndarray) -> np.ndarray:
    w = np.array(calibration.weights)
    z = calibration.bias + (x - np.array(calibration.center)) @ w
    return 1 / (1 + np.exp(-z))


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, nargs="+", default=[Path("eval/cases/dev.jsonl")],
                        help="case files to fit on (several: their cases together)")
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    from chatbot.services import build_assistant

    assistant = build_assistant(Settings())
    cases = [case for path in args.cases for case in load_cases(path)]
    x, y = collect(assistant, cases)
    order = np.random.default_rng(0).permutation(len(y))
    folds = np.array_split(order, 5)
    correct = 0
    for fold in folds:
        train = np.setdiff1d(order, fold)
        model = fit(x[train], y[train])
        correct += int(np.sum((predict(model, x[fold]) >= 0.5) == (y[fold] == 1.0)))
    model = fit(x, y)
    model.save(args.out)
    print(f"cases={len(y)} right_when_answered={y.mean():.3f} cv_accuracy={correct / len(y):.3f} "
          f"train_accuracy={np.mean((predict(model, x) >= 0.5) == (y == 1.0)):.3f} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
