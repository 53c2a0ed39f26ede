"""Consistent content: every figure of a card's answer must be stated by an article the card cites.

A card edited from 6次 to 5次 while its cited article still says "满6次" would put 5次 in the chat under a
source that says 6次. Each changed card is checked against its sources in the new generation before it is
published; a disagreement is reported with both texts and blocks the switch unless a manager overrides
with a reason. The demo knowledge base is checked the same way in CI (every card is "changed" on a first
build). Cards that agree with their articles agree with each other where they cite the same article.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..knowledge.figures import figures
from ..retrieval.retriever import HybridRetriever


@dataclass(frozen=True)
class Inconsistency:
    card_id: str
    figures: tuple[str, ...]  # figures of the card's answer that no cited article states
    card_text: str  # the card's answer
    sources: tuple[str, ...] = field(default_factory=tuple)  # "doc-id 第十条：text" of each cited article

    def message(self) -> str:
        """One line for the manager (Chinese)."""
        cited = "；".join(s[:80] for s in self.sources) or "（未找到引用的条款）"
        return (f"{self.card_id} 的答案写有 {'、'.join(self.figures)}，但其引用的条款未载明："
                f"卡片“{self.card_text[:80]}” ↔ 条款“{cited}”")


def cards_to_check(retriever: HybridRetriever, changed_ids: set[str]) -> list[str]:
    """The changed cards, and every card that cites a changed document."""
    ids = []
    for card_id in retriever.card_ids():
        card = retriever.card(card_id)
        if card is not None and (card.id in changed_ids or any(ref.doc in changed_ids for ref in card.sources)):
            ids.append(card.id)
    return ids


def check_cards(retriever: HybridRetriever, card_ids: list[str]) -> list[Inconsistency]:
    """The answer cards among `card_ids` whose figures their cited articles do not state."""
    found = []
    for card_id in card_ids:
        card = retriever.card(card_id)
        if card is None or card.kind != "answer":
            continue
        sources, stated = [], set()
        for ref in card.sources:
            article = retriever.article(ref.doc, ref.article)
            if article:
                sources.append(f"{ref.doc} {ref.article}：{article[2]}")
                stated |= figures(article[2])
        missing = sorted(figures(card.answer) - stated)
        if missing:
            found.append(Inconsistency(card.id, tuple(missing), card.answer, tuple(sources)))
    return found
