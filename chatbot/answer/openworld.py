"""Terms the knowledge base has never heard of, named where the question's subject goes.

"美团月付逾期了，账户被冻结了怎么办？" shares everything but one term with the card on judicial freezes, and
retrieval finds that card with confidence. The knowledge base never writes 美团月付; the question is
about that product, so answering from the card would mislead. No list of products can keep up with what
customers name, so nothing here lists products. A span of the question is *unknown* when

- the knowledge base has never written it (a pair of adjacent characters it does not know: `Vocabulary`),
- general Chinese does not use it as an everyday word (jieba's dictionary frequency; 现在, 父亲, 菜市场
  are everyday words, 白条, 微粒, 花呗 are rare or unknown), and
- it stands where the subject of a banking question stands: right before a word that is characteristic
  of the knowledge base ("X逾期", "X的额度", "X分期"), after a banking verb ("开通了X", "提前还X"), or as
  "在X上/里" — so the everyday nouns of a customer's story ("今天去菜市场买菜，…") do not count.

A span that names another institution ("X银行", "X证券", "X行", "X保险"…, by the shape of Chinese
institution names) is reported as such: the customer should ask that institution.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..retrieval.vocabulary import Vocabulary
from .wording import GRAMMAR_CHARS, characteristic_words, dictionary_tag, jieba_module, said_twice

_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
_LATIN_INFIX = re.compile(r"^[a-z]{1,2}$")
_NAME = re.compile(r"^[\u4e00-\u9fff]+([a-z]{1,2}[\u4e00-\u9fff]+)*$")  # Chinese, or with a Latin infix (速e花)
EVERYDAY_FREQUENCY = 500  # a jieba word at least this frequent is everyday Chinese, not a product's name
_LINKS = frozenset({"的", "里", "上", "中", "里面", "上面", "app", "上的", "里的"})
_VERBS_BEFORE = frozenset({"开通", "开了", "用", "用的", "还", "借", "办", "办了", "申请", "买", "买的", "使用", "注册",
                           "绑定", "提前还", "开", "下载", "在"})
INSTITUTION_SUFFIX = re.compile(r"(银行|证券|保险公司|人寿|财险|金融|基金公司|信托|支付|财富|小贷|网贷|消费金融|农商行|"
                                r"信用社|银联)$")
# Words that pick out "some bank" rather than name one: 每家银行, 其他银行, 别的银行.
_DETERMINERS = re.compile(r"^(每家|这家|那家|哪家|一家|别家|别人家|人家|其他|其它|别的|另外|各|各家|任何|所有|两家|几家|"
                          r"外地|本地|国有|商业|正规|大|小|同一)")
# Parts of speech of a name (jieba.posseg): nouns, names, abbreviations, foreign words, words it guesses.
_NAME_TAGS = frozenset({"n", "nz", "nt", "nr", "ns", "nrt", "nrfg", "j", "eng", "x", "vn"})
_NAME_ENDINGS = frozenset("贷付花宝呗卡")
# Endings of deposit and insurance products (丰穗存, 岚穗保) that end a name only after an unknown span of two
# characters or more that jieba's dictionary does not list either: one character and 存 are a phrase (刚存: "just
# deposited"), and a listed word before 存 is what is deposited (压岁钱存定期, 房款存大额存单).
_WORD_ENDINGS = frozenset("存保")
_VERB_ASPECTS = frozenset("了着过到进入在")  # 压岁钱|存|了: 存 is the verb
# People of a customer's story (孙女, 表哥, 老铁, 同事): kin and companions, a closed class of general Chinese. Rare
# words, but never the product a question is about: "孙女的定期存款提前取利息怎么算" was handed off as a term
# the knowledge base never wrote.
_PERSON = re.compile(r"([爸妈爹娘爷奶姥姨舅叔婶姑伯父母哥姐弟妹孙侄甥婆媳婿儿女娃夫妻]|丈人|同事|朋友|邻居|同学|舍友|室友|"
                     r"闺蜜|男友|女友|房东|月嫂|保姆|老铁|老乡)$")
_PROPER_NAME_TAGS = frozenset({"nr", "ns", "nt", "nz", "nrt", "nrfg"})  # jieba's guesses of a person, place, organisation
_LOAN_ENDINGS = frozenset("贷呗")  # endings that begin no everyday word after a name (付款, 卡里, 花钱 do)
# Parts of speech of a single character (jieba.posseg) that do not begin a name unless it ends like one:
# adverbs, pronouns, prepositions, conjunctions — 刚开, 就办 are phrases; 还呗 is a name. A verb begins a
# phrase only before a generic object or a word the knowledge base writes (帮人, 补 + 新卡), since verbs
# begin the banking terms customers bring (动账短信, 上门服务).
_PHRASE_STARTS = frozenset({"d", "r", "p", "c"})
_GENERIC_OBJECTS = frozenset({"人", "钱", "事"})
# Parts of speech of single characters that are no part of a name: prepositions, conjunctions, particles, pronouns.
_NO_NAME_TAGS = (_PHRASE_STARTS - {"d"}) | {"u"}
_DESCRIPTOR = re.compile(r"[型式类性]$")  # 储蓄型, 稳健型: a kind of a known thing, not a name
_LOCATIVE = re.compile(r"[时后前中]$")  # 贷时 in 消费贷时: "when …", split wrongly from the word before
_PLACE = re.compile(r".(里面|上面|下面|外面|里边|上边|里头)$")  # 往里面: "into it", glued to its preposition
_BANK_SHORT_NAME = re.compile(r"^[\u4e00-\u9fff]{1,2}行$")  # 招行, 工行
_SOME_BANK = re.compile(r"^[他外本我你贵该此同跨各别哪某]行$")  # 他行, 外行: banks in general, or this one
_DEMONSTRATIVES = frozenset({"这种", "那种", "这个", "那个", "这样", "那样", "个", "这么个", "那么个", "怎么个", "这样个"})
_TOWARDS = frozenset("想要去找问请让叫告催换查")  # "想查|银行", "去找|银行": verbs whose object the bank is
# 一个叫X的App, 有个叫X的平台: X names an app, a platform or a product ("有个叫王经理的人", "有个叫我先交钱的贷款公司" do not)
_CALLED = re.compile(r"个叫(?:做)?(?![我你他她它您人])([\u4e00-\u9fffa-z]{2,8}?)的(?=app|软件|平台|产品|小程序|网贷|贷款|理财)")
_COUNTED = re.compile(r"[一二两三四五六七八九十几多每这那哪]*[笔个张家条份项]")  # 两笔 (网贷): a count, not a name


@dataclass(frozen=True)
class UnknownTerm:
    text: str
    institution: bool = False  # another institution's name, or a product of one
    subject: bool = False  # it stands where the question's subject stands (see the module's docstring)


class OpenWorld:
    """Built once per published vocabulary (`open_world_for`)."""

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self._frequency = jieba_module().dt.FREQ
        self.characteristic = characteristic_words(vocabulary)  # 逾期, 年费, 额度, 挂失…

    def terms(self, text: str) -> list[UnknownTerm]:
        """The unknown terms of a normalised question (or of the asking part of a long one), in order."""
        import jieba.posseg

        pairs = self._split_name_endings(_join_latin_infixes([(word.word, word.flag)
                                                                for word in jieba.posseg.lcut(text)]))
        tokens = [word for word, _ in pairs]
        tags = [flag for _, flag in pairs]
        marked = self._mark(tokens, tags)
        found: list[UnknownTerm] = []
        i = 0
        while i < len(tokens):
            if not marked[i]:
                i += 1
                continue
            j = i
            while j < len(tokens) and marked[j]:
                j += 1
            term = self._judge(tokens, tags, i, j)
            if term:
                found.append(term)
            i = j
        for name in _CALLED.findall(text):  # "一个叫安心花的App": named so, whatever its words (and without 叫)
            if not self.vocabulary.knows(name):
                found = [term for term in found if name not in term.text and term.text not in name]
                found.append(UnknownTerm(name, subject=True))
        for i, token in enumerate(tokens):  # institution names jieba keeps whole: 招商银行, 华泰证券
            suffix = INSTITUTION_SUFFIX.search(token)
            if suffix and not marked[i] and len(token) > len(suffix.group(1)) and not _DETERMINERS.match(token) \
                    and not self.vocabulary.knows(token[:-len(suffix.group(1))] + suffix.group(1)[0]):
                found.append(UnknownTerm(token, institution=True))
        return found

    def _split_name_endings(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """咕咕|贷借 → 咕咕|贷|借: a word that starts with a loan product's ending (贷借) right after a rare
        word the knowledge base never writes gives that ending to the name, so the reply names 咕咕贷."""
        out: list[tuple[str, str]] = []
        for word, flag in pairs:
            previous = out[-1][0] if out else ""
            if len(word) == 2 and word[0] in _LOAN_ENDINGS and _CJK.match(word) and previous and _CJK.match(previous) \
                    and self._frequency.get(previous, 0) < EVERYDAY_FREQUENCY and not self.vocabulary.knows(previous):
                out += [(word[0], "n"), (word[1], dictionary_tag(word[1]))]
            else:
                out.append((word, flag))
        return out

    def _mark(self, tokens: list[str], tags: list[str]) -> list[bool]:
        """Tokens that belong to an unknown span: a rare word the knowledge base never writes, or two single
        characters that form no word of either."""
        marked = [False] * len(tokens)
        for i, token in enumerate(tokens):
            if not _NAME.match(token) or token in GRAMMAR_CHARS:
                continue
            if len(token) == 3 and token[0] == token[2] and token[1] in "不没":  # 算不算, 是不是: asking forms
                continue
            if said_twice(token) and not _ends_a_name(tokens, i + 1):  # 管管, 查查: a verb said lightly (花花卡: a name)
                continue
            if len(token) >= 2:
                # 上门来 (jieba's one token): a word the knowledge base writes and the direction of its motion, or
                # the office where it is done (公证处: "需要去公证处公证吗" asks whether 公证 is needed)
                known_stem = len(token) > 2 and token[-1] in "来去处" and self.vocabulary.knows(token[:-1])
                if not self.vocabulary.knows(token) and self._frequency.get(token, 0) < EVERYDAY_FREQUENCY \
                        and not known_stem and not _guessed_phrase(tokens, tags, i) and not self._way_of_doing(tokens, i):
                    marked[i] = True
            elif i + 1 < len(tokens) and len(tokens[i + 1]) == 1 and _CJK.match(tokens[i + 1]) \
                    and tokens[i + 1] not in GRAMMAR_CHARS:
                pair = token + tokens[i + 1]
                if tags[i][:1] == tags[i + 1][:1] == "v":  # 弄丢, 急死: an action and its result, not a name
                    continue
                # 账|比: a preposition, a conjunction, a particle or a pronoun begins or ends no name; 妈|买, 钱|够: a
                # noun and the verb it does. (Numbers and measure words do: 月|付 of 抖音月付, 度|小|满.)
                if {tags[i][:1], tags[i + 1][:1]} & _NO_NAME_TAGS or (tags[i], tags[i + 1][:1]) == ("n", "v"):
                    continue
                if pair not in self.vocabulary and not self._frequency.get(pair):
                    marked[i] = marked[i + 1] = True
        return marked

    def _way_of_doing(self, tokens: list[str], i: int) -> bool:
        """X法 that no dictionary lists, after a demonstrative, X beginning a word the knowledge base characterises:
        "这么个催法合规吗" asks about the way of dunning (催收), "这种存法利息怎么算" the way of depositing (存款). A
        product is named without one ("信法逾期会上征信吗"), and not before a name's ending (这种催法贷)."""
        token = tokens[i]
        return len(token) == 2 and token[1] == "法" and i > 0 and tokens[i - 1] in _DEMONSTRATIVES \
            and not dictionary_tag(token) and not _ends_a_name(tokens, i + 1) \
            and any(word.startswith(token[0]) for word in self.characteristic)

    def _judge(self, tokens: list[str], tags: list[str], start: int, end: int) -> UnknownTerm | None:
        # Chinese product names end in a handful of morphemes (…贷, …付, …花, …宝, …呗, …卡): one right after
        # the span belongs to the name ("咕咕" + "贷").
        head = "".join(tokens[start:end])
        person = _PERSON.search(head)  # before a name's ending is added: 孙女|存
        shaped = _ends_a_name(tokens, end) or (end < len(tokens) and tokens[end] in _WORD_ENDINGS and len(head) > 1
                                                and not dictionary_tag(head) and not person
                                                and "".join(tokens[end + 1:end + 2]) not in _VERB_ASPECTS)
        ends_like_name = end - start > 1 and tokens[end - 1] in _LOAN_ENDINGS and end < len(tokens) \
            and _NAME.match(tokens[end]) is not None  # 借|呗 + 可以…: the name already ends like one (not 钱|卡)
        if shaped:
            end += 1
        span = "".join(tokens[start:end])
        if _DETERMINERS.match(span) or _SOME_BANK.match(span):
            return None
        following = [t for t in tokens[end:end + 2] if t not in _LINKS]
        after = following[0] if following else ""
        suffix = INSTITUTION_SUFFIX.search(span)
        # 有笔|网贷, 两笔|网贷, 两张|卡: a count of a known kind of thing, no name
        if _COUNTED.fullmatch(span[:suffix.start()] if suffix else span[:-1] if shaped else span):
            return None
        if suffix or _BANK_SHORT_NAME.match(span):
            return UnknownTerm(span, institution=True)
        # "星海|银行" names one; "跟|银行" (after a preposition), "上门来的|银行" (a modifier), "被骗后|银行" (a
        # time or place word ends the phrase before it) and "想查|银行" (`_takes_an_object`) mean the bank
        if INSTITUTION_SUFFIX.fullmatch(after) and end < len(tokens) and tokens[end] == after \
                and tags[end - 1][:1] not in {"p", "c", "f"} \
                and not self._takes_an_object(tokens[end - 1], tags[end - 1]):
            return UnknownTerm(span + after, institution=True)
        if self._phrase(span, tokens[start - 1] if start else ""):  # after institutions: 招 of 招行 is a verb
            return None
        named = end - start > 1 or tags[start] in _NAME_TAGS
        # "还个零头", "买一份意外险": a counted thing is an everyday noun, not the product the question is about.
        counted = start > 0 and tags[start - 1] in {"m", "q", "mq"}
        before = tokens[max(0, start - 2):start]
        # "在菜市场弄丢了", "在菜市场买东西": after 在, a place where something other than banking happened (a
        # non-banking verb, or buying an everyday thing the knowledge base does not characterise), not a product
        located = "在" in before and end < len(tokens) and tags[end][:1] == "v" and tokens[end] not in self.characteristic \
            and (tokens[end] not in _VERBS_BEFORE or (tokens[end] == "买" and self._everyday_thing(tokens[end + 1:end + 2])))
        characteristic = after and (after in self.characteristic or after[:2] in self.characteristic)
        subject = bool(shaped or ends_like_name or characteristic
                       or (not counted and any(word in _VERBS_BEFORE for word in before) and not located)
                       or (start > 0 and tokens[start - 1] == "在" and end < len(tokens) and tokens[end] in {"上", "里"}))
        return UnknownTerm(span, subject=subject and not person) if named else None

    def _takes_an_object(self, token: str, tag: str) -> bool:
        """Whether a token before 银行 is a word jieba guessed that begins with wanting or doing something to someone
        (想查, 去找): the bank is its object. A verb of its dictionary may head a name (远航, 创兴银行)."""
        return tag[:1] == "v" and not self._frequency.get(token) and token[0] in _TOWARDS

    def _everyday_thing(self, words: list[str]) -> bool:
        return bool(words) and words[0] not in self.characteristic and words[0] not in _LINKS \
            and self._frequency.get(words[0], 0) >= EVERYDAY_FREQUENCY

    def _phrase(self, span: str, previous: str) -> bool:
        """Whether a span is everyday wording rather than a name: it starts with an adverb, pronoun,
        preposition or conjunction and does not end like a name, it is two single characters that read as a modifier
        and its verb or a word and its adverb (新办, 爸老), it is a verb with a generic object (帮人) or
        with a word the knowledge base writes (补 + 新卡), it names a kind (储蓄型) or a place (往里面), or it is
        "when …" cut from the word before (消费 + 贷时), or a place in an everyday thing (包里)."""
        if (_DESCRIPTOR.search(span) and len(span) > 1) or _PLACE.search(span):
            return True
        if len(span) > 1 and span[-1] in "里上内" and self._frequency.get(span[:-1], 0) >= EVERYDAY_FREQUENCY:
            return True
        if _LOCATIVE.search(span) and len(span) > 1 and (self.vocabulary.knows(previous + span[:-1])
                                                          or (len(span) > 2 and self.vocabulary.knows(span[:-1]))):
            return True
        tag, rest = dictionary_tag(span[0]), span[1:]
        # two single characters: a modifier and its verb ("新办的储蓄卡"), or a word and the adverb after it ("我爸老接到
        # …电话": 老 = always) — the reply named “新办” and “爸老” as products
        if len(span) == 2 and span[1] not in _NAME_ENDINGS and (
                (tag == "a" and dictionary_tag(span[1])[:1] == "v") or dictionary_tag(span[1]) in {"a", "d"}):
            return True
        if len(rest) >= 2 and tag in _PHRASE_STARTS | {"v"} and self.vocabulary.knows(rest):
            return True
        if tag == "v":
            return rest[:1] in _GENERIC_OBJECTS
        return tag in _PHRASE_STARTS and span[-1] not in _NAME_ENDINGS


def _ends_a_name(tokens: list[str], k: int) -> bool:
    """Whether token k is a product name's ending (…贷, …卡); 呗 ending a clause is a particle (给首诗呗，)."""
    if k >= len(tokens) or tokens[k] not in _NAME_ENDINGS:
        return False
    return tokens[k] != "呗" or (k + 1 < len(tokens) and _NAME.match(tokens[k + 1]) is not None)


def _guessed_phrase(tokens: list[str], tags: list[str], i: int) -> bool:
    """A rare two-character word (jieba guessed it, or lists it seldom) that reads as two words by their own parts
    of speech, as two single characters would (`OpenWorld._mark`): a particle or preposition in it (经营|贷被|要求),
    "a bit" after a verb or a place (换点美元, 手机上点的), or, in a word the dictionary does not list, a verb and its
    result (没退; a listed one may be a name: 借借|花). Never one that ends like a product (好|邻贷), that jieba takes
    for a name (招联, tagged an organisation), or that a name's ending or an institution's follows: then it is a
    name's head (金点|贷, 被窝|贷, 同心|银行; a verb and its result may still come before 卡, 付, 花 as before any
    object: 取完|卡). The word is token i."""
    token = tokens[i]
    if len(token) != 2 or not _CJK.match(token) or token[-1] in _NAME_ENDINGS or tags[i] in _PROPER_NAME_TAGS:
        return False
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    institution = bool(INSTITUTION_SUFFIX.fullmatch(after))
    ending = _ends_a_name(tokens, i + 1)
    first, second = dictionary_tag(token[0]), dictionary_tag(token[1])
    if {first[:1], second[:1]} & _NO_NAME_TAGS or token[1] in "点些":
        return not (institution or ending)
    return not dictionary_tag(token) and (first[:1] == second[:1] == "v" or (first, second[:1]) == ("n", "v")) \
        and not institution and after not in _LOAN_ENDINGS


def _join_latin_infixes(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """速|e|花 → 速e花: a product name with a Latin letter or two inside it (融e借, 快e贷) is one name. Not
    after or before a function character (我的ii类户, 买了a股), and not Latin words (atm, app)."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(pairs):
        word = pairs[i][0]
        if _LATIN_INFIX.match(word) and out and i + 1 < len(pairs) and _CJK.match(out[-1][0]) \
                and _CJK.match(pairs[i + 1][0]) and out[-1][0][-1] not in GRAMMAR_CHARS \
                and pairs[i + 1][0][0] not in GRAMMAR_CHARS:
            out.append((out.pop()[0] + word + pairs[i + 1][0], "nz"))
            i += 2
            continue
        out.append(pairs[i])
        i += 1
    return out


def open_world_for(vocabulary: Vocabulary) -> OpenWorld:
    found = vocabulary.derived.get("open_world")
    if found is None:
        found = vocabulary.derived["open_world"] = OpenWorld(vocabulary)
    return found
