"""The default command, no flags, on redundant corpora: time, memory, stages, coherence, quality.

    python -m benchmarks.default_scan --mb 5 50 300 [--detail-clusters] [--peers-up-to 50]
    python -m benchmarks.default_scan --seed-copies 10 20 60
    python -m benchmarks.default_scan --english

``--mb``: corpora from ``python -m benchmarks.generate --redundant`` (stock paragraphs
recurring across thousands of documents, closing formulas and site chrome on most of
them, and the usual planted copies), written once under ``benchmarks/data/redundant-N``.
``--seed-copies N``: N lightly edited copies (1 % of characters replaced) of each of the
five seed pages. ``--english``: the twelve public-domain English books of
``../shared/data/en-public-domain`` (real text, no planted copies: recall and precision
say nothing there, coherence does).

Each corpus is scanned by the real CLI in a child process, ``neardup scan CORPUS
--format json -o OUT``: no analysis flag (the format only says how to write the
report). The child runs the CLI's own code and records when each stage starts (the
progress callback the bar is drawn from), so the table shows time per stage. Reported:
wall and CPU seconds (the process tree), peak RSS (and its peak in each stage), seconds per MB, stages; coherence
(sampled member pairs of every cluster whose 5-gram containment, on normalised text,
is below 0.2: they would share no text); recall and precision of document pairs against
the planted copies; and, in the same run, the naive datasketch pipeline at document
level (``MinHash.update_batch`` over character 5-grams, ``MinHashLSH`` at 0.5, networkx
components), with the ratio of wall times. ``--update-peer-up-to MB`` adds, once per
corpus up to that size, the same pipeline fed one shingle at a time with
``MinHash.update``, as datasketch's documentation shows it (several times slower than
``update_batch``; the targets are measured against ``update_batch``).

``--repeat N``: every run of a corpus of at most ``--repeat-up-to`` MB (the peer's
too) is made N times and its median wall time reported (each run's in
``seconds_runs``); a few seconds' scan on a shared host varies by a third from one
minute to the next. The table's last line compares seconds per MB of the redundant
corpora, largest over smallest. ``--alternate ROUNDS`` then runs those corpora (up to
``--repeat-up-to`` MB) and their datasketch peer in turn, round after round, and
reports each round's ratios and their medians (:func:`alternate`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.perf import ROOT, PeakRSS, adopt_orphans, load_corpus, load_truth, machine, reap_orphans, save, table

DATA = ROOT / "benchmarks" / "data"
OUT = ROOT / "benchmarks" / "out"


# --------------------------------------------------------------------------- corpora


def redundant_corpus(mb: float) -> Path:
    out = DATA / f"redundant-{mb:g}"
    if not (out / "meta.json").exists():
        from benchmarks.generate import write_corpus

        write_corpus(out, seed=1, mb=mb, redundant=True)
    return out


def seed_copies(n: int) -> Path:
    """``n`` lightly edited copies of each seed page (a folder of text files)."""
    out = DATA / f"seed-copies-{n}"
    if out.exists():
        return out
    rng = random.Random(n)
    docs = out / "docs"
    docs.mkdir(parents=True)
    for k in range(n):
        for page in sorted((ROOT / "examples" / "seeds").iterdir()):
            chars = list(page.read_text(encoding="utf-8"))
            for i, ch in enumerate(chars):
                if "\u4e00" <= ch <= "\u9fff" and rng.random() < 0.01:
                    chars[i] = rng.choice("的一是了我不人在他有这个上们来到时大地为子中")
            (docs / f"c{k:03d}_{page.name}").write_text("".join(chars), encoding="utf-8")
    (out / "meta.json").write_text(json.dumps({"copies": n}) + "\n", encoding="utf-8")
    return out


def english_books() -> Path:
    """The twelve public-domain English books of ``../shared/data`` (7.2 MB, each with the
    same Gutenberg licence), as a folder of text files: real English, not generated."""
    source = ROOT.parent / "shared" / "data" / "en-public-domain"
    out = DATA / "english-books"
    docs = out / "docs"
    if not docs.exists():
        docs.mkdir(parents=True)
        for book in sorted(source.glob("*.txt")):
            (docs / book.name).write_bytes(book.read_bytes())
    return out


# --------------------------------------------------------------------------- the child


def child(args: list[str], stages_file: str) -> int:
    """Run ``neardup`` with ``args`` in this process, recording when each stage starts.

    It runs the console command itself (:func:`neardup.cli.main`), which exits this
    process the way ``neardup`` does; the marks are written on the way out."""
    import atexit
    import importlib

    cli = importlib.import_module("neardup.cli")
    stage_module = importlib.import_module("neardup.scan")  # the CLI imports scan from it when run

    start = time.perf_counter()
    marks: dict[str, float] = {}
    real_scan = stage_module.scan

    def observed_scan(*a: Any, progress: Any = None, **kw: Any) -> Any:
        def hook(stage: str, done: int, total: int) -> None:
            marks.setdefault(stage, time.perf_counter() - start)
            if progress is not None:
                progress(stage, done, total)

        result = real_scan(*a, progress=hook, **kw)
        marks["report"] = time.perf_counter() - start
        return result

    def written() -> None:
        marks["end"] = time.perf_counter() - start
        Path(stages_file).write_text(json.dumps(marks), encoding="utf-8")

    stage_module.scan = observed_scan  # type: ignore[attr-defined]
    atexit.register(written)
    sys.argv = ["neardup", *args]
    cli.main()
    return 0  # not reached: main exits


def run_cli(corpus_path: Path, out: Path, extra: list[str]) -> dict[str, Any]:
    stages = out.with_suffix(".stages.json")
    cmd = [sys.executable, "-m", "benchmarks.default_scan", "--child", str(stages), "--",
           "scan", str(corpus_path), "--format", "json", "-o", str(out), *extra]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    adopt_orphans()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, cwd=ROOT)
    with PeakRSS(proc.pid) as rss:
        _, err = proc.communicate()
    wall = time.perf_counter() - start
    reap_orphans()  # the fork server, with its workers' CPU
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err.decode()[-2000:]}")
    marks = json.loads(stages.read_text())
    order = sorted(marks.items(), key=lambda kv: kv[1])
    per_stage = {name: round(order[i + 1][1] - t, 2) for i, (name, t) in enumerate(order[:-1])}
    per_stage = {"read": round(order[0][1], 2), **per_stage}
    # The child's marks count from its own start, a few milliseconds after ours.
    memory = rss.peaks_between([("read", 0.0), *[(name, t) for name, t in order[:-1]]])
    return {
        "seconds": wall,
        "cpu_seconds": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "peak_rss_GiB": rss.peak / 2**30,
        "stages": per_stage,
        "stage_peak_rss_GiB": memory,
    }


# --------------------------------------------------------------------------- measures


def _grams(text: str) -> set[str]:
    from neardup.normalize import normalize

    t = normalize(text).text
    return {t[i : i + 5] for i in range(max(len(t) - 4, 1))}


def coherence(report: dict[str, Any], pairs_per_cluster: int = 10, seed: int = 1) -> dict[str, Any]:
    """Share of sampled member pairs (per cluster) whose 5-gram containment is below 0.2."""
    rng = random.Random(seed)
    sampled = incoherent = 0
    rep_sampled = rep_incoherent = 0
    for c in report["clusters"]:
        members = c["members"]
        grams = {}

        def g(k: int) -> set[str]:
            if k not in grams:
                grams[k] = _grams(members[k]["text"])
            return grams[k]

        n = len(members)
        pairs = {tuple(sorted(rng.sample(range(n), 2))) for _ in range(pairs_per_cluster)} if n > 2 else {(0, 1)}
        for i, j in pairs:
            a, b = g(i), g(j)
            sampled += 1
            incoherent += len(a & b) / max(1, min(len(a), len(b))) < 0.2
        rep = c.get("representative", 0)
        for k in rng.sample(range(n), min(n, pairs_per_cluster)):
            if k == rep:
                continue
            a, b = g(k), g(rep)
            rep_sampled += 1
            rep_incoherent += len(a & b) / max(1, min(len(a), len(b))) < 0.2
    return {
        "pairs_sampled": sampled,
        "incoherent_share": incoherent / sampled if sampled else 0.0,
        "rep_incoherent_share": rep_incoherent / rep_sampled if rep_sampled else 0.0,
        "largest_cluster": max((c["size"] for c in report["clusters"]), default=0),
    }


def _bare(doc_id: str) -> str:
    return doc_id.rsplit("/", 1)[-1].removesuffix(".txt")


def pair_quality(doc_sets: list[set[str]], truth: list[dict[str, str]]) -> dict[str, Any]:
    """Recall of planted (copy, source) pairs; precision of reported document pairs.

    A reported pair (two documents in one cluster) is right when both belong to one
    planted family. Counted per cluster from family sizes (no list of all pairs), so a
    pair reported by two clusters counts twice.
    """
    family: dict[str, str] = {}
    for t in truth:
        family[t["copy"]] = family.get(t["source"], t["source"])
        family.setdefault(t["source"], t["source"])
    where: dict[str, set[int]] = defaultdict(set)
    reported = correct = 0
    for n, docs in enumerate(doc_sets):
        docs = {_bare(d) for d in docs}
        for d in docs:
            where[d].add(n)
        reported += len(docs) * (len(docs) - 1) // 2
        sizes: dict[str, int] = defaultdict(int)
        for d in docs:
            if d in family:
                sizes[family[d]] += 1
        correct += sum(k * (k - 1) // 2 for k in sizes.values())
    found = sum(1 for t in truth if where[t["copy"]] & where[t["source"]])
    return {
        "planted": len(truth),
        "recall": found / len(truth) if truth else 1.0,
        "precision": correct / reported if reported else 1.0,
        "reported_pairs": reported,
    }


def datasketch_documents(docs: list[tuple[str, str]], threshold: float = 0.5, *, batch: bool = True) -> list[set[str]]:
    """The naive pipeline: one MinHash per document, MinHashLSH, networkx components.

    ``batch``: each document's shingles go in with one ``MinHash.update_batch`` call (the
    peer the targets are measured against); otherwise one ``MinHash.update`` call each,
    as datasketch's documentation shows it (``for d in data1: m1.update(d.encode('utf8'))``).
    """
    import networkx as nx
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    hashes = []
    for key, (_, text) in enumerate(docs):
        m = MinHash(num_perm=128)
        shingles = [text[i : i + 5].encode("utf8") for i in range(max(len(text) - 4, 1))]
        if batch:
            m.update_batch(shingles)
        else:
            for shingle in shingles:
                m.update(shingle)
        hashes.append(m)
        lsh.insert(key, m)
    graph = nx.Graph()
    for key, m in enumerate(hashes):
        for other in lsh.query(m):
            if other != key:
                graph.add_edge(key, other)
    return [{docs[k][0] for k in comp} for comp in nx.connected_components(graph)]


# --------------------------------------------------------------------------- driver


def _median_run(runs: int, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``run()`` (a row with ``seconds``) ``runs`` times: the row of the median wall time,
    with every run's seconds."""
    rows = sorted((run() for _ in range(runs)), key=lambda r: r["seconds"])
    middle = dict(rows[(len(rows) - 1) // 2])
    if runs > 1:
        middle["seconds_runs"] = [round(r["seconds"], 2) for r in rows]
    return middle


def bench(
    corpus: Path, label: str, mb: float, peers: bool, detail_clusters: bool, jobs: int, repeat: int = 1, update_peer: bool = False
) -> list[dict[str, Any]]:
    """The default command (and ``--detail clusters``) on ``corpus``, then its peers: the
    datasketch pipeline with ``update_batch`` (``peers``, ``repeat`` runs) and, with
    ``update_peer``, once more fed one shingle at a time (one run: it takes minutes)."""
    OUT.mkdir(parents=True, exist_ok=True)
    target = _scan_target(corpus)
    truth = load_truth(corpus) if (corpus / "truth.jsonl").exists() else []
    rows = []
    variants = [("neardup scan (default)", [])]
    if detail_clusters:
        variants.append(("neardup scan --detail clusters", ["--detail", "clusters"]))
    for name, extra in variants:
        extra = [*extra, *_jobs_flag(jobs)]
        out = OUT / f"default_{label}_{'clusters' if extra else 'full'}.json"
        timed = _median_run(repeat, lambda: run_cli(target, out, extra))
        row = {"corpus": label, "MB": mb, "pipeline": name + (f" --jobs {jobs}" if jobs != 1 else ""), **timed}
        report = json.loads(out.read_text(encoding="utf-8"))
        row["s_per_MB"] = row["seconds"] / mb
        row.update(coherence(report))
        if truth:  # planted copies to score against (the English books have none)
            row.update(pair_quality([set(c["documents"]) for c in report["clusters"]], truth))
        row["clusters"] = report["summary"]["clusters"]
        row["passages"] = report["summary"]["passages"]
        rows.append(row)
    docs = _documents(corpus) if peers or update_peer else []  # read once for both peers
    ours = list(rows)
    for batch, wanted, runs, column in ((True, peers, repeat, "speedup_vs_datasketch"), (False, update_peer, 1, "speedup_vs_datasketch_update")):
        if wanted:
            peer = _peer_row(docs, label, mb, truth, batch, runs)
            for r in ours:
                r[column] = peer["seconds"] / r["seconds"]
            rows.append(peer)
    return rows


def _peer_row(docs: list[tuple[str, str]], label: str, mb: float, truth: list[dict[str, str]], batch: bool, runs: int) -> dict[str, Any]:
    """The datasketch pipeline's row: median wall time of ``runs``, and its pair quality."""
    found: list[list[set[str]]] = []
    timed = _median_run(runs, lambda: _peer(docs, found, batch=batch))
    how = "update_batch," if batch else "update per shingle, as documented;"
    row = {"corpus": label, "MB": mb, "pipeline": f"datasketch documents ({how} MinHashLSH 0.5, networkx)",
           **timed, "s_per_MB": timed["seconds"] / mb}  # fmt: skip
    if truth:
        row.update(pair_quality(found[-1], truth))
    return row


def _scan_target(corpus: Path) -> Path:
    """What ``neardup scan`` reads: a generated corpus's JSONL, or a folder of text files."""
    return corpus / "corpus.jsonl" if (corpus / "corpus.jsonl").exists() else corpus / "docs"


def _jobs_flag(jobs: int) -> list[str]:
    """``--jobs N``, or no flag at all for 1: the command's own default (one worker per CPU)."""
    return ["--jobs", str(jobs)] if jobs != 1 else []


def _documents(corpus: Path) -> list[tuple[str, str]]:
    if (corpus / "corpus.jsonl").exists():
        return load_corpus(corpus)
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted((corpus / "docs").iterdir())]


def _peer(docs: list[tuple[str, str]], found: list[list[set[str]]], *, batch: bool = True) -> dict[str, Any]:
    """One timed run of the datasketch pipeline in this process; its clusters go to ``found``."""
    with PeakRSS() as rss:
        wall, cpu = time.perf_counter(), time.process_time()
        found.append(datasketch_documents(docs, batch=batch))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"seconds": wall, "cpu_seconds": cpu, "peak_rss_GiB": rss.peak / 2**30}


def alternate(corpora: list[tuple[str, Path, float]], rounds: int, jobs: int) -> dict[str, Any]:
    """``rounds`` rounds, each running the default command on every corpus and then the
    datasketch pipeline on it, one after the other.

    A shared host's speed moves by a third from one minute to the next, and the main
    runs time each corpus several times in a row: a slow stretch lands on one corpus
    only, and the ratios between corpora (seconds per MB) or against the peer carry it.
    Here each round's ratios come from runs a minute apart at most, and their medians
    are reported beside the medians' ratios.
    """
    extra = _jobs_flag(jobs)
    docs = {label: _documents(corpus) for label, corpus, _ in corpora}
    per_round: list[dict[str, dict[str, float]]] = []
    for _ in range(rounds):
        found: dict[str, dict[str, float]] = {}
        for label, corpus, mb in corpora:
            ours = run_cli(_scan_target(corpus), OUT / f"alternate_{label}.json", extra)["seconds"]
            peer = _peer(docs[label], [])["seconds"]
            found[label] = {"seconds": ours, "s_per_MB": ours / mb, "peer_seconds": peer, "speedup_vs_datasketch": peer / ours}
        per_round.append(found)
    spread = [max(r[x]["s_per_MB"] for x in r) / min(r[x]["s_per_MB"] for x in r) for r in per_round]
    medians = {label: {key: statistics.median(r[label][key] for r in per_round) for key in per_round[0][label]} for label, _, _ in corpora}
    return {
        "rounds": per_round,
        "s_per_MB_spread_by_round": spread,
        "s_per_MB_spread_median": statistics.median(spread),
        "s_per_MB_spread_of_medians": max(m["s_per_MB"] for m in medians.values()) / min(m["s_per_MB"] for m in medians.values()),
        "medians": medians,
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child(argv[3:], argv[1])
    parser = argparse.ArgumentParser(prog="python -m benchmarks.default_scan", description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, nargs="*", default=[], help="redundant generated corpora of these sizes")
    parser.add_argument("--seed-copies", type=int, nargs="*", default=[], help="N edited copies of each seed page")
    parser.add_argument("--peers-up-to", type=float, default=50, help="run the datasketch pipeline up to this many MB")
    parser.add_argument("--update-peer-up-to", type=float, default=0, metavar="MB",
                        help="also time, once, the datasketch pipeline fed one shingle at a time (MinHash.update, as documented) up to this many MB")  # fmt: skip
    parser.add_argument("--detail-clusters", action="store_true", help="also time --detail clusters")
    parser.add_argument("--english", action="store_true", help="also the twelve English books of ../shared/data")
    parser.add_argument("--jobs", type=int, default=1, help="passed on as --jobs N; 1 (default): no flag, the command's own default")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each small corpus, median reported")
    parser.add_argument("--repeat-up-to", type=float, default=60, help="repeat corpora up to this many MB")
    parser.add_argument("--alternate", type=int, default=0, metavar="ROUNDS",
                        help="then ROUNDS rounds alternating the --mb corpora up to --repeat-up-to MB and their datasketch peer")  # fmt: skip
    args = parser.parse_args(argv)

    def times(mb: float) -> int:
        return max(args.repeat, 1) if mb <= args.repeat_up_to else 1

    rows = []
    if args.english:
        corpus = english_books()
        mb = sum(p.stat().st_size for p in (corpus / "docs").iterdir()) / 1e6
        rows += bench(corpus, "english-books", mb, mb <= args.peers_up_to, args.detail_clusters, args.jobs, times(mb),
                      mb <= args.update_peer_up_to)
    for n in args.seed_copies:
        corpus = seed_copies(n)
        mb = sum(p.stat().st_size for p in (corpus / "docs").iterdir()) / 1e6
        rows += bench(corpus, f"seed-copies-{n}", mb, mb <= args.peers_up_to, args.detail_clusters, args.jobs, times(mb),
                      mb <= args.update_peer_up_to)
    for mb in args.mb:
        corpus = redundant_corpus(mb)
        real = json.loads((corpus / "meta.json").read_text())["text_bytes"] / 1e6
        rows += bench(corpus, f"redundant-{mb:g}", real, mb <= args.peers_up_to, args.detail_clusters, args.jobs, times(mb),
                      mb <= args.update_peer_up_to)
    alternated = None
    if args.alternate > 0:
        small = [(f"redundant-{mb:g}", redundant_corpus(mb)) for mb in args.mb if mb <= args.repeat_up_to]
        corpora = [(label, corpus, json.loads((corpus / "meta.json").read_text())["text_bytes"] / 1e6) for label, corpus in small]
        alternated = alternate(corpora, args.alternate, args.jobs) if len(corpora) > 1 else None
    info = machine()
    save("default_scan", {"machine": info, "rows": rows, "alternated": alternated})
    print(f"machine: {info.get('cpu')}, {info.get('cpus')} CPUs, load {info.get('load_avg_1m')}")
    cols = ["corpus", "MB", "pipeline", "seconds", "cpu_seconds", "peak_rss_GiB", "s_per_MB", "speedup_vs_datasketch", "speedup_vs_datasketch_update",
            "incoherent_share", "rep_incoherent_share", "largest_cluster", "recall", "precision", "clusters"]  # fmt: skip
    print(table(rows, cols))
    for r in rows:
        if "stages" in r:
            print(f"{r['corpus']} {r['pipeline']}: " + ", ".join(f"{k} {v:g}s" for k, v in r["stages"].items()))
    for r in rows:
        if "stage_peak_rss_GiB" in r:
            print(f"{r['corpus']} {r['pipeline']}, peak RSS GiB: " + ", ".join(f"{k} {v:g}" for k, v in r["stage_peak_rss_GiB"].items()))
    for r in rows:
        if "seconds_runs" in r:
            print(f"{r['corpus']} {r['pipeline']}: runs {r['seconds_runs']} s, median {r['seconds']:.2f} s")
    flat = {r["corpus"]: r["s_per_MB"] for r in rows if r["corpus"].startswith("redundant-") and r["pipeline"].startswith("neardup scan (default)")}
    if len(flat) > 1:
        print("seconds per MB, default: " + ", ".join(f"{k} {v:.3f}" for k, v in flat.items())
              + f"; largest over smallest {max(flat.values()) / min(flat.values()):.2f}x")  # fmt: skip
    if alternated:
        for n, found in enumerate(alternated["rounds"], 1):
            print(f"round {n}: " + ", ".join(f"{k} {v['seconds']:.2f} s ({v['s_per_MB']:.3f} s/MB, x datasketch {v['speedup_vs_datasketch']:.2f})" for k, v in found.items())
                  + f"; s/MB largest over smallest {alternated['s_per_MB_spread_by_round'][n - 1]:.2f}x")  # fmt: skip
        print(f"alternated, median of the rounds' s/MB spreads {alternated['s_per_MB_spread_median']:.2f}x, spread of the medians "
              f"{alternated['s_per_MB_spread_of_medians']:.2f}x; medians: "
              + ", ".join(f"{k} {v['seconds']:.2f} s, x datasketch {v['speedup_vs_datasketch']:.2f}" for k, v in alternated["medians"].items()))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
