"""Gradio customer chat, in Simplified Chinese. Formatting helpers are pure and unit-tested.

The conversation is the server's: every handler finds it from the signed session cookie that the app
sets on the page (web/sessions.py), so a reload, a restart or another worker shows the same chat with
its sources and 👍/👎; 清空对话 asks the server for a new session cookie. Nothing of the conversation is
kept in the browser's storage.
"""


import html
import json
import logging

from ..conversations.models import Message
from ..conversations.service import ChatService, Turn
from ..payloads import Answer, Citation
from ..text import clean_text
from .guards import RateLimiter
from .sessions import COOKIE_NAME, SessionSigner
from .takeover_ui import CSS as TAKEOVER_CSS
from .takeover_ui import TakeoverPanel, format_expert

logger = logging.getLogger(__name__)

POLL_SECONDS = 3  # expert replies and the hand-off state reach the customer's page this often
EXAMPLES = ["信用卡免息期最长多少天？", "银行卡丢了怎么挂失？", "投诉多久能有处理结果？", "理财产品保证本金吗？"]
CSS = """
.gradio-container { max-width: 860px !important; margin: auto; }
#xb-chat { min-height: 420px; }
@media (max-width: 600px) { #xb-actions button { min-width: 0; } }
""" + TAKEOVER_CSS


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


def format_stored(message: Message) -> str:
    """A stored assistant message as it was first shown: the text and its sources."""
    try:
        citations = [Citation(**c) for c in json.loads(message.citations or "[]")]
    except (TypeError, ValueError):
        citations = []
    return format_answer(Answer(message.outcome or "answered", message.content, citations))


def feedback_label(value: int | None) -> str | None:
    return {1: "Like", -1: "Dislike"}.get(value)


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


TOO_FAST = "您发送得太快了，请稍后再试。"
# 清空对话: the server replaces the session cookie, then the page reloads into the new, empty session.
NEW_SESSION_JS = """() => { fetch('api/session/reset', {method: 'POST', credentials: 'same-origin'})
  .then(() => window.location.reload()); }"""


def build_ui(service: ChatService, signer: SessionSigner, limiter: RateLimiter | None = None):
    import gradio as gr

    settings = service.settings
    limit = settings.max_message_chars
    limiter = limiter or RateLimiter("")
    expert_name = service.live.expert_names

    def session_of(request: gr.Request) -> str | None:
        """The session of the page's signed cookie; None when the browser sent none (no cookies)."""
        cookies = getattr(request, "cookies", None) or {}
        return signer.verify(cookies.get(COOKIE_NAME))

    panel = TakeoverPanel(service, session_of)

    def restore(session_id: str | None, request: gr.Request):
        session_id = session_of(request) or session_id or signer.issue()[0]
        chat = [{"role": "assistant", "content": welcome_text(settings.bank_name)}]
        ids: list[int | None] = [None]
        feedback: list[str | None] = [None]
        last_seen = 0
        for message in service.conversations.messages(session_id):
            last_seen = message.id
            if message.role == "user":
                chat.append({"role": "user", "content": html.escape(message.content)})
            else:
                content = (format_expert(message, expert_name(message.author or "")) if message.role == "expert"
                           else format_stored(message))
                chat.append({"role": "assistant", "content": content})
                feedback.append(feedback_label(message.feedback))
            ids.append(message.id)
        return (session_id, gr.Chatbot(value=chat, feedback_value=feedback), ids, last_seen) + panel.refresh(session_id)

    def respond(message: str, chat: list, ids: list, session_id: str, last_seen: int, request: gr.Request):
        message = clean_text(message)  # a lone surrogate would stop Gradio's event stream (never answered)
        problem = limit_message(message, limit)
        if problem:
            gr.Warning(problem)
            yield (chat, ids, message, last_seen) + (gr.skip(),) * len(panel.outputs)
            return
        if not limiter.allow(_address(request)):
            gr.Warning(TOO_FAST)
            yield (chat, ids, message, last_seen) + (gr.skip(),) * len(panel.outputs)
            return
        session_id = session_of(request) or session_id
        chat = chat + [{"role": "user", "content": html.escape(message)}, {"role": "assistant", "content": "…"}]
        ids = ids + [None, None]
        shown = ""
        for item in service.stream(session_id, message):
            if isinstance(item, Turn):
                ids[-2], ids[-1] = item.user_message_id, item.answer_message_id
                last_seen = max(last_seen, item.answer_message_id or 0)
                if item.answer.text:
                    chat[-1] = {"role": "assistant", "content": format_answer(item.answer)}
                else:  # an expert has the conversation: the assistant says nothing
                    chat, ids = chat[:-1], ids[:-1]
                yield (chat, ids, "", last_seen) + panel.updates(item.agent)
                return
            if item.kind == "replace":
                shown = item.text
            else:
                shown += item.text
            chat[-1] = {"role": "assistant", "content": html.escape(shown)}
            yield (chat, ids, "", last_seen) + (gr.skip(),) * len(panel.outputs)

    def handoff(chat: list, ids: list, session_id: str, last_seen: int, request: gr.Request):
        if not limiter.allow(_address(request)):
            gr.Warning(TOO_FAST)
            return (chat, ids, last_seen) + (gr.skip(),) * len(panel.outputs)
        turn = service.request_human(session_of(request) or session_id)
        chat = chat + [{"role": "assistant", "content": format_answer(turn.answer)}]
        return (chat, ids + [turn.answer_message_id], max(last_seen, turn.answer_message_id or 0)) \
            + panel.updates(turn.agent)

    def on_like(ids: list, session_id: str, data: gr.LikeData, request: gr.Request):
        session_id = session_of(request) or session_id
        index = data.index if isinstance(data.index, int) else data.index[0]
        message_id = _feedback_target(service.conversations.messages(session_id), ids, index)
        logger.info("feedback index=%s message=%s liked=%s", index, message_id, data.liked)
        if message_id is None:
            return
        service.feedback(message_id, 1 if data.liked else -1, session_id)
        gr.Info("感谢您的反馈！" if data.liked else "感谢反馈，我们会改进。如需人工帮助，请点击“转人工”。")

    def poll(chat: list, ids: list, session_id: str, last_seen: int, request: gr.Request):
        """Expert replies and the hand-off's state arrive in the customer's chat by polling (which is
        also the page's heartbeat while an expert has the conversation)."""
        session_id = session_of(request) or session_id
        state = panel.refresh(session_id)
        new = [m for m in service.conversations.messages(session_id, after_id=last_seen) if m.role == "expert"]
        if not new:
            return (gr.skip(), gr.skip(), gr.skip()) + state
        chat = chat + [{"role": "assistant", "content": format_expert(m, expert_name(m.author or ""))} for m in new]
        return (chat, ids + [m.id for m in new], max(m.id for m in new)) + state

    with gr.Blocks(title=f"{settings.bank_name} · 消保智答") as demo:
        session = gr.State(None)  # only when the browser sends no cookie: then the chat lasts as long as the page
        ids = gr.State([])
        last_seen = gr.State(0)
        gr.Markdown(f"## {settings.bank_name} · 消保智答\n金融消费者权益保护咨询 · 回答均注明依据")
        panel.render_banner()
        chatbot = gr.Chatbot(elem_id="xb-chat", label="对话", height=480, feedback_options=("Like", "Dislike"),
                             buttons=["copy"], layout="bubble", group_consecutive_messages=False)
        with gr.Row():
            box = gr.Textbox(placeholder="请输入您的问题，例如：信用卡免息期最长多少天？", show_label=False,
                             scale=5, max_lines=4, elem_id="xb-input")
            send = gr.Button("发送", variant="primary", scale=1, elem_id="xb-send")
        human, clear = panel.render_actions()
        gr.Examples(EXAMPLES, inputs=box, label="常见问题")
        gr.Markdown(f"<small>人工服务时间：{service.policy.office_hours_text()}；24小时客服热线"
                    f"{settings.hotline}。本助手的回答仅供参考，以{settings.bank_name}正式公告为准。</small>")

        demo.load(restore, [session], [session, chatbot, ids, last_seen] + panel.outputs)
        for trigger in (box.submit, send.click):
            trigger(respond, [box, chatbot, ids, session, last_seen], [chatbot, ids, box, last_seen] + panel.outputs)
        human.click(handoff, [chatbot, ids, session, last_seen], [chatbot, ids, last_seen] + panel.outputs)
        clear.click(None, None, None, js=NEW_SESSION_JS)
        chatbot.clear(None, None, None, js=NEW_SESSION_JS)  # the chat's own 🗑 does the same
        chatbot.like(on_like, [ids, session], None)
        panel.wire(box, chatbot, ids, session, last_seen)
        gr.Timer(POLL_SECONDS).tick(poll, [chatbot, ids, session, last_seen], [chatbot, ids, last_seen] + panel.outputs,
                                    show_progress="hidden", concurrency_limit=None)  # every page's poll at once
    return demo


def _address(request) -> str:
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"
