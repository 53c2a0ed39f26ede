"""The answer engine: one `Assistant` behind the UI, the API, the CLI and the evaluation."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Iterator

from ..config import Settings
from ..payloads import Answer, Basis, Candidate, Citation, Event, Query, Signals
from ..pii import mask_pii
from ..retrieval.retriever import HybridRetriever
from ..schema import Card
from ..text import normalize
from .condense import answers_what_is_asked
from .confidence import load_calibration, signals
from .generate import GroundedGenerator
from .query import build_query
from .render import render
from .rules import RuleBook, RuleMatch, default_rules
from .scope import is_about_banking
from .slots import asked_slots, unstated
from .subjects import default_lexicon

logger = logging.getLogger(__name__)

EMPTY_MESSAGE = "您好，请输入您想咨询的问题，例如：“信用卡免息期有多长？”或“银行卡丢了怎么挂失？”"
TOO_LONG_MESSAGE = "您的消息超过了{limit}个字，请精简后再发送，或分几次提问。"
LOW_CONFIDENCE_MESSAGE = (
    "抱歉，这个问题我暂时无法给出准确答复。为避免误导您，我已为您转接人工专家，专家会尽快回复；"
    "您也可以拨打客服热线{hotline}咨询。"
)
OUT_OF_SCOPE_MESSAGE = (
    "抱歉，这超出了我的服务范围。我可以为您解答银行卡与账户、信用卡、贷款、征信、个人信息保护、"
    "理财与保险、存款与收费、投诉与反诈等金融消费者权益问题。"
)
SUGGESTION_PREFIX = "您是不是想问："


@dataclass(frozen=True)
class RetrievalVerdict:
    """What retrieval found for a question and whether it answers it: the candidates, the calibrated
    confidence, and what the best match lacks (a figure asked for, a subject named)."""

    candidates: list[Candidate]
    signals: Signals | None
    confidence: float
    unstated_slots: tuple[str, ...] = ()  # figures asked for that the top match lacks
    uncovered_subjects: tuple[str, ...] = ()  # subjects asked about that it never names

    def basis(self) -> Basis:
        return Basis("retrieval", retrieved=tuple(dict.fromkeys(c.best.source_id for c in self.candidates)),
                     signals=self.signals)


class Assistant:
    def __init__(self, settings: Settings, *, retriever: HybridRetriever, rules: RuleBook | None = None,
                 generator: GroundedGenerator | None = None):
        self.settings = settings
        self.retriever = retriever
        self.rules = rules or default_rules()
        self.calibration = load_calibration()
        self.generator = generator  # None = approved-answer mode
        self.llm_status = generator.status if generator else None

    # --- public --------------------------------------------------------------------------------

    def ask(self, message: str, history: list[dict] | None = None, *, as_of: dt.date | None = None) -> Answer:
        final = None
        for event in self.stream(message, history, as_of=as_of):
            if event.kind == "final":
                final = event.answer
        if final is None:  # every stream ends with a final event; a stream without one is a bug
            raise RuntimeError("the answer stream ended without a final answer")
        return final

    def stream(self, message: str, history: list[dict] | None = None, *,
               as_of: dt.date | None = None) -> Iterator[Event]:
        """Text events as the answer is produced, then a "final" event with the complete Answer."""
        started = time.perf_counter()
        query = self._query(message, history, as_of)
        answer, verdict = self._answer(query)
        if self.generator and answer.outcome == "answered" and verdict is not None:
            events = self.generator.stream(query.prompt_question, verdict.candidates, answer)
        else:
            events = _stream_text(answer)
        for event in events:
            if event.kind == "final":
                final = replace(event.answer, latency_ms=(time.perf_counter() - started) * 1000)
                logger.info("ask outcome=%s confidence=%.3f matched=%s reason=%s latency_ms=%.1f message=%s",
                            final.outcome, final.confidence, final.matched_id, final.handoff_reason,
                            final.latency_ms, mask_pii(message or "")[:200])
                event = Event("final", answer=final)
            yield event

    def _query(self, message: str, history: list[dict] | None, as_of: dt.date | None) -> Query:
        rewrite = self.generator.condense if self.generator else None
        return build_query(message, history, max_chars=self.settings.max_message_chars, as_of=as_of,
                           rewrite=rewrite)

    def _retrieve(self, query: Query) -> RetrievalVerdict:
        candidates = self.retriever.retrieve(query.search, as_of=query.as_of)
        if query.follow_up and candidates:
            candidates = self._demote_previous_answer(candidates, query)
        features = signals(candidates)
        confidence = self.calibration.confidence(features) if features else 0.0
        return RetrievalVerdict(candidates, features, confidence, tuple(_unstated_slots(query, candidates)),
                                tuple(_uncovered_subjects(query, candidates)))

    def _demote_previous_answer(self, candidates: list[Candidate], query: Query) -> list[Candidate]:
        """A follow-up asks for something beyond the previous answer: unless the follow-up alone
        points at the card that answered the previous question, prefer the next candidate.

        The checks run cheapest first, and the two searches only when their answer can matter: the
        top candidate must be a card that the previous question also found first, whose answer does
        not already state what the follow-up asks for."""
        top = candidates[0]
        if top.unit != "card" or answers_what_is_asked(query.text, top.card.answer):
            return candidates
        before = self.retriever.retrieve(query.previous_search, k=3, as_of=query.as_of)
        if not before or before[0].source_id != top.source_id:
            return candidates
        alone = self.retriever.retrieve(query.message_search, k=3, as_of=query.as_of)
        if alone and alone[0].source_id == top.source_id:
            return candidates
        return candidates[1:] + candidates[:1]

    # --- engine --------------------------------------------------------------------------------

    def _answer(self, query: Query) -> tuple[Answer, RetrievalVerdict | None]:
        """The approved-mode answer, and the retrieval verdict behind it (None when the message itself or
        a rule decided). One flow: the message's own checks, then the rules, then retrieval; the answer's
        basis says which decided."""
        if query.refusal == "empty":
            return Answer("refused", EMPTY_MESSAGE, handoff_reason=None, topic="empty", basis=Basis("input")), None
        if query.refusal == "too_long":
            limit = self.settings.max_message_chars
            return Answer("refused", TOO_LONG_MESSAGE.format(limit=limit), topic="too_long",
                          basis=Basis("input")), None

        rule = self.rules.match(query.text)
        if rule:
            return self._rule_answer(rule, query.as_of), None

        verdict = self._retrieve(query)
        return replace(self._retrieval_answer(verdict, query), basis=verdict.basis()), verdict

    def _retrieval_answer(self, verdict: RetrievalVerdict, query: Query) -> Answer:
        as_of = query.as_of
        if not verdict.candidates or verdict.confidence < self.settings.answer_threshold:
            return self._low_confidence(verdict, query)
        if verdict.unstated_slots:
            logger.info("handoff: top match states no %s matched=%s", "/".join(verdict.unstated_slots),
                        verdict.candidates[0].source_id)
            return self._low_confidence(verdict, query, reason="figure_not_in_knowledge")
        if verdict.uncovered_subjects:
            logger.info("handoff: top match never names %s matched=%s", "/".join(verdict.uncovered_subjects),
                        verdict.candidates[0].source_id)
            return self._low_confidence(verdict, query, reason="subject_not_in_knowledge")
        top = verdict.candidates[0]
        if top.unit == "card":
            card = top.card
            outcome = {"answer": "answered", "handoff": "handoff", "refuse": "refused"}[card.kind]
            reason, priority = self._handoff_of(card) if outcome == "handoff" else (None, None)
            return Answer(
                outcome=outcome,
                text=render(card.answer, self.settings),
                citations=self._shown_citations(card, as_of),
                confidence=verdict.confidence,
                handoff_reason=reason,
                priority=priority,
                topic=card.topic,
                matched_id=card.id,
            )
        return self._quote_documents(verdict)

    def _rule_answer(self, match: RuleMatch, as_of) -> Answer:
        rule = match.rule
        card = self.retriever.card(rule.card, as_of) if rule.card else None
        text = card.answer if card else rule.message
        outcome = "handoff" if rule.action == "handoff" else "refused"
        return Answer(
            outcome=outcome,
            text=render(text, self.settings),
            citations=self._shown_citations(card, as_of) if card else [],
            confidence=1.0,
            handoff_reason=rule.id if outcome == "handoff" else None,
            priority=rule.priority if outcome == "handoff" else None,
            topic="handoff" if outcome == "handoff" else "refuse",
            matched_id=rule.id,
            basis=Basis("rule", rule=rule.id),
        )

    def _low_confidence(self, verdict: RetrievalVerdict, query: Query, reason: str = "low_confidence") -> Answer:
        if not is_about_banking(query.search):
            return Answer("refused", OUT_OF_SCOPE_MESSAGE, confidence=verdict.confidence,
                          topic="refuse", matched_id="out_of_scope")
        text = render(LOW_CONFIDENCE_MESSAGE, self.settings)
        suggestions = [c for c in verdict.candidates[:5] if c.unit == "card" and c.best.kind == "answer"][:2]
        if suggestions:
            questions = "；".join(f"“{c.card.question}”" for c in suggestions)
            text += f"\n{SUGGESTION_PREFIX}{questions}"
        return Answer("handoff", text, confidence=verdict.confidence, handoff_reason=reason,
                      priority="normal", topic="handoff", matched_id=None)

    def _quote_documents(self, verdict: RetrievalVerdict) -> Answer:
        top = verdict.candidates[0]
        chosen = [top]
        for other in verdict.candidates[1:4]:
            if other.unit == "doc" and other.best.source_id == top.best.source_id \
                    and other.fused_score >= 0.8 * top.fused_score:
                chosen.append(other)
                break
        parts, citations = [], []
        for candidate in chosen:
            chunk = candidate.best
            parts.append(f"根据《{chunk.title}》{chunk.article}：{chunk.text}")
            citations.append(Citation.of_chunk(chunk))
        return Answer("answered", render("\n".join(parts), self.settings), citations=citations,
                      confidence=verdict.confidence, topic="", matched_id=top.source_id)

    # --- helpers -------------------------------------------------------------------------------

    def _handoff_of(self, card: Card) -> tuple[str, str]:
        """Reason and priority of a hand-off card: those of the rule that says the same card, if any."""
        rule = next((r for r in self.rules.rules if r.card == card.id), None)
        reason = rule.id if rule else f"card:{card.id}"
        if rule and rule.priority:
            return reason, rule.priority
        return reason, "high" if card.risk_tier == "high" else "normal"

    def _shown_citations(self, card: Card, as_of: dt.date | None = None) -> list[Citation]:
        """What the customer sees as sources. A refusal of something outside the service (a card of topic
        "refuse": poems, investment tips, the assistant's instructions) cites nothing: its sources are the
        assistant's own scope rules, internal documents of no use to a customer."""
        return [] if card.topic == "refuse" else self._card_citations(card, as_of)

    def _card_citations(self, card: Card, as_of: dt.date | None = None) -> list[Citation]:
        citations = [Citation.of_card(card, render(card.answer, self.settings))]
        for ref in card.sources:
            found = self.retriever.article(ref.doc, ref.article, as_of)
            if found:
                title, source, body = found
                citations.append(Citation.of_article(ref.doc, title, ref.article, source, body))
        return citations


def _stream_text(answer: Answer) -> Iterator[Event]:
    """Approved text is already verified; it is sent sentence by sentence like a streamed answer."""
    for sentence in re.findall(r"[^。！？；\n]+[。！？；\n]?", answer.text):
        yield Event("delta", sentence)
    yield Event("final", answer=answer)


def _unstated_slots(query: Query, candidates: list[Candidate]) -> list[str]:
    """The figures (rate, duration, amount) the question asks for when the top answer states none of
    them: a card or passage about a neighbouring matter, however similar its wording."""
    if not candidates or candidates[0].best.kind != "answer":
        return []
    slots = asked_slots(query.message_search)
    if not slots:
        return []
    top = candidates[0]
    text = top.card.answer if top.unit == "card" else top.best.text
    return unstated(text, slots)


def _uncovered_subjects(query: Query, candidates: list[Candidate]) -> list[str]:
    """The subjects (products, channels, documents…) the question names that the top answer never
    names: a card about 借记卡 does not answer a question about 信用卡, however similar the wording."""
    if not candidates or candidates[0].best.kind != "answer":
        return []
    return default_lexicon().uncovered(query.text, _normalized_passage(_matched_text(candidates[0])))


@lru_cache(maxsize=4096)
def _normalized_passage(text: str) -> str:
    """Knowledge text normalised once per process: the same cards and passages come back turn after turn."""
    return normalize(text)


def _matched_text(candidate: Candidate) -> str:
    """What the answer would be drawn from: the whole card (titles, phrasings, answer) or the passage."""
    if candidate.unit != "card":
        return f"{candidate.best.title} {candidate.best.text}"
    card = candidate.card
    return " ".join([card.title, card.question, *card.similar_questions, card.answer, *card.tags])



