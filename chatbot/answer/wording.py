"""Customers' wording: typos and homophones corrected against the knowledge base's own words, and the
clause of a long message that asks the question.

Customers type on phones with pinyin input: 征心 for 征信, 利律 for 利率, 信用咔 for 信用卡, 蜜码 for 密码.
A pair of characters the knowledge base never writes, that sounds exactly like a pair it writes (toneless
pinyin) and differs from it in one character, is replaced — but only where general Chinese does not
read it as a word of its own (jieba's dictionary) and the pair is not two ordinary words side by side
(普及|金融, 上|先): the pair must be one unknown token, or two single characters that are not function
characters. A rare word of general Chinese typed for a word the knowledge base writes (保户 for 保护, 美圆
for 美元) is replaced too, when general Chinese writes the meant word far more often (出事 is not 出示).
"""

from __future__ import annotations

import logging
import math
import re
from functools import lru_cache

from ..retrieval.vocabulary import Vocabulary

_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
# Endings of a product's name (网商|贷, 借|呗, 余额|宝) after which a rare word is the name's head, not a typo.
NAME_HEAD_ENDINGS = frozenset("贷呗宝")
# Characters that join words rather than make them: a pair containing one is two words, not a typo.
FUNCTION_CHARS = frozenset("这那的得地上下里就只会吗呢吧啊么说去来回我你他她它也都还又才在是了着过把被给让对向"
                           "从和与或但而要能可想没不很太最更其先再已将")
# Function characters, pronouns and question words: never part of a word characteristic of the knowledge
# base, nor of a name the customer brings (openworld.py).
GRAMMAR_CHARS = frozenset("这那的得地上下里就只会吗呢吧啊么嘛呀哦说去来回我你他她它们也都还又才在是了着过把被给让"
                          "对向从和与或但而要能可想没不很太最更其先再已将个些请问该咋啥哪怎么什么多少几有俺咱")
CHARACTERISTIC_RATIO = 2.0  # log-ratio of a word's share of the knowledge base to its share of general Chinese
MIN_FREQUENCY = 2  # a replacement must be written by at least this many units of the knowledge base
COMMONER = 10  # a real word is replaced only by a word general Chinese writes at least this many times as often
WORD_SHARE = 0.5  # a pair general Chinese does not list is a word of the knowledge base when it is one this often
SAMPLED_UNITS = 12  # units read per pair to see how the knowledge base writes it


@lru_cache(maxsize=1)
def jieba_module():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def dictionary_tag(word: str) -> str:
    """A word's part of speech in jieba's dictionary ("" for a word it does not list)."""
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab.get(word, "")


def said_twice(word: str) -> bool:
    """A one-character verb said twice ("管管", "查查": done lightly): it names nothing the verb alone does not. Not a name
    said twice (咕咕贷: 咕 is no verb; 滴滴, 达达: jieba lists the pair as a noun or a name)."""
    return len(word) == 2 and word[0] == word[1] and dictionary_tag(word[0]).startswith("v") \
        and not dictionary_tag(word).startswith("n")


@lru_cache(maxsize=65536)
def sound(char: str) -> str:
    """A character's toneless pinyin."""
    from pypinyin import lazy_pinyin

    return lazy_pinyin(char)[0]


def one_character_apart(a: str, b: str) -> bool:
    """Whether two words of the same length differ in exactly one character (征心 and 征信)."""
    return sum(x != y for x, y in zip(a, b)) == 1


def characteristic_words(vocabulary: Vocabulary) -> frozenset[str]:
    """Two-character words characteristic of the knowledge base: written by several units, and far more
    common there than in general Chinese (逾期, 年费, 额度, 挂失…; not 银行 or 时间, which are everywhere).
    Computed once per published vocabulary."""
    return frequent_in_knowledge(vocabulary, "characteristic", CHARACTERISTIC_RATIO,
                                 lambda token, _: len(token) == 2 and not set(token) & GRAMMAR_CHARS)


def frequent_in_knowledge(vocabulary: Vocabulary, name: str, ratio: float, keep) -> frozenset[str]:
    """The knowledge base's tokens of Chinese characters that at least three units write and whose share of its units
    is more than e**ratio times their share of general Chinese (jieba's dictionary frequencies), among those
    `keep(token, frequency in general Chinese)` accepts; computed once per published vocabulary, as `name`."""
    found = vocabulary.derived.get(name)
    if found is None:
        jieba = jieba_module()
        common, total, units = jieba.dt.FREQ, jieba.dt.total, max(vocabulary.units, 1)
        found = vocabulary.derived[name] = frozenset(
            token for token, frequency in vocabulary.items()
            if frequency >= 3 and _CJK.match(token) and keep(token, common.get(token, 0))
            and math.log((frequency / units) / ((common.get(token, 0) + 1) / total)) > ratio)
    return found


def written_as_words(vocabulary: Vocabulary) -> frozenset[str]:
    """The characteristic words (`characteristic_words`) that are words: those general Chinese lists, and
    those the knowledge base writes as a word of its own in at least half of their occurrences (read in a
    sample of its units, in context) — one word for jieba, or two characters jieba reads alone because it
    does not know the word (盗刷, 涉诈, 双录). A pair written only across two words (本人|投诉 → 人投,
    文件|到期 → 件到) or inside a longer one (滞纳金 → 纳金) is no word a customer meant. Without the texts
    (a vocabulary built without them), every characteristic word. Computed once per published vocabulary."""
    found = vocabulary.derived.get("written_words")
    if found is None:
        common = jieba_module().dt.FREQ
        characteristic = characteristic_words(vocabulary)
        found = vocabulary.derived["written_words"] = frozenset(
            word for word in characteristic if common.get(word) or _written_as_word(vocabulary, word))
    return found


def _written_as_word(vocabulary: Vocabulary, pair: str) -> bool:
    texts = vocabulary.sample_texts(pair, SAMPLED_UNITS)
    if texts is None:
        return True
    alone = seen = 0
    for text in texts:
        at = text.find(pair)
        while at >= 0:
            holding = _token_spans(text[max(0, at - 8):at + 10], offset=max(0, at - 8))
            first, second = holding[at], holding[at + 1]  # the tokens holding the pair's two characters
            seen += 1
            alone += first == second == (at, at + 2) or (first[1] - first[0] == second[1] - second[0] == 1)
            at = text.find(pair, at + 1)
    return seen > 0 and alone >= WORD_SHARE * seen


def _token_spans(text: str, offset: int) -> dict[int, tuple[int, int]]:
    """Each character's position (plus offset) → the span of the jieba token holding it."""
    spans, start = {}, offset
    for token in jieba_module().lcut(text, HMM=False):
        for position in range(start, start + len(token)):
            spans[position] = (start, start + len(token))
        start += len(token)
    return spans


class TypoCorrector:
    """Built once per published vocabulary (`corrector_for`)."""

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self._common = common = jieba_module().dt.FREQ  # word frequencies of general Chinese
        # The pairs a typo may have been typed for, by sound, with the units that write them.
        self._by_sound = _by_sound((token, frequency) for token, frequency in vocabulary.items()
                                   if len(token) == 2 and frequency >= MIN_FREQUENCY and _CJK.match(token))
        # The words a real word may have been typed for: those characteristic of the knowledge base (保护, 美元;
        # not 达到, which general Chinese writes as often), by sound, with their frequency in general Chinese.
        self._written = written_as_words(vocabulary)
        self._words_by_sound = _by_sound((token, common[token]) for token in characteristic_words(vocabulary)
                                         if common.get(token))

    def correct(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The text with typos corrected, and the corrections made (typed, meant)."""
        if not self._by_sound or not re.search(r"[\u4e00-\u9fff]", text):
            return text, ()
        common = self._common
        tokens = jieba_module().lcut(text, HMM=False)
        out: list[str] = []
        fixes: list[tuple[str, str]] = []
        i = 0
        while i < len(tokens):
            token, window, used = tokens[i], None, 1
            if len(token) >= 2 and _CJK.match(token) and not common.get(token):
                window = token
            elif len(token) == 1 and i + 1 < len(tokens) and len(tokens[i + 1]) == 1 and _CJK.match(token + tokens[i + 1]):
                window, used = token + tokens[i + 1], 2
            if window and not common.get(window):
                fixed = self._fix(window)
            else:  # a word of general Chinese, whole (保户) or in two (打|到): only the stricter test
                window = window or token
                fixed = self._fix_word(window)
            ending = tokens[i + used] if i + used < len(tokens) else ""
            if fixed and ending in NAME_HEAD_ENDINGS and not self.vocabulary.knows(fixed + ending):
                fixed = None  # 网商|贷: a product's name, not 网上贷 (which the knowledge base never writes; 学生贷 it does)
            # A pair with a function character (理才, 存但, 逾其) is a typo only when that character comes second,
            # is the one replaced, and the result is a word of general Chinese too; 这算, 不在, 的利 stay as typed.
            if fixed and used == 2 and set(window) & FUNCTION_CHARS and not (
                    window[0] not in FUNCTION_CHARS and window[1] in FUNCTION_CHARS and fixed[0] == window[0]
                    and common.get(fixed)):
                fixed = None
            if fixed and fixed != window:
                out.append(fixed)
                fixes.append((window, fixed))
                i += used
                continue
            out.append(token)
            i += 1
        return "".join(out), tuple(fixes)

    def _fix_word(self, token: str) -> str | None:
        """The word meant by a rare two-character word the knowledge base never writes, or None."""
        if len(token) != 2 or not _CJK.match(token) or token in self.vocabulary or set(token) & FUNCTION_CHARS:
            return None
        found = self._words_by_sound.get((sound(token[0]), sound(token[1])))
        if found and one_character_apart(found[0], token) \
                and found[1] >= COMMONER * self._common.get(token, 0):
            return found[0]
        return None

    def _fix(self, window: str) -> str:
        chars = list(window)
        for j in range(len(chars) - 1):
            pair = chars[j] + chars[j + 1]
            if pair in self.vocabulary:
                continue
            found = self._by_sound.get((sound(pair[0]), sound(pair[1])))
            # Only for a word (of general Chinese, or one the knowledge base writes as a word): two characters
            # it writes side by side across words (本人|投诉) are no word a customer meant ("被人偷了" became
            # 被人投了, "一人两百" 易人).
            if found and one_character_apart(found[0], pair) \
                    and (self._common.get(found[0]) or found[0] in self._written):
                chars[j], chars[j + 1] = found[0]
        return "".join(chars)


def _by_sound(pairs) -> dict[tuple[str, str], tuple[str, int]]:
    """Two-character words by their toneless pinyin, the most frequent of those that sound alike."""
    table: dict[tuple[str, str], tuple[str, int]] = {}
    for token, frequency in pairs:
        key = (sound(token[0]), sound(token[1]))
        if key not in table or table[key][1] < frequency:
            table[key] = (token, frequency)
    return table


def corrector_for(vocabulary: Vocabulary) -> TypoCorrector:
    """The corrector of a vocabulary, built on first use and kept with it."""
    corrector = vocabulary.derived.get("typos")
    if corrector is None:
        corrector = vocabulary.derived["typos"] = TypoCorrector(vocabulary)
    return corrector


# --- the asking clause ---------------------------------------------------------------------------------

LONG_MESSAGE_CHARS = 40  # shorter messages are one question: the whole message is what is asked
_QUESTION = re.compile(r"[^？?。！!]*[？?]")
_CLAUSE = re.compile(r"[，,；;：:]")
_WORDS = re.compile(r"[\W_]+")  # what is not a word: punctuation and spaces
# Words that make a clause ask (here, and for the two questions of one message in compound.py).
ASKING_WORDS = re.compile(r"吗|么|呢|多少|多久|多长|几|什么|啥|怎么|怎样|如何|哪|是否|能否|可否|能不能|可不可以|"
                          r"会不会|有没有|是不是|要不要|算不算|行不行|咋")


_INTENT = re.compile(r"(我|本人|我们)(现在|就)?(想|要(?![我是求么不])|打算|准备)")  # what the customer means to do
ASKING_CONTENT_CHARS = 4  # an asking clause with fewer characters besides asking and function words names no matter


def _content(clause: str) -> str:
    """A clause without its asking words, function characters and punctuation: what it names."""
    return "".join(c for c in _WORDS.sub("", ASKING_WORDS.sub("", clause)) if c not in GRAMMAR_CHARS)


def asking_part(text: str) -> str:
    """The clause(s) of a long message that ask: for each sentence ending with a question mark its last
    clause, and the clause before it when that one asks too or says what the customer means to do (`_INTENT`);
    for a message without a question mark, the last clause with a question word. Empty for a short message (the
    whole of it is the question), and for a message that is one clause (searching it again would find the same
    cards, for a second embedding)."""
    if len(text) < LONG_MESSAGE_CHARS:
        return ""
    parts = []
    for sentence in _QUESTION.findall(text):
        clauses = [c.strip() for c in _CLAUSE.split(sentence.strip("？? ")) if c.strip()]
        if not clauses:
            continue
        chosen = clauses[-1:]
        if len(clauses) >= 2 and ASKING_WORDS.search(clauses[-2]):
            chosen = clauses[-2:]
        # "…，想提前还一部分本金，会不会收费？": a clause that names almost nothing but asks takes the one before
        while len(chosen) < min(len(clauses), 3) and len(_content("".join(chosen))) < ASKING_CONTENT_CHARS:
            chosen = clauses[-len(chosen) - 1:]
        # "…我想提出异议，请问提交后多长时间会有答复？": the clause saying what the customer means to do is what the question
        # is about
        if len(clauses) > len(chosen) and _INTENT.match(clauses[-len(chosen) - 1]):
            chosen = clauses[-len(chosen) - 1:]
        parts.append("，".join(chosen))
    if not parts:
        clauses = [c.strip() for c in re.split(r"[，,；;：:。！!]", text) if c.strip()]
        asking = [c for c in clauses if ASKING_WORDS.search(c)]
        parts = asking[-1:]
    asking = "？".join(parts) + ("？" if parts else "")
    return "" if _WORDS.sub("", asking) == _WORDS.sub("", text) else asking
