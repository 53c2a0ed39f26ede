"""Card, ID and phone numbers: detected in drafts and answers, masked in logs and stored transcripts."""

from __future__ import annotations

import re

ID_NUMBER = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[\dXx])(?!\d)")
CARD_NUMBER = re.compile(r"(?<!\d)(\d{4})\d{8,11}(\d{4})(?!\d)")
PHONE_NUMBER = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_pii(text: str) -> str:
    """Mask ID, card and mobile numbers so they never reach logs or stored transcripts."""
    text = ID_NUMBER.sub(lambda m: m.group(1) + "********" + "****", text)
    text = CARD_NUMBER.sub(lambda m: m.group(1) + " **** **** " + m.group(2), text)
    return PHONE_NUMBER.sub(lambda m: m.group(1) + "****" + m.group(2), text)


def has_unmasked_pii(text: str) -> bool:
    return bool(ID_NUMBER.search(text) or CARD_NUMBER.search(text) or PHONE_NUMBER.search(text))
