"""The staff console (Gradio, Simplified Chinese) at /staff, behind a login.

Each handler checks the signed-in user's role, so a tab that is visible is still refused to a role
that may not use it.
"""

import html
import logging

from .compliance import Finding
from .desk import PRIORITY_LABELS, RESOLUTIONS, STATUS_LABELS, Desk, DeskError, ticket_row
from .gaps import GapReporter
from .gaps_ui import build_gap_panel
from .handoff import reason_label
from .staff import StaffDirectory, StaffUser

logger = logging.getLogger(__name__)

QUEUE_HEADERS = ["工单号", "优先级", "原因", "状态", "处理人", "处理时限"]
ROLE_LABELS = {"expert": "服务专家", "knowledge_manager": "知识管理员", "admin": "管理员"}


def format_findings(findings: list[Finding]) -> str:
    if not findings:
        return "**【通过】** 合规检查通过，可以发送。"
    return "**【未通过】** 未通过合规检查：\n" + "\n".join(f"- {html.escape(f.message)}" for f in findings)


def format_transcript(view) -> str:
    names = {"user": "客户", "assistant": "智能助手", "expert": "人工专家"}
    lines = [f"**{names.get(m.role, m.role)}**：{html.escape(m.content)}" for m in view.transcript]
    ticket = view.ticket
    summary = html.escape(ticket.summary).replace("\n", "  \n")
    header = (f"### 工单 {ticket.id}\n原因：{reason_label(ticket.reason)} · "
              f"优先级：{PRIORITY_LABELS.get(ticket.priority, ticket.priority)} · "
              f"状态：{STATUS_LABELS.get(ticket.status, ticket.status)} · 处理人：{ticket.owner or '—'} · "
              f"时限：{ticket.deadline:%Y-%m-%d %H:%M} UTC\n\n**摘要**  \n{summary}")
    earlier = "、".join(t.id for t in view.earlier_tickets) or "无"
    return header + f"\n\n**该客户的其他工单**：{earlier}\n\n---\n\n" + "\n\n".join(lines)


def format_suggestion(suggestion) -> str:
    answer = suggestion.answer
    parts = [f"**建议回复**（置信度 {answer.confidence:.2f}）：\n\n{html.escape(answer.text)}"]
    if answer.citations:
        parts.append("**依据**：\n" + "\n".join(f"- {html.escape(c.title)}" for c in answer.citations))
    if suggestion.reminders:
        parts.append("**话术提醒**：\n" + "\n".join(f"- 【提醒】{html.escape(r)}" for r in suggestion.reminders))
    return "\n\n".join(parts)


def build_staff_ui(desk: Desk, directory: StaffDirectory, *, reingest=None):
    import gradio as gr

    def current(request: gr.Request, permission: str) -> StaffUser:
        user = directory.get(getattr(request, "username", None))
        if user is None or not user.can(permission):
            raise gr.Error("您的角色无权使用此功能。")
        return user

    def whoami(request: gr.Request):
        user = directory.get(getattr(request, "username", None))
        return f"当前用户：{user.name}（{ROLE_LABELS.get(user.role, user.role)}）" if user else "未登录"

    def load_queue(request: gr.Request):
        current(request, "desk")
        tickets, counts = desk.queue()
        summary = (f"待认领 **{counts['open']}** · 处理中 **{counts['claimed']}** · 紧急 **{counts['urgent']}** · "
                   f"高 **{counts['high']}** · 普通 **{counts['normal']}**")
        rows = [ticket_row(t) for t in tickets]
        choices = [t.id for t in tickets]
        return summary, rows, gr.update(choices=choices, value=choices[0] if choices else None)

    def initial_queue(request: gr.Request):
        user = directory.get(getattr(request, "username", None))
        if user is None or not user.can("desk"):
            return "", [], gr.skip()
        return load_queue(request)

    def open_ticket(ticket_id: str, request: gr.Request):
        current(request, "desk")
        if not ticket_id:
            return "请选择工单。", "", ""
        try:
            view = desk.view(ticket_id)
        except DeskError as error:
            raise gr.Error(str(error))
        return format_transcript(view), format_suggestion(view.suggestion), view.suggestion.answer.text

    def claim(ticket_id: str, request: gr.Request):
        user = current(request, "desk")
        try:
            desk.claim(ticket_id, user.name)
        except DeskError as error:
            raise gr.Error(str(error))
        gr.Info(f"已认领工单 {ticket_id}")
        return format_transcript(desk.view(ticket_id))

    def check(ticket_id: str, draft: str, request: gr.Request):
        current(request, "desk")
        return format_findings(desk.check(draft, ticket_id or None))

    def send(ticket_id: str, draft: str, request: gr.Request):
        user = current(request, "desk")
        try:
            findings = desk.reply(ticket_id, user.name, draft)
        except DeskError as error:
            raise gr.Error(str(error))
        if findings:
            return format_findings(findings), gr.skip()
        gr.Info("回复已发送给客户。")
        return "**【已发送】** 回复已发送给客户。", format_transcript(desk.view(ticket_id))

    def resolve(ticket_id: str, resolution: str, note: str, care: str, request: gr.Request):
        user = current(request, "desk")
        code = next((k for k, v in RESOLUTIONS.items() if v == resolution), resolution)
        try:
            desk.resolve(ticket_id, user.name, code, note, care)
        except DeskError as error:
            raise gr.Error(str(error))
        gr.Info(f"工单 {ticket_id} 已解决。")
        return format_transcript(desk.view(ticket_id))

    def copilot(question: str, request: gr.Request):
        current(request, "copilot")
        if not question.strip():
            return "请输入问题。"
        return format_suggestion(desk.copilot(question))

    def run_reingest(request: gr.Request, progress=gr.Progress()):
        current(request, "knowledge")
        if reingest is None:
            raise gr.Error("未配置知识库导入。")
        report = reingest(lambda done, total, path: progress(done / max(total, 1), desc=f"导入 {path}"))
        summary = report.summary()
        rows = [[f["path"], f["status"], f["chunks_added"], f["chunks_deleted"], f["error"] or ""]
                for f in summary["files"]]
        text = (f"新增 {summary['added']} · 更新 {summary['updated']} · 删除 {summary['deleted']} · "
                f"未变 {summary['skipped']} · 失败 {len(summary['errors'])}")
        return text, rows

    with gr.Blocks(title="消保智答 · 员工工作台") as console:
        gr.Markdown("## 消保智答 · 员工工作台")
        who = gr.Markdown()
        console.load(whoami, None, who)
        with gr.Tab("工单队列"):
            counts = gr.Markdown()
            queue = gr.Dataframe(headers=QUEUE_HEADERS, interactive=False, elem_id="xb-queue")
            with gr.Row():
                refresh = gr.Button("刷新队列", elem_id="xb-refresh")
                ticket_id = gr.Dropdown(label="工单号", choices=[], elem_id="xb-ticket")
                view_button = gr.Button("查看", variant="primary", elem_id="xb-view")
                claim_button = gr.Button("认领", elem_id="xb-claim")
            with gr.Row():
                transcript = gr.Markdown(elem_id="xb-transcript")
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
        with gr.Tab("智能助手"):
            question = gr.Textbox(label="问题", placeholder="例如：大额存单起存金额是多少？", elem_id="xb-copilot-q")
            ask = gr.Button("查询", variant="primary", elem_id="xb-copilot-ask")
            copilot_answer = gr.Markdown(elem_id="xb-copilot-answer")
        with gr.Tab("知识库"):
            reingest_button = gr.Button("重新导入知识库", variant="primary", elem_id="xb-reingest")
            reingest_summary = gr.Markdown()
            reingest_table = gr.Dataframe(headers=["文件", "状态", "新增片段", "删除片段", "错误"], interactive=False)
            build_gap_panel(GapReporter.from_service(desk.service), current)

        refresh.click(load_queue, None, [counts, queue, ticket_id])
        console.load(initial_queue, None, [counts, queue, ticket_id])
        view_button.click(open_ticket, ticket_id, [transcript, suggestion, draft])
        claim_button.click(claim, ticket_id, transcript)
        check_button.click(check, [ticket_id, draft], findings)
        send_button.click(send, [ticket_id, draft], [findings, transcript])
        resolve_button.click(resolve, [ticket_id, resolution, note, care], transcript)
        ask.click(copilot, question, copilot_answer)
        question.submit(copilot, question, copilot_answer)
        reingest_button.click(run_reingest, None, [reingest_summary, reingest_table])
    return console
