"""Fraud happening now and money taken, told in words no pattern of rules.yaml has, are urgent hand-offs with the safety
steps: a trained recogniser (chatbot/answer/classifier.py, rule `suspected_emergency`) acts after retrieval, on what the
knowledge base does not answer and on what a card answers when the message does not only ask."""

from __future__ import annotations

import json

import pytest

from chatbot.answer.classifier import load_model, model_file
from chatbot.answer.replies import URGENT_MISREAD
from chatbot.conversations.handoff import reason_label
from chatbot.text import normalize

# Each was an ordinary hand-off ("not in the knowledge base") or a clarifying question before the recogniser.
UNANSWERED = [
    "微信上有人顶着我们领导的头像，让我先垫付一笔款给合作方，我已经打过去了",
    "有人正在用我的卡转账！手机一直收到扣款短信，快帮我停掉！",
    # clarified: "您想问的是以下哪个问题？" to someone whose money has just gone
    "视频里明明是我表哥的脸，叫我转五万救急，转完打他电话他说根本没找过我",
    "有人打电话说我儿子在外地出车祸了，要马上交手术费，我一着急已经转了三万过去，现在儿子电话打通了说他没事……",
]
# Each was answered with a card's general advice (safe accounts; judicial freezes), no person told.
ANSWERED_BY_A_CARD = [
    "俺爸刚才接了个电话说他医保卡违规了，又转到公安那边，让他把钱打到一个监管账户，俺爸已经打了四万多，咋整啊",
    "网贷客服说我银行卡号写错一位，贷款被冻结了，要交30%解冻，我刚把卡里仅有的6000都打过去了，怎么办",
]


@pytest.mark.parametrize("message", UNANSWERED + ANSWERED_BY_A_CARD)
def test_an_emergency_no_pattern_words_is_an_urgent_hand_off_with_the_safety_steps(demo_assistant, message):
    answer = demo_assistant.ask(message)
    assert answer.outcome == "handoff" and answer.priority == "urgent", (answer.outcome, answer.handoff_reason)
    assert answer.handoff_reason == "suspected_emergency" and answer.basis.decided_by == "rule"
    assert "110" in answer.text and "止付" in answer.text and "验证码" in answer.text


@pytest.mark.parametrize("message", [
    "网上贷款说我银行卡号填错账户被冻结，要转2万证明还款能力才能解冻，我刚转过去了",
    "我爸正在网银上操作给一个陌生账户转30万，说是投资群里的老师让转的，我劝不住，你们能不能先冻结",
])
def test_an_emergency_outranks_a_hand_off_short_of_urgent(demo_assistant, message):
    """Each was handed off by a pattern rule at normal or high priority (own account by its 冻结; a vulnerable
    customer's decision), without the safety steps."""
    answer = demo_assistant.ask(message)
    assert answer.priority == "urgent" and answer.handoff_reason == "suspected_emergency", answer.handoff_reason


@pytest.mark.parametrize("message", [
    "万一我把验证码告诉了骗子，应该怎么办？",
    "如果有人冒充公安让我转钱到安全账户，我该怎么办？",
    "要是接到自称客服的电话说要退款，让我开屏幕共享，这种是骗子吗？",
])
def test_a_question_about_fraud_keeps_its_answer(demo_assistant, message):
    answer = demo_assistant.ask(message)
    assert answer.outcome == "answered", (answer.outcome, answer.handoff_reason)


def test_a_hand_off_a_card_decides_stands(demo_assistant):
    """The recogniser reads a stolen bag with cards being used as an emergency (it is): the card on stolen credit cards
    already hands it off with its own steps, and keeps it — at the card's own priority, urgent (it was high)."""
    message = "包被抢了，银行卡在里面，现在一直收到消费短信"
    assert load_model(model_file("emergency")).recognises(normalize(message))
    answer = demo_assistant.ask(message)
    assert answer.handoff_reason == "card:card-credit-stolen" and answer.priority == "urgent", answer.priority


def test_money_just_sent_to_a_scammer_is_urgent_by_its_card(demo_assistant):
    """FACTS §11: fraud that just happened is urgent. The card for money just sent was a high-priority hand-off (its
    risk tier); it now says its priority (`Card.priority`)."""
    answer = demo_assistant.ask("我着人骗咯，转了两万过去")
    assert answer.handoff_reason == "card:card-handoff-fraud-money-sent", answer.handoff_reason
    assert answer.priority == "urgent"


@pytest.mark.parametrize("message", [
    # money sent to the customer's own family (the rule's exception: the recogniser reads 刚, 转了, 客服 as a scam's)
    "我刚转完钱给我女儿交学费，转账记录在哪里看？",
    "我把钱转到了我老婆的卡上，客服说要两小时到账",
    "我刚刚给我弟转了两万块钱，他买车用",
    "我刚给我女儿转了两万块，她说收到了",
    "我刚转账转错人了，转了五千给一个不认识的人，能追回来吗",
])
def test_a_lawful_or_mistaken_transfer_is_no_emergency(demo_assistant, message):
    answer = demo_assistant.ask(message)
    assert answer.handoff_reason != "suspected_emergency" and answer.priority != "urgent", answer.text


def test_family_posing_is_no_exception(demo_assistant):
    """The exception is for the customer's own family, not for someone posing as family (no pattern has these)."""
    for message in ("微信上我儿子说手机丢了换了新号，让我把学费转到他同学卡上，我刚转给我儿子说的那个卡了，现在打他原来的电话"
                    "他说根本没找过我", "有人冒充我儿子说换了新号，我刚把两万转给我儿子说的那个账户"):
        answer = demo_assistant.ask(message)
        assert answer.handoff_reason == "suspected_emergency", (answer.outcome, answer.handoff_reason)


def test_a_model_decided_alarm_says_it_may_have_misread(demo_assistant):
    """The recogniser raises an alarm on words no pattern has, so it can be wrong about a lawful transfer (its probes):
    the customer is told the steps and that they may simply say it is not so; an alarm a pattern raises is not hedged."""
    by_model = demo_assistant.ask(UNANSWERED[0])
    assert by_model.handoff_reason == "suspected_emergency" and URGENT_MISREAD in by_model.text, by_model.text
    assert by_model.text.index("110") < by_model.text.index(URGENT_MISREAD)  # the steps first
    by_pattern = demo_assistant.ask("我刚把钱转到了安全账户，对方自称是公安")
    assert by_pattern.priority == "urgent" and URGENT_MISREAD not in by_pattern.text, by_pattern.handoff_reason


def test_staff_read_why_in_chinese():
    assert reason_label("suspected_emergency") == "疑似诈骗或非本人交易（模型识别，请核实）"


def test_fitting_writes_the_shipped_model_from_the_training_data(tmp_path):
    from eval.fit_emergency import main

    out = tmp_path / "emergency.json"
    assert main(["--out", str(out)]) == 0
    fitted = json.loads(out.read_text(encoding="utf-8"))
    shipped = json.loads(model_file("emergency").read_text(encoding="utf-8"))
    assert fitted["threshold"] == shipped["threshold"] and fitted["weights"] == shipped["weights"]
