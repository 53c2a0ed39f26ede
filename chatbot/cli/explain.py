"""`python -m chatbot explain <message id> [--json]`: why the assistant gave that answer — the index
generation that served it, the card and its version or the passages, the confidence and checks, the
outcome and reason, the LLM model (the audit trail, conversations/trail.py)."""

from __future__ import annotations

import argparse
import json
import sys

from ..config import Settings

COMMANDS = ("explain",)


def add_commands(commands) -> None:
    explain = commands.add_parser("explain", help="why an answer was given (its audit trail)")
    explain.add_argument("message_id", type=int, help="the answer's message id (as the API and the desk show it)")
    explain.add_argument("--json", action="store_true", help="print the stored record as JSON")


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    from ..conversations.db import Database
    from ..conversations.trail import AnswerTrail

    trail = AnswerTrail(Database.from_settings(settings or Settings()), None)
    text = trail.explain(args.message_id)
    if text is None:
        print(f"错误：没有找到消息 {args.message_id} 的审计记录（不是智能助手的回答，或已被删除）。", file=sys.stderr)
        return 1
    if args.json:
        record = trail.get(args.message_id)
        fields = ("message_id", "session_id", "generation", "collection", "card_id", "card_version", "confidence",
                  "outcome", "reason", "llm_model")
        print(json.dumps({f: getattr(record, f) for f in fields} | record.details
                         | {"created_at": record.created_at.isoformat()}, ensure_ascii=False, indent=2))
    else:
        print(text)
    return 0
