"""The ``neardup`` command: each subcommand builds objects, makes one library call, maps errors.

Exit codes: 0 done (nothing found, for checks), 1 duplicates/copies found (checks
only), 2 usage or input error, 3 internal error (a bug: rerun with ``--debug``).
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from neardup.config import ScanConfig
from neardup.errors import NeardupError
from neardup.read import load_settings, read_paths
from neardup.report import render_json, render_text
from neardup.scan import Progress, scan

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])

EXIT_FOUND = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


def _fail(message: str, code: int) -> None:
    click.echo(f"neardup: {message}", err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Map library errors to one line on stderr and an exit code; ``--debug`` shows tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return func(*args, **kwargs)
        except NeardupError as err:
            if debug:
                traceback.print_exc()
            _fail(str(err), EXIT_USAGE)
        except (KeyboardInterrupt, BrokenPipeError):
            sys.exit(130)
        except Exception as err:  # noqa: BLE001 - the CLI's last line of defence
            if debug:
                traceback.print_exc()
            _fail(f"internal error: {type(err).__name__}: {err} (rerun with --debug for the traceback)", EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


def show_progress() -> bool:
    """Bars only for a person at a terminal: never in pipes, files or CI logs."""
    return sys.stderr.isatty() and not os.environ.get("CI")


@contextmanager
def progress_bar() -> Iterator[Progress | None]:
    if not show_progress():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn

    with RichProgress(
        TextColumn("{task.description:<11}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def write_output(text: str, output: str | None) -> None:
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    except OSError as err:
        raise NeardupError(f"{output}: cannot write the report ({err.strerror})") from None


def scan_options(func: F) -> F:
    """Options shared by every command that runs the scan pipeline."""
    options = [
        click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=None, help="Jaccard similarity a passage pair must reach [default: 0.3]."),
        click.option("--ngram", type=click.IntRange(1, 32), default=None, help="Shingle length in tokens [default: 4]."),
        click.option("--num-perm", type=click.IntRange(8, 1024), default=None, help="MinHash permutations [default: 128]."),
        click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None, help="MinHash seed [default: 1]."),
        click.option("--tokens", type=click.Choice(["chars", "words"]), default=None, help="Shingle characters, or jieba words [default: chars]."),
        click.option("--min-chars", type=click.IntRange(1), default=None, help="Merge paragraphs shorter than this [default: 60]."),
        click.option("--max-chars", type=click.IntRange(1), default=None, help="Cut paragraphs longer than this into windows [default: 400]."),
        click.option("--text-field", default="text", show_default=True, help="JSONL field holding the text."),
        click.option("--id-field", default="id", show_default=True, help="JSONL field holding the document id."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def config_from(opts: dict[str, Any]) -> ScanConfig:
    return ScanConfig.from_options(
        threshold=opts.get("threshold"),
        ngram=opts.get("ngram"),
        num_perm=opts.get("num_perm"),
        seed=opts.get("seed"),
        tokens=opts.get("tokens"),
        min_chars=opts.get("min_chars"),
        max_chars=opts.get("max_chars"),
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="neardup")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="Settings file (default: nearest neardup.toml, or [tool.neardup] in pyproject.toml).")
@click.pass_context
def cli(ctx: click.Context, debug: bool, config_file: str | None) -> None:
    """Find near-duplicate passages and template reuse in text (Chinese first)."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings, source = load_settings(config_file)
        ctx.default_map = _default_map(ctx.command, settings, source)  # type: ignore[arg-type]
    except NeardupError as err:
        _fail(str(err), EXIT_USAGE)


def _default_map(group: click.Group, settings: dict[str, Any], source: str | None) -> dict[str, Any]:
    """Turn settings (flag names, kebab or snake case) into click defaults per command."""
    shared = {k: v for k, v in settings.items() if not isinstance(v, dict)}
    out: dict[str, Any] = {}
    known: set[str] = set()
    for name, cmd in group.commands.items():
        params = {p.name: p for p in cmd.params if isinstance(p, click.Option) and p.name}
        known |= set(params)
        merged = {**shared, **settings.get(name, {})} if isinstance(settings.get(name, {}), dict) else shared
        out[name] = {k.replace("-", "_"): v for k, v in merged.items() if k.replace("-", "_") in params}
    unknown = sorted(k for k in shared if k.replace("-", "_") not in known)
    if unknown:
        raise NeardupError(f"{source}: unknown setting {unknown[0]!r}; use the name of a command-line flag, e.g. max-copied")
    return out


@cli.command("scan")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the report here instead of stdout.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Text format: show at most this many clusters.")
@scan_options
@handle_errors
def scan_command(paths: tuple[str, ...], fmt: str, output: str | None, limit: int | None, **opts: Any) -> None:
    """Report clusters of near-duplicate passages in PATHS.

    PATHS are files, folders (recursed), globs, '-' for stdin, or .jsonl files whose
    lines are objects with 'id' and 'text'.
    """
    config = config_from(opts)
    read = read_paths(paths, text_field=opts["text_field"], id_field=opts["id_field"])
    for warning in read.warnings:
        click.echo(f"neardup: warning: {warning}", err=True)
    with progress_bar() as progress:
        result = scan(read.documents, config=config, progress=progress, warnings=read.warnings)
    text = render_json(result) if fmt == "json" else render_text(result, limit=limit)
    write_output(text, output)


@cli.command("gate")
@click.argument("submissions", nargs=-1, required=True)
@click.option("--against", "against", multiple=True, required=True, help="Reference corpus: files, folders, globs (repeatable).")
@click.option("--base", "base", multiple=True, help="Template/boilerplate files whose text never counts as copied (repeatable).")
@click.option("--cross", is_flag=True, default=False, help="Also compare the submissions with each other.")
@click.option("--max-copied", type=click.FloatRange(0, 1), default=0.3, show_default=True, help="Fail above this share of copied text (all sources together).")
@click.option("--max-span", type=click.IntRange(0), default=200, show_default=True, help="Fail when a copied span is longer than this many characters.")
@click.option("--boilerplate-docs", type=click.IntRange(2), default=3, show_default=True, help="Text in at least this many reference documents is boilerplate.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), default=None, help="Accepted findings (from --write-baseline) that do not fail.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), default=None, help="Record today's findings as accepted, then exit 0.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "github", "sarif"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the report here instead of stdout.")
@scan_options
@handle_errors
def gate_command(
    submissions: tuple[str, ...],
    against: tuple[str, ...],
    base: tuple[str, ...],
    cross: bool,
    max_copied: float,
    max_span: int,
    boilerplate_docs: int,
    baseline_file: str | None,
    write_baseline: str | None,
    fmt: str,
    output: str | None,
    **opts: Any,
) -> None:
    """Fail (exit 1) when SUBMISSIONS copy from the reference corpus.

    Exit codes: 0 every submission passes, 1 at least one copies, 2 usage or input error.
    """
    from neardup.gate import Baseline, GateConfig, find_copies, judge
    from neardup.report.gate import render_gate

    config = GateConfig(max_copied=max_copied, max_span=max_span, boilerplate_docs=boilerplate_docs, cross=cross)
    read_opts = {"text_field": opts["text_field"], "id_field": opts["id_field"]}
    subs = read_paths(submissions, **read_opts)
    refs = read_paths(against, **read_opts)
    bases = read_paths(base, **read_opts) if base else None
    for warning in subs.warnings + refs.warnings + (bases.warnings if bases else []):
        click.echo(f"neardup: warning: {warning}", err=True)
    if not subs.documents:
        raise NeardupError("no readable submission: give text files to check")
    baseline = Baseline.from_json(_read_text(baseline_file), baseline_file) if baseline_file else None
    findings = find_copies(subs.documents, refs.documents, base=bases.documents if bases else (),
                           config=config, scan_config=config_from(opts))
    if write_baseline:
        write_output(Baseline.from_findings(findings).to_json(), write_baseline)
        click.echo(f"neardup: wrote {len(findings)} accepted findings to {write_baseline}", err=True)
        return
    by_sub: dict[str, list[Any]] = {}
    for f in findings:
        by_sub.setdefault(f.submission, []).append(f)
    verdicts = [judge(d, by_sub.get(d.id, []), config, baseline) for d in sorted(subs.documents, key=lambda d: d.id)]
    write_output(render_gate(verdicts, config, fmt), output)
    if not all(v.passed for v in verdicts):
        sys.exit(EXIT_FOUND)


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError) as err:
        raise NeardupError(f"{path}: cannot read ({err})") from None


@cli.command("calibrate")
@click.argument("pairs_file", metavar="PAIRS.jsonl")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the report here instead of stdout.")
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Also write precision and recall against the threshold as a PNG (pip install 'neardup[plot]').")
@click.option("--ngrams", default="3,4,5,6", show_default=True, help="Shingle sizes to try, comma-separated.")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=None,
              help="The threshold you use now: measured, and preferred on ties [default: 0.3].")
@click.option("--ngram", type=click.IntRange(1, 32), default=None,
              help="The shingle size you use now: measured, and preferred on ties [default: 4].")
@click.option("--num-perm", type=click.IntRange(8, 1024), default=None, help="MinHash permutations [default: 128].")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None, help="MinHash seed [default: 1].")
@click.option("--tokens", type=click.Choice(["chars", "words"]), default=None, help="Shingle characters, or jieba words [default: chars].")
@click.option("--min-chars", type=click.IntRange(1), default=None, help="Merge paragraphs shorter than this [default: 60].")
@click.option("--max-chars", type=click.IntRange(1), default=None, help="Cut paragraphs longer than this into windows [default: 400].")
@handle_errors
def calibrate_command(pairs_file: str, fmt: str, output: str | None, plot: str | None, ngrams: str, **opts: Any) -> None:
    """Measure precision and recall per threshold on labelled pairs; recommend settings.

    PAIRS.jsonl has one object per line: {"a": ..., "b": ..., "duplicate": true|false};
    a value naming an existing file (as given, or beside PAIRS.jsonl) is that file's text.
    """
    from pathlib import Path

    from neardup.calibrate import calibrate, parse_pairs, plot_png
    from neardup.errors import InputError
    from neardup.read import decode
    from neardup.report.calibrate import render_calibration

    try:
        sizes = [int(x) for x in ngrams.split(",") if x.strip()]
    except ValueError:
        raise NeardupError(f"--ngrams must be comma-separated whole numbers, e.g. 3,4,5, got {ngrams!r}") from None
    if not sizes or not all(1 <= n <= 32 for n in sizes):
        raise NeardupError(f"--ngrams must list shingle sizes in [1, 32], got {ngrams!r}")
    source = Path(pairs_file)
    try:
        text, _ = decode(source.read_bytes(), pairs_file)
    except OSError as err:
        raise NeardupError(f"{pairs_file}: cannot read ({err.strerror})") from None

    def resolve(value: str) -> str:
        if "\n" in value or len(value) > 1024:
            return value
        for path in (Path(value), source.parent / value):
            try:
                is_file = path.is_file()
            except OSError:  # a long text is no file name (ENAMETOOLONG)
                is_file = False
            if is_file:
                try:
                    return decode(path.read_bytes(), value)[0]
                except OSError as err:
                    raise InputError(f"{value}: cannot read ({err.strerror})") from None
        return value

    pairs = parse_pairs(text, pairs_file, resolve)
    result = calibrate(pairs, config=config_from(opts), ngrams=sizes)
    if plot:
        png = plot_png(result)
        try:
            Path(plot).write_bytes(png)
        except OSError as err:
            raise NeardupError(f"{plot}: cannot write the plot ({err.strerror})") from None
    write_output(render_calibration(result, fmt), output)


def main() -> None:
    cli(prog_name="neardup")


if __name__ == "__main__":
    main()
