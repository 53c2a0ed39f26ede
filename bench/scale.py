"""Assistant.ask latency and memory at 1k, 10k and 100k indexed chunks (approved mode).

Run: python bench/scale.py [--sizes 1000 10000 100000] [--base-data-dir DIR]
The corpus is synthetic, generated from the demo knowledge base: every extra chunk is a variation of
a demo document chunk (its figures changed, a branch label prefixed) with a vector made from the
original's by a small random perturbation (so 100k chunks do not take an hour to embed; vector search
cost does not depend on what the vectors mean). The real demo cards and chunks stay in the index, so
the dev questions still find their answers. Each size runs in its own process so that memory figures
are that size's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(size: int, base_dir: Path, target: Path) -> float:
    import chromadb
    import numpy as np
    from chromadb.config import Settings as ChromaSettings

    from chatbot.config import Settings
    from chatbot.index.generations import numbered_generation, read_current, set_pointer
    from chatbot.index.store import MODEL_KEY
    from chatbot.knowledge.documents import is_not_answered
    from chatbot.text import tokenize

    started = time.perf_counter()
    served = read_current(Settings(_env_file=None, data_dir=base_dir))
    if served is None:
        raise SystemExit(f"No served index in {base_dir}: run `python ingest.py` first, or pass --base-data-dir.")
    source = chromadb.PersistentClient(path=str(base_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False))
    base = source.get_collection(served.collection).get(include=["documents", "metadatas", "embeddings"])
    client = chromadb.PersistentClient(path=str(target / "chroma"), settings=ChromaSettings(anonymized_telemetry=False))
    model_id = source.get_collection(served.collection).metadata[MODEL_KEY]
    collection = client.create_collection("xiaobao-g00001", metadata={MODEL_KEY: model_id, "hnsw:space": "cosine"},
                                          embedding_function=None)
    ids, docs, metas, vectors = list(base["ids"]), list(base["documents"]), list(base["metadatas"]), \
        [list(v) for v in base["embeddings"]]
    doc_rows = [i for i, m in enumerate(metas) if m.get("unit") == "doc"]
    # the questions cards do not answer are stored too but never ranked: they do not count towards the size
    ranked = sum(not is_not_answered(m) for m in metas)
    rng = random.Random(0)
    noise = np.random.default_rng(0)
    for number in range(max(0, size - ranked)):
        row = doc_rows[number % len(doc_rows)]
        meta = dict(metas[row])
        label = f"第{number // len(doc_rows) + 1}分行补充细则"
        body = re.sub(r"\d+", lambda m: str(int(m.group(0)) + rng.randint(1, 9)), meta.get("body", docs[row]))
        meta.update(body=f"{label}：{body}", chunk_id=f"{meta['chunk_id']}~{number}",
                    source_id=f"{meta['source_id']}-v{number // len(doc_rows)}",
                    lex=" ".join(tokenize(f"{label} {body}", "bigram")))
        vector = np.array(vectors[row]) + noise.normal(0, 0.02, len(vectors[row]))
        ids.append(f"synthetic-{number}")
        docs.append(f"{label}\n{body}")
        metas.append(meta)
        vectors.append((vector / np.linalg.norm(vector)).tolist())
    for start in range(0, len(ids), 5000):
        collection.add(ids=ids[start:start + 5000], documents=docs[start:start + 5000],
                       metadatas=metas[start:start + 5000], embeddings=vectors[start:start + 5000])
    target_settings = Settings(_env_file=None, data_dir=target)
    set_pointer(target_settings, "current", numbered_generation(target_settings, 1))
    return time.perf_counter() - started


def measure(data_dir: Path) -> dict:
    from chatbot.config import Settings
    from chatbot.services import build_assistant

    started = time.perf_counter()
    assistant = build_assistant(Settings(data_dir=data_dir), auto_ingest=False)
    load_s = time.perf_counter() - started
    cases = [json.loads(line) for line in (ROOT / "eval/cases/dev.jsonl").read_text("utf-8").splitlines()]
    assistant.ask("预热")
    embeddings = assistant.retriever.embeddings
    latencies = []
    for case in cases:
        # Each case is its own session: no cached query vector from other cases. A follow-up's earlier
        # turns are asked first (untimed), as they were earlier in that session, so the previous
        # question's vector is cached exactly as it would be in production.
        embeddings.clear_cache()
        history = case.get("history") or []
        for number, turn in enumerate(history):
            if turn["role"] == "user":
                assistant.ask(turn["content"], history[:number])
        t = time.perf_counter()
        assistant.ask(case["question"], history)
        latencies.append((time.perf_counter() - t) * 1000)
    ordered = sorted(latencies)
    return {"units": assistant.retriever.size, "load_s": load_s, "p50": statistics.median(ordered),
            "p95": ordered[int(0.95 * (len(ordered) - 1))],
            "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    """This process's own peak RSS. Not ru_maxrss: Linux carries the parent's high-water mark across
    fork/vfork + exec, so after building a 100k corpus here the child reported the builder's ~2 GB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    from chatbot.config import offline_environment

    offline_environment()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--base-data-dir", type=Path, default=ROOT / "data",
                        help="an ingested demo index (python ingest.py) to generate from")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    print("Assistant.ask, approved mode, 285 dev questions, each its own session (no vector cached from other cases)")
    print(f"{'chunks':>8}{'build s':>9}{'load s':>8}{'p50 ms':>9}{'p95 ms':>9}{'peak RSS MB':>13}")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder)
            build_s = build(size, args.base_data_dir, target)
            output = subprocess.run([sys.executable, __file__, "--measure", str(target)], capture_output=True,
                                    text=True, check=True, env=dict(os.environ))
            result = json.loads(output.stdout.strip().splitlines()[-1])
            print(f"{result['units']:>8}{build_s:>9.1f}{result['load_s']:>8.1f}{result['p50']:>9.1f}"
                  f"{result['p95']:>9.1f}{result['peak_rss_mb']:>13.0f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
