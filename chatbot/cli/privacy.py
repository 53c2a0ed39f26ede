"""`python -m chatbot erase|retention|identity-token`: a customer's data on request, the retention job,
and an identity token as the bank's website backend would sign it (for tests and demos)."""

from __future__ import annotations

import argparse
import json
import sys

from ..config import Settings
from ..errors import ChatbotError

COMMANDS = ("erase", "retention", "identity-token")


def add_commands(commands) -> None:
    erase = commands.add_parser("erase", help="erase a customer's conversations, tickets and feedback")
    subject = erase.add_mutually_exclusive_group(required=True)
    subject.add_argument("--customer", help="a verified customer id")
    subject.add_argument("--session", help="a session id (as the desk shows it) or a customer's session token")
    erase.add_argument("--by", default="cli", help="who asked (kept in the audit record)")
    commands.add_parser("retention", help="delete what is older than CHATBOT_RETENTION_DAYS (default 180)")
    token = commands.add_parser("identity-token", help="sign an identity token with CHATBOT_IDENTITY_SECRET")
    token.add_argument("customer_id")
    token.add_argument("--minutes", type=int, default=60, help="validity (default 60)")


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    settings = settings or Settings()
    try:
        if args.command == "identity-token":
            import datetime as dt

            from ..web.identity import issue_identity

            print(issue_identity(args.customer_id, settings, ttl=dt.timedelta(minutes=args.minutes)))
            return 0
        from ..conversations.db import Database
        from ..conversations.erasure import DataEraser

        eraser = DataEraser(Database.from_settings(settings))
        if args.command == "retention":
            counts = eraser.enforce_retention(settings.retention_days, by="cli")
        elif args.customer:
            counts = eraser.erase_customer(args.customer, by=args.by)
        else:
            from ..web.privacy_api import session_of

            counts = eraser.erase_session(session_of(args.session, settings), by=args.by)
    except ChatbotError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2
    print(json.dumps({"erased": counts}, ensure_ascii=False))
    return 0 if args.command == "retention" or any(counts.values()) else 1
