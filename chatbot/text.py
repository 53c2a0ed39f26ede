"""Text normalisation and tokenising shared by ingest and query: one implementation so both sides agree.

`normalize` is traditional→simplified, full→half width (NFKC), collapsed whitespace and lower-case
Latin. A customer's turn is normalised once (`normalize_all` takes the message and the question it
follows in one pass) and everything after works on the normalised text: the glossary expansion of
English banking words (`glossary_matches`, `expand_english`) and the BM25 tokens (`tokenize_normalized`).
Knowledge passages go through `normalize` / `tokenize` at ingest.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

# OpenCC's t2s keeps a few variants that the simplified standard writes differently.
_VARIANTS = str.maketrans({"帐": "账", "裏": "里", "綫": "线", "賬": "账"})
_SPACES = re.compile(r"\s+")
GLOSSARY_FILE = Path(__file__).with_name("glossary.yaml")


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def clean_text(text: str) -> str:
    """Text any database and log can hold: lone surrogates become U+FFFD, NUL characters go."""
    return (text or "").encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\x00", "")


# Words of Taiwan and Hong Kong that the knowledge base writes as the mainland does, after the characters are
# simplified (螢幕 → 萤幕 → 屏幕). Longer words first. Not OpenCC's tw2sp: it also rewrites simplified text (怎么 → 怎幺).
_REGIONAL_WORDS = {"网路银行": "网上银行", "行动银行": "手机银行", "行动支付": "移动支付", "行动电话": "手机",
                   "萤幕": "屏幕", "荧幕": "屏幕", "简讯": "短信", "网路": "网络", "软体": "软件", "讯息": "信息",
                   "资讯": "信息", "应用程式": "应用程序", "程式": "程序", "影片": "视频", "数位": "数字",
                   "智慧型手机": "智能手机"}
_REGIONAL = re.compile("|".join(sorted(map(re.escape, _REGIONAL_WORDS), key=len, reverse=True)))


def to_simplified(text: str) -> str:
    """Simplified characters, and the mainland's words for Taiwan's (螢幕 → 屏幕, 簡訊 → 短信, 網路 → 网络)."""
    simplified = _converter().convert(text).translate(_VARIANTS)
    return _REGIONAL.sub(lambda found: _REGIONAL_WORDS[found.group(0)], simplified)


def normalize(text: str) -> str:
    """Traditional→simplified, full→half width (NFKC), collapse whitespace, lower-case Latin."""
    text = unicodedata.normalize("NFKC", text or "")
    text = to_simplified(text)
    return _SPACES.sub(" ", text).strip().lower()


@lru_cache(maxsize=4096)
def normalize_knowledge(text: str) -> str:
    """`normalize` of knowledge text (a card's answer, a passage), once per process: the same text comes back turn
    after turn."""
    return normalize(text)


def normalize_all(texts: Sequence[str]) -> list[str]:
    """`normalize` of several texts in one pass of the converter. OpenCC splits its input at whitespace
    and punctuation and converts each piece on its own, so texts joined by a newline (after their own
    whitespace is collapsed) convert exactly as they would one at a time."""
    widened = [_SPACES.sub(" ", unicodedata.normalize("NFKC", text or "")) for text in texts]
    converted = to_simplified("\n".join(widened)).split("\n")
    if len(converted) != len(widened):  # cannot happen: the converter never writes a newline
        return [normalize(text) for text in texts]
    return [_SPACES.sub(" ", text).strip().lower() for text in converted]


@dataclass(frozen=True)
class GlossaryEntry:
    pattern: re.Pattern  # the English key, on normalised text
    terms: str  # the Chinese terms as written in glossary.yaml
    normalized: str  # the same, normalised (what retrieval searches with)


@lru_cache(maxsize=1)
def _glossary() -> list[GlossaryEntry]:
    import yaml

    raw = yaml.safe_load(GLOSSARY_FILE.read_text(encoding="utf-8"))["terms"]
    ordered = sorted(raw.items(), key=lambda item: -len(item[0]))
    normalized = normalize_all([value for _, value in ordered])
    # An English word starts where no Latin letter precedes it: after a space, or glued to Chinese
    # ("征信objection": `\b` sees no boundary there, Chinese characters being word characters too) — unless
    # Chinese writes the word as is (ATM): glued to Chinese it is then already the Chinese term.
    return [GlossaryEntry(re.compile((r"\b" if key in value.lower() else r"(?<![a-z])") + re.escape(key)), value, form)
            for (key, value), form in zip(ordered, normalized)]


def glossary_matches(text: str) -> list[GlossaryEntry]:
    """The glossary entries whose English key a normalised text contains, longer keys first (a
    longer key hides the shorter ones inside it)."""
    if not re.search(r"[a-z]{3,}", text):
        return []
    found = []
    for entry in _glossary():
        if entry.pattern.search(text):
            found.append(entry)
            text = entry.pattern.sub(" ", text)
    return found


def expand_english(text: str) -> str:
    """A normalised text with the Chinese terms of its English banking words appended, so that English
    questions meet the Chinese knowledge base lexically and densely."""
    found = glossary_matches(text)
    return f"{text} {' '.join(entry.normalized for entry in found)}" if found else text


# --- colloquial question words ------------------------------------------------------------------------

# Dialect and colloquial question words, in their standard form: "补张新卡要等好久才拿得到？" asks 多久,
# "罚好多钱" asks 多少钱, "咋个算的" asks 怎么. 好久 is "how long" before what is awaited (才, 能, 拿到…), "a
# long time" (很久) elsewhere: 好久没用的卡. Both tell of time gone by after 了/已经/都 or before 没/了/都
# ("我好多天没还", "等好久都没人理", "等了好久才拿到"): no question there. Not 咋/啥, which the cards' phrasings
# write as customers do (咋整, 有啥): read as 怎么办/什么, they moved questions off their cards.
_GONE_BY_BEFORE = r"(?<!了)(?<!已经)(?<!都)"
_GONE_BY_AFTER = r"(?!没|了|都)"
_COLLOQUIAL = [(re.compile(pattern), standard) for pattern, standard in [
    (r"咋个|咋子", "怎么"), (r"啥子", "什么"),
    (r"几多钱|好多钱", "多少钱"),
    (_GONE_BY_BEFORE + r"好多(?=(?:天|次|年|个月|期|岁)" + _GONE_BY_AFTER + ")", "多少"),
    (r"(?<=等)好久" + _GONE_BY_AFTER + "|" + _GONE_BY_BEFORE + r"好久(?=才|能|可以|会|到|拿|办好|出)", "多久"),
    (r"好久", "很久"),
    # 咔 typed for 卡 (the same sound, one key away on a pinyin keyboard; the pair check of wording.py cannot
    # see a single character: "我的咔丢了"); 咔嚓/咔哒 are sounds.
    (r"咔(?![嚓哒嗒咔])", "卡"),
]]


# Written Cantonese in standard Chinese: "张卡俾atm吞咗，要几耐之内去拎返？" is "卡给atm吞了，要多久之内去拿回？".
# The characters and words first are written in Cantonese only and always read so. The rest also write
# standard words (系 of 关系, 细 of 仔细, 边 of 旁边): they are read as Cantonese only in a message that has one
# of the first (`_CANTONESE_MARK`), and never inside the standard words they make.
# 点 ends many standard words (网点, 重点, 时间点): 网点解冻 is no 点解, 时间点算起 no 点算 (session 18's reviewer).
_NOT_A_DIAN_WORD = r"(?<![网重要难特亮缺优焦痛弱盲考热疑观论起终节站地间钟据一几有差早快多少])"
_CANTONESE_ALWAYS = [(re.compile(pattern), standard) for pattern, standard in [
    (r"系唔系|系咪", "是不是"), (r"使唔使|要唔要", "需不需要"), (r"唔使|唔驶", "不用"), (r"有冇", "有没有"),
    (r"唔该", "请"), (r"乜嘢|咩嘢|乜", "什么"), (_NOT_A_DIAN_WORD + r"(?:点样|点么样)", "怎么"),
    (_NOT_A_DIAN_WORD + r"点解", "为什么"), (_NOT_A_DIAN_WORD + r"点算", "怎么办"),
    (r"几耐", "多久"), (r"几多", "多少"), (r"(?<![那这哪旁身左右外里上下两一对另])(?:边度|边到)", "哪里"),
    (r"屋企", "家里"), (r"而家", "现在"),
    (r"(?<=[拎攞揾拿])返", "回"), (r"啱啱", "刚刚"), (r"寻日|琴日|尋日", "昨天"), (r"听日", "明天"), (r"老豆", "爸爸"),
    (r"碌卡", "刷卡"), (r"瞓", "睡"), (r"[嗰𠮶]", "那"),
    (r"喺度", "在"), (r"冇", "没有"), (r"唔", "不"), (r"嘅", "的"), (r"咗", "了"), (r"啲", "些"), (r"哋", "们"), (r"佢", "他"),
    (r"喺", "在"), (r"睇", "看"), (r"揾", "找"), (r"嚟", "来"), (r"攞|拎", "拿"),
    # 俾 before the doer and a verb of harm is "by" (俾人呃咗: 被人骗了), else "give" (转咗三万俾个网友)
    (r"[俾畀](?=(人|佢|他|她|atm|机器|机|对方|骗子)?[偷呃骗刷盗冻锁吞食扣限封拉])", "被"), (r"畀|俾", "给"), (r"噉", "这样"),
    (r"咁", "这么"), (r"(?<=[是系的㗎呀啊])咩(?=[,，。.!！?？~]|$)", "吗"), (r"咩", "什么"),  # 真的咩？= 真的吗
]]
_CANTONESE_MARK = re.compile(r"[唔冇嘅咗啲哋佢喺睇揾嚟攞畀俾噉咁咩乜嗰𠮶啱]|屋企|而家|几耐|几多|边度|" + _NOT_A_DIAN_WORD
                             + r"点(?:样|解)")
_A_CARD_NEXT = r"(?=(?:信用|银行|借记|储蓄|社保)?卡|存折|身份证)"
_CANTONESE_IN_CONTEXT = [(re.compile(pattern), standard) for pattern, standard in [
    (r"定系", "还是"), (r"(?<![关联体维派院科父母水星世直旁谱])系(?![统列数])", "是"),
    # 张卡 = "the card" (张卡俾atm吞咗, 我张信用卡唔见咗: 我的信用卡); 一张卡, 这张卡 stay
    (r"(?<=[我你他她们])张" + _A_CARD_NEXT, "的"),
    (r"(?<![\d一二两三四五六七八九十几每多整某这那哪半呢])张" + _A_CARD_NEXT, ""),
    (r"呢(?=张|个|度|笔|间|份|次)", "这"),
    (r"仲(?![裁介夏秋春冬])", "还"), (r"(?<=[开做讲打转用看])紧", "着"),  # 仲开紧: 还开着
    (r"(?<=在)([\u4e00-\u9fff]{1,4}?)(?<![温程速态角额限年季制幅高长力难深强密浓热风尺进调维刻气光湿])度", r"\1里"),  # 喺电话度: 在电话里
    (r"(?<=[给被])(人)?呃|呃(?=了|人|我|钱)", r"\1骗"), (r"(?:(?<=atm)|(?<=[机器]))食", "吞"), (r"话(?=了|给)", "说"),
    (r"(?<![那这旁身左右])边个", "哪个"), (r"(?<![那这旁身左右])(?:边间|边家)", "哪家"), (r"几时", "什么时候"),
    (r"(?<![详仔精明底纤])细(?![节则致心微])", "小"),
]]


def standard_question_words(text: str) -> str:
    """A normalised text with its colloquial question words in standard form (`_COLLOQUIAL`), and written
    Cantonese read as standard Chinese (`_CANTONESE_ALWAYS`, `_CANTONESE_IN_CONTEXT`)."""
    cantonese = _CANTONESE_MARK.search(text)
    for pattern, standard in _CANTONESE_ALWAYS + (_CANTONESE_IN_CONTEXT if cantonese else []):
        text = pattern.sub(standard, text)
    for pattern, standard in _COLLOQUIAL:
        text = pattern.sub(standard, text)
    return text


# --- lexical tokens ----------------------------------------------------------------------------------

_RUNS = re.compile(r"[\u4e00-\u9fff]+|[a-z]+|\d+(?:\.\d+)?")
# Function words that carry no topic; dropped from queries and passages alike.
STOP_CHARS = _STOP = frozenset("的了吗呢吧啊呀么嘛哦是在我你他她它们和与及或也都就还要会能可以这那有个怎么什么如何请问一下")


def tokenize(text: str, mode: str = "bigram") -> list[str]:
    """The BM25 tokens of a text (a knowledge passage at ingest)."""
    return tokenize_normalized(normalize(text), mode)


def tokenize_normalized(text: str, mode: str = "bigram") -> list[str]:
    """The BM25 tokens of text that is already normalised (a customer's query)."""
    match mode:
        case "bigram":
            return _bigrams(text)
        case "jieba":
            return _jieba_words(text)
        case _:
            raise ValueError(f"unknown lexical tokenizer {mode!r}: use 'bigram' or 'jieba'")


def _bigrams(text: str) -> list[str]:
    tokens: list[str] = []
    for run in _RUNS.findall(text):
        if not ("\u4e00" <= run[0] <= "\u9fff"):
            tokens.append(run)
            continue
        chars = [c for c in run if c not in _STOP] if len(run) > 2 else list(run)
        if len(chars) == 1:
            tokens.append(chars[0])
        tokens.extend(chars[i] + chars[i + 1] for i in range(len(chars) - 1))
    return tokens


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def _jieba_words(text: str) -> list[str]:
    words = []
    for run in _RUNS.findall(text):
        if "\u4e00" <= run[0] <= "\u9fff":
            words.extend(w for w in _jieba().lcut_for_search(run) if w not in _STOP)
        else:
            words.append(run)
    return words
