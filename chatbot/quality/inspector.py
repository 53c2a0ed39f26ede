"""智能质检 at work: every stored message is checked as it is stored (a listener of the conversation
store), hits are kept per message and flagged on the conversation's ticket, and an escalation signal
raises the ticket's priority. The rule set in force is the latest saved version (version 0: the bundled
`inspection_rules.yaml`); compliance and admin save new versions from the console.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from sqlalchemy import func, select, update

from ..conversations.db import Database
from ..conversations.models import Message, Ticket, utcnow
from ..conversations.ops_models import InspectionHit, InspectionRuleSet
from ..conversations.tickets import PRIORITY_ORDER
from ..pii import mask_pii
from ..spreadsheet import csv_bytes
from .inspection import RuleSet, default_rules_text, inspect, parse_rules

logger = logging.getLogger(__name__)
ROLE_LABELS = {"user": "客户", "assistant": "智能助手", "expert": "人工专家"}
REPORT_HEADERS = ["时间（UTC）", "类别", "规则", "发言方", "专家", "工单号", "会话", "消息号", "摘录", "规则版本"]


@dataclass(frozen=True)
class RulesInForce:
    version: int
    text: str
    rules: RuleSet


class Inspector:
    def __init__(self, db: Database):
        self.db = db
        self._lock = threading.Lock()
        self._in_force: RulesInForce | None = None

    # --- rule-set versions ---------------------------------------------------------------------

    def current(self) -> RulesInForce:
        """The latest saved version (re-read when another process saved a newer one)."""
        with self.db.session() as session:
            latest = session.scalar(select(func.max(InspectionRuleSet.version))) or 0
            with self._lock:
                if self._in_force is None or self._in_force.version != latest:
                    text = session.get(InspectionRuleSet, latest).text if latest else default_rules_text()
                    self._in_force = RulesInForce(latest, text, parse_rules(text))
                return self._in_force

    def save(self, text: str, author: str, note: str = "") -> int:
        """Validate and store a new version; raises ConfigError (shown to the editor) when invalid."""
        parse_rules(text)
        with self.db.session.begin() as session:
            version = (session.scalar(select(func.max(InspectionRuleSet.version))) or 0) + 1
            session.add(InspectionRuleSet(version=version, text=text, author=author, note=note))
        logger.info("inspection rules saved version=%s by=%s", version, author)
        return version

    def versions(self) -> list[InspectionRuleSet]:
        with self.db.session() as session:
            return list(session.scalars(select(InspectionRuleSet).order_by(InspectionRuleSet.version.desc())))

    # --- inspecting ----------------------------------------------------------------------------

    def on_message(self, message: Message) -> list[InspectionHit]:
        """Check one stored message, keep its hits, and flag them on the conversation's ticket."""
        in_force = self.current()
        found = inspect(message.content, message.role, in_force.rules)
        with self.db.session.begin() as session:
            ticket = session.scalars(select(Ticket).where(Ticket.session_id == message.session_id)
                                     .order_by(Ticket.created_at.desc())).first()
            hits = [InspectionHit(message_id=message.id, session_id=message.session_id,
                                  ticket_id=ticket.id if ticket else None, role=message.role, author=message.author,
                                  category=hit.category, rule_id=hit.rule_id, excerpt=mask_pii(hit.excerpt)[:200],
                                  ruleset_version=in_force.version, created_at=message.created_at or utcnow())
                    for hit in found]
            session.add_all(hits)
            if ticket is not None:
                self._flag(session, ticket, in_force.rules)
        return hits

    def _flag(self, session, ticket: Ticket, rules: RuleSet) -> None:
        """Hits of the conversation made before its ticket existed join the ticket; an escalation signal
        raises its priority (never lowers it)."""
        session.execute(update(InspectionHit).where(InspectionHit.session_id == ticket.session_id,
                                                    InspectionHit.ticket_id.is_(None)).values(ticket_id=ticket.id))
        categories = set(session.scalars(select(InspectionHit.category).where(InspectionHit.ticket_id == ticket.id)))
        raised = [rules.categories[c].raises_priority for c in categories
                  if c in rules.categories and rules.categories[c].raises_priority]
        if not raised or ticket.status == "resolved":
            return
        target = min(raised, key=lambda p: PRIORITY_ORDER.get(p, 9))
        if PRIORITY_ORDER.get(target, 9) < PRIORITY_ORDER.get(ticket.priority, 9):
            session.execute(update(Ticket).where(Ticket.id == ticket.id).values(priority=target, updated_at=utcnow()))
            logger.info("inspection raised priority ticket=%s priority=%s", ticket.id, target)

    # --- the report ----------------------------------------------------------------------------

    def hits(self, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
             category: str | None = None, role: str | None = None, ticket_id: str | None = None,
             session_id: str | None = None, limit: int = 5000) -> list[InspectionHit]:
        query = select(InspectionHit)
        for column, value in ((InspectionHit.category, category), (InspectionHit.role, role),
                              (InspectionHit.ticket_id, ticket_id), (InspectionHit.session_id, session_id)):
            if value:
                query = query.where(column == value)
        if since:
            query = query.where(InspectionHit.created_at >= since)
        if until:
            query = query.where(InspectionHit.created_at < until)
        with self.db.session() as session:
            return list(session.scalars(query.order_by(InspectionHit.created_at.desc(), InspectionHit.id.desc())
                                        .limit(limit)))

    def category_label(self, category: str) -> str:
        found = self.current().rules.categories.get(category)
        return found.label if found else category

    def rule_label(self, rule_id: str) -> str:
        return next((r.label for r in self.current().rules.rules if r.id == rule_id), rule_id)

    def rows(self, hits: list[InspectionHit]) -> list[list]:
        """The report's rows, in Chinese (the console's table and the CSV)."""
        return [[f"{h.created_at:%Y-%m-%d %H:%M}", self.category_label(h.category), self.rule_label(h.rule_id),
                 ROLE_LABELS.get(h.role, h.role), h.author or "", h.ticket_id or "", h.session_id, h.message_id,
                 h.excerpt, h.ruleset_version] for h in hits]

    def csv(self, hits: list[InspectionHit]) -> bytes:
        return csv_bytes(REPORT_HEADERS, self.rows(hits))
