"""Quarantine: a knowledge file that broke a parsing limit leaves the knowledge directory.

It is moved (with its `.meta.yaml` sidecar) to `knowledge/_quarantine/`, which no ingest reads, next to
a `<name>.reason.txt` saying when and why, so that it is not parsed again at every validation and a
manager can look at it.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from .loaders import SIDECAR_SUFFIX

QUARANTINE_DIR = "_quarantine"


def quarantine(root: Path, path: Path, reason: str) -> Path:
    """Move `path` (and its sidecar) into root/_quarantine/; returns the new location."""
    folder = root / QUARANTINE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = folder / f"{stamp}-{path.name}"
    os.replace(path, target)
    sidecar = Path(str(path) + SIDECAR_SUFFIX)
    if sidecar.exists():
        os.replace(sidecar, Path(str(target) + SIDECAR_SUFFIX))
    Path(str(target) + ".reason.txt").write_text(
        f"{dt.datetime.now().isoformat(timespec='seconds')}\n{path.relative_to(root).as_posix()}\n{reason}\n",
        encoding="utf-8")
    return target
