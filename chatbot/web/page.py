"""The pages as a Chinese customer (or expert) sees them, not as the framework ships them.

Gradio serves its own HTML shell: `lang="en"`, `og:title` Gradio, "Click to try out the app!", and UI
strings picked by the browser's language (an English phone gets "Copy message", "Like", "Clear"). The
shell is rewritten on its way out (`PageShell`, ASGI): `lang="zh-CN"`, the bank's title and description,
a viewport that lets the keyboard resize the page (so the input stays visible), and a script that makes
Gradio choose Simplified Chinese whatever the browser's language; `TRANSLATIONS` (given to Gradio as
`i18n`) fills the strings Gradio's own Chinese leaves in English.
"""

from __future__ import annotations

import html
import re

from ..config import Settings

PAGE_PATHS = {"/", "/staff/"}

# Gradio's keys whose zh-CN text is missing or reads oddly to customers.
TRANSLATIONS = {
    "chatbot.copy_message": "复制",
    "chatbot.copied_message": "已复制",
    "chatbot.like": "有帮助",
    "chatbot.dislike": "没帮助",
    "chatbot.clear": "清空对话",
}

# Put into the shell itself (Gradio adds a Blocks' `head` only after it has chosen its language), so it runs
# before Gradio's modules (deferred): Gradio reads navigator.language to pick its strings.
# Screen-reader labels Gradio writes in English are replaced as they appear.
LOCALE_SCRIPT = """<script>
(function () {
  try {
    Object.defineProperty(Navigator.prototype, "language", { get: function () { return "zh-CN"; } });
    Object.defineProperty(Navigator.prototype, "languages", { get: function () { return ["zh-CN", "zh"]; } });
  } catch (error) { /* an old browser keeps its own language */ }
  var labels = { "chatbot conversation": "对话记录", "Feedback": "反馈原因", "Liked": "已标记有帮助",
                 "Disliked": "已标记没帮助" };
  function relabel(root) {
    root.querySelectorAll("[aria-label], [title]").forEach(function (node) {
      ["aria-label", "title"].forEach(function (name) {
        var label = node.getAttribute(name);
        if (!label) return;
        if (labels[label]) node.setAttribute(name, labels[label]);
        else if (label.indexOf("bot's message: ") === 0) node.setAttribute(name, "助手：" + label.slice(15));
        else if (label.indexOf("user's message: ") === 0) node.setAttribute(name, "我：" + label.slice(16));
      });
    });
  }
  new MutationObserver(function () { relabel(document); }).observe(document.documentElement,
    { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label", "title"] });
})();
</script>"""

_HTML_TAG = re.compile(rb"<html\b[^>]*>", re.IGNORECASE)
_SOCIAL_META = re.compile(rb"\s*<meta\s+(?:property=\"og:[^\"]*\"|name=\"twitter:[^\"]*\")[^>]*>", re.IGNORECASE)
_VIEWPORT = re.compile(rb"<meta\s+name=\"viewport\"[^>]*>", re.IGNORECASE | re.DOTALL)
_CHARSET = re.compile(rb"<meta charset=\"utf-8\"\s*/?>", re.IGNORECASE)
VIEWPORT = (b'<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover, '
            b'interactive-widget=resizes-content" />')


def page_title(settings: Settings) -> str:
    return f"{settings.bank_name} · 消保智答"


def rewrite_shell(body: bytes, settings: Settings) -> bytes:
    """Gradio's HTML shell with the language, the social meta tags and the viewport of this service."""
    body = _HTML_TAG.sub(b'<html lang="zh-CN">', body, count=1)
    body = _SOCIAL_META.sub(b"", body)
    body = _VIEWPORT.sub(VIEWPORT, body, count=1)
    title = html.escape(page_title(settings), quote=True)
    description = html.escape(f"{settings.bank_name}金融消费者权益保护在线咨询，回答均注明依据；"
                              f"需要时转人工专家。客服热线{settings.hotline}", quote=True)
    meta = (f'<meta property="og:title" content="{title}" />'
            f'<meta property="og:description" content="{description}" />'
            f'<meta name="description" content="{description}" />'
            f'<meta property="og:type" content="website" />'
            f'<meta property="og:locale" content="zh_CN" />').encode() + LOCALE_SCRIPT.encode()
    replaced = _CHARSET.sub(lambda match: match.group(0) + meta, body, count=1)
    return replaced if replaced != body else body.replace(b"<head>", b"<head>" + meta, 1)


class PageShell:
    """Rewrites the HTML shell of the customer page and the console (ASGI, only those two GETs)."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in PAGE_PATHS:
            return await self.app(scope, receive, send)
        start: dict | None = None
        chunks: list[bytes] = []

        async def buffered(message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if b"text/html" in headers.get(b"content-type", b"") and b"content-encoding" not in headers:
                    start = message  # the shell: held until its body is complete (~100 KB)
                    return
                return await send(message)
            if start is None:  # not a page (a redirect, an error): passed through
                return await send(message)
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = rewrite_shell(b"".join(chunks), self.settings)
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, buffered)
