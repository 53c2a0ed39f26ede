"""An index built before the index state moved into SQL: `data/index/current.json`, `staged.json`,
`publish.log` and one SQLite state file per generation (or `data/records.sqlite` before generations).
Imported once, on first use of a database that has no pointer yet, so an upgraded installation keeps
serving its index without a rebuild. The old files are left in place (read-only history)."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from ..config import Settings
from .state import manifest_archive, manifest_files, pointers, publish_events

logger = logging.getLogger(__name__)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def import_legacy_index(settings: Settings, engine: Engine) -> None:
    """Copy the served generation's pointer, bookkeeping and the publish log from the old files."""
    from .manifest import open_record_manager, record_namespace

    folder = settings.data_dir / "index"
    current = _read_json(folder / "current.json")
    if current is None and (settings.data_dir / "records.sqlite").exists():
        current = {"number": 0, "collection": settings.collection, "state": "records.sqlite"}
    if current is None:
        return
    state_file = settings.data_dir / current["state"]
    namespace = record_namespace(current["collection"])
    current["state"] = namespace
    if current.get("previous"):
        current["previous"]["state"] = record_namespace(current["previous"]["collection"])
    open_record_manager(engine, namespace)  # creates the record manager's table
    old = sqlite3.connect(f"file:{state_file}?mode=ro", uri=True) if state_file.exists() else None
    from langchain_classic.indexes._sql_record_manager import UpsertionRecord

    with engine.begin() as connection:
        connection.execute(insert(pointers).values(name="current", generation=json.dumps(current, ensure_ascii=False)))
        log = folder / "publish.log"
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        events = [{"event": line} for line in lines if line.strip()]
        if events:
            connection.execute(insert(publish_events), events)
        if old is not None:
            tables = {row[0] for row in old.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "files" in tables:
                rows = [dict(zip(["source", "digest", "pipeline", "ids"], r), namespace=namespace)
                        for r in old.execute("SELECT source, digest, pipeline, ids FROM files")]
                if rows:
                    connection.execute(insert(manifest_files), rows)
            if "archive" in tables:
                names = ["source", "item_id", "version", "ids", "in_force_until", "archived_at"]
                rows = [dict(zip(names, r), namespace=namespace)
                        for r in old.execute(f"SELECT {', '.join(names)} FROM archive")]
                if rows:
                    connection.execute(insert(manifest_archive), rows)
            if "upsertion_record" in tables:
                names = ["uuid", "key", "group_id", "updated_at"]
                rows = [dict(zip(names, r), namespace=namespace)
                        for r in old.execute(f"SELECT {', '.join(names)} FROM upsertion_record")]
                if rows:
                    connection.execute(insert(UpsertionRecord.__table__), rows)
    if old is not None:
        old.close()
    logger.info("imported the index state of generation %s from %s", current["number"], folder)
