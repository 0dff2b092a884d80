"""The Spark scan in local mode against the local scan, on one generated corpus.

    python -m benchmarks.spark_local                      # 4,000 documents, local[1] and local[2]
    python -m benchmarks.spark_local --docs 20000 --cores 2

Speed and quality together: for each ``local[N]`` it reports wall time per stage,
passages per second and passages per second per core, the same for the local
(single-process) scan as the reference, and whether the Spark clusters equal the local
clusters exactly (the quality check: the Spark path must not change a result). Planted
copies (paragraphs pasted from an earlier document) give the recall of both.

Each Spark run first scans 200 documents to warm up the JVM and the Python workers. Stages
are then materialised one after another (each persisted and counted), which is how
``neardup.spark.scan`` runs them too (it persists passages, candidates and matches), so
the stage times add up to the end-to-end time. The corpus is generated deterministically
from the clauses of the seed pages, with characters substituted so that unrelated
paragraphs share about as little as unrelated real paragraphs do.

Writes ``benchmarks/out/spark_local.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
DATA = ROOT / "benchmarks" / "data" / "spark_local"
SEEDS = ROOT / "examples" / "seeds"


def _clauses() -> list[str]:
    import opencc

    from neardup.normalize import normalize  # strips ruby glosses the same way the scan does

    t2s = opencc.OpenCC("t2s")
    pool: set[str] = set()
    for path in sorted(SEEDS.iterdir()):
        for line in path.read_text(encoding="utf-8").splitlines():
            text = t2s.convert(line)
            for clause in re.split(r"[，。；：！？、,.;:!?\s]+", text):
                if 5 <= len(clause) <= 24 and re.fullmatch(r"[\u4e00-\u9fff]+", clause):
                    pool.add(normalize(clause).text)
    return sorted(pool)


def generate(docs: int, seed: int, dup_rate: float) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """``(documents, planted)``: ``(id, text)`` pairs, and ``(copy_id, source_id)`` pairs."""
    rng = random.Random(seed)
    clauses = _clauses()
    chars = "".join(clauses)

    def paragraph() -> str:
        out = []
        for _ in range(rng.randint(8, 16)):
            clause = list(rng.choice(clauses))
            for k in range(len(clause)):
                if rng.random() < 0.3:
                    clause[k] = rng.choice(chars)
            out.append("".join(clause))
        return "，".join(out) + "。"

    documents: list[tuple[str, list[str]]] = []
    planted: list[tuple[str, str]] = []
    for n in range(docs):
        doc_id = f"doc{n:07d}"
        paras = [paragraph() for _ in range(rng.randint(6, 14))]
        if documents and rng.random() < dup_rate:
            source_id, source = rng.choice(documents)
            k = rng.randint(2, min(5, len(source)))
            at = rng.randint(0, len(source) - k)
            copied = [p.replace("2018", "20xx") for p in source[at : at + k]]
            where = rng.randint(0, len(paras))
            paras[where:where] = copied
            planted.append((doc_id, source_id))
        documents.append((doc_id, paras))
    return [(doc_id, "\n".join(paras)) for doc_id, paras in documents], planted


def _recall(clusters: list[dict[str, Any]], planted: list[tuple[str, str]]) -> float:
    together = set()
    for c in clusters:
        docs = c["documents"]
        together.update((a, b) for a in docs for b in docs if a != b)
    found = sum((copy, source) in together for copy, source in planted)
    return found / len(planted) if planted else 1.0


def run_local(documents: list[tuple[str, str]]) -> dict[str, Any]:
    from neardup import Document, scan
    from neardup.report.json import to_dict

    start = time.perf_counter()
    result = scan([Document(i, t) for i, t in documents])
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "result": to_dict(result)}


def run_spark(corpus: Path, cores: int, memory: str) -> dict[str, Any]:
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    import neardup
    from neardup import spark as nsp
    from neardup.config import ScanConfig

    # Spark's Python workers import this checkout of neardup, whatever their cwd.
    src = str(Path(neardup.__file__).resolve().parent.parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)
    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(f"neardup-bench-local{cores}")
        .config("spark.driver.memory", memory)
        .config("spark.sql.shuffle.partitions", str(max(2, 4 * cores)))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    config = ScanConfig()
    # Warm up the JVM and the Python workers on 200 documents, as a long job would be warm.
    warm = nsp.scan(nsp.read_documents(session, str(corpus)).limit(200), config=config)
    warm.clusters.count()
    warm.unpersist()
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    clock = [t0]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        times[stage] = now - clock[0]
        clock[0] = now

    df = nsp.read_documents(session, str(corpus)).repartition(4 * cores)
    documents = nsp._documents(df, "text", "id")
    n_docs = documents.count()
    lap("read + number documents")
    stored_before = _stored_bytes(session)
    counted = nsp._with_window_counts(documents, config, [])
    passages = nsp._passages(counted, config).persist(nsp._STORAGE)
    n_passages = passages.count()
    lap("boilerplate windows + normalise + passages + signatures")
    passage_bytes = _stored_bytes(session) - stored_before
    candidates = nsp._candidates(passages, config).persist(nsp._STORAGE)
    n_candidates = candidates.count()
    lap("LSH candidates")
    matches = nsp._verify(candidates, passages, config).persist(nsp._STORAGE)
    n_matches = matches.count()
    lap("verify")
    components = nsp._stars(matches, passages, config).persist(nsp._STORAGE)
    components.count()
    lap("stars + runs (driver)")
    clusters = nsp._clusters(components, passages, documents, config.cluster.gap)
    rows = [r.asDict(recursive=True) for r in clusters.orderBy("id").collect()]
    lap("regions + members")
    total = time.perf_counter() - t0
    shingles = passages.select(F.avg(F.length("shingles")) / 8).first()[0]  # 8 bytes per shingle hash
    session.stop()
    return {
        "cores": cores,
        "seconds": total,
        "stages": times,
        "documents": n_docs,
        "passages": n_passages,
        "candidates": n_candidates,
        "matches": n_matches,
        "mean_shingles_per_passage": shingles,
        "cached_bytes_per_passage": passage_bytes / max(n_passages, 1),
        "clusters": rows,
    }


def _stored_bytes(session: Any) -> int:
    """Bytes Spark holds for cached data (memory and disk), from its storage status."""
    infos = session.sparkContext._jsc.sc().getRDDStorageInfo()
    return sum(int(i.memSize()) + int(i.diskSize()) for i in infos)


def _machine() -> dict[str, Any]:
    import pyspark

    cpu = "unknown"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "pyspark": pyspark.__version__,
        "load_average_before": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.spark_local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=4000, help="documents to generate [4000]")
    parser.add_argument("--cores", type=int, nargs="+", default=[1, 2], help="local[N] runs [1 2]")
    parser.add_argument("--dup-rate", type=float, default=0.1, help="share of documents with a pasted copy [0.1]")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--memory", default="4g", help="spark.driver.memory [4g]")
    args = parser.parse_args(argv)

    machine = _machine()
    documents, planted = generate(args.docs, args.seed, args.dup_rate)
    DATA.mkdir(parents=True, exist_ok=True)
    corpus = DATA / f"corpus-{args.docs}-{args.seed}.jsonl"
    with corpus.open("w", encoding="utf-8") as fh:
        for doc_id, text in documents:
            fh.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
    chars = sum(len(t) for _, t in documents)

    local = run_local(documents)
    local_clusters = local["result"]["clusters"]
    n_passages = local["result"]["summary"]["passages"]
    rows = [
        {
            "run": "local scan (1 process)",
            "cores": 1,
            "seconds": local["seconds"],
            "passages_per_s": n_passages / local["seconds"],
            "per_core": n_passages / local["seconds"],
            "same_clusters": True,
            "recall": _recall(local_clusters, planted),
        }
    ]
    runs = []
    for cores in args.cores:
        run = run_spark(corpus, cores, args.memory)
        same = run["clusters"] == local_clusters
        rows.append(
            {
                "run": f"Spark local[{cores}]",
                "cores": cores,
                "seconds": run["seconds"],
                "passages_per_s": run["passages"] / run["seconds"],
                "per_core": run["passages"] / run["seconds"] / cores,
                "same_clusters": same,
                "recall": _recall(run["clusters"], planted),
            }
        )
        run.pop("clusters")
        runs.append(run)
        print(f"Spark local[{cores}]: {run['seconds']:.1f} s, same clusters as local: {same}", file=sys.stderr)
    machine["load_average_after"] = os.getloadavg()

    print(
        f"corpus: {args.docs:,} documents, {chars:,} chars ({chars / n_passages:.0f} per passage), {n_passages:,} passages, "
        f"{len(planted):,} planted copies; {local['result']['summary']['clusters']:,} clusters"
    )
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, pyspark {machine['pyspark']}, "
          f"load average {machine['load_average_before'][0]:.1f} before, {machine['load_average_after'][0]:.1f} after")
    print()
    print("| run | cores | seconds | passages/s | passages/s/core | vs local scan | same clusters | recall |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        ratio = rows[0]["seconds"] / r["seconds"]
        print(
            f"| {r['run']} | {r['cores']} | {r['seconds']:.1f} | {r['passages_per_s']:,.0f} | {r['per_core']:,.0f} | "
            f"{ratio:.2f}x | {'yes' if r['same_clusters'] else 'NO'} | {r['recall']:.3f} |"
        )
    for run in runs:
        print()
        print(f"Spark local[{run['cores']}] by stage:")
        print()
        print("| stage | seconds | share |")
        print("|---|---:|---:|")
        for stage, seconds in run["stages"].items():
            print(f"| {stage} | {seconds:.1f} | {seconds / run['seconds']:.0%} |")
        print(f"\nmean shingles per passage: {run['mean_shingles_per_passage']:.1f}; cached passage table: "
              f"{run['cached_bytes_per_passage']:,.0f} bytes per passage; candidates {run['candidates']:,}, "
              f"matches {run['matches']:,}")
    OUT.mkdir(parents=True, exist_ok=True)
    report = {"args": vars(args), "machine": machine, "chars": chars, "passages": n_passages, "rows": rows, "spark_runs": runs}
    (OUT / "spark_local.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r["same_clusters"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
