"""python -m eval.fit_circumvention — fit the model that recognises requests to get around a control.

Trained on `eval/train/circumvent*.jsonl` (requests to get around controls and hard negatives on the same controls,
written for training by two writers) and on the development sets: their ways around controls (`style` circumvent,
expected refused) against every question they expect answered or handed off. Sealed sets are never read. The
threshold is the lowest probability at which, cross-validated (5 folds), at most `--max-false-alarms` of the
questions and lawful requests (the hard negatives written for training and the development sets' questions) would
be refused; the fit, with that threshold, is written to `chatbot/answer/circumvention.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from chatbot.answer.circumvention import MODEL_FILE, CircumventionModel, features
from chatbot.config import offline_environment
from chatbot.quality.cases import load_cases
from chatbot.text import normalize

CASES = Path("eval/cases")
TRAINING = (Path("eval/train/circumvent.jsonl"), Path("eval/train/circumvent_2.jsonl"))
# Development sets only: their failures have been read. The sealed sets (README) are for measuring.
DEVELOPMENT = ("dev", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6", "holdout9", "holdout11",
               "outofkb", "outofkb2", "outofkb3")
MIN_DOCUMENTS = 2  # a feature seen in fewer training texts is dropped


def examples(training: list[Path], cases: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts (normalised), labels, and whether each comes from a development set."""
    texts, labels, development = [], [], []
    for path in training:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts.append(normalize(row["text"]))
                labels.append(int(row["label"]))
                development.append(False)
    for name in DEVELOPMENT:
        for case in load_cases(cases / f"{name}.jsonl"):
            if case.expect.outcome == "refused" and case.style.startswith("circumvent"):
                label = 1
            elif case.expect.outcome in ("answered", "handoff"):
                label = 0
            else:
                continue  # refusals of other kinds (a poem, a stock tip) are neither
            texts.append(normalize(case.question))
            labels.append(label)
            development.append(True)
    return texts, np.array(labels, dtype=float), np.array(development)


def _matrix(rows: list[set[str]], vocabulary: dict[str, int]):
    """Binary features, sparse (scipy comes with sentence-transformers' scikit-learn)."""
    from scipy.sparse import csr_matrix

    cells = [(i, vocabulary[f]) for i, row in enumerate(rows) for f in row if f in vocabulary]
    r, c = zip(*cells) if cells else ((), ())
    return csr_matrix((np.ones(len(cells)), (r, c)), shape=(len(rows), len(vocabulary)))


def fit(rows: list[set[str]], y: np.ndarray, l2: float, steps: int = 1500, rate: float = 1.0) -> CircumventionModel:
    counts: dict[str, int] = {}
    for row in rows:
        for feature in row:
            counts[feature] = counts.get(feature, 0) + 1
    vocabulary = {f: j for j, f in enumerate(sorted(f for f, n in counts.items() if n >= MIN_DOCUMENTS))}
    x = _matrix(rows, vocabulary)
    # positives are rarer: weigh them up to balance the classes
    sample = np.where(y == 1, (y == 0).sum() / max((y == 1).sum(), 1), 1.0)
    sample = sample / sample.mean()
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        error = (p - y) * sample
        w -= rate * (x.T @ error / len(y) + l2 * w)
        b -= rate * float(np.mean(error))
    names = sorted(vocabulary, key=vocabulary.get)
    return CircumventionModel(weights=dict(zip(names, w.tolist())), bias=b, threshold=0.5)


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--training", type=Path, nargs="+", default=list(TRAINING))
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--l2", type=float, default=0.001)
    parser.add_argument("--max-false-alarms", type=float, default=0.01,
                        help="largest share of the questions and lawful requests refused (cross-validated)")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    args = parser.parse_args(argv)

    texts, y, development = examples(args.training, args.cases)
    rows = [features(text) for text in texts]
    folds = np.array_split(np.random.default_rng(0).permutation(len(y)), 5)
    held_out = np.zeros(len(y))
    for fold in folds:
        train = np.setdiff1d(np.arange(len(y)), fold)
        model = fit([rows[i] for i in train], y[train], args.l2)
        held_out[fold] = [model.probability(texts[i]) for i in fold]
    negatives = np.sort(held_out[y == 0])[::-1]
    allowed = int(args.max_false_alarms * len(negatives))
    threshold = float(negatives[allowed]) + 1e-6 if allowed < len(negatives) else 0.5
    threshold = max(threshold, 0.5)
    caught = held_out >= threshold
    print(f"examples={len(y)} positives={int(y.sum())} threshold={threshold:.3f} (cross-validated): "
          f"caught {int(caught[(y == 1) & ~development].sum())}/{int(((y == 1) & ~development).sum())} written for "
          f"training, {int(caught[(y == 1) & development].sum())}/{int(((y == 1) & development).sum())} of the "
          f"development sets; false alarms {int(caught[(y == 0) & ~development].sum())}/"
          f"{int(((y == 0) & ~development).sum())} hard negatives, {int(caught[(y == 0) & development].sum())}/"
          f"{int(((y == 0) & development).sum())} development-set questions")
    model = fit(rows, y, args.l2)
    CircumventionModel(model.weights, model.bias, round(threshold, 4)).save(args.out)
    print(f"features={len(model.weights)} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
