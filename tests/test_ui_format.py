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
