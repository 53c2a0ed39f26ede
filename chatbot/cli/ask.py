"""`python -m chatbot ask "问题" [--json]` — ask the assistant from a terminal."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from ..config import Settings, offline_environment
from ..errors import ChatbotError
from ..logsafe import configure_logging
from . import explain, privacy


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["worker"]:  # the ingest worker: cli/worker.py
        from . import worker

        return worker.main(arguments[1:])
    parser = argparse.ArgumentParser(prog="python -m chatbot", description="消保智答 command line")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="ask one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the /api/chat response as JSON")
    ask.add_argument("--history", help="JSON list of earlier turns [{role, content}]")
    ask.add_argument("-v", "--verbose", action="store_true")
    commands.add_parser("worker", help="run the ingest worker (python -m chatbot worker --help)")
    hashing = commands.add_parser("hash-password", help="hash a staff password for CHATBOT_STAFF_USERS")
    hashing.add_argument("--password", help="the password (prompted when omitted)")
    commands.add_parser("data-key", help="print a new key for CHATBOT_DATA_KEY (encrypts callback numbers)")
    privacy.add_commands(commands)
    explain.add_commands(commands)
    args = parser.parse_args(argv)
    if args.command in explain.COMMANDS:
        configure_logging(logging.WARNING, "%(levelname)s %(name)s: %(message)s")
        return explain.run(args)
    if args.command in privacy.COMMANDS:
        configure_logging(logging.WARNING, "%(levelname)s %(name)s: %(message)s")
        return privacy.run(args)
    if args.command == "data-key":
        from ..sealing import new_key

        print(new_key())
        return 0
    if args.command == "hash-password":
        import getpass

        from ..staff.accounts import hash_password

        print(hash_password(args.password or getpass.getpass("密码：")))
        return 0

    configure_logging(logging.INFO if args.verbose else logging.WARNING, "%(levelname)s %(name)s: %(message)s")
    # First-run ingest progress is worth seeing even without -v.
    logging.getLogger("chatbot.services").setLevel(logging.INFO)
    try:
        from ..services import build_assistant

        assistant = build_assistant(Settings())
        history = json.loads(args.history) if args.history else None
        answer = assistant.ask(args.question, history)
    except ChatbotError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(answer.to_api(), ensure_ascii=False, indent=2))
        return 0
    label = {"answered": "回答", "handoff": "转人工", "refused": "无法回答"}[answer.outcome]
    print(f"[{label}] 置信度 {answer.confidence:.2f}")
    print(answer.text)
    for number, citation in enumerate(answer.citations, start=1):
        print(f"  [{number}] {citation.title} — {citation.source}")
    return 0
