"""The 工单队列 tab of the staff console: a queue you click, the ticket with its live transcript, the
suggested reply, compliance check, reply, claim, transfer and resolve (Gradio, Simplified Chinese).

The queue and the open ticket are redrawn after every action and on a short timer (new customer
messages, "客户正在输入…", "客户已离开"), which is also the expert's heartbeat. Only opening a ticket asks
the engine for a suggested reply; every other redraw reads the database.
"""

import logging

import gradio as gr

from ..errors import DeskError
from ..staff.desk import RESOLUTIONS, Desk, ticket_row
from .access import StaffAccess
from .desk_format import format_events, format_findings, format_suggestion, format_ticket, format_transcript

logger = logging.getLogger(__name__)

QUEUE_HEADERS = ["工单号", "优先级", "原因", "状态", "处理人", "处理时限"]
REFRESH_SECONDS = 3


def build_queue_tab(console: gr.Blocks, desk: Desk, access: StaffAccess) -> None:
    """The tab's widgets and events; its timer runs only in a desk user's console."""
    staff, zone = desk.staff, desk.zone

    def queue_values() -> tuple[str, list[list[str]]]:
        tickets, counts = desk.queue()
        queues = desk.tickets.queues([t.id for t in tickets])
        summary = (f"待认领 **{counts['open']}** · 处理中 **{counts['claimed']}** · 紧急 **{counts['urgent']}** · "
                   f"高 **{counts['high']}** · 普通 **{counts['normal']}**")
        return summary, [ticket_row(t, zone, staff, queues[t.id]) for t in tickets]

    def ticket_values(ticket_id: str | None, user) -> tuple[str, str, str]:
        if not ticket_id:
            return "请在上方队列中点击一个工单。", "", ""
        view = desk.view(ticket_id, user)
        return (format_ticket(view, zone, staff), format_transcript(view, zone, staff),
                format_events(view.events, zone, staff))

    def load_queue(request: gr.Request):
        user = access.require(request, "desk")
        desk.heartbeat(user)
        return queue_values()

    def select(event: gr.SelectData, request: gr.Request):
        user = access.require(request, "desk")
        row = event.row_value or []
        ticket_id = row[0] if row else None
        if not ticket_id:
            return (gr.skip(),) * 7
        try:
            view = desk.open(ticket_id, user)
        except DeskError as error:
            raise gr.Error(str(error))
        return (ticket_id, format_ticket(view, zone, staff), format_transcript(view, zone, staff),
                format_events(view.events, zone, staff), format_suggestion(view.suggestion), view.suggestion.text, "")

    def after(ticket_id: str, user) -> tuple:
        """Everything an action can change: the queue and the ticket."""
        return queue_values() + ticket_values(ticket_id, user)

    def act(action, ticket_id: str, request: gr.Request, done: str):
        user = access.require(request, "desk")
        try:
            action(user)
        except DeskError as error:
            raise gr.Error(str(error))
        gr.Info(done)
        return after(ticket_id, user)

    def claim(ticket_id: str, request: gr.Request):
        return act(lambda user: desk.claim(ticket_id, user), ticket_id, request, f"已认领工单 {ticket_id}")

    def check(ticket_id: str, draft: str, request: gr.Request):
        access.require(request, "desk")
        return format_findings(desk.check(draft, ticket_id or None))

    def send(ticket_id: str, draft: str, request: gr.Request):
        user = access.require(request, "desk")
        try:
            findings = desk.reply(ticket_id, user, draft)
        except DeskError as error:
            raise gr.Error(str(error))
        if findings:
            return (format_findings(findings), gr.skip()) + (gr.skip(),) * 5
        gr.Info("回复已发送给客户。")
        return ("**【已发送】** 回复已发送给客户。", "") + after(ticket_id, user)

    def transfer(ticket_id: str, target: str | None, note: str, request: gr.Request):
        kind, _, name = (target or "").partition(":")
        return act(lambda user: desk.transfer(ticket_id, user, note=note, to_expert=name if kind == "expert" else None,
                                              to_queue=name if kind == "queue" else None),
                   ticket_id, request, f"工单 {ticket_id} 已转交。") + ("",)

    def resolve(ticket_id: str, resolution: str | None, note: str, care: str, request: gr.Request):
        code = next((k for k, v in RESOLUTIONS.items() if v == resolution), resolution)
        return act(lambda user: desk.resolve(ticket_id, user, code, note, care), ticket_id, request,
                   f"工单 {ticket_id} 已办结。")

    def tick(ticket_id: str | None, shown: tuple | None, request: gr.Request):
        """The timer: heartbeat, then redraw only what changed (a redraw would reset the expert's scroll)."""
        user = access.user(request)
        if user is None or not user.can("desk"):
            return (gr.skip(),) * 6
        desk.heartbeat(user)
        values = after(ticket_id, user)
        if shown and tuple(shown) == values:
            return (gr.skip(),) * 6
        return tuple(gr.skip() if shown and shown[i] == v else v for i, v in enumerate(values)) + (values,)

    def on_load(request: gr.Request):
        user = access.user(request)
        if user is None or not user.can("desk"):
            return gr.skip(), gr.skip(), gr.Timer(active=False), gr.skip()
        desk.heartbeat(user)
        return queue_values() + (gr.Timer(active=True), gr.Dropdown(choices=desk.transfer_targets(user), value=None))

    current = gr.State(None)
    shown = gr.State(None)
    counts = gr.Markdown(elem_id="xb-counts")
    queue = gr.Dataframe(headers=QUEUE_HEADERS, interactive=False, elem_id="xb-queue", label="工单队列（点击一行查看）")
    refresh = gr.Button("刷新队列", elem_id="xb-refresh")
    with gr.Row():
        ticket = gr.HTML(elem_id="xb-ticket-info")
        claim_button = gr.Button("认领", variant="primary", scale=0, min_width=120, elem_id="xb-claim")
    with gr.Row():
        with gr.Column():
            transcript = gr.HTML(elem_id="xb-transcript")
        with gr.Column():
            suggestion = gr.HTML(elem_id="xb-suggestion")
    draft = gr.Textbox(label="回复草稿", lines=4, elem_id="xb-draft")
    with gr.Row():
        check_button = gr.Button("合规检查", elem_id="xb-check")
        send_button = gr.Button("发送给客户", variant="primary", elem_id="xb-send-reply")
    findings = gr.Markdown(elem_id="xb-findings")
    with gr.Accordion("转交（首问负责制：转交需填写说明，记录在案）", open=False):
        with gr.Row():
            target = gr.Dropdown(label="转交给", choices=[], elem_id="xb-transfer-to")
            transfer_note = gr.Textbox(label="转交说明（必填）", elem_id="xb-transfer-note")
            transfer_button = gr.Button("转交", elem_id="xb-transfer")
    with gr.Row():
        resolution = gr.Dropdown(label="处理结果", choices=list(RESOLUTIONS.values()), value=None,
                                 elem_id="xb-resolution")
        note = gr.Textbox(label="处理说明（紧急和投诉工单必填）", elem_id="xb-resolve-note")
        care = gr.Textbox(label="客户关怀基金（如使用，请注明）")
        resolve_button = gr.Button("标记为已解决", elem_id="xb-resolve")
    events = gr.HTML(elem_id="xb-events")
    timer = gr.Timer(REFRESH_SECONDS, active=False)

    redrawn = [counts, queue, ticket, transcript, events]
    console.load(on_load, None, [counts, queue, timer, target])
    refresh.click(load_queue, None, [counts, queue])
    queue.select(select, None, [current, ticket, transcript, events, suggestion, draft, findings])
    claim_button.click(claim, current, redrawn)
    check_button.click(check, [current, draft], findings)
    send_button.click(send, [current, draft], [findings, draft] + redrawn)
    transfer_button.click(transfer, [current, target, transfer_note], redrawn + [transfer_note])
    resolve_button.click(resolve, [current, resolution, note, care], redrawn)
    timer.tick(tick, [current, shown], redrawn + [shown], show_progress="hidden", concurrency_limit=None)
