"""Evaluation cases and their results, one JSON object per line (the `eval.run` format of the design).

A case: `{"id", "question", "topic"?, "history"?: [{"role", "content"}], "expect"?: {"outcome", "facts":
[[alternatives]], "sources": [ids]}}`. Hand-written data, so unknown keys are refused with the line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import CaseError

Outcome = Literal["answered", "clarify", "handoff", "refused"]


class HistoryTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str
    content: str


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Outcome | None = None
    facts: list[list[str]] = Field(default_factory=list)  # every group must be met by one alternative
    sources: list[str] = Field(default_factory=list)  # card or document ids that answer the question


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    question: str
    topic: str = ""
    history: list[HistoryTurn] | None = None
    expect: Expect = Field(default_factory=Expect)
    style: str = ""  # how the question is written (long_context, typo_homophone, …): for reading results
    note: str = ""  # the writer's reason for the expected outcome

    def turns(self) -> list[dict] | None:
        """The history as the assistant takes it."""
        return None if self.history is None else [turn.model_dump() for turn in self.history]


class CaseResult(BaseModel):
    """One line of results.jsonl; the fields and their order are the design's stable format."""

    id: str
    question: str
    topic: str = ""
    outcome: str
    answer: str
    citations: list[dict] = Field(default_factory=list)
    confidence: float
    handoff_reason: str | None = None
    latency_ms: float
    matched_id: str | None = None
    retrieved: list[str] = Field(default_factory=list)  # source ids behind the answer, best first
    # A clarifying question ("您想问的是以下哪个问题？") is answered by one click: the outcome above is the
    # clicked option's, `clarified` says there was a click, and `options` what was offered.
    clarified: bool = False
    options: list[dict] = Field(default_factory=list)
    # The retrieval signals behind the confidence (calibration fits on them); not written out.
    signals: list[float] | None = Field(None, exclude=True)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(), ensure_ascii=False)


def load_cases(path: Path) -> list[Case]:
    """Every case of a JSONL file; a line that is not a valid case raises CaseError with its number."""
    cases = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cases.append(Case.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise CaseError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in exc.errors())
            raise CaseError(f"{path}:{number}: not a valid case ({problems})") from exc
    return cases
