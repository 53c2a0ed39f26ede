"""The live hand-off in the customer chat: the state banner (waiting, "专家 王芳 正在为您服务", ended),
"返回智能助手", the callback form with consent, typing reports, and how an expert's message looks.

The formatting helpers are pure and unit-tested; `TakeoverPanel` builds the widgets inside the chat's
Blocks and gives the handlers that keep them in step with the state in SQL.
"""

import html
from typing import Callable

import gradio as gr

from ..conversations.callbacks import consent_text
from ..conversations.models import Message
from ..conversations.service import ChatService, Turn
from ..conversations.takeover import AgentState
from ..errors import CallbackError

CSS = """
.xb-expert { border-left: 4px solid #0f766e; background: #f0fdfa; color: #134e4a; padding: 8px 12px;
             border-radius: 8px; }
.xb-expert-label { font-weight: 600; color: #0f766e; font-size: 0.9em; margin-bottom: 4px; }
.xb-expert-avatar { display: inline-block; width: 1.6em; height: 1.6em; line-height: 1.6em; text-align: center;
                    border-radius: 50%; background: #0f766e; color: #fff; margin-right: 6px; font-size: 0.85em; }
#xb-agent { border: 1px solid #fdba74; background: #fffbeb; border-radius: 8px; padding: 4px 10px !important;
            font-size: 14px; line-height: 1.45; }
#xb-agent.xb-ended { border-color: #86efac; background: #f0fdf4; }
#xb-agent p { margin: 2px 0 0; }
#xb-agent .xb-agent-hint { color: #9a3412; }
#xb-agent .xb-agent-more { font-size: 12px; color: var(--body-text-color-subdued); overflow-wrap: anywhere; }
#xb-agent details.xb-agent-more summary { cursor: pointer; }
#xb-callback { border: 0 !important; padding: 0 4px !important; }
#xb-callback > button { font-size: 14px; padding: 2px 0 !important; }
"""


def format_expert(message: Message, name: str | None = None) -> str:
    """An expert's message: its own colour, label and avatar, so that it never looks like the bot's."""
    label = f"人工专家 · {html.escape(name)}" if name else "人工专家"
    text = html.escape(message.content).replace("\n", "<br>")
    return (f'<div class="xb-expert"><div class="xb-expert-label"><span class="xb-expert-avatar">专</span>{label}'
            f"</div>{text}</div>")


def agent_banner(state: AgentState | None, *, office_hours_text: str, hotline: str) -> str:
    """What the customer is told about their hand-off, as compact HTML: the state (and, while waiting, the
    one fact that matters most) on the first line, the ticket number below it, and the full explanation
    folded under 详情, so that on a phone the banner never pushes the input off the screen. Empty when
    the assistant serves."""
    if state is None:
        return ""
    ticket = html.escape(state.ticket_id)
    if state.state == "ended":
        return _banner("本次人工服务已结束", "", ticket, "您可以继续向智能助手提问。", folded=False)
    if state.state == "serving":
        return _banner(f"专家 {html.escape(state.expert or '')} 正在为您服务", "", ticket,
                       "您的消息会直接发给专家，智能助手暂不回答。")
    lines = ["您的消息会转给专家，智能助手暂不回答。"]
    if not state.office_hours:
        hint = "非工作时间"
        lines.append(f"当前为非工作时间（人工服务时间：{office_hours_text}），专家会在下一个工作时间处理；"
                     f"紧急情况请拨打24小时客服热线{hotline}。")
    elif not state.experts_online:
        hint = "专家暂时都不在线"
        lines.append(f"人工专家暂时都不在线，您可以留在本页面等待；如情况紧急，请拨打客服热线{hotline}。")
    elif state.ahead:
        hint = f"前面还有 {state.ahead} 位"
        lines.append(f"您前面还有 {state.ahead} 位客户在等待，请留在本页面，专家会在此对话中回复您。")
    else:
        hint = "您是下一位"
        lines.append("您是下一位，请留在本页面，专家会在此对话中回复您。")
    if state.callback_left:
        hint += f" · 已收到您的回电号码 {html.escape(state.callback_left)}"
    elif state.callback_offered:
        lines.append("如需回电，请点击下方“留下回电号码”，留下电话号码。")
    return _banner("正在为您转接人工专家", hint, ticket, "<br>".join(html.escape(line) for line in lines))


def _banner(title: str, hint: str, ticket: str, details: str, *, folded: bool = True) -> str:
    head = f'<div class="xb-agent-head"><b>{title}</b>' + (f' · <span class="xb-agent-hint">{hint}</span>' if hint else "")
    if not folded:
        return f'{head}</div><div class="xb-agent-more">工单号 {ticket} · {details}</div>'
    return (f'{head}</div><details class="xb-agent-more"><summary>工单号 {ticket} · 详情</summary>'
            f"<p>{details}</p></details>")


class TakeoverPanel:
    def __init__(self, service: ChatService, session_of: Callable[[gr.Request], str | None] = lambda request: None):
        self.service = service
        self.settings = service.settings
        self.session_of = session_of  # the session of the page's signed cookie (web/sessions.py)

    def render_banner(self) -> None:
        self.banner = gr.Markdown(visible=False, elem_id="xb-agent")

    def render_actions(self) -> tuple[gr.Button, gr.Button]:
        """The 转人工 and 返回智能助手 buttons (one of them shows at a time), 清空对话, and the callback form."""
        with gr.Row(elem_id="xb-actions"):
            self.human = gr.Button("转人工", variant="secondary", elem_id="xb-human")
            self.back = gr.Button("返回智能助手", variant="secondary", visible=False, elem_id="xb-back")
            clear = gr.Button("清空对话", variant="secondary", elem_id="xb-clear")
        # Folded: open, the form would push the input off a phone's screen while the customer waits.
        with gr.Accordion("留下回电号码（可选）", open=False, visible=False, elem_id="xb-callback") as self.callback_box:
            self.phone = gr.Textbox(label="电话号码", placeholder="手机号码，或带区号的固定电话", max_lines=1,
                                    elem_id="xb-callback-phone")
            self.consent = gr.Checkbox(label=consent_text(self.settings), value=False, elem_id="xb-callback-consent")
            self.submit = gr.Button("提交回电请求", variant="primary", elem_id="xb-callback-submit")
        return self.human, clear

    @property
    def outputs(self) -> list:
        return [self.banner, self.human, self.back, self.callback_box]

    def updates(self, state: AgentState | None) -> tuple:
        text = agent_banner(state, office_hours_text=self.service.policy.office_hours_text(),
                            hotline=self.settings.hotline)
        active = state is not None and state.state in ("waiting", "serving")
        ended = state is not None and state.state == "ended"
        form = state is not None and state.state == "waiting" and state.callback_offered and not state.callback_left
        classes = ["xb-ended"] if ended else ["xb-active"] if active else []
        return (gr.Markdown(text, visible=bool(text), elem_classes=classes),
                gr.Button(visible=not active), gr.Button(visible=active), gr.Accordion(visible=form))

    def refresh(self, session_id: str | None) -> tuple:
        """The widgets as the state now stands; a page that asks counts as a heartbeat during a hand-off."""
        state = self.service.live.state(session_id) if session_id else None
        if state is not None and state.state != "ended":
            self.service.live.customer_seen(session_id)
        return self.updates(state)

    def typing(self, text: str, session_id: str | None, request: gr.Request) -> None:
        session_id = self.session_of(request) or session_id
        if session_id and text:  # clearing the box after sending is not typing
            self.service.live.customer_typing(session_id)

    def wire(self, box: gr.Textbox, chatbot, ids, session, last_seen) -> None:
        """The panel's own events: back to the assistant, the callback form, typing reports."""

        def go_back(chat: list, ids: list, session_id: str, last_seen: int, request: gr.Request):
            session_id = self.session_of(request) or session_id
            turn = self.service.return_to_assistant(session_id)
            if turn is None:
                return (chat, ids, last_seen) + self.refresh(session_id)
            return self._shown(turn, chat, ids, last_seen) + self.updates(None)

        def leave(phone: str, consent: bool, chat: list, ids: list, session_id: str, last_seen: int,
                  request: gr.Request):
            session_id = self.session_of(request) or session_id
            try:
                turn = self.service.leave_callback(session_id, phone, consent=consent)
            except CallbackError as error:
                gr.Warning(str(error))
                return (gr.skip(),) * 5 + self.refresh(session_id)
            return ("", False) + self._shown(turn, chat, ids, last_seen) + self.updates(turn.agent)

        self.back.click(go_back, [chatbot, ids, session, last_seen], [chatbot, ids, last_seen] + self.outputs)
        self.submit.click(leave, [self.phone, self.consent, chatbot, ids, session, last_seen],
                          [self.phone, self.consent, chatbot, ids, last_seen] + self.outputs)
        # Light writes, one per page every few seconds at most: no queueing behind other customers' events.
        box.change(self.typing, [box, session], None, trigger_mode="always_last", show_progress="hidden",
                   concurrency_limit=None)

    @staticmethod
    def _shown(turn: Turn, chat: list, ids: list, last_seen: int) -> tuple:
        text = html.escape(turn.answer.text).replace("\n", "  \n")
        return (chat + [{"role": "assistant", "content": text}], ids + [turn.answer_message_id],
                max(last_seen, turn.answer_message_id or 0))
