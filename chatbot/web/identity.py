"""A customer's identity, verified: a JWT (HS256) signed by the bank's website backend.

The backend signs `{"sub": customer id, "aud": "xiaobao", "iat", "exp"}` with `CHATBOT_IDENTITY_SECRET`
and hands it to the page or the API client; only such a token attaches a customer id to a conversation.
A `customer_id` sent by the client itself is ignored: a conversation without a verified token shows as
未验证 in the desk and never joins anyone's history. `verify_identity` is the one check (the website
widget uses it too); `issue_identity` is for tests and demos (`python -m chatbot identity-token ID`).
"""

from __future__ import annotations

import datetime as dt
import logging

import jwt

from ..config import Settings
from ..errors import ConfigError

logger = logging.getLogger(__name__)

ALGORITHM = "HS256"
MAX_CUSTOMER_ID = 128


def verify_identity(token: str | None, settings: Settings) -> str | None:
    """The customer id of a valid, unexpired token for this audience; None otherwise (never raises)."""
    if not token or not settings.identity_secret or len(token) > 4096:
        return None
    try:
        claims = jwt.decode(token, settings.identity_secret, algorithms=[ALGORITHM],
                            audience=settings.identity_audience, options={"require": ["sub", "exp", "iat", "aud"]})
    except jwt.PyJWTError as error:
        logger.info("identity token refused error=%s", type(error).__name__)
        return None
    customer = claims.get("sub")
    if not isinstance(customer, str) or not customer.strip() or len(customer) > MAX_CUSTOMER_ID:
        return None
    return customer.strip()


def issue_identity(customer_id: str, settings: Settings, *, ttl: dt.timedelta = dt.timedelta(hours=1),
                   now: dt.datetime | None = None) -> str:
    """What the bank's website backend does for a logged-in customer (tests and demos)."""
    if not settings.identity_secret:
        raise ConfigError("CHATBOT_IDENTITY_SECRET is not set")
    now = now or dt.datetime.now(dt.timezone.utc)
    claims = {"sub": customer_id, "aud": settings.identity_audience, "iat": now, "exp": now + ttl}
    return jwt.encode(claims, settings.identity_secret, algorithm=ALGORITHM)
