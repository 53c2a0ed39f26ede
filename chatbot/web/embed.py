"""The website widget: `/widget.js` for the bank's pages, and the chat page's side of the conversation
with the host page (README "Embedding on the bank's website").

The bank adds one line, `<script src="https://xiaobao.bank/widget.js" data-bank-name="…" async></script>`;
widget.js (static/widget.js) draws the 在线客服 bubble and opens the chat page in an iframe. The two
windows speak only through `postMessage`, each checking the other's origin: widget.js accepts messages
only from the chat's origin and sends only to it; the chat page accepts messages only from its parent,
and only when the parent's origin is one of `CHATBOT_FRAME_ANCESTORS` — the same list the browser
enforces with CSP `frame-ancestors` (web/guards.py), so a site that is not on it cannot frame the chat.

The one message that matters is the identity: the bank's backend signs the logged-in customer's id
(web/identity.py), the host page hands the token to widget.js, widget.js posts it to the chat frame,
and the chat's handlers verify it on every turn; a forged or expired token leaves the chat anonymous.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from ..config import Settings

STATIC = Path(__file__).with_name("static")
WIDGET_CACHE_SECONDS = 300  # short: a new release reaches the bank's pages within minutes

# Sources of a frame-ancestors list that name origins: scheme://host[:port], host may start with *.
_ORIGIN_SOURCE = re.compile(r"^(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?P<host>\*|(?:\*\.)?[a-z0-9.-]+)(?::(?P<port>\d+|\*))?/?$",
                            re.IGNORECASE)


def origin_patterns(frame_ancestors: str) -> list[str]:
    """The frame-ancestors sources as anchored regular expressions over origins, for the chat page's check
    of a message's sender. `'self'` is the chat's own origin (the page adds it); `'none'` and keywords
    name nobody; a scheme-only source (`https:`) allows every origin of that scheme, as CSP does."""
    patterns = []
    for source in frame_ancestors.split():
        if source.startswith("'"):
            continue
        if re.fullmatch(r"[a-z][a-z0-9+.-]*:", source, re.IGNORECASE):
            patterns.append("^" + re.escape(source.lower()) + "//[^/]+$")
            continue
        match = _ORIGIN_SOURCE.match(source)
        if not match:
            continue
        scheme = re.escape(match["scheme"].lower()) if match["scheme"] else "https?"
        host = match["host"].lower()
        host = r"[^/:]+" if host == "*" else (r"(?:[^/:]+\.)" + re.escape(host[2:]) if host.startswith("*.")
                                              else re.escape(host))
        port = r"(?::\d+)?" if match["port"] == "*" else (re.escape(":" + match["port"]) if match["port"] else "")
        patterns.append(f"^{scheme}://{host}{port}$")
    return patterns


def frame_script(settings: Settings) -> str:
    """The chat page's half of the protocol (a `<script>` for Gradio's `head`): in a frame, mark the page
    embedded, tell the host page it is ready, and take the identity token and the bank's colour from
    the parent only. The token goes into the hidden #xb-identity field that the chat's handlers read."""
    config = json.dumps({"origins": origin_patterns(settings.frame_ancestors),
                         "self": "'self'" in settings.frame_ancestors.split()})
    return "<script>\n(" + (STATIC / "frame.js").read_text(encoding="utf-8").strip() + ")(" + config + ");\n</script>"


def widget_router() -> APIRouter:
    router = APIRouter()
    script = (STATIC / "widget.js").read_bytes()

    @router.get("/widget.js", include_in_schema=False)
    def widget() -> Response:
        return Response(script, media_type="text/javascript; charset=utf-8",
                        headers={"cache-control": f"public, max-age={WIDGET_CACHE_SECONDS}"})

    return router
