"""Hybrid retrieval over the served generation: exact dense search over the loaded vectors plus BM25
over Chinese tokens, fused by reciprocal rank; units held compactly in memory."""
