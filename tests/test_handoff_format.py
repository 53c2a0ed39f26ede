"""What the two sides of a live hand-off read, without a browser: the customer's banner and the expert's
bubble, the desk's transcript (plain text, the trigger highlighted), record and times in the office zone."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from chatbot.conversations.models import Message, Ticket, TicketEvent
from chatbot.conversations.takeover import AgentState
from chatbot.staff.accounts import StaffDirectory
from chatbot.staff.desk import CallbackView, TicketView, ticket_row
from chatbot.web.desk_format import event_text, format_ticket, format_transcript
from chatbot.web.takeover_ui import agent_banner, format_expert

SHANGHAI = ZoneInfo("Asia/Shanghai")
HASH = "pbkdf2_sha256$1000$00$" + "0" * 64  # never checked here
STAFF = StaffDirectory({"wang": ("expert", HASH), "zhao": ("expert", HASH)}, {"wang": "王芳", "zhao": "赵强"})
AT = dt.datetime(2026, 3, 2, 1, 30)  # 09:30 in Shanghai


def _ticket(**overrides) -> Ticket:
    values = dict(id="XB1", session_id="s", reason="complaint", priority="high", status="claimed", owner="wang",
                  summary="转人工原因：客户投诉\n触发消息：**加粗**<b>x</b>", deadline=AT, created_at=AT)
    return Ticket(**(values | overrides))


def _view(**overrides) -> TicketView:
    transcript = [Message(id=1, role="user", content="信用卡年费怎么免？", created_at=AT),
                  Message(id=2, role="user", content="我要投诉 **你们** <script>x</script>", created_at=AT),
                  Message(id=3, role="expert", content="您好", author="wang", created_at=AT)]
    return TicketView(_ticket(), transcript, [], [], **({"trigger_ids": [2]} | overrides))


def test_banner_tells_the_customer_where_the_handoff_stands():
    office = {"office_hours_text": "周一至周五 09:00–18:00", "hotline": "400-000-0000"}
    assert agent_banner(None, **office) == ""
    serving = agent_banner(AgentState("serving", "XB1", expert="王芳"), **office)
    assert "专家 王芳 正在为您服务" in serving and "XB1" in serving
    assert "本次人工服务已结束" in agent_banner(AgentState("ended", "XB1"), **office)
    queued = agent_banner(AgentState("waiting", "XB1", ahead=2), **office)
    assert "前面还有 2 位客户" in queued
    closed = agent_banner(AgentState("waiting", "XB1", office_hours=False, callback_offered=True), **office)
    assert "非工作时间" in closed and "周一至周五 09:00–18:00" in closed and "留下电话号码" in closed
    offline = agent_banner(AgentState("waiting", "XB1", experts_online=False, callback_left="138****5678"), **office)
    assert "暂时都不在线" in offline and "138****5678" in offline
    # Compact on a phone: the state and its key fact first, the ticket and the explanation folded under 详情.
    head, folded = closed.split("<details", 1)
    assert "正在为您转接人工专家" in head and "非工作时间" in head and "周一至周五" not in head
    assert "<summary>工单号 XB1 · 详情</summary>" in folded and "周一至周五 09:00–18:00" in folded
    assert "&lt;b&gt;" in agent_banner(AgentState("serving", "XB1", expert="<b>"), **office)  # names are escaped


def test_expert_bubble_has_its_own_look_and_escapes_text():
    bubble = format_expert(Message(role="expert", content="<b>您好</b>\n请稍等"), "王芳")
    assert 'class="xb-expert"' in bubble and "人工专家 · 王芳" in bubble and "xb-expert-avatar" in bubble
    assert "&lt;b&gt;您好&lt;/b&gt;<br>请稍等" in bubble


def test_transcript_is_plain_text_with_the_trigger_highlighted():
    html = format_transcript(_view(), SHANGHAI, STAFF)
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "**你们**" in html  # shown as typed (HTML, so Markdown is not interpreted)
    trigger = html.split('<div class="xb-msg')[2]
    assert " xb-trigger" in trigger and "【触发转人工】" in trigger and "我要投诉" in trigger
    assert "xb-trigger" not in html.split('<div class="xb-msg')[1]
    assert "人工专家 · 王芳 · 09:30" in html and "客户 · 09:30" in html  # local time, display name


def test_ticket_header_in_local_time_with_the_callback_for_its_viewer():
    header = format_ticket(_view(callback=CallbackView(True, "13812345678", "138****5678", AT)), SHANGHAI, STAFF)
    assert "时限：2026-03-02 09:30" in header and "处理人：王芳" in header and "13812345678" in header
    assert "&lt;b&gt;x&lt;/b&gt;" in header  # the summary quotes the customer: escaped
    hidden = format_ticket(_view(callback=CallbackView(True)), SHANGHAI, STAFF)
    assert "1381234" not in hidden and "客户留下了回电号码" in hidden


def test_queue_row_and_record_read_in_the_office_time_zone():
    assert ticket_row(_ticket(), SHANGHAI, STAFF) == ["XB1", "高", "客户投诉", "处理中", "王芳", "2026-03-02 09:30"]
    moved = TicketEvent(ticket_id="XB1", at=AT, actor="wang", kind="transferred", note="换班",
                        detail=json.dumps({"to_expert": "zhao"}))
    assert event_text(moved, STAFF) == "王芳 转交给 赵强：换班"
    up = TicketEvent(ticket_id="XB1", at=AT, actor="assistant", kind="escalated", note="",
                     detail=json.dumps({"from_reason": "complaint", "from_priority": "high",
                                        "reason": "fraud_in_progress", "priority": "urgent"}))
    assert event_text(up, STAFF) == "智能助手 升级：客户投诉（高） → 疑似正在遭遇诈骗（紧急）"


def test_office_hours_read_well_with_no_office_days(tmp_path):
    """Before: CHATBOT_OFFICE_WEEKDAYS="" gave " 09:00–18:00", a time with no days in front."""
    from chatbot.conversations.handoff import HandoffPolicy
    from tests.conftest import make_settings

    assert HandoffPolicy(make_settings(tmp_path, office_weekdays="")).office_hours_text() == "暂未开放"
    assert HandoffPolicy(make_settings(tmp_path)).office_hours_text().startswith("周一至周五 ")
