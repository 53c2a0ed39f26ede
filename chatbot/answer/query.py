"""The query of a turn, built once: the message normalised (with the question it follows, in the same
pass) without the greeting or question about the assistant it opens with, the empty and too-long checks,
the follow-up resolution and the text retrieval searches with.

The English glossary runs on normalised text, so a full-width `ＡＴＭ` meets the glossary like `ATM`.
In LLM mode a follow-up may be rewritten by the model (`rewrite`); that new text is normalised too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from ..payloads import Query
from ..text import expand_english, glossary_matches, normalize, normalize_all, standard_question_words
from .condense import is_follow_up, referred_question
from .smalltalk import without_aside
from .wording import asking_part

Rewrite = Callable[[str, list[dict]], str | None]
Correct = Callable[[str], tuple[str, tuple[tuple[str, str], ...]]]


def build_query(message: str, history: list[dict] | None = None, *, max_chars: int,
                as_of: dt.date | None = None, rewrite: Rewrite | None = None,
                correct: Correct | None = None, as_follow_up: bool | None = None) -> Query:
    """`correct` fixes typos against the knowledge base's words (`wording.TypoCorrector.correct`);
    `as_follow_up` True reads the message as a follow-up of the question it refers to whatever its form (None: as
    its form says)."""
    message = message or ""
    turns = tuple(history or ())
    previous_question = referred_question(list(turns), message)
    texts = [standard_question_words(text) for text in
             normalize_all([message, previous_question] if previous_question else [message])]
    corrections: tuple[tuple[str, str], ...] = ()
    if correct is not None:
        texts[0], corrections = correct(texts[0])
        if len(texts) > 1:
            texts[1] = correct(texts[1])[0]
    text = without_aside(texts[0])
    after_clarify = bool(turns) and turns[-1].get("role") == "assistant" and turns[-1].get("outcome") == "clarify"
    base = {"message": message, "history": turns, "as_of": as_of, "text": text, "corrections": corrections,
            "after_clarify": after_clarify}
    if not text:
        return Query(**base, refusal="empty")
    if len(message.strip()) > max_chars:
        return Query(**base, refusal="too_long")
    reads_as_follow_up = is_follow_up(text) if as_follow_up is None else as_follow_up
    follow_up = previous_question is not None and reads_as_follow_up
    previous = texts[1] if follow_up else None
    question, standalone = (f"{previous_question} {message}", f"{previous} {text}") if follow_up else (message, text)
    if rewrite is not None and turns and reads_as_follow_up:
        rewritten = rewrite(message, list(turns))
        if rewritten:
            question, standalone = rewritten, normalize(rewritten)
    return Query(
        **base,
        follow_up=follow_up,
        previous=previous,
        question=question,
        standalone=standalone,
        terms=tuple(entry.terms for entry in glossary_matches(standalone)),
        search=expand_english(standalone),
        message_search=expand_english(text),
        previous_search=expand_english(previous) if previous is not None else None,
        asking=asking_part(text),
    )


def read_alone(query: Query) -> Query:
    """A follow-up's query read as the message alone, with no conversation before it (nothing normalised again)."""
    return replace(query, history=(), follow_up=False, previous=None, question=query.message, standalone=query.text,
                   terms=tuple(entry.terms for entry in glossary_matches(query.text)), search=query.message_search,
                   previous_search=None, after_clarify=False)
