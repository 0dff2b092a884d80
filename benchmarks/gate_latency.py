"""End-to-end time of ``neardup gate`` against a stored index, process start included.

The issue's target: one 5,000-character submission checked against an index of the
seed pages plus 10,000 other documents in under a second, measured as a user runs it
(a fresh ``neardup`` process each time). The index is built once (not timed).

    python -m benchmarks.gate_latency [--documents 10000] [--runs 15] [--location FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.index_latency import SEEDS, document, machine, sentence_pool


def build(location: Path, documents: int, seed: int) -> None:
    from neardup import Document
    from neardup.read import read_paths
    from neardup.store import Index

    rng = random.Random(seed)
    pool = sentence_pool()
    docs = list(read_paths([str(SEEDS)]).documents)
    docs += [Document(f"gen/{i:05d}.txt", "\n".join(document(rng, pool))) for i in range(documents)]
    with Index.open(location) as idx:
        idx.add_many(docs, batch_size=256)


def submission(seed: int) -> str:
    """5,000 characters: unrelated prose around one paragraph copied from the seeds."""
    rng = random.Random(seed)
    own = "本文结合本单位实际谈几点体会。我们坚持问题导向，把群众满意作为检验工作的标准，" \
          "在实践中不断完善工作机制，推动各项任务落地见效。"
    text = (SEEDS / "001_dd9de37c9c444b8c.txt").read_text(encoding="utf-8")
    copied = [line.strip() for line in text.splitlines() if len(line.strip()) > 200][2]
    body = [own[rng.randrange(10):] for _ in range(100)]
    body.insert(20, copied)
    out = "\n".join(body)
    return out[:5000]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=10_000, help="generated documents besides the seeds [10000]")
    parser.add_argument("--runs", type=int, default=15, help="timed gate runs [15]")
    parser.add_argument("--seed", type=int, default=7, help="RNG seed [7]")
    parser.add_argument("--location", type=Path, default=None, help="index file to build or reuse [temporary]")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="neardup-gate-"))
    location = args.location or tmp / "reference.db"
    if not location.exists():
        t0 = time.perf_counter()
        build(location, args.documents, args.seed)
        print(f"built {location} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    sub = tmp / "submission.txt"
    sub.write_text(submission(args.seed), encoding="utf-8")
    cmd = [sys.executable, "-m", "neardup", "gate", str(sub), "--against", str(location)]
    times, codes = [], set()
    for _ in range(args.runs):
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        codes.add(done.returncode)
    startup = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "neardup", "--help"], capture_output=True)
        startup.append(time.perf_counter() - t0)
    result = {
        "machine": machine(),
        "index_documents": args.documents + 5,
        "submission_chars": len(sub.read_text(encoding="utf-8")),
        "exit_codes": sorted(codes),
        "seconds_median": round(statistics.median(times), 3),
        "seconds_min": round(min(times), 3),
        "seconds_max": round(max(times), 3),
        "process_start_median": round(statistics.median(startup), 3),
        "runs": args.runs,
    }
    print(json.dumps(result, indent=2))
    print(done.stdout, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
