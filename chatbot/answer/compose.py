"""Answers composed from what decided a turn: a retrieval verdict, a card, a rule. The engine
(assistant.py) decides which; this module words the reply, picks its citations and sets its outcome,
reason and priority."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace

from ..config import Settings
from ..payloads import Answer, Basis, Citation, Query
from ..retrieval.retriever import HybridRetriever
from ..schema import Card
from ..text import normalize
from .answerability import CLARIFY_BAND, RetrievalVerdict
from .condense import refers_back
from .coverage import names_a_topic
from .render import render, without_unasked_verdict
from .replies import (
    CLARIFY_MESSAGE,
    HANDOFF_OFFER,
    LOW_CONFIDENCE_MESSAGE,
    MISREAD_OFFER,
    OTHER_INSTITUTION_MESSAGE,
    OUT_OF_SCOPE_MESSAGE,
    SUGGESTION_PREFIX,
    UNKNOWN_TERM_MESSAGE,
    URGENT_MISREAD,
)
from .rules import RuleBook, RuleMatch
from .scope import is_about_banking
from .slots import FIGURES

logger = logging.getLogger(__name__)


OUT_OF_SCOPE = "out_of_scope"  # Answer.matched_id of the "not in my knowledge" refusal
OTHER_INSTITUTION = "other_institution"  # ...of a question referred to another institution
# The matched ids of a reply retrieval made without a card deciding it: a hand-off for what the knowledge base lacks
# (None), a clarifying question (None), an out-of-scope refusal, a referral. Not a card's answer, hand-off or refusal.
NO_CARD_DECIDED = (None, OUT_OF_SCOPE, OTHER_INSTITUTION)


class Composer:
    """Builds the customer's reply from a verdict, a card or a rule."""

    def __init__(self, settings: Settings, *, retriever: HybridRetriever, rules: RuleBook):
        self.settings = settings
        self.retriever = retriever
        self.rules = rules

    def retrieval_answer(self, verdict: RetrievalVerdict, query: Query) -> Answer:
        """The reply from a retrieval verdict: another institution referred, an unknown term or subject handed
        off, a clarifying question in the middle band, else the top card's answer or the documents quoted."""
        if not verdict.candidates:
            return self.low_confidence(verdict, query)
        top = verdict.candidates[0]
        if verdict.institutions:
            term = verdict.institutions[0].text
            logger.info("refer: the question names another institution term=%s", term)
            text = OTHER_INSTITUTION_MESSAGE.format(term=term, bank=self.settings.bank_name)
            return Answer("refused", text, confidence=verdict.confidence, topic="refuse",
                          matched_id=OTHER_INSTITUTION, handoff_offer=True)
        named = [t for t in verdict.unknown_terms if t.subject]
        if named and top.best.kind == "answer":
            logger.info("handoff: the question is about a term the knowledge base never wrote term=%s", named[0].text)
            return self.low_confidence(verdict, query, reason="term_not_in_knowledge")
        # A subject the customer names that the best match never does (借记卡 asked, 信用卡 matched): no close
        # wording makes that card the answer, and its neighbours are no better options.
        if verdict.uncovered_subjects:
            logger.info("handoff: top match never names %s matched=%s", "/".join(verdict.uncovered_subjects),
                        top.source_id)
            return self.low_confidence(verdict, query, reason="subject_not_in_knowledge")
        # what the top match lacks, when it lacks it: a figure asked for, or another attribute
        lacking = ("figure_not_in_knowledge" if any(slot in FIGURES for slot in verdict.unstated_slots)
                   else "attribute_not_in_knowledge")
        if verdict.not_answered:
            logger.info("handoff: closer to a question the top match does not answer matched=%s", top.source_id)
            return self.low_confidence(verdict, query, reason=lacking)
        threshold = self.settings.answer_threshold
        if verdict.confidence < threshold:
            options = verdict.options() if top.best.kind == "answer" else ()
            # Terms the knowledge base never wrote that are no subject (a story's words: 坐轮椅, 排长队) do
            # not stop the question: the options say what the knowledge base has.
            if options and verdict.confidence >= threshold - CLARIFY_BAND and not query.after_clarify:
                logger.info("clarify: options=%s confidence=%.3f", [o.id for o in options], verdict.confidence)
                return Answer("clarify", CLARIFY_MESSAGE, confidence=verdict.confidence, topic="clarify",
                              options=options)
            return self.low_confidence(verdict, query, reason=verdict.reason())
        if verdict.unstated_slots:
            logger.info("handoff: top match states no %s matched=%s", "/".join(verdict.unstated_slots),
                        top.source_id)
            return self.low_confidence(verdict, query, reason=lacking)
        if top.unit == "card":
            return self.card_answer(top.card, verdict.confidence, query)
        return self.quote_documents(verdict)

    def card_answer(self, card: Card, confidence: float, query: Query) -> Answer:
        outcome = {"answer": "answered", "handoff": "handoff", "refuse": "refused"}[card.kind]
        reason, priority = self._handoff_of(card) if outcome == "handoff" else (None, None)
        return Answer(
            outcome=outcome,
            text=without_unasked_verdict(render(card.answer, self.settings), query.text),
            citations=self._shown_citations(card, query.as_of),
            confidence=confidence,
            handoff_reason=reason,
            priority=priority,
            topic=card.topic,
            matched_id=card.id,
        )

    def rule_answer(self, match: RuleMatch, as_of) -> Answer:
        rule = match.rule
        card = self.retriever.card(rule.card, as_of) if rule.card else None
        text = card.answer if card else rule.message
        outcome = "handoff" if rule.action == "handoff" else "refused"
        answer = Answer(
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
        # a model may have misread the message: a refusal says so and offers a person; an urgent hand-off keeps its
        # steps first and says the customer may tell it is not so
        if match.by_model and outcome == "refused":
            return offer_person(answer, MISREAD_OFFER)
        if match.by_model:
            return replace(answer, text=f"{answer.text}\n{URGENT_MISREAD}")
        return answer

    def low_confidence(self, verdict: RetrievalVerdict, query: Query, reason: str = "low_confidence") -> Answer:
        # Off-topic unless the question's subject is a term the knowledge base never wrote (咕咕贷…).
        if not any(t.subject for t in verdict.unknown_terms) \
                and not is_about_banking(_with_the_question_before(query), self.retriever.vocabulary):
            return Answer("refused", OUT_OF_SCOPE_MESSAGE, confidence=verdict.confidence,
                          topic="refuse", matched_id=OUT_OF_SCOPE)
        if reason == "term_not_in_knowledge":
            term = next(t for t in verdict.unknown_terms if t.subject).text
            text = render(UNKNOWN_TERM_MESSAGE.format(term=term, hotline="{hotline}"),
                          self.settings)
        else:
            text = render(LOW_CONFIDENCE_MESSAGE, self.settings)
            suggestions = [c for c in verdict.candidates[:5] if c.unit == "card" and c.best.kind == "answer"][:2]
            if suggestions:
                questions = "；".join(f"“{c.card.question}”" for c in suggestions)
                text += f"\n{SUGGESTION_PREFIX}{questions}"
        return Answer("handoff", text, confidence=verdict.confidence, handoff_reason=reason,
                      priority="normal", topic="handoff", matched_id=None)

    def quote_documents(self, verdict: RetrievalVerdict) -> Answer:
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
        """Reason and priority of a hand-off card: those of the rule that says the same card, if any; else the card's
        own priority, or one by its risk tier."""
        rule = next((r for r in self.rules.rules if r.card == card.id), None)
        reason = rule.id if rule else f"card:{card.id}"
        if rule and rule.priority:
            return reason, rule.priority
        return reason, card.priority or ("high" if card.risk_tier == "high" else "normal")

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


def offer_person(answer: Answer, offer: str = HANDOFF_OFFER) -> Answer:
    """The answer with a person offered in the same reply (no ticket until the customer asks)."""
    return replace(answer, text=f"{answer.text}\n{offer}", handoff_offer=True)


def _with_the_question_before(query: Query) -> str:
    """What the scope check reads: the message, with the customer's previous question when the message points back or
    names nothing of its own ("他能这么讲吗？", "延的话会跟我说一声不？" after a question on insurance or complaints) — in a
    conversation about banking such a message is a follow-up nobody could answer, not a question off the subject."""
    earlier = [turn.get("content") or "" for turn in query.history if turn.get("role") == "user"]
    if not earlier or not (refers_back(query.text) or not names_a_topic(query.text)):
        return query.search  # "世界杯谁夺冠了" names a topic of its own
    return f"{normalize(earlier[-1])} {query.search}"
