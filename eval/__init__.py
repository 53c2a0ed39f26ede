"""Evaluation: data (cases/*.jsonl) plus evaluators, kept apart from the tests."""
