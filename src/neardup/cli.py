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
from neardup.read import read_paths
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
        click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=None, help="Jaccard similarity a passage pair must reach [default: 0.5]."),
        click.option("--ngram", type=click.IntRange(1, 32), default=None, help="Shingle length in tokens [default: 5]."),
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
def cli(debug: bool) -> None:
    """Find near-duplicate passages and template reuse in text (Chinese first)."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


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


@cli.command("spark-scan")
@click.argument("input_path", metavar="INPUT")
@click.argument("output", metavar="OUTPUT")
@click.option("--input-format", type=click.Choice(["auto", "jsonl", "parquet"]), default="auto", show_default=True, help="auto: Parquet if INPUT ends in .parquet, else JSONL.")
@click.option("--output-format", type=click.Choice(["auto", "jsonl", "parquet"]), default="auto", show_default=True, help="auto: Parquet if OUTPUT ends in .parquet, else JSONL.")
@click.option("--master", default=None, help="Spark master when not run by spark-submit, e.g. local[4].")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT if it exists.")
@scan_options
@handle_errors
def spark_scan_command(
    input_path: str, output: str, input_format: str, output_format: str, master: str | None, overwrite: bool, **opts: Any
) -> None:
    """Scan INPUT on Apache Spark and write its clusters to OUTPUT.

    INPUT is JSONL (one {"id": ..., "text": ...} object a line) or Parquet, files or a
    folder, on any file system Spark reads. OUTPUT is a folder of part files, one cluster
    a row, with the fields of a cluster in the JSON report. Run it with spark-submit, or
    directly for Spark's local mode. Needs pip install 'neardup[spark]'.
    """
    config = config_from(opts)
    from neardup import spark

    summary = spark.scan_files(
        spark.session(master),
        input_path,
        output,
        config=config,
        input_format=input_format,
        output_format=output_format,
        text_col=opts["text_field"],
        id_col=opts["id_field"],
        overwrite=overwrite,
    )
    click.echo(
        f"neardup: {summary['documents']} documents, {summary['passages']} passages, "
        f"{summary['clusters']} clusters, {summary['duplicated_chars']:,} duplicated chars -> {output}"
    )


def main() -> None:
    cli(prog_name="neardup")


if __name__ == "__main__":
    main()
