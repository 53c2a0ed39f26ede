"""SQL storage: SQLite in the data dir by default, PostgreSQL (or any SQLAlchemy URL) by setting."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from ..config import Settings
from .models import Base

logger = logging.getLogger(__name__)


def database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(settings.data_dir / 'xiaobao.sqlite').resolve()}"


def private_sqlite_file(url: str) -> None:
    """The SQLite file (and its WAL files, which SQLite creates with the same mode) readable by its owner only."""
    path = url.removeprefix("sqlite:///")
    if not url.startswith("sqlite:///") or path in ("", ":memory:") or path.startswith("file:"):
        return  # in memory, or a URI (e.g. read-only) that opens an existing file
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    if not file.exists():
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT, 0o600))
    for candidate in (file, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if candidate.exists() and candidate.stat().st_mode & 0o077:
            candidate.chmod(0o600)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        private_sqlite_file(url)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record):
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
            # With WAL, NORMAL syncs at checkpoints instead of on every commit: a power cut may lose the
            # last turns but never corrupts the database (an application crash loses nothing).
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    """One engine and session factory; tables are created on first use."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        Base.metadata.create_all(self.engine)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Database":
        return cls(database_url(settings))

    def check_writable(self) -> bool:
        """One real write (a single-row upsert), so that a read-only or full database is not reported ok."""
        try:
            with self.engine.begin() as connection:
                updated = connection.execute(text("UPDATE health_probe SET checked_at = CURRENT_TIMESTAMP WHERE id = 1"))
                if updated.rowcount == 0:
                    connection.execute(text("INSERT INTO health_probe (id, checked_at) VALUES (1, CURRENT_TIMESTAMP)"))
            return True
        except Exception as error:  # any database error means "not writable"; the reason goes to the log only
            logger.warning("database not writable error=%s", type(error).__name__)
            return False
