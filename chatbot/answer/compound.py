"""Questions about two things at once: "二类户和三类户的限额分别是多少？", "投诉处理的期限和征信异议的答复期限，
分别是多少天？", "房贷提前还款的违约金和信用卡的违约金是一回事吗？各是怎么收的？".

No one card answers them, so retrieval finds neither with confidence and the customer is handed off,
though the knowledge base answers each half. Such a question has a comparison word (分别, 区别, 各…)
and two subjects joined by 和/与/跟; it is split into the two questions it stands for, each asked with
the shared predicate ("二类户的限额是多少", "三类户的限额是多少"). The assistant answers it only when both
halves are answered, each from its own card, with every check a single question passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A comparison word: without one, "A和B" is one subject ("存款和理财产品有什么风险提示" asks about selling both).
_COMPARISON = re.compile(r"分别|区别|不同|不一样|一样吗|一样不|一回事|各是|各自|各要|各收|有何异同|差别")
_JOIN = re.compile(r"和|与|跟|以及")
# Where the second subject ends: the predicate or the comparison begins.
_SECOND_ENDS = re.compile(r"(的区别|的不同|的差别|有什么|有啥|有哪些|分别|各是|各自|各要|各收|是一回事|是不是一回事|一样|"
                          r"是多少|是几|要多久|多少|多久|几天|怎么|如何|[,?;。!])")
# Comparison phrases dropped from the shared predicate: each half asks the predicate of one subject.
_DROP = re.compile(r"(有什么|有啥|有何)(区别|不同|差别|异同)[?]?|的?(区别|不同|差别)是什么[?]?|是不是一回事[?]?|"
                   r"是一回事吗?[?]?|一样吗[?]?|一样不[?]?|分别|各自|各")
_SUBJECT_CHARS = (2, 16)


@dataclass(frozen=True)
class Halves:
    first: str  # the subject of the first half, as written ("二类户")
    second: str
    questions: tuple[str, str]  # the two questions it stands for, normalised


def split_compound(text: str) -> Halves | None:
    """The two questions a normalised comparison question stands for; None for any other question."""
    if not _COMPARISON.search(text):
        return None
    clause = re.split(r"[?。!]", text)[0]  # the subjects are named in the first sentence
    for join in _JOIN.finditer(clause):
        first = re.split(r"[,;:]", clause[:join.start()])[-1]
        tail = text[join.end():]
        end = _SECOND_ENDS.search(tail)
        if end is None:
            continue
        second, predicate = tail[:end.start()], tail[end.start():]
        if not (_SUBJECT_CHARS[0] <= len(first) <= _SUBJECT_CHARS[1]
                and _SUBJECT_CHARS[0] <= len(second) <= _SUBJECT_CHARS[1]):
            continue
        if "的" in second and "的" not in first:  # "二类户和三类户的限额": the 限额 of both
            first += second[second.index("的"):]
        predicate = _DROP.sub("", predicate).strip(",;? ")
        if predicate.startswith("的"):
            predicate = predicate[1:]
        ask = (predicate or "是什么") + "?"
        return Halves(first, second, (_join(first, ask), _join(second, ask)))
    return None


def _join(subject: str, predicate: str) -> str:
    return subject + ("" if predicate[0] in "是要能会可有的怎多几" else "的") + predicate
