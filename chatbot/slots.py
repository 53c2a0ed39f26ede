"""What kind of figure a question asks for, and whether a passage states one.

A question like "一年期定期利率是多少？" asks for a rate. When the best-matching card or passage states no
rate at all, it is about a neighbouring matter (here: interest on early withdrawal), however similar its
wording, and answering from it would mislead: the assistant hands off instead.
"""

from __future__ import annotations

import re

from .normalize import normalize

_NUMBER = r"(\d+(\.\d+)?|[一二两三四五六七八九十百千万]+)"

# slot -> (how a question asks for it, how a passage states it)
SLOTS: dict[str, tuple[re.Pattern, re.Pattern]] = {
    "rate": (re.compile(r"(利率|年化|费率|利息率).{0,6}(多少|几)|几个点|百分之几"),
             re.compile(r"\d+(\.\d+)?\s*[%％]|[万千百]分之[一二两三四五六七八九十\d]+")),
    "duration": (re.compile(r"多久|多长时间|几天|多少天|几个工作日|几个月|几年|多少年"),
                 re.compile(_NUMBER + r"\s*(日|天|个?工作日|年|小时|个?月|期|周)")),
    "amount": (re.compile(r"多少钱|收多少|多少元|最多[^，。？?]{0,8}多少|上限是多少|额度是多少|几块钱"),
               re.compile(r"\d")),
}


def asked_slots(question: str) -> list[str]:
    """The kinds of figure the question asks for ("rate", "duration", "amount"); empty for others."""
    text = normalize(question)
    return [slot for slot, (asks, _) in SLOTS.items() if asks.search(text)]


def states_any(text: str, slots: list[str]) -> bool:
    """True when the passage states a figure of at least one of the asked kinds."""
    return any(SLOTS[slot][1].search(text) for slot in slots)
