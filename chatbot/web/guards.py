"""ASGI middleware around the whole app: security headers, request size, per-client rate limits,
cross-site request refusal for staff calls, the customer mount's file routes, and staff login back-off.

Pure ASGI (no BaseHTTPMiddleware), so that Gradio's streamed responses pass through untouched.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

from limits import parse_many, storage, strategies

from ..config import Settings
from ..staff.throttle import LoginThrottle

logger = logging.getLogger(__name__)

Scope = dict
ASGIApp = Callable[..., Awaitable[None]]

TOO_MANY = "您的请求过于频繁，请稍后再试。"
TOO_LARGE = "请求内容过大。"
CROSS_SITE = "跨站请求已被拒绝。"
NO_UPLOADS = "此页面不接受文件上传。"
LOGIN_BLOCKED = "登录尝试过于频繁，请稍后再试。"

STAFF_PREFIXES = ("/staff", "/api/staff")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
UPLOAD_PATHS = ("/api/staff/knowledge/upload", "/staff/gradio_api/upload")
RATE_LIMITED_PATHS = {"/api/chat", "/api/handoff", "/api/feedback", "/api/handoff/return", "/api/callback"}
# Routes of Gradio's that the customer page never needs: uploads, and files (the staff console's exports
# live in the same cache) — refused on the customer mount.
CUSTOMER_BLOCKED = ("/gradio_api/upload", "/gradio_api/file=", "/file=", "/gradio_api/runs")

_STATIC_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; media-src 'self' data: blob:; "
               "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self'")


def client_address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def is_staff_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in STAFF_PREFIXES)


async def send_json(send, status: int, detail: str, headers: list[tuple[bytes, bytes]] = ()) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """Requests per client address in a moving window (`CHATBOT_RATE_LIMIT`), kept in the process."""

    def __init__(self, rule: str):
        self._items = parse_many(rule) if rule.strip() else []
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def allow(self, address: str) -> bool:
        """Count one request; False when the client is over its limit."""
        return all([self._limiter.hit(item, "customer", address) for item in self._items])


class SecurityHeaders:
    """CSP (frame-ancestors: none for staff, the configured sites for the customer page), nosniff,
    Referrer-Policy, and HSTS when the request came over TLS."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.customer_csp = f"{_STATIC_CSP}; frame-ancestors {settings.frame_ancestors}".encode()
        self.staff_csp = f"{_STATIC_CSP}; frame-ancestors 'none'".encode()

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        staff = is_staff_path(scope["path"])
        https = scope.get("scheme") == "https"

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in {b"content-security-policy", b"x-frame-options"}]
                headers += [(b"content-security-policy", self.staff_csp if staff else self.customer_csp),
                            (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
                if staff:
                    headers.append((b"x-frame-options", b"DENY"))
                    headers.append((b"cache-control", b"no-store"))
                if https:
                    headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """413 for a body over the limit: by Content-Length before reading, and by counting while reading."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.default = settings.max_body_kb * 1024
        self.upload = int(settings.upload_max_mb * 1024 * 1024) * 4 + 64 * 1024  # a few files in one request

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.upload if scope["path"].startswith(UPLOAD_PATHS) else self.default
        length = dict(scope.get("headers", [])).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return await send_json(send, 413, TOO_LARGE)
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await send_json(send, 413, TOO_LARGE)


class _TooLarge(Exception):
    pass


class CustomerRateLimit:
    """429 for a client over its limit on the customer API (the page's chat checks the same limiter)."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter):
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive, send) -> None:
        if (scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in RATE_LIMITED_PATHS
                and not self.limiter.allow(client_address(scope))):
            return await send_json(send, 429, TOO_MANY, [(b"retry-after", b"60")])
        await self.app(scope, receive, send)


class CrossSiteGuard:
    """State-changing staff requests (and the session reset) must come from this site: a browser always
    sends Origin (or Sec-Fetch-Site) on a cross-site POST, so one that names another origin is refused.
    Clients that send neither (curl, the bank's back office) are not browsers and carry no ambient
    credentials to abuse."""

    PATHS = ("/api/session",)

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS and (
                is_staff_path(scope["path"]) or scope["path"].startswith(self.PATHS)):
            if not _same_site(scope):
                logger.warning("cross-site request refused path=%s", scope["path"])
                return await send_json(send, 403, CROSS_SITE)
        await self.app(scope, receive, send)


def _same_site(scope: Scope) -> bool:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    if headers.get("sec-fetch-site") in {"cross-site", "same-site"}:
        return False
    origin = headers.get("origin") or _origin_of(headers.get("referer"))
    if not origin:
        return True
    host = headers.get("host", "")
    parts = urlsplit(origin)
    return origin != "null" and parts.netloc == host and parts.scheme in {"http", "https"}


def _origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None


class CustomerFileGuard:
    """The customer page has no file input and shows no files: Gradio's upload and file routes are
    refused outside /staff (the console's exports share Gradio's cache)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] == "http" and not is_staff_path(scope["path"]) and scope["path"].startswith(CUSTOMER_BLOCKED):
            return await send_json(send, 403, NO_UPLOADS)
        await self.app(scope, receive, send)


class StaffLoginGuard:
    """Back-off on the console's login form (/staff/login): checked before Gradio sees the password,
    counted from Gradio's answer (200 signed in, 4xx refused)."""

    MAX_FORM = 16 * 1024

    def __init__(self, app: ASGIApp, throttle: LoginThrottle):
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") != "/staff/login":
            return await self.app(scope, receive, send)
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > self.MAX_FORM:
                return await send_json(send, 413, TOO_LARGE)
            if not message.get("more_body"):
                break
        account = (parse_qs(body.decode("utf-8", "replace")).get("username") or [""])[0].strip()
        address = client_address(scope)
        wait = self.throttle.retry_after(account, address)
        if wait:
            logger.warning("staff login refused: back-off account=%s address=%s", account[:64], address)
            return await send_json(send, 429, LOGIN_BLOCKED, [(b"retry-after", str(wait).encode())])
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def observe(message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 200:
                    self.throttle.succeeded(account)
                elif 400 <= message["status"] < 500:
                    self.throttle.failed(account, address)
            await send(message)

        await self.app(scope, replay, observe)
