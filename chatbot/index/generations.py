"""Generations of the index and the pointer to the served one.

A generation is a Chroma collection (`<collection>-g00007`) plus its bookkeeping (manifest and record
manager) under the namespace `chroma/<collection>-g00007` in the deployment's SQL database
(`index/state.py`). The `index_pointer` row `current` names the served generation; it is replaced in
one transaction, so readers (the retriever in every replica) see the old or the new one, never half.
A generation the evaluation gate held back is the row `staged`. The publish log records every
publication and override.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy import delete, insert, select

from ..config import Settings
from .legacy import import_legacy_index
from .manifest import Manifest, copy_namespace, drop_namespace, record_namespace
from .state import pointers, publish_events, state_engine
from .store import open_collection

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


@dataclass
class Generation:
    number: int
    collection: str
    state: str  # the namespace of its manifest and record manager
    published_at: str | None = None
    evaluation: dict | None = None  # the evaluation figures it was published with
    previous: dict | None = None  # the generation it replaced (kept until the next publish)

    @property
    def key(self) -> tuple[int, str]:
        return self.number, self.collection

    def manifest(self, settings: Settings) -> Manifest:
        return Manifest(state_engine(settings), self.state)


_upgraded: set[int] = set()


def _state(settings: Settings):
    """The state engine; on its first use in this process, an index from before the state moved into SQL
    (data/index/current.json) is imported when the database has no pointer yet."""
    engine = state_engine(settings)
    if id(engine) not in _upgraded:
        with engine.connect() as connection:
            empty = connection.scalar(select(pointers.c.name).limit(1)) is None
        if empty:
            import_legacy_index(settings, engine)
        _upgraded.add(id(engine))
    return engine


def _generation(data: dict) -> Generation:
    return Generation(**{k: v for k, v in data.items() if k in Generation.__dataclass_fields__})


def _pointer(settings: Settings, name: str) -> dict | None:
    with _state(settings).connect() as connection:
        raw = connection.scalar(select(pointers.c.generation).where(pointers.c.name == name))
    return None if raw is None else json.loads(raw)


def read_current(settings: Settings) -> Generation | None:
    """The served generation (None before the first publish)."""
    data = _pointer(settings, "current")
    return None if data is None else _generation(data)


def read_staged(settings: Settings) -> Generation | None:
    """A generation the evaluation gate held back, waiting for a manager's decision."""
    data = _pointer(settings, "staged")
    return None if data is None else _generation(data)


def staged_report(settings: Settings) -> dict | None:
    """The ingest report of the held-back generation (why it was blocked, its figures)."""
    data = _pointer(settings, "staged")
    return None if data is None else data.get("report")


def _event_row(event: dict) -> dict:
    event = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **event}
    return {"event": json.dumps(event, ensure_ascii=False)}


def set_pointer(settings: Settings, name: str, generation: Generation | None, *, event: dict | None = None,
                extra: dict | None = None, clear: tuple[str, ...] = ()) -> None:
    """Point `name` at `generation` (None: remove it), remove the `clear` pointers and log `event`, all in
    one transaction: a reader sees the state before or after, never between."""
    with _state(settings).begin() as connection:
        connection.execute(delete(pointers).where(pointers.c.name.in_((name, *clear))))
        if generation is not None:
            data = asdict(generation) | (extra or {})
            connection.execute(insert(pointers).values(name=name, generation=json.dumps(data, ensure_ascii=False)))
        if event is not None:
            connection.execute(insert(publish_events).values(**_event_row(event)))


def append_publish_log(settings: Settings, event: dict) -> None:
    """Append-only log of publications and overrides (the `index_publish_log` table)."""
    with state_engine(settings).begin() as connection:
        connection.execute(insert(publish_events).values(**_event_row(event)))


def publish_log(settings: Settings, *, last: int | None = None) -> list[dict]:
    query = select(publish_events.c.event).order_by(publish_events.c.id.desc())
    if last is not None:
        query = query.limit(last)
    with _state(settings).connect() as connection:
        return [json.loads(raw) for raw in reversed(list(connection.scalars(query)))]


# --- generations in the store ---------------------------------------------------------------------

def numbered_generation(settings: Settings, number: int) -> Generation:
    """Generation `number`'s collection and namespace."""
    collection = f"{settings.collection}-g{number:05d}"
    return Generation(number, collection, record_namespace(collection))


def _collections(client) -> list[str]:
    return [c.name if hasattr(c, "name") else c for c in client.list_collections()]


def drop_generation(settings: Settings, client, generation: Generation | dict | None) -> None:
    if generation is None:
        return
    if isinstance(generation, dict):
        generation = _generation(generation)
    with contextlib.suppress(Exception):
        client.delete_collection(generation.collection)
    drop_namespace(state_engine(settings), generation.state)


def discard_unpublished(settings: Settings, client, current: Generation | None) -> None:
    """Remove what a crashed or held-back run left: generations that are neither served nor previous."""
    keep = {current.collection} if current else set()
    if current and current.previous:
        keep.add(current.previous["collection"])
    pattern = re.compile(re.escape(settings.collection) + r"-g(\d{5})$")
    for name in _collections(client):
        match = pattern.match(name)
        if match and name not in keep:
            logger.info("discarding unpublished generation %s", name)
            drop_generation(settings, client, numbered_generation(settings, int(match.group(1))))
    # A crash between writing the bookkeeping and creating the collection leaves rows with no collection.
    number = (current.number if current else 0) + 1
    drop_namespace(state_engine(settings), numbered_generation(settings, number).state)
    set_pointer(settings, "staged", None)


def copy_generation(settings: Settings, client, source: Generation, target: Generation, embeddings,
                    progress: Progress | None) -> None:
    """Copy the served collection and bookkeeping into a new generation (vectors copied, not recomputed)."""
    origin = open_collection(client, source.collection, embeddings.model_id, create=False)
    copy = open_collection(client, target.collection, embeddings.model_id)
    total = origin.count() if origin is not None else 0
    page = 1000
    for offset in range(0, total, page):
        batch = origin.get(include=["documents", "metadatas", "embeddings"], limit=page, offset=offset)
        copy.add(ids=batch["ids"], documents=batch["documents"], metadatas=batch["metadatas"],
                 embeddings=batch["embeddings"])
        if progress:
            progress(min(offset + page, total), total, "")
    copy_namespace(state_engine(settings), source.state, target.state)
