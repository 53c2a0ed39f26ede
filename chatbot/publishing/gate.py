"""The evaluation gate: after a re-ingest the evaluation cases run against the new generation, and a
drop beyond the configured margin in outcome or fact accuracy blocks the switch (a manager may
override; the override is logged by `pipeline.py`)."""

from __future__ import annotations

from pathlib import Path

from ..quality.cases import Case, load_cases
from ..quality.scoring import run_case, score

# The figures shown after a re-ingest, with the names a knowledge manager reads.
FIGURE_LABELS = {"outcome": "结论准确率", "facts": "事实准确率", "hit@1": "首位来源命中率", "hit@3": "前三来源命中率"}
GATED = {name: FIGURE_LABELS[name] for name in ("outcome", "facts")}
SHOWN = tuple(FIGURE_LABELS)


def evaluate(assistant, cases: list[Case]) -> dict:
    metrics = score(cases, [run_case(assistant, case) for case in cases])["metrics"]
    return {name: metrics.get(name) for name in SHOWN} | {"cases": len(cases)}


def evaluate_generation(settings, embeddings, client, generation, cases_path: Path, *, assistant=None) -> dict:
    from ..answer.assistant import Assistant
    from ..retrieval.retriever import HybridRetriever

    if assistant is None:
        retriever = HybridRetriever(settings, embeddings, client=client, generation=generation)
        assistant = Assistant(settings, retriever=retriever)
    return evaluate(assistant, load_cases(cases_path))


def compare(previous: dict | None, current: dict, margin: float) -> list[str]:
    """Reasons to block (Chinese, for the manager); empty when nothing dropped beyond the margin."""
    if not previous:
        return []
    reasons = []
    for name, label in GATED.items():
        before, after = previous.get(name), current.get(name)
        if before is not None and after is not None and before - after > margin:
            reasons.append(f"{label}从 {before:.3f} 降至 {after:.3f}（允许下降 {margin:.3f}）")
    return reasons
