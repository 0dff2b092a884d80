"""Index query latency: a ~2,000-character document against an index of 100,000 passages.

    python -m benchmarks.index_latency                     # SQLite, 100,000 passages
    python -m benchmarks.index_latency --passages 20000 --queries 200
    python -m benchmarks.index_latency --location "redis://127.0.0.1:6379/0?basename=bench" --passages 10000

The corpus is realistic Chinese text: the sentences of the seed pages in
``examples/seeds`` (simplified and traditional), recombined into paragraphs of 3-8
sentences and documents of about 2,000 characters with a fixed RNG seed. Queries are
~2,000-character documents of two kinds, half each: *planted* ones copy 3-5 paragraphs of
a stored document (every 40th character blanked to 某, as templates do) between new
paragraphs, and *fresh* ones are new recombinations that copy nothing.

Latency is wall time of ``Index.query(text)`` (normalise, passages, signatures, band
lookup, exact verification, spans), after 20 warm-up queries. The peer, in the same
process on the same passages, is datasketch's in-memory ``MinHashLSH`` (dict storage)
with the same exact verification on in-memory shingle sets: what the index costs over
keeping everything in RAM. Quality: planted queries must find their source; both must
return the same documents.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from neardup import Index
from neardup.scan import prepare
from neardup.signature import signatures, to_lean_minhash
from neardup.verify import similarity

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "seeds"
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;]?")


def sentence_pool() -> list[str]:
    """Distinct sentences of 12-160 characters from the seed pages, in a fixed order."""
    seen: dict[str, None] = {}
    for path in sorted(SEEDS.iterdir()):
        for s in _SENTENCE.findall(path.read_text(encoding="utf-8")):
            s = s.strip()
            if 12 <= len(s) <= 160:
                seen.setdefault(s, None)
    return list(seen)


def paragraph(rng: random.Random, pool: list[str]) -> str:
    return "".join(rng.choice(pool) for _ in range(rng.randint(3, 8)))


def document(rng: random.Random, pool: list[str], chars: int = 2000) -> list[str]:
    paras: list[str] = []
    while sum(len(p) for p in paras) < chars:
        paras.append(paragraph(rng, pool))
    return paras


def blank(text: str, every: int = 40) -> str:
    return "".join("某" if i % every == every - 1 else c for i, c in enumerate(text))


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def summary(ms: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(ms, 50), 2),
        "p90": round(percentile(ms, 90), 2),
        "p99": round(percentile(ms, 99), 2),
        "max": round(max(ms), 2),
        "mean": round(statistics.fmean(ms), 2),
    }


class MemoryPeer:
    """datasketch MinHashLSH in memory + exact verification: the same query, all in RAM."""

    def __init__(self, index: Index) -> None:
        from datasketch import MinHashLSH

        self.config = index.config
        bands, rows = int(index.params["bands"]), int(index.params["rows"])
        self.lsh = MinHashLSH(num_perm=self.config.signature.num_perm, params=(bands, rows))
        self.sets: dict[int, Any] = {}
        self.doc_of: dict[int, str] = {}

    def add(self, doc_id: str, text: str) -> None:
        from neardup.model import Document

        table = prepare([Document(doc_id, text)], self.config)
        sigs = signatures(table.hashes, table.offsets, self.config.signature)
        with self.lsh.insertion_session() as session:
            for i, sig in enumerate(sigs):
                key = len(self.sets)
                self.sets[key] = table.shingles(i)
                self.doc_of[key] = doc_id
                session.insert(key, to_lean_minhash(sig, self.config.signature.seed), check_duplication=False)

    def query(self, text: str) -> set[str]:
        from neardup.model import Document

        table = prepare([Document("q", text)], self.config)
        sigs = signatures(table.hashes, table.offsets, self.config.signature)
        found = set()
        for i, sig in enumerate(sigs):
            mine = table.shingles(i)
            for key in self.lsh.query(to_lean_minhash(sig, self.config.signature.seed)):
                if similarity(mine, self.sets[key])[0] >= self.config.verify.threshold:
                    found.add(self.doc_of[key])
        return found


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.index_latency", description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000, help="passages to index [100000]")
    parser.add_argument("--queries", type=int, default=500, help="timed queries, half planted [500]")
    parser.add_argument("--seed", type=int, default=20240601, help="RNG seed of the corpus [20240601]")
    parser.add_argument("--location", default=None, help="index file or redis:// URL [a temporary file]")
    parser.add_argument("--no-peer", action="store_true", help="skip the in-memory datasketch peer")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    pool = sentence_pool()
    tmp = tempfile.mkdtemp(prefix="neardup-bench-")
    location = args.location or os.path.join(tmp, "bench.ndx")
    print(f"machine: {machine()}")
    print(f"sentence pool: {len(pool):,} sentences from {SEEDS.relative_to(ROOT)}; index at {location}")

    # -- build
    held: dict[str, list[str]] = {}
    peer = None
    t0 = time.perf_counter()
    with Index.open(location) as index:
        if not args.no_peer:
            peer = MemoryPeer(index)
        n = 0
        batch: list[tuple[str, str]] = []
        passages = 0
        while passages < args.passages:
            paras = document(rng, pool)
            doc_id = f"doc{n:06d}"
            held[doc_id] = paras
            batch.append((doc_id, "\n".join(paras)))
            n += 1
            if len(batch) == 256:
                passages += sum(a.passages for a in index.add_many(batch, batch_size=256))
                batch.clear()
                print(f"\r  {passages:,} passages", end="", file=sys.stderr, flush=True)
        if batch:
            passages += sum(a.passages for a in index.add_many(batch))
        build = time.perf_counter() - t0
        if peer is not None:
            t1 = time.perf_counter()
            for doc_id, paras in held.items():
                peer.add(doc_id, "\n".join(paras))
            peer_build = time.perf_counter() - t1
        print(file=sys.stderr)
    stats_after = None
    # Reopen: the size is measured with the write-ahead log checkpointed, as a reader sees it.
    with Index.open(location, create=False) as index:
        stats_after = index.stats()
        docs = len(index)

        # -- queries
        ids = sorted(held)
        queries: list[tuple[str, str, str | None]] = []
        for q in range(args.queries + 20):
            if q % 2 == 0:
                source = rng.choice(ids)
                paras = held[source]
                k = min(len(paras), rng.randint(3, 5))
                first = rng.randrange(0, len(paras) - k + 1)
                copied = [blank(p) for p in paras[first : first + k]]
                text = "\n".join(document(rng, pool, 300) + copied + document(rng, pool, 300))
                queries.append(("planted", text, source))
            else:
                queries.append(("fresh", "\n".join(document(rng, pool)), None))
        timings: dict[str, list[float]] = {"planted": [], "fresh": []}
        peer_ms: list[float] = []
        found_source, agree, planted, fresh_hits, chars = 0, 0, 0, 0, []
        for q, (kind, text, source) in enumerate(queries):
            t = time.perf_counter()
            matches = index.query(text)
            elapsed = (time.perf_counter() - t) * 1000
            if peer is not None:
                t = time.perf_counter()
                peer_found = peer.query(text)
                peer_elapsed = (time.perf_counter() - t) * 1000
            if q < 20:
                continue  # warm-up
            chars.append(len(text))
            timings[kind].append(elapsed)
            ours = {m.doc_id for m in matches}
            if peer is not None:
                peer_ms.append(peer_elapsed)
                agree += ours == peer_found
            if kind == "planted":
                planted += 1
                found_source += source in ours
            else:
                fresh_hits += bool(ours)
    all_ms = timings["planted"] + timings["fresh"]
    result: dict[str, Any] = {
        "machine": machine(),
        "command": "python -m benchmarks.index_latency " + " ".join(argv if argv is not None else sys.argv[1:]),
        "backend": stats_after.backend,
        "documents": docs,
        "passages": stats_after.passages,
        "build_seconds": round(build, 1),
        "build_passages_per_second": round(stats_after.passages / build),
        "bytes": stats_after.bytes,
        "bytes_per_passage": None if stats_after.bytes is None else round(stats_after.bytes / stats_after.passages),
        "query_chars_median": int(statistics.median(chars)),
        "latency_ms": summary(all_ms),
        "latency_ms_planted": summary(timings["planted"]),
        "latency_ms_fresh": summary(timings["fresh"]),
        "planted_found": f"{found_source}/{planted}",
        "fresh_with_matches": f"{fresh_hits}/{len(timings['fresh'])}",
    }
    if peer is not None:
        result["peer_datasketch_memory_ms"] = summary(peer_ms)
        result["peer_build_seconds"] = round(peer_build, 1)
        result["same_documents_as_peer"] = f"{agree}/{len(all_ms)}"
        result["p50_ratio_to_peer"] = round(result["latency_ms"]["p50"] / result["peer_datasketch_memory_ms"]["p50"], 2)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
