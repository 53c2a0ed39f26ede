"""Server-issued session ids, bound to the client by a signature.

A conversation's id in the database is 128 random bits (`secrets.token_urlsafe(16)`). The client never
holds that id alone: it holds a *session token*, the id and an HMAC-SHA256 signature of it
(`<id>.<signature>`, itsdangerous), in a signed HttpOnly cookie on the page and as `session_id` in the
JSON API. A token the server did not sign (a guessed or chosen id, a tampered one, one signed with
another secret) opens a new conversation, never someone else's. Staff see only the bare ids, which
open nothing.

The key is `CHATBOT_SESSION_SECRET`; when unset it is generated once and kept in `data_dir/secret_key`
(mode 0600), so that restarts and every worker on the host agree. Several hosts must share the setting.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from http.cookies import CookieError, SimpleCookie
from pathlib import Path

from itsdangerous import BadSignature, Signer

from ..config import Settings

logger = logging.getLogger(__name__)

COOKIE_NAME = "xb_session"
COOKIE_MAX_AGE = 180 * 24 * 3600
SECRET_FILE = "secret_key"


def load_secret(settings: Settings) -> str:
    """The configured secret, else the host's persisted one (created atomically on first use)."""
    if settings.session_secret:
        return settings.session_secret
    path = Path(settings.data_dir) / SECRET_FILE
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temporary, path)  # atomic and never overwrites: of two workers starting at once, one wins
        logger.info("session secret generated path=%s", path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    secret = path.read_text().strip()
    if not secret:
        raise FileNotFoundError(path)
    return secret


class SessionSigner:
    """Issues session tokens and recovers the session id from a token the server signed."""

    def __init__(self, secret: str):
        self._signer = Signer(secret, salt="xiaobao.session", digest_method=hashlib.sha256, key_derivation="hmac")

    @classmethod
    def from_settings(cls, settings: Settings) -> "SessionSigner":
        return cls(load_secret(settings))

    def issue(self) -> tuple[str, str]:
        """A new (session id, token)."""
        session_id = secrets.token_urlsafe(16)
        return session_id, self.token(session_id)

    def token(self, session_id: str) -> str:
        return self._signer.sign(session_id).decode()

    def verify(self, token: str | None) -> str | None:
        """The session id of a token this server signed; None for anything else."""
        if not token or len(token) > 256:
            return None
        try:
            return self._signer.unsign(token).decode()
        except (BadSignature, UnicodeError, ValueError):
            return None

    def resolve(self, token: str | None) -> tuple[str, str, bool]:
        """(session id, token, is_new): the client's session when the token is valid, else a new one."""
        session_id = self.verify(token)
        if session_id is not None:
            return session_id, token, False
        session_id, token = self.issue()
        return session_id, token, True


def cookie_header(token: str, *, https: bool) -> str:
    """The page's session cookie: signed, HttpOnly (no script reads it), SameSite=Lax (not sent on
    cross-site POSTs), Secure over TLS."""
    secure = "; Secure" if https else ""
    return f"{COOKIE_NAME}={token}; Max-Age={COOKIE_MAX_AGE}; Path=/; HttpOnly; SameSite=Lax{secure}"


def set_session_cookie(response, token: str, *, https: bool) -> None:
    response.headers.append("set-cookie", cookie_header(token, https=https))


class PageSession:
    """The customer page (GET /) gets a session cookie when it has no valid one: the chat's handlers
    read the session from it (ASGI middleware)."""

    def __init__(self, app, signer: SessionSigner):
        self.app = app
        self.signer = signer

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != "/":
            return await self.app(scope, receive, send)
        if self.signer.verify(_cookie(scope, COOKIE_NAME)) is not None:
            return await self.app(scope, receive, send)
        header = cookie_header(self.signer.issue()[1], https=scope.get("scheme") == "https").encode("latin-1")

        async def with_cookie(message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", header)]}
            await send(message)

        await self.app(scope, receive, with_cookie)


def _cookie(scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            try:
                jar = SimpleCookie(value.decode("latin-1"))
            except CookieError:
                return None
            if name in jar:
                return jar[name].value
    return None
