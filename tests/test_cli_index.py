"""`neardup index ...` commands: output and exit codes, on a real SQLite file and Redis."""

from __future__ import annotations

import json
import re
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from neardup import ScanConfig
from neardup.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "src" / "neardup" / "schema" / "scan.schema.json").read_text(encoding="utf-8"))


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def seeds(seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The seed pages at a fixed relative path, so document ids are stable."""
    shutil.copytree(seeds_dir, tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    return "seeds"


@pytest.fixture
def copy_file(tmp_path: Path, seed_texts: dict[str, str]) -> Path:
    """Two thousand characters of the civilized-city speech, after an unrelated line."""
    text = seed_texts["004_21f10bf9ae509db8.txt"]
    path = tmp_path / "incoming.txt"
    path.write_text("转载自某网站，仅供学习参考。\n" + text[12165:14165] + "\n", encoding="utf-8")
    return path


def _members(clusters: list[dict]) -> list[list[tuple]]:
    return sorted(sorted((m["doc_id"], m["start"], m["end"], m["jaccard"], m["text"]) for m in c["members"]) for c in clusters)


def test_add_stats_clusters(seeds: str) -> None:
    result = run("index", "add", "idx.ndx", seeds)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "seeds/004_21f10bf9ae509db8.txt: starts cluster 1, 2",
        "neardup: added 5 documents, 399 passages; the index holds 5 documents",
    ]
    stats = run("index", "stats", "idx.ndx")
    assert stats.exit_code == 0
    assert "5 documents, 399 passages, 2 clusters" in stats.stdout
    assert f"ngram {ScanConfig().shingle.ngram} chars, num_perm 128 (bucketed), seed 1" in stats.stdout
    data = json.loads(run("index", "stats", "idx.ndx", "--format", "json").stdout)
    assert data["documents"] == 5 and data["params"]["threshold"] == ScanConfig().verify.threshold and data["bytes_per_passage"] > 0

    listed = run("index", "clusters", "idx.ndx", "--format", "json")
    assert listed.exit_code == 0
    report = json.loads(listed.stdout)
    jsonschema.validate(report, SCHEMA)
    assert [c["id"] for c in report["clusters"]] == [1, 2]
    scanned = json.loads(run("scan", seeds, "--format", "json").stdout)
    assert _members(report["clusters"]) == _members(scanned["clusters"])
    assert report["summary"]["duplicated_chars"] == scanned["summary"]["duplicated_chars"] == 35145
    text = run("index", "clusters", "idx.ndx", "--limit", "1")
    assert "2 clusters, 35,145 duplicated chars" in text.stdout and "Cluster 1:" in text.stdout
    assert "Cluster 2:" not in text.stdout
    run("index", "clusters", "idx.ndx", "--format", "json", "-o", "clusters.json")
    assert json.loads(Path("clusters.json").read_text(encoding="utf-8")) == report


def test_query_exit_codes(seeds: str, copy_file: Path, seed_texts: dict[str, str]) -> None:
    assert run("index", "add", "idx.ndx", f"{seeds}/004_21f10bf9ae509db8.txt").exit_code == 0
    found = run("index", "query", "idx.ndx", str(copy_file))
    assert found.exit_code == 1
    lines = found.stdout.splitlines()
    assert lines[0] == f"{copy_file}: 1 match"
    assert re.match(r"  seeds/004_21f10bf9ae509db8.txt  similarity (0\.9\d|1\.00)", lines[1])
    assert "lines 89-99" in lines[2] and "lines 177-185" in lines[3]  # both copies of the speech

    clean = run("index", "query", "idx.ndx", f"{seeds}/001_dd9de37c9c444b8c.txt")
    assert (clean.exit_code, clean.stdout) == (0, f"{seeds}/001_dd9de37c9c444b8c.txt: no match\n")

    as_json = run("index", "query", "idx.ndx", str(copy_file), f"{seeds}/001_dd9de37c9c444b8c.txt", "--format", "json")
    assert as_json.exit_code == 1
    results = json.loads(as_json.stdout)["results"]
    assert [len(r["matches"]) for r in results] == [1, 0]
    match = results[0]["matches"][0]
    assert 0.9 <= match["ratio"] <= 1 and match["jaccard"] is None and "similarity" not in match
    span = match["spans"][0]
    assert span["ratio"] == match["ratio"] and span["jaccard"] is None and span["edits"] == []  # an exact copy
    # Aligned exactly: the copied text starts at 同志們 (offset 12165), line 89.
    assert (span["b_start"], span["b_end"], span["b_line_start"]) == (12165, 14165, 89)
    assert (span["a_start"], span["a_end"]) == (15, 2015)

    missing = run("index", "query", "idx.ndx", "nowhere.txt")
    assert missing.exit_code == 2 and "nowhere.txt: no such file" in missing.stderr
    binary = Path("blob.bin")
    binary.write_bytes(b"\x00\x01\x02" * 100)
    assert run("index", "query", "idx.ndx", str(binary)).exit_code == 2
    coverage = lambda out: float(out.splitlines()[1].rsplit("coverage ", 1)[1])  # noqa: E731
    strict = run("index", "query", "idx.ndx", str(copy_file), "--threshold", "0.99")
    assert strict.exit_code == 1 and coverage(strict.stdout) < coverage(found.stdout)  # edited passages drop out
    low = run("index", "query", "idx.ndx", str(copy_file), "--threshold", "0.2")
    assert low.exit_code == 2 and f"below the index's threshold {ScanConfig().verify.threshold}" in low.stderr


def test_missing_index_and_mismatched_parameters(seeds: str, copy_file: Path) -> None:
    for command in (["query", "none.ndx", str(copy_file)], ["stats", "none.ndx"], ["clusters", "none.ndx"], ["remove", "none.ndx", "x"]):
        result = run("index", *command)
        assert result.exit_code == 2 and "no index there" in result.stderr
    assert not Path("none.ndx").exists()
    assert run("index", "add", "idx.ndx", f"{seeds}/000_1005f49524910cf3.txt", "--ngram", "6").exit_code == 0
    result = run("index", "add", "idx.ndx", f"{seeds}/001_dd9de37c9c444b8c.txt", "--ngram", "5")
    assert result.exit_code == 2
    assert result.stderr.startswith("neardup: idx.ndx: the index was built with ngram=6, not ngram=5")
    assert run("index", "add", "idx.ndx", f"{seeds}/001_dd9de37c9c444b8c.txt").exit_code == 0  # its own ngram
    Path("notes.txt").write_text("不是索引", encoding="utf-8")
    result = run("index", "stats", "notes.txt")
    assert result.exit_code == 2 and "not a neardup index" in result.stderr


def test_remove_and_skip_existing(seeds: str, copy_file: Path) -> None:
    run("index", "add", "idx.ndx", seeds)
    again = run("index", "add", "idx.ndx", seeds)
    assert again.exit_code == 2 and "is already in idx.ndx" in again.stderr
    skip = run("index", "add", "idx.ndx", seeds, "--skip-existing")
    assert skip.exit_code == 0 and "added 0 documents, 0 passages (5 already held, skipped)" in skip.stdout

    doc = f"{seeds}/004_21f10bf9ae509db8.txt"
    unknown = run("index", "remove", "idx.ndx", doc, "no/such.txt")
    assert unknown.exit_code == 2 and "'no/such.txt': no such document" in unknown.stderr
    assert run("index", "query", "idx.ndx", str(copy_file)).exit_code == 1  # nothing was removed
    removed = run("index", "remove", "idx.ndx", doc, f"{seeds}/000_1005f49524910cf3.txt")
    assert removed.exit_code == 0 and "removed 2 documents; the index holds 3" in removed.stdout
    assert run("index", "query", "idx.ndx", str(copy_file)).exit_code == 0
    assert json.loads(run("index", "clusters", "idx.ndx", "--format", "json").stdout)["clusters"] == []


def test_no_text(seeds: str) -> None:
    assert run("index", "add", "idx.ndx", seeds, "--no-text").exit_code == 0
    assert "texts not kept" in run("index", "stats", "idx.ndx").stdout
    result = run("index", "add", "idx.ndx", f"{seeds}/000_1005f49524910cf3.txt", "--skip-existing")
    assert result.exit_code == 0  # --no-text only matters when the index is created


def test_redis_index_from_the_command_line(seeds: str, copy_file: Path, redis_url: str) -> None:
    assert run("index", "add", redis_url, seeds).exit_code == 0
    assert "(redis): 5 documents, 399 passages, 2 clusters" in run("index", "stats", redis_url).stdout
    assert run("index", "query", redis_url, str(copy_file)).exit_code == 1
    assert run("index", "remove", redis_url, f"{seeds}/004_21f10bf9ae509db8.txt").exit_code == 0
    assert run("index", "query", redis_url, str(copy_file)).exit_code == 0


def test_example_ingest_script_runs(tmp_path: Path, seeds_dir: Path, seed_texts: dict[str, str]) -> None:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name in sorted(seed_texts)[:4]:
        shutil.copy(seeds_dir / name, folder / name)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    command = [sys.executable, str(ROOT / "examples" / "ingest.py"), str(tmp_path / "c.ndx"), str(folder)]
    first = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    assert first.stdout.count(": new") == 4 and "4 new files; 4 documents" in first.stdout
    text = seed_texts["002_e64a693436841c66.txt"]
    (folder / "repost.txt").write_text("转载说明\n" + text[2000:5000], encoding="utf-8")
    second = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    lines = second.stdout.splitlines()
    assert lines[0] == f"{folder / 'repost.txt'}: reuses 1 document(s)"
    assert lines[1].startswith(f"  {folder / '002_e64a693436841c66.txt'}: 97% of this file, similarity 1.00")
    assert "starts cluster 1" in second.stdout and "1 new files; 5 documents" in second.stdout
    third = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    assert "0 new files; 5 documents" in third.stdout


def test_add_into_a_folder_it_cannot_write_says_so(tmp_path: Path, seeds_dir: Path) -> None:
    """Issue 13: this said `not a neardup index (unable to open database file)`."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        target = folder / "corpus.ndx"
        if os.access(folder, os.W_OK):  # root writes anywhere: use a folder no one can create files in
            target = Path("/proc/neardup-test-corpus.ndx")
        result = CliRunner().invoke(cli, ["index", "add", str(target), str(seeds_dir)])
        assert result.exit_code == 2
        assert f"{target}: cannot create the index file in {target.parent}" in result.output
        assert "not a neardup index" not in result.output
    finally:
        folder.chmod(0o755)
