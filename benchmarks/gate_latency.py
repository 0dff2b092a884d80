"""End-to-end start-up and gate times, each a fresh ``neardup`` process, as a hook runs it.

Issue 13's targets, with the median of ``--runs`` fresh processes each:

- ``neardup --version``: under 0.3 s;
- ``neardup gate`` of a 5,000-character submission against a folder of the seed pages:
  under 1.0 s;
- the same submission against a stored index of the seeds plus ``--documents`` (10,000)
  generated documents: under 1.0 s. The index is built once (not timed; about a minute).

    python -m benchmarks.gate_latency [--documents 10000] [--runs 15] [--location FILE] [--no-index]

Prints one JSON object with the machine and the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
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


def _times(cmd: list[str], runs: int) -> tuple[list[float], set[int], str]:
    times, codes, out = [], set(), ""
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        codes.add(done.returncode)
        out = done.stdout + done.stderr
    return times, codes, out


def _summary(times: list[float], codes: set[int], target: float) -> dict[str, object]:
    median = statistics.median(times)
    return {
        "seconds_median": round(median, 3),
        "seconds_min": round(min(times), 3),
        "seconds_max": round(max(times), 3),
        "exit_codes": sorted(codes),
        "target_seconds": target,
        "met": median < target,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=10_000, help="generated documents besides the seeds [10000]")
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per measurement [15]")
    parser.add_argument("--seed", type=int, default=7, help="RNG seed [7]")
    parser.add_argument("--location", type=Path, default=None, help="index file to build or reuse [temporary]")
    parser.add_argument("--no-index", action="store_true", help="skip the stored-index measurement (and its build)")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="neardup-gate-"))
    sub = tmp / "submission.txt"
    sub.write_text(submission(args.seed), encoding="utf-8")
    neardup = [sys.executable, "-m", "neardup"]
    load_before = os.getloadavg()
    results: dict[str, object] = {"machine": machine(), "submission_chars": len(sub.read_text(encoding="utf-8")), "runs": args.runs}
    results["version"] = _summary(*_times([*neardup, "--version"], args.runs)[:2], target=0.3)
    times, codes, out = _times([*neardup, "gate", str(sub), "--against", str(SEEDS)], args.runs)
    results["gate_folder"] = {**_summary(times, codes, target=1.0), "reference": "examples/seeds (5 pages)"}
    if not args.no_index:
        location = args.location or tmp / "reference.ndx"
        if not location.exists():
            t0 = time.perf_counter()
            build(location, args.documents, args.seed)
            print(f"built {location} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        times, codes, out = _times([*neardup, "gate", str(sub), "--against", str(location)], args.runs)
        results["gate_index"] = {**_summary(times, codes, target=1.0), "index_documents": args.documents + 5}
    results["load_average_before"] = [round(x, 2) for x in load_before]
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(results, indent=2))
    print(out, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
