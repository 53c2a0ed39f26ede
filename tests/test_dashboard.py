"""The 360° dashboard's figures on a small hand-made dataset whose answers are known."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from chatbot.conversations.db import Database
from chatbot.conversations.models import Conversation, Message, Ticket
from chatbot.conversations.ops_models import AnswerAudit, InspectionHit, Survey
from chatbot.conversations.handoff import reason_label
from chatbot.staff.dashboard import DashboardService, Period, compute, flat_figures, load
from chatbot.web.dashboard_ui import bar_frame, card_rows, change, kpi_markdown, outcome_rows, percent, reason_rows

START = dt.datetime(2026, 11, 1)
PERIOD = Period(START, START + dt.timedelta(days=7))
NOW = PERIOD.end


def _at(day: float, minutes: float = 0) -> dt.datetime:
    return START + dt.timedelta(days=day, minutes=minutes)


class Builder:
    def __init__(self, session):
        self.session = session

    def conversation(self, session_id, day, turns, *, ticket=None, survey=None):
        """turns: (role, content, outcome, matched card, feedback, handoff reason, decided_by) tuples, 1 min apart."""
        self.session.add(Conversation(session_id=session_id, created_at=_at(day)))
        for n, (role, content, outcome, card, feedback, reason, decided_by) in enumerate(turns):
            message = Message(session_id=session_id, role=role, content=content, outcome=outcome, matched_id=card,
                              feedback=feedback, handoff_reason=reason, created_at=_at(day, n))
            self.session.add(message)
            self.session.flush()
            if role == "assistant":
                self.session.add(AnswerAudit(message_id=message.id, session_id=session_id, outcome=outcome or "",
                                             checks=json.dumps({"decided_by": decided_by})))
        if ticket:
            self.session.add(Ticket(session_id=session_id, **ticket))
        if survey:
            self.session.add(Survey(session_id=session_id, stars=survey, created_at=_at(day, 5)))


def user(text="信用卡免息期多久？", minutes=None):
    return ("user", text, None, None, None, None, None)


def answer(card="card-a", feedback=None, outcome="answered", reason=None, decided_by="retrieval"):
    return ("assistant", "回答", outcome, card, feedback, reason, decided_by)


@pytest.fixture
def rows(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'dash.sqlite'}")
    with db.session.begin() as session:
        b = Builder(session)
        b.conversation("s1", 0, [user(), answer(feedback=1)])  # confirmed by 👍
        b.conversation("s2", 0, [user(), answer()])  # assumed
        b.conversation("s3", 1, [user(), answer("card-b", feedback=-1)], survey=2)  # 👎: abandoned
        b.conversation("s4", 1, [user("我要投诉"), answer(None, outcome="handoff", reason="complaint")], survey=5,
                       ticket=dict(id="T4", reason="complaint", priority="high", status="resolved", created_at=_at(1, 1),
                                   claimed_at=_at(1, 11), resolved_at=_at(1, 121), deadline=_at(15),
                                   care_gesture="赠送积分", resolution="answered"))  # the hand-off wins over 5 stars
        session.add(Message(session_id="s4", role="expert", content="您好", created_at=_at(1, 31)))
        b.conversation("s5", 2, [user(), answer("card-b"), user(), answer("card-b")])  # repeated: abandoned
        b.conversation("s6", 2, [user(), answer()], survey=4)  # confirmed by the survey
        b.conversation("s7", 3, [user("今天天气"), answer(None, outcome="refused")])  # abandoned
        b.conversation("s8", 3, [user("卡"), answer(None, outcome="clarify"), user("信用卡"),
                                 answer(decided_by="choice")])  # assumed, a clarification picked
        b.conversation("s9", 4, [user("怪问题"), answer(None, outcome="handoff", reason="low_confidence")],
                       ticket=dict(id="T9", reason="low_confidence", priority="normal", status="open",
                                   created_at=_at(4, 1), deadline=_at(5)))  # overdue
        b.conversation("demo-1", 5, [user(), answer()])  # assumed, demo
        b.conversation("p1", -3, [user(), answer()])  # the previous period: assumed
        session.add_all([
            InspectionHit(message_id=1, session_id="s4", ticket_id="T4", role="user", category="escalation",
                          rule_id="media_exposure", ruleset_version=0, created_at=_at(1)),
            InspectionHit(message_id=2, session_id="s4", ticket_id="T4", role="expert", category="prohibited_sales",
                          rule_id="promise_of_principal", ruleset_version=0, created_at=_at(1)),
            InspectionHit(message_id=3, session_id="p1", role="user", category="personal_data",
                          rule_id="personal_numbers", ruleset_version=0, created_at=_at(-3)),
        ])
    return load(db, Period(PERIOD.previous().start, PERIOD.end))


def test_resolution_panel(rows):
    figures = compute(rows, PERIOD, now=NOW)
    assert figures["resolution"]["current"] == {
        "conversations": 10, "resolved": 5, "resolved_confirmed": 2, "resolved_assumed": 3, "handed_off": 2,
        "abandoned": 3, "one_time_resolution_rate": 0.5, "demo_conversations": 1}
    assert figures["resolution"]["previous"]["one_time_resolution_rate"] == 1.0


def test_outcomes_panel(rows):
    current = compute(rows, PERIOD, now=NOW)["outcomes"]["current"]
    assert current == {"answers": 12, "handoff_rate": 0.2, "handoff_by_reason": {"complaint": 1, "low_confidence": 1},
                       "clarifications": 1, "clarification_rate": round(1 / 12, 4), "clarification_picks": 1,
                       "pick_rate": 1.0, "refusals": 1, "refusal_rate": round(1 / 12, 4)}


def test_satisfaction_and_cards_panels(rows):
    figures = compute(rows, PERIOD, now=NOW)
    assert figures["satisfaction"]["current"] == {"responses": 3, "response_rate": 0.3, "csat": 0.6667,
                                                  "average_stars": 3.67, "stars": {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}}
    assert figures["satisfaction"]["previous"]["responses"] == 0
    cards = figures["cards"]["current"]
    assert cards["most_used"] == [{"card": "card-a", "answers": 5, "up": 1, "down": 0},
                                  {"card": "card-b", "answers": 3, "up": 0, "down": 1}]
    assert cards["most_disliked"] == [{"card": "card-b", "answers": 3, "up": 0, "down": 1}]


def test_desk_and_inspection_panels(rows):
    figures = compute(rows, PERIOD, now=NOW)
    desk = figures["desk"]["current"]
    assert desk["tickets"] == 2 and desk["resolved"] == 1
    assert desk["time_to_claim"] == {"count": 1, "median": 10.0, "p90": 10.0}
    assert desk["time_to_first_reply"]["median"] == 30.0 and desk["time_to_resolve"]["median"] == 120.0
    assert desk["overdue_by_priority"] == {"urgent": 0, "high": 0, "normal": 1}
    assert desk["care_gestures"] == 1
    assert figures["inspection"]["current"] == {"hits": 2, "by_category": {"escalation": 1, "prohibited_sales": 1},
                                                "flagged_tickets": 1}
    assert figures["inspection"]["previous"]["by_category"] == {"personal_data": 1}


def test_csv_rows_and_console_formatting(rows):
    figures = compute(rows, PERIOD, now=NOW)
    flat = {(panel, name): (current, previous) for panel, name, current, previous in flat_figures(figures)}
    assert flat[("resolution", "one_time_resolution_rate")] == (0.5, 1.0)
    assert flat[("outcomes", "handoff_by_reason.complaint")] == (1, "")
    markdown = kpi_markdown(figures)
    assert "| 一次性解决率 | **50.0%** | 100.0% | ↓50.0个百分点 |" in markdown
    assert "【演示数据】本期含 1 个演示会话" in markdown
    assert outcome_rows(figures)[0] == ["已解决（客户确认）", 2, 0]
    assert percent(None) == "—" and change(3, 3) == "持平" and change(5, 2) == "↑3"


def test_each_card_that_requires_a_hand_off_is_its_own_reason_on_the_chart(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'cards.sqlite'}")
    with db.session.begin() as session:
        b = Builder(session)
        for session_id, day, reason in (("c1", 0, "card:card-stolen"), ("c2", 1, "card:card-fee"),
                                        ("c3", 2, "card:card-stolen"), ("c4", 2, "complaint"),
                                        ("p1", -2, "card:card-gone")):  # the previous period: a withdrawn card
            b.conversation(session_id, day, [user(), answer(None, outcome="handoff", reason=reason)])
    titles = {"card-stolen": "信用卡被盗刷（转人工）", "card-fee": "申请退还信用卡费用（转人工）"}
    service = DashboardService(db, card_title=titles.get)
    figures = service.figures(7, now=NOW)
    assert figures["outcomes"]["current"]["handoff_by_reason"] == {"card:card-stolen": 2, "card:card-fee": 1,
                                                                   "complaint": 1}
    assert figures["labels"]["handoff_reasons"] == {
        "card:card-stolen": "卡片规定转人工：信用卡被盗刷", "card:card-fee": "卡片规定转人工：申请退还信用卡费用",
        "complaint": "客户投诉", "card:card-gone": "卡片规定转人工：card-gone"}
    rows = reason_rows(figures)
    assert sorted(rows) == sorted([["卡片规定转人工：信用卡被盗刷", 2, 0], ["卡片规定转人工：申请退还信用卡费用", 1, 0],
                                   ["客户投诉", 1, 0], ["卡片规定转人工：card-gone", 0, 1]])
    assert sorted(bar_frame(rows, "原因")["原因"]) == sorted(r[0] for r in rows)  # one bar each
    csv = service.csv(figures).decode("utf-8-sig")
    assert "handoff_by_reason.card:card-stolen,2," in csv and "信用卡被盗刷" not in csv  # the CSV keeps the codes
    assert reason_label("card:card-stolen") == "知识卡片要求转人工"  # elsewhere (no titles) as before


def test_the_card_tables_name_each_card_by_its_title(tmp_path):
    """Before: the most-used and most-disliked tables showed card ids only."""
    db = Database(f"sqlite:///{tmp_path / 'titles.sqlite'}")
    with db.session.begin() as session:
        b = Builder(session)
        b.conversation("t1", 0, [user(), answer("card-fee", feedback=-1)])
        b.conversation("t2", 1, [user(), answer("card-gone")])
    figures = DashboardService(db, card_title={"card-fee": "ATM跨行取款手续费"}.get).figures(7, now=NOW)
    assert figures["labels"]["cards"] == {"card-fee": "ATM跨行取款手续费"}
    assert card_rows(figures, "most_disliked") == [["ATM跨行取款手续费（card-fee）", 1, 0, 1]]
    assert sorted(row[0] for row in card_rows(figures, "most_used")) == ["ATM跨行取款手续费（card-fee）", "card-gone"]
