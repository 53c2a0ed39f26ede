"""The staff console (Gradio, Simplified Chinese) at /staff, behind a login: one builder per tab.

Only the tabs a role may use are shown (experts: 工单队列 and 智能助手; knowledge managers: 智能助手 and
知识库; admins: all), and each handler still checks the signed-in user's role (web/access.py). 退出登录
uses Gradio's /logout of the mounted app.
"""

import logging

import gradio as gr

from ..publishing.admin import KnowledgeAdmin
from ..staff.accounts import StaffDirectory
from ..staff.desk import Desk
from ..staff.gaps import GapReporter
from .access import StaffAccess
from .desk_format import format_suggestion
from .desk_ui import build_queue_tab
from .knowledge_ui import build_knowledge_tab

logger = logging.getLogger(__name__)

# Tab, the permission it needs.
TABS = {"工单队列": "desk", "智能助手": "copilot", "知识库": "knowledge"}
LOGOUT_LINK = "logout"  # relative to /staff/: the mounted app's own /logout, which drops the login cookie


def build_staff_ui(desk: Desk, directory: StaffDirectory, *, knowledge: KnowledgeAdmin | None = None,
                   gaps: GapReporter | None = None):
    access = StaffAccess(directory)
    with gr.Blocks(title="消保智答 · 员工工作台") as console:
        with gr.Row():
            gr.Markdown("## 消保智答 · 员工工作台")
            who = gr.Markdown(elem_id="xb-whoami")
            gr.Button("退出登录", link=LOGOUT_LINK, size="sm", scale=0, elem_id="xb-logout")
        tabs = {}
        with gr.Tabs():
            with gr.Tab("工单队列", visible=False, elem_id="xb-tab-desk") as tabs["工单队列"]:
                build_queue_tab(console, desk, access)
            with gr.Tab("智能助手", visible=False, elem_id="xb-tab-copilot") as tabs["智能助手"]:
                build_copilot_tab(desk, access)
            with gr.Tab("知识库", visible=False, elem_id="xb-tab-knowledge") as tabs["知识库"]:
                build_knowledge_tab(console, knowledge, access, gaps or GapReporter.from_service(desk.service))

        def show_tabs(request: gr.Request):
            return (access.whoami(request),) + tuple(gr.Tab(visible=access.can(request, permission))
                                                     for permission in TABS.values())

        console.load(show_tabs, None, [who] + [tabs[name] for name in TABS])
    return console


def build_copilot_tab(desk: Desk, access: StaffAccess) -> None:
    """The co-pilot: any question, answered for the expert with sources and the cards' 话术提醒."""

    def copilot(question: str, request: gr.Request):
        user = access.require(request, "copilot")
        if not question.strip():
            return "请输入问题。"
        return format_suggestion(desk.copilot(question, viewer=user), title="参考答复")

    question = gr.Textbox(label="问题", placeholder="例如：大额存单起存金额是多少？", elem_id="xb-copilot-q")
    ask = gr.Button("查询", variant="primary", elem_id="xb-copilot-ask")
    answer = gr.HTML(elem_id="xb-copilot-answer")
    ask.click(copilot, question, answer)
    question.submit(copilot, question, answer)
