"""Sweep neardup's knobs over the quality datasets; one markdown row per setting.

    python -m benchmarks.quality.sweep --ngram 2,3,4,5,6 --threshold 0.2:0.8:0.1
    python -m benchmarks.quality.sweep --min-chars 10,20,30,40,60,80 --max-chars 200,400,800
    python -m benchmarks.quality.sweep --num-perm 64,128,256 --lsh optimum,oracle

Every list option takes comma-separated values or ``start:stop:step`` (stop included);
the rows are the cartesian product, every other knob at its current default. The
datasets are built once (same ``--limit``/``--seed`` as ``benchmarks.quality.run``) and
every setting runs on the same cases, so rows compare like with like.

Knobs beyond the scan options: ``--fold-variants 1,0`` turns the variant-character fold
of normalisation on or off; ``--lsh oracle`` replaces the banding by one row per band, so
every passage pair sharing a single MinHash value is a candidate: recall is then what
exact verification allows, and the gap to ``optimum`` (datasketch's banding, the scan's)
is what the LSH sieve costs.

Columns: ``b×r`` is the LSH banding ``neardup.candidates.band_params`` picks for the
threshold and ``num_perm``; ``edit`` tang-editions; ``script`` tang-script; ``pass``
tang-passages; ``gen`` generated (``min kind`` is the lowest per-kind plagdet over the
duplicate kinds); ``neg FP`` hard negatives flagged over all datasets without
``neg-chrome`` (shared site footers: boilerplate, a separate feature) and ``chrome`` those
flagged among ``neg-chrome``; ``seeds`` the clusters found in ``examples/seeds`` and ``ok``
when they are exactly the two known copies in 004 (``test_scan``/``test_cli`` check that);
``seed gap`` the highest passage-pair Jaccard below 0.5 and the lowest at or above it,
over every pair of passages in the seed pages: unrelated text below, copies above, and
a threshold inside the gap separates them.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import platform
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from benchmarks.quality import ours, run
from benchmarks.quality.common import REPO_ROOT, Doc

DEFAULT_OUT = REPO_ROOT / "benchmarks" / "out" / "sweep.json"
SCAN_KNOBS = ("ngram", "threshold", "num_perm", "min_chars", "max_chars")
KNOBS = (*SCAN_KNOBS, "fold_variants", "lsh")
SEEDS = REPO_ROOT / "examples" / "seeds"
EZHOU = "004_21f10bf9ae509db8.txt"


def parse_values(spec: str, kind: type) -> list[Any]:
    """``"2,3,5"`` or ``"0.2:0.8:0.1"`` (inclusive) -> a list of ``kind``.

    >>> parse_values("0.2:0.5:0.1", float)
    [0.2, 0.3, 0.4, 0.5]
    >>> parse_values("64,128", int)
    [64, 128]
    """
    if ":" in spec:
        start, stop, step = (float(x) for x in spec.split(":"))
        count = int(round((stop - start) / step)) + 1
        return [kind(round(start + i * step, 6)) for i in range(count)]
    return [kind(x) for x in spec.split(",") if x.strip()]


def defaults() -> dict[str, Any]:
    """The knob values of ``ScanConfig()`` in the code being measured."""
    from neardup import ScanConfig

    c = ScanConfig()
    return {
        "ngram": c.shingle.ngram,
        "threshold": c.verify.threshold,
        "num_perm": c.signature.num_perm,
        "min_chars": c.passages.min_chars,
        "max_chars": c.passages.max_chars,
        "fold_variants": int(c.normalize.fold_variants),
        "lsh": "optimum",
    }


def settings(args: argparse.Namespace) -> list[dict[str, Any]]:
    base = defaults()
    lists = {}
    for knob in KNOBS:
        spec = getattr(args, knob)
        kind = float if knob == "threshold" else str if knob == "lsh" else int
        lists[knob] = parse_values(spec, kind) if spec else [base[knob]]
    return [dict(zip(KNOBS, combo)) for combo in itertools.product(*(lists[k] for k in KNOBS))]


def scan_config(options: dict[str, Any]) -> Any:
    from neardup import ScanConfig

    config = ScanConfig.from_options(**{k: options[k] for k in SCAN_KNOBS})
    return replace(config, normalize=replace(config.normalize, fold_variants=bool(options["fold_variants"])))


@contextlib.contextmanager
def lsh_mode(mode: str) -> Iterator[None]:
    """``optimum``: the scan's banding; ``oracle``: one row per band (every pair sharing a
    MinHash value is a candidate), so only exact verification decides."""
    import importlib

    if mode not in ("optimum", "oracle"):
        raise SystemExit(f"--lsh must be optimum or oracle, got {mode!r}")
    if mode == "optimum":
        yield
        return
    # scan binds its own name (it works the banding out once and hands it to workers), so
    # patching candidates alone would leave the scan on the optimum banding. import_module:
    # the attribute ``neardup.scan`` is the function, not the module.
    modules = [importlib.import_module(name) for name in ("neardup.candidates", "neardup.scan")]
    saved = [getattr(module, "band_params") for module in modules]
    for module in modules:
        setattr(module, "band_params", lambda threshold, num_perm: (num_perm, 1))
    try:
        yield
    finally:
        for module, original in zip(modules, saved):
            setattr(module, "band_params", original)


def method_for(options: dict[str, Any]) -> run.Method:
    config = scan_config(options)

    def method(docs: Sequence[Doc]) -> run.Output:
        from neardup import Document, scan

        clusters = ours.claimed_clusters(scan([Document(id=d.id, text=d.text) for d in docs], config=config))
        return run.Output(ours.pairs_from_clusters(clusters), ours.detections_from_clusters(clusters))

    return method


def seeds_check(options: dict[str, Any]) -> tuple[int, bool]:
    """Clusters in the seed pages, and whether they are exactly the two known copies in 004."""
    from neardup import read_paths, scan

    result = scan(read_paths([str(SEEDS)]).documents, config=scan_config(options))
    known = 0
    for cluster in result.clusters:
        members = cluster.members
        if len(members) == 2 and all(m.doc_id.endswith(EZHOU) for m in members):
            text = members[0].text + members[1].text
            known += ("鄂州" in text) or ("靈魂" in text)
    return len(result.clusters), known == 2 and len(result.clusters) == 2


@lru_cache(maxsize=None)
def seed_gap(ngram: int, min_chars: int, max_chars: int, fold_variants: int) -> tuple[float, float]:
    """Highest passage-pair Jaccard below 0.5 and lowest at or above it, all seed passages."""
    from neardup import read_paths
    from neardup.scan import prepare
    from neardup.verify import similarity

    options = {**defaults(), "ngram": ngram, "min_chars": min_chars, "max_chars": max_chars,
               "fold_variants": fold_variants}
    docs = sorted(read_paths([str(SEEDS)]).documents, key=lambda d: d.id)
    table = prepare(docs, scan_config(options))
    sets = [table.shingles(i) for i in range(len(table.passages))]
    below, above = 0.0, 1.0
    for i, j in itertools.combinations(range(len(sets)), 2):
        pi, pj = table.passages[i], table.passages[j]
        if pi.doc == pj.doc and pi.start < pj.end and pj.start < pi.end:
            continue
        jac = similarity(sets[i], sets[j])[0]
        if jac < 0.5:
            below = max(below, jac)
        else:
            above = min(above, jac)
    return below, above


def _negatives(results: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """Hard negatives flagged (all datasets, without neg-chrome) and neg-chrome flagged."""
    flagged = total = chrome_flagged = chrome_total = 0
    for name, r in results.items():
        if name == "generated":
            for kind, k in r["by_kind"].items():
                if not kind.startswith("neg-"):
                    continue
                p = k["pairs"]
                if kind == "neg-chrome":
                    chrome_flagged += p["fp"]
                    chrome_total += p["fp"] + p["tn"]
                else:
                    flagged += p["fp"]
                    total += p["fp"] + p["tn"]
        else:
            p = r["pairs"]
            flagged += p["fp"]
            total += p["fp"] + p["tn"]
    return f"{flagged}/{total}", f"{chrome_flagged}/{chrome_total}"


def measure(datasets: list[run.Dataset], options: dict[str, Any]) -> dict[str, Any]:
    from neardup.candidates import band_params

    bands, rows = band_params(options["threshold"], options["num_perm"])
    method = method_for(options)
    with lsh_mode(options["lsh"]):
        started = time.perf_counter()
        results = {d.name: run.evaluate(d, method) for d in datasets}
        seconds = time.perf_counter() - started
        clusters, ok = seeds_check(options)
        if options["lsh"] == "oracle":
            bands, rows = options["num_perm"], 1
    neg, chrome = _negatives(results)
    gap = seed_gap(options["ngram"], options["min_chars"], options["max_chars"], options["fold_variants"])
    return {
        "options": options,
        "bands": bands,
        "rows": rows,
        "results": results,
        "neg": neg,
        "chrome": chrome,
        "seed_clusters": clusters,
        "seeds_ok": ok,
        "seed_gap": gap,
        "seconds": seconds,
    }


def _min_kind(r: dict[str, Any]) -> float:
    values = [k["spans"]["plagdet"] for kind, k in r["by_kind"].items() if "spans" in k]
    return min(values) if values else float("nan")


HEADER = (
    "| ngram | threshold | num_perm | b×r | min_chars | max_chars | variants | edit P | edit R | edit F1 | script R "
    "| pass R | pass plagdet | gen F1 | gen plagdet | min kind | neg FP | chrome | seeds | seed gap | s |"
)


def row(m: dict[str, Any]) -> str:
    o, r = m["options"], m["results"]

    def get(name: str, *path: str) -> str:
        node: Any = r.get(name)
        for key in path:
            if node is None:
                return "–"
            node = node.get(key)
        return "–" if node is None else f"{node:.3f}"

    gen = r.get("generated")
    low, high = m["seed_gap"]
    cells = [
        o["ngram"], f"{o['threshold']:.2f}", o["num_perm"], f"{m['bands']}×{m['rows']}", o["min_chars"], o["max_chars"],
        "on" if o["fold_variants"] else "off",
        get("tang-editions", "pairs", "precision"), get("tang-editions", "pairs", "recall"),
        get("tang-editions", "pairs", "f1"), get("tang-script", "pairs", "recall"),
        get("tang-passages", "pairs", "recall"), get("tang-passages", "spans", "plagdet"),
        get("generated", "pairs", "f1"), get("generated", "spans", "plagdet"),
        f"{_min_kind(gen):.3f}" if gen else "–", m["neg"], m["chrome"],
        f"{m['seed_clusters']} {'ok' if m['seeds_ok'] else 'NO'}", f"{low:.2f}–{high:.2f}", f"{m['seconds']:.1f}",
    ]
    return "| " + " | ".join(str(c) for c in cells) + " |"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.sweep", description=__doc__.splitlines()[0])
    for knob in KNOBS:
        parser.add_argument("--" + knob.replace("_", "-"), dest=knob, help=f"{knob} values (default: the current default)")
    parser.add_argument("--limit", type=int, default=2000, help="Tang positive pairs to sample (0 = all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--volumes", type=int, default=10)
    parser.add_argument("--per-kind", type=int, default=20)
    parser.add_argument("--datasets", help="comma-separated subset of dataset names")
    parser.add_argument("--archive", type=Path)
    parser.add_argument("--cache", type=Path, default=run.DEFAULT_CACHE)
    parser.add_argument("--seeds-dir", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON with every row's full results")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    error = ours.neardup_import_error()
    if error:
        print(f"neardup is not importable: {error}", file=sys.stderr)
        return 2
    datasets, notes = run.build_datasets(args)
    if args.datasets:
        wanted = set(args.datasets.split(","))
        datasets = [d for d in datasets if d.name in wanted]
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(HEADER)
    print("|" + "---:|" * (HEADER.count("|") - 1))
    rows = []
    for options in settings(args):
        m = measure(datasets, options)
        rows.append(m)
        print(row(m), flush=True)
    report = {
        "argv": list(argv) if argv is not None else sys.argv[1:],
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "processor": platform.processor(),
        "neardup": ours.neardup_origin(),
        "defaults": defaults(),
        "rows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nwrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
