"""Back-off for staff logins: failed attempts counted per account and per client address.

After too many failures (`CHATBOT_LOGIN_LIMIT_ACCOUNT`, `CHATBOT_LOGIN_LIMIT_ADDRESS`, moving windows)
every further attempt is refused without checking the password (no CPU spent on guesses) until the
window has moved on; a success clears the account's count. Counts are kept in the process: with
several workers each counts its own share, which still bounds guessing to workers × limit.
"""

from __future__ import annotations

import time

from limits import parse_many, storage, strategies

from ..config import Settings


class LoginThrottle:
    def __init__(self, per_account: str, per_address: str):
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
        self._account = parse_many(per_account) if per_account.strip() else []
        self._address = parse_many(per_address) if per_address.strip() else []

    @classmethod
    def from_settings(cls, settings: Settings) -> "LoginThrottle":
        return cls(settings.login_limit_account, settings.login_limit_address)

    def _keys(self, account: str | None, address: str | None):
        yield from ((item, ("login-account", (account or "").lower())) for item in self._account)
        if address:
            yield from ((item, ("login-address", address)) for item in self._address)

    def retry_after(self, account: str | None, address: str | None) -> int:
        """Seconds until another attempt may be checked; 0 = go ahead."""
        waits = []
        for item, key in self._keys(account, address):
            if not self._limiter.test(item, *key):
                reset = self._limiter.get_window_stats(item, *key).reset_time
                waits.append(max(1, int(reset - time.time()) + 1))
        return max(waits, default=0)

    def failed(self, account: str | None, address: str | None) -> None:
        for item, key in self._keys(account, address):
            self._limiter.hit(item, *key)

    def succeeded(self, account: str | None) -> None:
        for item in self._account:
            self._limiter.clear(item, "login-account", (account or "").lower())
