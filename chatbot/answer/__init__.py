"""The answer engine: the query of a turn, intent and risk rules, follow-ups, the retrieval verdict
(calibrated confidence, the figure and the subject asked for), approved answers, and LLM mode
(prompts, grounded generation, verification)."""
