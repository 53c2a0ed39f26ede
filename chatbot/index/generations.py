"""Generations of the index and the pointer to the served one.

A generation is a Chroma collection (`<collection>-g00007`) plus its state file (`data/index/g00007.sqlite`:
manifest and record manager). `data/index/current.json` names the served generation; it is replaced
atomically, so readers (the retriever in every worker) see the old or the new one, never half. A
generation the evaluation gate held back is named by `staged.json`. `publish.log` records every
publication and override, one JSON object per line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from .manifest import copy_state_file
from .store import open_collection

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


@dataclass
class Generation:
    number: int
    collection: str
    state: str  # the state file, relative to the data directory
    published_at: str | None = None
    evaluation: dict | None = None  # the evaluation figures it was published with
    previous: dict | None = None  # the generation it replaced (kept until the next publish)

    def state_path(self, settings: Settings) -> Path:
        return settings.data_dir / self.state

    @property
    def key(self) -> tuple[int, str]:
        return self.number, self.collection


def index_dir(settings: Settings) -> Path:
    return settings.data_dir / "index"


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def _read(path: Path) -> Generation | None:
    data = _read_json(path)
    return None if data is None else _generation(data)


def _generation(data: dict) -> Generation:
    return Generation(**{k: v for k, v in data.items() if k in Generation.__dataclass_fields__})


def read_current(settings: Settings) -> Generation | None:
    """The served generation; an index built before generations existed counts as generation 0."""
    found = _read(index_dir(settings) / "current.json")
    if found is None and (settings.data_dir / "records.sqlite").exists():
        return Generation(0, settings.collection, "records.sqlite")
    return found


def read_staged(settings: Settings) -> Generation | None:
    """A generation the evaluation gate held back, waiting for a manager's decision."""
    return _read(index_dir(settings) / "staged.json")


def staged_report(settings: Settings) -> dict | None:
    """The ingest report of the held-back generation (why it was blocked, its figures)."""
    data = _read_json(index_dir(settings) / "staged.json")
    return None if data is None else data.get("report")


def write_atomic(path: Path, data: dict) -> None:
    """Write, flush to disk, then rename over the old file: readers see the old or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".tmp{os.getpid()}")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def append_publish_log(settings: Settings, event: dict) -> None:
    """Append-only log of publications and overrides (data/index/publish.log, one JSON per line)."""
    index_dir(settings).mkdir(parents=True, exist_ok=True)
    event = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **event}
    with open(index_dir(settings) / "publish.log", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(event, ensure_ascii=False) + "\n")


def publish_log(settings: Settings) -> list[dict]:
    path = index_dir(settings) / "publish.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- generations in the store ---------------------------------------------------------------------

def numbered_generation(settings: Settings, number: int) -> Generation:
    """Generation `number`'s collection and state file names."""
    return Generation(number, f"{settings.collection}-g{number:05d}", f"index/g{number:05d}.sqlite")


def _collections(client) -> list[str]:
    return [c.name if hasattr(c, "name") else c for c in client.list_collections()]


def drop_generation(settings: Settings, client, generation: Generation | dict | None) -> None:
    if generation is None:
        return
    if isinstance(generation, dict):
        generation = _generation(generation)
    with contextlib.suppress(Exception):
        client.delete_collection(generation.collection)
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            Path(str(generation.state_path(settings)) + suffix).unlink()


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
    with contextlib.suppress(FileNotFoundError):
        (index_dir(settings) / "staged.json").unlink()


def copy_generation(settings: Settings, client, source: Generation, target: Generation, embeddings,
                     progress: Progress | None) -> None:
    """Copy the served collection and state into a new generation (vectors copied, not recomputed)."""
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
    copy_state_file(source.state_path(settings), target.state_path(settings), target.collection)
