"""Whether what retrieval found answers the question: the retrieval verdict.

One verdict per turn, read by the assistant to answer, ask which question was meant, or hand off with a
reason. Its evidence, beyond the retrieval scores:
- the figure asked for (slots.py): does the best match state a figure of that kind, and does the card
  phrasing that matched not ask for another kind ("多少钱" matched for "几天")?
- the subject named (subjects.py): does the best match name it, or a broader term that covers it?
- the asking words (coverage.py): which words of the asking clause does the best match never use, or name only
  where it leaves them to another source ("…转让规则以发行时公布的信息为准")?
- the open world (openworld.py): does the question name a term the knowledge base has never written,
  or another institution?
The calibrated confidence (confidence.py) weighs the retrieval scores together with the last two.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..knowledge.documents import is_phrasing
from ..payloads import Basis, Candidate, Option, Query, Signals
from ..retrieval.vocabulary import Vocabulary
from ..text import normalize_knowledge
from .confidence import Calibration, signals
from .coverage import TELLING_WEIGHT, Coverage, coverage, deferred
from .openworld import UnknownTerm, open_world_for
from .slots import asked_slots, asks_another_kind, unstated
from .subjects import default_lexicon

CLARIFY_BAND = 0.2  # below the answer threshold by at most this much: ask which question was meant
CLARIFY_OPTIONS = 3
CLARIFY_CLOSENESS = 0.03  # options: answer cards whose best similarity is this close to the top one's
RERANK_DEPTH = 3  # how far down the fused ranking a better-fitting candidate may come from (_promote)
# A runner-up this close in similarity that states what is asked may come first. 0.01 until session 27: "我想替他去投诉，
# 需要带哪些材料？" ranks the card on what a complaint states 0.010 above the card on complaining for someone else.
STATING_CLOSENESS = 0.02
MISSING_WEIGHT_FOR_REASON = TELLING_WEIGHT  # a missing asking word this telling names the hand-off reason
# A question this much closer to one the card says it does not answer than to any of its phrasings is not
# answered with it (`Card.not_answered`). Set on the development sets: at 0.01 about as many right answers
# were lost as wrong ones caught; at 0.02 one right answer for six wrong ones.
NOT_ANSWERED_MARGIN = 0.02


@dataclass(frozen=True)
class RetrievalVerdict:
    """What retrieval found for a question and what the best match lacks."""

    candidates: list[Candidate]
    signals: Signals | None
    confidence: float
    unstated_slots: tuple[str, ...] = ()  # figures asked for that the top match lacks
    uncovered_subjects: tuple[str, ...] = ()  # subjects asked about that it never names
    unknown_terms: tuple[UnknownTerm, ...] = ()  # terms the knowledge base has never written
    coverage: Coverage = field(default_factory=lambda: Coverage((), 0.0, 0.0))
    not_answered: bool = False  # the top card is closer to a question it says it does not answer
    asked: tuple[str, ...] = ()  # the kinds of figure or fact the question asks for (a fee, online…: slots.py)

    def basis(self) -> Basis:
        return Basis("retrieval", retrieved=tuple(dict.fromkeys(c.best.source_id for c in self.candidates)),
                     signals=self.signals)

    @property
    def institutions(self) -> list[UnknownTerm]:
        return [t for t in self.unknown_terms if t.institution]

    def options(self) -> tuple[Option, ...]:
        """Up to three standard questions close to the best match, for "您想问的是以下哪个问题？". None when the question
        asks for a kind of figure or fact (a fee, a period, a count, doing it online…) that none of them states: no choice
        would answer it."""
        cards = [c for c in self.candidates[:6] if c.unit == "card" and c.best.kind == "answer" and c.card]
        if len(cards) < 2:
            return ()
        top = cards[0].dense_score
        close = [c for c in cards if top - c.dense_score <= CLARIFY_CLOSENESS][:CLARIFY_OPTIONS]
        if len(close) < 2 or all(unstated(c.card.answer, list(self.asked)) for c in close):
            return ()
        return tuple(Option(c.card.id, c.card.question) for c in close)

    def top_covers(self, text: str) -> bool:
        """Whether the best match writes every telling word of a (normalised) text."""
        return bool(self.candidates) and not _misses(text, self.candidates[0])

    def reason(self) -> str:
        """Why the best match does not answer, as a hand-off reason code."""
        if any(t.subject for t in self.unknown_terms):
            return "term_not_in_knowledge"
        if self.coverage.weight >= MISSING_WEIGHT_FOR_REASON:
            return "attribute_not_in_knowledge"
        return "low_confidence"


def assess(query: Query, candidates: list[Candidate], vocabulary: Vocabulary, calibration: Calibration, *,
           own_names: tuple[str, ...] = ()) -> RetrievalVerdict:
    """The verdict on candidates retrieved for a query; `own_names` are this bank's normalised names (never
    another institution)."""
    if not candidates:
        return RetrievalVerdict(candidates, None, 0.0)
    asking = query.asking or query.text
    ours = asking
    for name in own_names:  # already normalised
        ours = ours.replace(name, "本行")
    terms = tuple(open_world_for(vocabulary).terms(ours)) if vocabulary.units else ()
    asked = asked_slots(query.message_search)
    if not query.follow_up and not terms:
        candidates = _prefer_covering(asking, candidates)
        candidates = _prefer_stating(asked, asking, candidates)
    elif query.follow_up:
        candidates = _prefer_naming(asking, candidates)
    top = candidates[0]
    matched = _covering_text(top, asking)
    # An elliptical follow-up ("那一年下来总共呢？") names little of its own: its words are not weighed.
    covered = coverage(asking, matched) if not query.follow_up else coverage("", matched)
    features = signals(candidates, unknown_terms=sum(not t.institution for t in terms),
                       missing_weight=covered.weight, missing_share=covered.share)
    confidence = calibration.confidence(features)
    slots, subjects = (), ()
    if top.best.kind == "answer":
        if asked:
            slots = tuple(unstated(_answer_text(top), asked))
            if not slots and is_phrasing(top.best.metadata) \
                    and asks_another_kind(asked, normalize_knowledge(top.best.text)):
                slots = tuple(asked)  # matched on the subject by a phrasing that asks for another figure
        subjects = tuple(default_lexicon().uncovered(asking, matched))
        if top.unit == "card" and not query.follow_up and deferred(asking, normalize_knowledge(top.card.answer)):
            slots = (*slots, "deferred")  # what is asked, the card leaves to another source
    # An elliptical follow-up is searched together with the question before it: how close that pair comes to a
    # question the card does not answer says little of what the follow-up asks. A card found by its words alone
    # has no similarity of its own to weigh against.
    not_answered = (not query.follow_up and top.unit == "card" and top.dense_rank is not None
                    and top.not_answered_score >= top.dense_score + NOT_ANSWERED_MARGIN)
    return RetrievalVerdict(candidates, features, confidence, slots, subjects, terms, covered, not_answered,
                            tuple(asked))


def _prefer_covering(asking: str, candidates: list[Candidate]) -> list[Candidate]:
    """The fused ranking, unless the first candidate never uses a telling word of the asking clause and a
    runner-up closer in meaning uses them all: "银行卡多长时间不用，会变成只收不付的状态？" ranks the card on
    replacing a card first (it shares 银行卡 and 不用 word for word), above the card on dormant accounts, which
    is closer in meaning and writes 只收不付."""
    top = candidates[0]
    return _promote(candidates, lambda other: other.dense_score > top.dense_score and not _misses(asking, other)) \
        if _misses(asking, top) else candidates


def _misses(text: str, candidate: Candidate) -> bool:
    """Whether what the candidate's answer is drawn from misses a telling word of the text (one weighing
    `MISSING_WEIGHT_FOR_REASON`)."""
    return coverage(text, _covering_text(candidate, text)).weight >= MISSING_WEIGHT_FOR_REASON


def _prefer_stating(asked: list[str], asking: str, candidates: list[Candidate]) -> list[Candidate]:
    """The ranking, unless the first candidate does not state what is asked (a count, a fee…) and a runner-up
    about as close in meaning, naming every subject asked about, does: "定期存款能提前取几次？" ranks the card
    on the interest of early withdrawal first, and the card on partial withdrawal ("可部分提前支取一次") a
    hair below."""
    top = candidates[0]
    if not asked or not unstated(_answer_text(top), asked):
        return candidates
    return _promote(candidates, lambda other: other.dense_score >= top.dense_score - STATING_CLOSENESS
                    and not unstated(_answer_text(other), asked) and not _uncovered_subjects(asking, other),
                    closest=True)


def _prefer_naming(asking: str, candidates: list[Candidate]) -> list[Candidate]:
    """For a follow-up, the ranking unless the first candidate never names a subject the follow-up itself
    names and a runner-up names them all: "那II类户最多呢？" after a question on III类户 is searched together
    with it, and the card on III类户 comes first."""
    if not _uncovered_subjects(asking, candidates[0]):
        return candidates
    return _promote(candidates, lambda other: not _uncovered_subjects(asking, other))


def _uncovered_subjects(asking: str, candidate: Candidate) -> list[str]:
    """The listed subjects of the asking clause that what the candidate's answer is drawn from never names."""
    return default_lexicon().uncovered(asking, normalize_knowledge(_matched_text(candidate)))


def _promote(candidates: list[Candidate], better, *, closest: bool = False) -> list[Candidate]:
    """The first answer among the next candidates (up to `RERANK_DEPTH`) that `better` accepts — or, with
    `closest`, the one of them closest in meaning — moved to the front; the ranking as it is when the first is
    no answer or none is accepted."""
    if candidates[0].best.kind != "answer":
        return candidates
    accepted = [i for i, other in enumerate(candidates[1:RERANK_DEPTH], start=1)
                if other.best.kind == "answer" and better(other)]
    if not accepted:
        return candidates
    i = max(accepted, key=lambda n: candidates[n].dense_score) if closest else accepted[0]
    return [candidates[i], *candidates[:i], *candidates[i + 1:]]


def _answer_text(candidate: Candidate) -> str:
    return candidate.card.answer if candidate.unit == "card" else candidate.best.text


def _covering_text(candidate: Candidate, asking: str) -> str:
    """What the candidate's answer is drawn from (normalised), with every other name of the subjects it and the
    asking clause both name (`subjects.yaml`): "提款机吞卡" asks what the card on ATM writes."""
    matched = normalize_knowledge(_matched_text(candidate))
    return f"{matched} {default_lexicon().all_names(matched, asking)}"


def _matched_text(candidate: Candidate) -> str:
    """What the answer would be drawn from: the whole card (titles, phrasings, answer) or the passage."""
    if candidate.unit != "card":
        return f"{candidate.best.title} {candidate.best.text}"
    card = candidate.card
    return " ".join([card.title, card.question, *card.similar_questions, card.answer, *card.tags])
