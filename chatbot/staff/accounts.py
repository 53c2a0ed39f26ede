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
    display_name: str = ""  # what customers see ("专家 王芳 正在为您服务"); the name when not configured

    def __post_init__(self):
        if not self.display_name:
            object.__setattr__(self, "display_name", self.name)

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, set())

    @property
    def queues(self) -> tuple[str, ...]:
        """The hand-off queues whose tickets this user may claim (an admin's own queue and the experts')."""
        return ("expert", "admin") if self.role == "admin" else ("expert",) if self.can("desk") else ()


class StaffDirectory:
    def __init__(self, accounts: dict[str, tuple[str, str]], display_names: dict[str, str] | None = None):
        self._accounts = accounts  # name -> (role, password hash)
        self._display_names = display_names or {}
        # Checked when the user name is unknown, with the accounts' own cost, so that the time taken does
        # not tell which names exist.
        iterations = next((h.split("$")[1] for _, h in accounts.values()), str(_ITERATIONS))
        self._dummy_hash = f"pbkdf2_sha256${iterations}${'0' * 32}${'0' * 64}"

    @classmethod
    def from_settings(cls, settings: Settings) -> "StaffDirectory":
        accounts, display_names = {}, {}
        for entry in settings.staff_users.replace(",", ";").split(";"):
            entry = entry.strip()
            if not entry:
                continue
            parts = entry.split(":", 3)
            if (len(parts) not in (3, 4) or parts[1] not in ROLES or not _HASH.fullmatch(parts[2])
                    or parts[0] in accounts):
                raise ConfigError(f"CHATBOT_STAFF_USERS entry {parts[0]!r} must be name:role:hash[:display name] (each "
                                  f"name once) with role in {', '.join(ROLES)} (hash from `python -m chatbot hash-password`)")
            accounts[parts[0]] = (parts[1], parts[2])
            if len(parts) == 4 and parts[3].strip():
                display_names[parts[0]] = parts[3].strip()
        return cls(accounts, display_names)

    def authenticate(self, name: str, password: str) -> StaffUser | None:
        found = self._accounts.get(name or "")
        if not found:
            verify_password(password or "", self._dummy_hash)  # the same work as for a real account
            return None
        if not verify_password(password or "", found[1]):
            return None
        return self.get(name)

    def get(self, name: str | None) -> StaffUser | None:
        found = self._accounts.get(name or "")
        return StaffUser(name, found[0], self._display_names.get(name, "")) if found else None

    def display_name(self, name: str) -> str:
        return self._display_names.get(name, name)

    def with_permission(self, permission: str) -> list[StaffUser]:
        return [user for user in map(self.get, self._accounts) if user and user.can(permission)]

    def __len__(self) -> int:
        return len(self._accounts)
