"""Proof that stale content is gone: after a re-ingest, the new generation is asked the changed items'
questions before it is published. For a card: every question variant must get the new answer text, and
no sentence that the edit removed may come back in the answer or in anything retrieved for it. For a
document: a removed passage must not be retrievable (searched with its own text), an added one must be.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..answer.render import render
from ..index.report import Change
from ..knowledge.documents import passage_of
from ..schema import Card
from ..text import normalize

_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]?")
MAX_PASSAGES = 10  # passages probed per changed document, each way


@dataclass
class ProbeResult:
    source: str
    item_id: str
    status: str  # updated | deleted
    checked: int  # questions asked (cards) or passages searched (documents)
    new_answered: bool | None  # None when nothing new was expected (a deletion)
    old_gone: bool
    removed: list[str] = field(default_factory=list)  # the replaced statements that were checked
    detail: str = ""


def sentences(text: str) -> set[str]:
    return {s.strip() for s in _SENTENCE.findall(text) if len(s.strip()) >= 4}


def probe_changes(assistant, changes: list[Change]) -> list[ProbeResult]:
    results = []
    for change in changes:
        if not change.old_units:  # a new file replaced nothing
            continue
        probe = _probe_card if change.old_units[0][1].get("unit") == "card" else _probe_document
        results.append(probe(assistant, change))
    return results


def _probe_card(assistant, change: Change) -> ProbeResult:
    old = Card.model_validate_json(change.old_units[0][1]["card"])
    new = Card.model_validate_json(change.new_units[0][1]["card"]) if change.new_units else None
    old_text = render(old.answer, assistant.settings)
    new_text = render(new.answer, assistant.settings) if new else ""
    removed = sentences(old_text) - sentences(new_text)
    added = sentences(new_text) - sentences(old_text) if new else set()
    questions = [*(new or old).similar_questions, (new or old).question]
    answered, leaks = 0, []
    for question in questions:
        answer = assistant.ask(question)
        answered_by_new = answer.matched_id in {new.id, *_rule_ids(assistant, new.id)} if new else False
        if answered_by_new and all(s in answer.text for s in added):
            answered += 1
        retrieved = assistant.retriever.retrieve(normalize(question))
        if new:  # an edit: no removed statement may come back, from this card or from anywhere else
            found = [(s, "回答") for s in removed if s in answer.text]
            found += [(s, unit.source) for c in retrieved for unit in c.units for s in removed
                      if s in _unit_text(c, unit)]
        else:  # a withdrawn card: the card itself must not be found (documents may still say the same)
            found = [(unit.text, unit.source) for c in retrieved for unit in c.units
                     if unit.unit == "card" and unit.source_id == old.id]
        leaks += [(question, *item) for item in found]
    new_ok = answered == len(questions) if new else None
    detail = f"{answered}/{len(questions)} 个问法得到新答案" if new else f"已下线，{len(questions)} 个问法已核验"
    if leaks:
        question, statement, where = leaks[0]
        detail += f"；旧内容仍可检索：“{statement}”（来自 {where}，问法：{question}）"
    return ProbeResult(change.source, change.item_id or old.id, change.status, len(questions), new_ok,
                       not leaks, sorted(removed), detail)


def _probe_document(assistant, change: Change) -> ProbeResult:
    old = {passage_of(text, meta) for text, meta in change.old_units}
    new = {passage_of(text, meta) for text, meta in change.new_units}
    removed, added = sorted(old - new)[:MAX_PASSAGES], sorted(new - old)[:MAX_PASSAGES]
    retriever = assistant.retriever
    leaks = [body for body in removed
             if any(unit.text == body for c in retriever.retrieve(normalize(body[:300]), k=10) for unit in c.units)]
    found = sum(any(unit.text == body for c in retriever.retrieve(normalize(body[:300]), k=5) for unit in c.units)
                for body in added)
    new_ok = found == len(added) if change.new_units else None
    detail = f"删除的段落 {len(removed) - len(leaks)}/{len(removed)} 已不可检索"
    if change.new_units:
        detail += f"，新增的段落 {found}/{len(added)} 可检索"
    return ProbeResult(change.source, change.item_id, change.status, len(removed) + len(added), new_ok,
                       not leaks, [body[:80] for body in removed], detail)


def _unit_text(candidate, unit) -> str:
    """What a retrieved unit says: a card's question variant with the card's answer, or a passage."""
    if unit.unit == "card" and candidate.card is not None:
        return f"{unit.text}\n{candidate.card.answer}"
    return unit.text


def _rule_ids(assistant, card_id: str) -> list[str]:
    """Rules that answer with this card (their answers carry the rule id)."""
    return [rule.id for rule in assistant.rules.rules if rule.card == card_id]
