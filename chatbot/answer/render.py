"""Approved text as a customer reads it: cards and rule messages are written for the demo bank
(`config.DEMO_BANK_NAME`, its hotline `config.DEMO_HOTLINE` or a `{hotline}` placeholder); a deployment
shows its own name and hotline."""

from __future__ import annotations

from ..config import DEMO_BANK_NAME, DEMO_HOTLINE, Settings


def render(text: str, settings: Settings) -> str:
    text = text.replace("{hotline}", settings.hotline).replace(DEMO_HOTLINE, settings.hotline)
    if settings.bank_name != DEMO_BANK_NAME:
        text = text.replace(DEMO_BANK_NAME, settings.bank_name)
    return text.strip()
