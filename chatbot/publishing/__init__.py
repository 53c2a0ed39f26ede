"""Publishing the index: the re-ingest pipeline (validate, build a generation, probe it for stale content,
gate it on the evaluation, publish it atomically), the knowledge manager's functions and the report."""
