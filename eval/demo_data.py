"""`python -m eval.demo_data` (or `make demo-data`): a populated dashboard for a newcomer. The dev set is
replayed as customer conversations through the real chat service (with the quality inspection listening),
into the configured database, spread over the last `--days` days; then, as customers and experts would:
👎 on every answer the evaluation judged wrong and 👍 on some right ones, satisfaction surveys, and the
desk claiming, answering and resolving most tickets (a few replies break a service taboo, so the
inspection report has something to show).

Every conversation is labelled demo data: its session id starts with `demo-` (the dashboard counts them
and says so); the desk's demo actions are by `demo-expert`. Deterministic for a given `--seed`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import random
import sys
from pathlib import Path

from sqlalchemy import select, update

from chatbot.config import Settings, offline_environment
from chatbot.conversations.db import Database
from chatbot.conversations.models import Conversation, Message, Ticket, utcnow
from chatbot.conversations.ops_models import AnswerAudit, InspectionHit, Survey
from chatbot.conversations.service import ChatService
from chatbot.quality.cases import load_cases
from chatbot.quality.evaluators import judged_wrong
from chatbot.quality.scoring import run_case
from chatbot.staff.accounts import StaffUser
from chatbot.staff.desk import Desk
from chatbot.staff.operations import Operations
from eval.record import CaseRecorder

DEMO_EXPERT = StaffUser("demo-expert", "expert", "演示专家")
REPLIES = ["您好，我是人工专家，已收到您的问题，已为您登记并会在规定时限内答复。",
           "您好，已为您核实，相关业务可在手机银行办理，如有疑问请拨打客服热线。",
           "您好，您的投诉已登记，我们会在15日内给您答复。",
           "这个问题不归我管，请您自己去查一下网点电话。"]  # the last one breaks a service taboo on purpose
COMMENTS = {5: ["回答很清楚", "专家很耐心"], 4: ["基本解决了"], 3: ["还行"], 2: ["等太久了"], 1: ["没解决我的问题"]}


def seed_demo_data(service: ChatService, cases, *, days: int = 14, seed: int = 16, now: dt.datetime | None = None) -> dict:
    rng = random.Random(seed)
    now = now or utcnow()
    Operations.attach(service)
    desk = Desk(service)
    recorder = CaseRecorder(service.assistant, None, service=service, prefix="demo")
    results = [run_case(service.assistant, case, recorder) for case in cases]
    thumbs_down = recorder.thumbs_down_wrong(cases, results)
    thumbs_up = surveys = 0
    for case, result in zip(cases, results):
        session_id, message_id = recorder._answers[case.id]
        wrong = judged_wrong(case, result)
        if not wrong and result.outcome == "answered" and rng.random() < 0.3:
            thumbs_up += service.feedback(message_id, 1, session_id)
        if rng.random() < 0.35:
            stars = rng.choice([1, 2, 3]) if wrong else rng.choice([3, 4, 5, 5, 5])
            comment = rng.choice(COMMENTS[stars]) if rng.random() < 0.5 else ""
            surveys += service.surveys.submit(session_id, stars, comment)
    sessions = [recorder._answers[case.id][0] for case in cases]
    tickets = _work_the_desk(service, desk, sessions, rng)
    _spread_over(service.db, sessions, days, rng, now)
    return {"conversations": len(sessions), "thumbs_down": thumbs_down, "thumbs_up": thumbs_up, "surveys": surveys,
            "tickets": tickets}


def _work_the_desk(service: ChatService, desk: Desk, sessions: list[str], rng: random.Random) -> int:
    tickets = [service.tickets.open_for_session(s) for s in sessions]
    for ticket in filter(None, tickets):
        if rng.random() < 0.2:
            continue  # left in the queue
        desk.claim(ticket.id, DEMO_EXPERT)
        if rng.random() < 0.85:
            desk.reply(ticket.id, DEMO_EXPERT, REPLIES[3] if rng.random() < 0.12 else rng.choice(REPLIES[:3]))
        if rng.random() < 0.8:
            care = "赠送20元话费（客户关怀基金）" if rng.random() < 0.1 else None
            desk.resolve(ticket.id, DEMO_EXPERT, "answered", "演示数据", care)
    return sum(t is not None for t in tickets)


def _spread_over(db: Database, sessions: list[str], days: int, rng: random.Random, now: dt.datetime) -> None:
    """Move each demo conversation (and what belongs to it) back to a moment of the last `days` days, and
    give the desk realistic minutes for claiming, replying and resolving."""
    with db.session.begin() as session:
        for session_id in sessions:
            started = session.scalar(select(Conversation.created_at).where(Conversation.session_id == session_id))
            shift = now - dt.timedelta(days=rng.uniform(0, days)) - started
            # In Python, row by row: SQLite has no arithmetic on the stored date-time text.
            for table, columns in ((Conversation, ("created_at", "updated_at")), (Message, ("created_at",)),
                                   (Survey, ("created_at",)), (AnswerAudit, ("created_at",)),
                                   (InspectionHit, ("created_at",))):
                for row in session.scalars(select(table).where(table.session_id == session_id)):
                    for column in columns:
                        setattr(row, column, getattr(row, column) + shift)
            for ticket in session.scalars(select(Ticket).where(Ticket.session_id == session_id)):
                created = ticket.created_at + shift
                claimed = created + dt.timedelta(minutes=rng.uniform(3, 120)) if ticket.claimed_at else None
                reply = claimed + dt.timedelta(minutes=rng.uniform(2, 40)) if claimed else None
                resolved = reply + dt.timedelta(minutes=rng.uniform(10, 60 * 48)) if ticket.resolved_at and reply else (
                    claimed + dt.timedelta(minutes=rng.uniform(10, 600)) if ticket.resolved_at else None)
                session.execute(update(Ticket).where(Ticket.id == ticket.id).values(
                    created_at=created, updated_at=resolved or claimed or created, deadline=ticket.deadline + shift,
                    claimed_at=claimed, resolved_at=resolved))
                if reply:
                    session.execute(update(Message).where(Message.session_id == session_id, Message.role == "expert")
                                    .values(created_at=reply))


def main(argv: list[str] | None = None) -> int:
    offline_environment()
    parser = argparse.ArgumentParser(description="Seed the configured database with labelled demo conversations")
    parser.add_argument("--cases", type=Path, default=Path("eval/cases/dev.jsonl"))
    parser.add_argument("--days", type=int, default=14, help="spread the conversations over this many days")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--force", action="store_true", help="add another set even if demo data exists")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from chatbot.services import build_assistant

    settings = Settings()
    database = Database.from_settings(settings)
    with database.session() as session:
        existing = session.scalar(select(Conversation.session_id).where(Conversation.session_id.like("demo-%")))
    if existing and not args.force:
        print("the database already holds demo data (session ids demo-…); use --force to add another set")
        return 0
    service = ChatService(build_assistant(settings), database, settings)
    summary = seed_demo_data(service, load_cases(args.cases), days=args.days, seed=args.seed)
    print("demo data (session ids demo-…): " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
