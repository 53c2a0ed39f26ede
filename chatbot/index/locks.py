"""One writer per data directory: an ingest holds an exclusive file lock for its whole run."""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path

from ..errors import IngestBusyError


@contextlib.contextmanager
def ingest_lock(data_dir: Path):
    data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(data_dir / "ingest.lock", "w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.close()
        raise IngestBusyError("另一个知识库导入正在进行中，请稍后再试。(another ingest is running)") from exc
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
