"""What an index run reports: per-file results, and what each written file replaced."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field


@dataclass
class FileReport:
    path: str
    status: str  # added | updated | deleted | unchanged | error
    chunks_added: int = 0
    chunks_deleted: int = 0
    error: str | None = None


@dataclass
class IndexReport:
    """What an index run did, file by file (unchanged files included)."""

    files: list[FileReport] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def errors(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "error"]

    @property
    def changed(self) -> bool:
        return any(f.status in {"added", "updated", "deleted"} for f in self.files)

    def summary(self) -> dict:
        """The `ingest.py --json` counts of the design (counts are files), plus per-file detail."""
        return {
            "added": self.count("added"),
            "updated": self.count("updated"),
            "deleted": self.count("deleted"),
            "skipped": self.count("unchanged"),
            "errors": [{"path": f.path, "error": f.error} for f in self.errors],
            "chunks": {
                "added": sum(f.chunks_added for f in self.files),
                "deleted": sum(f.chunks_deleted for f in self.files),
            },
            "files": [asdict(f) for f in self.files if f.status != "unchanged"],
        }


@dataclass
class Change:
    """What one written file replaced: the units it had before (for archiving and the stale probe)."""

    source: str
    item_id: str
    unit: str  # card | doc
    status: str  # added | updated | deleted
    old_units: list[tuple[str, dict]] = field(default_factory=list)  # (text, metadata), in force before
    old_ids: list[str] = field(default_factory=list)  # their ids, in the same order
    new_units: list[tuple[str, dict]] = field(default_factory=list)
    archived_version: str | None = None  # the superseded version kept for the record, if any


def progress_bar(total: int, show: bool | None, description: str, unit: str):
    from tqdm import tqdm

    if show is None:
        show = sys.stderr.isatty()
    return tqdm(total=total, desc=description, unit=unit, disable=not show, file=sys.stderr)
