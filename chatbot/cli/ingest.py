"""`python ingest.py` — the knowledge manager's command line (everything the console's 知识库 tab does).

    python ingest.py [PATH] [--rebuild] [--json]      validate, re-ingest, probe, gate, publish
    python ingest.py --validate                       only validate: what would change, and every error
    python ingest.py --upload FILE... [--validate]    copy files in (type, size and name checks), then ingest
    python ingest.py --override "原因" [--by NAME]     publish even if the evaluation gate blocks (logged)
    python ingest.py --publish-staged --override "原因" publish the generation the gate held back (logged)
    python ingest.py --status                         served generation, held-back one, recent publications
    python ingest.py --ask "问题" [--as-of 2025-06-01] answer as of a date (audits)
    python ingest.py --gaps [--csv FILE] [--draft N]  knowledge-gap report (chatbot/cli/gaps.py)
    python ingest.py --worker [--once]                the ingest worker (chatbot/cli/worker.py)

Exit codes: 0 done; 1 some files failed (the others are indexed); 2 an error stopped the run;
3 the new index was built but not published (the report says why).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import logging
import sys
from pathlib import Path

from ..config import Settings, offline_environment
from ..errors import ChatbotError
from ..logsafe import configure_logging
from . import gaps as gaps_cli


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    arguments = sys.argv[1:] if argv is None else argv
    if "--gaps" in arguments:  # the knowledge-gap report: cli/gaps.py
        return gaps_cli.main(argv)
    if "--worker" in arguments:  # the ingest worker: cli/worker.py
        from . import worker

        return worker.main([a for a in arguments if a != "--worker"])
    parser = argparse.ArgumentParser(description="导入知识库 (incremental ingest, atomic publish)")
    parser.add_argument("path", nargs="?", help="knowledge directory (default: CHATBOT_KNOWLEDGE_DIR)")
    parser.add_argument("--rebuild", action="store_true", help="build the index from nothing")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("--validate", action="store_true", help="only validate; index nothing")
    parser.add_argument("--upload", nargs="+", type=Path, metavar="FILE", help="copy files into the knowledge base")
    parser.add_argument("--override", metavar="REASON", help="publish despite the evaluation gate (logged)")
    parser.add_argument("--by", default=None, help="who decides the override (default: the login name)")
    parser.add_argument("--publish-staged", action="store_true", help="publish the held-back generation")
    parser.add_argument("--status", action="store_true", help="show the served and held-back generations")
    parser.add_argument("--ask", metavar="QUESTION", help="answer one question (with --as-of for audits)")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, help="date for --ask (YYYY-MM-DD)")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--gaps", action="store_true", help="knowledge-gap report instead (ingest.py --gaps --help)")
    parser.add_argument("--worker", action="store_true", help="run the ingest worker instead (--worker --help)")
    args = parser.parse_args(argv)
    configure_logging(logging.INFO if args.verbose else logging.WARNING, "%(levelname)s %(name)s: %(message)s")
    settings = Settings()
    if args.path:
        settings = settings.model_copy(update={"knowledge_dir": Path(args.path)})
    user = args.by or getpass.getuser()
    try:
        if args.status:
            return _status(settings, args.json)
        if args.publish_staged:
            return _publish_staged(settings, args.override, user)
        if args.ask:
            return _ask(settings, args.ask, args.as_of, args.json)
        if args.upload:
            failed = _upload(settings, args.upload)
            if failed:
                return 1
        return _ingest(settings, args, user)
    except ChatbotError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2


def _ingest(settings: Settings, args, user: str) -> int:
    from ..index.embeddings import build_embeddings
    from ..publishing.pipeline import run_ingest, validate
    from ..publishing.report import Override

    embeddings = build_embeddings(settings.embeddings)
    if args.validate:
        plan = validate(settings, embeddings)
        errors = [f for f in plan.files if f.status == "error"]
        if args.json:
            print(json.dumps({"changed": [p.source for p in plan.pending], "deleted": plan.deleted,
                              "errors": [{"path": f.path, "error": f.error} for f in errors]}, ensure_ascii=False))
        else:
            print(f"校验完成：待更新 {len(plan.pending)} 个文件，待删除 {len(plan.deleted)} 个，"
                  f"失败 {len(errors)} 个")
            for source in [p.source for p in plan.pending] + plan.deleted:
                print(f"  变更：{source}")
            for failure in errors:
                print(f"  失败：{failure.path} — {failure.error}")
        return 1 if errors else 0
    override = Override(by=user, reason=args.override) if args.override else None
    report = run_ingest(settings, embeddings, rebuild=args.rebuild, override=override, user=user)
    if args.json:
        print(json.dumps(report.summary(), ensure_ascii=False))
    else:
        from ..publishing.report import format_report

        print(format_report(report))
    if report.generation is not None and not report.published:
        return 3
    return 1 if report.errors else 0


def _upload(settings: Settings, files: list[Path]) -> int:
    from ..knowledge.uploads import save_upload

    failed = 0
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"  拒绝：{path} — 无法读取（{exc.strerror}）")
            failed += 1
            continue
        result = save_upload(settings, path.name, data)
        if result.status == "rejected":
            failed += 1
            print(f"  拒绝：{path} — {result.error}")
        else:
            print(f"  {'已替换' if result.status == 'replaced' else '已保存'}：{result.path}")
    return failed


def _publish_staged(settings: Settings, reason: str | None, user: str) -> int:
    from ..publishing.pipeline import publish_staged
    from ..publishing.report import Override

    if not reason:
        print("错误：请用 --override \"原因\" 说明为何发布被评测拦下的索引。", file=sys.stderr)
        return 2
    staged = publish_staged(settings, Override(by=user, reason=reason))
    print(f"已发布第 {staged.number} 版索引（强制发布：{user}，原因：{reason}）。")
    return 0


def _status(settings: Settings, as_json: bool) -> int:
    from dataclasses import asdict

    from ..publishing.admin import knowledge_status

    status = knowledge_status(settings, last=5)
    if as_json:
        print(json.dumps(asdict(status), ensure_ascii=False))
        return 0
    current, staged = status.current, status.staged
    print(f"线上索引：第 {current['number']} 版（{current['collection']}，发布于 {current['published_at'] or '—'}）"
          if current else "线上索引：尚未建立")
    if staged:
        print(f"待发布：第 {staged['number']} 版，被拦下的原因：" + "；".join(status.staged_blocked))
    for entry in status.log:
        override = f" 强制发布（{entry.get('override_reason')}）" if entry.get("override") else ""
        print(f"  {entry['time']} {entry['event']} 第 {entry['generation']} 版 by {entry.get('by')}{override}")
    return 0


def _ask(settings: Settings, question: str, as_of: dt.date | None, as_json: bool) -> int:
    from ..services import build_assistant

    answer = build_assistant(settings, auto_ingest=False).ask(question, as_of=as_of)
    if as_json:
        print(json.dumps(answer.to_api() | {"as_of": (as_of or dt.date.today()).isoformat()}, ensure_ascii=False))
        return 0
    print(f"[{(as_of or dt.date.today()).isoformat()} 生效的知识] {answer.text}")
    for number, citation in enumerate(answer.citations, start=1):
        print(f"  [{number}] {citation.title} — {citation.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
