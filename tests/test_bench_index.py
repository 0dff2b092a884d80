"""The index latency benchmark stays runnable (a small corpus, a few queries)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import index_latency


@pytest.mark.slow  # a benchmark run
def test_index_latency_benchmark_runs(tmp_path: Path, capsys) -> None:
    out = tmp_path / "figures.json"
    args = ["--passages", "400", "--queries", "10", "--location", str(tmp_path / "b.ndx"), "--json", str(out)]
    assert index_latency.main(args) == 0
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["passages"] >= 400 and figures["backend"] == "sqlite"
    assert figures["planted_found"] == "5/5" and figures["same_documents_as_peer"] == "10/10"
    assert 0 < figures["latency_ms"]["p50"] <= figures["latency_ms"]["p99"]
    assert figures["bytes_per_passage"] > 1000
    assert "Index query latency" in (Path(index_latency.__file__).parent / "README.md").read_text(encoding="utf-8")
