"""Read knowledge files into structured blocks (documents) or validated cards.

Every loader raises `LoaderError(path, reason)`; the indexer collects those per file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from ..errors import LoaderError
from ..schema import Card, DocMeta

DOC_SUFFIXES = {".md", ".markdown", ".txt", ".html", ".htm", ".docx", ".pdf"}
CARD_SUFFIXES = {".yaml", ".yml"}
SIDECAR_SUFFIX = ".meta.yaml"

_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


@dataclass(frozen=True)
class Block:
    kind: str  # "title" | "heading" | "para"
    text: str


@dataclass
class LoadedDoc:
    meta: DocMeta
    blocks: list[Block]
    path: str


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SIDECAR_SUFFIX)


def load_document(path: Path, display_path: str | None = None, *, parse=None) -> LoadedDoc:
    """Load one policy document with its metadata (front matter or sidecar). `parse(path, shown)` reads
    the blocks of an HTML, DOCX or PDF file: in this process by default; the ingest passes the sandbox's
    (a child process held to limits, knowledge/sandbox.py)."""
    shown = display_path or str(path)
    suffix = path.suffix.lower()
    try:
        if suffix in {".md", ".markdown", ".txt"}:
            text = _read_text(path, shown)
            meta_raw, body = _split_front_matter(text, path, shown)
            blocks = _markdown_blocks(body)
        else:
            meta_raw = _read_sidecar(path, shown)
            blocks = (parse or parse_untrusted)(path, shown)
    except LoaderError:
        raise
    except Exception as exc:  # a parser's own exception: report it with the file
        raise LoaderError(shown, f"cannot read {suffix[1:].upper()} file ({type(exc).__name__}: {exc})") from exc
    meta = _validate(DocMeta, meta_raw, shown, source_text=None)
    blocks = [b for b in blocks if b.text.strip()]
    if not any(b.kind == "para" for b in blocks):
        raise LoaderError(shown, "no text found (empty document or a scanned PDF without a text layer)")
    return LoadedDoc(meta=meta, blocks=blocks, path=shown)


def load_card(path: Path, display_path: str | None = None) -> Card:
    """Load and validate one card file; errors name the file and line."""
    shown = display_path or str(path)
    text = _read_text(path, shown)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise LoaderError(shown, f"YAML syntax error{where}: {problem}") from exc
    if not isinstance(raw, dict):
        raise LoaderError(shown, "a card file must hold one mapping (id, title, question, …)")
    card = _validate(Card, raw, shown, source_text=text)
    if path.stem != card.id:
        raise LoaderError(shown, f"file name must be the card id: expected {card.id}.yaml")
    return card


def parse_untrusted(path: Path, shown: str) -> list[Block]:
    """The blocks of an HTML, DOCX or PDF file, in this process (the sandbox's child calls this)."""
    suffix = path.suffix.lower()
    if suffix in {".html", ".htm"}:
        return _html_blocks(_read_text(path, shown))
    if suffix == ".docx":
        return _docx_blocks(path)
    if suffix == ".pdf":
        return _pdf_blocks(path)
    raise LoaderError(shown, f"unsupported file type {suffix}")


# --- helpers -----------------------------------------------------------------------------------

def _read_text(path: Path, shown: str) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise LoaderError(shown, "not valid UTF-8 or GB18030 text")


def _split_front_matter(text: str, path: Path, shown: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        sidecar = Path(str(path) + SIDECAR_SUFFIX)
        if sidecar.exists():
            return _read_sidecar(path, shown), text
        raise LoaderError(shown, "missing front matter (--- id/title/version/effective_date ---)")
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise LoaderError(shown, f"front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise LoaderError(shown, "front matter must be a mapping")
    return meta, text[match.end():]


def _read_sidecar(path: Path, shown: str) -> dict:
    sidecar = Path(str(path) + SIDECAR_SUFFIX)
    if not sidecar.exists():
        raise LoaderError(shown, f"missing metadata sidecar {sidecar.name}")
    try:
        meta = yaml.safe_load(sidecar.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise LoaderError(shown, f"sidecar {sidecar.name} is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise LoaderError(shown, f"sidecar {sidecar.name} must be a mapping")
    return meta


def _validate(model, raw: dict, shown: str, source_text: str | None):
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        lines = _key_lines(source_text) if source_text else {}
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(root)"
            line = lines.get(str(err["loc"][0])) if err["loc"] else None
            where = f" (line {line})" if line else ""
            message = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(f"{loc}{where}: {message}")
        raise LoaderError(shown, "; ".join(problems)) from exc


def _key_lines(text: str) -> dict[str, int]:
    """Line numbers of the top-level keys of a YAML mapping, for error messages."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {key.value: key.start_mark.line + 1 for key, _ in node.value if hasattr(key, "value")}


def _markdown_blocks(body: str) -> list[Block]:
    blocks: list[Block] = []
    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            continue
        heading = _MD_HEADING.match(line)
        if heading:
            kind = "title" if len(heading.group(1)) == 1 else "heading"
            blocks.append(Block(kind, heading.group(2).strip()))
            continue
        if _PDF_CHAPTER.match(line) and len(line) <= 40:
            blocks.append(Block("heading", line))
            continue
        line = re.sub(r"^[-*+]\s+", "", line)
        line = line.replace("**", "").replace("__", "")
        blocks.append(Block("para", line))
    return blocks


def _html_blocks(html: str) -> list[Block]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer"]):
        tag.decompose()
    blocks = []
    for element in soup.find_all(["h1", "h2", "h3", "h4", "p", "li", "td"]):
        text = " ".join(element.get_text(" ", strip=True).split())
        if not text:
            continue
        if element.name == "h1":
            blocks.append(Block("title", text))
        elif element.name in {"h2", "h3", "h4"}:
            blocks.append(Block("heading", text))
        else:
            blocks.append(Block("para", text))
    return blocks


def _docx_blocks(path: Path) -> list[Block]:
    import docx

    document = docx.Document(str(path))
    blocks = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
        if style in {"title", "heading 1"}:
            blocks.append(Block("title", text))
        elif style.startswith("heading"):
            blocks.append(Block("heading", text))
        else:
            blocks.append(Block("para", text))
    return blocks


_PDF_CHAPTER = re.compile(r"^第[一二三四五六七八九十百零〇]+章")
_ARTICLE_START = re.compile(r"^第[一二三四五六七八九十百零〇]+条")


def _pdf_blocks(path: Path) -> list[Block]:
    import pypdf

    reader = pypdf.PdfReader(str(path))
    lines: list[str] = []
    for page in reader.pages:
        lines.extend(line.strip() for line in (page.extract_text() or "").splitlines())
    blocks: list[Block] = []
    for index, line in enumerate(line for line in lines if line):
        if _PDF_CHAPTER.match(line):
            blocks.append(Block("heading", line))
        elif index == 0:
            blocks.append(Block("title", line))
        elif _ARTICLE_START.match(line) or not blocks or blocks[-1].kind != "para":
            blocks.append(Block("para", line))
        else:
            # PDF wraps long paragraphs into several lines: join them back.
            blocks[-1] = Block("para", blocks[-1].text + line)
    return blocks
