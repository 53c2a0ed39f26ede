"""Does the best match speak to what the question asks? The words of the asking clause that the match
never uses, weighted by how much they say.

"信用卡争议交易提交以后，调查一般要多久出结果？" finds the card on disputes (file within 60 days) — same
subject, another attribute: 调查 and 结果 appear nowhere in it. A word counts as used when the matched
text contains one of its character pairs (so 包不包括 meets 包括, 出结果 meets 结果). How much a missing word
says is its surprisal in general Chinese (jieba's dictionary frequency): 顺延, 公证, 上限 say a lot; 具体,
自己, 时候 say little. The figures feed the answerability model (`confidence.py`) and the hand-off reason.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from .wording import FUNCTION_CHARS, jieba_module

_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
# Function characters, and resultative complements that end a verb (消掉, 删掉: the card writes 消除, 删除).
_FUNCTION_CHARS = "".join(sorted(FUNCTION_CHARS | {"掉"}))
# Question words: the kind of answer wanted is the figure check's business (slots.py), not a topic word.
_QUESTION_WORDS = re.compile(r"多少钱|多少|多久|多长时间|多长|几天|几个|几次|几年|几期|什么|怎么样|怎么办|怎么|如何|哪些|哪里|"
                             r"哪儿|哪个|为什么|为啥|咋整|咋办|是否|能否|可否|能不能|可不可以|会不会|有没有|是不是|"
                             r"要不要|算不算|行不行|一般|请问|问一下|问问")
MAX_SURPRISAL = 16.0
# Morphemes of opposite meaning. An asking word the match never writes, whose opposite it does write (转出
# asked, 转入 written; 最短 asked, 最长 written), asks for the other side of what the match states.
_OPPOSITES = {a: b for pair in ("出入", "长短", "高低", "前后", "存取", "增减", "升降", "早晚")
              for a, b in (pair, pair[::-1])}


# A threshold and the side of it a text speaks of: "5万元以内", "不超过5万元" (below); "超过一年", "一年期以上"
# (above). A question about one side answered by a match that only speaks of the other ("一年期以内的短期保险"
# against "保险期间超过一年的…犹豫期为15日") is about a case the match does not state.
_QUANTITY = r"(?P<value>\d+(?:\.\d+)?|[一二两三四五六七八九十百千]+)\s*(?P<unit>万元|万|千元|元|年期|年|个月|周岁|岁|天|日|个工作日)"
_BELOW, _ABOVE = r"以内|以下|之内|内|或以下", r"以上|或以上|及以上"
_BELOW_BEFORE, _ABOVE_BEFORE = r"不超过|不满|未满|不到|少于|低于|小于", r"(?<!不)超过|多于|高于|大于|满"
_THRESHOLD = re.compile(rf"(?P<before>{_BELOW_BEFORE}|{_ABOVE_BEFORE})?{_QUANTITY}(?P<after>{_BELOW}|{_ABOVE})?")
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
_UNITS = {"万元": "万", "千元": "千", "年期": "年", "周岁": "岁", "日": "天", "个工作日": "天"}


def _number(text: str) -> str:
    """一 → 1, 十二 → 12, 五 → 5; digits stay."""
    if text[0].isdigit():
        return text
    if "十" in text:
        tens, _, ones = text.partition("十")
        return str(_DIGITS.get(tens, 1) * 10 + _DIGITS.get(ones, 0)) if set(text) <= set(_DIGITS) | {"十"} else text
    return str(_DIGITS[text]) if len(text) == 1 and text in _DIGITS else text


def thresholds(text: str) -> set[tuple[str, str, str]]:
    """(value, unit, side) of every threshold a normalised text states a side of."""
    found = set()
    for match in _THRESHOLD.finditer(text):
        before, after = match.group("before"), match.group("after")
        if not before and not after:
            continue
        side = "below" if (before and re.fullmatch(_BELOW_BEFORE, before)) or (after and re.fullmatch(_BELOW, after)) \
            else "above"
        unit = match.group("unit")
        found.add((_number(match.group("value")), _UNITS.get(unit, unit), side))
    return found


def opposite_conditions(question: str, matched_text: str) -> tuple[str, ...]:
    """Thresholds the question speaks of on one side that the match speaks of only on the other ("5万以上"
    asked, "不超过5万元" stated), as "5万"."""
    stated = thresholds(matched_text)
    return tuple(f"{value}{unit}" for value, unit, side in sorted(thresholds(question))
                 if any(v == value and u == unit for v, u, _ in stated) and (value, unit, side) not in stated)


@dataclass(frozen=True)
class Coverage:
    missing: tuple[str, ...]  # asking words the match never uses, most telling first
    weight: float  # the largest surprisal among them, 0..1
    share: float  # the share of the asking words that are missing
    opposed: tuple[str, ...] = ()  # missing asking words whose opposite the match writes (转出 against 转入)


@lru_cache(maxsize=1)
def _surprisal_table() -> tuple[dict, float]:
    jieba = jieba_module()
    return jieba.dt.FREQ, float(jieba.dt.total)


def surprisal(word: str) -> float:
    """How much a word says, from its frequency in general Chinese, 0..1 (unknown words say most)."""
    frequency, total = _surprisal_table()
    return min(MAX_SURPRISAL, math.log(total / (frequency.get(word, 0) + 1))) / MAX_SURPRISAL


@lru_cache(maxsize=8192)
def asking_words(asking: str) -> tuple[str, ...]:
    """The topic words of an asking clause (normalised): jieba words of two or more characters, without
    question words and the function characters at their edges (不用 → 用, dropped; 收不付 stays whole: cut
    inside, it would be 收付, a word nobody wrote)."""
    words = []
    for word in jieba_module().lcut(_QUESTION_WORDS.sub(" ", asking)):
        content = word.strip(_FUNCTION_CHARS)
        if len(content) >= 2 and _CJK.match(content):
            words.append(content)
    return tuple(dict.fromkeys(words))


def coverage(asking: str, matched_text: str) -> Coverage:
    """How the (normalised) matched text covers the (normalised) asking clause."""
    words = asking_words(asking)
    if not words:
        return Coverage((), 0.0, 0.0)
    missing = [w for w in words if not any(w[i:i + 2] in matched_text for i in range(len(w) - 1))]
    missing.sort(key=surprisal, reverse=True)
    weight = surprisal(missing[0]) if missing else 0.0
    opposed = [w for w in missing if any(w[:i] + _OPPOSITES[c] + w[i + 1:] in matched_text
                                         for i, c in enumerate(w) if c in _OPPOSITES)]
    return Coverage(tuple(missing), weight, len(missing) / len(words), tuple(opposed))
