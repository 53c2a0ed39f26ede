"""Typed payloads passed between pipeline stages; scores and provenance travel to the UI."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Literal

from .schema import Card

Outcome = Literal["answered", "clarify", "handoff", "refused"]


@dataclass(frozen=True)
class Query:
    """One customer message as the engine reads it, built once at the start of a turn
    (`answer/query.py`). Everything after works on its normalised strings; nothing normalises again."""

    message: str  # as the customer typed it
    history: tuple[dict, ...]  # earlier turns {role, content}, oldest first
    as_of: dt.date | None  # answer from the knowledge in force on this date (None: today)
    text: str  # the message, normalised
    refusal: Literal["empty", "too_long"] | None = None  # refused before anything else is read
    follow_up: bool = False  # read as a follow-up of an earlier question (by its form, or as alone not answered)
    previous: str | None = None  # that earlier question, normalised (None unless a follow-up)
    question: str = ""  # the standalone question as worded: the message, previous + message, or the LLM's rewrite
    standalone: str = ""  # the standalone question, normalised
    terms: tuple[str, ...] = ()  # Chinese terms of the English banking words in it, as the glossary writes them
    search: str = ""  # what retrieval embeds and tokenises: the standalone question and its glossary terms
    message_search: str = ""  # the message alone and its terms (the figure asked for; a follow-up's own search)
    previous_search: str | None = None  # the previous question and its terms (a follow-up's earlier search)
    asking: str = ""  # the asking clause(s) of a long message, normalised ("" when the message is short)
    corrections: tuple[tuple[str, str], ...] = ()  # typos and homophones corrected (typed, meant)
    after_clarify: bool = False  # the previous assistant turn asked "您想问的是以下哪个问题？"

    @property
    def prompt_question(self) -> str:
        """The question for the LLM prompt: as worded, with the glossary's Chinese terms."""
        return f"{self.question} {' '.join(self.terms)}" if self.terms else self.question


@dataclass(frozen=True)
class RetrievedChunk:
    """One retrieval unit: a card question variant or a document chunk."""

    key: str  # unique per unit: card id + variant, or chunk id
    text: str
    unit: Literal["card", "doc"]
    source_id: str  # card id or document id
    title: str
    source: str  # path of the knowledge file
    article: str = ""
    kind: str = "answer"  # card kind: answer | handoff | refuse
    topic: str = ""
    dense_score: float = 0.0  # cosine similarity, 0 when not found densely
    lexical_score: float = 0.0  # BM25, 0 when not found lexically
    dense_rank: int | None = None
    lexical_rank: int | None = None
    fused_score: float = 0.0
    metadata: dict = field(default_factory=dict, compare=False, hash=False)


SNIPPET_CHARS = 160  # of a cited text shown with the answer


def card_source(card: Card) -> str:
    """How a knowledge card is named as a source."""
    return f"知识卡片 · {card.title}"


def article_title(title: str, article: str) -> str:
    """A document's title with the article cited (第二条), or the title alone."""
    return f"{title} {article}".strip()


@dataclass(frozen=True)
class Citation:
    """A source shown with an answer. Made by one factory per kind of source."""

    id: str  # card or document id
    title: str
    source: str  # where it is: a knowledge card, or the document's file
    snippet: str

    @classmethod
    def quoting(cls, id: str, title: str, source: str, text: str) -> Citation:
        return cls(id, title, source, text[:SNIPPET_CHARS])

    @classmethod
    def of_card(cls, card: Card, answer: str) -> Citation:
        """A knowledge card, quoting its answer as the customer reads it."""
        return cls.quoting(card.id, card.title, card_source(card), answer)

    @classmethod
    def of_article(cls, doc_id: str, title: str, article: str, source: str, text: str) -> Citation:
        """An article of a policy document (a card's source, or a quoted passage)."""
        return cls.quoting(doc_id, article_title(title, article), source, text)

    @classmethod
    def of_chunk(cls, chunk: RetrievedChunk) -> Citation:
        """A retrieved document passage."""
        return cls.of_article(chunk.source_id, chunk.title, chunk.article, chunk.source, chunk.text)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Signals:
    """Retrieval features of the top candidate, from which the calibrated confidence is computed."""

    dense_top: float  # cosine similarity of the top candidate's best unit
    dense_margin: float  # minus the next topic's best dense similarity
    lexical_agree: float  # 1 when the top candidate is also lexical rank 1
    lexical_reciprocal: float  # 1 / lexical rank of the top candidate (0 when absent)
    dense_reciprocal: float  # 1 / dense rank of the top candidate
    is_card: float
    coverage: float  # IDF-weighted share of the query's tokens that the top candidate contains
    # What the asking clause says that the top candidate does not (answer/coverage.py, openworld.py):
    unknown_terms: float = 0.0  # terms the knowledge base has never written, named in the question
    missing_weight: float = 0.0  # the most telling asking word the candidate never uses (surprisal, 0..1)
    missing_share: float = 0.0  # the share of asking words the candidate never uses

    def vector(self) -> list[float]:
        return list(asdict(self).values())


@dataclass(frozen=True)
class Basis:
    """What an answer was decided on, for logs, evaluation and calibration (not in the API)."""

    decided_by: Literal["input", "rule", "retrieval", "choice"]  # the message itself, a rule, retrieval, a chosen option
    rule: str | None = None  # the rule's id
    retrieved: tuple[str, ...] = ()  # card and document ids of the retrieved candidates, best first, each once
    signals: Signals | None = None  # the retrieval features behind the confidence (None: nothing retrieved)


@dataclass(frozen=True)
class Option:
    """One standard question offered by a clarifying question; choosing it answers that card."""

    id: str  # the card id
    question: str  # the card's standard question

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """A turn's answer. Frozen: what was yielded is never changed; a later stage makes a new one
    (`dataclasses.replace`)."""

    outcome: Outcome
    text: str
    citations: list[Citation] = field(default_factory=list)
    confidence: float = 0.0
    ticket_id: str | None = None
    handoff_reason: str | None = None
    priority: str | None = None
    topic: str | None = None
    matched_id: str | None = None
    latency_ms: float = 0.0
    options: tuple[Option, ...] = ()  # the choices of a clarifying question (outcome "clarify")
    handoff_offer: bool = False  # answered, and a person is offered in the same reply (如需人工协助…)
    basis: Basis | None = field(default=None, compare=False, repr=False)
    # Who wrote the text (the audit trail): the LLM model when its text was served, otherwise why not
    # (answer/llm.py FALLBACK_LABELS: "disabled", "not_needed", "timeout", "blocked:<rule>", …).
    generated_by: str | None = field(default=None, compare=False, repr=False)
    llm_fallback: str | None = field(default=None, compare=False, repr=False)

    def to_api(self) -> dict:
        """The `/api/chat` response shape of the design."""
        return {
            "outcome": self.outcome,
            "answer": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "confidence": round(self.confidence, 4),
            "ticket_id": self.ticket_id,
            "handoff_reason": self.handoff_reason,
            "options": [option.to_dict() for option in self.options],
            "handoff_offer": self.handoff_offer,
        }


@dataclass
class Candidate:
    """All retrieved units of one card or one document chunk, with the best of their scores."""

    source_id: str  # card id, or chunk id for documents
    best: RetrievedChunk
    units: list[RetrievedChunk]
    fused_score: float
    dense_score: float
    lexical_score: float
    dense_rank: int | None
    lexical_rank: int | None
    coverage: float = 0.0  # IDF-weighted share of the query's tokens found in this card or chunk
    card: Card | None = None  # a card candidate's card, parsed once when the retriever loaded it
    # The best similarity to a question the card says it does not answer (`Card.not_answered`; 0 if it lists
    # none). Those questions are never ranked: they are in no score above.
    not_answered_score: float = 0.0

    @property
    def unit(self) -> str:
        return self.best.unit

    @property
    def topic_key(self) -> str:
        """What counts as 'another topic' for the margin: another card, or another document article."""
        return self.best.source_id if self.best.unit == "card" else f"{self.best.source_id}:{self.best.article}"


@dataclass(frozen=True)
class Event:
    kind: str  # "delta" (append text) | "replace" (discard shown text, show this) | "final"
    text: str = ""
    answer: Answer | None = None
