"""Gradio customer chat, in Simplified Chinese. Formatting helpers are pure and unit-tested.

The conversation is the server's: every handler finds it from the signed session cookie that the app
sets on the page (web/sessions.py), so a reload, a restart or another worker shows the same chat with
its sources and 👍/👎; 清空对话 asks the server for a new session cookie. Nothing of the conversation is
kept in the browser's storage.
"""


import html
import json
import logging
from dataclasses import replace

from ..answer.replies import SUGGESTION_PREFIX
from ..conversations.models import Message
from ..conversations.service import ChatService, Turn
from ..payloads import Answer, Citation, Option
from ..text import clean_text
from .chat_look import NO_FEEDBACK, footer_html, header_html, link_hotline, page_css, split_suggestions
from .guards import RateLimiter
from .identity import verify_identity
from .sessions import COOKIE_NAME, SessionSigner
from .takeover_ui import CSS as TAKEOVER_CSS
from .takeover_ui import TakeoverPanel, format_expert

logger = logging.getLogger(__name__)

POLL_SECONDS = 3  # expert replies and the hand-off state reach the customer's page this often
EXAMPLES = ["信用卡免息期最长多少天？", "银行卡丢了怎么挂失？", "投诉多久能有处理结果？", "理财产品保证本金吗？"]
# 👍 and 👎, and the reasons a 👎 may give (optional: a plain 👎 is enough).
DISLIKE_REASONS = ("答非所问", "信息有误", "不够详细", "看不懂")
FEEDBACK_OPTIONS = ("Like", "Dislike") + DISLIKE_REASONS


def page_style(settings) -> str:
    return page_css(settings) + TAKEOVER_CSS


def welcome_text(bank_name: str) -> str:
    return (f"您好，我是{bank_name}的消保智答助手。我可以解答银行卡与账户、信用卡、贷款、征信、个人信息、"
            "理财与保险、存款与收费、投诉与反诈等问题，每个回答都会注明依据。\n\n"
            "遇到资金被骗、卡被盗刷、投诉或需要查询您本人账户时，我会为您转接人工专家。"
            "请不要在对话中发送完整的卡号、身份证号或密码。")


def format_answer(answer: Answer, hotline: str = "") -> str:
    """The answer as Markdown with a foldable list of its sources; a hand-off carries no 👍/👎."""
    text = link_hotline(html.escape(answer.text), hotline).replace("\n", "  \n")
    parts = [NO_FEEDBACK + text if answer.outcome == "handoff" else text]
    if answer.citations:
        items = "".join(
            f"<li><b>{html.escape(c.title)}</b><br><small>{html.escape(c.snippet)}</small></li>"
            for c in answer.citations
        )
        parts.append(f"\n\n<details class=\"xb-sources\"><summary>参考依据（{len(answer.citations)}）</summary>"
                     f"<ol>{items}</ol></details>")
    return "".join(parts)


def option_label(chat: list, value: str) -> str:
    """The question of the clicked option (the latest message offering it)."""
    for message in reversed(chat):
        for option in (message.get("options") or []) if isinstance(message, dict) else []:
            if option.get("value") == value:
                return option.get("label") or value
    return value


def answer_message(answer: Answer, hotline: str = "") -> dict:
    """The chat message of an answer; its 您是不是想问 questions become buttons under it."""
    text, suggestions = split_suggestions(answer.text)
    message = {"role": "assistant", "content": format_answer(replace(answer, text=text), hotline)}
    if answer.options:  # a clarifying question: the value is the card id, answered as the customer's choice
        message["options"] = [{"value": option.id, "label": option.question} for option in answer.options]
    elif suggestions:
        message["content"] += f"\n\n{SUGGESTION_PREFIX}"
        message["options"] = [{"value": question, "label": question} for question in suggestions]
    return message


def stored_message(message: Message, hotline: str = "", options: tuple[Option, ...] = ()) -> dict:
    """A stored assistant message as it was first shown: the text, its sources, its suggestions and the
    options of a clarifying question (stored beside it)."""
    try:
        citations = [Citation(**c) for c in json.loads(message.citations or "[]")]
    except (TypeError, ValueError):
        citations = []
    return answer_message(Answer(message.outcome or "answered", message.content, citations, options=options), hotline)


def welcome_message(bank_name: str) -> dict:
    return {"role": "assistant", "content": NO_FEEDBACK + welcome_text(bank_name)}


def feedback_value(option: str, liked: bool) -> tuple[int, str | None]:
    """(+1 or -1, the 👎's reason if one was picked) from Gradio's like event."""
    if option in DISLIKE_REASONS:
        return -1, option
    return (1 if liked else -1), None


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
    hotline = settings.hotline

    def session_of(request: gr.Request) -> str | None:
        """The session of the page's signed cookie; None when the browser sent none (no cookies)."""
        cookies = getattr(request, "cookies", None) or {}
        return signer.verify(cookies.get(COOKIE_NAME))

    panel = TakeoverPanel(service, session_of)

    def restore(session_id: str | None, request: gr.Request):
        session_id = session_of(request) or session_id or signer.issue()[0]
        chat = [welcome_message(settings.bank_name)]
        ids: list[int | None] = [None]
        feedback: list[str | None] = [None]
        last_seen = 0
        options = service.conversations.clarify_options(session_id)
        for message in service.conversations.messages(session_id):
            last_seen = message.id
            if message.role == "user":
                chat.append({"role": "user", "content": html.escape(message.content)})
            elif message.role == "expert":
                chat.append({"role": "assistant",
                             "content": NO_FEEDBACK + format_expert(message, expert_name(message.author or ""))})
            else:
                chat.append(stored_message(message, hotline, options.get(message.id, ())))
                feedback.append(feedback_label(message.feedback))
            ids.append(message.id)
        return (session_id, gr.Chatbot(value=chat, feedback_value=feedback), ids, last_seen) + panel.refresh(session_id)

    def respond(message: str, chat: list, ids: list, session_id: str, last_seen: int, identity: str,
                request: gr.Request, choice: str | None = None):
        message = clean_text(message)  # a lone surrogate would stop Gradio's event stream (never answered)
        problem = limit_message(message, limit)
        if problem:
            gr.Warning(problem, title="提示")
            yield (chat, ids, message, last_seen) + (gr.skip(),) * len(panel.outputs)
            return
        if not limiter.allow(_address(request)):
            gr.Warning(TOO_FAST, title="提示")
            yield (chat, ids, message, last_seen) + (gr.skip(),) * len(panel.outputs)
            return
        session_id = session_of(request) or session_id
        chat = chat + [{"role": "user", "content": html.escape(message)}, {"role": "assistant", "content": "…"}]
        ids = ids + [None, None]
        shown = ""
        customer = verify_identity(identity, settings)  # the website widget's token; forged or expired = anonymous
        for item in service.stream(session_id, message, customer_id=customer, choice=choice):
            if isinstance(item, Turn):
                ids[-2], ids[-1] = item.user_message_id, item.answer_message_id
                last_seen = max(last_seen, item.answer_message_id or 0)
                if item.answer.text:
                    chat[-1] = answer_message(item.answer, hotline)
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

    def handoff(chat: list, ids: list, session_id: str, last_seen: int, identity: str, request: gr.Request):
        if not limiter.allow(_address(request)):
            gr.Warning(TOO_FAST, title="提示")
            return (chat, ids, last_seen) + (gr.skip(),) * len(panel.outputs)
        turn = service.request_human(session_of(request) or session_id,
                                     customer_id=verify_identity(identity, settings))
        chat = chat + [answer_message(turn.answer, hotline)]
        return (chat, ids + [turn.answer_message_id], max(last_seen, turn.answer_message_id or 0)) \
            + panel.updates(turn.agent)

    def on_like(ids: list, session_id: str, data: gr.LikeData, request: gr.Request):
        session_id = session_of(request) or session_id
        index = data.index if isinstance(data.index, int) else data.index[0]
        message_id = _feedback_target(service.conversations.messages(session_id), ids, index)
        value, reason = feedback_value(str(data.value) if isinstance(data.value, str) else "", bool(data.liked))
        logger.info("feedback index=%s message=%s value=%s reason=%s", index, message_id, value, reason)
        if message_id is None:
            return
        service.feedback(message_id, value, session_id, reason=reason)
        gr.Info("感谢您的反馈！" if value > 0 else "感谢反馈，我们会改进。如需人工帮助，请点击“转人工”。", title="提示")

    def choose(chat: list, ids: list, session_id: str, last_seen: int, identity: str, data: gr.SelectData,
               request: gr.Request):
        """A tap on a button under an answer, asked as the customer's next message: a suggested question
        (您是不是想问), or an option of "您想问的是以下哪个问题？" (its standard question, answered as that choice)."""
        value = str(data.value)
        question = option_label(chat, value)
        yield from respond(question, chat, ids, session_id, last_seen, identity, request,
                           choice=value if question != value else None)

    def poll(chat: list, ids: list, session_id: str, last_seen: int, request: gr.Request):
        """Expert replies and the hand-off's state arrive in the customer's chat by polling (which is
        also the page's heartbeat while an expert has the conversation)."""
        session_id = session_of(request) or session_id
        state = panel.refresh(session_id)
        new = [m for m in service.conversations.messages(session_id, after_id=last_seen) if m.role == "expert"]
        if not new:
            return (gr.skip(), gr.skip(), gr.skip()) + state
        chat = chat + [{"role": "assistant", "content": NO_FEEDBACK + format_expert(m, expert_name(m.author or ""))}
                       for m in new]
        return (chat, ids + [m.id for m in new], max(m.id for m in new)) + state

    with gr.Blocks(title=f"{settings.bank_name} · 消保智答") as demo:
        session = gr.State(None)  # only when the browser sends no cookie: then the chat lasts as long as the page
        ids = gr.State([])
        last_seen = gr.State(0)
        # Set only by the website widget (web/embed.py, static/frame.js): the bank's signed customer identity.
        identity = gr.Textbox(visible="hidden", elem_id="xb-identity", max_length=4096)
        # The app's shell: one screen high, the chat takes what the header, the hand-off banner, the chips and
        # the composer leave, so the input and the newest message stay on a phone's screen (chat_look.CSS).
        with gr.Column(elem_id="xb-shell"):
            gr.HTML(header_html(settings), padding=False, elem_classes=["xb-contained"])
            panel.render_banner()
            chatbot = gr.Chatbot(elem_id="xb-chat", label="对话", show_label=False, min_height=120,
                                 feedback_options=FEEDBACK_OPTIONS, buttons=["copy"], layout="bubble",
                                 group_consecutive_messages=False)
            with gr.Row(elem_id="xb-chips"):  # quick replies, above the fold
                chips = [gr.Button(question, size="sm", variant="secondary") for question in EXAMPLES]
            with gr.Column(elem_id="xb-composer"):
                with gr.Row():
                    box = gr.Textbox(placeholder="请输入您的问题", show_label=False, max_lines=4, elem_id="xb-input")
                    send = gr.Button("发送", variant="primary", elem_id="xb-send")
                human, clear = panel.render_actions()
        gr.HTML(footer_html(service.policy, settings), padding=False, elem_classes=["xb-contained"])

        demo.load(restore, [session], [session, chatbot, ids, last_seen] + panel.outputs)
        for trigger in (box.submit, send.click):
            trigger(respond, [box, chatbot, ids, session, last_seen, identity],
                    [chatbot, ids, box, last_seen] + panel.outputs)
        for chip in chips:
            chip.click(respond, [chip, chatbot, ids, session, last_seen, identity],
                       [chatbot, ids, box, last_seen] + panel.outputs)
        chatbot.option_select(choose, [chatbot, ids, session, last_seen, identity],
                              [chatbot, ids, box, last_seen] + panel.outputs)
        human.click(handoff, [chatbot, ids, session, last_seen, identity], [chatbot, ids, last_seen] + panel.outputs)
        clear.click(None, None, None, js=NEW_SESSION_JS)
        chatbot.clear(None, None, None, js=NEW_SESSION_JS)  # the chat's own 🗑 does the same
        chatbot.like(on_like, [ids, session], None)
        panel.wire(box, chatbot, ids, session, last_seen)
        gr.Timer(POLL_SECONDS).tick(poll, [chatbot, ids, session, last_seen], [chatbot, ids, last_seen] + panel.outputs,
                                    show_progress="hidden", concurrency_limit=None)  # every page's poll at once
        build_survey(service, session_of, session)
    return demo


def build_survey(service: ChatService, session_of, session) -> None:
    """满意度评价: offered when the conversation's ticket is resolved (checked every 10 s) or when the
    customer ends the conversation; 1–5 stars and an optional comment, stored once per conversation."""
    import gradio as gr

    from ..conversations.survey import SURVEY_ALREADY, SURVEY_THANKS, stars_text

    def current(session_id, request: gr.Request) -> str:
        return session_of(request) or session_id

    def offer(session_id, request: gr.Request):
        if service.surveys.get(current(session_id, request)):
            return gr.update(visible=False), SURVEY_ALREADY
        return gr.update(visible=True), ""

    def after_resolution(session_id, request: gr.Request):
        if not service.surveys.offered_after_resolution(current(session_id, request)):
            return gr.skip(), gr.skip()
        return gr.update(visible=True), gr.Timer(active=False)

    def submit(stars, comment, session_id, request: gr.Request):
        if not stars:
            gr.Warning("请先选择星级。")
            return gr.skip(), gr.skip()
        stored = service.surveys.submit(current(session_id, request), int(stars), clean_text(comment or ""))
        return gr.update(visible=False), SURVEY_THANKS if stored else SURVEY_ALREADY

    end = gr.Button("结束对话并评价", variant="secondary", elem_id="xb-end")
    with gr.Group(visible=False, elem_id="xb-survey") as panel:
        gr.Markdown("**请为本次服务评价**（1星：很不满意 … 5星：非常满意）")
        stars = gr.Radio([(stars_text(n), n) for n in range(5, 0, -1)], label="满意度", elem_id="xb-stars")
        comment = gr.Textbox(label="意见或建议（选填）", max_lines=3, max_length=500, elem_id="xb-comment")
        send = gr.Button("提交评价", variant="primary", elem_id="xb-survey-send")
    note = gr.Markdown(elem_id="xb-survey-note")
    timer = gr.Timer(10)
    end.click(offer, session, [panel, note])
    timer.tick(after_resolution, session, [panel, timer], show_progress="hidden", concurrency_limit=None)
    send.click(submit, [stars, comment, session], [panel, note])


def _address(request) -> str:
    client = getattr(request, "client", None)
    return getattr(client, "host", None) or "unknown"
