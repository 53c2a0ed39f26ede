"""Knowledge files uploaded by a manager: allowed types only, a size limit, safe names, no path traversal.

An accepted file is written atomically into the knowledge directory (cards under `cards/`, documents and
their `.meta.yaml` sidecars under `docs/`); validating and indexing it is the re-ingest's job.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from .loaders import CARD_SUFFIXES, DOC_SUFFIXES, SIDECAR_SUFFIX

ALLOWED_SUFFIXES = DOC_SUFFIXES | CARD_SUFFIXES
# Binary formats must start with their signature: a renamed executable is not a PDF.
SIGNATURES = {".pdf": b"%PDF-", ".docx": b"PK\x03\x04"}
_UNSAFE = re.compile(r"[^\w.\-]")  # \w keeps Chinese letters


@dataclass
class UploadResult:
    name: str  # as uploaded
    status: str  # saved | replaced | rejected
    path: str | None = None  # where it was saved, relative to the knowledge directory
    error: str | None = None  # why it was rejected (Chinese)


def safe_name(name: str) -> str | None:
    """The file's own name, normalised, with anything outside letters, digits, `.`, `-`, `_` replaced;
    None when nothing safe remains (hidden files, `..`, empty)."""
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1].strip()
    base = _UNSAFE.sub("_", re.sub(r"\s+", "_", base))
    if not base or base.startswith((".", "_")) or ".." in base or len(base) > 150:
        return None
    return base


def save_upload(settings: Settings, name: str, data: bytes) -> UploadResult:
    base = safe_name(name)
    if base is None:
        return UploadResult(name, "rejected", error="文件名不合法（不能为空、以点或下划线开头，或包含“..”）。")
    lowered = base.lower()
    suffix = Path(lowered).suffix
    if suffix not in ALLOWED_SUFFIXES:
        allowed = "、".join(sorted(ALLOWED_SUFFIXES))
        return UploadResult(name, "rejected", error=f"不支持的文件类型 {suffix or '（无扩展名）'}，仅支持 {allowed}。")
    limit = int(settings.upload_max_mb * 1024 * 1024)
    if len(data) > limit:
        return UploadResult(name, "rejected",
                            error=f"文件过大（{len(data) / 1048576:.1f} MB），上限为 {settings.upload_max_mb:g} MB。")
    if not data:
        return UploadResult(name, "rejected", error="文件为空。")
    signature = SIGNATURES.get(suffix)
    if signature and not data.startswith(signature):
        return UploadResult(name, "rejected", error=f"文件内容与扩展名 {suffix} 不符。")
    if not signature:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return UploadResult(name, "rejected", error="文本文件须为 UTF-8 编码。")
    folder = "cards" if suffix in CARD_SUFFIXES and not lowered.endswith(SIDECAR_SUFFIX) else "docs"
    root = Path(settings.knowledge_dir).resolve()
    target = (root / folder / base).resolve()
    if root not in target.parents:  # cannot happen after safe_name; kept as the last line of defence
        return UploadResult(name, "rejected", error="文件路径不合法。")
    target.parent.mkdir(parents=True, exist_ok=True)
    existed = target.exists()
    temporary = target.with_name(f".{base}.upload")
    temporary.write_bytes(data)
    os.replace(temporary, target)
    return UploadResult(name, "replaced" if existed else "saved", path=f"{folder}/{base}")
