"""Whether a question is about banking at all: a question the assistant cannot answer goes to an expert when it
is, and is refused as out of scope when it is not.

Two sources: the words of `domain.yaml` (银行, 卡, 贷…: data like the other vocabularies), and the knowledge base's
own topical words — nouns and verbs of general Chinese that it writes far more often than general Chinese does (受理,
搭售, 跟进, 窗口…), derived from each published vocabulary. "碰到被强制搭售，该怎么反映？" names no word of the list, and
was refused as out of scope before the second source.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from ..retrieval.vocabulary import Vocabulary
from .coverage import TELLING_WEIGHT, asking_words, surprisal
from .slots import asked_slots
from .wording import dictionary_tag, frequent_in_knowledge, jieba_module

DOMAIN_FILE = Path(__file__).with_name("domain.yaml")
TOPICAL_RATIO = 5.0  # log-ratio of a word's share of the knowledge base's units to its share of general Chinese
_THING_TAGS = ("n", "j")  # jieba's nouns (names of people, places, organisations too) and abbreviations (奥运)


@lru_cache(maxsize=1)
def _domain_words() -> re.Pattern:
    words = yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["words"]
    return re.compile("|".join(re.escape(str(word)) for word in words))


def topical_words(vocabulary: Vocabulary) -> frozenset[str]:
    """Nouns and verbs of jieba's dictionary that the knowledge base writes far more often than general Chinese (受理,
    跟进; not 多少 or 到底, which its phrasings use but every text does; not 小时, 意思 or 网站, below the ratio). In
    the default lexical index its tokens are character pairs, so these are words of two characters."""
    return frequent_in_knowledge(vocabulary, "topical", TOPICAL_RATIO, lambda token, common: len(token) >= 2
                                 and common > 0 and dictionary_tag(token)[:1] in ("n", "v"))


def is_about_banking(text: str, vocabulary: Vocabulary | None = None) -> bool:
    """True when a normalised question names anything of banking: a word of domain.yaml, or (given the published
    vocabulary) one of the knowledge base's topical words."""
    if _domain_words().search(text):
        return True
    return vocabulary is not None and any(word in topical_words(vocabulary) for word in jieba_module().lcut(text))


def names_another_matter(text: str, vocabulary: Vocabulary) -> bool:
    """True when a normalised message names a thing of general Chinese that the knowledge base never writes: a telling
    noun of jieba's dictionary it has no pair of (世界杯, 月亮, 电视剧) — a matter of its own, not one of banking. Not a
    customer's own coinage (哪年, 提完: jieba's dictionary lacks them too), and no verb or adverb: 累计, 总共, 出差 are
    how customers ask more of the same matter ("那一年累计呢？" after a question on a daily limit). Nor a word that asks for
    a kind of figure (封顶: "一年下来有封顶没" asks the most of the same matter; slots.py)."""
    frequency = jieba_module().dt.FREQ
    return any(surprisal(word) >= TELLING_WEIGHT and frequency.get(word) and dictionary_tag(word)[:1] in _THING_TAGS
               and not vocabulary.knows(word) and not asked_slots(word) for word in asking_words(text))
