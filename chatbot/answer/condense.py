"""Resolve short follow-ups ("那要多久？") against the conversation without an LLM.

`is_follow_up` and `answers_what_is_asked` take normalised text (the turn's `Query`); `condense` is for
readers outside a turn (the gap report), which hold stored messages and normalise here.
"""

from __future__ import annotations

import re

from ..text import normalize, normalize_knowledge
from .coverage import QUESTION_WORDS, TELLING_WEIGHT, coverage

_FOLLOW_UP_START = re.compile(r"^(那|那么|那如果|那要是|还有|另外|如果|要是|假如|然后|所以|可是|但是|那我|那它|它|这个|那个|这样|and|what about|how about)")
_REFERS_BACK = re.compile(r"(这个|那个|这种|那种|它|上面|刚才|前面|这样|那样|这笔|那笔)")
MAX_FOLLOW_UP_CHARS = 14
_CJK_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")


def referred_question(history: list[dict] | None, message: str) -> str | None:
    """The earlier customer question a follow-up leans on: the last one, unless the one before it shares more of
    the message's character pairs, asking words aside ("取老人存款那个，要去公证吗" goes back past a question on
    deposit insurance to "老人去世了存款怎么取？"; "那要多长时间去拿？" does not go back to "免息期有多长？")."""
    turns = list(history or [])
    k = _referred_turn(turns, message)
    return None if k is None else turns[k]["content"].strip()


def referred_question_answered(history: list[dict] | None, message: str) -> bool:
    """Whether there is a question the message refers to (`referred_question`) and the reply to it answered it,
    as far as the history records outcomes (the service records them; a client's history may not, and is then
    taken as answered). The reply is the turn right after the question; none there (two questions in a row)
    counts as answered."""
    turns = list(history or [])
    k = _referred_turn(turns, message)
    if k is None:
        return False
    reply = turns[k + 1] if k + 1 < len(turns) and turns[k + 1].get("role") == "assistant" else None
    return reply is None or reply.get("outcome") in (None, "answered")


def _referred_turn(turns: list[dict], message: str) -> int | None:
    """The index of the turn holding the referred question (of the last two customer questions)."""
    asked = [i for i, turn in enumerate(turns)
             if turn.get("role") == "user" and (turn.get("content") or "").strip()][-2:]
    if not asked:
        return None
    pairs = _pairs(message)
    return max(reversed(asked), key=lambda i: len(pairs & _pairs(turns[i]["content"].strip())))


def _pairs(text: str) -> set[str]:
    text = QUESTION_WORDS.sub(" ", text)
    return {text[i:i + 2] for i in range(len(text) - 1) if _CJK_PAIR.fullmatch(text[i:i + 2])}


def refers_back(text: str) -> bool:
    """Whether a normalised message points back to something said before (这个, 它, 这样…)."""
    return bool(_REFERS_BACK.search(text))


# "那港币呢", "我姐姐可以吗", "坐轮椅的呢": what about another case of the same matter, whatever the case names.
_WHAT_ABOUT = re.compile(r"(呢|可以吗|可以么|行吗|算吗|也算吗|可不可以|行不行)[?？!！。.~～\s]*$")


def asks_what_about(text: str) -> bool:
    """Whether a normalised message asks what holds for another case of the matter before ("那港币呢" after a question on
    foreign exchange quotas): whatever it names, it leans on that question."""
    return bool(_WHAT_ABOUT.search(text))


def is_follow_up(text: str) -> bool:
    """Whether a normalised message reads as a follow-up of the previous question: by how it starts ("那…"), or short
    and pointing back ("这个…"), asking what about another case ("对方要是死活不还呢？") or very short."""
    if _FOLLOW_UP_START.match(text):
        return True
    return len(text) <= MAX_FOLLOW_UP_CHARS and bool(_REFERS_BACK.search(text) or asks_what_about(text)
                                                     or len(text) <= 8)


def condense(message: str, history: list[dict] | None) -> str:
    """The standalone question as worded: the message, or the previous question plus it."""
    previous = referred_question(history, message)
    if not previous or not is_follow_up(normalize(message)):
        return message
    return f"{previous} {message}"


# What a follow-up asks for, and how an answer that already gives it looks.
_ASKS = {
    "duration": (re.compile(r"多久|多长时间|几天|多少天|几个工作日|多长|什么时候|几年|多少年|几个月|多少个月|哪天|起算"),
                 re.compile(r"\d+\s*(日|天|个工作日|年|小时|个月|期)")),
    "rate": (re.compile(r"利率|年化|费率|百分之|%|利息多少|几个点|利息(怎么|咋|如何)算|怎么计息"),
             re.compile(r"\d+(\.\d+)?\s*%|万分之|利率计息")),
    "amount": (re.compile(r"多少钱|费用|收费|收多少|多少元|额度|上限|最多|最高|多少以内|多少以下"),
               re.compile(r"\d+(\.\d+)?\s*(元|万元|美元|笔|次)")),
    "count": (re.compile(r"几次|几笔|多少次|多少笔|次数|笔数"),
              re.compile(r"(?<![某每])(\d+|[一两二三四五六七八九十])\s*(次|笔)(?!性)")),
    # a number asked, not a channel ("能打电话挂失吗" asks whether the phone will do)
    # (手机号码, 身份证号码 are no number asked for: the answer's hotline would seem to give it)
    "number": (re.compile(r"号码(是)?多少|多少号|什么号码|(电话|热线)(号码?)?(是)?多少"),
               re.compile(r"\d{5,}|\d{3}-\d{3}-\d{4}")),
}


def answers_what_is_asked(follow_up: str, answer: str) -> bool:
    """True when the (normalised) follow-up asks for a kind of fact (a duration, a rate, an amount, a count, a number)
    that the answer already states, and names nothing telling that the answer never writes — then the previous
    answer is still the right one. "那补新卡要几天？" after temporary loss asks a duration, and the answer's 5日 is
    the loss's, not the new card's: it never writes 新卡 ("那一般要等多久才有结果？" names only 结果, which says little)."""
    if not any(asks.search(follow_up) and gives.search(answer) for asks, gives in _ASKS.values()):
        return False
    return coverage(follow_up, normalize_knowledge(answer)).weight < TELLING_WEIGHT
