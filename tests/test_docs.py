"""Every command and option a user can type is documented in the README."""

from __future__ import annotations

from pathlib import Path

import click

from neardup.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


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


def test_readme_sample_output_is_the_real_output(monkeypatch) -> None:
    """The README's first sample is what `neardup scan examples/seeds` prints today.

    A line holding only ``…`` stands for lines left out; every other line must appear,
    in order, exactly as printed.
    """
    from click.testing import CliRunner

    root = Path(__file__).resolve().parent.parent
    monkeypatch.chdir(root)
    block = README.split("pip install . && neardup scan examples/seeds\n```\n\n```\n", 1)[1].split("\n```", 1)[0]
    real = CliRunner().invoke(cli, ["scan", "examples/seeds"]).output.splitlines()
    pos = 0
    for line in block.splitlines():
        if line.strip() == "…":
            continue
        assert line in real[pos:], f"README sample line not in the real output (in order): {line!r}"
        pos = real.index(line, pos) + 1
