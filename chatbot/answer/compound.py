"""Questions about two things at once: "二类户和三类户的限额分别是多少？", "投诉处理的期限和征信异议的答复期限，
分别是多少天？", "房贷提前还款的违约金和信用卡的违约金是一回事吗？各是怎么收的？".

No one card answers them, so retrieval finds neither with confidence and the customer is handed off,
though the knowledge base answers each half. Such a question has a comparison word (分别, 区别, 各…)
and two subjects joined by 和/与/跟; it is split into the two questions it stands for, each asked with
the shared predicate ("二类户的限额是多少", "三类户的限额是多少"). Two questions asked one after the other
and then asked for together ("信用卡分期最长能分几期？年费又怎么免？分别说一下。", "征信异议多久给答复，不良
记录又保留多久，分别是多少？") are split into their two asking clauses, and so are two questions each with its
own question mark ("存款保险最高保多少？大额存单个人又是多少起存？"). The second question may lean on the first
("转错账了怎么办？能撤回吗？": 撤回 what?): read after the first, it must still find the card it finds alone —
unless it names a listed subject of its own ("三类户余额上限是多少？二类户一年最多能转入多少？"), or alone is sure of a card on the
first half's topic (`assistant.SURE_ALONE`); one naming a subject of its own that alone is not answered is read after the first ("存款保险最多
赔多少？理财算不算？"). The
assistant answers half by half only when both halves are answered, each from its own card, with every check a
single question passes; otherwise the message is answered as one question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .subjects import default_lexicon
from .wording import ASKING_WORDS

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
# The words that tie a second question to the first (又, 那); a clause asks by `ASKING_WORDS`.
_TIES = re.compile(r"^(那么|那|还有|另外|再就是)|又|还要")
# Words that only announce a question ("我想问最低还款是…"): not part of the half it names.
_LEAD_IN = re.compile(r"^((我|我想|想)(请问|问)(一下|下|问)?|请问(一下|下)?|问一下|问下|(我想|想)了解(一下|下)?)[:]?")
_CLAUSE_CHARS = (4, 24)
_HALF_WIDTH = str.maketrans("？，", "?,")


@dataclass(frozen=True)
class Halves:
    first: str  # the subject of the first half, as written ("二类户")
    second: str
    questions: tuple[str, str]  # the two questions it stands for, normalised
    leans: bool = False  # the second was asked after the first and may lean on it ("过期了怎么办")


def split_compound(text: str) -> Halves | None:
    """The two questions a normalised comparison question, or two questions in a row (asked for together, or
    each with its question mark), stand for; None for any other question. The asking part of a long message
    (`wording.asking_part`) is joined with full-width marks, read as their half-width forms."""
    text = text.translate(_HALF_WIDTH)
    if not _COMPARISON.search(text):
        return _two_questions(text) if text.count("?") >= 2 else None
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
    return _two_questions(text)


def _two_questions(text: str) -> Halves | None:
    """Exactly two asking clauses, besides one that only asks for both (分别说一下, 各是多少): "信用卡分期最长能分
    几期？年费又怎么免？分别说一下。", "个人征信一年能免费查几次？有不良记录的话要保留多久？"."""
    clauses = [c.strip() for c in re.split(r"[,?;。!]", text) if c.strip()]
    asking = [_TIES.sub("", c) for c in clauses if ASKING_WORDS.search(c) and not re.match(r"分别|各", c)]
    if len(asking) != 2 or not all(_CLAUSE_CHARS[0] <= len(c) <= _CLAUSE_CHARS[1] for c in asking):
        return None
    asking = [_LEAD_IN.sub("", c) or c for c in asking]
    first, second = asking
    # A second question that names a subject of its own ("三类户…？二类户…？") does not lean on the first.
    lexicon = default_lexicon()
    named = {subject.term for subject in lexicon.mentioned(first)}
    own = [s for s in lexicon.mentioned(second) if not s.generic and s.term not in named]
    return Halves(first, second, (first + "?", second + "?"), leans=not own)


def _join(subject: str, predicate: str) -> str:
    return subject + ("" if predicate[0] in "是要能会可有的怎多几" else "的") + predicate
