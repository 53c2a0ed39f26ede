"""One writer: an ingest holds an exclusive lock for its whole run, and the ingest worker one for its life.

On PostgreSQL the lock is a session advisory lock, so it holds across hosts and is released by the
server when the holder's connection ends (a `kill -9` included). Otherwise (SQLite, one host) it is a
file lock in the data directory, released by the kernel when the process ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import zlib

from sqlalchemy import text

from ..config import Settings
from ..errors import IngestBusyError
from ..sql import is_postgres
from .state import state_engine

BUSY = {
    "ingest": "另一个知识库导入正在进行中，请稍后再试。(another ingest is running)",
    "worker": "另一个导入进程（worker）已在运行。(another ingest worker is running)",
}


def _advisory_key(settings: Settings, name: str) -> int:
    return zlib.crc32(f"xiaobao:{settings.collection}:{name}".encode())


@contextlib.contextmanager
def exclusive(settings: Settings, name: str):
    """Hold the deployment-wide lock `name` ("ingest" or "worker"), or raise IngestBusyError at once."""
    engine = state_engine(settings)
    if is_postgres(engine):
        key = _advisory_key(settings, name)
        with engine.connect() as connection:
            if not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}):
                raise IngestBusyError(BUSY[name])
            connection.commit()
            try:
                yield
            finally:
                with contextlib.suppress(Exception):  # a lost connection has released it already
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    connection.commit()
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(settings.data_dir / f"{name}.lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise IngestBusyError(BUSY[name]) from exc
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def ingest_lock(settings: Settings):
    """Held by every run that writes the index or moves the pointer."""
    return exclusive(settings, "ingest")
