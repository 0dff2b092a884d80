"""benchmarks/dedup.py: its quality measure, and one small end-to-end run."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.dedup import bench, evaluate, load_generated
from benchmarks.generate import write_corpus

TRUTH = [
    {"copy": "c1", "source": "s1", "kind": "exact"},
    {"copy": "c2", "source": "s1", "kind": "trad"},
    {"copy": "c3", "source": "s3", "kind": "edit"},
    {"copy": "h4", "source": "s4", "kind": "partial"},
]


def test_evaluate_counts_reduced_pairs_lost_families_and_wrong_removals() -> None:
    good = evaluate({"c1": "s1", "c2": "c1", "c3": "s3"}, TRUTH, documents=10)
    assert good["pairs_reduced"] == 1.0 and good["lost_whole"] == 0 and good["wrong_removals"] == 0
    bad = evaluate({"c3": "s3", "s3": "x9", "h4": "s4"}, TRUTH, documents=10)
    assert bad["lost_whole"] == 1 and bad["wrong_removals"] == 2 and bad["partial_hosts_removed"] == 1
    assert bad["pairs_reduced"] == 0.0  # c1, c2 kept with s1; c3 and s3 both gone


@pytest.mark.slow  # a benchmark run
def test_small_run_meets_the_targets(tmp_path: Path) -> None:
    write_corpus(tmp_path, seed=5, docs=300)
    path, truth = load_generated(tmp_path)
    data = bench(path, truth, jobs=1, baseline=False)
    dedup = data["rows"][1]
    assert dedup["pairs_reduced"] >= 0.95 and dedup["lost_whole"] == 0 and dedup["wrong_share"] <= 0.01
