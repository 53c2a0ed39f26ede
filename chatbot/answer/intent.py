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

Whatever the rule allows, a message that asks the bank to do something (帮我/给我…退/查/删/处理) is a
request, and the rule acts.
"""

from __future__ import annotations

import re
from typing import Literal

OnQuestion = Literal["handoff", "answer", "answer_if_general", "answer_if_hypothetical"]

_ASKS = re.compile(r"[？?]|吗|么|呢|多少|多久|多长|几天|几个|几次|什么|啥|怎么|怎样|如何|哪|是否|能否|可否|能不能|"
                   r"可不可以|可以不|行不行|会不会|有没有|是不是|要不要|算不算|合不合|对不对|靠谱|一般|咋")
_REQUEST = re.compile(r"(帮我|给我|替我|为我|请你们|你们给我|你们帮我|马上|立刻|立即|赶紧|赶快|我要求|我要|我想要|请尽快)"
                      r".{0,10}(处理|退|查|删|冻结|解冻|解除|投诉|举报|赔|补偿|转人工|人工|登记|撤销|恢复|核实|回电|打电话)")
_CLAUSE = re.compile(r"[,，。.!！?？;；]")  # a request stands in a clause of its own ("…，帮我登记。")
_RULE_QUESTION = re.compile(r"按规定|规定|最迟|最晚|多少天|几天内|多长时间|多久|是否|有权|可以要求|能不能要求")
_GENERAL = re.compile(r"一般|通常|按规定|规定|按理|最迟|最晚|最长|多少天|几天内|多长时间|有权|可以要求|能要求|能不能要求|"
                      r"是否|什么情况|哪些情况|什么原因|哪些原因|为什么会|会不会|的话|如果|万一|要是|假如|假设|听说|据说|"
                      r"有人说|银行(能|可以|会)")
_HYPOTHETICAL = re.compile(r"万一|如果|要是|假如|假设|听说|据说|有人说|别人|朋友|邻居|亲戚|一般|通常|应该怎么|该怎么办|"
                           r"会(不会)?(让|叫|要求|向)我")  # 银行客服会让我提供验证码吗: what the bank does, asked
_HAPPENING = re.compile(r"我(刚|刚刚|刚才|已经|正在|现在)|刚刚|刚才|正在|还在|现在(他|对方|有人)")


def asks_for_information(text: str) -> bool:
    """The message asks a question and no clause of it asks the bank to act ("…要给我处理结果？" asks when,
    with a general marker in the same clause: 按规定, 最迟, 多少天; "投诉一般多久能处理？…，帮我登记。" asks
    for action in a clause of its own)."""
    return bool(_ASKS.search(text)) and not any(_REQUEST.search(clause) and not _RULE_QUESTION.search(clause)
                                                 for clause in _CLAUSE.split(text))


def answers_instead(on_question: OnQuestion, text: str) -> bool:
    """Whether a rule with this setting lets the assistant answer the (normalised) message."""
    if on_question == "handoff" or not asks_for_information(text):
        return False
    if on_question == "answer":
        return True
    if on_question == "answer_if_general":
        return bool(_GENERAL.search(text))
    return bool(_HYPOTHETICAL.search(text)) and not _HAPPENING.search(text)
