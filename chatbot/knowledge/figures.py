"""The figures a text states — a number with its unit (15日, 5万元, 10%, 60期, 2次) — in one canonical
form, so that a card's answer can be checked against the articles it cites ("满6次" in the article,
"5次" in an edited card). Chinese numerals are read as numbers; 天 and 日 are the same unit. That something costs
nothing (免费, 不收, 不向您收费) is a figure too: "免费"."""

from __future__ import annotations

import re

from ..text import normalize

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = r"(个工作日|个自然日|个月|工作日|日|天|年|小时|周|元|美元|块|%|笔|次|期|岁|倍)"
_FIGURE = re.compile(r"(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)\s*(万|千)?\s*" + _UNITS)
_SAME_UNIT = {"天": "日", "个自然日": "日", "块": "元", "工作日": "个工作日"}


def chinese_number(text: str) -> str:
    """"十五" → "15", "二十" → "20", "一百" → "100"; digits are returned as they are."""
    if text[0].isdigit():
        return text
    total, current = 0, 0
    for char in text:
        if char in _DIGITS:
            current = _DIGITS[char]
        else:
            total += (current or 1) * {"十": 10, "百": 100, "千": 1000}[char]
            current = 0
    return str(total + current)


# That something costs nothing is a price too: "免费" (a card said an objection to a credit report is free under
# articles that never say so).
FREE = "免费"
_FREE = re.compile(r"(?<!不再)免费|免收|不收(?![现集回到款])|不向(您|客户)?收|不得[^，。；]{0,6}收取|无需[^，。；]{0,4}费")


def figures(text: str) -> set[str]:
    """The canonical figures of a text: {"15日", "5万元", "10%"}, and "免费" when it says something costs nothing."""
    text = normalize(text)
    found = {FREE} if _FREE.search(text) else set()
    for match in _FIGURE.finditer(text):
        number, scale, unit = match.groups()
        value = chinese_number(number)
        found.add(f"{value}{scale or ''}{_SAME_UNIT.get(unit, unit)}")
    return found
