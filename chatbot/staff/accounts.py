"""Staff accounts from settings, hashed passwords, and roles."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from ..config import Settings
from ..errors import ConfigError

ROLES = ("expert", "knowledge_manager", "admin")
# What each role may do; admin may do everything.
PERMISSIONS = {
    "expert": {"desk", "copilot"},
    "knowledge_manager": {"knowledge", "copilot"},
    "admin": {"desk", "copilot", "knowledge", "admin"},
}
_ITERATIONS = 200_000
_HASH = re.compile(r"pbkdf2_sha256\$[1-9]\d{0,7}\$(?:[0-9a-f]{2})+\$[0-9a-f]{64}")


def hash_password(password: str, *, iterations: int = _ITERATIONS) -> str:
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), iterations).hex()
    return f"pbkdf2_sha256${iterations}${salt}${digest}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        algorithm, iterations, salt, digest = encoded.split("$")
    except ValueError:
        return False
    if algorithm != "pbkdf2_sha256":
        return False
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations)).hex()
    return hmac.compare_digest(candidate, digest)


@dataclass(frozen=True)
class StaffUser:
    name: str
    role: str

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, set())


class StaffDirectory:
    def __init__(self, accounts: dict[str, tuple[str, str]]):
        self._accounts = accounts  # name -> (role, password hash)
        # Checked when the user name is unknown, with the accounts' own cost, so that the time taken does
        # not tell which names exist.
        iterations = next((h.split("$")[1] for _, h in accounts.values()), str(_ITERATIONS))
        self._dummy_hash = f"pbkdf2_sha256${iterations}${'0' * 32}${'0' * 64}"

    @classmethod
    def from_settings(cls, settings: Settings) -> "StaffDirectory":
        accounts = {}
        for entry in settings.staff_users.replace(",", ";").split(";"):
            entry = entry.strip()
            if not entry:
                continue
            parts = entry.split(":", 2)
            if len(parts) != 3 or parts[1] not in ROLES or not _HASH.fullmatch(parts[2]) or parts[0] in accounts:
                raise ConfigError(f"CHATBOT_STAFF_USERS entry {parts[0]!r} must be name:role:hash (each name once) with role "
                                  f"in {', '.join(ROLES)} (hash from `python -m chatbot hash-password`)")
            accounts[parts[0]] = (parts[1], parts[2])
        return cls(accounts)

    def authenticate(self, name: str, password: str) -> StaffUser | None:
        found = self._accounts.get(name or "")
        if not found:
            verify_password(password or "", self._dummy_hash)  # the same work as for a real account
            return None
        if not verify_password(password or "", found[1]):
            return None
        return StaffUser(name, found[0])

    def get(self, name: str | None) -> StaffUser | None:
        found = self._accounts.get(name or "")
        return StaffUser(name, found[0]) if found else None

    def __len__(self) -> int:
        return len(self._accounts)
