"""`neardup dedup` on corpora with known copies: quality, time and memory against the scan
and against a document-level datasketch MinHashLSH baseline (the text-dedup recipe).

    python -m benchmarks.dedup --corpus benchmarks/data/c50            # generated corpus
    python -m benchmarks.dedup --corpus benchmarks/data/c300 --jobs 2
    python -m benchmarks.dedup --tang [--tang-works 5000]               # the Tang editions
    python -m benchmarks.dedup --shares --corpus benchmarks/data/c10k   # the min-share profile

Generated corpora (``python -m benchmarks.generate``) plant copies of seven kinds. Six are
whole-document copies (exact, edit, blank, trad, reorder, mixed): each planted pair must
come out as one document. ``partial`` pastes 3-5 paragraphs into new text: the host is
*not* a copy of the source and must survive (``--passages`` is what removes its pasted
paragraphs). Columns:

* ``pairs reduced``: planted whole-document pairs of which exactly one document survives
  (target >= 95 %);
* ``lost whole``: planted pairs of which neither survives (target 0);
* ``wrong removals``: removed documents whose stated duplicate is not of their family, or
  partial hosts removed, over the documents that are no whole-document copy (target <= 1 %);
* ``x scan``: dedup's wall time over ``neardup scan --detail clusters`` on the same file
  (target <= 1.2).

neardup runs as the real CLI in a subprocess (wall time, peak RSS of its process tree);
the baseline runs in this process: character 5-gram MinHash (128 permutations) per
document, ``MinHashLSH(threshold=0.7)``, union-find over the LSH hits whose estimated
Jaccard reaches the threshold, the smallest id of each component kept (text-dedup's
``minhash`` recipe). The Tang run pairs every work's poet.tang text with its 御定 record
(two editions: variant characters, 繁 forms, dropped couplets).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.perf import PeakRSS, machine, save, table

ROOT = Path(__file__).resolve().parent.parent
WHOLE_KINDS = ("exact", "edit", "blank", "trad", "reorder", "mixed")


# --------------------------------------------------------------------------- corpora


def load_generated(corpus: Path) -> tuple[Path, list[dict[str, str]]]:
    truth = [json.loads(line) for line in (corpus / "truth.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return corpus / "corpus.jsonl", truth


def write_tang(out: Path, works: int | None, seed: int = 0) -> tuple[Path, list[dict[str, str]]]:
    """A JSONL corpus of both editions of ``works`` Tang poems, and the pairs as truth."""
    import random

    from benchmarks.quality.tang import load_editions, match_editions

    editions = load_editions()
    matched = match_editions(editions.poet_tang, editions.yuding)
    if works is not None and works < len(matched):
        matched = random.Random(seed).sample(matched, works)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "tang.jsonl"
    truth = []
    with path.open("w", encoding="utf-8") as fh:
        for w in matched:
            for doc in (w.pt_doc, w.yd_doc):
                fh.write(json.dumps({"id": doc.id, "text": doc.text}, ensure_ascii=False) + "\n")
            truth.append({"copy": w.yd_id, "source": w.pt_id, "kind": "edition"})
    return path, truth


# --------------------------------------------------------------------------- runs


def run_cli(args: list[str]) -> dict[str, Any]:
    """``neardup ARGS`` in a subprocess: wall seconds and peak RSS of its process tree."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "neardup", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with PeakRSS(proc.pid) as rss:
        _, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return {"seconds": wall, "peak_rss_GiB": rss.peak / 2**30, "stderr": err.decode().strip().splitlines()[-1:]}


def datasketch_dedup(path: Path, threshold: float = 0.7, num_perm: int = 128, ngram: int = 5) -> tuple[dict[str, str], float]:
    """text-dedup's MinHash recipe at document level: ``{removed id: kept id}``, seconds."""
    from datasketch import MinHash, MinHashLSH

    start = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sigs: dict[str, Any] = {}
    ids = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            text = re.sub(r"\s+", "", record["text"])
            m = MinHash(num_perm=num_perm)
            m.update_batch([text[i : i + ngram].encode("utf-8") for i in range(max(1, len(text) - ngram + 1))])
            sigs[record["id"]] = m
            ids.append(record["id"])
            lsh.insert(record["id"], m)
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i in ids:
        for j in lsh.query(sigs[i]):
            if j != i and sigs[i].jaccard(sigs[j]) >= threshold:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    removed = {i: find(i) for i in ids if find(i) != i}
    return removed, time.perf_counter() - start


def evaluate(removed: dict[str, str], truth: list[dict[str, str]], documents: int) -> dict[str, Any]:
    """Quality of a removal ``{removed id: id it duplicates}`` against the planted copies."""
    family: dict[str, str] = {}
    for t in truth:
        family[t["copy"]] = family.get(t["source"], t["source"])
    root = lambda d: family.get(d, d)  # noqa: E731
    whole = [t for t in truth if t["kind"] not in ("partial",)]
    partial_hosts = {t["copy"] for t in truth if t["kind"] == "partial"}
    reduced = sum((t["copy"] in removed) != (t["source"] in removed) for t in whole)
    lost = sum(t["copy"] in removed and t["source"] in removed for t in whole)
    # A removal is right when the document it names is of its own family (a copy of a copy
    # may name its sibling); partial hosts are never copies.
    wrong = sum(d in partial_hosts or root(d) != root(k) for d, k in removed.items())
    eligible = documents - len({t["copy"] for t in whole})
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for t in whole:
        by_kind[t["kind"]][0] += 1
        by_kind[t["kind"]][1] += (t["copy"] in removed) != (t["source"] in removed)
    return {
        "pairs": len(whole),
        "pairs_reduced": reduced / len(whole) if whole else 1.0,
        "lost_whole": lost,
        "wrong_removals": wrong,
        "wrong_share": wrong / eligible if eligible else 0.0,
        "partial_hosts_removed": sum(h in removed for h in partial_hosts),
        "removed": len(removed),
        "by_kind": {k: f"{v[1]}/{v[0]}" for k, v in sorted(by_kind.items())},
    }


def bench(path: Path, truth: list[dict[str, str]], jobs: int, baseline: bool = True) -> dict[str, Any]:
    documents = sum(1 for _ in path.open(encoding="utf-8"))
    size = path.stat().st_size
    rows = []
    with tempfile.TemporaryDirectory(prefix="neardup-dedup-bench-") as tmp:
        scan = run_cli(["scan", str(path), "--detail", "clusters", "--format", "json", "-o", os.devnull, "--jobs", str(jobs)])
        rows.append({"run": f"neardup scan --detail clusters --jobs {jobs}", **scan})
        out, gone = Path(tmp) / "out.jsonl", Path(tmp) / "removed.jsonl"
        run = run_cli(["dedup", str(path), "-o", str(out), "--removed", str(gone), "--jobs", str(jobs)])
        removed = {r["id"]: r["duplicate_of"] for r in map(json.loads, gone.read_text(encoding="utf-8").splitlines())}
        rows.append({"run": f"neardup dedup --jobs {jobs}", **run, "x_scan": run["seconds"] / scan["seconds"], **evaluate(removed, truth, documents)})
    if baseline:
        with PeakRSS() as rss:
            removed, seconds = datasketch_dedup(path)
        rows.append({"run": "datasketch MinHashLSH, documents (text-dedup recipe, threshold 0.7)", "seconds": seconds,
                     "peak_rss_GiB": rss.peak / 2**30, "x_scan": seconds / scan["seconds"], **evaluate(removed, truth, documents)})  # fmt: skip
    return {"corpus": str(path), "documents": documents, "MB": size / 1e6, "machine": machine(), "rows": rows}


def shares(path: Path, truth: list[dict[str, str]]) -> dict[str, Any]:
    """The share of each planted copy covered by its source, per kind; and the highest
    share between documents of different families: where ``min_share`` must sit."""
    from neardup import Document, ScanConfig, scan
    from neardup.dedup import near_copies

    docs = [Document(r["id"], r["text"]) for r in map(json.loads, path.open(encoding="utf-8"))]
    result = scan(docs, config=ScanConfig(detail="clusters"))
    near = {(n.doc_id, n.other): n.share for n in near_copies(result, min_share=0.01)}  # every pair's share
    by_kind: dict[str, list[float]] = defaultdict(list)
    for t in truth:
        by_kind[t["kind"]].append(near.get((t["copy"], t["source"]), 0.0))
    family = {t["copy"]: t["source"] for t in truth}
    cross = sorted((v for (a, b), v in near.items() if family.get(a, a) != family.get(b, b) and a not in family and b not in family), reverse=True)
    rows = [{"kind": k, "pairs": len(v), "min": min(v), "p5": sorted(v)[len(v) // 20], "median": sorted(v)[len(v) // 2], "max": max(v)} for k, v in sorted(by_kind.items())]
    return {"corpus": str(path), "rows": rows, "unrelated_max": cross[:5]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dedup", description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, help="a generated corpus folder (corpus.jsonl, truth.jsonl)")
    parser.add_argument("--tang", action="store_true", help="the Tang editions (needs the archive, see benchmarks/quality)")
    parser.add_argument("--tang-works", type=int, default=None, help="sample this many works (default: all)")
    parser.add_argument("--shares", action="store_true", help="print the share profile that sets --min-share")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args(argv)
    if args.tang:
        path, truth = write_tang(ROOT / "benchmarks" / "data" / "tang-dedup", args.tang_works)
        name = "dedup_tang"
    elif args.corpus:
        path, truth = load_generated(args.corpus)
        name = f"dedup_{args.corpus.name}"
    else:
        parser.error("give --corpus DIR or --tang")
    if args.shares:
        data = shares(path, truth)
        print(table(data["rows"], ["kind", "pairs", "min", "p5", "median", "max"]))
        print(f"\nhighest shares between unrelated documents: {data['unrelated_max']}")
        save(f"{name}_shares", data)
        return 0
    data = bench(path, truth, args.jobs, baseline=not args.no_baseline)
    print(f"{data['corpus']}: {data['documents']:,} documents, {data['MB']:.1f} MB; load average {os.getloadavg()[0]:.2f}\n")
    print(table(data["rows"], ["run", "seconds", "x_scan", "peak_rss_GiB", "pairs_reduced", "lost_whole", "wrong_share", "partial_hosts_removed", "removed"]))
    for row in data["rows"]:
        if "by_kind" in row:
            print(f"\n{row['run']}: pairs reduced by kind {row['by_kind']}")
    save(name, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
