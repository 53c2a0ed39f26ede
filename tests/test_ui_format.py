"""Pure formatting helpers of the chat page, without a browser."""

from chatbot.payloads import Answer, Citation
from chatbot.web.ui import format_answer, limit_message, welcome_text


def test_answer_with_foldable_sources():
    answer = Answer("answered", "免息期最长56天。", [Citation("card-x", "免息期", "知识卡片", "最长56天<b>")])
    text = format_answer(answer)
    assert text.startswith("免息期最长56天。")
    assert "<details" in text and "参考依据（1）" in text
    assert "&lt;b&gt;" in text  # snippets are escaped


def test_answer_without_sources_has_no_details():
    assert "<details" not in format_answer(Answer("refused", "抱歉。"))


def test_line_breaks_survive_markdown():
    assert "第一行  \n第二行" in format_answer(Answer("handoff", "第一行\n第二行"))


def test_input_limits():
    assert limit_message("", 1000) == "请输入您想咨询的问题。"
    assert "1001" in limit_message("字" * 1001, 1000)
    assert limit_message("信用卡免息期", 1000) is None


def test_welcome_names_the_bank():
    assert welcome_text("测试银行").startswith("您好，我是测试银行")


def test_feedback_target_maps_chat_positions_to_stored_answers():
    from chatbot.conversations.models import Message
    from chatbot.web.ui import _feedback_target

    stored = [Message(id=1, role="user", content="问"), Message(id=2, role="assistant", content="答"),
              Message(id=3, role="user", content="再问"), Message(id=4, role="assistant", content="再答")]
    ids = [None, 1, 2, 3, 4]
    assert _feedback_target(stored, ids, 2) == 2
    assert _feedback_target(stored, ids, 1) == 2  # a position reported on the question means its answer
    assert _feedback_target(stored, [None, None, None], 4) == 4  # state not arrived yet: by position
    assert _feedback_target(stored, ids, 0) is None  # the welcome message is not stored


def test_hotline_is_a_tel_link_and_suggestions_become_buttons():
    from chatbot.web.chat_look import NO_FEEDBACK, link_hotline, split_suggestions
    from chatbot.web.ui import answer_message, feedback_value, welcome_message

    assert link_hotline("请拨打客服热线400-000-0000咨询", "400-000-0000") == (
        '请拨打客服热线<a class="xb-tel" href="tel:4000000000">400-000-0000</a>咨询')
    text = "抱歉，我已为您转接人工专家。\n您是不是想问：“信用卡年费怎么收？”；“怎么挂失？”"
    assert split_suggestions(text) == ("抱歉，我已为您转接人工专家。", ["信用卡年费怎么收？", "怎么挂失？"])
    message = answer_message(Answer("handoff", text), "400-000-0000")
    assert [o["value"] for o in message["options"]] == ["信用卡年费怎么收？", "怎么挂失？"]
    assert message["content"].startswith(NO_FEEDBACK) and "“怎么挂失？”" not in message["content"]
    assert NO_FEEDBACK not in answer_message(Answer("answered", "免息期最长56天。"))["content"]
    assert welcome_message("测试银行")["content"].startswith(NO_FEEDBACK)
    assert feedback_value("答非所问", False) == (-1, "答非所问")
    assert feedback_value("Like", True) == (1, None) and feedback_value("Dislike", False) == (-1, None)


def test_a_dislike_keeps_its_reason_until_a_like(tmp_path):
    from chatbot.conversations.db import Database
    from chatbot.conversations.history import ConversationStore

    store = ConversationStore(Database(f"sqlite:///{tmp_path / 'reasons.sqlite'}"))
    store.begin_turn("s1", "年费怎么收")
    answer_id = store.add_answer("s1", Answer("answered", "首年免年费。"))
    assert store.set_feedback(answer_id, -1, "s1", "信息有误")
    assert store.feedback_reason(answer_id) == "信息有误"
    assert store.set_feedback(answer_id, 1, "s1") and store.feedback_reason(answer_id) is None


def test_a_clarifying_question_keeps_its_options_after_a_reload_and_erasure_takes_them(tmp_path):
    from chatbot.conversations.db import Database
    from chatbot.conversations.erasure import DataEraser
    from chatbot.conversations.history import ConversationStore
    from chatbot.payloads import Option
    from chatbot.web.ui import stored_message

    store = ConversationStore(Database(f"sqlite:///{tmp_path / 'options.sqlite'}"))
    options = (Option("card-loan-prepay-booking", "房贷怎么提前还款？"), Option("card-loan-prepay-fee", "提前还款要违约金吗？"))
    store.begin_turn("s1", "房贷想一把还清，咋操作")
    asked = store.add_answer("s1", Answer("clarify", "您想问的是以下哪个问题？", options=options))
    store.add_answer("s1", Answer("answered", "首年免年费。"))
    assert store.clarify_options("s1") == {asked: options} and store.clarify_options("s2") == {}
    stored = [m for m in store.messages("s1") if m.id == asked][0]
    shown = stored_message(stored, "400-000-0000", store.clarify_options("s1")[asked])
    assert shown["options"] == [{"value": "card-loan-prepay-booking", "label": "房贷怎么提前还款？"},
                                {"value": "card-loan-prepay-fee", "label": "提前还款要违约金吗？"}]
    assert DataEraser(store.db).erase_session("s1", by="test")["clarify_options"] == 1
    assert store.clarify_options("s1") == {}
