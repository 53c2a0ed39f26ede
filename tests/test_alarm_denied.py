"""After an urgent alarm, the customer may say it was wrong ("不是诈骗，是正常转账"): the assistant takes their word for
the message's own question and does not repeat the alarm — nor answer "call 110" from the fraud card as a follow-up.
What is left of the message still meets every rule: a scam told after the denial is urgent again."""

from __future__ import annotations

import pytest

from chatbot.answer.replies import ALARM_DENIED


def _after_alarm(assistant, first: str) -> list[dict]:
    alarm = assistant.ask(first)
    assert alarm.outcome == "handoff" and alarm.priority == "urgent", alarm.handoff_reason
    return [{"role": "user", "content": first}, {"role": "assistant", "content": alarm.text, "outcome": alarm.outcome}]


FIRST = "刚给房东转了两万押金，对方说还没收到，怎么回事"  # raises the fraud alarm (a pattern: 转了…对方)


@pytest.mark.parametrize("denial", ["不是诈骗，是正常转账", "我只是正常转账", "没有被骗！", "你误会了，我没被骗"])
def test_a_bare_denial_is_acknowledged(demo_assistant, denial):
    answer = demo_assistant.ask(denial, _after_alarm(demo_assistant, FIRST))
    assert answer.text == ALARM_DENIED and "110" not in answer.text, answer.text


def test_the_question_after_a_denial_is_not_met_with_the_alarm_again(demo_assistant):
    answer = demo_assistant.ask("我没有遇到诈骗，只是正常转账给房东，想问跨行转账一般多久到账",
                                _after_alarm(demo_assistant, FIRST))
    assert answer.priority != "urgent" and "110" not in answer.text, (answer.outcome, answer.handoff_reason)


@pytest.mark.parametrize("message", [
    "我不是被骗了吧？",  # a doubt
    "没被骗 我还要继续转三万",  # no comma: the clause goes on
    "不是诈骗的话他怎么知道我的身份证号",  # supposes
    "这是我自己转的，他说这是资金核查，我还要再转三万",  # what a victim who sent the money says
])
def test_only_a_clause_that_only_denies_is_a_denial(demo_assistant, message):
    """The review's probes: each was taken for a bare denial by a first draft that read a clause opening with one."""
    answer = demo_assistant.ask(message, _after_alarm(demo_assistant, FIRST))
    assert answer.text != ALARM_DENIED, answer.text


def test_a_scam_told_after_the_denial_is_urgent_again(demo_assistant):
    answer = demo_assistant.ask("不是诈骗，但是他现在又让我把钱转到安全账户里去", _after_alarm(demo_assistant, FIRST))
    assert answer.priority == "urgent", (answer.outcome, answer.handoff_reason)


def test_a_doubt_without_an_alarm_before_is_no_denial(demo_assistant):
    answer = demo_assistant.ask("不是诈骗吧？我刚把钱转到了对方说的安全账户")
    assert answer.priority == "urgent", (answer.outcome, answer.handoff_reason)
