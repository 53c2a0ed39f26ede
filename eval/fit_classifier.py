"""The fitting shared by the message recognisers (`chatbot/answer/classifier.py`): a logistic regression over the
messages' features, its threshold chosen by cross-validated false alarms, written beside the classifier module.
`eval.fit_circumvention` and `eval.fit_emergency` say which messages it is fitted on."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from chatbot.answer.classifier import MessageClassifier, features
from chatbot.quality.cases import Case, load_cases
from chatbot.text import normalize

MIN_DOCUMENTS = 2  # a feature seen in fewer training texts is dropped
FOLDS = 5


def read_training(paths: list[Path]) -> tuple[list[str], list[int]]:
    """The messages written for training (normalised) and their labels: one {"text", "label"} per line."""
    texts, labels = [], []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts.append(normalize(row["text"]))
                labels.append(int(row["label"]))
    return texts, labels


def examples(training: list[Path], cases: Path, names: tuple[str, ...],
             label_of: Callable[[Case], int | None]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts (normalised), labels and whether each comes from a development set: the messages written for training,
    then the questions of the named development sets that `label_of` labels (None: not an example)."""
    texts, labels = read_training(training)
    development = [False] * len(texts)
    for name in names:
        for case in load_cases(cases / f"{name}.jsonl"):
            label = label_of(case)
            if label is not None:
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


def fit(rows: list[set[str]], y: np.ndarray, l2: float, steps: int = 1500, rate: float = 1.0) -> MessageClassifier:
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
    return MessageClassifier(weights=dict(zip(names, w.tolist())), bias=b, threshold=0.5)


def arguments(description: str, training: list[Path], out: Path, *,
              max_false_alarms: float = 0.01) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--training", type=Path, nargs="+", default=list(training))
    parser.add_argument("--cases", type=Path, default=Path("eval/cases"))
    parser.add_argument("--l2", type=float, default=0.001)
    parser.add_argument("--max-false-alarms", type=float, default=max_false_alarms,
                        help="largest share of the negatives recognised (cross-validated)")
    parser.add_argument("--out", type=Path, default=out)
    return parser


def fit_and_save(texts: list[str], y: np.ndarray, development: np.ndarray, args: argparse.Namespace) -> None:
    """Cross-validate for the threshold (the lowest probability at which at most `--max-false-alarms` of the
    negatives are recognised, and at least 0.5), print what it catches, and write the fit on all examples."""
    rows = [features(text) for text in texts]
    folds = np.array_split(np.random.default_rng(0).permutation(len(y)), FOLDS)
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

    def share(mask: np.ndarray) -> str:
        return f"{int(caught[mask].sum())}/{int(mask.sum())}"

    print(f"examples={len(y)} positives={int(y.sum())} threshold={threshold:.3f} (cross-validated): "
          f"caught {share((y == 1) & ~development)} written for training, {share((y == 1) & development)} of the "
          f"development sets; false alarms {share((y == 0) & ~development)} hard negatives, "
          f"{share((y == 0) & development)} development-set questions")
    model = fit(rows, y, args.l2)
    MessageClassifier(model.weights, model.bias, round(threshold, 4)).save(args.out)
    print(f"features={len(model.weights)} -> {args.out}")
