"""Per-customer data kept outside the conversation and ticket tables. Each entry erases one kind of it
for a customer's sessions and returns how many rows went; erasing a customer's data (#9) runs them all."""

from __future__ import annotations

from typing import Callable, Sequence

from .callbacks import erase_callbacks_for
from .db import Database

Eraser = Callable[[Database, Sequence[str]], int]
PER_CUSTOMER_DATA: dict[str, Eraser] = {
    "callbacks": erase_callbacks_for,  # callback numbers left during a hand-off
}


def erase_per_customer_data(db: Database, session_ids: Sequence[str]) -> dict[str, int]:
    return {name: eraser(db, list(session_ids)) for name, eraser in PER_CUSTOMER_DATA.items()}
