"""Logging that an attacker cannot forge and that holds no card, ID or phone number.

Entry points call `configure_logging`; the formatter escapes control characters (a customer's message
with a newline cannot write a fake log line; ANSI escapes cannot repaint a terminal) and masks PII in
every record, whatever a module logged.
"""

from __future__ import annotations

import logging
import re

from .pii import mask_pii

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), text)


class SafeFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = escape_controls(mask_pii(record.message))
        return super().formatMessage(record)

    def formatException(self, ei) -> str:  # noqa: N802 - tracebacks keep their lines, without PII
        return mask_pii(super().formatException(ei))


def configure_logging(level: int = logging.INFO, fmt: str = FORMAT) -> None:
    """What `logging.basicConfig` does, with the safe formatter on the root handler."""
    logging.basicConfig(level=level, format=fmt)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(SafeFormatter(fmt))
