"""The optional LLM: any OpenAI-compatible endpoint through langchain-openai's ChatOpenAI, its health, and
the reasons its text may not be served (the audit trail names them)."""

from __future__ import annotations

import logging
import threading
import time

from ..config import Settings
from ..errors import ConfigError
from .verify import RULE_LABELS

logger = logging.getLogger(__name__)

# Why the LLM's text was not served (Answer.llm_fallback; "blocked:<rule>" names the verification rule).
FALLBACK_LABELS = {
    "disabled": "未配置大模型（审核答案模式）",
    "not_needed": "此类回答不经大模型（规则、客户所选选项、澄清、转人工或拒答）",
    "judged_unanswered": "大模型判断资料未回答客户的问题",
    "no_sources": "没有可供生成的资料",
    "timeout": "超时",
    "error": "调用失败",
    "blocked": "生成内容未通过核验",
}


def fallback_label(code: str) -> str:
    """The Chinese reason of a fallback code; "blocked:number_not_in_sources" → 生成内容未通过核验（…）."""
    kind, _, rule = code.partition(":")
    label = FALLBACK_LABELS.get(kind, kind)
    return f"{label}（{RULE_LABELS.get(rule, rule)}）" if rule else label


def failure_kind(error: Exception) -> str:
    """A failed call as a fallback code: "timeout" (the client gave up waiting) or "error"."""
    return "timeout" if isinstance(error, TimeoutError) or "Timeout" in type(error).__name__ else "error"


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
