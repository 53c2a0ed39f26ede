"""Recall of `dense_search=hnsw` (Chroma's HNSW query, top candidates re-ranked by exact cosine) against
the exact search, at 100k units.

Run: python bench/ann_recall.py [--size 100000] [--k 10] [--candidates 10 40 100 200] [--base-data-dir DIR]
The corpus is bench/scale.py's (synthetic variations of the demo chunks around the real demo units);
the queries are the 285 dev questions. recall@k = the share of the exact top k that the HNSW mode
returns in its top k; top-1 = the share of questions whose nearest unit is the same.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scale import build  # noqa: E402


def main() -> int:
    from chatbot.config import Settings, offline_environment
    from chatbot.index.embeddings import build_embeddings
    from chatbot.retrieval.retriever import HybridRetriever

    offline_environment()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--candidates", type=int, nargs="+", default=[10, 40, 100, 200])
    parser.add_argument("--base-data-dir", type=Path, default=ROOT / "data",
                        help="an ingested demo index (python ingest.py) to generate from")
    args = parser.parse_args()
    questions = [json.loads(line)["question"] for line in (ROOT / "eval/cases/dev.jsonl").read_text("utf-8").splitlines()]
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder)
        build_s = build(args.size, args.base_data_dir, target)
        settings = Settings(_env_file=None, data_dir=target)
        embeddings = build_embeddings(settings.embeddings)
        exact = HybridRetriever(settings, embeddings)
        truth = {q: [key for key, _ in exact._dense(q, args.k)] for q in questions}  # also caches the vectors
        exact_ms = []
        for question in questions:
            started = time.perf_counter()
            exact._dense(question, args.k)
            exact_ms.append((time.perf_counter() - started) * 1000)
        del exact
        hnsw = HybridRetriever(settings.model_copy(update={"dense_search": "hnsw"}), embeddings)
        print(f"{hnsw.size} units (built in {build_s:.0f} s), {len(questions)} dev questions, k={args.k}; "
              f"exact search p50 {statistics.median(exact_ms):.1f} ms (query vectors cached)")
        print(f"{'candidates':>11}{'recall@k':>10}{'top-1':>8}{'p50 ms':>9}{'p95 ms':>9}")
        for candidates in args.candidates:
            hnsw.settings = settings.model_copy(update={"dense_search": "hnsw", "dense_candidates": candidates})
            hnsw._dense(questions[0], args.k)  # warm-up: Chroma loads its HNSW index on the first query
            found, latencies = [], []
            for question in questions:
                started = time.perf_counter()
                keys = [key for key, _ in hnsw._dense(question, args.k)]
                latencies.append((time.perf_counter() - started) * 1000)
                found.append(keys)
            recall = statistics.mean(len(set(keys) & set(truth[q])) / len(truth[q]) for q, keys in zip(questions, found))
            top1 = statistics.mean(keys[:1] == truth[q][:1] for q, keys in zip(questions, found))
            ordered = sorted(latencies)
            print(f"{candidates:>11}{recall:>10.4f}{top1:>8.3f}{statistics.median(ordered):>9.1f}"
                  f"{ordered[int(0.95 * (len(ordered) - 1))]:>9.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
