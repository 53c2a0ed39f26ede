"""`python ingest.py --gaps [--since DAYS] [--csv FILE] [--draft N] [--json] [--records DB]` — the
knowledge-gap report.

Reads the conversation records of `CHATBOT_DATABASE_URL` (SQLite in the data dir by default), or those
of `--records` (e.g. the evaluation's `--record-db`); the nearest cards come from the served index.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ..config import Settings, offline_environment
from ..errors import ChatbotError
from ..logsafe import configure_logging
from ..staff.gap_drafts import draft_card


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = argparse.ArgumentParser(prog="ingest.py --gaps", description="知识缺口报告 (knowledge-gap report)")
    parser.add_argument("--gaps", action="store_true", required=True, help="print the knowledge-gap report")
    parser.add_argument("--since", type=float, default=30, metavar="DAYS",
                        help="questions of the last DAYS days (default 30; 0 = all)")
    parser.add_argument("--csv", type=Path, metavar="FILE", help="also write the report as CSV (UTF-8 with BOM)")
    parser.add_argument("--draft", type=int, metavar="N",
                        help="write a card draft from cluster N (its rank) to knowledge/_drafts/")
    parser.add_argument("--top", type=int, default=20, help="clusters printed (default 20; the CSV has all)")
    parser.add_argument("--json", action="store_true", help="print the clusters as JSON")
    parser.add_argument("--records", metavar="DB", help="read the conversations of this database (a SQLAlchemy URL "
                        "or a SQLite file) instead of the deployment's")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    configure_logging(logging.INFO if args.verbose else logging.WARNING, "%(levelname)s %(name)s: %(message)s")
    settings = Settings()
    try:
        reporter = _reporter(settings, args.records)
        report = reporter.report(since_days=args.since or None)
        if args.draft is not None and not 1 <= args.draft <= len(report.clusters):
            print(f"错误：没有第 {args.draft} 个问题簇（共 {len(report.clusters)} 个）", file=sys.stderr)
            return 2
        if args.csv:
            args.csv.parent.mkdir(parents=True, exist_ok=True)
            args.csv.write_bytes(reporter.to_csv(report))
        draft = draft_card(reporter, report.clusters[args.draft - 1]) if args.draft else None
    except (ChatbotError, OSError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    if args.json:
        payload = {"questions": report.questions, "clusters": [c.to_dict(reporter.zone) for c in report.clusters]}
        if draft:
            payload["draft"] = {"id": draft.card_id, "path": str(draft.path)}
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    period = f"最近 {args.since:g} 天" if args.since else "全部记录"
    print(f"知识缺口报告（{period}）：{report.questions} 个问题，{len(report.clusters)} 个问题簇")
    for rank, cluster in enumerate(report.clusters[:args.top], start=1):
        card = f"；最接近：{cluster.nearest_card_id}（{cluster.nearest_card_score:.2f}）" if cluster.nearest_card_id else ""
        print(f"{rank:>3}. {cluster.label} — {cluster.count} 次，{cluster.sessions} 个会话，{cluster.kinds_text()}{card}")
        for example in cluster.examples[1:]:
            print(f"       · {example}")
    if args.csv:
        print(f"CSV 已保存：{args.csv}")
    if draft:
        print(f"卡片草稿已保存：{draft.path}")
    return 0


def _reporter(settings: Settings, records: str | None):
    from ..conversations.db import Database
    from ..index.embeddings import build_embeddings
    from ..retrieval.retriever import HybridRetriever
    from ..staff.gaps import GapReporter

    retriever = HybridRetriever(settings, build_embeddings(settings.embeddings, query_cache_size=0))
    retriever.refresh()  # an empty index only means no nearest cards
    database = Database.from_settings(settings) if records is None else Database(
        records if "://" in records else f"sqlite:///{Path(records).resolve()}")
    return GapReporter(database, retriever, settings)
