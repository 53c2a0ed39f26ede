"""One hand-off policy: reason codes, priorities, deadlines and what the customer is told next."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from ..config import Settings

REASON_LABELS = {
    "fraud_in_progress": "疑似正在遭遇诈骗",
    "unauthorized_transaction": "疑似盗刷或非本人交易",
    "suspected_emergency": "疑似诈骗或非本人交易（模型识别，请核实）",
    "complaint": "客户投诉",
    "escalation_threat": "表示将向监管、媒体或法院反映",
    "own_account": "涉及客户本人账户或信息",
    "abuse_distress": "客户情绪激动或处于困境",
    "vulnerable_decision": "特殊群体的大额或复杂决定",
    "human_request": "客户要求人工服务",
    "low_confidence": "智能助手无法确定答案",
    "figure_not_in_knowledge": "知识库中没有客户所问的具体数值",
    "subject_not_in_knowledge": "知识库中没有客户所问的产品或事项",
    "term_not_in_knowledge": "客户提到的产品或名词在知识库中从未出现",
    "attribute_not_in_knowledge": "知识库中没有客户所问的具体事项（如期限、流程、条件）",
    "repeated_failure": "多次未能解决客户问题",
    "llm_judged_unanswered": "大模型判断现有资料未回答客户的问题",
}

# Hand-offs that mean the knowledge did not serve the question (the gap report lists them; evaluation
# reads what was retrieved for them), unlike those a rule or a hand-off card decides by design.
GAP_HANDOFF_REASONS = ("low_confidence", "repeated_failure", "figure_not_in_knowledge", "subject_not_in_knowledge",
                       "term_not_in_knowledge", "attribute_not_in_knowledge", "llm_judged_unanswered")


CARD_REASON = "card:"  # the reason of a card that requires a hand-off: card:<card id>
CARD_HANDOFF = "知识卡片要求转人工"


def reason_label(reason: str | None, card_title: Callable[[str], str | None] | None = None) -> str:
    """The reason as staff read it. With `card_title` (card id -> title, None when unknown), a card's hand-off
    names the card: 卡片规定转人工：信用卡被盗刷 (without it, every card reads 知识卡片要求转人工)."""
    if not reason:
        return ""
    if reason.startswith(CARD_REASON):
        if card_title is None:
            return CARD_HANDOFF
        card_id = reason.removeprefix(CARD_REASON)
        return f"卡片规定转人工：{(card_title(card_id) or card_id).removesuffix('（转人工）')}"
    return REASON_LABELS.get(reason, reason)


class HandoffPolicy:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.zone = ZoneInfo(settings.timezone)

    def deadline(self, reason: str, priority: str, now_utc: dt.datetime) -> dt.datetime:
        """UTC deadline (naive) for a ticket; a complaint carries the regulation's decision limit."""
        if reason == "complaint":
            return now_utc + dt.timedelta(days=self.settings.complaint_decision_days)
        hours = {"urgent": self.settings.deadline_hours_urgent, "high": self.settings.deadline_hours_high}.get(
            priority, self.settings.deadline_hours_normal)
        return now_utc + dt.timedelta(hours=hours)

    def in_office_hours(self, now_utc: dt.datetime) -> bool:
        local = now_utc.replace(tzinfo=dt.timezone.utc).astimezone(self.zone)
        if str(local.isoweekday()) not in self.settings.office_weekdays:
            return False
        return self.settings.office_open <= local.strftime("%H:%M") < self.settings.office_close

    def office_hours_text(self) -> str:
        names = "一二三四五六日"
        days = self.settings.office_weekdays
        if not days:  # no office days: the desk is staffed for urgent matters only, through the hotline
            return "暂未开放"
        if days == "12345":
            span = "周一至周五"
        elif days == "1234567":
            span = "每天"
        else:
            span = "、".join("周" + names[int(d) - 1] for d in days)
        return f"{span} {self.settings.office_open}–{self.settings.office_close}"

    def next_steps(self, ticket_id: str, priority: str, now_utc: dt.datetime, *, experts_online: bool = True) -> str:
        """What happens next, told to the customer with the ticket number. When no expert can answer now,
        the customer is asked for a number (the chat shows the callback form) instead of being promised
        a call nobody can make."""
        hotline = self.settings.hotline
        if not self.in_office_hours(now_utc):
            return (f"工单号：{ticket_id}。当前为非工作时间（人工服务时间：{self.office_hours_text()}），"
                    f"紧急情况请拨打24小时客服热线{hotline}。如需回电，请在下方留下您的电话号码，"
                    "专家会在下一个工作时间回电联系您。")
        if not experts_online:
            return (f"工单号：{ticket_id}。人工专家暂时都不在线，您可以留在本页面等待，或在下方留下电话号码，"
                    f"专家会尽快回电；如情况紧急，请拨打客服热线{hotline}。")
        wait = "人工专家会优先处理，请留在本页面" if priority == "urgent" else "人工专家会尽快在此对话中回复您"
        return f"工单号：{ticket_id}。{wait}；如情况紧急，也可拨打客服热线{hotline}。"
