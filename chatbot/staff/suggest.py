"""What the assistant offers an expert: the suggested reply of a ticket and the co-pilot's answer.

A ticket's suggestion answers the customer's need from the moment of hand-off — the message that
triggered it and what the customer added — through the engine's public `Assistant.ask`. For a rule's
hand-off with a card (fraud, an unauthorised transaction…) the card's safety steps come first, then what
the expert does next (`handoff_replies.yaml`). The assistant's own hand-off sentences ("我已为您转接…")
are never proposed: the expert is the person they promise.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from ..answer.assistant import Assistant
from ..answer.replies import SUGGESTION_PREFIX
from ..config import Settings
from ..conversations.handoff import GAP_HANDOFF_REASONS, reason_label
from ..conversations.models import Message, Ticket
from ..payloads import Answer

REPLIES_FILE = Path(__file__).with_name("handoff_replies.yaml")
ATTEMPTS = 3  # customer messages tried for an answerable question, the latest first
NAME_PLACEHOLDER = "（您的姓名）"


class ReasonReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    card_steps: bool = False
    next: str


class HandoffReplies(BaseModel):
    model_config = ConfigDict(extra="forbid")

    handoff_phrases: list[str]
    greeting: str
    replies: dict[str, ReasonReply]

    def for_reason(self, reason: str | None) -> ReasonReply:
        return self.replies.get(reason or "", self.replies["default"])


@lru_cache(maxsize=1)
def default_replies() -> HandoffReplies:
    return HandoffReplies.model_validate(yaml.safe_load(REPLIES_FILE.read_text(encoding="utf-8")))


def expert_voice(text: str, phrases: list[str]) -> str:
    """The text without the assistant's hand-off sentences; of those only the clauses that instruct the
    customer (starting with 请) and name no hand-off are kept ("我已为您转接人工专家，请保留通话记录。"
    keeps "请保留通话记录。")."""
    kept = []
    for sentence in re.findall(r"[^。！？；\n]+[。！？；]?", text):
        if not any(phrase in sentence for phrase in phrases):
            kept.append(sentence)
            continue
        end = sentence[-1] if sentence[-1] in "。！？；" else ""
        clauses = [c for c in re.split(r"[，,]", sentence.rstrip("。！？；"))
                   if c.strip().startswith("请") and not any(phrase in c for phrase in phrases)]
        if clauses:
            kept.append("，".join(c.strip() for c in clauses) + (end or "。"))
    return "".join(s.strip() for s in kept).strip()


@dataclass
class Suggestion:
    text: str  # a ticket's draft reply to the customer, or the co-pilot's answer to the expert
    answer: Answer  # the engine's answer it was built from: sources and confidence
    reminders: list[str] = field(default_factory=list)


class Suggester:
    def __init__(self, assistant: Assistant, settings: Settings, replies: HandoffReplies | None = None):
        self.assistant = assistant
        self.settings = settings
        self.replies = replies or default_replies()

    def for_ticket(self, ticket: Ticket, said: list[Message], expert_name: str) -> Suggestion:
        """A draft for the expert. `said`: the customer's messages from the hand-off's trigger on."""
        phrases = self.replies.handoff_phrases
        values = {"expert": expert_name, "ticket_id": ticket.id, "hotline": self.settings.hotline,
                  "decision_days": self.settings.complaint_decision_days}
        reply = self.replies.for_reason(ticket.reason)
        question, answered = self._answerable([m.content for m in said])
        if ticket.reason in GAP_HANDOFF_REASONS:
            if answered is not None:
                text = self.replies.greeting.format(**values) + expert_voice(answered.text, phrases)
                return Suggestion(text, answered, self.reminders(answered))
            return Suggestion(reply.next.format(**values), Answer("handoff", ""))
        parts, basis = [], None
        if reply.card_steps and said:
            first = self.assistant.ask(said[0].content)
            if first.outcome == "handoff" and first.citations:  # a hand-off card's answer
                parts.append(expert_voice(first.text, phrases))
                basis = first
        parts.append(reply.next.format(**values))
        if answered is not None:
            parts.append(f"关于您问的“{question}”：{expert_voice(answered.text, phrases)}")
        basis = basis or answered or Answer("handoff", "")
        return Suggestion("\n".join(p for p in parts if p), basis, self.reminders(basis))

    def copilot(self, question: str, as_of: dt.date | None = None, *, expert_name: str = "") -> Suggestion:
        """The engine's answer written for an expert: an answer as it stands; for a hand-off, what the
        matter needs and what to tell the customer; for a refusal, that it is not answered, and why."""
        answer = self.assistant.ask(question, as_of=as_of)
        reminders = self.reminders(answer, as_of)
        phrases = self.replies.handoff_phrases
        if answer.outcome == "answered":
            return Suggestion(expert_voice(answer.text, phrases), answer, reminders)
        if answer.outcome == "refused":
            return Suggestion(f"【不予回答】智能助手按规定不回答此类问题。对客户的标准答复：{answer.text}", answer, reminders)
        label = reason_label(answer.handoff_reason)
        if answer.handoff_reason in GAP_HANDOFF_REASONS:
            lines = [f"【知识库无可靠答案】{label}。请核实后再答复客户，不要凭印象回答。"]
            lines += [line for line in answer.text.split("\n") if line.startswith(SUGGESTION_PREFIX)]
            return Suggestion("\n".join(lines), answer, reminders)
        reply = self.replies.for_reason(answer.handoff_reason)
        values = {"expert": expert_name or NAME_PLACEHOLDER, "ticket_id": "（工单号）",
                  "hotline": self.settings.hotline, "decision_days": self.settings.complaint_decision_days}
        lines = [f"【需人工处理】此类问题由人工专家处理（{label}）。"]
        steps = expert_voice(answer.text, phrases) if answer.citations and reply.card_steps else ""
        if steps:
            lines.append(f"先告知客户：{steps}")
        lines.append(f"接手后可以这样说：{reply.next.format(**values)}")
        return Suggestion("\n".join(lines), answer, reminders)

    def reminders(self, answer: Answer, as_of: dt.date | None = None) -> list[str]:
        found = []
        for citation in answer.citations:
            card = self.assistant.retriever.card(citation.id, as_of)
            if card:
                found.extend(card.reminders)
        return found

    def _answerable(self, questions: list[str]) -> tuple[str | None, Answer | None]:
        """The latest of the customer's messages the assistant can answer (of the last few), and its answer."""
        for index in range(len(questions) - 1, max(-1, len(questions) - 1 - ATTEMPTS), -1):
            history = [{"role": "user", "content": q} for q in questions[:index]]
            answer = self.assistant.ask(questions[index], history)
            if answer.outcome == "answered":
                return questions[index], answer
        return None, None
