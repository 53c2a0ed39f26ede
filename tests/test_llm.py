"""LLM mode against a real HTTP server on 127.0.0.1 driving the real ChatOpenAI client:
verified streaming, every verification rule, every failure mode falling back to the approved answer."""

from __future__ import annotations

import socket

import pytest

from chatbot.answer.assistant import Assistant
from chatbot.answer.llm import build_chat_model
from chatbot.services import build_assistant
from tests.conftest import make_settings
from tests.llm_server import FakeLLMServer, Reply

QUESTION = "信用卡免息期最长多少天？"
APPROVED_FIGURE = "56天"


@pytest.fixture(scope="module")
def llm_server():
    with FakeLLMServer() as server:
        yield server


def _assistant(demo_data_dir, embeddings, base_url, timeout=5.0) -> Assistant:
    settings = make_settings(demo_data_dir, llm_base_url=base_url, llm_timeout_s=timeout, llm_max_retries=1)
    return build_assistant(settings, embeddings=embeddings, auto_ingest=False)


@pytest.fixture
def assistant(llm_server, demo_data_dir, embeddings):
    return _assistant(demo_data_dir, embeddings, llm_server.base_url, timeout=2.0)


def test_grounded_answer_is_streamed_sentence_by_sentence(assistant, llm_server):
    llm_server.script(Reply("示例银行信用卡的免息还款期最长为56天[1]。请在到期还款日前全额还款[1]。"))
    events = list(assistant.stream(QUESTION))
    deltas = [e.text for e in events if e.kind == "delta"]
    assert deltas == ["示例银行信用卡的免息还款期最长为56天[1]。", "请在到期还款日前全额还款[1]。"]
    final = events[-1].answer
    assert final.outcome == "answered" and final.text.startswith("示例银行信用卡")
    assert final.citations and final.citations[0].id == "card-credit-interest-free"
    assert assistant.llm_status.state == "ok"
    request = llm_server.requests[-1]
    assert request["stream"] is True
    prompt = request["messages"][1]["content"]
    assert "[1]" in prompt and "56天" in prompt  # the sources are numbered in the prompt


@pytest.mark.parametrize("reply, rule", [
    ("示例银行信用卡的免息还款期最长为60天[1]。", "a wrong number"),
    ("信用卡免息期最长56天[1]。理财产品保本，请放心[1]。", "保本"),
    ("示例银行信用卡的免息还款期最长为56天。", "no citation"),
    ("免息期最长56天[1]。您的身份证号110101199003071234已登记[1]。", "an ID number"),
    ("免息期最长56天[9]。", "a citation to a source that does not exist"),
])
def test_verification_blocks_and_falls_back_to_the_approved_answer(assistant, llm_server, reply, rule, caplog):
    llm_server.script(Reply(reply))
    events = list(assistant.stream(QUESTION))
    final = events[-1].answer
    assert final.matched_id == "card-credit-interest-free", rule
    assert APPROVED_FIGURE in final.text and final.text not in reply, rule
    shown = "".join(e.text for e in events if e.kind == "delta")
    replaced = [e.text for e in events if e.kind == "replace"]
    visible = replaced[-1] if replaced else shown
    assert visible == final.text, rule  # what stays on screen is the approved answer
    for bad in ("60天", "保本", "110101199003071234"):
        assert bad not in visible
    assert "llm answer blocked rule=" in caplog.text


def test_wrong_sentence_is_never_shown(assistant, llm_server):
    llm_server.script(Reply("免息期最长56天[1]。逾期违约金为8%[1]。"))
    events = list(assistant.stream(QUESTION))
    assert all("8%" not in e.text for e in events)


@pytest.mark.parametrize("reply, name", [
    (Reply(status=500), "5xx"),
    (Reply(status=503), "503"),
    (Reply(""), "empty reply"),
    (Reply(malformed=True), "malformed reply"),
])
def test_failures_fall_back_and_health_degrades(assistant, llm_server, reply, name):
    llm_server.script(reply)
    answer = assistant.ask(QUESTION)
    assert answer.outcome == "answered" and APPROVED_FIGURE in answer.text, name
    assert answer.citations[0].id == "card-credit-interest-free"
    assert assistant.llm_status.state == "degraded", name
    llm_server.script(Reply("免息期最长56天[1]。"))
    assistant.ask(QUESTION)
    assert assistant.llm_status.state == "ok"


def test_timeout_falls_back(demo_data_dir, embeddings, llm_server):
    assistant = _assistant(demo_data_dir, embeddings, llm_server.base_url, timeout=0.5)
    llm_server.script(Reply("免息期最长56天[1]。", delay_s=2.0))
    answer = assistant.ask(QUESTION)
    assert APPROVED_FIGURE in answer.text and answer.matched_id == "card-credit-interest-free"
    assert assistant.llm_status.state == "degraded"
    assert "Timeout" in assistant.llm_status.last_error


def test_connection_refused_falls_back(demo_data_dir, embeddings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe closes
    assistant = _assistant(demo_data_dir, embeddings, f"http://127.0.0.1:{port}/v1", timeout=1.0)
    answer = assistant.ask(QUESTION)
    assert APPROVED_FIGURE in answer.text
    assert assistant.llm_status.state == "degraded"


def test_follow_up_is_condensed_by_the_llm(assistant, llm_server):
    llm_server.script(Reply("对投诉处理决定不满意，申请核查要在多少天内提出？"),
                      Reply("应在收到处理决定之日起30日内向上一级机构提出书面核查申请[1]。"))
    history = [{"role": "user", "content": "投诉处理决定我不满意"}, {"role": "assistant", "content": "可以申请核查。"}]
    answer = assistant.ask("那要多久内提？", history)
    assert "30日" in answer.text
    condense_request = llm_server.requests[0]
    assert condense_request["messages"][0]["content"].startswith("你负责改写")


def test_rules_and_hand_offs_do_not_reach_the_llm(assistant, llm_server):
    llm_server.script(Reply("不应被调用"))
    answer = assistant.ask("我刚把钱转到了安全账户")
    assert answer.outcome == "handoff"
    assert llm_server.requests == []


def test_no_llm_configured_means_no_client():
    assert build_chat_model(make_settings(__import__("pathlib").Path("/tmp/x"))) is None


def test_ticket_summary_is_written_by_the_llm(assistant, llm_server, tmp_path, demo_data_dir):
    from chatbot.conversations.db import Database
    from chatbot.conversations.service import ChatService

    service = ChatService(assistant, Database(f"sqlite:///{tmp_path / 's.sqlite'}"), make_settings(demo_data_dir))
    llm_server.script(Reply("客户称其网点柜员态度恶劣，要求正式投诉并得到答复。"))
    ticket_id = service.chat("sum-1", "我要投诉你们网点的柜员").answer.ticket_id
    summary = service.tickets.get(ticket_id).summary
    assert "对话摘要：客户称其网点柜员态度恶劣" in summary and "触发消息：我要投诉你们网点的柜员" in summary
    llm_server.script(Reply(status=500))
    fallback = service.tickets.get(service.chat("sum-2", "我要投诉你们网点").answer.ticket_id).summary
    assert "对话摘要" not in fallback and "触发消息：我要投诉你们网点" in fallback


# --- the LLM's judgement: does the best source answer the question? (issue 12, item 5) -----------------

def test_the_llm_judging_the_source_off_topic_stops_the_answer(assistant, llm_server):
    llm_server.script(Reply("否"), Reply("示例银行信用卡的免息还款期最长为56天[1]。"))
    answer = assistant.ask(QUESTION)
    assert answer.outcome == "handoff" and answer.handoff_reason == "llm_judged_unanswered"
    assert len(llm_server.requests) == 1  # no answer was generated
    judged = llm_server.requests[0]["messages"]
    assert judged[0]["content"].startswith("你负责审核") and QUESTION in judged[1]["content"]
    assert APPROVED_FIGURE in judged[1]["content"]  # the best source is what is judged


def test_the_llm_judging_the_source_on_topic_lets_the_answer_through(assistant, llm_server):
    llm_server.script(Reply("是"), Reply("示例银行信用卡的免息还款期最长为56天[1]。"))
    answer = assistant.ask(QUESTION)
    assert answer.outcome == "answered" and answer.text == "示例银行信用卡的免息还款期最长为56天[1]。"
    assert len(llm_server.requests) == 2


@pytest.mark.parametrize("judgement", [Reply(status=500), Reply("这个问题不好说"), Reply(malformed=True)])
def test_a_failed_or_unclear_judgement_leaves_the_answer_to_the_other_checks(assistant, llm_server, judgement):
    llm_server.script(judgement, judgement, Reply("示例银行信用卡的免息还款期最长为56天[1]。"))
    answer = assistant.ask(QUESTION)
    assert answer.outcome == "answered" and APPROVED_FIGURE in answer.text


def test_the_llm_cannot_make_an_answer_the_checks_refused(assistant, llm_server):
    llm_server.script(Reply("是"))
    answer = assistant.ask("喵喵分期逾期了会冻结账户吗？")
    assert answer.outcome == "handoff" and answer.handoff_reason == "term_not_in_knowledge"
    assert llm_server.requests == []


# --- the audit trail names the LLM only when its text was served (issue 16, item 4) ---------------------

def test_the_audit_trail_names_the_model_only_when_the_llms_text_was_served(llm_server, demo_data_dir, embeddings,
                                                                            tmp_path, capsys):
    import argparse

    from chatbot.cli.explain import run as explain
    from chatbot.conversations.db import Database
    from chatbot.conversations.service import ChatService

    database_url = f"sqlite:///{tmp_path / 'audit.sqlite'}"

    def service(timeout: float) -> ChatService:
        settings = make_settings(demo_data_dir, llm_base_url=llm_server.base_url, llm_timeout_s=timeout,
                                 llm_max_retries=1, llm_model="qwen-audit-test")
        assistant = build_assistant(settings, embeddings=embeddings, auto_ingest=False)
        return ChatService(assistant, Database(database_url), settings)

    def explained(message_id: int) -> str:
        settings = make_settings(tmp_path, database_url=database_url)
        assert explain(argparse.Namespace(message_id=message_id, json=False), settings) == 0
        return capsys.readouterr().out

    served, slow = service(timeout=2.0), service(timeout=0.5)
    llm_server.script(Reply("是"), Reply("示例银行信用卡的免息还款期最长为56天[1]。"))
    generated = served.chat("audit-1", QUESTION)
    assert generated.answer.text == "示例银行信用卡的免息还款期最长为56天[1]。"
    assert served.trail.get(generated.answer_message_id).llm_model == "qwen-audit-test"
    assert "生成方式：大模型 qwen-audit-test" in explained(generated.answer_message_id)

    llm_server.script(Reply("是"), Reply("示例银行信用卡的免息还款期最长为56天[1]。", delay_s=2.0))
    timed_out = slow.chat("audit-2", QUESTION)
    assert APPROVED_FIGURE in timed_out.answer.text and timed_out.answer.text != generated.answer.text
    assert slow.trail.get(timed_out.answer_message_id).llm_model is None
    assert "生成方式：知识卡片原文（大模型未使用：超时）" in explained(timed_out.answer_message_id)

    llm_server.script(Reply("是"), Reply("示例银行信用卡的免息还款期最长为60天[1]。"))  # a wrong figure
    blocked = served.chat("audit-3", QUESTION)
    assert served.trail.get(blocked.answer_message_id).llm_model is None
    assert "大模型未使用：生成内容未通过核验（数字不在所引资料中）" in explained(blocked.answer_message_id)
    handoff = served.chat("audit-4", "我刚把钱转到了安全账户")  # a rule: the LLM has no say
    assert "（大模型未使用：此类回答不经大模型（规则" in explained(handoff.answer_message_id)


def test_a_message_read_with_the_question_before_it_is_judged_and_written_as_read(assistant, llm_server):
    """A message answered only when read with the question before it ("超过时间没去拿会怎么样？" after "我的卡被取款机吞
    了"): the LLM judged and wrote from the bare message, while the sources came from the reading with the question."""
    llm_server.script(Reply("我的卡被取款机吞了，超过领取时间没去拿会怎么样？"), Reply("是"),
                      Reply("超过领取时间未领取的卡将被销毁[1]。"))
    history = [{"role": "user", "content": "我的卡被取款机吞了。"},
               {"role": "assistant", "content": "请在2个工作日内到网点领取。", "outcome": "answered"}]
    answer = assistant.ask("超过时间没去拿会怎么样？", history)
    assert answer.outcome == "answered", answer.text
    judged = llm_server.requests[1]["messages"][1]["content"]
    assert judged.count("吞") and "超过领取时间" in judged
