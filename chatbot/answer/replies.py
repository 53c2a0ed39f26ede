"""What the assistant says when it does not answer from a card or a passage (Simplified Chinese)."""

EMPTY_MESSAGE = "您好，请输入您想咨询的问题，例如：“信用卡免息期有多长？”或“银行卡丢了怎么挂失？”"
TOO_LONG_MESSAGE = "您的消息超过了{limit}个字，请精简后再发送，或分几次提问。"
LOW_CONFIDENCE_MESSAGE = (
    "抱歉，这个问题我暂时无法给出准确答复。为避免误导您，我已为您转接人工专家，专家会尽快回复；"
    "您也可以拨打客服热线{hotline}咨询。"
)
UNKNOWN_TERM_MESSAGE = (
    "我们的资料里没有关于“{term}”的内容，为避免误导您，我不作猜测。我已为您转接人工专家，专家会尽快回复；"
    "您也可以拨打客服热线{hotline}咨询。"
)
OTHER_INSTITUTION_MESSAGE = (
    "您问的是“{term}”的产品或服务，我们的资料里没有相关内容，具体规则请以该机构的说明为准，建议直接咨询该机构的客服。"
    "如需{bank}人工协助，请点击“转人工”。"
)
OUT_OF_SCOPE_MESSAGE = (
    "抱歉，这超出了我的服务范围。我可以为您解答银行卡与账户、信用卡、贷款、征信、个人信息保护、"
    "理财与保险、存款与收费、投诉与反诈等金融消费者权益问题。"
)
SUGGESTION_PREFIX = "您是不是想问："
HANDOFF_OFFER = "如需人工协助，请点击“转人工”。"
# After a refusal that a trained model decided (classifier.py): it may have misread a lawful question.
MISREAD_OFFER = "如果我理解错了您的意思，请换个说法再问；如需人工协助，请点击“转人工”。"
# After an urgent hand-off that a trained model decided: the steps stand (a missed emergency costs more than a needless
# warning), but a customer whose transfer was lawful is told they may say so and get on with their question.
URGENT_MISREAD = "这是根据您的描述自动作出的风险提示；如果您并没有遇到诈骗或盗刷，只是正常转账或咨询，请直接告诉我，我会继续为您解答。"
# The customer says an urgent alarm just raised was wrong, and asks nothing more (the ticket stands: an expert checks).
ALARM_DENIED = "好的，明白您并没有遇到诈骗或盗刷。请问您想咨询什么问题？如仍有疑虑，人工专家也会跟进核实。"
CLARIFY_MESSAGE = "您想问的是以下哪个问题？请点击选择；如果都不是，请换个说法再问，或点击“转人工”。"
# A question about two things at once, answered half by half (compound.py).
COMPOUND_ANSWER = "关于{first}：{first_answer}\n\n关于{second}：{second_answer}"
# A message that asks the bank to act and also asks a question: the hand-off, then the answer to the question.
QUESTION_TOO = "另外，关于您的问题：{answer}"
# Messages that ask nothing (smalltalk.py).
SMALL_TALK = {
    "greeting": "您好！我是消保智答，可以为您解答银行卡与账户、信用卡、贷款、征信、个人信息保护、理财与保险、存款与收费、"
                "投诉与反诈等问题。请问有什么可以帮您？",
    "thanks": "不客气。如还有其他问题，欢迎随时咨询；需要人工协助时，请点击“转人工”。",
    "plan": "好的。办理时请携带本人有效身份证件。如还有其他问题，欢迎随时咨询；需要人工协助时，请点击“转人工”。",
    "identity": "我是消保智答，一个智能问答助手，不是真人。我可以为您解答银行卡与账户、信用卡、贷款、征信、个人信息保护、"
                "理财与保险、存款与收费、投诉与反诈等问题；需要人工服务时，请点击“转人工”，由人工专家为您解答。",
}
