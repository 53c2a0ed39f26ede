"""Gradio customer chat, in Simplified Chinese. Formatting helpers are pure and unit-tested."""


import html
import logging
import uuid

from ..conversations.models import Message
from ..conversations.service import ChatService, Turn
from ..payloads import Answer

logger = logging.getLogger(__name__)

EXAMPLES = ["信用卡免息期最长多少天？", "银行卡丢了怎么挂失？", "投诉多久能有处理结果？", "理财产品保证本金吗？"]
CSS = """
.gradio-container { max-width: 860px !important; margin: auto; }
#xb-chat { min-height: 420px; }
@media (max-width: 600px) { #xb-actions button { min-width: 0; } }
"""


def welcome_text(bank_name: str) -> str:
    return (f"您好，我是{bank_name}的消保智答助手。我可以解答银行卡与账户、信用卡、贷款、征信、个人信息、"
            "理财与保险、存款与收费、投诉与反诈等问题，每个回答都会注明依据。\n\n"
            "遇到资金被骗、卡被盗刷、投诉或需要查询您本人账户时，我会为您转接人工专家。"
            "请不要在对话中发送完整的卡号、身份证号或密码。")


def format_answer(answer: Answer) -> str:
    """The answer as Markdown with a foldable list of its sources."""
    text = html.escape(answer.text).replace("\n", "  \n")
    parts = [text]
    if answer.citations:
        items = "".join(
            f"<li><b>{html.escape(c.title)}</b><br><small>{html.escape(c.snippet)}</small></li>"
            for c in answer.citations
        )
        parts.append(f"\n\n<details class=\"xb-sources\"><summary>参考依据（{len(answer.citations)}）</summary>"
                     f"<ol>{items}</ol></details>")
    return "".join(parts)


def chat_message(answer: Answer) -> dict:
    """The answer as a chat message; a clarifying question carries its options as buttons."""
    message = {"role": "assistant", "content": format_answer(answer)}
    if answer.options:
        message["options"] = [{"value": option.id, "label": option.question} for option in answer.options]
    return message


def option_label(chat: list, value: str) -> str:
    """The question of the clicked option (the latest message offering it)."""
    for message in reversed(chat):
        for option in (message.get("options") or []) if isinstance(message, dict) else []:
            if option.get("value") == value:
                return option.get("label") or value
    return value


def format_expert(message: Message) -> str:
    return f"**人工专家回复：**  \n{html.escape(message.content)}"


def limit_message(message: str, limit: int) -> str | None:
    """The gentle message for an empty or too long input, or None when the input is fine."""
    if not message or not message.strip():
        return "请输入您想咨询的问题。"
    if len(message.strip()) > limit:
        return f"您的消息有{len(message.strip())}个字，超过了{limit}个字的上限，请精简后再发送。"
    return None


def _feedback_target(stored: list[Message], ids: list, index: int) -> int | None:
    """The stored assistant message a 👍/👎 at chat position `index` is about.

    The chat mirrors the stored messages after the welcome message. Right after a streamed answer the
    page can report the position of the question instead of the answer (the buttons exist only on
    answers), so a position on a customer message means the answer that follows it.
    """
    message_id = ids[index] if 0 <= index < len(ids) else None
    if message_id is None and 1 <= index <= len(stored):
        message_id = stored[index - 1].id
    position = next((n for n, m in enumerate(stored) if m.id == message_id), None)
    if position is None:
        return None
    for message in stored[position:]:
        if message.role != "user":
            return message.id
    return None


def build_ui(service: ChatService):
    import gradio as gr

    settings = service.settings
    limit = settings.max_message_chars

    def restore(session_id: str | None):
        session_id = session_id or uuid.uuid4().hex
        chat = [{"role": "assistant", "content": welcome_text(settings.bank_name)}]
        ids: list[int | None] = [None]
        last_seen = 0
        for message in service.conversations.messages(session_id):
            last_seen = message.id
            if message.role == "user":
                chat.append({"role": "user", "content": html.escape(message.content)})
            elif message.role == "expert":
                chat.append({"role": "assistant", "content": format_expert(message)})
            else:
                chat.append({"role": "assistant", "content": html.escape(message.content).replace("\n", "  \n")})
            ids.append(message.id)
        return session_id, session_id, chat, ids, last_seen

    def respond(message: str, chat: list, ids: list, session_id: str, last_seen: int, choice: str | None = None):
        problem = limit_message(message, limit)
        if problem:
            gr.Warning(problem)
            yield chat, ids, message, last_seen
            return
        chat = chat + [{"role": "user", "content": html.escape(message)}, {"role": "assistant", "content": "…"}]
        ids = ids + [None, None]
        shown = ""
        for item in service.stream(session_id, message, choice=choice):
            if isinstance(item, Turn):
                chat[-1] = chat_message(item.answer)
                ids[-2], ids[-1] = item.user_message_id, item.answer_message_id
                last_seen = max(last_seen, item.answer_message_id or 0)
            elif item.kind == "replace":
                shown = item.text
                chat[-1] = {"role": "assistant", "content": html.escape(shown)}
            else:
                shown += item.text
                chat[-1] = {"role": "assistant", "content": html.escape(shown)}
            yield chat, ids, "", last_seen

    def choose(chat: list, ids: list, session_id: str, last_seen: int, data: gr.SelectData):
        """A click on an option of "您想问的是以下哪个问题？": that standard question, answered as a turn."""
        question = option_label(chat, data.value)
        yield from respond(question, chat, ids, session_id, last_seen, choice=data.value)

    def handoff(chat: list, ids: list, session_id: str, last_seen: int):
        turn = service.request_human(session_id)
        chat = chat + [{"role": "assistant", "content": format_answer(turn.answer)}]
        return chat, ids + [turn.answer_message_id], max(last_seen, turn.answer_message_id or 0)

    def on_like(ids: list, session_id: str, data: gr.LikeData):
        index = data.index if isinstance(data.index, int) else data.index[0]
        message_id = _feedback_target(service.conversations.messages(session_id), ids, index)
        logger.info("feedback index=%s message=%s liked=%s", index, message_id, data.liked)
        if message_id is None:
            return
        service.feedback(message_id, 1 if data.liked else -1, session_id)
        gr.Info("感谢您的反馈！" if data.liked else "感谢反馈，我们会改进。如需人工帮助，请点击“转人工”。")

    def poll(chat: list, ids: list, session_id: str, last_seen: int):
        """Expert replies arrive in the customer's chat by polling."""
        new = [m for m in service.conversations.messages(session_id, after_id=last_seen) if m.role == "expert"]
        if not new:
            return gr.skip(), gr.skip(), gr.skip()
        chat = chat + [{"role": "assistant", "content": format_expert(m)} for m in new]
        return chat, ids + [m.id for m in new], max(m.id for m in new)

    with gr.Blocks(title=f"{settings.bank_name} · 消保智答") as demo:
        stored_session = gr.BrowserState(None, storage_key="xiaobao_session")
        session = gr.State(None)
        ids = gr.State([])
        last_seen = gr.State(0)
        gr.Markdown(f"## {settings.bank_name} · 消保智答\n金融消费者权益保护咨询 · 回答均注明依据")
        chatbot = gr.Chatbot(elem_id="xb-chat", label="对话", height=480, feedback_options=("Like", "Dislike"),
                             buttons=["copy"], layout="bubble", group_consecutive_messages=False)
        with gr.Row():
            box = gr.Textbox(placeholder="请输入您的问题，例如：信用卡免息期最长多少天？", show_label=False,
                             scale=5, max_lines=4, elem_id="xb-input")
            send = gr.Button("发送", variant="primary", scale=1, elem_id="xb-send")
        with gr.Row(elem_id="xb-actions"):
            human = gr.Button("转人工", variant="secondary", elem_id="xb-human")
        gr.Examples(EXAMPLES, inputs=box, label="常见问题")
        gr.Markdown(f"<small>人工服务时间：{service.policy.office_hours_text()}；24小时客服热线"
                    f"{settings.hotline}。本助手的回答仅供参考，以{settings.bank_name}正式公告为准。</small>")

        demo.load(restore, [stored_session], [session, stored_session, chatbot, ids, last_seen])
        for trigger in (box.submit, send.click):
            trigger(respond, [box, chatbot, ids, session, last_seen], [chatbot, ids, box, last_seen])
        human.click(handoff, [chatbot, ids, session, last_seen], [chatbot, ids, last_seen])
        chatbot.like(on_like, [ids, session], None)
        chatbot.option_select(choose, [chatbot, ids, session, last_seen], [chatbot, ids, box, last_seen])
        gr.Timer(5).tick(poll, [chatbot, ids, session, last_seen], [chatbot, ids, last_seen])
    return demo
