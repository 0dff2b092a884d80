"""Speed, memory and quality of neardup against its peers, run side by side on one machine.

    python -m benchmarks.perf signatures --corpus benchmarks/data/c10k --docs 2000 [--segments passages]
    python -m benchmarks.perf perms      --corpus benchmarks/data/c10k --num-perm 32 64 128 256 512
    python -m benchmarks.perf pipeline   --corpus benchmarks/data/c50
    python -m benchmarks.perf scan       --corpus benchmarks/data/c300 --jobs 1 2
    python -m benchmarks.perf growth     --corpus benchmarks/data/c300 --passages 10000 100000 1000000
    python -m benchmarks.perf machine

Corpora come from ``python -m benchmarks.generate`` (``corpus.jsonl`` + ``truth.jsonl``).
Every command prints a Markdown table and writes the raw figures as JSON under
``benchmarks/out/``. Peers are optional (``pip install '.[bench]'``); a missing one is
reported as such, never silently skipped.

* ``signatures``: one MinHash per document over its character 5-grams, 128 permutations,
  by each implementation on the same documents: datasketch as documented (``update`` per
  shingle), datasketch ``update_batch``, rensa fed strings, rensa fed our pre-hashed
  tokens (its flat-buffer matrix API, its fastest path), neardup's two schemes (bucketed,
  the default, and affine32, datasketch's bits) in numpy and numba, and simhash for
  scale. Ratios are against datasketch as documented, and sign-only against rensa's
  pre-hashed path. ``--segments passages`` signs the scan's own passages instead.
* ``pipeline``: the whole job on one corpus: neardup ``scan`` against the straightforward
  datasketch pipeline a user would write (paragraphs, ``MinHash.update_batch``,
  ``MinHashLSH`` insert and query, exact Jaccard on Python sets, networkx components),
  with recall and precision against the planted copies.
* ``scan``: the real CLI (``python -m neardup scan --format json``) as a subprocess, per
  ``--jobs``: wall time, peak RSS of the process tree, quality, and whether the reports
  are byte-identical across ``--jobs``.
* ``growth``: the same scan on prefixes of a corpus holding about 10k, 100k and 1M
  passages: time per stage, peak RSS, and bytes per passage.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
NUM_PERM = 128
NGRAM = 5


# --------------------------------------------------------------------------- corpus


def load_corpus(corpus: Path, limit: int | None = None) -> list[tuple[str, str]]:
    """``(id, text)`` of the first ``limit`` documents of ``corpus/corpus.jsonl``."""
    docs = []
    with (corpus / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if limit is not None and len(docs) >= limit:
                break
            record = json.loads(line)
            docs.append((record["id"], record["text"]))
    return docs


def load_truth(corpus: Path) -> list[dict[str, str]]:
    with (corpus / "truth.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _bare(doc_id: str) -> str:
    """``benchmarks/data/x/docs/doc0000012.txt`` or ``doc0000012`` -> ``doc0000012``."""
    return doc_id.rsplit("/", 1)[-1].removesuffix(".txt")


def evaluate(clusters: Iterable[Iterable[str]], truth: list[dict[str, str]], ids: set[str]) -> dict[str, Any]:
    """Recall of planted copies and precision of reported document pairs.

    A planted copy is found when some cluster holds both it and its source. A reported
    pair (two documents in one cluster) is correct when both belong to one planted family
    (a source and all its copies). Only truth whose documents were scanned counts.
    """
    truth = [t for t in truth if t["copy"] in ids and t["source"] in ids]
    family: dict[str, str] = {}
    for t in truth:
        family[t["copy"]] = family.get(t["source"], t["source"])
        family.setdefault(t["source"], t["source"])
    reported: set[tuple[str, str]] = set()
    for members in clusters:
        docs = sorted({_bare(m) for m in members})
        reported.update(combinations(docs, 2))
    correct = sum(1 for a, b in reported if a in family and family.get(a) == family.get(b))
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for t in truth:
        pair = tuple(sorted((t["copy"], t["source"])))
        by_kind[t["kind"]][1] += 1
        by_kind[t["kind"]][0] += pair in reported
    found = sum(v[0] for v in by_kind.values())
    return {
        "planted": len(truth),
        "recall": found / len(truth) if truth else 1.0,
        "precision": correct / len(reported) if reported else 1.0,
        "reported_pairs": len(reported),
        "recall_by_kind": {k: round(v[0] / v[1], 4) for k, v in sorted(by_kind.items())},
    }


# --------------------------------------------------------------------------- measuring


def adopt_orphans() -> bool:
    """Make this process adopt the processes its children leave behind (Linux's child
    subreaper), so that :func:`reap_orphans` can wait for them.

    A scan's workers fork from a server process that outlives the scan by a moment and
    is nobody's to wait for; the CPU of the server and of every worker (it reaps them)
    reaches ``RUSAGE_CHILDREN`` only when the server itself is reaped. Without this the
    workers' CPU was missing from the figures."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(36, 1, 0, 0, 0)) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap_orphans() -> None:
    """Wait for the processes this one adopted (:func:`adopt_orphans`); call it once the
    child it started has been waited for."""
    import psutil

    for child in psutil.Process().children():
        try:
            os.waitpid(child.pid, 0)
        except ChildProcessError:
            pass


class PeakRSS:
    """Peak resident memory of this process and its children, sampled every 50 ms."""

    def __init__(self, pid: int | None = None) -> None:
        import psutil

        self.proc = psutil.Process(pid or os.getpid())
        self.peak = 0
        self.samples: list[tuple[float, int]] = []  # (seconds since start, bytes), every sample
        self._start = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        import psutil

        total = 0
        try:
            procs = [self.proc, *self.proc.children(recursive=True)]
        except psutil.Error:
            return 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            now = self._sample()
            self.samples.append((time.perf_counter() - self._start, now))
            self.peak = max(self.peak, now)
            self._stop.wait(0.05)

    def peaks_between(self, marks: list[tuple[str, float]]) -> dict[str, float]:
        """Peak GiB from each mark ``(name, seconds since start)`` to the next (sorted marks)."""
        out = {}
        for i, (name, t0) in enumerate(marks):
            t1 = marks[i + 1][1] if i + 1 < len(marks) else float("inf")
            inside = [b for t, b in self.samples if t0 <= t < t1]
            if inside:
                out[name] = round(max(inside) / 2**30, 2)
        return out

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, float, Any]:
    """Best wall time and its CPU time (this process) over ``repeat`` runs, and the result."""
    best = (float("inf"), 0.0, None)
    for _ in range(repeat):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if wall < best[0]:
            best = (wall, cpu, result)
    return best


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        fields = dict(line.split(":", 1) for line in lscpu.splitlines() if ":" in line)
        info["cpu"] = fields.get("Model name", "?").strip()
        info["cpus"] = fields.get("CPU(s)", "?").strip()
    except (OSError, subprocess.CalledProcessError):
        info["cpu"], info["cpus"] = platform.processor(), os.cpu_count()
    try:
        with open("/proc/meminfo") as fh:
            info["ram_gib"] = round(int(fh.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        info["load_avg_1m"] = os.getloadavg()[0]
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    for pkg in ("numpy", "numba", "datasketch", "rensa", "simhash", "networkx"):
        try:
            info[pkg] = version(pkg)
        except PackageNotFoundError:
            info[pkg] = None
    return info


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.3g}" if abs(v) < 100 else f"{v:,.0f}"
        return "" if v is None else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(fmt(r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def save(name: str, data: Any) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- signatures


def _shingles(text: str) -> list[str]:
    return [text[i : i + NGRAM] for i in range(max(len(text) - NGRAM + 1, 1))]


def signature_contenders(texts: list[str]) -> dict[str, tuple[str, Callable[..., Any]]]:
    """name -> (input, function): one signature per text (character 5-grams, 128 perms).

    ``input`` is ``"text"`` (the function starts from the documents) or ``"hashes"``
    (it is given the flat token-hash buffer and offsets, the same for every contender).
    """
    import numpy as np

    from neardup.config import SignatureConfig
    from neardup.signature import numba_kernels, signatures_numba, signatures_numpy

    out: dict[str, tuple[str, Callable[..., Any]]] = {}
    try:
        from datasketch import MinHash

        def datasketch_update() -> list[Any]:
            sigs = []
            for t in texts:
                m = MinHash(num_perm=NUM_PERM)
                for s in _shingles(t):
                    m.update(s.encode("utf8"))
                sigs.append(m.hashvalues)
            return sigs

        def datasketch_batch() -> list[Any]:
            sigs = []
            for t in texts:
                m = MinHash(num_perm=NUM_PERM)
                m.update_batch([s.encode("utf8") for s in _shingles(t)])
                sigs.append(m.hashvalues)
            return sigs

        out["datasketch update (documented)"] = ("text", datasketch_update)
        out["datasketch update_batch"] = ("text", datasketch_batch)
    except ImportError:
        print("datasketch not installed: skipped", file=sys.stderr)
    try:
        import rensa

        def rensa_strings() -> list[Any]:
            sigs = []
            for t in texts:
                m = rensa.RMinHash(num_perm=NUM_PERM, seed=1)
                m.update(_shingles(t))
                sigs.append(m.digest())
            return sigs

        def rensa_flat(hashes: np.ndarray, offsets: np.ndarray) -> Any:
            return rensa.RMinHash.digest_matrix_from_flat_token_hashes(
                hashes, offsets.astype(np.uint64), num_perm=NUM_PERM, seed=1
            )

        out["rensa strings"] = ("text", rensa_strings)
        out["rensa pre-hashed (flat matrix API)"] = ("hashes", rensa_flat)
    except ImportError:
        print("rensa not installed: skipped (pip install '.[bench]')", file=sys.stderr)
    try:
        from simhash import Simhash

        out["simhash (64-bit SimHash, not MinHash)"] = ("text", lambda: [Simhash(_shingles(t)).value for t in texts])
    except ImportError:
        print("simhash not installed: skipped (pip install '.[bench]')", file=sys.stderr)
    from neardup.config import ShingleConfig
    from neardup.shingle import compiled_kernels, shingle_hashes_many
    from neardup.signature import signatures

    if compiled_kernels() is not None:
        five, cfg = ShingleConfig(ngram=NGRAM), SignatureConfig(num_perm=NUM_PERM)
        shingle_hashes_many(texts[:50], five)  # compile (or load) first

        def neardup_from_text() -> Any:
            hashes, offsets = shingle_hashes_many(texts, five)  # one compiled pass over all texts
            return signatures(hashes, offsets, cfg)

        out["neardup from text: compiled hashing + bucketed signing (the scan's path)"] = ("text", neardup_from_text)
    for scheme, label in (("bucketed", "bucketed (default)"), ("affine32", "affine32 (= datasketch)")):
        cfg = SignatureConfig(num_perm=NUM_PERM, scheme=scheme)
        out[f"neardup {label}, numpy"] = ("hashes", lambda h, o, c=cfg: signatures_numpy(h, o, c))
        if numba_kernels() is None:
            print("numba not installed: kernels skipped", file=sys.stderr)
            continue
        signatures_numba(np.zeros(4, np.uint64), np.array([0, 4]), cfg)  # compile (or load) first
        out[f"neardup {label}, numba, 1 thread"] = ("hashes", lambda h, o, c=cfg: signatures_numba(h, o, c))
        out[f"neardup {label}, numba, 2 threads"] = ("hashes", lambda h, o, c=cfg: signatures_numba(h, o, c, threads=2))
    return out


def token_hashes(texts: list[str]) -> tuple[Any, Any]:
    """neardup's 64-bit shingle hashes of every text, flat, with offsets (numpy, one call per text)."""
    import numpy as np

    from neardup.config import ShingleConfig
    from neardup.shingle import shingle_hashes

    parts = [shingle_hashes(t, ShingleConfig(ngram=NGRAM)) for t in texts]
    offsets = np.concatenate(([0], np.cumsum([len(p) for p in parts]))).astype(np.int64)
    return np.concatenate(parts), offsets


def passage_hashes(texts: list[str]) -> tuple[Any, Any]:
    """The scan's own passages of the texts (normalised, 60-400 characters), char 5-grams."""
    from neardup.config import ScanConfig
    from neardup.model import Document
    from neardup.scan import prepare

    table = prepare([Document(str(i), t) for i, t in enumerate(texts)], ScanConfig.from_options(ngram=NGRAM))
    return table.hashes, table.offsets


def bench_signatures(corpus: Path, docs: int, repeat: int, segments: str = "documents") -> dict[str, Any]:
    """Each contender from the text; those that take token hashes also alone (sign only).

    ``segments="passages"`` signs the scan's passages instead of whole documents (what a
    scan really signs); only the contenders that take token hashes run then.
    """
    texts = [t for _, t in load_corpus(corpus, docs)]
    size = sum(len(t.encode("utf-8")) for t in texts)
    cut = token_hashes if segments == "documents" else passage_hashes
    hash_wall, hash_cpu, (hashes, offsets) = timed(lambda: cut(texts), repeat)
    rows = []
    for name, (kind, fn) in signature_contenders(texts).items():
        if segments != "documents" and kind == "text":
            continue
        slow = name.startswith(("datasketch", "simhash"))
        if kind == "text":
            wall, cpu, _ = timed(fn, 1 if slow else repeat)
            sign_wall = None
        else:
            sign_wall, sign_cpu, _ = timed(lambda: fn(hashes, offsets), repeat)
            wall, cpu = hash_wall + sign_wall, hash_cpu + sign_cpu
        rows.append({"implementation": name, "seconds": wall, "cpu_seconds": cpu, "docs_per_s": len(texts) / wall,
                     "MB_per_s": size / wall / 1e6, "sign_only_s": sign_wall,
                     "Mtokens_per_s_sign_only": len(hashes) / sign_wall / 1e6 if sign_wall else None})  # fmt: skip
    base = next((r for r in rows if r["implementation"].startswith("datasketch update (")), None)
    rensa_row = next((r for r in rows if r["implementation"].startswith("rensa pre-hashed")), None)
    for r in rows:
        if rensa_row and r["sign_only_s"]:
            r["sign_only_vs_rensa_prehashed"] = rensa_row["sign_only_s"] / r["sign_only_s"]
    for r in rows:
        r["speedup_vs_datasketch"] = base["seconds"] / r["seconds"] if base else None
        r["cpu_speedup_vs_datasketch"] = base["cpu_seconds"] / r["cpu_seconds"] if base else None
    return {"corpus": str(corpus), "documents": len(texts), "segments": segments, "rows_signed": len(offsets) - 1,
            "text_MB": size / 1e6, "tokens": int(len(hashes)),
            "token_hashing_s": hash_wall, "num_perm": NUM_PERM, "ngram": NGRAM, "rows": rows}  # fmt: skip


def bench_perms(corpus: Path, docs: int, repeat: int, perms: list[int]) -> dict[str, Any]:
    """Sign-only seconds per ``num_perm``: how each implementation's cost grows with it."""
    import numpy as np

    from neardup.config import SignatureConfig
    from neardup.signature import signatures

    texts = [t for _, t in load_corpus(corpus, docs)]
    hashes, offsets = token_hashes(texts)
    contenders: dict[str, Callable[[int], Any]] = {}
    try:
        import rensa

        contenders["rensa pre-hashed (flat matrix API)"] = lambda k: rensa.RMinHash.digest_matrix_from_flat_token_hashes(
            hashes, offsets.astype(np.uint64), num_perm=k, seed=1)  # fmt: skip
    except ImportError:
        print("rensa not installed: skipped (pip install '.[bench]')", file=sys.stderr)
    for scheme in ("bucketed", "affine32"):
        contenders[f"neardup {scheme}, 1 thread"] = lambda k, s=scheme: signatures(hashes, offsets, SignatureConfig(num_perm=k, scheme=s))
    rows = []
    for name, fn in contenders.items():
        row: dict[str, Any] = {"implementation": name}
        for k in perms:
            fn(k)  # compile, or fill caches
            row[f"num_perm={k}"] = timed(lambda: fn(k), repeat)[0]
        rows.append(row)
    return {"corpus": str(corpus), "documents": len(texts), "tokens": int(len(hashes)), "perms": perms, "rows": rows}


# --------------------------------------------------------------------------- pipelines


def datasketch_pipeline(docs: list[tuple[str, str]], threshold: float = 0.5) -> list[set[str]]:
    """What a user would write with datasketch: paragraphs, MinHash, LSH, exact check, networkx."""
    import networkx as nx
    from datasketch import MinHash, MinHashLSH

    paragraphs: list[tuple[str, set[str]]] = []
    for doc_id, text in docs:
        for para in text.split("\n"):
            para = para.strip()
            if len(para) >= 20:
                paragraphs.append((doc_id, set(_shingles(para))))
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    hashes = []
    for key, (_, shingles) in enumerate(paragraphs):
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch([s.encode("utf8") for s in shingles])
        hashes.append(m)
        lsh.insert(key, m)
    graph = nx.Graph()
    for key, m in enumerate(hashes):
        for other in lsh.query(m):
            if other <= key:
                continue
            a, b = paragraphs[key][1], paragraphs[other][1]
            if len(a & b) / len(a | b) >= threshold:
                graph.add_edge(key, other)
    return [{paragraphs[k][0] for k in component} for component in nx.connected_components(graph)]


def neardup_clusters(docs: list[tuple[str, str]], jobs: int, stages: dict[str, float] | None = None) -> list[set[str]]:
    from neardup import Document, ScanConfig, scan

    start = time.perf_counter()

    def progress(stage: str, done: int, total: int) -> None:
        if stages is not None:
            stages.setdefault(stage, time.perf_counter() - start)

    # Clusters only: the same work as the datasketch pipeline it is compared with.
    result = scan([Document(i, t) for i, t in docs], jobs=jobs, progress=progress, config=ScanConfig(detail="clusters"))
    if stages is not None:
        stages["end"] = time.perf_counter() - start
        stages["passages"] = len(result.passages)
    return [{m.doc_id for m in c.members} for c in result.clusters]


def bench_pipeline(corpus: Path, jobs: int) -> dict[str, Any]:
    docs = load_corpus(corpus)
    truth = load_truth(corpus)
    ids = {i for i, _ in docs}
    size = sum(len(t.encode("utf-8")) for _, t in docs)
    rows = []
    contenders: dict[str, Callable[[], list[set[str]]]] = {f"neardup scan (jobs={jobs})": lambda: neardup_clusters(docs, jobs)}
    if jobs != 1:
        contenders["neardup scan (jobs=1)"] = lambda: neardup_clusters(docs, 1)
    contenders["datasketch pipeline (update_batch, MinHashLSH, networkx)"] = lambda: datasketch_pipeline(docs)
    # One-time costs of a process (numba loading its cached kernels, OpenCC's tables,
    # datasketch's imports) are paid before timing, for every contender alike.
    neardup_clusters(docs[:300], 1)
    datasketch_pipeline(docs[:30])
    for name, fn in contenders.items():
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall, cpu, clusters = timed(fn)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # worker processes, if any
        cpu += after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        quality = evaluate(clusters, truth, ids)
        rows.append({"pipeline": name, "seconds": wall, "cpu_seconds": cpu, "MB_per_s": size / wall / 1e6, **quality})
    base = rows[-1]
    for r in rows:
        r["speedup_vs_datasketch"] = base["seconds"] / r["seconds"]
        r["cpu_speedup_vs_datasketch"] = base["cpu_seconds"] / r["cpu_seconds"]
    return {"corpus": str(corpus), "documents": len(docs), "text_MB": size / 1e6, "rows": rows}


# --------------------------------------------------------------------------- CLI scan


def run_cli_scan(corpus_file: Path, jobs: int, out: Path) -> dict[str, Any]:
    """``python -m neardup scan FILE --format json -o OUT --jobs N``: time, peak RSS, digest."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "neardup", "scan", str(corpus_file), "--format", "json", "-o", str(out), "--jobs", str(jobs)]
    adopt_orphans()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
    with PeakRSS(proc.pid) as rss:
        _, err = proc.communicate()
    wall = time.perf_counter() - start
    reap_orphans()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the CLI and its workers, once reaped
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()[-2000:]}")
    return {"command": " ".join(cmd[1:]), "jobs": jobs, "seconds": wall, "cpu_seconds": cpu, "peak_rss_GiB": rss.peak / 2**30,
            "report_sha256": hashlib.sha256(out.read_bytes()).hexdigest()[:16]}  # fmt: skip


def bench_scan(corpus: Path, jobs_list: list[int]) -> dict[str, Any]:
    truth = load_truth(corpus)
    meta = json.loads((corpus / "meta.json").read_text())
    ids = {f"doc{n:07d}" for n in range(int(meta["documents"]))}
    rows = []
    for jobs in jobs_list:
        out = OUT / f"scan_{corpus.name}_jobs{jobs}.json"
        OUT.mkdir(parents=True, exist_ok=True)
        row = run_cli_scan(corpus / "corpus.jsonl", jobs, out)
        report = json.loads(out.read_text(encoding="utf-8"))
        row.update(evaluate(([m["doc_id"] for m in c["members"]] for c in report["clusters"]), truth, ids))
        row["passages"] = report["summary"]["passages"]
        row["clusters"] = report["summary"]["clusters"]
        rows.append(row)
    same = len({r["report_sha256"] for r in rows}) == 1
    return {"corpus": str(corpus), "documents": meta["documents"], "text_MB": meta["text_bytes"] / 1e6, "reports_identical": same, "rows": rows}


# --------------------------------------------------------------------------- growth


def _one_scan(corpus: Path, docs: int, jobs: int) -> dict[str, Any]:
    """One in-process scan of the first ``docs`` documents (run in a fresh subprocess)."""
    import psutil

    base = psutil.Process().memory_info().rss
    records = load_corpus(corpus, docs)
    size = sum(len(t.encode("utf-8")) for _, t in records)
    loaded = psutil.Process().memory_info().rss
    stages: dict[str, float] = {}
    with PeakRSS() as rss:
        start = time.perf_counter()
        neardup_clusters(records, jobs, stages)
        wall = time.perf_counter() - start
    return {"documents": len(records), "text_MB": size / 1e6, "passages": stages.pop("passages"), "jobs": jobs,
            "seconds": wall, "stages": stages, "rss_before_GiB": base / 2**30, "rss_corpus_loaded_GiB": loaded / 2**30,
            "peak_rss_GiB": rss.peak / 2**30}  # fmt: skip


def bench_growth(corpus: Path, passages: list[int], jobs: int) -> dict[str, Any]:
    meta = json.loads((corpus / "meta.json").read_text())
    per_doc = 10.1  # passages per generated document (measured; the runs report the truth)
    rows = []
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    for target in passages:
        docs = min(int(meta["documents"]), max(1, round(target / per_doc)))
        cmd = [sys.executable, "-m", "benchmarks.perf", "_one", "--corpus", str(corpus), "--docs", str(docs), "--jobs", str(jobs)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-2000:])
        row = json.loads(out.stdout.strip().splitlines()[-1])
        stages = row.pop("stages")
        order = [s for s in ("prepare", "candidates", "verify", "cluster", "end") if s in stages]
        for a, b in zip(order, order[1:]):
            row[f"{a}_s"] = stages[b] - stages[a]
        row["us_per_passage"] = row["seconds"] / row["passages"] * 1e6
        row["scan_bytes_per_passage"] = (row["peak_rss_GiB"] - row["rss_corpus_loaded_GiB"]) * 2**30 / row["passages"]
        rows.append(row)
    return {"corpus": str(corpus), "jobs": jobs, "rows": rows}


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.perf", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("signatures")
    p.add_argument("--corpus", type=Path, default=ROOT / "benchmarks/data/c10k")
    p.add_argument("--docs", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--segments", choices=["documents", "passages"], default="documents",
                   help="sign whole documents (the issue's setting) or the scan's passages")
    p = sub.add_parser("perms")
    p.add_argument("--corpus", type=Path, default=ROOT / "benchmarks/data/c10k")
    p.add_argument("--docs", type=int, default=3000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--num-perm", type=int, nargs="+", default=[32, 64, 128, 256, 512])
    p = sub.add_parser("pipeline")
    p.add_argument("--corpus", type=Path, default=ROOT / "benchmarks/data/c50")
    p.add_argument("--jobs", type=int, default=2)
    p = sub.add_parser("scan")
    p.add_argument("--corpus", type=Path, default=ROOT / "benchmarks/data/c300")
    p.add_argument("--jobs", type=int, nargs="+", default=[2, 1])
    p = sub.add_parser("growth")
    p.add_argument("--corpus", type=Path, default=ROOT / "benchmarks/data/c300")
    p.add_argument("--passages", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--jobs", type=int, default=2)
    sub.add_parser("machine")
    p = sub.add_parser("_one")  # internal: one growth run in a fresh process
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--docs", type=int, required=True)
    p.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)

    if args.command == "_one":
        print(json.dumps(_one_scan(args.corpus, args.docs, args.jobs)))
        return 0
    info = machine()
    if args.command == "machine":
        print(json.dumps(info, indent=2))
        return 0
    if args.command == "signatures":
        data = bench_signatures(args.corpus, args.docs, args.repeat, args.segments)
        cols = ["implementation", "seconds", "cpu_seconds", "docs_per_s", "MB_per_s", "speedup_vs_datasketch",
                "cpu_speedup_vs_datasketch", "sign_only_s", "Mtokens_per_s_sign_only", "sign_only_vs_rensa_prehashed"]  # fmt: skip
        head = (f"{data['documents']} documents, {data['text_MB']:.1f} MB, {data['rows_signed']:,} {data['segments']} signed, "
                f"{data['tokens']:,} tokens, char {NGRAM}-grams, {NUM_PERM} permutations; "
                f"token hashing (shared by the pre-hashed rows) {data['token_hashing_s']:.3f} s")  # fmt: skip
    elif args.command == "perms":
        data = bench_perms(args.corpus, args.docs, args.repeat, args.num_perm)
        cols = ["implementation", *(f"num_perm={k}" for k in args.num_perm)]
        head = f"{data['documents']} documents, {data['tokens']:,} tokens: sign-only seconds"
    elif args.command == "pipeline":
        data = bench_pipeline(args.corpus, args.jobs)
        cols = ["pipeline", "seconds", "cpu_seconds", "MB_per_s", "speedup_vs_datasketch", "cpu_speedup_vs_datasketch",
                "recall", "precision", "reported_pairs"]  # fmt: skip
        head = f"{data['documents']} documents, {data['text_MB']:.1f} MB"
    elif args.command == "scan":
        data = bench_scan(args.corpus, args.jobs)
        cols = ["jobs", "seconds", "cpu_seconds", "peak_rss_GiB", "passages", "clusters", "recall", "precision", "report_sha256"]
        head = f"{data['documents']} documents, {data['text_MB']:.0f} MB; reports identical across jobs: {data['reports_identical']}"
    else:
        data = bench_growth(args.corpus, args.passages, args.jobs)
        cols = ["documents", "passages", "text_MB", "seconds", "prepare_s", "candidates_s", "verify_s", "cluster_s",
                "us_per_passage", "peak_rss_GiB", "scan_bytes_per_passage"]  # fmt: skip
        head = f"jobs={args.jobs}"
    data["machine"] = info
    name = {"scan": f"scan_{Path(args.corpus).name}", "growth": f"growth_jobs{getattr(args, 'jobs', 1)}",
            "signatures": f"signatures_{getattr(args, 'segments', '')}"}.get(args.command, args.command)  # fmt: skip
    path = save(name, data)
    print(f"{args.command}: {head}\n")
    print(table(data["rows"], cols))
    if "rows" in data and data["rows"] and "recall_by_kind" in data["rows"][0]:
        print("\nrecall by kind:")
        for r in data["rows"]:
            print(f"  {r.get('pipeline', r.get('jobs'))}: {r['recall_by_kind']}")
    print(f"\n(raw figures: {path.relative_to(ROOT)}; load average {info.get('load_avg_1m')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
