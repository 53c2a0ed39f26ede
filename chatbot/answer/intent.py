"""A question about the rules, or a request to act? The same trigger word is in both.

"我投诉了你们银行，按规定最迟多少天要给我处理结果？" asks for a figure (15日); "我要投诉你们网点的柜员" asks
the bank to act. A rule in `rules.yaml` says how much a message must read as a question before the
assistant answers it instead of handing off at once (`on_question`):

- `handoff` (the default): always hand off — threats, distress, a request for a person;
- `answer`: any information question (complaint rules, deadlines, channels);
- `answer_if_general`: a question about what happens in general, not about this customer's account
  (一般/按规定/什么情况下/可以要求…吗): "卡突然被限制非柜面交易了，一般是什么原因";
- `answer_if_hypothetical`: only a question about a case that has not happened to the customer
  (万一/如果/听说/有人说, 会让我…吗), never one that is happening now (我刚/正在/已经): fraud stays immediate.
  A doubt about what someone asked of the customer (…让我报一下验证码，这正常吗？) is such a question too, unless the
  customer did it or it goes on (我报了, 还开着); having refused (我已经挂掉了) still lets it be answered.

Whatever the rule allows, a message that asks the bank to do something (帮我/给我…退/查/删/处理) is a
request, and the rule acts. A rule marked `on_request` also fires on any clause addressed to the bank that asks it
to act (帮我把账单分成12期, 请把我的数据都删掉, 麻烦你们给我注销): `asks_bank_to_act`.
"""

from __future__ import annotations

import re
from typing import Literal

OnQuestion = Literal["handoff", "answer", "answer_if_general", "answer_if_hypothetical"]

_ASKS = re.compile(r"[？?]|吗|么|呢|多少|多久|多长|几天|几个|几次|什么|啥|怎么|怎样|如何|哪|是否|能否|可否|能不能|"
                   r"可不可以|可以不|行不行|会不会|有没有|是不是|要不要|算不算|合不合|对不对|靠谱|一般|咋")
_REQUEST = re.compile(r"(帮我|给我|替我|为我|请你们|你们给我|你们帮我|马上|立刻|立即|赶紧|赶快|我要求|我要|我想要|请尽快)"
                      r".{0,10}(处理|退|查|删|冻结|解冻|解除|投诉|举报|赔|补偿|转人工|人工|登记|撤销|恢复|核实|回电|打电话|说法|交代)")
# A clause addressed to the bank (帮我, 请…把, 麻烦你们, 你们给我, 能不能替我) followed, within the clause and with no
# speech verb or asking word between, by a verb of doing something to the customer's account or matter. 查 and
# 核实 are not here: "帮我查一下信用卡年费怎么收" asks about the rule (a look-up of the customer's own account is
# an own-account pattern in rules.yaml); nor are 投诉/人工, which have rules of their own.
_ADDRESSED = r"((?<!我能)(?<!我可以)(帮我|替我|给我)(?!的|老公|老婆|丈夫|妻子|妈|爸|父母|家人|孩子|儿子|女儿|爷爷|奶奶)|给俺|帮俺|为我|帮忙|(?<![太好真很挺多])麻烦(?!死|了)(你|你们)?|劳驾|你们?(帮|给|替)我|你们(把|将)|请(你们?)?(帮|给|替)?我?(?=把|将)|我要你们?|please help me|pls help me|help me)"
_NOT_DOING = r"讲|说|解释|介绍|科普|分析|算|列|总结|想|看|比较|对比|判断|评估|参谋|推荐|怎么|如何|什么|哪|多少|能否|是否|\?"
_DOING = (r"登记|提交|办理|开通|关闭|关掉|注销|销户|删|退|撤销|撤回|取消|调高|调低|提高|提额|降低|调整|修改|更改|"
          r"更换|补办|补发|补寄|寄|解冻|解除|解开|恢复|止付|分期|分成|延期|延长|预约|约一下|催|加急|申请|赎回|开具|"
          r"打印|导出|异议|挂失|销了|销掉|分\d+期|往上提|上调|开一下|补(一|1)?[张个本]|联系(?!方式|电话|地址)|cancel|"
          r"改(过来|掉|成|回|正)(?![了过的])|改了(?=吧|啊|呀|[,，。.!！]|$)|(更正|重置|去掉|撤掉|移除|递交|转交)(?![了过的])|"
          r"重新[^,，。]{0,3}(做|办|测|评|弄|发|寄)(?![了过的])|"
          r"(处理|解决)(?!结果|决定|意见|时限|期限|时间|进度|流程|方案|办法)")
_URGING = frozenset({"我要求", "马上", "立刻", "立即", "赶紧", "赶快", "请尽快"})  # not 帮我/给我: `_ACT` reads those
_OWN_RULES = frozenset({"投诉", "举报", "转人工", "人工"})  # urged actions other rules hand off (complaint, human_request)
_ACT = re.compile(_ADDRESSED + r"(?:(?!" + _NOT_DOING + r")[^,，。.!！?？;；]){0,12}?(" + _DOING + ")")
# ...unless the clause asks what the bank may or must do in general ("我可以要求你们删掉…吗", "银行能帮我撤回吗"), or
# reports someone else's offer ("有人说能帮我修复征信", "客服…说帮我操作退款") or a relative or friend the customer
# sends ("让我老婆去网点帮我投诉"): `_REPORTED`, which also stops the urging words of `_REQUEST`.
_REPORTED_TEXT = (r"(说|称|冒充|骗子|诈骗).{0,10}(帮|给|替)|(让|叫|请|托|委托)我?的?(老婆|老公|丈夫|妻子|爱人|妈|爸|父母|"
                  r"家人|孩子|儿子|女儿|朋友|同事|亲戚|兄弟|姐妹|哥|姐|弟|妹).{0,10}(帮|给|替)我")
# ...or describes a kind of service others sell ("网上那种收费帮忙删除征信不良记录的…，是不是诈骗？"): `_KIND_OF`.
_KIND_OF = (r"(那种|这种|那类|这类|那些|这些|有些|(?<!所)有的|所谓的?)[^,，。？?]{0,6}(帮人|替人|帮忙(?=[^,，。？?]{0,10}的"
            r"(公司|中介|机构|平台|软件|app|人|网站|广告|服务|征信修复)))")
_REPORTED = re.compile(_REPORTED_TEXT)
_NOT_ASKED_TO_ACT = re.compile(r"可以要求|能要求|有权|能不能要求|是否可以|一般|通常|" + _REPORTED_TEXT + "|" + _KIND_OF + "|"
                               r"银行.{0,2}(能|可以|会|能不能|可不可以|会不会).{0,4}(帮|给|替)")
# An urging word in a supposed case is no request ("如果我要求银行删除我的个人信息，你们多久给答复").
# Not 如果可以 (a polite request), nor 要是 of 主要是; only up to the urging word ("我要是想删除…" supposes, "我要投诉，
# 要是…" urges).
_SUPPOSED = re.compile(r"(如果|(?<![主只需重不想还就总])要是|假如|假设|(?<!千)万一|倘若)(?!(可以|方便|可能|行|允许)的?话?)")
# A bare order that ends the message ("退掉", "违约金求免", "撤了吧", "劳驾处理下"): a request when its clause asks
# nothing (a plea after it is no question: "免了吧求求了"); not the customer's own plan ("那我自己去网点弄吧").
_IMPERATIVE = re.compile(r"(?<![申邀提])(求|请)(免|减免|退|撤|取消|处理)|(" + _DOING + r"|撤|免|安排|处理|弄|(?<![能以会])去(?=掉))(掉|了吧|吧|一下吧?|下吧?|了它)"
                         r"[!！.。~～]*$")
_OWN_PLAN = re.compile(r"我(自己|先|再|回头)?(去|来)|我自己")
_POLITE_END = re.compile(r"[,，]?(求求(你|你们)?了?|拜托(你|你们)?了?|谢谢(你|您)?|麻烦(你|您)?了)[!！.。~～]*$")
_CLAUSE = re.compile(r"[,，。.!！?？;；]")  # a request stands in a clause of its own ("…，帮我登记。")
_CLAUSE_WITH_END = re.compile(r"[^,，。.!！?？;；]+[,，。.!！?？;；]*")
_RULE_QUESTION = re.compile(r"按规定|规定|最迟|最晚|多少天|几天内|多长时间|多久|是否|有权|可以要求|能不能要求")
_GENERAL = re.compile(r"一般|通常|按规定|规定|按理|最迟|最晚|最长|多少天|几天内|多长时间|有权|可以要求|能要求|能不能要求|"
                      r"是否|什么情况|哪些情况|什么原因|哪些原因|为什么会|会不会|的话|如果|万一|要是|假如|假设|听说|据说|"
                      r"有人说|银行(能|可以|会)")
_HYPOTHETICAL = re.compile(r"万一|如果|要是|假如|假设|听说|据说|有人说|别人|朋友|邻居|亲戚|一般|通常|应该怎么|该怎么办|"
                           r"会(不会)?(让|叫|要求|向|要|找)我?|"  # 银行客服会让我提供验证码吗: what the bank does, asked
                           r"正规.{0,6}会|真的会|会这样|会这么|"  # whether a real bank or police would do so
                           r"怎么防|如何防|防范|预防|怎么识别|如何识别|怎么辨别|怎么分辨")  # how to guard against it
_HAPPENING = re.compile(r"我(刚|刚刚|刚才|已经|正在|现在)|刚刚|刚才|正在|还在|现在(他|对方|有人)|现在还|"
                        r"还(开|连|共享)着|还没(关|断开|挂|退出)")
# A doubt about what was asked of the customer: normal, real, a scam? ("这正常吗", "是真的吗", "是不是骗子")
_DOUBT = re.compile(r"(正常|是真的|真的假的|靠谱|可信|合法|正规)(吗|么|不)|是不是(真的|骗子|诈骗|骗局|正规)|"
                    r"是(骗子|诈骗|骗局)吗|正不正常|靠不靠谱|可不可信|真假")
# Money moved or details given ("我昨天又交了两万", "我点进去填了卡号和密码", "都发给他了")...
_DONE = re.compile(r"(转|汇|打|交|付|充)(了|过去|出去)|(填|输入|告诉|报|发|念)了|发给")
# ...unless the customer refused ("我没给", "我挂了", "没理他").
_NOT_GIVEN = r"没(有)?(给|转|汇|告诉|填|点|理|信|上当)|不(给|转|理)"
_REFUSED = re.compile(_NOT_GIVEN + r"|挂(了|掉)|拒绝")
# What a customer who doubts a caller did, or what goes on ("我也给了", "按他说的", "下载了", "一直开着"): wider than
# `_DONE`, for the doubt of `answers_instead` only...
_DID = re.compile(r"(转|汇|打|存|交|充)(到|进|入|给)[^,，。？?！!]{0,12}了|(转|汇|打|发|报|念|输|存)(完|好|过去|进去)"
                  r"|(给|报给|念给|告诉|发给)(他|她|对方|那人)了|我(也|都|就)?(给|报|发|转|存|充|输|扫|点|装|下载|开|共享)了"
                  r"|照做|按(他|她|对方|他们)说的|(下载|装|安装|开|开启|打开|共享|扫)了|(没|没有)(关|断开|退出)|到现在|一直开着")
# ...and a refusal that is the customer's own, not the caller's ("我挂了", not "他就挂了")
_OWN_REFUSAL = re.compile(r"我(就|也|已经|马上|直接|当场)?(挂(了|掉|断)|拒绝)|没(有)?(报|下载|开|共享)|" + _NOT_GIVEN)


# An offer someone else made, told in a clause of its own after the telling ("有人打电话说我开过校园贷，要帮我注销，…
# 我挂了。这是不是骗子？"): the caller's words, no request to the bank.
_TELLING = re.compile(r"(有人|对方|那人|那个人|骗子|自称|冒充|陌生|短信|电话|微信|网上)[^。！？!?]{0,16}(说|称|声称|表示)")
_OFFER = re.compile(r"^(他|她|对方|他们)?(说)?(要|会|能|可以|可)(帮|给|替)(我|你)")


def _own_clauses(text: str) -> list[str]:
    """The clauses of a message, without offers someone else made that it tells of (`_OFFER` after `_TELLING`
    in the same sentence)."""
    kept, told = [], ""
    for clause in _CLAUSE_WITH_END.findall(text):
        if not (_OFFER.search(clause) and _TELLING.search(told)):
            kept.append(clause)
        told = "" if re.search(r"[。！？!?]", clause) else told + clause
    return kept


def _acting_request(clause: str) -> str | None:
    """What in one clause asks the bank to act on the customer's matter (帮我把账单分成12期), if anything."""
    found = _ACT.search(clause)
    return found.group(0) if found and not _NOT_ASKED_TO_ACT.search(clause) else None


def _urges(clause: str) -> bool:
    """An urging word before an action (我要/马上 … 查/投诉/人工) in a clause that asks no question about the rules."""
    found = _REQUEST.search(clause)
    return bool(found) and not _RULE_QUESTION.search(clause) and not _REPORTED.search(clause) \
        and not _SUPPOSED.search(clause[:found.end()])


def _urged_action(clause: str) -> str | None:
    """An urging word (`_URGING`) opening a clause that asks nothing, before an action on the customer's matter
    (我要求马上把这张卡冻结; not 法院马上要冻结, someone else's action); not a person or a complaint asked for, which
    have rules of their own."""
    found = _REQUEST.search(clause)
    if not found or found.start() > 0 or found.group(1) not in _URGING or _ASKS.search(clause) or not _urges(clause) \
            or found.group(2) in _OWN_RULES:
        return None
    return found.group(0)


def asks_bank_to_act(text: str) -> str | None:
    """The words of the (normalised) message that ask the bank to act on the customer's matter, if any: a clause
    addressed to the bank, an urged action in a clause that asks nothing, or a bare order ending the message in a
    clause that asks nothing."""
    clauses = _own_clauses(text)
    found = next(filter(None, map(_acting_request, clauses)), None)
    if found is None:  # an urged action in a clause that asks nothing ("我要求马上把这张卡冻结")
        found = next(filter(None, map(_urged_action, clauses)), None)
    if found is None:  # a bare order in the last clause, which asks nothing ("年费能不能免啊，免了吧求求了")
        bare = _POLITE_END.sub("", text)
        last = _CLAUSE.split(bare.rstrip("!！.。~～"))[-1]
        order = _IMPERATIVE.search(bare)
        if order and not _ASKS.search(last) and not _OWN_PLAN.search(last):
            found = order.group(0)
    return found


def asks_for_information(text: str) -> bool:
    """The message asks a question and no clause of it asks the bank to act ("…要给我处理结果？" asks when,
    with a general marker in the same clause: 按规定, 最迟, 多少天; "投诉一般多久能处理？…，帮我登记。" asks
    for action in a clause of its own)."""
    return bool(_ASKS.search(text)) and not any(
        _acting_request(clause) or _urges(clause) for clause in _own_clauses(text))


def question_part(text: str) -> str | None:
    """The message without its clauses that ask the bank to act, when some were removed and some are left
    ("投诉一般多久能处理完？我现在就要投诉，帮我登记。" → "投诉一般多久能处理完？"); else None. Whether what is left
    asks anything is `answers_instead`'s to say."""
    clauses = _CLAUSE_WITH_END.findall(text)
    kept = [clause for clause in clauses if not (_acting_request(clause) or _urges(clause))]
    if not kept or len(kept) == len(clauses):
        return None
    return "".join(kept).strip(",，;； ")


def answers_instead(on_question: OnQuestion, text: str) -> bool:
    """Whether a rule with this setting lets the assistant answer the (normalised) message."""
    if on_question == "handoff" or not asks_for_information(text):
        return False
    if on_question == "answer":
        return True
    if on_question == "answer_if_general":
        return bool(_GENERAL.search(text))
    supposed = bool(_HYPOTHETICAL.search(text)) and not _HAPPENING.search(text)
    acted = bool(_HAPPENING.search(text) or _DONE.search(text) or _DID.search(text)) and not _OWN_REFUSAL.search(text)
    return supposed or (bool(_DOUBT.search(text)) and not acted)


# A clause that only denies an alarm, in the customer's own words: "不是诈骗", "我没被骗！", "是正常转账", "你误会了".
# The whole clause: a denial with more after it is no denial ("我不是被骗了吧？" doubts, "没被骗 我还要继续转三万" goes
# on, "不是诈骗的话…" supposes), nor "我自己转的" (what a victim who sent the money says). Read only right after an urgent
# alarm (the assistant's `_past_a_false_alarm`): before one, "不是诈骗吧？" is a doubt.
_DENIAL = re.compile(r"^((我|这|这笔|这个|这次)?(并|真的|确实|根本|都)?(不是|没有?|没)(遇到|碰到|被|上当)?(诈骗|骗|盗刷|骗子|骗局)|"
                     r"(我|这|这笔|这个|我这)?(只是|就是|是|都是)?正常的?(转账|交易|消费|汇款|付款)|"
                     r"(这|这笔)?是我(本人|自己)(消费|刷卡|买东西|付款)的?|(你|你们|您)?(误会|搞错|弄错|想多)了)"
                     r"(啦|了|的|呀|啊|哈|哦|嘛)?[,，。.!！~～\s]*$")


def without_denial(text: str) -> str | None:
    """The (normalised) message without the clauses that open it only denying an alarm ("不是诈骗，是正常转账，想问…" →
    "想问…"; "" when nothing else is left), or None when it does not open so."""
    clauses = _CLAUSE_WITH_END.findall(text)
    denied = 0
    while denied < len(clauses) and _DENIAL.search(clauses[denied].strip()):
        denied += 1
    return "".join(clauses[denied:]).strip() if denied else None


def tells_it_happened(text: str) -> bool:
    """The (normalised) message says something has happened to the customer or is happening now (我已经, 刚刚, 正在),
    or that money was moved or details given — and not that the customer refused."""
    return bool(_HAPPENING.search(text) or _DONE.search(text)) and not _REFUSED.search(text)
