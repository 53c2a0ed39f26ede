"""Which figure a question asks for, and whether a passage states one."""

from __future__ import annotations

import pytest

from chatbot.answer.slots import asked_slots, asks_another_kind, states_any, unstated
from chatbot.text import normalize


@pytest.mark.parametrize("question, slots", [
    ("三年期定期存款利率是多少？", ["rate"]),
    ("临时挂失能维持几天？", ["duration"]),
    ("前几天有人要我报验证码，我挂了，银行会要验证码吗", []),  # 前几天: a few days ago, no question
    ("这几年的流水能打印吗？好几个月没用了", []),
    ("III类户最多能放多少钱？", ["money", "amount", "maximum"]),
    ("大额存单20万起，那最多能买多少？有上限吗？", ["amount", "maximum"]),
    ("那最高呢？", ["maximum"]),  # a follow-up asking the most
    ("银行卡丢了怎么办？", []),
    ("信用卡取现要手续费吗？", ["fee"]),
    ("首问负责制是什么意思？", []),
    # acting for a relative: the card on complaints by an agent says what to bring (委托书), not the one on contents
    ("我想帮我妈去银行投诉，需要准备什么东西？", ["proxy"]),
    ("我帮我爸转了钱，多久到账？", ["duration", "until_refund"]),  # done for him: no acting for him asked
    ("帮我妈妈去银行投诉要带什么？", ["proxy"]),  # the review's probes: 妈妈, 把…, and 取了 done
    ("帮我妈把卡挂失可以吗？", ["proxy"]),
    ("帮我妈取了钱，多久到账？", ["duration", "until_refund"]),
    # a deadline asked in a word; not a kind of product (买什么期限的) nor a product without one (没有期限的)
    ("对投诉结果不满意，申请核查有没有期限？", ["duration"]),
    ("买什么期限的大额存单比较好？", []),
    ("没有期限的存款利息怎么算？", []),
    ("提争议有期限没？我账单出来都好些天了", ["duration"]),  # 没 at the end
    # whether there is a time limit at all: 随时 or 每年 answer it as well as a period
    ("投诉以后想撤回，有时间限制没？", []),
    ("个人购汇的额度有时间限制没有？", []),
    # only the asking part counts: "欠了几个月" tells, it does not ask
    ("信用卡欠了几个月，催收员说要告诉我邻居，他们能这么干吗？", []),
    ("刷卡消费以后，最多隔多久还钱不收利息？", ["duration"]),
    ("风险测评一年最多能做几次？", ["times", "maximum", "per_year"]),
    ("多少岁以上的老人可以走爱心窗口？", ["age"]),
    ("信用卡免息期最短是多少天？", ["duration", "minimum"]),
    ("房贷提前还款最少要提前几天预约？", ["duration"]),  # the requirement, not the least of several options
    # the least sum to pay in, take out or repay (it was answered with "至少提前15日预约", a least of time)
    ("房贷提前部分还款最少要还多少钱？", ["money", "least_sum"]),
    ("定期存款部分提前支取，最少要取多少？", ["least_sum"]),
    ("大额存单起点金额是多少？", ["least_sum"]),
    ("定期存款提前支取，可以让家人代办吗？", ["proxy"]),
    ("临时挂失以后卡又找到了，能自己在APP上解除挂失吗？", ["online"]),
    ("III类户每天最多能消费多少钱？", ["money", "amount", "maximum", "per_day"]),  # a limit per day
    ("一天收到好几个催收电话合规吗？", []),  # a period, but no figure asked
    # a duration until an event: the bank's answer, the money back
    ("信用卡争议交易提交以后，银行多少天内给处理结果？", ["duration", "until_response"]),
    ("冷静期内撤销了，钱几天能退回到账？", ["duration", "until_refund"]),
    ("投诉要在多长时间内提出？", ["duration", "until_own_step"]),
    ("临时挂失以后几天内要去办正式挂失？", ["duration", "until_own_step"]),
    ("风险测评的结果有效期是多长时间？", ["duration"]),  # a result, not the bank's answer
    ("销户以后，银行还会保存我的个人信息多久？", ["duration", "kept_for"]),  # how long something is kept
    ("一个人最多能开几个二类户？", ["maximum", "count"]),  # how many may be held: a count, not a sum
    ("给96110打电话要收话费吗？", ["fee"]),  # the cost of a call is a fee too
    ("ATM吞卡正好赶上周末，周六周日能去网点领吗？", ["weekend"]),
    ("逾期记录要保留几年？", ["duration", "kept_for"]),
    ("催收晚上几点以后就不能打电话了？", ["clock"]),  # a time of day, not a duration
    ("办理前需要注意哪几点？", []),
    ("有几点需要注意的吗？", []),
    ("自动扣款不成功怎么办？", []),
    ("三年定期到期了我一直没去取，会自动转存吗？", ["automatic"]),
    ("设置了自动还款，扣款失败会算逾期吗？", []),  # 自动 names the customer's set-up; overdue is asked
])
def test_asked_slots(question, slots):
    assert asked_slots(normalize(question)) == slots


@pytest.mark.parametrize("text, slots, stated", [
    ("按支取当天挂牌公告的活期存款利率计息。", ["rate"], False),
    ("日利率万分之五。", ["rate"], True),
    ("年化利率约为13%。", ["rate"], True),
    ("临时挂失有效期为5日。", ["duration"], True),
    ("新卡在七个工作日内制作完成。", ["duration"], True),
    ("请到网点办理。", ["duration"], False),
    ("余额不得超过2000元。", ["amount"], True),
])
def test_states_any(text, slots, stated):
    assert states_any(text, slots) is stated


@pytest.mark.parametrize("text, slots, missing", [
    ("临时挂失有效期为5日。", ["fee", "amount"], ["fee"]),  # a fee question needs a word on fees (5日 is a figure)
    ("正式挂失不收取手续费。", ["fee", "amount"], []),
    # all of the money back says nothing is deducted: "冷静期内退款会被扣钱吗"
    ("冷静期内您可以解除合同，银行全额退还您已支付的认购款项。", ["fee"], []),
    ("临时挂失5日内有效。", ["fee"], ["fee"]),
    ("新卡在7个工作日内制作完成，工本费20元。", ["duration", "amount"], []),
    ("请到网点办理。", ["duration"], ["duration"]),
    # a date is when a rule began, no period ("一般几天能办下来" was answered with the card on deceased depositors)
    ("自2024年6月1日起，余额不超过5万元的，可凭简化的证明材料办理提取。", ["duration"], ["duration"]),
    ("自2024年6月1日起施行，须在15日内办理。", ["duration"], []),
    # a price left to a published standard is no price: "第三次查要收多少钱" was answered with "免费2次…按…公示的标准执行"
    ("个人每年可以免费查询2次本人的信用报告，超出次数的按征信机构公示的标准执行。", ["money"], ["money"]),
    ("个人每年可以免费查询2次本人的信用报告，超出次数的按征信机构公示的标准执行。", ["fee"], []),  # whether: it says
    ("首年免收年费；未达到条件的，按本行公示的收费标准收取年费200元。", ["money"], []),
    # how much money: a count or a deadline does not say (before: both counted as an amount)
    ("个人每年可以查询2次。", ["money"], ["money"]),
    ("新卡在7个工作日内制作完成。", ["money"], ["money"]),
    ("免收借记卡年费。", ["money"], []),
    ("每笔收费2元。", ["money"], []),
    # the least, a count, an age, acting for another: another stated figure does not answer them
    ("免息期最长56天。", ["duration", "minimum"], ["minimum"]),  # only what it does not state
    ("最短20天，最长56天。", ["duration", "minimum"], []),
    ("风险测评结果有效期1年。", ["times"], ["times"]),
    # the most: a least ("20万元起") does not answer it; a cap, a longest or an only does
    ("个人大额存单的起存金额为20万元。", ["amount", "maximum"], ["maximum"]),
    ("每年享有等值5万美元的购汇便利化额度。", ["amount", "maximum"], []),  # a quota is the most
    ("每笔收费2元。", ["money", "maximum"], []),  # a fixed figure: its most too
    ("个人每年可以免费查询2次。", ["times", "maximum"], []),
    # the period must end in the event asked: not the customer's own step, not a cooling-off period
    ("请在账单日后60天内提出争议申请,本行受理后会调查并告知结果。", ["duration", "until_response"],
     ["until_response"]),
    ("自收到处理决定之日起30日内,向上一级机构申请核查。", ["duration", "until_response"], ["until_response"]),
    ("自受理投诉之日起15日内作出处理决定。", ["duration", "until_response"], []),
    ("在15日犹豫期内解除合同,保险公司会退还您已交的全部保费。", ["duration", "until_refund"], ["until_refund"]),
    ("退款在3个工作日内退回原账户。", ["duration", "until_refund"], []),
    # how long something is kept: a period of keeping, before or after its figure; not the period for answering
    ("不良信用信息自不良行为或事件终止之日起保存5年，期满后删除。", ["duration", "kept_for"], []),
    ("真实的不良记录在5年保存期内无法删除。", ["duration", "kept_for"], []),
    ("我们会在15个工作日内答复您的删除请求。", ["duration", "kept_for"], ["kept_for"]),
    # a count of things held, not of working days or a sum; a weekend by name or by "any time"
    ("II类户从非绑定账户转入资金的限额为每日1万元。", ["count"], ["count"]),
    ("请在3个工作日内到网点领取。", ["count"], ["count"]),
    ("同一个人在同一家银行只能开立一个I类户。", ["count"], []),
    ("请在3个工作日内到网点领取。", ["weekend"], ["weekend"]),
    ("全天24小时可办。", ["weekend"], []),
    # the customer's own deadline: the bank's period for deciding does not give it
    ("自受理投诉之日起15日内作出处理决定。", ["duration", "until_own_step"], ["until_own_step"]),
    ("请在账单日后60天内向本行提出争议申请。", ["duration", "until_own_step"], []),
    ("自收到处理决定之日起30日内,以书面形式向上一级机构申请核查。", ["duration", "until_own_step"], []),
    ("余额不得超过2000元。", ["amount", "maximum"], []),
    # the least sum: only a least tied to a sum or a share states it
    ("需至少提前15日预约，第一年内提前还款按本金的1%收取手续费。", ["least_sum"], ["least_sum"]),
    ("可以办理部分提前支取，但只能办理一次。", ["least_sum"], ["least_sum"]),
    ("个人大额存单的起存金额为20万元。", ["least_sum"], []),
    ("最低还款额为当期账单金额的10%。", ["minimum", "least_sum"], []),
    ("最长可分60期。", ["amount", "maximum"], []),
    ("可以办理部分提前支取，但只能办理一次。", ["times", "maximum"], []),
    ("个人每年可以免费查询2次。", ["times"], []),
    ("年满60周岁的老年客户可优先办理。", ["age"], []),
    ("可部分提前支取一次，剩余部分按原利率计息。", ["proxy"], ["proxy"]),
    ("他人代办的，须出示双方身份证件。", ["proxy"], []),
    ("请携带本人有效身份证件到营业网点办理。", ["online"], ["online"]),
    ("可通过手机银行或营业网点办理。", ["online"], []),
    ("账户余额任何时候不得超过2000元。", ["money", "amount", "maximum", "per_day"], ["per_day"]),
    ("消费限额为每日1万元、每年20万元。", ["money", "amount", "maximum", "per_day"], []),
    ("不得在晚上10点至早上8点之间催收。", ["clock"], []),
    ("不得以频繁骚扰等方式催收。", ["clock"], ["clock"]),
    ("超过5日未办理的，临时挂失自动失效。", ["automatic"], []),
    ("提前支取的部分按活期利率计息。", ["automatic"], ["automatic"]),
])
def test_unstated(text, slots, missing):
    assert unstated(text, slots) == missing


@pytest.mark.parametrize("question, phrasing, another", [
    # the phrasing that matched asks "how much"; the question asks "how long": the match is on the subject
    ("犹豫期内退保，钱几天能退回到卡里？", "犹豫期内退保能退回多少钱？", True),
    ("犹豫期内退保能退多少钱", "犹豫期内退保能退回多少钱？", False),
    # a sum and a limit answer each other's questions; so do "how many months" and "how many years"
    ("去隔壁行的ATM取钱扣几块钱啊", "在别的银行ATM取钱收多少", False),
    ("信用卡账单最多能分成多少个月来还？", "信用卡最多分几年", False),
    # a phrasing that asks for no figure says nothing either way
    ("临时挂失以后几天内要去网点？", "临时挂失之后还要做什么？", False),
])
def test_a_matched_phrasing_that_asks_another_kind_of_figure(question, phrasing, another):
    assert asks_another_kind(asked_slots(normalize(question)), normalize(phrasing)) is another


def test_a_question_matched_only_on_its_subject_is_not_answered(demo_assistant):
    """Before: "钱几天能退回" was answered from the card on how much a cooling-off surrender refunds (the card
    states the 15-day period, so the duration check passed); no card says how long the refund takes."""
    answer = demo_assistant.ask("犹豫期内退保，钱几天能退回到卡里？")
    assert answer.outcome == "handoff" and answer.handoff_reason == "figure_not_in_knowledge", answer.text
    assert demo_assistant.ask("犹豫期内退保能退多少钱").outcome == "answered"
    assert demo_assistant.ask("信用卡账单最多能分成多少个月来还？").outcome == "answered"


def test_how_long_something_is_kept_is_answered_only_by_a_period_of_keeping(demo_assistant):
    """Before: "销户以后，银行还会保存我的个人信息多久？" was answered from the card on deleting personal information, whose
    15 working days are for answering a request; how long a negative record is kept is answered (5年)."""
    assert demo_assistant.ask("销户以后，银行还会保存我的个人信息多久？").outcome == "handoff"
    for question in ("逾期记录要保留几年？", "信用卡逾期记录在征信上会保存多久？"):
        answer = demo_assistant.ask(question)
        assert answer.outcome == "answered" and "5年" in answer.text, (question, answer.outcome, answer.text)


def test_a_question_on_another_attribute_of_a_covered_subject_is_not_answered(demo_assistant):
    """Before: each was answered from the card on the same subject that states another attribute (the longest
    interest-free period, the booking deadline, the priority window without an age, partial withdrawal, the
    least sum for a large-sum deposit asked its most, a cooling-off period asked when the money is back, the
    deadline for raising a dispute asked when the bank answers, the bank's 15 days for deciding a complaint
    asked the customer's own deadline for raising one)."""
    for question, reason in [("信用卡免息期最短是多少天？", "attribute_not_in_knowledge"),
                             ("房贷一年最多能提前还几次？", "figure_not_in_knowledge"),
                             ("多少岁以上的老人可以走爱心窗口？", "figure_not_in_knowledge"),
                             ("定期存款提前支取，可以让家人代办吗？", "attribute_not_in_knowledge"),
                             ("临时挂失以后卡又找到了，能自己在APP上解除挂失吗？", "attribute_not_in_knowledge"),
                             # the card on II类户 ranks first since the cards list customers' wordings; it never names
                             # III类户, so the hand-off is for the subject, with both cards suggested
                             ("III类户每天最多能消费多少钱？", "subject_not_in_knowledge"),
                             ("个人大额存单最多能买多少？有没有上限？", "attribute_not_in_knowledge"),
                             ("私募理财冷静期里反悔了，退的钱要几天才能到账？", "figure_not_in_knowledge"),
                             ("信用卡交易有争议，提交申请以后多久能出调查结果？", "figure_not_in_knowledge"),
                             ("我对你们的服务不满意，投诉要在多长时间内提出？", "figure_not_in_knowledge"),
                             # session 12: a time of day
                             ("催收晚上几点以后就不能打电话了？", "figure_not_in_knowledge"),
                             # session 31: how long it is kept (before: the card on deleting personal information,
                             # which gives the 15 working days for answering a request)
                             ("销户以后，银行还会保存我的个人信息多久？", "figure_not_in_knowledge"),
                             # how many may be held (before: the II类户 card's sums); a weekend (before: the card on
                             # collecting a kept card, which gives working days)
                             ("一个人最多能开几个二类户？", "figure_not_in_knowledge"),
                             ("ATM吞卡正好赶上周末，周六周日能去网点领吗？", "attribute_not_in_knowledge")]:
        answer = demo_assistant.ask(question)
        assert answer.outcome == "handoff" and answer.handoff_reason == reason, (question, answer.text)
    # session 12: whether something happens by itself (before: the card on early withdrawal's interest)
    assert demo_assistant.ask("三年定期到期了我一直没去取，会自动转存吗？").outcome != "answered"
    # ordinary questions the same words appear in (review of session 4: each was handed off by a first draft)
    for question in ["信用卡免息期最长是多少天？", "一年能免费查几次征信？", "在手机银行买的理财产品会亏本金吗？",
                     "银行员工能因为年龄歧视我吗？", "跨行取款每月能免费几次？", "信用卡晚还一天要交多少钱？",
                     "III类账户最多能放多少钱？", "信用卡分期最多能分多少期？", "存款保险最高保多少钱？",
                     "对征信报告提了异议，银行多少天内给我答复？", "投诉以后银行多少天内给我处理结果？",
                     # review of session 6: a quota or a fixed figure answers "the most" (each was handed off)
                     "个人每年换外汇最多能换多少美元？", "跨行ATM取款手续费最高多少一笔？",
                     "个人信用报告一年最多能免费查几次？", "借记卡年费最高多少？",
                     # the customer's own deadline, where a card gives it
                     "信用卡争议交易要在多少天内提出？", "对投诉处理结果不满意，要在多久之内申请核查？",
                     "临时挂失以后几天内要去办正式挂失？", "临时挂失过了5天不去办正式挂失，会自动失效吗？"]:
        assert demo_assistant.ask(question).outcome == "answered", question


def test_a_runner_up_that_states_what_is_asked_comes_first(demo_assistant):
    """Before: handed off, the card on the interest of early withdrawal (first, stating no count) hiding the
    card on partial withdrawal a hair below it, which says 只能办理一次."""
    answer = demo_assistant.ask("定期存款能提前取几次？")
    assert answer.outcome == "answered" and answer.matched_id == "card-deposit-partial-withdrawal", answer.text


@pytest.mark.parametrize("question, asked", [
    ("我想替他去投诉，需要带哪些材料？", True),  # for whom, in the clause before what is asked
    ("我老婆想帮我去网点办，要带什么？", True),
    ("我替我妈问一下，信用卡年费多少？", False),  # asking on someone's behalf is no acting for them
    ("信用卡年费多少？", False),
    # selling on another's behalf is a kind of product, no acting for the customer
    ("银行帮别人代卖的产品有哪些，在哪能查到？", False),
    ("银行替别人代销的基金出了问题找谁？", False),
    ("可以让家人代理办理挂失吗？", True),  # 代理 and 代…销户 still act for the customer (a reviewer's probes)
    ("让我儿子代销户行吗", True),
])
def test_acting_for_someone_is_asked_anywhere_in_the_question(question, asked):
    assert ("proxy" in asked_slots(normalize(question))) is asked


def test_a_penalty_is_asked_and_only_a_penalty_states_it():
    assert "penalty" in asked_slots(normalize("最低还款没还上，会被罚多少钱？"))
    assert "penalty" in asked_slots(normalize("晚还了会收滞纳金吗？"))
    assert "penalty" not in asked_slots(normalize("房贷提前还款要收违约金吗？"))  # the early-repayment fee, so called
    assert "penalty" not in asked_slots(normalize("信用卡年费多少钱？"))
    # the minimum payment's 10% and its interest say nothing of what is charged for missing it
    assert unstated("最低还款额为当期账单金额的10%，按日利率万分之五计息。", ["penalty"]) == ["penalty"]
    assert unstated("按未还最低还款额部分的5%收取违约金。", ["penalty"]) == []


def test_a_price_the_card_leaves_to_a_published_standard_is_not_given(demo_assistant):
    for question in ("一年两次免费查征信用完了，第三次查要收多少钱", "你们信用卡的年费是多少钱一年？"):
        answer = demo_assistant.ask(question)
        assert answer.outcome == "handoff", (question, answer.matched_id)
    assert demo_assistant.ask("查信用报告要钱吗").outcome == "answered"  # whether it costs: the card says
