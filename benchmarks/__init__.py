"""Benchmarks for neardup, run from the repository root: ``python -m benchmarks.quality.run``, ``python -m benchmarks.index_latency``."""
