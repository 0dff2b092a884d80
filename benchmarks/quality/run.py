"""Run every quality dataset through neardup and the baselines; print a table, write JSON.

    python -m benchmarks.quality.run [--limit N] [--seed S] [--out FILE]

Datasets (each is a list of groups; a method is run once per group, on the documents of
that group only, and timed):

* ``tang-editions``: N poet.tang/御定 positive pairs + same-author hard negatives, all in
  one corpus (the realistic setting for an LSH index);
* ``tang-script``: 水墨唐诗 (simplified) vs the traditional record + negatives, one corpus;
* ``tang-passages``: poems against whole 御定 volumes, one corpus per volume, with spans;
* ``generated``: transformed seed/poem text with exact spans, one corpus per case, so
  reuse between two cases can never blur a label.

Pair precision counts only labelled pairs (see ``metrics.pair_scores``); plagdet is given
for the span datasets. Baselines report pairs only, so for plagdet a baseline's pair is
taken as a detection covering both whole documents; that is what a document-level
method claims.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.quality import baselines, generate, metrics, ours, tang
from benchmarks.quality.common import DEFAULT_CACHE, REPO_ROOT, Case, Detection, Doc, Pair, unique_docs

DEFAULT_OUT = REPO_ROOT / "benchmarks" / "out" / "quality.json"


@dataclass
class Dataset:
    name: str
    groups: list[list[Case]]
    spans: bool
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def cases(self) -> list[Case]:
        return [c for g in self.groups for c in g]


@dataclass
class Output:
    """What a method says about one corpus."""

    pairs: set[Pair]
    detections: list[Detection] | None = None
    candidates: set[Pair] | None = None


Method = Callable[[Sequence[Doc]], Output]


def baseline_method(fn: Callable[[Sequence[Doc]], baselines.BaselineResult]) -> Method:
    """A document-level baseline; its detections are whole-document spans."""

    def run(docs: Sequence[Doc]) -> Output:
        result = fn(docs)
        length = {d.id: len(d.text) for d in docs}
        detections = [Detection(x, 0, length[x], y, 0, length[y]) for x, y in sorted(result.predicted)]
        return Output(result.predicted, detections, result.candidates)

    return run


def ours_method(**options: Any) -> Method:
    def run(docs: Sequence[Doc]) -> Output:
        pairs, detections = ours.run_neardup_spans(docs, **options)
        return Output(pairs, detections)

    return run


def evaluate(dataset: Dataset, method: Method) -> dict[str, Any]:
    """Run a method over every group of a dataset and score the union of its outputs."""
    pairs: set[Pair] = set()
    candidates: set[Pair] = set()
    detections: list[Detection] = []
    seconds = 0.0
    has_candidates = False
    for group in dataset.groups:
        docs = unique_docs(group)
        start = time.perf_counter()
        out = method(docs)
        seconds += time.perf_counter() - start
        pairs |= out.pairs
        if out.candidates is not None:
            has_candidates = True
            candidates |= out.candidates
        detections += out.detections or []
    cases = dataset.cases
    result: dict[str, Any] = {"seconds": seconds, "pairs": metrics.pair_scores(pairs, cases).to_dict()}
    if has_candidates:
        result["candidate_recall"] = metrics.pair_scores(candidates, cases).recall
    if dataset.spans:
        truth = metrics.case_annotations(cases)
        result["spans"] = metrics.span_scores(truth, metrics.orient(detections, cases)).to_dict()
    kinds = sorted({c.kind for c in cases})
    if dataset.name == "generated":
        result["by_kind"] = {k: _kind_scores(k, cases, pairs, detections, dataset.spans) for k in kinds}
    return result


def _kind_scores(
    kind: str, cases: list[Case], pairs: set[Pair], detections: list[Detection], spans: bool
) -> dict[str, Any]:
    """Scores restricted to one kind's cases (and to detections between their documents)."""
    subset = [c for c in cases if c.kind == kind]
    keys = {c.pair for c in subset}
    out: dict[str, Any] = {"pairs": metrics.pair_scores(pairs & keys, subset).to_dict()}
    if spans and any(c.duplicate for c in subset):
        mine = [d for d in metrics.orient(detections, subset) if tuple(sorted((d.a_id, d.b_id))) in keys]
        out["spans"] = metrics.span_scores(metrics.case_annotations(subset), mine).to_dict()
    return out


def build_datasets(args: argparse.Namespace) -> tuple[list[Dataset], list[str]]:
    """All datasets the available data allows; notes say what was left out and why."""
    notes: list[str] = []
    datasets: list[Dataset] = []
    poems: list[str] = []
    try:
        editions = tang.load_editions(args.archive, args.cache)
    except FileNotFoundError as exc:
        notes.append(f"Tang datasets skipped: {exc}")
        editions = None
    if editions is not None:
        works = tang.match_editions(editions.poet_tang, editions.yuding)
        limit = args.limit or None
        pair_cases = tang.tang_pair_cases(works, args.seed, limit)
        datasets.append(Dataset("tang-editions", [pair_cases], False, {
            "matched_works": len(works),
            "positives": sum(c.duplicate for c in pair_cases),
            "negatives": sum(not c.duplicate for c in pair_cases),
            "char5_jaccard": tang.jaccard_profile(pair_cases),
        }))
        script = tang.script_pair_cases(editions, args.seed)
        datasets.append(Dataset("tang-script", [script], False, {
            "positives": sum(c.duplicate for c in script),
            "negatives": sum(not c.duplicate for c in script),
            "char5_jaccard": tang.jaccard_profile(script),
        }))
        groups = tang.passage_groups(works, editions.yuding, args.seed, args.volumes)
        flat = [c for g in groups for c in g]
        datasets.append(Dataset("tang-passages", groups, True, {
            "volumes": [g[0].b.id for g in groups],
            "positives": sum(c.duplicate for c in flat),
            "negatives": sum(not c.duplicate for c in flat),
        }))
        poems = [w.pt_text for w in works]
    material = generate.load_material(args.seeds_dir, poems)
    gen_cases = generate.generate(material, args.seed, args.per_kind)
    datasets.append(Dataset("generated", [[c] for c in gen_cases], True, {
        "cases": len(gen_cases),
        "per_kind": args.per_kind,
        "poem_material": bool(poems),
    }))
    return datasets, notes


def methods(args: argparse.Namespace) -> tuple[dict[str, Method], list[str]]:
    chosen: dict[str, Method] = {}
    notes: list[str] = []
    wanted = set(args.methods.split(",")) if args.methods else None
    if wanted is None or "neardup" in wanted:
        error = ours.neardup_import_error()
        if error is None:
            extra = {"containment": False} if args.no_containment else {}
            chosen["neardup"] = ours_method(threshold=args.threshold, ngram=args.ngram, **extra)
        else:
            notes.append(f"neardup skipped (not importable: {error})")
    for name, fn in baselines.BASELINES.items():
        if wanted is None or name in wanted:
            chosen[name] = baseline_method(_configured(name, fn, args))
    return chosen, notes


def _configured(name: str, fn: Callable[..., baselines.BaselineResult], args: argparse.Namespace) -> Callable[[Sequence[Doc]], baselines.BaselineResult]:
    if name == "simhash":
        return lambda docs: fn(docs, k=args.simhash_k)
    return lambda docs: fn(docs, threshold=args.baseline_threshold)


def markdown_table(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    """One row per dataset and method. Precision is ``–`` when the method flagged no
    labelled pair at all (undefined, not zero)."""
    rows = ["| dataset | method | precision | recall | F1 | plagdet | seconds |", "|---|---|---:|---:|---:|---:|---:|"]
    for dataset, by_method in results.items():
        for method, r in by_method.items():
            p = r["pairs"]
            prec = f"{p['precision']:.3f}" if p["tp"] + p["fp"] else "–"
            plag = f"{r['spans']['plagdet']:.3f}" if "spans" in r else "–"
            rows.append(
                f"| {dataset} | {method} | {prec} | {p['recall']:.3f} | {p['f1']:.3f} | {plag} | {r['seconds']:.2f} |"
            )
    return "\n".join(rows)


def kind_table(by_method: dict[str, dict[str, Any]]) -> str:
    """Per-kind recall (duplicate kinds) and false-positive rate (negative kinds)."""
    rows = ["| kind | method | recall / FP rate | plagdet |", "|---|---|---:|---:|"]
    for method, r in by_method.items():
        for kind, k in r.get("by_kind", {}).items():
            p = k["pairs"]
            value = f"FP {p['false_positive_rate']:.2f}" if kind.startswith("neg-") else f"R {p['recall']:.2f}"
            plag = f"{k['spans']['plagdet']:.3f}" if "spans" in k else "–"
            rows.append(f"| {kind} | {method} | {value} | {plag} |")
    return "\n".join(rows)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.run", description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=2000, help="Tang positive pairs to sample (0 = all ~29.5k)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    parser.add_argument("--volumes", type=int, default=10, help="御定 volumes for the passage test")
    parser.add_argument("--per-kind", type=int, default=20, help="generated cases per kind")
    parser.add_argument("--threshold", type=float, help="neardup's Jaccard threshold (default: neardup's default)")
    parser.add_argument("--ngram", type=int, help="neardup's shingle size (default: neardup's default)")
    parser.add_argument("--no-containment", action="store_true", help="neardup without containment candidates (issue 14's before)")
    parser.add_argument("--baseline-threshold", type=float, default=0.5,
                        help="Jaccard threshold of the MinHash baselines (0.5: how they are usually run)")
    parser.add_argument("--simhash-k", type=int, default=3, help="Hamming distance cutoff for simhash")
    parser.add_argument("--methods", help="comma-separated subset, e.g. neardup,minhash-char5")
    parser.add_argument("--by-kind", action="store_true", help="also print the per-kind table for generated")
    parser.add_argument("--archive", type=Path, help="zh-poetry-tang-editions.tar.xz (default: shared/data)")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where the archive is unpacked")
    parser.add_argument("--seeds-dir", type=Path, help="seed pages (default: examples/seeds)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    datasets, notes = build_datasets(args)
    chosen, method_notes = methods(args)
    notes += method_notes
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for dataset in datasets:
        results[dataset.name] = {name: evaluate(dataset, method) for name, method in chosen.items()}
    report = {
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "neardup": ours.neardup_origin() if "neardup" in chosen else None,
        "datasets": {d.name: d.stats for d in datasets},
        "results": results,
        "notes": notes,
        "total_seconds": time.perf_counter() - started,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(markdown_table(results))
    if args.by_kind and "generated" in results:
        print()
        print(kind_table(results["generated"]))
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"\nwrote {args.out} ({report['total_seconds']:.1f}s total)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
