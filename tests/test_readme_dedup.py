"""The README's "Deduplicate a dataset" section runs as written and prints what it shows."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from neardup.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Deduplicate a dataset\n", 1)[1].split("\n## ", 1)[0]
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", SECTION, flags=re.S)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "examples" / "dedup", tmp_path / "examples" / "dedup")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    return tmp_path


def _after(kind: str, n: int = 0) -> tuple[str, str]:
    """The ``n``-th block of ``kind`` and the plain block that follows it (its output)."""
    found = [i for i, (k, _) in enumerate(BLOCKS) if k == kind]
    i = found[n]
    return BLOCKS[i][1], BLOCKS[i + 1][1]


def test_the_command_prints_the_summary_and_writes_the_removed_records(workdir: Path) -> None:
    command, summary = _after("bash")
    args = shlex.split(command.strip())
    assert args[0] == "neardup"
    result = CliRunner().invoke(cli, args[1:])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == summary
    removed = BLOCKS[[k for k, _ in BLOCKS].index("bash") + 2][1]
    assert (workdir / "removed.jsonl").read_text(encoding="utf-8") == removed
    assert (workdir / "clean.jsonl").exists()


@pytest.mark.parametrize("n", [0, 1])
def test_the_python_examples_print_what_they_show(workdir: Path, n: int) -> None:
    if n == 1:
        pytest.importorskip("datasets")
    code, output = _after("python", n)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"README-dedup-{n}", "exec"), {})
    assert out.getvalue() == output
