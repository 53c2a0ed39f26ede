"""A generation's state file: our manifest (what was indexed from which file: hash, pipeline, ids; and
the superseded versions archived) and LangChain's record manager (which unit keys each file wrote, for
`index(..., cleanup="incremental")`), in one SQLite file per generation."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path


class Manifest:
    """One generation's record of what was indexed from which file (hash, pipeline, ids), and of the
    superseded versions it archived."""

    def __init__(self, path: Path):
        self._db = sqlite3.connect(path)
        self._db.execute("CREATE TABLE IF NOT EXISTS files (source TEXT PRIMARY KEY, digest TEXT, "
                         "pipeline TEXT, ids TEXT)")
        self._db.execute("CREATE TABLE IF NOT EXISTS archive (source TEXT, item_id TEXT, version TEXT, ids TEXT, "
                         "in_force_until TEXT, archived_at TEXT)")
        self._db.commit()

    def get(self, source: str) -> tuple[str, str, list[str]] | None:
        row = self._db.execute("SELECT digest, pipeline, ids FROM files WHERE source=?", (source,)).fetchone()
        return (row[0], row[1], json.loads(row[2])) if row else None

    def sources(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT source FROM files")]

    def known_ids(self) -> dict[str, str]:
        """Document/card id → the source file that defines it."""
        ids = {}
        for source, raw in self._db.execute("SELECT source, ids FROM files"):
            for item in json.loads(raw):
                ids[item] = source
        return ids

    def put(self, source: str, digest: str, pipeline: str, ids: list[str], *, commit: bool = True) -> None:
        self._db.execute("INSERT OR REPLACE INTO files VALUES (?,?,?,?)", (source, digest, pipeline, json.dumps(ids)))
        if commit:
            self._db.commit()

    def commit(self) -> None:
        self._db.commit()

    def remove(self, source: str) -> None:
        self._db.execute("DELETE FROM files WHERE source=?", (source,))
        self._db.commit()

    def clear(self) -> None:
        self._db.execute("DELETE FROM files")
        self._db.commit()

    def archive(self, source: str, item_id: str, version: str, ids: list[str], until: str) -> None:
        self._db.execute("INSERT INTO archive VALUES (?,?,?,?,?,?)", (
            source, item_id, version, json.dumps(ids), until, dt.datetime.now(dt.UTC).isoformat()))
        self._db.commit()

    def archived(self) -> list[dict]:
        rows = self._db.execute("SELECT source, item_id, version, in_force_until, archived_at FROM archive "
                                "ORDER BY archived_at")
        return [dict(zip(["source", "item_id", "version", "in_force_until", "archived_at"], r)) for r in rows]

    def close(self) -> None:
        self._db.close()


def record_namespace(collection: str) -> str:
    """The record manager's namespace of a generation: its collection."""
    return f"chroma/{collection}"


def open_record_manager(collection: str, state_path: Path):
    """LangChain's SQL record manager of a generation, in its state file (schema created if new)."""
    from langchain_classic.indexes import SQLRecordManager

    state_path.parent.mkdir(parents=True, exist_ok=True)
    manager = SQLRecordManager(record_namespace(collection), db_url=f"sqlite:///{state_path.resolve()}")
    manager.create_schema()
    return manager


def copy_state_file(source: Path, target: Path, collection: str) -> None:
    """Copy a generation's state file (manifest and record manager) for a new generation.

    The record manager has no API to move records to another namespace; re-adding every key through
    `update()` would take seconds at 100k units and a round trip per file to learn its keys. A SQLite
    backup copies the file in milliseconds, and one statement renames the namespace on the record
    manager's table (`upsertion_record`, its only table). This is the one place that touches it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    source_db = sqlite3.connect(source)
    target_db = sqlite3.connect(target)
    try:
        source_db.backup(target_db)
        tables = {r[0] for r in target_db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "upsertion_record" in tables:
            target_db.execute("UPDATE upsertion_record SET namespace=?", (record_namespace(collection),))
        target_db.commit()
    finally:
        source_db.close()
        target_db.close()
