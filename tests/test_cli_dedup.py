"""`neardup dedup` end to end: JSONL, .jsonl.gz, Parquet and folders in and out; errors;
and Parquet input for scan, gate and index add."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from neardup import Document, dedup
from neardup.cli import cli

from .conftest import need

try:
    import pyarrow as pa
    import pyarrow.parquet as pq
except ImportError:  # the test extra installs pyarrow; each Parquet test says so
    pa = pq = None


@pytest.fixture
def arrow() -> None:
    need(pa is not None, "pyarrow is not installed (pip install -e '.[test]')")

KEPT = {"a/edit", "b/orig", "host/partial", "other/x", "other/y"}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _records(families: dict[str, str]) -> list[dict]:
    return [
        {"id": k, "text": v, "date": f"2020-01-{n + 1:02d}", "tags": ["x", str(n)], "score": n / 10}
        for n, (k, v) in enumerate(families.items())
    ]


def _write_jsonl(path: Path, records: list[dict]) -> None:
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)


def test_jsonl_survivors_are_the_input_lines_untouched(families: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, _records(families))
    out, removed = tmp_path / "out.jsonl", tmp_path / "removed.jsonl"
    code, stdout, stderr = run("dedup", str(src), "-o", str(out), "--removed", str(removed))
    assert code == 0, stderr
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    assert out.read_text(encoding="utf-8") == "".join(line for line in lines if json.loads(line)["id"] in KEPT)
    gone = [json.loads(line) for line in removed.read_text(encoding="utf-8").splitlines()]
    assert {r["id"]: r["duplicate_of"] for r in gone} == {"a/orig": "a/edit", "a/trad": "a/edit", "b/reorder": "b/orig"}
    assert all(set(r) == {"id", "duplicate_of", "share", "similarity"} for r in gone)
    chars = sum(len(families[r["id"]]) for r in gone)
    assert stderr == f"neardup dedup: 8 documents in, 5 kept, 3 removed, {chars:,} characters removed\n"
    assert stdout == ""


def test_order_by_date_and_gzip(families: dict[str, str], tmp_path: Path) -> None:
    records = _records(families)
    for r in records:
        if r["id"] == "a/trad":
            r["date"] = "2019-06-01"  # the oldest copy of a
    src = tmp_path / "in.jsonl.gz"
    _write_jsonl(src, records)
    out = tmp_path / "out.jsonl.gz"
    code, _, stderr = run("dedup", str(src), "-o", str(out), "--order-by", "date")
    assert code == 0, stderr
    ids = [json.loads(line)["id"] for line in gzip.decompress(out.read_bytes()).decode("utf-8").splitlines()]
    assert "a/trad" in ids and "a/edit" not in ids and "a/orig" not in ids


def test_parquet_round_trips_extra_columns_and_schema(arrow: None, families: dict[str, str], tmp_path: Path) -> None:
    table = pa.Table.from_pylist(_records(families))
    table = table.replace_schema_metadata({b"source": b"crawl-2026"})
    src = tmp_path / "in.parquet"
    pq.write_table(table, src, row_group_size=3)  # several row groups: read by batch
    out = tmp_path / "out.parquet"
    code, _, stderr = run("dedup", str(src), "-o", str(out))
    assert code == 0, stderr
    got = pq.read_table(out)
    assert got.schema.equals(pq.read_schema(src), check_metadata=True)
    assert got.schema.metadata[b"source"] == b"crawl-2026"
    want = [r for r in table.to_pylist() if r["id"] in KEPT]
    assert got.to_pylist() == want
    jsonl = tmp_path / "in.jsonl"
    _write_jsonl(jsonl, _records(families))
    assert run("dedup", str(src), "--dry-run")[2] == run("dedup", str(jsonl), "--dry-run")[2]


def test_parquet_passages_rewrite_only_the_text_column(arrow: None, families: dict[str, str], tmp_path: Path) -> None:
    rows = [{"id": "a", "text": families["a/orig"], "n": 1}, {"id": "b", "text": families["other/x"] + families["a/orig"], "n": 2}]
    src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), src)
    out, removed = tmp_path / "out.parquet", tmp_path / "cuts.jsonl"
    code, _, stderr = run("dedup", str(src), "-o", str(out), "--passages", "--removed", str(removed))
    assert code == 0, stderr
    assert pq.read_table(out).to_pylist() == [rows[0], {"id": "b", "text": families["other/x"], "n": 2}]
    cuts = [json.loads(line) for line in removed.read_text(encoding="utf-8").splitlines()]
    assert cuts and all(c["id"] == "b" and c["kind"] == "repeat" and c["duplicate_of"] == "a" for c in cuts)
    assert "".join(c["text"] for c in cuts).replace("\n", "") == families["a/orig"].replace("\n", "")
    assert "passages cut" in stderr


def test_broken_parquet_is_one_line_exit_2_and_no_output(arrow: None, families: dict[str, str], tmp_path: Path) -> None:
    good = tmp_path / "a.parquet"
    pq.write_table(pa.Table.from_pylist(_records(families)), good)
    broken = tmp_path / "b.parquet"
    broken.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    out = tmp_path / "out" / "deduped.parquet"
    code, stdout, stderr = run("dedup", str(good), str(broken), "-o", str(out))
    assert code == 2
    assert stderr.startswith(f"neardup: {broken.as_posix()}: not a readable Parquet file (") and stderr.count("\n") == 1
    assert not out.exists() and not any(out.parent.glob("*")) if out.parent.exists() else True


def test_write_is_atomic_when_it_fails_half_way(arrow: None, families: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from neardup import write

    src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(_records(families)), src, row_group_size=2)
    out = tmp_path / "out.parquet"
    out.write_bytes(b"previous output")
    real = write.iter_parquet

    def failing(*args, **kwargs):
        for item in real(*args, **kwargs):
            yield item  # one batch written, then the file turns out broken
            raise write.InputError(f"{src}: not a readable Parquet file (simulated)")

    monkeypatch.setattr(write, "iter_parquet", failing)
    code, _, stderr = run("dedup", str(src), "-o", str(out))
    assert code == 2 and "simulated" in stderr
    assert out.read_bytes() == b"previous output"  # untouched: the new file was never renamed
    assert [p.name for p in tmp_path.iterdir()] and not list(tmp_path.glob(".out.parquet.*"))


def test_folder_is_mirrored(families: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "corpus"
    for k, v in families.items():
        path = src / f"{k}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(v.encode("gb18030") if k == "a/edit" else v.encode("utf-8"))
    out = tmp_path / "clean"
    code, _, stderr = run("dedup", str(src), "-o", str(out))
    assert code == 0, stderr
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == sorted(f"{k}.txt" for k in KEPT)
    assert (out / "a/edit.txt").read_bytes() == (src / "a/edit.txt").read_bytes()  # bytes as they were
    code, _, stderr = run("dedup", str(src), "-o", str(out))
    assert code == 2 and "already exists" in stderr
    code, _, stderr = run("dedup", str(src), "-o", str(tmp_path / "x"), "--order-by", "date")
    assert code == 2 and "text files have no fields" in stderr


def test_dry_run_counts_only(families: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, _records(families))
    code, _, stderr = run("dedup", str(src), "--dry-run", "--keep", "longest", "--min-share", "0.9")
    assert code == 0 and stderr.startswith("neardup dedup (dry run): 8 documents in, 5 kept, 3 removed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
    code, _, stderr = run("dedup", str(src))
    assert code == 2 and "--dry-run" in stderr


def test_mixed_formats_are_refused(families: dict[str, str], tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "a.jsonl", _records(families))
    (tmp_path / "b.txt").write_text("文本", encoding="utf-8")
    code, _, stderr = run("dedup", str(tmp_path / "a.jsonl"), str(tmp_path / "b.txt"), "-o", str(tmp_path / "o.jsonl"))
    assert code == 2 and "mix formats" in stderr


def test_scan_gate_and_index_add_read_parquet(arrow: None, families: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(_records(families)), src)
    jsonl = tmp_path / "in.jsonl"
    _write_jsonl(jsonl, _records(families))
    code, from_parquet, _ = run("scan", str(src), "--format", "json", "--detail", "clusters")
    assert code == 0
    assert json.loads(from_parquet)["clusters"] == json.loads(run("scan", str(jsonl), "--format", "json", "--detail", "clusters")[1])["clusters"]
    sub = tmp_path / "sub.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": "new", "text": families["other/x"]}]), sub)  # held by one reference
    code, out, _ = run("gate", str(sub), "--against", str(src))
    assert code == 1 and "new" in out
    code, out, _ = run("index", "add", str(tmp_path / "i.ndx"), str(src))
    assert code == 0 and "the index holds 8 documents" in out


def test_parquet_without_an_id_column_numbers_rows(arrow: None, families: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist([{"body": v} for v in families.values()]), src)
    out = tmp_path / "out.parquet"
    code, _, stderr = run("dedup", str(src), "-o", str(out), "--text-field", "body")
    assert code == 0, stderr
    assert pq.read_table(out).num_rows == 5
    code, _, stderr = run("dedup", str(src), "-o", str(out))
    assert code == 2 and "no column 'text'" in stderr


def test_library_and_cli_agree(families: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, _records(families))
    out = tmp_path / "out.jsonl"
    run("dedup", str(src), "-o", str(out))
    ids = [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert ids == list(dedup([Document(k, v) for k, v in families.items()]).kept)


def test_index_add_skip_near_copies(families: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    _write_jsonl(src, _records(families))
    code, out, _ = run("index", "add", str(tmp_path / "i.ndx"), str(src), "--skip-near-copies")
    assert code == 0
    # The index keeps the first it sees (input order), unlike dedup's survivor order.
    assert "a/edit: near-copy of a/orig, skipped" in out and "b/reorder: near-copy of b/orig, skipped" in out
    assert out.rstrip().endswith("(3 near-copies skipped); the index holds 5 documents")


def test_folder_passages_are_written_in_each_file_s_own_encoding(families: dict[str, str], tmp_path: Path) -> None:
    src = tmp_path / "corpus"
    src.mkdir()
    (src / "a.txt").write_bytes(families["a/orig"].encode("utf-8"))
    quoted = families["other/x"] + families["a/orig"]
    (src / "b.txt").write_bytes(quoted.encode("gb18030"))
    out = tmp_path / "clean"
    code, _, stderr = run("dedup", str(src), "-o", str(out), "--passages")
    assert code == 0, stderr
    assert (out / "a.txt").read_bytes() == (src / "a.txt").read_bytes()
    assert (out / "b.txt").read_bytes().decode("gb18030") == families["other/x"]


def test_outputs_are_ordinary_files(families: dict[str, str], tmp_path: Path) -> None:
    import os
    import stat

    src = tmp_path / "in.jsonl"
    _write_jsonl(src, _records(families))
    out = tmp_path / "out.jsonl"
    assert run("dedup", str(src), "-o", str(out))[0] == 0
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask
