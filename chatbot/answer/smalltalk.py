"""Messages that ask nothing of the knowledge base: a greeting ("你好"), thanks or an acknowledgement ("好的，谢谢",
"明白了"), the customer's own plan ("好的我明天自己带身份证去柜台挂失"), or a question about the assistant itself ("你是机器人
吗", "你叫什么名字"). They were refused as out of scope or handed off as questions nobody could answer; they get a short
reply instead (the assistant says what it is, and that a person is a click away). The rules run first: a plan that tells
of fraud ("我这就去ATM转给他") is never small talk."""

from __future__ import annotations

import re
from typing import Literal

from .wording import ASKING_WORDS

SmallTalk = Literal["greeting", "thanks", "plan", "identity"]

_PARTICLES = re.compile(r"[\s,.!?~～。，！？、]|[啊呀哈嘛呢哦噢喔啦嘞]")
_GREETING = re.compile(r"^(你好|您好|你们好|在吗|在不在|hi|hello|hey|嗨|哈喽|早上好|上午好|中午好|下午好|晚上好|早)+$")
_THANKS = re.compile(r"^(好的?|嗯+|ok|okay|行|可以了?|没问题|明白了?|知道了|了解了?|清楚了|懂了|收到了?|原来如此)*"
                     r"(谢谢|多谢|感谢|谢了|谢啦|thanks|thankyou|thx|辛苦了?)?(你|您|你们)?$")
# Who or what answers: "你是机器人吗", "你现在是人工还是机器人", "你叫什么名字", "你是男的女的", "谁开发的你".
_WHO = r"(人工客服|真人客服|机器人客服|智能客服|人工智能|机器人|真人|人工|客服|人|ai|程序|chatgpt|gpt)"
_IDENTITY = re.compile(
    rf"^(你好|您好)?(请问)?(你|您)(现在|到底|究竟)?(是不是|是)(谁|哪位|(一个|个|一位|位)?{_WHO}((还是|或者|或)(一个|个|一位|位)?{_WHO})?|男的?(还是|或)?女的?"
    r"|男生(还是)?女生)(吗|么|吧)?$"
    r"|^(请问)?(你|您)(叫什么|叫啥)(名字)?$|^(你|您)(今年)?(几岁|多大)了?$|^谁(开发|做|造|训练|设计)的(你|您)$")
# "我(明天/自己…)去/带/到…": what the customer will do, with no question in it.
_PLAN = re.compile(r"^(好的?|嗯|行|ok|那|那就|那我)*我?(自己|明天|今天|后天|回头|等会儿?|一会儿?|下午|上午|晚点|马上|这就|先|再)*"
                   r"(去|带|到|回去|过去|找时间)[^?？吗么呢]{0,24}$")
# Moving money is never small talk, whatever the rules say: "我去ATM转给他" may be a fraud about to happen.
_MONEY = re.compile(r"转|汇|付|打钱|充值|给他|给她|给对方")


def small_talk(text: str) -> SmallTalk | None:
    """What kind of message that asks nothing a (normalised) message is, if it is one."""
    bare = _PARTICLES.sub("", text)
    if not bare:
        return None
    if _GREETING.match(bare):
        return "greeting"
    if _THANKS.match(bare):
        return "thanks"
    if _IDENTITY.match(bare):
        return "identity"
    asks = re.search(r"[?？]", text) or ASKING_WORDS.search(text)
    if not asks and not _MONEY.search(text) and _PLAN.match(re.sub(r"(谢谢|多谢|感谢)(你|您)?$", "", bare)):
        return "plan"
    return None


# A clause's end, or a question's without punctuation (吗, 吧, 么 — not 什么 or 怎么), with the punctuation after it
_PUNCTUATION = r"[,，.。!！?？~～;；\s]"
_ASIDE_END = re.compile(rf"{_PUNCTUATION}+|((?<=[吗吧])|(?<=[^什怎这那要多]么)){_PUNCTUATION}*")


def without_aside(text: str) -> str:
    """A (normalised) message without the greeting or question about the assistant it opens with, when something
    follows: "你是真人吗?我刚转了三万" (or without the question mark) tells of money sent, "你好,你是真人吗?信用卡年费怎么收"
    asks about a fee. Read whole, the aside's words (真人, 你好) led retrieval and the rules away from what follows."""
    for end in _ASIDE_END.finditer(text):
        rest = text[end.end():]
        if rest and small_talk(text[:end.start()]) in ("greeting", "identity"):
            return without_aside(rest)
    return text
