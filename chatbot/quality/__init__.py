"""Evaluation as the product uses it: cases and results as typed models, evaluators, and scoring. The
publish gate runs it after every re-ingest; `eval/` is the command line and the case files."""
