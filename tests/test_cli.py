from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from neardup.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "src" / "neardup" / "schema" / "scan.schema.json").read_text(encoding="utf-8"))
GOLDEN = Path(__file__).parent / "golden"


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_scan_seeds_text_report(seeds_dir: Path) -> None:
    result = run("scan", str(seeds_dir))
    assert result.exit_code == 0
    first = result.output.splitlines()[0]
    assert first.startswith("neardup: 5 documents,") and "2 clusters" in first
    assert "004_21f10bf9ae509db8.txt:127-169" in result.output
    assert "004_21f10bf9ae509db8.txt:235-277" in result.output
    assert all(len(line) <= 80 or "txt:" in line for line in result.output.splitlines())


def test_scan_json_validates_and_is_golden(seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Golden output is made from a copy at a fixed relative path, so ids are stable.
    shutil.copytree(seeds_dir, tmp_path / "seeds")
    monkeypatch.chdir(tmp_path)
    result = run("scan", "seeds", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    jsonschema.validate(data, SCHEMA)
    data["neardup_version"] = "X"
    golden = GOLDEN / "seeds_scan.json"
    rendered = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
    if os.environ.get("NEARDUP_UPDATE_GOLDEN"):  # regenerate deliberately, then review the diff
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


def test_json_is_byte_identical_whatever_the_input_order(seeds_dir: Path, tmp_path: Path) -> None:
    files = sorted(str(p) for p in seeds_dir.iterdir())
    out1, out2 = tmp_path / "a.json", tmp_path / "b.json"
    assert run("scan", *files, "--format", "json", "-o", str(out1)).exit_code == 0
    assert run("scan", *reversed(files), "--format", "json", "-o", str(out2)).exit_code == 0
    assert out1.read_bytes() == out2.read_bytes()


def test_stdin_and_jsonl(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    text = seed_texts["003_25ef313b2cbc397f.txt"]
    records = tmp_path / "docs.jsonl"
    records.write_text(json.dumps({"id": "rec-1", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    result = run("scan", "-", str(records), "--format", "json", input=text.encode("gb18030"))
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert {d["id"] for d in data["documents"]} == {"-", "rec-1"}
    assert data["clusters"] and set(data["clusters"][0]["documents"]) == {"-", "rec-1"}


def test_input_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["scan", str(tmp_path / "missing.txt")])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "missing.txt: no such file" in result.output
    assert "Traceback" not in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["scan", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:1: invalid JSON" in result.output
    result = CliRunner().invoke(cli, ["scan", str(bad), "--threshold", "1.5"])
    assert result.exit_code == 2


def test_terminal_report_escapes_control_characters(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    text = seed_texts["003_25ef313b2cbc397f.txt"].splitlines()[0]
    (tmp_path / "a.txt").write_text("\x1b[2J\x1b]0;pwned\x07" + text, encoding="utf-8")
    (tmp_path / "b.txt").write_text(text, encoding="utf-8")
    result = run("scan", str(tmp_path))
    assert result.exit_code == 0 and "Cluster 1" in result.output
    assert "\x1b" not in result.output and "\\x1b" in result.output


def test_progress_is_quiet_in_pipes(seeds_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["scan", str(seeds_dir)])
    assert result.exit_code == 0
    assert "━" not in result.stderr and "\r" not in result.stderr


def test_scan_html_report_to_file(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run("scan", str(seeds_dir), "--format", "html", "-o", str(out))
    assert result.exit_code == 0 and result.output == ""
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in page
    assert "{20xx | 2018}" in page and 'class="sbs"' in page


def test_link_boilerplate_and_base_flags(seeds_dir: Path, tmp_path: Path) -> None:
    plain = json.loads(run("scan", str(seeds_dir), "--format", "json").output)
    linked = json.loads(run("scan", str(seeds_dir), "--format", "json", "--link-boilerplate").output)
    assert plain["config"]["boilerplate"]["link"] is False and linked["config"]["boilerplate"]["link"] is True
    assert len(linked["clusters"]) == len(plain["clusters"]) == 2  # the real copies, either way
    base = seeds_dir / "001_dd9de37c9c444b8c.txt"
    with_base = json.loads(run("scan", str(seeds_dir), "--format", "json", "--base", str(base)).output)
    assert any(b["kind"] == "base" and b["doc_id"].endswith("001_dd9de37c9c444b8c.txt") for b in with_base["boilerplate"])
    result = CliRunner().invoke(cli, ["scan", str(seeds_dir), "--base", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2 and "nope.txt" in result.output
