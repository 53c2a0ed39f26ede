"""A ticket's summary for the expert, from the moment of hand-off: why (and why before, after an
escalation), an LLM summary when one is configured, and what the customer said in the message that
triggered the hand-off and after it — not what the session asked earlier."""

from __future__ import annotations

from .handoff import reason_label
from .models import Message

TRIGGER_PREFIX = "触发消息："
ADDED_PREFIX = "客户补充："
NO_TRIGGER = "客户点击了“转人工”，尚未说明问题。"
ADDED_SHOWN = 5  # the latest messages the customer added after the trigger


def since_trigger(messages: list[Message], trigger_message_id: int | None) -> list[Message]:
    """The conversation from the triggering message on (all of it after the last assistant answer when
    the hand-off had no message of its own)."""
    if trigger_message_id is None:
        return messages
    return [m for m in messages if m.id >= trigger_message_id]


def customer_lines(messages: list[Message], trigger_message_id: int | None) -> list[str]:
    said = [m for m in since_trigger(messages, trigger_message_id) if m.role == "user"]
    trigger = next((m for m in said if m.id == trigger_message_id), None)
    lines = [TRIGGER_PREFIX + trigger.content] if trigger else [TRIGGER_PREFIX + NO_TRIGGER]
    added = [m for m in said if m is not trigger][-ADDED_SHOWN:]
    return lines + [ADDED_PREFIX + m.content for m in added]


def ticket_summary(messages: list[Message], *, reason: str, trigger_message_id: int | None,
                   topic: str | None = None, earlier_reason: str | None = None, generator=None) -> str:
    lines = [f"转人工原因：{reason_label(reason)}"]
    if earlier_reason and earlier_reason != reason:
        lines.append(f"此前转人工原因：{reason_label(earlier_reason)}（已升级）")
    relevant = since_trigger(messages, trigger_message_id)
    if generator is not None and any(m.role == "user" for m in relevant):
        summary = generator.summarize([m.as_turn() for m in relevant], reason_label(reason))
        if summary:
            lines.append(f"对话摘要：{summary}")
    if topic and topic != "handoff":
        lines.append(f"匹配主题：{topic}")
    return "\n".join(lines + customer_lines(messages, trigger_message_id))


def refresh_summary(summary: str, messages: list[Message], trigger_message_id: int | None) -> str:
    """The summary with what the customer said since the hand-off brought up to date (the reason and
    any LLM summary are kept as they were written)."""
    kept = [line for line in summary.split("\n")
            if line and not line.startswith((TRIGGER_PREFIX, ADDED_PREFIX, "客户："))]
    return "\n".join(kept + customer_lines(messages, trigger_message_id))
