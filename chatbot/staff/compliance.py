"""Compliance check of an expert's draft reply before it is sent."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..phrases import FORBIDDEN_PHRASES
from ..pii import find_pii

_WEALTH_TOPIC = re.compile(r"理财|基金|保险|投资|收益|分红|净值|代销|年金")
_RISK_DISCLOSURE = re.compile(r"有风险|风险提示|投资须谨慎|不保证本金|不承诺收益|不代表未来|非存款|可能亏损|可能损失|风险等级|风险承受")


@dataclass(frozen=True)
class Finding:
    rule: str  # forbidden_phrase | card_number | id_number | phone_number | missing_risk_disclosure
    message: str  # shown to the expert, in Chinese
    excerpt: str = ""


def check_draft(draft: str, *, topic: str | None = None) -> list[Finding]:
    """Everything wrong with a draft; an empty list means it may be sent."""
    findings: list[Finding] = []
    for phrase in FORBIDDEN_PHRASES:
        if phrase in draft and not any(phrase in longer and longer in draft
                                       for longer in FORBIDDEN_PHRASES if longer != phrase and phrase in longer):
            findings.append(Finding("forbidden_phrase", f"含禁用销售用语“{phrase}”，请删除或改为客观表述。", phrase))
    labels = {"id_number": "身份证号", "card_number": "银行卡号", "phone_number": "手机号"}
    for match in find_pii(draft):
        findings.append(Finding(match.kind, f"含未脱敏的{labels[match.kind]}，请只保留后四位或删除。",
                                draft[match.start:match.end]))
    wealth = topic == "wealth_insurance" or bool(_WEALTH_TOPIC.search(draft))
    if wealth and not _RISK_DISCLOSURE.search(draft):
        findings.append(Finding("missing_risk_disclosure",
                                "涉及理财或保险产品，缺少风险提示（如“理财非存款，产品有风险，投资须谨慎”）。"))
    return findings
