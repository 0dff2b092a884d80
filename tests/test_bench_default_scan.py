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


def test_the_documented_peer_finds_what_the_batched_peer_finds() -> None:
    """Fed one shingle at a time (``MinHash.update``, as datasketch documents it) or in
    one batch, the peer hashes the same shingles: the same clusters, so its time is the
    only difference the benchmark reports."""
    base = "鄂州市创建全国文明城市工作推进会议在2018年召开，全市上下凝心聚力攻坚克难，奋力夺取创建工作全面胜利。"
    docs = [
        ("a", base),
        ("b", base.replace("鄂州", "xx").replace("2018", "20xx")),
        ("c", "毫不相干的一段文字，讲的是别的事情，和文明城市没有关系，也没有共同的句子。" * 2),
        ("d", "Call me Ishmael. Some years ago, never mind how long precisely, having little money."),
        ("e", "Call me Ishmael. Some years ago, never mind how long precisely, having little or no money."),
    ]
    batched = default_scan.datasketch_documents(docs)
    one_by_one = default_scan.datasketch_documents(docs, batch=False)
    assert sorted(map(sorted, one_by_one)) == sorted(map(sorted, batched)) == [["a", "b"], ["d", "e"]]


@pytest.mark.slow  # the real CLI
def test_the_documented_peer_gets_its_own_ratio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``update_peer`` every neardup row gets the documented peer's wall time over its own."""
    monkeypatch.setattr(default_scan, "OUT", tmp_path / "out")
    write_corpus(tmp_path / "c", seed=1, mb=0.15, redundant=True)  # four planted copies
    rows = default_scan.bench(tmp_path / "c", "c", 0.15, peers=True, detail_clusters=False, jobs=1, update_peer=True)
    ours, batched, documented = rows
    assert batched["pipeline"].startswith("datasketch documents (update_batch")
    assert documented["pipeline"].startswith("datasketch documents (update per shingle")
    assert ours["speedup_vs_datasketch_update"] == pytest.approx(documented["seconds"] / ours["seconds"])
    assert ours["speedup_vs_datasketch"] == pytest.approx(batched["seconds"] / ours["seconds"])
    assert documented["recall"] == batched["recall"] and documented["precision"] == batched["precision"]
