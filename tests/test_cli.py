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


# ----------------------------------------------------------------- issue 13: output you can trust


def _run_with_terminal_stderr(args: list[str], cwd: Path, stdout_path: Path) -> int:
    """Run ``neardup ARGS > stdout_path`` as typed at a terminal: stderr is a pseudo-terminal."""
    import pty
    import subprocess
    import sys
    import threading

    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["COLUMNS"] = "100"
    drained = threading.Thread(target=lambda: _drain(master), daemon=True)
    drained.start()
    with open(stdout_path, "wb") as out:
        code = subprocess.run(
            [sys.executable, "-m", "neardup", *args], cwd=cwd, stdout=out, stderr=slave, stdin=subprocess.DEVNULL, env=env
        ).returncode
    os.close(slave)
    drained.join(timeout=5)
    return code


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_progress_never_touches_stdout_at_a_terminal(seeds_dir: Path, tmp_path: Path, fmt: str) -> None:
    """Issue 13: `scan --format json > out.json` at a terminal wrote a stray newline first."""
    import subprocess
    import sys

    shutil.copytree(seeds_dir, tmp_path / "seeds")
    assert _run_with_terminal_stderr(["scan", "seeds", "--format", fmt], tmp_path, tmp_path / "tty.out") == 0
    env = {**os.environ, "CI": "1"}
    ci = subprocess.run([sys.executable, "-m", "neardup", "scan", "seeds", "--format", fmt], cwd=tmp_path, capture_output=True, env=env)
    assert ci.returncode == 0
    assert (tmp_path / "tty.out").read_bytes() == ci.stdout


def test_empty_folder_is_said_not_silent(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "hidden").mkdir()
    (tmp_path / "hidden" / ".draft.txt").write_text("草稿", encoding="utf-8")
    result = CliRunner().invoke(cli, ["scan", str(tmp_path / "empty"), str(tmp_path / "hidden")])
    assert result.exit_code == 0
    assert f"neardup: warning: {tmp_path / 'empty'}: no files to read" in result.stderr
    assert f"warning: {tmp_path / 'hidden'}: no files to read" in result.stdout


def test_counts_are_singular_or_plural_with_thousands_separators(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    import re

    one = tmp_path / "one.txt"
    text = seed_texts["004_21f10bf9ae509db8.txt"]
    one.write_text(text, encoding="utf-8")
    out = run("scan", str(one)).output
    assert out.startswith("neardup: 1 document, ")
    html = run("scan", str(one), "--format", "html").output
    assert "(s)" not in html and "1 document," in html
    for report in (out, html):
        for number, noun in re.findall(r"(?<![\w.,\[])(\d[\d,]*) (document|cluster|edit|passage|cop(?:y|ies)|slot|span|char)s?\b", report):
            n = int(number.replace(",", ""))
            assert (n >= 1000) == ("," in number), (number, noun)
    assert not re.search(r"(?<![\d,.])1 (documents|clusters|edits|passages|copies|slots|spans|more clusters)\b", out + html)
    limited = run("scan", str(tmp_path), "--limit", "1").output
    assert "... 1 more cluster (use" in limited or "more clusters" not in limited


def test_a_bad_setting_names_the_file_and_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13: `threshold = 2` in neardup.toml was reported as '--threshold'."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.txt").write_text("一段文字。", encoding="utf-8")
    (tmp_path / "neardup.toml").write_text("threshold = 2\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["scan", "a.txt"])
    assert result.exit_code == 2
    assert result.output.startswith(f"neardup: {tmp_path / 'neardup.toml'}: threshold = 2: ")
    assert "'--threshold'" not in result.output and len(result.output.strip().splitlines()) == 1
    (tmp_path / "neardup.toml").write_text('[gate]\nmax-copied = "lots"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["gate", "a.txt", "--against", "a.txt"])
    assert result.exit_code == 2 and "neardup.toml: [gate] max-copied = 'lots':" in result.output
    assert "--max-copied" not in result.output and len(result.output.strip().splitlines()) == 1


_MAIN_WITH = """
import sys, threading, time
from pathlib import Path
from neardup.cli import main

import os
here = Path(sys.argv[1])
marker = os.open(str(here / "finalised"), os.O_WRONLY | os.O_CREAT)

def torn_down(event, args, marker=marker, write=os.write):  # raised as the interpreter is torn down
    if event == "cpython.PyInterpreterState_Clear":
        write(marker, b"yes")

sys.addaudithook(torn_down)
if sys.argv[2] == "thread":  # a library user's thread, still at work when the command ends
    def work():  # still at work when the report is out
        while not (here / "report.json").exists():
            time.sleep(0.01)
        time.sleep(0.3)
        (here / "thread").write_text("done")
    threading.Thread(target=work).start()
sys.argv = ["neardup", *sys.argv[3:]]
main()
"""


@pytest.mark.parametrize("thread", ["none", "thread"])
def test_the_console_command_exits_without_teardown_but_keeps_its_output_and_code(tmp_path: Path, thread: str) -> None:
    """``main`` skips the interpreter's teardown (a quarter second after a scan) only:
    the output is all there, the exit code too, and a running thread still finishes."""
    import subprocess
    import sys

    seeds = Path(__file__).resolve().parents[1] / "examples" / "seeds"
    out = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-c", _MAIN_WITH, str(tmp_path), thread, "scan", str(seeds), "--format", "json", "-o", str(out)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert len(json.loads(out.read_text(encoding="utf-8"))["clusters"]) == 2  # the whole report, written
    listed = subprocess.run([sys.executable, "-c", _MAIN_WITH, str(tmp_path), "none", "scan", str(seeds)], capture_output=True, text=True)
    assert listed.returncode == 0 and listed.stdout.endswith("004_21f10bf9ae509db8.txt\n")  # stdout flushed to its end
    # Without a thread the exit is immediate: nothing is finalised. With one, the usual exit waits for it.
    assert (tmp_path / "finalised").read_text() == ("yes" if thread == "thread" else "")
    assert (tmp_path / "thread").exists() == (thread == "thread")
    failed = subprocess.run(
        [sys.executable, "-c", _MAIN_WITH, str(tmp_path), "none", "scan", str(tmp_path / "missing")], capture_output=True, text=True
    )
    assert failed.returncode == 2 and failed.stderr.count("\n") == 1 and "missing" in failed.stderr
