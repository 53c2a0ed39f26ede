"""The staff console (Gradio, Simplified Chinese) at /staff, behind a login.

Each handler checks the signed-in user's role, so a tab that is visible is still refused to a role
that may not use it.
"""

import html
import logging
from pathlib import Path

from ..conversations.handoff import reason_label
from ..errors import ChatbotError, DeskError
from ..knowledge.uploads import ALLOWED_SUFFIXES
from ..publishing.report import FILE_STATUS, format_report
from ..staff.accounts import StaffDirectory, StaffUser
from ..staff.compliance import Finding
from ..staff.desk import PRIORITY_LABELS, RESOLUTIONS, STATUS_LABELS, Desk, ticket_row
from ..staff.gaps import GapReporter
from .gaps_ui import build_gap_panel

logger = logging.getLogger(__name__)

QUEUE_HEADERS = ["工单号", "优先级", "原因", "状态", "处理人", "处理时限"]
EVENT_LABELS = {"published": "发布", "blocked": "拦截"}
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


def format_status(status) -> str:
    current = status.current
    lines = [f"**线上索引**：第 {current['number']} 版 · 发布于 {current.get('published_at') or '—'}"
             if current else "**线上索引**：尚未建立"]
    if status.staged:
        lines.append(f"**待发布**：第 {status.staged['number']} 版，被拦下的原因："
                     + html.escape("；".join(status.staged_blocked)))
    for entry in reversed(status.log[-5:]):
        override = f" · 强制发布（{html.escape(entry.get('override_reason', ''))}）" if entry.get("override") else ""
        lines.append(f"- {entry['time']} {EVENT_LABELS.get(entry['event'], entry['event'])} 第 {entry['generation']} 版"
                     f" · {html.escape(str(entry.get('by')))}{override}")
    return "  \n".join(lines[:2]) + ("\n\n" + "\n".join(lines[2:]) if lines[2:] else "")


def build_staff_ui(desk: Desk, directory: StaffDirectory, *, knowledge=None, gaps: GapReporter | None = None):
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

    def knowledge_user(request: gr.Request) -> StaffUser:
        user = current(request, "knowledge")
        if knowledge is None:
            raise gr.Error("未配置知识库管理。")
        return user

    def upload(paths, request: gr.Request):
        knowledge_user(request)
        rows = []
        for path in paths or []:
            path = Path(path)
            result = knowledge.upload(path.name, path.read_bytes())
            label = {"saved": "已保存", "replaced": "已替换", "rejected": "已拒绝"}[result.status]
            rows.append([path.name, label, result.path or "", result.error or ""])
        return rows

    def validate_files(request: gr.Request, progress=gr.Progress()):
        knowledge_user(request)
        plan = knowledge.validate(lambda done, total, text: progress(done / max(total, 1), desc=text))
        errors = [f for f in plan.files if f.status == "error"]
        text = (f"校验完成：待更新 **{len(plan.pending)}** 个文件 · 待删除 **{len(plan.deleted)}** 个 · "
                f"失败 **{len(errors)}** 个" + ("（失败的文件不会导入，线上仍保留其原有内容）" if errors else ""))
        rows = [[p.source, "待更新" if p.existed else "待新增", ""] for p in plan.pending]
        rows += [[source, "待删除", ""] for source in plan.deleted]
        rows += [[f.path, "失败", f.error] for f in errors]
        return text, rows

    def run_reingest(reason: str, request: gr.Request, progress=gr.Progress()):
        user = knowledge_user(request)
        try:
            report = knowledge.reingest(user.name, override_reason=reason or "",
                                        progress=lambda done, total, text: progress(done / max(total, 1), desc=text))
        except ChatbotError as error:
            raise gr.Error(str(error))
        rows = [[f.path, FILE_STATUS.get(f.status, f.status), f.chunks_added, f.chunks_deleted, f.error or ""]
                for f in report.files if f.status != "unchanged"]
        return format_report(report).replace("\n", "  \n"), rows, format_status(knowledge.status())

    def publish(reason: str, request: gr.Request):
        user = knowledge_user(request)
        if not (reason or "").strip():
            raise gr.Error("请填写强制发布的原因（将记录在案）。")
        try:
            number = knowledge.publish_staged(user.name, reason)
        except ChatbotError as error:
            raise gr.Error(str(error))
        gr.Info(f"已发布第 {number} 版索引。")
        return format_status(knowledge.status())

    def show_status(request: gr.Request):
        user = directory.get(getattr(request, "username", None))
        if knowledge is None or user is None or not user.can("knowledge"):
            return ""
        return format_status(knowledge.status())

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
            status = gr.Markdown(elem_id="xb-kb-status")
            gr.Markdown(f"**1. 上传文件**（支持 {'、'.join(sorted(ALLOWED_SUFFIXES))}；知识卡片放入 cards/，"
                        "文档放入 docs/）")
            files = gr.File(label="选择文件", file_count="multiple", type="filepath", elem_id="xb-upload")
            upload_button = gr.Button("上传", elem_id="xb-upload-button")
            upload_table = gr.Dataframe(headers=["文件", "结果", "保存位置", "原因"], interactive=False)
            gr.Markdown("**2. 校验**：先检查格式（错误会指明文件和行号），此步不写入索引。")
            validate_button = gr.Button("校验", elem_id="xb-validate")
            validate_summary = gr.Markdown(elem_id="xb-validate-summary")
            validate_table = gr.Dataframe(headers=["文件", "变更", "错误"], interactive=False)
            gr.Markdown("**3. 导入并发布**：在新索引中写入变更 → 核验旧内容已清除 → 运行评测 → 全部通过后切换线上索引。")
            override = gr.Textbox(label="评测或核验未通过仍要发布时，请填写原因（将记录在案，留空则不发布）",
                                  elem_id="xb-override")
            with gr.Row():
                reingest_button = gr.Button("导入并发布", variant="primary", elem_id="xb-reingest")
                publish_button = gr.Button("发布待定版本", elem_id="xb-publish-staged")
            reingest_summary = gr.Markdown(elem_id="xb-reingest-summary")
            reingest_table = gr.Dataframe(headers=["文件", "状态", "新增片段", "删除片段", "错误"], interactive=False)
            build_gap_panel(gaps or GapReporter.from_service(desk.service), current)

        refresh.click(load_queue, None, [counts, queue, ticket_id])
        console.load(initial_queue, None, [counts, queue, ticket_id])
        view_button.click(open_ticket, ticket_id, [transcript, suggestion, draft])
        claim_button.click(claim, ticket_id, transcript)
        check_button.click(check, [ticket_id, draft], findings)
        send_button.click(send, [ticket_id, draft], [findings, transcript])
        resolve_button.click(resolve, [ticket_id, resolution, note, care], transcript)
        ask.click(copilot, question, copilot_answer)
        question.submit(copilot, question, copilot_answer)
        console.load(show_status, None, status)
        upload_button.click(upload, files, upload_table)
        validate_button.click(validate_files, None, [validate_summary, validate_table])
        reingest_button.click(run_reingest, override, [reingest_summary, reingest_table, status])
        publish_button.click(publish, override, status)
    return console
