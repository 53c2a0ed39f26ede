"""The indexed units as retrieval holds them in memory: compact enough for 100k+ chunks.

A unit's metadata read from Chroma is a dict of a dozen strings, most of them repeated across every
chunk of a document (title, source, dates, version) or every variant of a card (its full JSON). At
100k chunks those dicts cost ~180 MB (measured with bench/scale.py). Here each unit keeps a tuple of
its values, each distinct string once, and a dict is made again only for the few units a question
retrieves.
"""

from __future__ import annotations

from typing import Any, Hashable


class UnitTable:
    """Every unit's key, text and metadata, addressed by its position in load order (which is also
    the document order of the lexical index)."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self._texts: list[str] = []
        self._fields: list[tuple[str, ...]] = []  # per unit, one shared tuple per distinct key set
        self._values: list[tuple[Any, ...]] = []
        self._positions: dict[str, int] = {}
        self._shared: dict[Any, Any] = {}  # one object per distinct string or key set, while loading

    def add(self, key: str, text: str, metadata: dict) -> int:
        shared = self._shared
        # Sorted: Chroma returns each unit's keys in its own order, which would defeat the sharing.
        fields = tuple(sorted(metadata))
        # Only strings are shared: 1, 1.0 and True are equal, so sharing them could change a type.
        values = tuple(shared.setdefault(v, v) if type(v) is str else v for v in map(metadata.get, fields))
        position = len(self.keys)
        self.keys.append(key)
        self._texts.append(text)
        self._fields.append(shared.setdefault(fields, fields))
        self._values.append(values)
        self._positions[key] = position
        return position

    def finish(self) -> None:
        """Loading is over: drop the table that shared strings while rows were added."""
        self._shared = {}

    def __len__(self) -> int:
        return len(self.keys)

    def position(self, key: str) -> int | None:
        return self._positions.get(key)

    def text(self, position: int) -> str:
        return self._texts[position]

    def metadata(self, position: int) -> dict:
        """The unit's metadata as Chroma returned it (a new dict: callers may change it)."""
        return dict(zip(self._fields[position], self._values[position]))


class Positions:
    """Key → unit positions in load order. Most keys (a document chunk, a cited article) have a
    single unit, which is kept as a bare int rather than a one-item list."""

    def __init__(self) -> None:
        self._found: dict[Hashable, int | list[int]] = {}

    def add(self, key: Hashable, position: int) -> None:
        found = self._found.get(key)
        if found is None:
            self._found[key] = position
        elif isinstance(found, int):
            self._found[key] = [found, position]
        else:
            found.append(position)

    def get(self, key: Hashable) -> list[int]:
        found = self._found.get(key)
        if found is None:
            return []
        return [found] if isinstance(found, int) else list(found)

    def __len__(self) -> int:
        return len(self._found)
