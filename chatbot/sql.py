"""The SQL database every process of a deployment shares: a SQLite file in the data directory by
default, PostgreSQL (or any SQLAlchemy URL) when `CHATBOT_DATABASE_URL` is set. Conversations and
tickets (`conversations/db.py`), the served-generation pointer, the publish log, the manifest and the
record manager (`index/`), and the ingest jobs (`publishing/jobs.py`) all live there."""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path

from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine

from .config import Settings

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def utcnow() -> dt.datetime:
    """Now in UTC, naive: how every table of the shared database stores a moment."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


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
    # pre-ping: a replica survives a database restart; the pool (5 + 10 overflow) is per engine and process.
    return create_engine(url, pool_pre_ping=True)


def shared_engine(url: str) -> Engine:
    """One engine, hence one connection pool, per database URL and process."""
    with _engines_lock:
        if url not in _engines:
            _engines[url] = make_engine(url)
        return _engines[url]


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def create_tables(engine: Engine, metadata: MetaData) -> None:
    """Create the missing tables. On PostgreSQL under a transaction-scoped advisory lock: replicas that
    start together would otherwise race between "does it exist" and CREATE TABLE, and one would fail."""
    with engine.begin() as connection:
        if is_postgres(engine):
            connection.execute(text("SELECT pg_advisory_xact_lock(7015)"))  # the schema lock of this database
        metadata.create_all(connection)
