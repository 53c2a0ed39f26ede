"""A mock bank homepage on another origin, with XiaoBao's widget on it: `make demo-site`, or
`python -m demo.bank_site --chat-url http://127.0.0.1:7860 [--serve-app]`.

It plays the bank's website: a logged-in customer (张先生, id C-1001) and the bank's backend signing his
identity for the widget with the secret it shares with XiaoBao — the three lines in `identity_token`.
`/?guest=1` shows the page to a visitor who is not logged in. With `--serve-app` it also starts
`python app.py` configured to accept this site (CHATBOT_FRAME_ANCESTORS, CHATBOT_IDENTITY_SECRET).
The site is served as http://localhost:PORT and the chat as http://127.0.0.1:PORT: two sites, as a
bank's www and its chat host are.
"""

from __future__ import annotations

import argparse
import html
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt

PAGE = Path(__file__).with_name("bank_home.html")
DEMO_SECRET = "demo-only-identity-secret-not-for-production-0123456789"
CUSTOMER_ID = "C-1001"


def identity_token(customer_id: str, secret: str, audience: str = "xiaobao", ttl_s: int = 600) -> str:
    """What the bank's backend runs for a logged-in customer (README "Embedding on the bank's website")."""
    now = int(time.time())
    claims = {"sub": customer_id, "aud": audience, "iat": now, "exp": now + ttl_s}
    return jwt.encode(claims, secret, algorithm="HS256")


def render(chat_url: str, token: str | None, *, logged_in: bool) -> bytes:
    page = PAGE.read_text(encoding="utf-8")
    page = page.replace("{{CHAT_URL}}", html.escape(chat_url.rstrip("/"), quote=True))
    page = page.replace("{{IDENTITY}}", f'data-identity-token="{html.escape(token, quote=True)}"' if token else "")
    page = page.replace("{{USER}}", "您好，张先生" if logged_in else "登录 / 注册")
    return page.encode("utf-8")


def make_server(port: int, chat_url: str, *, secret: str = DEMO_SECRET, token: str | None = None,
                host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """The site's HTTP server (not started). `token` replaces the signed one (tests: forged, expired)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path not in {"/", "/index.html"}:
                self.send_error(404)
                return
            guest = "guest" in parse_qs(url.query)
            body = render(chat_url, None if guest else (token or identity_token(CUSTOMER_ID, secret)),
                          logged_in=not guest)
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.send_header("cache-control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # quiet: the demo's output is the URL
            pass

    return ThreadingHTTPServer((host, port), Handler)


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="bank-site", daemon=True)
    thread.start()
    return thread


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--chat-url", default="http://127.0.0.1:7860")
    parser.add_argument("--serve-app", action="store_true", help="also start python app.py configured for this site")
    args = parser.parse_args(argv)
    secret = os.environ.get("CHATBOT_IDENTITY_SECRET") or DEMO_SECRET
    app = None
    if args.serve_app:
        chat = urlsplit(args.chat_url)
        env = dict(os.environ, CHATBOT_HOST=chat.hostname or "127.0.0.1", CHATBOT_PORT=str(chat.port or 7860),
                   CHATBOT_IDENTITY_SECRET=secret,
                   CHATBOT_FRAME_ANCESTORS=f"'self' http://localhost:{args.port} http://127.0.0.1:{args.port}")
        app = subprocess.Popen([sys.executable, "app.py"], cwd=Path(__file__).resolve().parents[1], env=env)
    server = make_server(args.port, args.chat_url, secret=secret)
    sys.stdout.write(f"mock bank site: http://localhost:{args.port}/  (visitor: /?guest=1)\n"
                     f"chat: {args.chat_url}  (Ctrl-C stops both)\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if app is not None:
            app.terminate()
            app.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
