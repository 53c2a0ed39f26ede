"""Grounded generation in LLM mode: numbered sources in a token budget, streamed, verified.

How streaming and verification fit together: the model's tokens are buffered into sentences, and a
sentence is shown only after it passed the sentence checks (no forbidden phrase, no unmasked card/ID/
phone number, every number present in the sources). So a customer never sees an unverified sentence.
The checks that need the whole answer (at least one citation; every number present in a *cited*
source) run at the end; if one fails, the already shown sentences are replaced by the approved answer
(a "replace" event). Showing sentence by sentence costs a few hundred milliseconds against raw token
streaming and buys the guarantee above, which a bank needs more than the last bit of speed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Iterator

from ..knowledge.splitter import count_tokens
from ..payloads import Answer, Candidate, Citation, Event, RetrievedChunk, article_title, card_source
from ..pii import mask_pii
from ..schema import Card
from .llm import LLMStatus, failure_kind
from .prompts import (
    ANSWER_SYSTEM,
    ANSWER_USER,
    CONDENSE_SYSTEM,
    CONDENSE_USER,
    JUDGE_SYSTEM,
    JUDGE_USER,
    SUMMARY_SYSTEM,
    SUMMARY_USER,
    format_history,
)
from .verify import check_answer, check_sentence, cited_indexes

logger = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"[。！？；!?\n]")


@dataclass(frozen=True)
class Source:
    """A numbered source of the prompt: the whole text the model may use."""

    id: str
    title: str
    source: str
    text: str

    @classmethod
    def of_card(cls, card: Card) -> Source:
        return cls(card.id, card.title, card_source(card), card.answer)

    @classmethod
    def of_chunk(cls, chunk: RetrievedChunk) -> Source:
        return cls(chunk.source_id, article_title(chunk.title, chunk.article), chunk.source, chunk.text)

    def citation(self) -> Citation:
        return Citation.quoting(self.id, self.title, self.source, self.text)


class VerificationFailed(Exception):
    def __init__(self, rule: str):
        super().__init__(rule)
        self.rule = rule


def sources_for(candidates: list[Candidate], budget_tokens: int, limit: int = 6) -> list[Source]:
    """The top candidates as numbered sources, as many as fit in the token budget."""
    sources: list[Source] = []
    used = 0
    seen = set()
    for candidate in candidates:
        chunk = candidate.best
        if chunk.unit == "card":
            if chunk.kind != "answer":
                continue
            source = Source.of_card(candidate.card)
        else:
            source = Source.of_chunk(chunk)
        key = (source.id, source.title)
        if key in seen:
            continue
        cost = count_tokens(source.title + source.text) + 8
        if sources and used + cost > budget_tokens:
            break
        seen.add(key)
        sources.append(source)
        used += cost
        if len(sources) >= limit:
            break
    return sources


def render_sources(sources: list[Source]) -> str:
    return "\n".join(f"[{n}] 《{s.title}》{s.text}" for n, s in enumerate(sources, start=1))


class GroundedGenerator:
    def __init__(self, model, status: LLMStatus, *, bank_name: str, hotline: str, budget_tokens: int,
                 model_name: str = ""):
        self.model = model
        self.model_name = model_name or getattr(model, "model_name", None) or type(model).__name__
        self.status = status
        self.bank_name = bank_name
        self.hotline = hotline
        self.budget_tokens = budget_tokens

    def condense(self, question: str, history: list[dict]) -> str | None:
        """The follow-up rewritten as a standalone question, or None when the LLM fails."""
        from langchain_core.messages import HumanMessage, SystemMessage

        try:
            reply = self.model.invoke([
                SystemMessage(CONDENSE_SYSTEM),
                HumanMessage(CONDENSE_USER.format(history=format_history(history), question=question)),
            ])
        except Exception as exc:  # any client error: fall back to the rule
            self.status.failed(f"{type(exc).__name__}: {exc}")
            logger.warning("llm condense failed error=%s", type(exc).__name__)
            return None
        text = (reply.content or "").strip() if isinstance(reply.content, str) else ""
        self.status.ok()
        return text[:300] or None

    def judge(self, question: str, candidates: list[Candidate]) -> bool | None:
        """Whether the best source answers the question, in the LLM's judgement: True, False, or None when
        the LLM fails or replies with neither 是 nor 否 (then only the other checks decide)."""
        from langchain_core.messages import HumanMessage, SystemMessage

        sources = sources_for(candidates, self.budget_tokens, limit=1)
        if not sources:
            return None
        try:
            reply = self.model.invoke([
                SystemMessage(JUDGE_SYSTEM),
                HumanMessage(JUDGE_USER.format(source=render_sources(sources), question=question)),
            ])
        except Exception as exc:  # any client error: the answer stands on the other checks
            self.status.failed(f"{type(exc).__name__}: {exc}")
            logger.warning("llm judge failed error=%s", type(exc).__name__)
            return None
        self.status.ok()
        verdict = (reply.content or "").strip().strip("“”\"'。.") if isinstance(reply.content, str) else ""
        if verdict[:1] in {"是", "否"}:
            return verdict[:1] == "是"
        logger.warning("llm judge replied neither 是 nor 否 reply=%s", verdict[:40])
        return None

    def summarize(self, history: list[dict], reason: str) -> str | None:
        """A short summary of the conversation for the expert, or None when the LLM fails."""
        from langchain_core.messages import HumanMessage, SystemMessage

        try:
            reply = self.model.invoke([
                SystemMessage(SUMMARY_SYSTEM),
                HumanMessage(SUMMARY_USER.format(reason=reason, history=format_history(history, limit=12))),
            ])
        except Exception as exc:  # any client error: the expert gets the plain summary
            self.status.failed(f"{type(exc).__name__}: {exc}")
            logger.warning("llm summary failed error=%s", type(exc).__name__)
            return None
        self.status.ok()
        text = reply.content.strip() if isinstance(reply.content, str) else ""
        return mask_pii(text)[:600] or None

    def stream(self, question: str, candidates: list[Candidate], approved: Answer) -> Iterator[Event]:
        """Verified sentences as they come; on any failure the approved answer replaces them."""
        sources = sources_for(candidates, self.budget_tokens)
        if not sources:
            yield from _approved(approved, "no_sources", shown=False)
            return
        texts = [s.text for s in sources]
        shown = False
        answer_text = ""
        try:
            for sentence in self._sentences(question, sources):
                rule = check_sentence(sentence, texts)
                if rule:
                    raise VerificationFailed(rule)
                answer_text += sentence
                shown = True
                yield Event("delta", sentence)
            rule = check_answer(answer_text, texts)
            if rule:
                raise VerificationFailed(rule)
        except VerificationFailed as failure:
            logger.warning("llm answer blocked rule=%s answer=%s", failure.rule, mask_pii(answer_text)[:200])
            yield from _approved(approved, f"blocked:{failure.rule}", shown=shown)
            return
        except Exception as exc:  # connection refused, timeout, 5xx, malformed reply
            self.status.failed(f"{type(exc).__name__}: {exc}")
            logger.warning("llm failed error=%s detail=%s", type(exc).__name__, str(exc)[:200])
            yield from _approved(approved, failure_kind(exc), shown=shown)
            return
        self.status.ok()
        citations = [sources[n - 1].citation() for n in cited_indexes(answer_text)]
        final = replace(approved, text=answer_text.strip(), citations=citations, generated_by=self.model_name,
                        llm_fallback=None)
        yield Event("final", answer=final)

    def _sentences(self, question: str, sources: list[Source]) -> Iterator[str]:
        from langchain_core.messages import HumanMessage, SystemMessage

        messages = [
            SystemMessage(ANSWER_SYSTEM.format(bank_name=self.bank_name, hotline=self.hotline)),
            HumanMessage(ANSWER_USER.format(sources=render_sources(sources), question=question)),
        ]
        buffer = ""
        received = False
        for chunk in self.model.stream(messages):
            piece = chunk.content if isinstance(chunk.content, str) else ""
            if not piece:
                continue
            received = True
            buffer += piece
            while True:
                match = _SENTENCE_END.search(buffer)
                if not match:
                    break
                sentence, buffer = buffer[:match.end()], buffer[match.end():]
                # A citation marker right after the sentence end belongs to that sentence.
                marker = re.match(r"\s*(\[\d{1,2}\])+", buffer)
                if marker:
                    sentence, buffer = sentence + marker.group(0), buffer[marker.end():]
                if sentence.strip():
                    yield sentence
        if buffer.strip():
            yield buffer
        if not received:
            raise RuntimeError("the LLM returned an empty reply")


def _approved(approved: Answer, fallback: str, *, shown: bool) -> Iterator[Event]:
    """The approved answer instead of the LLM's, with why (`fallback`, a FALLBACK_LABELS code)."""
    if shown:
        yield Event("replace", approved.text)
    else:
        yield Event("delta", approved.text)
    yield Event("final", answer=replace(approved, llm_fallback=fallback))
