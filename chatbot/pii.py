"""Card, ID and phone numbers: detected in drafts and answers, masked in logs and stored transcripts.

People write these numbers in many ways: `6222 0212 3456 7890 123`, `138-1234-5678`, `+86 138…`,
full-width `１３８…`. Each run of digits (ASCII or full-width) joined by at most one space or dash is
normalised (separators dropped, digits made ASCII, a leading 86 country code set aside) and then
classified by its length: 11 digits starting 1[3-9] is a mobile number, 15 or 18 characters an ID
number (18 may end in X), 15–19 digits a card number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGIT = r"[0-9\uff10-\uff19]"
_SEPARATOR = r"[ \u3000\-\u2010-\u2015\uff0d]"
# A run starts and ends on a digit (an ID may end in X), with single separators inside.
_RUN = re.compile(
    rf"(?<![0-9\uff10-\uff19])(?P<country>(?:\+|\uff0b)?(?:86|\uff18\uff16){_SEPARATOR}?)?"
    rf"(?P<number>{_DIGIT}(?:{_SEPARATOR}?{_DIGIT})*(?:{_SEPARATOR}?[Xx\uff38\uff58])?)(?![0-9\uff10-\uff19])")
_FULL_WIDTH = str.maketrans({chr(0xFF10 + n): str(n) for n in range(10)} | {"\uff38": "X", "\uff58": "X", "x": "X"})
# Ticket numbers (tickets.new_ticket_id: XB + date + 16 hex digits, however typed) are not personal data,
# though their hex part may be a long run of digits by chance: no run starts inside one.
_TICKET = re.compile(r"XB\d{6}(?:-[0-9A-F]{16})?", re.IGNORECASE)
_MOBILE = re.compile(r"1[3-9]\d{9}")
_ID_18 = re.compile(r"\d{17}[\dX]")


@dataclass(frozen=True)
class PiiMatch:
    kind: str  # card_number | id_number | phone_number
    start: int
    end: int
    digits: str  # normalised: ASCII digits (and X), no separators

    def masked(self) -> str:
        if self.kind == "phone_number":
            return self.digits[:3] + "****" + self.digits[-4:]
        if self.kind == "id_number":
            return self.digits[:6] + "*" * (len(self.digits) - 6)
        return self.digits[:4] + " **** **** " + self.digits[-4:]


def _classify(digits: str, has_country: bool) -> str | None:
    if _MOBILE.fullmatch(digits):
        return "phone_number"
    if has_country:
        return None  # +86 followed by something that is not a mobile number: a landline, not masked
    if _ID_18.fullmatch(digits) or (len(digits) == 15 and digits.isdigit() and _plausible_birth(digits[6:12])):
        return "id_number"
    if digits.isdigit() and 15 <= len(digits) <= 19:
        return "card_number"
    return None


def _plausible_birth(yymmdd: str) -> bool:
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    return 1 <= month <= 12 and 1 <= day <= 31


def find_pii(text: str) -> list[PiiMatch]:
    """Every card, ID and mobile number in `text`, in whatever form it was written."""
    found = []
    tickets = [ticket.span() for ticket in _TICKET.finditer(text or "")]
    for match in _RUN.finditer(text or ""):
        if any(start <= match.start() < end for start, end in tickets):
            continue
        digits = re.sub(_SEPARATOR, "", match.group("number")).translate(_FULL_WIDTH)
        country = match.group("country")
        kind = _classify(digits, bool(country))
        if kind is None and country:  # "86…" may be the start of the number itself (a card, an ID)
            digits = re.sub(_SEPARATOR, "", match.group(0)).translate(_FULL_WIDTH).lstrip("+\uff0b")
            kind = _classify(digits, False)
            if kind:
                found.append(PiiMatch(kind, match.start(), match.end(), digits))
            continue
        if kind:
            start = match.start() if kind == "phone_number" else match.start("number")
            found.append(PiiMatch(kind, start, match.end(), digits))
    return found


def mask_pii(text: str) -> str:
    """Mask ID, card and mobile numbers so they never reach logs or stored transcripts."""
    if not text:
        return text
    parts, last = [], 0
    for match in find_pii(text):
        parts += [text[last:match.start], match.masked()]
        last = match.end
    return "".join(parts) + text[last:] if parts else text


def has_unmasked_pii(text: str) -> bool:
    return bool(find_pii(text))
