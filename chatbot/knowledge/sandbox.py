"""Parse untrusted DOCX, PDF and HTML files in a child process with memory and time limits.

A 300 KB .docx can unpack to ~100 MB of XML and hold the serving process for a minute and gigabytes of
memory. So a DOCX's zip directory is checked first (unpacked size, entry count), then the file is
parsed by `python -m chatbot.knowledge.sandbox`, which limits the address space parsing may add (RLIMIT_AS) and
CPU time (RLIMIT_CPU) before it imports a parser; the parent also stops waiting after the timeout.
A file that breaks a limit raises `QuarantineError`: the ingest moves it to `knowledge/_quarantine/`
(with a reason file) and goes on with the others.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..errors import LoaderError, QuarantineError
from .loaders import Block, parse_untrusted

SANDBOXED_SUFFIXES = {".docx", ".pdf", ".html", ".htm"}
_MEMORY_EXIT = 75  # the child's exit code for MemoryError


@dataclass(frozen=True)
class ParseLimits:
    timeout_s: float = 60
    memory_mb: int = 1024
    archive_max_mb: int = 100
    archive_max_entries: int = 2000

    @classmethod
    def from_settings(cls, settings: Settings) -> "ParseLimits":
        return cls(settings.parse_timeout_s, settings.parse_memory_mb, settings.archive_max_mb,
                   settings.archive_max_entries)


def check_archive(path: Path, shown: str, limits: ParseLimits) -> None:
    """A DOCX is a zip: refuse one whose directory promises too much before anything is unpacked."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise LoaderError(shown, f"cannot read DOCX file (not a valid zip: {error})") from error
    if len(entries) > limits.archive_max_entries:
        raise QuarantineError(shown, f"DOCX 内含 {len(entries)} 个条目，超过上限 {limits.archive_max_entries}（疑似压缩炸弹）")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limits.archive_max_mb * 1024 * 1024:
        raise QuarantineError(shown, f"DOCX 解压后约 {unpacked / 1048576:.0f} MB，超过上限 {limits.archive_max_mb} MB"
                                     "（疑似压缩炸弹）")


def parse_blocks(path: Path, shown: str, limits: ParseLimits) -> list[Block]:
    """The document's blocks, parsed in a limited child process."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        check_archive(path, shown, limits)
    command = [sys.executable, "-m", "chatbot.knowledge.sandbox", str(path), str(limits.memory_mb),
               str(int(limits.timeout_s) + 1)]
    # The child imports this very package, wherever the parent found it.
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
    try:
        child = subprocess.run(command, capture_output=True, timeout=limits.timeout_s, check=False, env=env)
    except subprocess.TimeoutExpired as error:
        raise QuarantineError(shown, f"解析超时（超过 {limits.timeout_s:g} 秒）") from error
    if child.returncode == _MEMORY_EXIT or child.returncode < 0:
        raise QuarantineError(shown, f"解析所需内存或时间超过上限（{limits.memory_mb} MB / {limits.timeout_s:g} 秒）")
    try:
        result = json.loads(child.stdout)
    except ValueError as error:
        raise LoaderError(shown, f"cannot read {suffix[1:].upper()} file (the parser stopped: "
                                 f"{child.stderr.decode(errors='replace')[-200:]})") from error
    if "error" in result:
        raise LoaderError(shown, result["error"])
    return [Block(kind, text) for kind, text in result["blocks"]]


def _child(path: str, memory_mb: int, cpu_s: int) -> int:
    """In the child: limit this process, then parse and print the blocks as JSON."""
    import resource

    # The parsers' own code is loaded first and the limit is on what parsing adds to the address space:
    # an absolute limit made the interpreter's own start-up (which varies with the environment: thread
    # pools, allocator arenas) decide whether lxml could still be mapped.
    import bs4  # noqa: F401
    import docx  # noqa: F401
    import lxml.etree  # noqa: F401
    import pypdf  # noqa: F401

    limit = _address_space() + memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))
    try:
        blocks = parse_untrusted(Path(path), path)
        output = {"blocks": [[block.kind, block.text] for block in blocks]}
    except MemoryError:
        return _MEMORY_EXIT
    except LoaderError as error:
        output = {"error": error.reason}
    except Exception as error:  # a parser's own exception: reported with the file, like in-process
        output = {"error": f"cannot read {Path(path).suffix[1:].upper()} file ({type(error).__name__}: {error})"[:500]}
    sys.stdout.write(json.dumps(output, ensure_ascii=False))
    return 0


def _address_space() -> int:
    """This process's virtual memory size in bytes (VmSize)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
