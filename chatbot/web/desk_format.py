"""What the expert desk shows, as HTML: the ticket, its transcript (the triggering message highlighted,
each side in its own colour), the record of who did what, and the suggested reply. Pure functions,
unit-tested. Customer text is always shown as plain text (escaped), never as Markdown or HTML."""

import html
from zoneinfo import ZoneInfo

from ..conversations.handoff import reason_label
from ..conversations.models import TicketEvent
from ..staff.accounts import StaffDirectory
from ..staff.compliance import Finding
from ..staff.desk import (PRESENCE_LABELS, QUEUE_LABELS, RESOLUTIONS, TicketView, local_time, priority_label,
                          status_label)
from ..staff.suggest import Suggestion

CSS = """
.xb-transcript { max-height: 520px; overflow-y: auto; }
.xb-msg { padding: 6px 10px; margin: 6px 0; border-radius: 8px; white-space: pre-wrap; }
.xb-msg-user { background: #eff6ff; border-left: 4px solid #3b82f6; }
.xb-msg-assistant { background: #f3f4f6; border-left: 4px solid #9ca3af; }
.xb-msg-expert { background: #f0fdfa; border-left: 4px solid #0f766e; }
.xb-msg.xb-trigger { outline: 2px solid #dc2626; background: #fef2f2; }
.xb-trigger-tag { color: #dc2626; font-weight: 600; }
.xb-who { font-size: 0.85em; color: #4b5563; font-weight: 600; display: block; }
.xb-presence { font-weight: 600; }
.xb-presence-typing { color: #2563eb; }
.xb-presence-away { color: #dc2626; }
.xb-callback { background: #ecfdf5; border: 1px solid #10b981; border-radius: 6px; padding: 4px 8px; }
.xb-events { font-size: 0.9em; color: #374151; }
"""
WHO = {"user": "客户", "assistant": "智能助手", "expert": "人工专家"}


def plain(text: str | None) -> str:
    """Customer (or any stored) text as plain HTML text: escaped, line breaks kept."""
    return html.escape(text or "").replace("\n", "<br>")


def format_ticket(view: TicketView, zone: ZoneInfo, staff: StaffDirectory) -> str:
    ticket = view.ticket
    owner = staff.display_name(ticket.owner) if ticket.owner else "—"
    presence = view.presence
    identity = (f"已验证（客户号 {html.escape(view.customer_id)}）" if view.customer_id
                else "未验证（客户未登录或网站未提供签名身份；不关联历史记录）")
    lines = [
        f"<h3>工单 {html.escape(ticket.id)}</h3>",
        f"<p>原因：{html.escape(reason_label(ticket.reason))} · 优先级：{priority_label(ticket.priority)} · "
        f"状态：{status_label(ticket.status)} · 处理人：{html.escape(owner)} · "
        f"队列：{QUEUE_LABELS.get(view.queue, view.queue)} · 时限：{local_time(ticket.deadline, zone)}</p>",
        f'<p class="xb-presence xb-presence-{presence}">{PRESENCE_LABELS[presence]}</p>',
        f"<p><b>客户身份</b>：{identity}</p>",
    ]
    if view.callback is not None:
        if view.callback.phone:
            lines.append(f'<p class="xb-callback">回电号码：<b>{html.escape(view.callback.phone)}</b>'
                         f"（客户已同意回电，{local_time(view.callback.consented_at, zone)}）</p>")
        else:
            hint = "认领后显示" if ticket.status == "open" else "仅负责本工单的专家可见"
            lines.append(f'<p class="xb-callback">客户留下了回电号码（{hint}）。</p>')
    lines.append(f"<p><b>摘要</b><br>{plain(ticket.summary)}</p>")
    earlier = "、".join(html.escape(t.id) for t in view.earlier_tickets) or "无"
    lines.append(f"<p><b>该客户的其他工单</b>：{earlier}</p>")
    return "\n".join(lines)


def format_transcript(view: TicketView, zone: ZoneInfo, staff: StaffDirectory) -> str:
    """The conversation, oldest first; the message(s) that triggered the hand-off are highlighted."""
    items = []
    for message in view.transcript:
        who = WHO.get(message.role, message.role)
        if message.role == "expert" and message.author:
            who += f" · {html.escape(staff.display_name(message.author))}"
        trigger = message.id in view.trigger_ids
        tag = '<span class="xb-trigger-tag">【触发转人工】</span>' if trigger else ""
        items.append(f'<div class="xb-msg xb-msg-{message.role}{" xb-trigger" if trigger else ""}">'
                     f'<span class="xb-who">{who} · {local_time(message.created_at, zone)[11:]}</span>'
                     f"{tag}{plain(message.content)}</div>")
    return '<div class="xb-transcript">' + "".join(items) + "</div>"


def format_events(events: list[TicketEvent], zone: ZoneInfo, staff: StaffDirectory) -> str:
    if not events:
        return ""
    lines = [f"<li>{local_time(event.at, zone)} {event_text(event, staff)}</li>" for event in events]
    return '<div class="xb-events"><b>处理记录</b><ul>' + "".join(lines) + "</ul></div>"


def event_text(event: TicketEvent, staff: StaffDirectory) -> str:
    detail = event.details
    actor = {"customer": "客户", "assistant": "智能助手"}.get(event.actor) or staff.display_name(event.actor)
    note = f"：{html.escape(event.note)}" if event.note else ""
    match event.kind:
        case "created":
            what = f"创建工单（{reason_label(detail.get('reason'))}，{priority_label(detail.get('priority', ''))}）"
        case "escalated":
            what = (f"升级：{reason_label(detail.get('from_reason'))}（{priority_label(detail.get('from_priority', ''))}）"
                    f" → {reason_label(detail.get('reason'))}（{priority_label(detail.get('priority', ''))}）")
        case "claimed":
            what = "认领"
        case "transferred" if detail.get("to_expert"):
            what = f"转交给 {html.escape(staff.display_name(detail['to_expert']))}"
        case "transferred":
            what = f"转回{QUEUE_LABELS.get(detail.get('to_queue'), detail.get('to_queue'))}"
        case "resolved":
            what = f"办结（{RESOLUTIONS.get(detail.get('resolution'), detail.get('resolution'))}）"
        case "returned":
            what = "返回智能助手，结束了人工服务请求"
        case "callback_left":
            what = "留下回电号码"
            note = f"（{html.escape(event.note.removeprefix('回电号码 '))}）"
        case _:
            what = html.escape(event.kind)
    return f"{html.escape(actor)} {what}{note}"


def format_suggestion(suggestion: Suggestion, title: str = "建议回复") -> str:
    answer = suggestion.answer
    confidence = f"（置信度 {answer.confidence:.2f}）" if answer.confidence else ""
    parts = [f"<p><b>{title}</b>{confidence}</p><p>{plain(suggestion.text)}</p>"]
    if answer.citations:
        parts.append("<p><b>依据</b></p><ul>" + "".join(f"<li>{html.escape(c.title)}</li>" for c in answer.citations)
                     + "</ul>")
    if suggestion.reminders:
        parts.append("<p><b>话术提醒</b></p><ul>"
                     + "".join(f"<li>【提醒】{html.escape(r)}</li>" for r in suggestion.reminders) + "</ul>")
    return "\n".join(parts)


def format_findings(findings: list[Finding]) -> str:
    if not findings:
        return "**【通过】** 合规检查通过，可以发送。"
    return "**【未通过】** 未通过合规检查：\n" + "\n".join(f"- {html.escape(f.message)}" for f in findings)
