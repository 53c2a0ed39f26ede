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

from .wording import FUNCTION_CHARS, dictionary_tag, jieba_module, one_character_apart, said_twice, sound

_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
# Function characters, and resultative complements that end a verb (消掉, 删掉: the card writes 消除, 删除).
_FUNCTION_CHARS = "".join(sorted(FUNCTION_CHARS | {"掉"}))
# Whether something is allowed ("这样做合规吗", "这合法吗", "是不是违规"): the kind of answer wanted, which the cards give
# as a rule (不得, 禁止, 可以, 有权…), never in the customer's word; as a topic ("违规了找哪个监管") the word stays.
# Not 违规没收, 违法不当催收: 不/没 end the question only at the clause's end.
ASKS_IF_ALLOWED = (r"(合规|合法|违规|违法|正规|允许)((的)?(吗|么|嘛)|(不|没)(?=[,，。.?？!！]|$))|"
                   r"(是否|是不是|算不算|算是)(合规|合法|违规|违法|正规)|合不合规|合不合法|违不违规|违不违法|正不正规|允不允许")
# Question words: the kind of answer wanted is the figure check's business (slots.py), not a topic word.
QUESTION_WORDS = re.compile(ASKS_IF_ALLOWED + "|时间限制|"  # "有时间限制没": a deadline asked (slots.ASKS_DEADLINE)
                            r"多少钱|多少|多久|多长时间|多长|几天|几个|几次|几年|几期|什么意思|啥意思|什么|怎么样|怎么办|"
                            r"怎么回事|咋回事|怎么|如何|干嘛|干啥|哪些|哪里|哪儿|哪个|为什么|为啥|咋整|咋办|咋样|咋弄|啥时候|啥|"
                            r"是否|能否|可否|能不能|可不可以|会不会|有没有|是不是|要不要|算不算|行不行|一般|请问|问一下|问问")
MAX_SURPRISAL = 16.0
TELLING_WEIGHT = 0.6  # a missing word this surprising says the match is about something else (顺延, 新卡; not 结果)
# Words that place the question in time ("提交之后", "销户以后"): they tie the clause together, not its topic.
_CONNECTIVES = frozenset({"之后", "以后", "之前", "以前", "然后", "后来", "时候"})
# Words that suppose a case ("万一发现信用卡被盗刷…", "如果很久不用…"): how the question is put, not what about.
_SUPPOSING = frozenset({"如果", "万一", "要是", "假如", "假设", "倘若", "若是", "哪天"})
_NO_TOPIC = _CONNECTIVES | _SUPPOSING
# Connectives of two characters, cut out whole before jieba reads the clause: their second character would begin a word
# ("什么时候之前提" is 之前|提, though jieba cuts 之|前提, a premise).
# Not inside another word: 可以|前台, 所以|后果, 难以|后续.
_PLACED_IN_TIME = re.compile(r"之前|之后|(?<![可所难予加足得])以[前后]")
_NUMERAL_CHARS = frozenset("零一二两三四五六七八九十百千万亿几半首双单整每")
# A verb asked as "A不A" ("需不需要", "收不收费", "退不退"): a yes-or-no question on the verb, which stays ("需要"). Cut by
# jieba, the question made words nobody writes (需不需, 收不收).
_A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")


def _vague_amount(word: str) -> bool:
    """An amount without a number (好些, 许多, 好久: jieba's numerals with no numeral character): it says how much, as
    3天 does, not what about. 二类, 首套 and 七八万 are numerals of jieba's too, and stay topic words."""
    return dictionary_tag(word) == "m" and not set(word) & _NUMERAL_CHARS


@dataclass(frozen=True)
class Coverage:
    missing: tuple[str, ...]  # asking words the match never uses, most telling first
    weight: float  # the largest surprisal among them, 0..1
    share: float  # the share of the asking words that are missing


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
    question words, a verb's "A不A" (`_A_NOT_A`: 需不需要 asks 需要), words of time and supposition (`_NO_TOPIC`; 之前,
    以后… cut out before jieba reads the clause: `_PLACED_IN_TIME`), amounts without a number (`_vague_amount`), a verb
    said twice (管管: `said_twice`) and the function characters at their edges (不用 → 用, dropped; 收不付 stays whole: cut
    inside, it would be 收付, a word nobody wrote)."""
    words = []
    for word in jieba_module().lcut(_PLACED_IN_TIME.sub(" ", _A_NOT_A.sub(r"\1", QUESTION_WORDS.sub(" ", asking)))):
        content = word.strip(_FUNCTION_CHARS)
        if len(content) >= 2 and _CJK.match(content) and content not in _NO_TOPIC \
                and not _vague_amount(content) and not said_twice(content):
            words.append(content)
    return tuple(dict.fromkeys(words))


def names_a_topic(asking: str) -> bool:
    """Whether a (normalised) clause has a telling word of its own: "延的话会跟我说一声不？" has none (it can only be about
    what was said before), "微信零钱最多能存多少" has."""
    return any(surprisal(word) >= TELLING_WEIGHT for word in asking_words(asking))


def coverage(asking: str, matched_text: str) -> Coverage:
    """How the (normalised) matched text covers the (normalised) asking clause."""
    words = asking_words(asking)
    if not words:
        return Coverage((), 0.0, 0.0)
    missing = [w for w in words if not _uses(w, matched_text) and not _sounds_like_used(w, matched_text)]
    missing.sort(key=surprisal, reverse=True)
    weight = surprisal(missing[0]) if missing else 0.0
    return Coverage(tuple(missing), weight, len(missing) / len(words))


# A clause of an answer that leaves something to another source: "具体期限、利率和转让规则以发行时公布的信息为准",
# "具体材料可拨打客服热线…或到网点咨询".
# Not a channel to do it ("到…网点柜台或自助查询机查询"): only what is left to be asked about (具体…咨询).
_DEFERRAL = re.compile(r"以[^，,。；;]{0,16}为准|(具体|详细)[^，,。；;]{0,40}(咨询|了解)")
_CLAUSES = re.compile(r"[^，,。；;！!？?]+")
_LIST_ASKED = r"(哪些|什么|哪几[样种个项]?|啥)[^，,。？?]{0,2}"  # "哪些材料", "什么证件", "哪几样东西"
_LEFT_IN_DETAIL = r"(具体|详细)(所需|需要)?的?"  # "具体材料", "具体所需材料"


def deferred(asking: str, answer: str) -> tuple[str, ...]:
    """The asking words (normalised clause) that the (normalised) answer names only where it leaves them to another
    source: "大额存单可以转让给别人吗？" against "…具体期限、利率和转让规则以发行时公布的信息为准" (转让)."""
    left, said = [], []
    for clause in _CLAUSES.findall(answer):
        (left if _DEFERRAL.search(clause) else said).append(clause)
    if not left:
        return ()
    left, said = " ".join(left), " ".join(said)
    # jieba's words whole (asking_words strips function characters at the edges: 转让 would be 转)
    words = {w for w in jieba_module().lcut(QUESTION_WORDS.sub(" ", asking)) if len(w) >= 2 and _CJK.match(w)}
    # The list asked for ("具体要带哪些材料") left to another source ("具体材料可…咨询"), however often the answer names
    # the thing itself ("凭简化的证明材料办理"); otherwise telling words named only where they are left.
    listed = {w for w in words if re.search(_LIST_ASKED + w, asking) and re.search(_LEFT_IN_DETAIL + w, left)}
    told = {w for w in words if surprisal(w) >= TELLING_WEIGHT and _uses(w, left) and not _uses(w, said)}
    return tuple(sorted(listed | told))


def _uses(word: str, text: str) -> bool:
    """Whether the text uses the word: contains one of its character pairs (包不包括 meets 包括)."""
    return any(word[i:i + 2] in text for i in range(len(word) - 1))


def _sounds_like_used(word: str, text: str) -> bool:
    """Whether the text writes a pair of characters that sounds like one of the word's (toneless pinyin) and differs
    from it in one character: a homophone typed for the match's own word (公式 for its 公示, 公正 for its 公证). The
    typo corrector cannot tell these from real words without knowing which card is meant; the match says which."""
    pairs = _pairs_by_sound(text)
    for i in range(len(word) - 1):
        written = pairs.get((sound(word[i]), sound(word[i + 1])), ())
        if any(one_character_apart(pair, word[i:i + 2]) for pair in written):
            return True
    return False


@lru_cache(maxsize=4096)
def _pairs_by_sound(text: str) -> dict[tuple[str, str], frozenset[str]]:
    """The text's pairs of Chinese characters by their toneless pinyin."""
    table: dict[tuple[str, str], set[str]] = {}
    for i in range(len(text) - 1):
        pair = text[i:i + 2]
        if _CJK.match(pair):
            table.setdefault((sound(pair[0]), sound(pair[1])), set()).add(pair)
    return {key: frozenset(pairs) for key, pairs in table.items()}
