"""Encryption at rest for personal data that must be readable again (a callback number): Fernet with a
key from `CHATBOT_DATA_KEY`, or, when unset, a key generated once into the data directory (mode 0600).

Replicas that share a database must share the key: set `CHATBOT_DATA_KEY` for them all.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from .config import Settings
from .errors import ConfigError

logger = logging.getLogger(__name__)

KEY_FILE = "data.key"


class Sealer:
    """Seal and open short texts with one key."""

    def __init__(self, key: bytes | str):
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as error:
            raise ConfigError("CHATBOT_DATA_KEY must be a Fernet key (32 url-safe base64-encoded bytes); "
                              "generate one with `python -m chatbot data-key`") from error

    @classmethod
    def from_settings(cls, settings: Settings) -> "Sealer":
        return cls(settings.data_key or _key_file(settings.data_dir))

    def seal(self, text: str) -> str:
        return self._fernet.encrypt(text.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as error:
            raise ConfigError("sealed data cannot be opened with this key (was CHATBOT_DATA_KEY changed?)") from error


def new_key() -> str:
    return Fernet.generate_key().decode()


def _key_file(data_dir: Path) -> bytes:
    """The data directory's key, created on first use readable by the owner only. Two processes starting
    at once: exactly one creates the file (O_EXCL), the other reads it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / KEY_FILE
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # the creator may not have written it yet
            key = path.read_bytes().strip()
            if key:
                return key
            time.sleep(0.02)
        raise ConfigError(f"{path} is empty: delete it or set CHATBOT_DATA_KEY")
    key = Fernet.generate_key()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key)
    logger.info("generated a data key path=%s (set CHATBOT_DATA_KEY to share it between replicas)", path)
    return key
