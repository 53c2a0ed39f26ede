"""The staff console (Gradio, Simplified Chinese) at /staff, behind a login: one builder per tab.

Each handler checks the signed-in user's role (web/access.py), so a tab that is visible is still
refused to a role that may not use it. Only opening a ticket asks the engine for a suggested reply;
claiming, sending and resolving redraw the ticket from the database.
"""

import html
import logging

import gradio as gr

from ..conversations.handoff import reason_label
from ..errors import DeskError
from ..publishing.admin import KnowledgeAdmin
from ..staff.accounts import StaffDirectory
from ..staff.compliance import Finding
from ..staff.desk import RESOLUTIONS, Desk, TicketView, deadline_text, priority_label, status_label, ticket_row
from ..staff.gaps import GapReporter
from .access import StaffAccess
from .knowledge_ui import build_knowledge_tab

logger = logging.getLogger(__name__)

QUEUE_HEADERS = ["工单号", "优先级", "原因", "状态", "处理人", "处理时限"]


def format_findings(findings: list[Finding]) -> str:
    if not findings:
        return "**【通过】** 合规检查通过，可以发送。"
    return "**【未通过】** 未通过合规检查：\n" + "\n".join(f"- {html.escape(f.message)}" for f in findings)


def plain(text: str) -> str:
    """Text someone typed, for a staff page: escaped HTML with line breaks, never Markdown (no remote
    images that would load in the expert's browser, no links)."""
    return html.escape(text or "").replace("\n", "<br>")


def format_transcript(view: TicketView) -> str:
    """The ticket as HTML (an HTML component, so that nothing a customer wrote is read as Markdown)."""
    names = {"user": "客户", "assistant": "智能助手", "expert": "人工专家"}
    ticket = view.ticket
    identity = (f"已验证（客户号 {html.escape(view.customer_id)}）" if view.customer_id
                else "未验证（客户未登录或网站未提供签名身份；不关联历史记录）")
    lines = [f"<p class='xb-line'><b>{names.get(m.role, m.role)}</b>：<span class='xb-plain'>{plain(m.content)}</span></p>"
             for m in view.transcript]
    earlier = "、".join(html.escape(t.id) for t in view.earlier_tickets) or "无"
    return (f"<div class='xb-ticket'><h3>工单 {html.escape(ticket.id)}</h3>"
            f"<p>原因：{html.escape(reason_label(ticket.reason))} · 优先级：{priority_label(ticket.priority)} · "
            f"状态：{status_label(ticket.status)} · 处理人：{html.escape(ticket.owner or '—')} · "
            f"时限：{deadline_text(ticket.deadline)}</p>"
            f"<p><b>客户身份</b>：{identity}</p>"
            f"<p><b>摘要</b><br><span class='xb-plain'>{plain(ticket.summary)}</span></p>"
            f"<p><b>该客户的其他工单</b>：{earlier}</p><hr>" + "".join(lines) + "</div>")


def format_suggestion(suggestion) -> str:
    answer = suggestion.answer
    parts = [f"**建议回复**（置信度 {answer.confidence:.2f}）：\n\n{html.escape(answer.text)}"]
    if answer.citations:
        parts.append("**依据**：\n" + "\n".join(f"- {html.escape(c.title)}" for c in answer.citations))
    if suggestion.reminders:
        parts.append("**话术提醒**：\n" + "\n".join(f"- 【提醒】{html.escape(r)}" for r in suggestion.reminders))
    return "\n\n".join(parts)


def build_staff_ui(desk: Desk, directory: StaffDirectory, *, knowledge: KnowledgeAdmin | None = None,
                   gaps: GapReporter | None = None):
    access = StaffAccess(directory)
    with gr.Blocks(title="消保智答 · 员工工作台") as console:
        gr.Markdown("## 消保智答 · 员工工作台")
        who = gr.Markdown()
        console.load(access.whoami, None, who)
        with gr.Tab("工单队列"):
            build_queue_tab(console, desk, access)
        with gr.Tab("智能助手"):
            build_copilot_tab(desk, access)
        with gr.Tab("知识库"):
            build_knowledge_tab(console, knowledge, access, gaps or GapReporter.from_service(desk.service))
    return console


def build_queue_tab(console: gr.Blocks, desk: Desk, access: StaffAccess) -> None:
    """The hand-off queue and one ticket: transcript, suggested reply, compliance check, reply, resolve."""

    def load_queue(request: gr.Request):
        access.require(request, "desk")
        tickets, counts = desk.queue()
        summary = (f"待认领 **{counts['open']}** · 处理中 **{counts['claimed']}** · 紧急 **{counts['urgent']}** · "
                   f"高 **{counts['high']}** · 普通 **{counts['normal']}**")
        rows = [ticket_row(t) for t in tickets]
        choices = [t.id for t in tickets]
        return summary, rows, gr.update(choices=choices, value=choices[0] if choices else None)

    def initial_queue(request: gr.Request):
        if not access.can(request, "desk"):
            return "", [], gr.skip()
        return load_queue(request)

    def redraw(ticket_id: str) -> str:
        """The ticket as it now stands; no suggestion is asked for again."""
        return format_transcript(desk.view(ticket_id))

    def open_ticket(ticket_id: str, request: gr.Request):
        access.require(request, "desk")
        if not ticket_id:
            return "请选择工单。", "", ""
        try:
            view = desk.open(ticket_id)
        except DeskError as error:
            raise gr.Error(str(error))
        return format_transcript(view), format_suggestion(view.suggestion), view.suggestion.answer.text

    def claim(ticket_id: str, request: gr.Request):
        user = access.require(request, "desk")
        try:
            desk.claim(ticket_id, user.name)
        except DeskError as error:
            raise gr.Error(str(error))
        gr.Info(f"已认领工单 {ticket_id}")
        return redraw(ticket_id)

    def check(ticket_id: str, draft: str, request: gr.Request):
        access.require(request, "desk")
        return format_findings(desk.check(draft, ticket_id or None))

    def send(ticket_id: str, draft: str, request: gr.Request):
        user = access.require(request, "desk")
        try:
            findings = desk.reply(ticket_id, user.name, draft)
        except DeskError as error:
            raise gr.Error(str(error))
        if findings:
            return format_findings(findings), gr.skip()
        gr.Info("回复已发送给客户。")
        return "**【已发送】** 回复已发送给客户。", redraw(ticket_id)

    def resolve(ticket_id: str, resolution: str, note: str, care: str, request: gr.Request):
        user = access.require(request, "desk")
        code = next((k for k, v in RESOLUTIONS.items() if v == resolution), resolution)
        try:
            desk.resolve(ticket_id, user.name, code, note, care)
        except DeskError as error:
            raise gr.Error(str(error))
        gr.Info(f"工单 {ticket_id} 已解决。")
        return redraw(ticket_id)

    counts = gr.Markdown()
    queue = gr.Dataframe(headers=QUEUE_HEADERS, interactive=False, elem_id="xb-queue")
    with gr.Row():
        refresh = gr.Button("刷新队列", elem_id="xb-refresh")
        ticket_id = gr.Dropdown(label="工单号", choices=[], elem_id="xb-ticket")
        view_button = gr.Button("查看", variant="primary", elem_id="xb-view")
        claim_button = gr.Button("认领", elem_id="xb-claim")
    with gr.Row():
        transcript = gr.HTML(elem_id="xb-transcript")
        suggestion = gr.Markdown(elem_id="xb-suggestion")
    draft = gr.Textbox(label="回复草稿", lines=4, elem_id="xb-draft")
    with gr.Row():
        check_button = gr.Button("合规检查", elem_id="xb-check")
        send_button = gr.Button("发送给客户", variant="primary", elem_id="xb-send-reply")
    findings = gr.Markdown(elem_id="xb-findings")
    with gr.Row():
        resolution = gr.Dropdown(label="处理结果", choices=list(RESOLUTIONS.values()), value="已解答")
        note = gr.Textbox(label="处理说明")
        care = gr.Textbox(label="客户关怀基金（如使用，请注明）")
        resolve_button = gr.Button("标记为已解决", elem_id="xb-resolve")

    refresh.click(load_queue, None, [counts, queue, ticket_id])
    console.load(initial_queue, None, [counts, queue, ticket_id])
    view_button.click(open_ticket, ticket_id, [transcript, suggestion, draft])
    claim_button.click(claim, ticket_id, transcript)
    check_button.click(check, [ticket_id, draft], findings)
    send_button.click(send, [ticket_id, draft], [findings, transcript])
    resolve_button.click(resolve, [ticket_id, resolution, note, care], transcript)


def build_copilot_tab(desk: Desk, access: StaffAccess) -> None:
    """The co-pilot: any question, answered with sources and the cards' 话术提醒."""

    def copilot(question: str, request: gr.Request):
        access.require(request, "copilot")
        if not question.strip():
            return "请输入问题。"
        return format_suggestion(desk.copilot(question))

    question = gr.Textbox(label="问题", placeholder="例如：大额存单起存金额是多少？", elem_id="xb-copilot-q")
    ask = gr.Button("查询", variant="primary", elem_id="xb-copilot-ask")
    answer = gr.Markdown(elem_id="xb-copilot-answer")
    ask.click(copilot, question, answer)
    question.submit(copilot, question, answer)
