"""The 消保 360° dashboard: every figure for a period and the period before it, computed from the database.

`load()` reads the rows of both periods once; every panel is a pure function of those rows and a
period, so each is tested on a small hand-made dataset. A conversation counts in the period it started in
and is exactly one of resolved / handed off / abandoned (a hand-off wins over a resolution):
- handed off: it has a ticket, or an answer handed it off;
- resolved, confirmed: a 👍 or a satisfaction score ≥ 4;
- resolved, assumed: answered, no 👎, no repeat of a question within 24 h in the same conversation;
- abandoned: anything else (only refusals, clarifications left unanswered, …).
Conversations whose session id starts with `demo-` were written by the demo-data command.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import or_, select

from ..conversations.db import Database
from ..conversations.handoff import reason_label
from ..conversations.models import Conversation, Message, Ticket, utcnow
from ..conversations.ops_models import AnswerAudit, InspectionHit, Survey
from ..spreadsheet import csv_bytes
from ..text import normalize
from .gaps import gap_questions

DEMO_PREFIX = "demo-"
REPEAT_WINDOW = dt.timedelta(hours=24)
TOP_CARDS = 8
PRIORITIES = ("urgent", "high", "normal")


@dataclass(frozen=True)
class Period:
    start: dt.datetime  # UTC, naive, inclusive
    end: dt.datetime  # exclusive

    def holds(self, moment: dt.datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end

    def previous(self) -> Period:
        return Period(self.start - (self.end - self.start), self.start)

    @classmethod
    def last_days(cls, days: int, now: dt.datetime | None = None) -> Period:
        end = now or utcnow()
        return cls(end - dt.timedelta(days=days), end)


@dataclass
class Rows:
    """What the dashboard reads for a window (both periods)."""

    conversations: list[Conversation]
    messages: dict[str, list[Message]]  # session id -> its messages, in order
    tickets: list[Ticket]
    surveys: dict[str, Survey]
    audits: list[AnswerAudit]
    hits: list[InspectionHit]
    open_tickets: list[Ticket] = field(default_factory=list)  # open now, whenever created (overdue)


def load(db: Database, window: Period) -> Rows:
    with db.session() as session:
        conversations = list(session.scalars(select(Conversation).where(
            Conversation.created_at >= window.start, Conversation.created_at < window.end)))
        ids = [c.session_id for c in conversations]
        messages: dict[str, list[Message]] = defaultdict(list)
        tickets, surveys, audits = [], {}, []
        for batch in (ids[n:n + 500] for n in range(0, len(ids), 500)):
            for message in session.scalars(select(Message).where(Message.session_id.in_(batch)).order_by(Message.id)):
                messages[message.session_id].append(message)
            surveys |= {s.session_id: s for s in session.scalars(select(Survey).where(Survey.session_id.in_(batch)))}
            audits += list(session.scalars(select(AnswerAudit).where(AnswerAudit.session_id.in_(batch))))
        tickets = list(session.scalars(select(Ticket).where(or_(
            Ticket.created_at >= window.start, Ticket.resolved_at >= window.start)).where(Ticket.created_at < window.end)))
        open_tickets = list(session.scalars(select(Ticket).where(Ticket.status != "resolved")))
        hits = list(session.scalars(select(InspectionHit).where(
            InspectionHit.created_at >= window.start, InspectionHit.created_at < window.end)))
    return Rows(conversations, dict(messages), tickets, surveys, audits, hits, open_tickets)


# --- panels -------------------------------------------------------------------------------------


def classify(messages: list[Message], has_ticket: bool, survey: Survey | None) -> str:
    """handoff | confirmed | assumed | abandoned (see the module docstring)."""
    answers = [m for m in messages if m.role == "assistant"]
    if has_ticket or any(m.outcome == "handoff" for m in answers):
        return "handoff"
    if any(m.feedback == 1 for m in answers) or (survey is not None and survey.stars >= 4):
        return "confirmed"
    if any(m.outcome == "answered" for m in answers) and not any(m.feedback == -1 for m in answers) \
            and not repeated_question(messages):
        return "assumed"
    return "abandoned"


def repeated_question(messages: list[Message]) -> bool:
    """The customer asked the same question again within 24 hours."""
    seen: dict[str, dt.datetime] = {}
    for message in messages:
        if message.role != "user":
            continue
        text = normalize(message.content)
        if text in seen and message.created_at - seen[text] <= REPEAT_WINDOW:
            return True
        seen[text] = message.created_at
    return False


def resolution(rows: Rows, period: Period) -> dict:
    ticketed = {t.session_id for t in rows.tickets}
    counts = Counter()
    for conversation in _in(rows, period):
        messages = rows.messages.get(conversation.session_id, [])
        counts[classify(messages, conversation.session_id in ticketed, rows.surveys.get(conversation.session_id))] += 1
    total = sum(counts.values())
    resolved = counts["confirmed"] + counts["assumed"]
    return {"conversations": total, "resolved": resolved, "resolved_confirmed": counts["confirmed"],
            "resolved_assumed": counts["assumed"], "handed_off": counts["handoff"], "abandoned": counts["abandoned"],
            "one_time_resolution_rate": _rate(resolved, total),
            "demo_conversations": sum(c.session_id.startswith(DEMO_PREFIX) for c in _in(rows, period))}


def outcomes(rows: Rows, period: Period) -> dict:
    """Hand-offs by reason, clarifications and whether an option was picked, refusals."""
    sessions = {c.session_id for c in _in(rows, period)}
    answers = [m for s in sessions for m in rows.messages.get(s, []) if m.role == "assistant"]
    by_reason = Counter()
    handed_off = set()
    for message in answers:
        if message.outcome == "handoff" and message.session_id not in handed_off:
            handed_off.add(message.session_id)
            by_reason[message.handoff_reason or "unknown"] += 1
    clarify = sum(m.outcome == "clarify" for m in answers)
    picked = sum(1 for a in rows.audits if a.session_id in sessions and _decided_by(a) == "choice")
    refused = sum(m.outcome == "refused" for m in answers)
    return {"answers": len(answers), "handoff_rate": _rate(len(handed_off), len(sessions)),
            "handoff_by_reason": dict(by_reason.most_common()), "clarifications": clarify,
            "clarification_rate": _rate(clarify, len(answers)), "clarification_picks": picked,
            "pick_rate": _rate(picked, clarify), "refusals": refused, "refusal_rate": _rate(refused, len(answers))}


def satisfaction(rows: Rows, period: Period) -> dict:
    sessions = {c.session_id for c in _in(rows, period)}
    stars = [s.stars for sid, s in rows.surveys.items() if sid in sessions]
    return {"responses": len(stars), "response_rate": _rate(len(stars), len(sessions)),
            "csat": _rate(sum(s >= 4 for s in stars), len(stars)),
            "average_stars": round(statistics.fmean(stars), 2) if stars else None,
            "stars": {n: stars.count(n) for n in range(1, 6)}}


def cards(rows: Rows, period: Period) -> dict:
    """👍/👎 per card; the cards most used and most disliked."""
    sessions = {c.session_id for c in _in(rows, period)}
    used, up, down = Counter(), Counter(), Counter()
    for session_id in sessions:
        for message in rows.messages.get(session_id, []):
            if message.role == "assistant" and message.outcome == "answered" and message.matched_id:
                used[message.matched_id] += 1
                up[message.matched_id] += message.feedback == 1
                down[message.matched_id] += message.feedback == -1
    table = [{"card": card, "answers": n, "up": up[card], "down": down[card]} for card, n in used.most_common()]
    disliked = sorted((row for row in table if row["down"]), key=lambda r: (-r["down"], -r["answers"], r["card"]))
    return {"most_used": table[:TOP_CARDS], "most_disliked": disliked[:TOP_CARDS],
            "up": sum(up.values()), "down": sum(down.values())}


def desk(rows: Rows, period: Period, now: dt.datetime | None = None) -> dict:
    """Service levels of the tickets opened in the period (minutes), overdue tickets, care-fund gestures."""
    now = now or utcnow()
    opened = [t for t in rows.tickets if period.holds(t.created_at)]
    claim = [_minutes(t.claimed_at - t.created_at) for t in opened if t.claimed_at]
    resolve = [_minutes(t.resolved_at - t.created_at) for t in opened if t.resolved_at]
    first_reply = []
    for ticket in opened:
        reply = next((m for m in rows.messages.get(ticket.session_id, [])
                      if m.role == "expert" and m.created_at >= ticket.created_at), None)
        if reply is not None:
            first_reply.append(_minutes(reply.created_at - ticket.created_at))
    end = min(now, period.end)
    overdue = Counter()
    for ticket in {t.id: t for t in opened + [t for t in rows.open_tickets if period.holds(t.created_at)]}.values():
        finished = ticket.resolved_at or end
        if ticket.deadline < finished:
            overdue[ticket.priority] += 1
    return {"tickets": len(opened), "resolved": len(resolve),
            "time_to_claim": _spread(claim), "time_to_first_reply": _spread(first_reply),
            "time_to_resolve": _spread(resolve), "overdue_by_priority": {p: overdue[p] for p in PRIORITIES},
            "care_gestures": sum(1 for t in rows.tickets if t.care_gesture and period.holds(t.resolved_at))}


def inspection(rows: Rows, period: Period) -> dict:
    hits = [h for h in rows.hits if period.holds(h.created_at)]
    return {"hits": len(hits), "by_category": dict(Counter(h.category for h in hits).most_common()),
            "flagged_tickets": len({h.ticket_id for h in hits if h.ticket_id})}


def gap_trends(report, questions, period: Period, top: int = 5) -> list[dict]:
    """The top clusters of a gap report over both periods, with their questions counted per period.
    `questions` are the report's GapQuestions (text, asked_at)."""
    result = []
    previous = period.previous()
    for cluster in report.clusters[:top]:
        members = set(cluster.questions)
        asked = [q.asked_at for q in questions if q.text in members]
        result.append({"cluster": cluster.id, "label": cluster.label,
                       "current": sum(period.holds(a) for a in asked), "previous": sum(previous.holds(a) for a in asked)})
    return result


# --- the whole dashboard ------------------------------------------------------------------------

PANELS = {"resolution": resolution, "outcomes": outcomes, "satisfaction": satisfaction, "cards": cards,
          "desk": desk, "inspection": inspection}


def compute(rows: Rows, period: Period, *, now: dt.datetime | None = None) -> dict:
    """Every panel for the period and the previous one."""
    previous = period.previous()
    figures = {"period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
               "previous_period": {"start": previous.start.isoformat(), "end": previous.end.isoformat()}}
    for name, panel in PANELS.items():
        extra = {"now": now} if panel is desk else {}
        figures[name] = {"current": panel(rows, period, **extra), "previous": panel(rows, previous, **extra)}
    return figures


def flat_figures(figures: dict) -> list[list]:
    """(panel, figure, current, previous) rows of the scalar figures and one level of breakdowns (the CSV)."""
    rows = []
    for panel in PANELS:
        current, previous = figures[panel]["current"], figures[panel]["previous"]
        for key, value in current.items():
            if isinstance(value, dict):
                for sub, item in value.items():
                    if not isinstance(item, (dict, list)):
                        rows.append([panel, f"{key}.{sub}", item, previous.get(key, {}).get(sub, "")])
            elif not isinstance(value, list):
                rows.append([panel, key, value, previous.get(key, "")])
    for trend in figures.get("gap_trends", []):
        rows.append(["gap_trends", trend["label"], trend["current"], trend["previous"]])
    return rows


def _in(rows: Rows, period: Period) -> list[Conversation]:
    return [c for c in rows.conversations if period.holds(c.created_at)]


def _decided_by(audit: AnswerAudit) -> str | None:
    return json.loads(audit.checks or "{}").get("decided_by")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _minutes(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 60


def _spread(values: list[float]) -> dict:
    if not values:
        return {"count": 0, "median": None, "p90": None}
    ordered = sorted(values)
    return {"count": len(values), "median": round(statistics.median(ordered), 1),
            "p90": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1)}


CSV_HEADERS = ["面板", "指标", "本期", "上期"]


def reason_labels(figures: dict, card_title: Callable[[str], str | None] | None = None) -> dict[str, str]:
    """The hand-off reasons of both periods as staff read them, each card that requires a hand-off by its
    own title (the figures, the JSON and the CSV keep the codes)."""
    reasons = figures["outcomes"]["current"]["handoff_by_reason"] | figures["outcomes"]["previous"]["handoff_by_reason"]
    return {reason: reason_label(reason, card_title) for reason in reasons}


class DashboardService:
    """The figures of the last `days` days against the `days` before, with the gap report's top clusters."""

    def __init__(self, db: Database, gaps=None, card_title: Callable[[str], str | None] | None = None):
        self.db = db
        self.gaps = gaps  # a GapReporter; None: no gap trends
        self.card_title = card_title  # card id -> its title (None: unknown), to name the cards' hand-offs

    def figures(self, days: int = 7, *, now: dt.datetime | None = None) -> dict:
        period = Period.last_days(days, now)
        window = Period(period.previous().start, period.end)
        figures = compute(load(self.db, window), period, now=now)
        figures["gap_trends"] = self._gap_trends(period, window, now) if self.gaps is not None else []
        figures["labels"] = {"handoff_reasons": reason_labels(figures, self.card_title),
                             "cards": self._card_titles(figures)}
        return figures

    def _card_titles(self, figures: dict) -> dict[str, str]:
        """The titles of the cards in the most-used and most-disliked tables (ids whose card is gone are left out)."""
        if self.card_title is None:
            return {}
        ids = {row["card"] for key in ("most_used", "most_disliked") for row in figures["cards"]["current"][key]}
        return {card: title for card in sorted(ids) if (title := self.card_title(card))}

    def _gap_trends(self, period: Period, window: Period, now: dt.datetime | None) -> list[dict]:
        report = self.gaps.report(since_days=(window.end - window.start).total_seconds() / 86400, now=window.end)
        return gap_trends(report, gap_questions(self.db, since=window.start, until=window.end), period)

    @staticmethod
    def csv(figures: dict) -> bytes:
        return csv_bytes(CSV_HEADERS, flat_figures(figures))
