"""`python ingest.py [PATH] [--rebuild] [--json]` — index the knowledge base incrementally."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from chatbot import gaps_cli
from chatbot.config import Settings
from chatbot.errors import ChatbotError


def main(argv: list[str] | None = None) -> int:
    if "--gaps" in (sys.argv[1:] if argv is None else argv):  # the knowledge-gap report: chatbot/gaps_cli.py
        return gaps_cli.main(argv)
    parser = argparse.ArgumentParser(description="导入知识库 (incremental ingest into Chroma)")
    parser.add_argument("path", nargs="?", help="knowledge directory (default: CHATBOT_KNOWLEDGE_DIR)")
    parser.add_argument("--rebuild", action="store_true", help="drop the index and ingest everything again")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--gaps", action="store_true", help="knowledge-gap report instead (ingest.py --gaps --help)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    settings = Settings()
    try:
        from chatbot.embeddings import build_embeddings
        from chatbot.indexer import run_ingest

        report = run_ingest(settings, build_embeddings(settings.embeddings),
                            root=Path(args.path) if args.path else None, rebuild=args.rebuild)
    except ChatbotError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    summary = report.summary()
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(f"新增 {summary['added']}，更新 {summary['updated']}，删除 {summary['deleted']}，"
              f"未变 {summary['skipped']}，失败 {len(summary['errors'])} 个文件")
        for error in summary["errors"]:
            print(f"  失败：{error['path']} — {error['error']}")
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
