"""The default-scan benchmark's alternated rounds (``--alternate``)."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from benchmarks import default_scan
from benchmarks.generate import write_corpus


@pytest.mark.slow  # the real CLI, four times
def test_alternated_rounds_give_each_rounds_ratios_and_their_medians(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each round times every corpus and its datasketch peer one after the other: the
    seconds per MB and the speedups come round by round, their medians beside."""
    monkeypatch.setattr(default_scan, "OUT", tmp_path / "out")
    (tmp_path / "out").mkdir()
    corpora = []
    for label, mb in (("small", 0.05), ("larger", 0.15)):
        write_corpus(tmp_path / label, seed=1, mb=mb, redundant=True)
        size = json.loads((tmp_path / label / "meta.json").read_text())["text_bytes"] / 1e6
        corpora.append((label, tmp_path / label, size))
    found = default_scan.alternate(corpora, rounds=2, jobs=1)
    assert len(found["rounds"]) == 2 and all(set(r) == {"small", "larger"} for r in found["rounds"])
    for r, spread in zip(found["rounds"], found["s_per_MB_spread_by_round"]):
        per_mb = [r[x]["s_per_MB"] for x in r]
        assert spread == pytest.approx(max(per_mb) / min(per_mb)) and spread >= 1
        assert all(r[x]["speedup_vs_datasketch"] == pytest.approx(r[x]["peer_seconds"] / r[x]["seconds"]) for x in r)
    assert found["medians"]["small"]["seconds"] == pytest.approx(statistics.median(r["small"]["seconds"] for r in found["rounds"]))
    assert (tmp_path / "out" / "alternate_larger.json").exists()
