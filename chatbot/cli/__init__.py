"""Command lines: `python -m chatbot` (ask, hash-password), `python ingest.py` (the knowledge manager's
commands) and `python ingest.py --gaps` (the knowledge-gap report)."""
