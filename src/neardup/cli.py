"""The ``neardup`` command: each subcommand builds objects, makes one library call, maps errors.

Exit codes: 0 done (nothing found, for checks), 1 duplicates/copies found (checks
only), 2 usage or input error, 3 internal error (a bug: rerun with ``--debug``).
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

import click

from neardup.errors import NeardupError, UnusableReferenceError
from neardup.read import load_settings, read_paths
from neardup.report.text import count as _count

if TYPE_CHECKING:  # the pipeline, the store and numpy load inside the commands that use them
    from neardup.config import Option, ScanConfig
    from neardup.scan import Progress

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
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn

    with RichProgress(  # on stderr: stdout carries the report, byte for byte as in CI
        TextColumn("{task.description:<11}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        transient=True, console=Console(stderr=True),
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


def stream_output(write: Callable[[TextIO], None], output: str) -> None:
    """Write a report to ``output`` as it is made: into a temporary file beside it, renamed
    when complete, so a failure never leaves half a report under the user's name."""
    folder = os.path.dirname(os.path.abspath(output))
    try:
        handle, tmp = tempfile.mkstemp(prefix=".neardup-", suffix=".tmp", dir=folder)
    except OSError as err:
        raise NeardupError(f"{output}: cannot write the report ({err.strerror})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as fh:
            write(fh)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as open() would have made it, not mkstemp's 0600
        os.replace(tmp, output)
    except OSError as err:
        raise NeardupError(f"{output}: cannot write the report ({err.strerror})") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def click_option(option: Option, help_default: str | None = None) -> Callable[[F], F]:
    """The click option of one entry of :data:`neardup.config.OPTIONS` (default: None, so
    only what the user gives overrides the config; the help shows the real default)."""
    default = help_default or (str(option.default).lower() if isinstance(option.default, bool) else str(option.default))
    text = f"{option.help} [default: {default}]"
    if option.flag_only:
        return click.option(option.flag, option.name, is_flag=True, default=None, help=option.help)
    if option.choices:
        kind: Any = click.Choice(list(option.choices))
    elif option.kind is float:
        kind = click.FloatRange(option.low, option.high, min_open=option.low_open)
    else:
        kind = click.IntRange(None if option.low is None else int(option.low), None if option.high is None else int(option.high))
    return click.option(option.flag, option.name, type=kind, default=None, help=text)


def _options() -> tuple[Option, ...]:
    from neardup.config import OPTIONS

    return OPTIONS


#: Options with a flag that only one command has (scan's --detail).
_NOT_SHARED = {"detail"}


def scan_options(func: F) -> F:
    """Options shared by every command that runs the scan pipeline (from ``config.OPTIONS``)."""
    from neardup.config import OPTIONS

    options = [click_option(o) for o in OPTIONS if o.cli and o.name not in _NOT_SHARED]
    options[8:8] = [
        click.option("--text-field", default="text", show_default=True, help="JSONL/Parquet field holding the text."),
        click.option("--id-field", default="id", show_default=True, help="JSONL/Parquet field holding the document id."),
    ]
    options.append(
        click.option("--base", "base_paths", multiple=True, metavar="FILE", help="Known template/boilerplate file whose text never counts as copied (repeatable).")
    )
    for option in reversed(options):
        func = option(func)
    return func


def config_from(opts: dict[str, Any]) -> ScanConfig:
    """The scan config of a command's options (those of ``config.OPTIONS`` it has)."""
    from neardup.config import OPTIONS, ScanConfig

    return ScanConfig.from_options(**{o.name: opts.get(o.name) for o in OPTIONS if o.name in opts})


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
        for key, value in out[name].items():  # a bad value names the file and key, not a flag
            try:
                params[key].type_cast_value(click.Context(cmd), value)
            except click.BadParameter as err:
                table = f"[{name}] " if key in settings.get(name, {}) or key.replace("_", "-") in settings.get(name, {}) else ""
                raise NeardupError(f"{source}: {table}{key.replace('_', '-')} = {value!r}: {err.message}") from None
    unknown = sorted(k for k in shared if k.replace("-", "_") not in known)
    if unknown:
        raise NeardupError(f"{source}: unknown setting {unknown[0]!r}; use the name of a command-line flag, e.g. max-copied")
    return out


@cli.command("scan")
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True, help="Report format (html: one self-contained page).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the report here instead of stdout.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Text format: show at most this many clusters.")
@click_option(next(o for o in _options() if o.name == "detail"))
@click.option(
    "-j", "--jobs", type=click.IntRange(0), default=0, show_default=True,
    help="Worker processes for corpora over ~12 MB, a keyword helper from ~1.5 MB (0: one per CPU; 1: none); the report is the same for any number.",
)  # fmt: skip
@scan_options
@handle_errors
def scan_command(
    paths: tuple[str, ...], fmt: str, output: str | None, limit: int | None, detail: str | None, jobs: int, **opts: Any
) -> None:
    """Report clusters of near-duplicate passages in PATHS.

    PATHS are files, folders (recursed), globs, '-' for stdin, or .jsonl files whose
    lines are objects with 'id' and 'text'.
    """
    from neardup.report import render_html, render_json, render_text, write_json
    from neardup.scan import scan

    config = config_from({**opts, "detail": detail})
    read = read_paths(paths, text_field=opts["text_field"], id_field=opts["id_field"])
    base = read_paths(opts["base_paths"], text_field=opts["text_field"], id_field=opts["id_field"]) if opts["base_paths"] else None
    for warning in [*read.warnings, *(base.warnings if base else [])]:
        click.echo(f"neardup: warning: {warning}", err=True)
    with progress_bar() as progress:
        result = scan(
            read.documents, config=config, jobs=jobs, progress=progress, warnings=read.warnings, base=base.documents if base else ()
        )
    if fmt == "json" and output not in (None, "-"):
        stream_output(lambda fh: write_json(result, fh), output)
        return
    if fmt == "json":
        text = render_json(result)
    elif fmt == "html":
        text = render_html(result)
    else:
        text = render_text(result, limit=limit)
    write_output(text, output)


@cli.command("gate")
@click.argument("submissions", nargs=-1, required=True)
@click.option("--against", "against", multiple=True, required=True, help="Reference corpus: a stored index (SQLite file or redis:// URL), or files, folders, globs (repeatable).")
@click.option("--cross", is_flag=True, default=False, help="Also compare the submissions with each other.")
@click.option("--max-copied", type=click.FloatRange(0, 1), default=0.3, show_default=True, help="Fail above this share of copied text (all sources together).")
@click.option("--max-span", type=click.IntRange(0), default=200, show_default=True, help="Fail when a copied span is longer than this many characters.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), default=None, help="Accepted findings (from --write-baseline) that do not fail.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), default=None, help="Record today's findings as accepted, then exit 0.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit", "github", "sarif"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the report here instead of stdout.")
@scan_options
@handle_errors
def gate_command(
    submissions: tuple[str, ...],
    against: tuple[str, ...],
    cross: bool,
    max_copied: float,
    max_span: int,
    baseline_file: str | None,
    write_baseline: str | None,
    fmt: str,
    output: str | None,
    **opts: Any,
) -> None:
    """Fail (exit 1) when SUBMISSIONS copy from the reference corpus.

    Exit codes: 0 every submission passes, 1 at least one copies, 2 usage or input error.
    """
    from neardup.gate import Baseline, GateConfig, find_all_copies, judge_all, read_references
    from neardup.report.gate import render_gate

    config = GateConfig(max_copied=max_copied, max_span=max_span, cross=cross)
    read_opts = {"text_field": opts["text_field"], "id_field": opts["id_field"]}
    subs = read_paths(submissions, **read_opts)
    refs = read_references(against, **read_opts)
    bases = read_paths(opts["base_paths"], **read_opts) if opts["base_paths"] else None
    for warning in subs.warnings + list(refs.skipped) + (bases.warnings if bases else []):
        click.echo(f"neardup: warning: {warning}", err=True)
    if not subs.documents:
        raise NeardupError("no readable submission: give text files to check")
    baseline = Baseline.from_json(_read_text(baseline_file), baseline_file) if baseline_file else None
    findings = find_all_copies(
        subs.documents, refs, base=bases.documents if bases else (), config=config,
        scan_config=config_from(opts), index_options={**index_options(opts), "boilerplate_docs": opts.get("boilerplate_docs")},
    )  # fmt: skip
    if write_baseline:
        write_output(Baseline.from_findings(findings).to_json(), write_baseline)
        click.echo(f"neardup: wrote {_count(len(findings), 'accepted finding')} to {write_baseline}", err=True)
        return
    verdicts = judge_all(subs.documents, findings, config, baseline)
    write_output(render_gate(verdicts, config, fmt, skipped=refs.skipped), output)
    if not all(v.passed for v in verdicts):
        sys.exit(EXIT_FOUND)


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError) as err:
        raise NeardupError(f"{path}: cannot read ({err})") from None


# --------------------------------------------------------------------------- neardup index


def index_options(opts: dict[str, Any]) -> dict[str, Any]:
    """The options an index stores, as given on the command line (None = the index's own value)."""
    from neardup.store.params import STORED

    return {o.name: opts.get(o.name) for o in STORED}


@cli.group("index")
def index_group() -> None:
    """Keep a corpus in a persistent index and check new texts against it.

    INDEX is a file (SQLite, created by `index add`) or redis://HOST:PORT/DB?basename=NAME.
    """


@index_group.command("add")
@click.argument("index")
@click.argument("paths", nargs=-1, required=True)
@scan_options
@click.option("--no-text", is_flag=True, help="Store offsets only, not the original texts (new index only).")
@click.option("--skip-existing", is_flag=True, help="Skip documents whose id is already in the index.")
@click.option("--batch-size", type=click.IntRange(1), default=64, show_default=True, help="Documents per transaction.")
@click.option("--skip-near-copies", is_flag=True, help="Do not store a document that is a near-copy of a stored one (as `neardup dedup` decides); say which.")
@handle_errors
def index_add(
    index: str, paths: tuple[str, ...], no_text: bool, skip_existing: bool, batch_size: int, skip_near_copies: bool, **opts: Any
) -> None:
    """Add the documents in PATHS to INDEX (created on first use) and report their clusters.

    Options such as --ngram set the parameters of a new index; given for an existing
    one, they must equal its own (exit 2 otherwise).
    """
    from neardup.report.index import render_added
    from neardup.store import Index

    read = read_paths(paths, text_field=opts["text_field"], id_field=opts["id_field"])
    for warning in read.warnings:
        click.echo(f"neardup: warning: {warning}", err=True)
    with Index.open(index, keep_text=False if no_text else None, **index_options(opts)) as idx:
        with progress_bar() as progress:
            handled = idx.add_many(
                read.documents, progress=progress, batch_size=batch_size, skip_existing=skip_existing, skip_near_copies=skip_near_copies
            )
        click.echo(render_added(handled, len(read.documents), len(idx)), nl=False)


@index_group.command("query")
@click.argument("index")
@click.argument("files", nargs=-1, required=True)
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=None, help="Passage Jaccard to report (at least the index's) [default: the index's].")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
@click.option("--text-field", default="text", show_default=True, help="JSONL field holding the text.")
@click.option("--id-field", default="id", show_default=True, help="JSONL field holding the document id.")
@handle_errors
def index_query(index: str, files: tuple[str, ...], threshold: float | None, fmt: str, text_field: str, id_field: str) -> None:
    """Check FILES against INDEX: exit 1 when some file reuses a stored document, 0 when none does."""
    from neardup.report.index import render_matches
    from neardup.store import Index

    read = read_paths(files, text_field=text_field, id_field=id_field)
    skipped = [w for w in read.warnings if not w.endswith(": empty file")]
    if skipped:
        raise NeardupError(skipped[0])
    found = False
    results = []
    with Index.open(index, create=False, check=True) as idx:
        if len(idx) == 0:  # a check with nothing to check against must not say "no match"
            raise UnusableReferenceError(f"{idx.location}: the index holds no documents; add some with `neardup index add`")
        for doc in read.documents:
            matches = idx.query(doc.text, threshold=threshold)
            found = found or bool(matches)
            results.append((doc.id, matches))
        idx.check()
    click.echo(render_matches(idx.location, results, fmt), nl=False)
    sys.exit(EXIT_FOUND if found else 0)


@index_group.command("remove")
@click.argument("index")
@click.argument("ids", nargs=-1, required=True)
@handle_errors
def index_remove(index: str, ids: tuple[str, ...]) -> None:
    """Remove the documents IDS from INDEX (all or none: an unknown id removes nothing)."""
    from neardup.store import Index

    with Index.open(index, create=False) as idx:
        idx.remove_many(ids)
        click.echo(f"neardup: removed {_count(len(set(ids)), 'document')}; the index holds {_count(len(idx), 'document')}")


@index_group.command("stats")
@click.argument("index")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format.")
@handle_errors
def index_stats(index: str, fmt: str) -> None:
    """Show the size and parameters of INDEX."""
    from neardup.report.index import render_stats
    from neardup.store import Index

    with Index.open(index, create=False) as idx:
        s = idx.stats()
    click.echo(render_stats(s, fmt), nl=False)


@index_group.command("clusters")
@click.argument("index")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Report format (JSON: schema neardup.scan/3).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the report here instead of stdout.")
@click.option("--limit", type=click.IntRange(1), default=None, help="Text format: show at most this many clusters.")
@handle_errors
def index_clusters(index: str, fmt: str, output: str | None, limit: int | None) -> None:
    """List the clusters of INDEX with their stable ids, as `neardup scan` reports them."""
    from neardup.report import render_json, render_text
    from neardup.store import Index

    with Index.open(index, create=False) as idx:
        result = idx.report()
    text = render_json(result) if fmt == "json" else render_text(result, limit=limit)
    write_output(text, output)


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
@click.option("--minhash-scheme", type=click.Choice(["bucketed", "affine32"]), default=None, help="bucketed (fast) or affine32 (datasketch's MinHash, bit for bit) [default: bucketed].")
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

    from neardup.calibrate import calibrate, plot_png
    from neardup.read import read_pairs
    from neardup.report.calibrate import render_calibration

    try:
        sizes = [int(x) for x in ngrams.split(",") if x.strip()]
    except ValueError:
        raise NeardupError(f"--ngrams must be comma-separated whole numbers, e.g. 3,4,5, got {ngrams!r}") from None
    if not sizes or not all(1 <= n <= 32 for n in sizes):
        raise NeardupError(f"--ngrams must list shingle sizes in [1, 32], got {ngrams!r}")
    pairs = read_pairs(pairs_file)
    result = calibrate(pairs, config=config_from(opts), ngrams=sizes)
    if plot:
        png = plot_png(result)
        try:
            Path(plot).write_bytes(png)
        except OSError as err:
            raise NeardupError(f"{plot}: cannot write the plot ({err.strerror})") from None
    write_output(render_calibration(result, fmt), output)


@cli.command("dedup")
@click.argument("paths", metavar="INPUT...", nargs=-1, required=True)
@click.option("-o", "--output", default=None, help="Where the survivors go: a file for Parquet and JSONL (.gz: gzipped), a new folder for text files.")
@click.option("--keep", type=click.Choice(["first", "longest", "shortest"]), default="first", show_default=True,
              help="Which copy survives (after --order-by): the first by id, the longest or the shortest.")
@click.option("--order-by", metavar="FIELD", default=None, help="JSONL/Parquet field ordering the copies: the smallest value (the oldest date) survives.")
@click.option("--min-share", type=click.FloatRange(0, 1, min_open=True), default=None,
              help="Share of a document's content shared with a kept one that makes it a near-copy [default: 0.6].")
@click.option("--removed", "removed_file", type=click.Path(dir_okay=False), default=None,
              help="Write every removed id (and, with --passages, every cut) as JSONL here.")
@click.option("--passages", is_flag=True, help="Cut repeated passages (the first occurrence stays) instead of removing whole documents.")
@click.option("--drop-boilerplate", is_flag=True, help="With --passages: also cut boilerplate (page chrome, stock phrases, --base text).")
@click.option("--dry-run", is_flag=True, help="Count only: write no output.")
@click.option("-j", "--jobs", type=click.IntRange(0), default=0, show_default=True, help="Worker processes for corpora over ~12 MB (0: one per CPU).")
@scan_options
@handle_errors
def dedup_command(
    paths: tuple[str, ...],
    output: str | None,
    keep: str,
    order_by: str | None,
    min_share: float | None,
    removed_file: str | None,
    passages: bool,
    drop_boilerplate: bool,
    dry_run: bool,
    jobs: int,
    **opts: Any,
) -> None:
    """Write INPUT without its near-duplicates, in its own format (Parquet, JSONL, text files).

    One document of every group of near-copies survives, with all its other fields; the
    summary goes to stderr. Exit codes: 0 done, 2 usage or input error (no output written).
    """
    from neardup.dedup import DEFAULT_MIN_SHARE, dedup
    from neardup.report.dedup import render_removed, render_summary
    from neardup.write import output_kind, write_survivors

    if output is None and not dry_run:
        raise NeardupError("give -o OUTPUT for the deduplicated corpus, or --dry-run to count only")
    kind = output_kind(paths)
    if order_by and kind == "text":
        raise NeardupError(f"--order-by {order_by}: text files have no fields; give JSONL or Parquet records")
    fields = {"text_field": opts["text_field"], "id_field": opts["id_field"]}
    read = read_paths(paths, **fields, fields=[order_by] if order_by else ())
    base = read_paths(opts["base_paths"], **fields) if opts["base_paths"] else None
    for warning in [*read.warnings, *(base.warnings if base else [])]:
        click.echo(f"neardup: warning: {warning}", err=True)
    order = {doc_id: values.get(order_by) for doc_id, values in read.fields.items()} if order_by else None
    with progress_bar() as progress:
        result = dedup(
            read.documents,
            keep=keep,  # type: ignore[arg-type]
            order_by=order,
            min_share=DEFAULT_MIN_SHARE if min_share is None else min_share,
            passages=passages,
            drop_boilerplate=drop_boilerplate,
            config=config_from(opts),
            jobs=jobs,
            progress=progress,
            base=base.documents if base else (),
        )
    if not dry_run and output is not None:
        write_survivors(paths, output, set(result.kept), result.texts, **fields)
    if removed_file:
        write_output(render_removed(result, {d.id: d.text for d in read.documents} if passages else None), removed_file)
    click.echo(render_summary(result, dry_run=dry_run), err=True)


@cli.command("spark-scan")
@click.argument("input_path", metavar="INPUT")
@click.argument("output", metavar="OUTPUT")
@click.option("--input-format", type=click.Choice(["auto", "jsonl", "parquet"]), default="auto", show_default=True, help="auto: Parquet if INPUT ends in .parquet, else JSONL.")
@click.option("--output-format", type=click.Choice(["auto", "jsonl", "parquet"]), default="auto", show_default=True, help="auto: Parquet if OUTPUT ends in .parquet, else JSONL.")
@click.option("--master", default=None, help="Spark master when not run by spark-submit, e.g. local[4].")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT (and the --dedup folder) if it exists.")
@click.option("--dedup", "dedup_output", default=None, metavar="FOLDER",
              help="Also write the survivors of deduplication there as Parquet (the same as `neardup dedup`).")
@click.option("--keep", type=click.Choice(["first", "longest", "shortest"]), default="first", show_default=True, help="With --dedup: which copy survives.")
@click.option("--order-by", metavar="FIELD", default=None, help="With --dedup: the column ordering the copies (Parquet input); the smallest value survives.")
@click.option("--min-share", type=click.FloatRange(0, 1, min_open=True), default=None, help="With --dedup: as for `neardup dedup` [default: 0.6].")
@scan_options
@handle_errors
def spark_scan_command(
    input_path: str,
    output: str,
    input_format: str,
    output_format: str,
    master: str | None,
    overwrite: bool,
    dedup_output: str | None,
    keep: str,
    order_by: str | None,
    min_share: float | None,
    **opts: Any,
) -> None:
    """Scan INPUT on Apache Spark and write its clusters to OUTPUT.

    INPUT is JSONL (one {"id": ..., "text": ...} object a line) or Parquet, files or a
    folder, on any file system Spark reads. OUTPUT is a folder of part files, one cluster
    a row, with the fields of a cluster in the JSON report. Run it with spark-submit, or
    directly for Spark's local mode. Needs pip install 'neardup[spark]'.
    """
    config = config_from(opts)
    from neardup import spark
    from neardup.dedup import DEFAULT_MIN_SHARE, DedupConfig

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
        dedup_output=dedup_output,
        dedup_config=DedupConfig(keep=keep, min_share=DEFAULT_MIN_SHARE if min_share is None else min_share),  # type: ignore[arg-type]
        order_by=order_by,
    )
    click.echo(
        f"neardup: {_count(summary['documents'], 'document')}, {_count(summary['passages'], 'passage')}, "
        f"{_count(summary['clusters'], 'cluster')}, {_count(summary['duplicated_chars'], 'duplicated char')} -> {output}"
    )
    if dedup_output:
        click.echo(f"neardup dedup: {summary['documents'] - summary['removed']:,} kept, {summary['removed']:,} removed -> {dedup_output}")


def main() -> None:
    """The console command: runs ``cli`` and exits without tearing the interpreter down.

    Tearing down after a scan took 0.25-0.3 s, most of a small scan's fixed cost: the
    numba kernels' compiled code is disposed of one module at a time, and every object
    still alive is freed. Output is flushed and the exit handlers run first (the worker
    pools are closed by then); with another thread still running (a library user's), the
    exit is the usual one.
    """
    try:
        cli(prog_name="neardup")
    except SystemExit as done:
        code = done.code
    else:  # pragma: no cover - click always ends with SystemExit in standalone mode
        code = 0
    _exit(code)


def _exit(code: int | str | None) -> None:
    import atexit
    import threading

    if isinstance(code, str):
        click.echo(code, err=True)
        code = 1
    run_handlers = getattr(atexit, "_run_exitfuncs", None)
    others = [t for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon]
    if run_handlers is None or others:
        sys.exit(code)
    run_handlers()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more to say
            pass
    os._exit(code or 0)


if __name__ == "__main__":
    main()
