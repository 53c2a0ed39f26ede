"""The optional LLM: any OpenAI-compatible endpoint through langchain-openai's ChatOpenAI."""

from __future__ import annotations

import logging
import threading
import time

from ..config import Settings
from ..errors import ConfigError

logger = logging.getLogger(__name__)


class LLMStatus:
    """Health of the LLM as seen by real calls: degraded after a failure, ok after a success."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._lock = threading.Lock()
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.last_ok_at: float | None = None

    def ok(self) -> None:
        with self._lock:
            self.last_ok_at = time.time()
            self.last_error = None

    def failed(self, error: str) -> None:
        with self._lock:
            self.last_error = error
            self.last_error_at = time.time()

    @property
    def state(self) -> str:
        if not self.enabled:
            return "disabled"
        return "degraded" if self.last_error else "ok"


def build_chat_model(settings: Settings):
    """ChatOpenAI with a timeout and bounded retries, or None when no endpoint is configured."""
    if not settings.llm_base_url:
        return None
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise ConfigError("LLM mode needs langchain-openai: pip install langchain-openai") from exc
    return ChatOpenAI(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key,
        model=settings.llm_model,
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        temperature=0.1,
        streaming=True,
    )
