"""Operations, put together once: the 360° dashboard, the quality inspection (listening to every stored
message), the staff action log, the answer audit trail and the surveys — what the console and the
staff API of supervisors, compliance and admins use."""

from __future__ import annotations

from dataclasses import dataclass

from ..conversations.service import ChatService
from ..conversations.survey import SurveyStore
from ..conversations.trail import AnswerTrail
from ..quality.inspector import Inspector
from .audit import StaffAuditLog
from .dashboard import DashboardService


@dataclass
class Operations:
    dashboard: DashboardService
    inspector: Inspector
    audit: StaffAuditLog
    trail: AnswerTrail
    surveys: SurveyStore

    @classmethod
    def attach(cls, chat: ChatService, gaps=None) -> Operations:
        """Operations over the chat service's database; from now on every message it stores is inspected."""
        inspector = Inspector(chat.db)
        chat.conversations.listeners.append(inspector.on_message)
        retriever = chat.assistant.retriever

        def card_title(card_id: str) -> str | None:  # the version in force today (a withdrawn card: its id)
            card = retriever.card(card_id)
            return card.title if card else None

        return cls(DashboardService(chat.db, gaps, card_title), inspector, StaffAuditLog(chat.db), chat.trail,
                   chat.surveys)

    def save_rules(self, text: str, user: str, note: str = "") -> int:
        """A new version of the inspection rules (validated), recorded in the staff action log."""
        version = self.inspector.save(text, user, note)
        self.audit.record(user, "rules_change", f"质检规则 v{version}", note=note[:200])
        return version
