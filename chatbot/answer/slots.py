"""What kind of figure or fact a question asks for, and whether a passage states one.

A question like "一年期定期利率是多少？" asks for a rate. When the best-matching card or passage states no
rate at all, it is about a neighbouring matter (here: interest on early withdrawal), however similar its
wording, and answering from it would mislead: the assistant hands off instead. The same holds for a few
attributes that a passage either speaks to or does not: the least of something ("免息期最短是多少天？"
against a card on the longest) or the most ("大额存单最多能买多少？" against a card on the least), acting
for someone else ("可以让家人代办吗？"), doing it online ("能在APP上解除挂失吗？"), a time of day ("几点以后"),
whether something happens by itself ("会自动转存吗？" against a card on early withdrawal), the period a limit is
for ("每天最多能消费多少钱？" against a balance cap), and the event a period ends in ("钱几天到账？" against
a cooling-off period).
"""

from __future__ import annotations

import re

_NUMBER = r"(\d+(\.\d+)?|[一二两三四五六七八九十百千万]+)"
_ONLINE = r"手机银行|网上银行|网银|app|线上|网上|微信|小程序"
# A deadline asked in a word ("有没有期限", "期限是多久", "有期限没"): a period answers it. Not 没有期限, 有期限的存款,
# 买什么期限的 (a kind of product), nor 有时间限制没 ("投诉以后想撤回，有时间限制没？": 随时 answers it, as a yearly
# quota answers "购汇额度有时间限制没有？").
_LIMIT_IN_TIME = r"(期限|时限)"
ASKS_DEADLINE = (rf"(有没有|有无){_LIMIT_IN_TIME}|(?<!没)有{_LIMIT_IN_TIME}(吗|么|嘛|没|不)|"
                 rf"{_LIMIT_IN_TIME}(是)?(多久|多长|几天)")
_SUM = _NUMBER + r"\s*[万千百]?\s*(元|美元|块)"  # a sum of money

# slot -> (how a question asks for it, how a passage states it)
SLOTS: dict[str, tuple[re.Pattern, re.Pattern]] = {
    "rate": (re.compile(r"(利率|年化|费率|利息率).{0,6}(多少|几)|几个点|百分之几"),
             re.compile(r"\d+(\.\d+)?\s*[%％]|[万千百]分之[一二两三四五六七八九十\d]+")),
    # not "前几天/这几天/好几年" (a few days ago, these days, several years): no question; "提前几天" asks
    "duration": (re.compile(ASKS_DEADLINE + r"|多久|多长时间|(?<![这过好没])(?<![^提]前)(?<!^前)(几天|几个月|几年)|"
                            r"多少天|几个工作日|多少个?月|多少年"),
                 re.compile(_NUMBER + r"\s*(日|天|个?工作日|年|小时|个?月|期|周)")),
    # how much money: only a sum of money answers it, or that it is free ("2次" says how often, not how much)
    "money": (re.compile(r"多少钱|多少元|几块钱|收多少钱|花多少|要多少费用"),
              re.compile(_SUM + r"|\d+(\.\d+)?\s*[%％]|免费|不收|免收|无需.{0,4}费")),
    "amount": (re.compile(r"收多少|最多[^，。？?]{0,8}多少|上限是多少|额度是多少"),
               # a sum or a count ("最多能分多少期" is answered by 60期), not just any digit (a "5日" limit)
               re.compile(r"\d+(\.\d+)?\s*[万千百]?\s*(元|美元|块|笔|次|张|期|个|年|月|天|日|%|％)")),
    # whether something costs money: the answer must say so either way (收费, 免费, 不收…; 全额退还: nothing deducted)
    "fee": (re.compile(r"手续费|收费|收不收|费用|工本费|服务费|话费|(要|收|交|扣|掏)钱(吗|不)"),
            re.compile(r"费|收取|不收|全额(退|返)|\d+(\.\d+)?\s*元")),
    # a penalty for missing a payment: only a passage that names one states it (a minimum payment's 10% or an
    # interest rate is no penalty). Not 违约金 asked: customers say so of the fee for repaying a loan early too.
    "penalty": (re.compile(r"罚(多少|几|钱|款|息|金)|被罚|罚了?吗|滞纳金"), re.compile(r"违约金|罚息|罚款|滞纳金")),
    # how many times: a count ("每年2次"), not a deadline or a sum
    "times": (re.compile(r"几次|多少次|几回"), re.compile(_NUMBER + r"\s*(次|回|笔)")),
    "age": (re.compile(r"多少岁|几岁|多大岁数|多大年纪|年龄(是)?(多少|多大)"), re.compile(_NUMBER + r"\s*周?岁")),
    # the least of something that varies ("最少可以分几期"); not "最少要提前几天", which asks the requirement
    "minimum": (re.compile(r"(最短|最少|最低)(?!要|得|需)[^，,。？?]{0,6}(多少|几)"),
                re.compile(r"最短|最少|最低|至少|起码|下限|起|不低于|不少于|以上")),
    # the least sum to pay in, take out or repay ("提前还款最少得还多少钱", "有没有起点金额"): only a least tied to a sum or
    # a share states it ("20万元起", "最低还款额为账单金额的10%"); "至少提前15日预约" is a least of time
    "least_sum": (re.compile(r"(最少|最低|至少)(要|得|需要?)?(还|取|存|买|交|付|充|投|转|借)多少|起点金额|起存金额|"
                             r"起购金额|起投金额|最低金额|最少金额"),
                  re.compile(r"(最少|最低|至少|不低于|不少于|起点|起存|起购|起投)[^，,。；;]{0,12}(" + _SUM + r"|\d+(\.\d+)?\s*[%％])|"
                             + _SUM + r"\s*起")),
    # the most of something ("有上限吗", "最多能买多少"): a passage that gives only a least ("20万元起") does
    # not answer it; one with a cap, a quota or a fixed figure ("每笔2元", "每年免费2次") does
    "maximum": (re.compile(r"上限|封顶|(最多|最高|最大)([^，,。？?]{0,8}(多少|几)|呢)"),
                re.compile(r"最多|最高|最大|最长|上限|封顶|限额|额度|至多|以内|只能|仅|不超过|不得超过|不能超过")),
    # acting for someone else ("代办", "帮我妈去银行投诉"): the passage must say who may act (委托, 代办, 家属…; 本人 is no
    # answer: nearly every card asks for 本人有效身份证件). Not selling for another (帮别人代卖/代销: a kind of product).
    "proxy": (re.compile(r"代办|代为|代我|(?<![取替])代[他她]|替我|替他|替她|(家人|家属|亲属|别人|子女|儿子|女儿|老婆|老公|爱人|妻子|丈夫|父母)"
                         r".{0,3}(代(?!卖|售|销(?!户))|去办|来办|帮)|(帮|替|代)(我|他|她)?(老)?(妈妈?|爸爸?|母亲|父亲|父母|老人|家人|老婆|老公|"
                         r"爱人|孩子|儿子|女儿|奶奶|爷爷|外婆|外公|婆婆|公公)(去|来|到|在|把)?[^,，。？?]{0,6}?"
                         r"(办|投诉|开|取|领|挂失|销户|申请|补)(?![了过])"),
              re.compile(r"代办|代理|委托|代为|他人|家属|亲属|继承人")),
    # doing it online: the passage must name an online channel ("能在APP上解除挂失吗" against a card that says
    # to go to a branch)
    "online": (re.compile(rf"(能|可以|可不可以|能不能|能否)[^，,。？?]{{0,4}}({_ONLINE})|({_ONLINE})[^，,。？?]{{0,2}}(能|可以|可不可以|能不能|能否)"),
               re.compile(_ONLINE)),
    # a time of day ("催收晚上几点以后就不能打电话了？"): a clock time or a period of the day, not a number of days.
    # Not "需要注意哪几点", "有几点需要注意的吗" (several points).
    "clock": (re.compile(r"几点(钟|以后|之后|以前|之前|前|后|开始|结束|到几点|关门|开门|上班|下班|营业)|"
                         r"(早上|晚上|上午|下午|中午|凌晨|每天)[^，,。？?]{0,4}几点|什么时间段|哪个时间段"),
              re.compile(r"\d+\s*(点|[:：]\d)|[一二两三四五六七八九十]+点|时间段|时段|24小时|全天")),
    # whether something happens by itself ("会自动转存吗", "到期自动续吗"): the passage must say what does
    # ("临时挂失自动失效"); not 自动 naming the customer's own set-up ("设置了自动还款，扣款失败会算逾期吗")
    "automatic": (re.compile(r"(会|能|可以|是不是|是否|能不能)(自动)|自动[^，,。？?]{0,6}(吗|嘛|(?<![怎什这那])么)"),
                  re.compile(r"自动")),
    # how many things one may hold or bind ("一个人最多能开几个二类户？", "能绑几张卡？"): a count of them, not a sum
    "count": (re.compile(r"(开|办|绑定?|持有|申请|关联)[^，,。？?]{0,4}(几个|几张|几家|多少个|多少张)"),
              re.compile(_NUMBER + r"\s*(个|张|家)(?!月|工作日|自然月|小时)")),
    # whether it is done on a weekend or a holiday ("周六周日能去网点领吗？"): the passage must speak of those days
    "weekend": (re.compile(r"(周末|周六|周日|星期六|星期天|星期日|礼拜六|礼拜天|节假日|双休|放假)[^，,。]{0,10}"
                           r"(能|可以|可不可以|能不能|营业|上班|办|开门|吗|么|不)"),
                re.compile(r"周末|周六|周日|星期六|星期天|星期日|节假日|双休|假日|全天|24小时|随时")),
}
# A limit per period ("每天最多能消费多少"): asked with a sum, a limit or a count, the passage must state a
# figure for that period (a balance cap or a yearly limit does not say what may be spent in a day).
PERIODS: dict[str, tuple[re.Pattern, re.Pattern]] = {
    "per_day": (re.compile(r"每天|每日|单日|日累计|一天(之内|内)?(最多|最高|能|可以|限|累计)"),
                re.compile(r"每天|每日|一天|单日|日累计|当日|当天")),
    "per_month": (re.compile(r"每月|每个月|月累计|一个月(之内|内)?(最多|最高|能|可以|限|累计)"),
                  re.compile(r"每月|每个月|一个月|月累计|月内|自然月")),
    "per_year": (re.compile(r"每年|全年|年累计|一年(之内|内)?(最多|最高|能|可以|限|累计)"),
                 re.compile(r"每年|一年|全年|年累计|年度|年内")),
}
# A duration asked until an event ("多少天内给我答复？", "钱几天能退回到账？"): the passage must give a period
# that ends in that event — a figure whose own clause names it ("15日内作出处理决定", "15个工作日内答复"). A
# period for the customer's own step ("账单日后60天内提出争议申请", "收到处理决定之日起30日内申请核查") or a
# cooling-off period ("15日犹豫期内解除合同") says nothing about when the bank answers or the money arrives.
EVENTS: dict[str, tuple[re.Pattern, re.Pattern]] = {
    "until_response": (re.compile(r"答复|回复|回应|反馈|说法|办结|处理完|处理意见|处理决定|"
                                  r"(出|给|有|告知|拿到|给出)[^,，。?？]{0,3}结果"),
                       re.compile(r"答复|回复|反馈|作出|办结|处理完毕|结果")),
    "until_refund": (re.compile(r"到账|退回|返还|打回|退到|到卡|回到.{0,3}卡|(钱|款).{0,4}回来"),
                     re.compile(r"到账|退回|退还|返还|退款|退至|划回")),
    # the customer's own deadline ("投诉要在多长时间内提出？", "几天内要去办正式挂失？"): the bank's period for
    # deciding ("15日内作出处理决定") does not answer it
    "until_own_step": (re.compile(rf"({SLOTS['duration'][0].pattern})(之内|以内|内)"
                                  r"[^，,。？?]{0,4}(提出|申请|提交|发起|去办|办理|领|报案|挂失)"),
                       re.compile(r"提出|申请|提交|发起|办理|领取|报案|挂失")),
    # how long something is kept ("销户以后还会保存我的信息多久？"): a period of keeping ("自…起保存5年", "5年保存期"), not
    # the period for answering a request to delete it
    "kept_for": (re.compile(r"(保存|保留|留存|存档|存放)[^,，。?？]{0,6}(多久|多长时间|几年|多少年|几个月|期限)|"
                            r"(多久|多长时间|几年|多少年)[^,，。?？]{0,4}(保存|保留|留存)"),
                 re.compile(r"保存|保留|留存|存档")),
}
_FIGURE_CLAUSE = re.compile(SLOTS["duration"][1].pattern + r"[^,，。;；!！?？]*")  # a period, to its clause's end
# the customer's step may come after a comma ("30日内，以书面形式……申请核查"): a period, to its sentence's end
_FIGURE_SENTENCE = re.compile(SLOTS["duration"][1].pattern + r"[^。;；!！?？]*")
# Asking on someone's behalf ("我替我妈问一下") is no acting for them.
_ASKING_FOR = re.compile(r"(替|帮|代)(我|他|她)?.{0,3}?(问|咨询|了解|打听)")
_COUNTED = ("money", "amount", "times")
# Kinds that one other stated figure does not answer: whether it costs money, how much money, how many times,
# what age, the least or the most of something, acting for another, doing it online, a time of day, whether it
# happens by itself, how many may be held, a weekend, the period of a limit, the event a period ends in.
_SPECIFIC = ("fee", "money", "penalty", "times", "age", "minimum", "least_sum", "maximum", "proxy", "online", "clock",
             "automatic", "count", "weekend", *PERIODS, *EVENTS)
FIGURES = frozenset({"rate", "duration", "money", "amount", "fee", "penalty", "times", "age", "least_sum", "clock",
                     "count", *PERIODS, *EVENTS})
_STATES = {slot: states for slot, (_, states) in {**SLOTS, **PERIODS}.items()}  # how a passage states each kind
_LEAST_ONLY = re.compile(r"起存|起购|起投|起点|\d\s*[万千百]?元?起|不低于|不少于|至少|以上")  # a least, as "20万元起"


# Kinds of figure that answer each other's questions: a sum, a limit or a rate says "how much"; a duration
# says "how long" ("最多分多少个月" and "最多分几年" ask the same). Whether it costs money belongs to neither.
_FAMILIES = {"rate": "how much", "money": "how much", "amount": "how much", "duration": "how long"}


def asks_another_kind(asked: list[str], phrasing: str) -> bool:
    """True when the card phrasing that matched a question (normalised) asks only for another kind of figure
    than the question does: "犹豫期内退保能退回多少钱？" matched for "钱几天能退回": the match is on the
    subject, and the card answers how much, not how long."""
    wanted = {_FAMILIES[slot] for slot in asked if slot in _FAMILIES}
    offered = {_FAMILIES[slot] for slot in asked_slots(phrasing) if slot in _FAMILIES}
    return bool(wanted and offered and not wanted & offered)


def asked_slots(question: str) -> list[str]:
    """The kinds of figure or fact a normalised question asks for (keys of `SLOTS`, then of `PERIODS` and
    `EVENTS`); empty for others. Only the asking part counts: in "信用卡欠了几个月，催收员…他们能这么干吗？" no
    duration is asked — except for whom: "我想替他去投诉，需要带哪些材料？" asks what an agent brings."""
    text = _asking_part(question)
    asked = [slot for slot, (asks, _) in SLOTS.items() if slot != "proxy" and asks.search(text)]
    if SLOTS["proxy"][0].search(_ASKING_FOR.sub(" ", _question_sentences(question))):
        asked.append("proxy")
    if set(asked) & set(_COUNTED):
        asked += [period for period, (asks, _) in PERIODS.items() if asks.search(text)]
    if "duration" in asked:
        asked += [event for event, (asks, _) in EVENTS.items() if asks.search(text)]
    return asked


def _question_sentences(text: str) -> str:
    """The sentences that end with a question mark; the whole text when none does."""
    sentences = [s for s in re.findall(r"[^？?。！!]*[？?]", text) if s.strip("？? ")]
    return " ".join(sentences) if sentences else text


def _asking_part(text: str) -> str:
    """The last clause of every sentence that ends with a question mark; the whole text when none does."""
    sentences = [s for s in re.findall(r"[^？?]*[？?]", text) if s.strip("？? ")]
    if not sentences:
        return text
    return " ".join(re.split(r"[，,；;。！!]", sentence)[-1] for sentence in sentences)


def states_any(text: str, slots: list[str]) -> bool:
    """True when the passage states a figure of at least one of the asked kinds."""
    return any(_states(text, slot) for slot in slots)


# A date ("自2024年6月1日起") is when a rule began, not a period: it states no duration ("一般几天能办下来" against the card
# on deceased depositors, whose only figures of time are its date).
_DATE = re.compile(r"\d{4}\s*年(\s*\d{1,2}\s*月(\s*\d{1,2}\s*日)?)?|\d{1,2}\s*月\s*\d{1,2}\s*日")


# A sum left to a published standard ("超出次数的按征信机构公示的标准执行", "未达到条件的，按本行公示的收费标准收取年费"):
# the passage says there is a price and does not give it.
_PRICE_DEFERRED = re.compile(r"按[^，,。；;]{0,12}(公示|公布)的?[^，,。；;]{0,4}标准")
_A_SUM = re.compile(_SUM)


def _states(text: str, slot: str) -> bool:
    text = _DATE.sub(" ", text)
    if slot in EVENTS:
        return _states_event(text, slot)
    if slot == "money" and _PRICE_DEFERRED.search(text) and not _A_SUM.search(text):
        return False  # how much is asked; what is free ("免费2次") is no price for the rest
    return bool(_STATES[slot].search(text))


def _states_event(text: str, event: str) -> bool:
    """Whether a period in the passage ends in the event: the clause of a duration figure names it."""
    if event == "kept_for":  # the keeping may come before its period ("保存5年"): the figure's whole clause
        return any(EVENTS[event][1].search(clause) and _FIGURE_CLAUSE.search(clause)
                   for clause in re.split(r"[,，。;；!！?？]", text))
    span = _FIGURE_SENTENCE if event == "until_own_step" else _FIGURE_CLAUSE
    return any(EVENTS[event][1].search(clause.group()) for clause in span.finditer(text))


def unstated(text: str, slots: list[str]) -> list[str]:
    """The asked kinds that leave the question unanswered by this passage. One stated figure is enough
    for "多久、多少" asked of one rule; but whether something costs money, how much money, how many times…
    (`_SPECIFIC`) needs its own statement, however many other figures ("5日", "2次") the passage gives: then
    the kinds it does not state are returned (for the hand-off log), not the ones it does."""
    if not _LEAST_ONLY.search(text):  # the most is left open only by a passage that gives a least
        slots = [slot for slot in slots if slot != "maximum"]
    missing = [slot for slot in slots if not _states(text, slot)]
    if any(slot in _SPECIFIC for slot in missing):
        return missing
    return [] if len(missing) < len(slots) else slots
