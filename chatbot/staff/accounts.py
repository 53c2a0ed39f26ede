"""Staff accounts from settings, hashed passwords, and roles."""

from __future__ import annotations

import hashlib
import hmac
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

    @classmethod
    def from_settings(cls, settings: Settings) -> "StaffDirectory":
        accounts = {}
        for entry in settings.staff_users.replace(",", ";").split(";"):
            entry = entry.strip()
            if not entry:
                continue
            parts = entry.split(":", 2)
            if len(parts) != 3 or parts[1] not in ROLES or not parts[2].startswith("pbkdf2_sha256$"):
                raise ConfigError(f"CHATBOT_STAFF_USERS entry {parts[0]!r} must be name:role:hash with role in "
                                  f"{', '.join(ROLES)} (hash from `python -m chatbot hash-password`)")
            accounts[parts[0]] = (parts[1], parts[2])
        return cls(accounts)

    def authenticate(self, name: str, password: str) -> StaffUser | None:
        found = self._accounts.get(name or "")
        if not found or not verify_password(password or "", found[1]):
            return None
        return StaffUser(name, found[0])

    def get(self, name: str | None) -> StaffUser | None:
        found = self._accounts.get(name or "")
        return StaffUser(name, found[0]) if found else None

    def __len__(self) -> int:
        return len(self._accounts)
