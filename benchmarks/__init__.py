"""Benchmarks for neardup: a corpus generator and a runner that reports speed and quality."""
