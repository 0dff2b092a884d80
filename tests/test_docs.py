"""The README is true: every command and option is documented, and every sample runs.

Each fenced block of README.md is one of:

- ```bash: commands, run one by one with ``bash`` in a scratch folder holding a copy of
  ``examples/`` (and the test fixtures the samples name). ``pip install …`` and
  ``python -m pytest`` are what ``.ci/run`` runs verbatim; here the package is already
  installed, so only what follows ``&&`` runs. A plain block right after is the output:
  its lines must appear in the real output, in order; a line holding only ``…`` stands
  for lines left out.
- a plain block starting with ``$ ``: a command and its output in one block.
- a plain block starting with ``neardup ``: a synopsis, whose defaults must be the
  command's own.
- ```python: executed as written (output compared the same way when a plain block follows).
- ```toml, ```json: parsed, and checked to be what neardup reads.

A block preceded by ``<!-- docs-test: skip REASON -->`` is left out (a real cluster,
a placeholder repository); the reason is shown in the test id. Spark samples run in the
slow tier.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from neardup.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "neardup") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in sorted(group.commands.items()):
        full = f"{prefix} {name}"
        out.append((full, cmd))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, full))
    return out


def test_every_command_and_option_is_in_the_readme() -> None:
    for full, cmd in _commands(cli):
        assert full in README, f"README does not mention `{full}`"
        for param in cmd.params:
            if isinstance(param, click.Option):
                longest = max(param.opts, key=len)
                assert longest in README, f"README does not document {longest} of `{full}`"


def test_public_api_is_documented() -> None:
    import neardup

    for name in neardup.__all__:
        if not name.startswith("_"):
            assert f"`{name}`" in README, f"README does not document neardup.{name}"


# --------------------------------------------------------------------------- the blocks


@dataclass
class Block:
    lang: str
    text: str
    line: int
    skip: str | None = None
    output: Block | None = None


def _blocks(readme: str) -> list[Block]:
    blocks: list[Block] = []
    lines = readme.split("\n")
    i = 0
    prev_end = -1  # where the last fenced block closed
    skip = None
    while i < len(lines):
        marker = re.fullmatch(r"<!-- docs-test: skip (.+) -->", lines[i].strip())
        if marker:
            skip = marker.group(1)
        elif lines[i].startswith("```"):
            lang = lines[i][3:].strip()
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            block = Block(lang, "\n".join(lines[i + 1 : j]), i + 1, skip)
            prev = blocks[-1] if blocks else None
            between = lines[prev_end + 1 : i] if prev else []
            if prev and prev.lang in ("bash", "python") and not lang and all(not l.strip() for l in between):
                prev.output = block
            else:
                blocks.append(block)
            prev_end = j
            skip = None
            i = j
        elif lines[i].strip():
            skip = None if not lines[i].startswith("<!--") else skip
        i += 1
    return blocks


BLOCKS = _blocks(README)


def _kind(b: Block) -> str:
    if b.lang in ("bash", "python", "toml", "json", "yaml"):
        return b.lang
    if b.text.startswith("$ "):
        return "session"
    if b.text.startswith("neardup "):
        return "synopsis"
    return "prose"


def _params(kind: str) -> list:
    out = []
    for b in BLOCKS:
        if _kind(b) != kind:
            continue
        marks = [pytest.mark.slow] if "spark" in b.text.lower() else []
        if b.skip:
            marks.append(pytest.mark.skip(reason=b.skip))
        out.append(pytest.param(b, id=f"line{b.line}", marks=marks))
    return out


def test_every_block_is_checked_or_explicitly_skipped() -> None:
    kinds = {_kind(b) for b in BLOCKS}
    assert kinds <= {"bash", "python", "toml", "json", "yaml", "session", "synopsis", "prose"}
    prose = [b for b in BLOCKS if _kind(b) == "prose"]
    # prose blocks hold no command: the cluster-size arithmetic only
    assert all("neardup" not in b.text and "$ " not in b.text for b in prose), [b.line for b in prose]
    assert [b for b in BLOCKS if _kind(b) == "yaml" and not b.skip] == []


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder with what the samples name: examples/, the test fixtures, corpus.jsonl."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "tests" / "fixtures", tmp_path / "tests" / "fixtures")
    with (tmp_path / "corpus.jsonl").open("w", encoding="utf-8") as fh:
        for p in sorted((ROOT / "examples" / "seeds").iterdir()):
            fh.write(json.dumps({"id": p.name, "text": p.read_text(encoding="utf-8")}, ensure_ascii=False) + "\n")
    (tmp_path / ".git").mkdir()  # settings search stops here, not in the repository's folders
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEARDUP_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["CI"] = "1"
    return env


def _statements(script: str) -> list[str]:
    """Commands of a bash block: continuations joined; installs and the test run left to .ci/run."""
    joined = re.sub(r"\\\n\s*", " ", script)
    out = []
    for line in joined.split("\n"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("&&")]
        parts = [p for p in parts if not re.match(r"(python -m )?pip install|python -m pytest", p)]
        if parts:
            out.append(" && ".join(parts))
    return out


def _assert_shown(shown: str, real: str, where: str) -> None:
    """Every shown line appears in the real output, in order (``…`` alone: lines left out)."""
    lines = real.splitlines()
    pos = 0
    for line in shown.splitlines():
        if line.strip() == "…":
            continue
        assert line in lines[pos:], f"README {where}: line not in the real output (in order): {line!r}\n--- real output:\n{real}"
        pos = lines.index(line, pos) + 1


def _run(command: str, cwd: Path) -> str:
    done = subprocess.run(["bash", "-c", command], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), f"`{command}` exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done.stdout + done.stderr


@pytest.mark.parametrize("block", _params("bash"))
def test_bash_samples_run_and_print_what_is_shown(block: Block, workdir: Path) -> None:
    real = "".join(_run(c, workdir) for c in _statements(block.text))
    if block.output is not None:
        _assert_shown(block.output.text, real, f"line {block.line}")


@pytest.mark.parametrize("block", _params("session"))
def test_sessions_print_what_is_shown(block: Block, workdir: Path) -> None:
    command, _, shown = block.text.partition("\n")
    _assert_shown(shown, _run(command[2:], workdir), f"line {block.line}")


@pytest.mark.parametrize("block", _params("python"))
def test_python_snippets_run_verbatim(block: Block, workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = compile(block.text, f"README.md:{block.line}", "exec")
    exec(code, {"__name__": "__readme__"})
    if block.output is not None:
        _assert_shown(block.output.text, capsys.readouterr().out, f"line {block.line}")


def _defaults(cmd: click.Command) -> dict[str, str]:
    """Each option's default as the README would write it (from ``[default: X]`` or the value)."""
    out = {}
    for p in cmd.params:
        if not isinstance(p, click.Option):
            continue
        shown = re.search(r"\[default: ([^\]]+)\]", p.help or "")
        if shown:
            out[max(p.opts, key=len)] = shown.group(1)
        elif p.default is not None and not p.is_flag and not p.multiple:
            out[max(p.opts, key=len)] = str(p.default)
    return out


@pytest.mark.parametrize("block", _params("synopsis"))
def test_synopses_show_the_real_defaults(block: Block) -> None:
    commands = dict(_commands(cli))
    current = None
    for line in block.text.splitlines():
        head = re.match(r"(neardup(?: [a-z-]+)*)", line)
        if head and line.startswith("neardup "):
            name = head.group(1)
            while name not in commands and " " in name:
                name = name.rsplit(" ", 1)[0]
            current = commands.get(name)
        if current is None:
            continue
        defaults = _defaults(current)
        for flag, value in re.findall(r"\[(--[a-z-]+)(?:\|-\w)? ([^\]\s|]+)\]", line):
            if flag in defaults and re.fullmatch(r"[0-9.]+|[a-z]+", value) and not value.isupper():
                choice = next((p for p in current.params if flag in getattr(p, "opts", ())), None)
                if isinstance(getattr(choice, "type", None), click.Choice):
                    assert value in choice.type.choices, f"README line {block.line}: {flag} {value} is not a choice"
                    continue
                assert value == defaults[flag], f"README line {block.line}: `{flag} {value}`, the default is {defaults[flag]}"
        for flag in re.findall(r"(--[a-z][a-z-]+)", line):
            assert any(flag in getattr(p, "opts", ()) for p in current.params) or flag in ("--version", "--debug", "--help", "--config"), (
                f"README line {block.line}: {flag} is not an option of `{current.name}`"
            )


@pytest.mark.parametrize("block", _params("toml"))
def test_settings_samples_are_what_neardup_reads(block: Block, workdir: Path) -> None:
    from neardup.read import load_settings

    (workdir / "pyproject.toml").write_text(block.text, encoding="utf-8")
    (workdir / "reference").mkdir()
    shutil.copy(workdir / "examples" / "seeds" / "001_dd9de37c9c444b8c.txt", workdir / "reference")
    settings, source = load_settings(start=workdir)
    assert source == str(workdir / "pyproject.toml") and settings
    done = subprocess.run(["neardup", "gate", "examples/incoming/repost.txt"], cwd=workdir, env=_env(), capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    assert f"limits: {settings['max-copied']:.0%} copied" in done.stdout


@pytest.mark.parametrize("block", _params("json"))
def test_json_samples_parse_as_neardup_reads_them(block: Block) -> None:
    from neardup.calibrate import parse_pairs

    pairs = parse_pairs(block.text, "README.md", lambda v: v)
    assert len(pairs) == len(block.text.strip().splitlines())


def test_the_fast_tier_is_registered_and_documented() -> None:
    """`pytest -m "not slow"` is the developer's tier: the marker exists and the README says so."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert any(m.startswith("slow:") for m in config["markers"])
    assert not re.search(r"(^|\s)-m\s", config.get("addopts", ""))  # CI (`python -m pytest` in .ci/run) runs every tier
    assert 'python -m pytest -m "not slow"' in README
    assert "python -m pytest\n" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
