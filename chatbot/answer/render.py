"""Approved text as a customer reads it: cards and rule messages are written for the demo bank
(`config.DEMO_BANK_NAME`, its hotline `config.DEMO_HOTLINE` or a `{hotline}` placeholder); a deployment
shows its own name and hotline."""

from __future__ import annotations

import re

from ..config import DEMO_BANK_NAME, DEMO_HOTLINE, Settings


def render(text: str, settings: Settings) -> str:
    text = text.replace("{hotline}", settings.hotline).replace(DEMO_HOTLINE, settings.hotline)
    if settings.bank_name != DEMO_BANK_NAME:
        text = text.replace(DEMO_BANK_NAME, settings.bank_name)
    return text.strip()


# A card's answer may open with a bare verdict for its own yes-no question ("账户被司法冻结了，银行能帮我解冻吗？" →
# "不能。…"). Matched to a question asked with another verb ("银行有没有权利冻结我的账户"), the bare "不能。" answers
# what was not asked, and says the opposite of the truth; the sentences after it stand on their own.
_VERDICTS = {
    "可以": "能", "不可以": "能", "能": "能", "不能": "能",
    "会": "会", "不会": "会", "有": "有", "没有": "有", "需要": "需要", "不需要": "需要",
    "是": "是", "不是": "是", "不是固定的": "固定", "算": "算", "不算": "算", "合法": "合法", "不合法": "合法",
}
_ASKED_WITH = {
    "能": re.compile(r"能|可以|可不可以|行不行|行吗|成吗|可否|允许|准许"),
    # 会 asked as such ("会不会取消柜台", "会取消柜台吗"), not the 会 of "不会用手机，还能在柜台存钱吗" (know how to)
    "会": re.compile(r"会不会|会[^,.!?;]{0,12}(吗|么)"),
    "有": re.compile(r"有没有|有无|有[^,.!?;]{0,12}(吗|么)"),
    "需要": re.compile(r"需要|要不要|需不需要|必须|非得|用不用|得[^,.!?;]{0,8}(吗|么)|要[^,.!?;]{0,12}(吗|么)"),
    "是": re.compile(r"是不是|是否|是[^,.!?;]{0,12}(吗|么)"),
    "固定": re.compile(r"固定"),
    "算": re.compile(r"算"),
    "合法": re.compile(r"合法|违法|合规|违规|允许|可以吗|行吗"),
}
_OPENING_VERDICT = re.compile(r"^(" + "|".join(sorted(_VERDICTS, key=len, reverse=True)) + r")。")


def without_unasked_verdict(answer: str, question: str) -> str:
    """The answer without a bare opening verdict ("不能。") that the (normalised) question does not ask for."""
    found = _OPENING_VERDICT.match(answer)
    if found and not _ASKED_WITH[_VERDICTS[found.group(1)]].search(question):
        return answer[found.end():]
    return answer
