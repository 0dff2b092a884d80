"""Benchmarks for neardup; run them from the repository root (``python -m benchmarks.quality.run``)."""
