"""The dev set through the real assistant: accuracy may not fall below eval/thresholds.json."""

from __future__ import annotations

import json

from chatbot.quality.cases import load_cases
from chatbot.quality.scoring import run_case, score
from tests.conftest import ROOT


def test_dev_set_meets_the_quality_floor(demo_assistant):
    floors = json.loads((ROOT / "eval" / "thresholds.json").read_text(encoding="utf-8"))
    cases = load_cases(ROOT / "eval" / "cases" / "dev.jsonl")
    assert len(cases) >= 200
    metrics = score(cases, [run_case(demo_assistant, case) for case in cases])["metrics"]
    for name, floor in floors.items():
        if not name.startswith("_"):
            assert metrics[name] >= floor, f"{name} = {metrics[name]} fell below {floor}"
