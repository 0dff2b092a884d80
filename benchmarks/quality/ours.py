"""Adapter from neardup's public API to the benchmark's pairs and detections.

neardup is imported lazily so that the data, metrics and baselines run on a checkout
where the detector core is not installed yet; the conversion from a scan result is kept
in small pure functions that the tests exercise with stand-in objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any

from benchmarks.quality.common import Detection, Doc, Pair, as_docs, pair_key

#: Options given to every scan unless the caller overrides them: none, so the benchmark
#: measures neardup's own defaults (``neardup.config``), whatever they are today.
DEFAULT_OPTIONS: dict[str, Any] = {}


def neardup_import_error() -> str | None:
    """None when ``neardup.scan`` is importable, else why not (for the report)."""
    try:
        from neardup import Document, ScanConfig, scan  # noqa: F401
    except Exception as exc:  # ImportError, or a half-built package raising anything
        return f"{type(exc).__name__}: {exc}"
    return None


def neardup_origin() -> dict[str, str | None]:
    """Which neardup produced the figures: module path, version, and git commit if any.

    The benchmark may run against an editable install of another checkout, so the
    report must say which code it measured.
    """
    import subprocess
    from pathlib import Path

    import neardup

    path = Path(neardup.__file__).resolve().parent
    commit = dirty = None
    try:
        commit = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip()
        status = subprocess.run(["git", "-C", str(path), "status", "--porcelain", "--", "."], capture_output=True,
                                text=True, check=True, timeout=10).stdout
        dirty = "yes" if status.strip() else "no"
    except (OSError, subprocess.SubprocessError):
        pass
    return {"path": str(path), "version": getattr(neardup, "__version__", None), "commit": commit, "dirty": dirty}


def scan_docs(docs: Sequence[Doc | tuple[str, str]], **options: Any) -> Any:
    """Run ``neardup.scan`` on the documents with ``ScanConfig.from_options(**options)``."""
    from neardup import Document, ScanConfig, scan

    config = ScanConfig.from_options(**{**DEFAULT_OPTIONS, **options})
    return scan([Document(id=d.id, text=d.text) for d in as_docs(docs)], config=config)


def claimed_clusters(result: Any) -> list[Any]:
    """The clusters a scan presents as copies: those with a member outside the text the
    same report labels boilerplate (``result.boilerplate``: page menus and footers,
    stock text, ``--base`` text), which it states is "not evidence of copying".

    Two pages that share only a site footer form a cluster of footer members; the report
    shows it, and labels every member's text ``page`` boilerplate. Counting such a
    cluster as a copy claim would grade the report on something it does not claim.
    """
    spans: dict[str, list[tuple[int, int]]] = {}
    for b in result.boilerplate:
        spans.setdefault(b.doc_id, []).append((b.start, b.end))

    def inside(member: Any) -> bool:
        return any(s <= member.start and member.end <= e for s, e in spans.get(member.doc_id, ()))

    return [c for c in result.clusters if not all(inside(m) for m in c.members)]


def pairs_from_clusters(clusters: Iterable[Any]) -> set[Pair]:
    """Every two documents that have a member in the same cluster are a predicted pair."""
    pairs: set[Pair] = set()
    for cluster in clusters:
        ids = sorted({m.doc_id for m in cluster.members})
        pairs.update(pair_key(x, y) for x, y in combinations(ids, 2))
    return pairs


def detections_from_clusters(clusters: Iterable[Any]) -> list[Detection]:
    """Members of one cluster are copies of each other: each cross-document member pair is
    one detection, with the members' original-text offsets."""
    detections: list[Detection] = []
    for cluster in clusters:
        for x, y in combinations(cluster.members, 2):
            if x.doc_id != y.doc_id:
                detections.append(Detection(x.doc_id, x.start, x.end, y.doc_id, y.start, y.end))
    return detections


def run_neardup(docs: Sequence[Doc | tuple[str, str]], **options: Any) -> set[Pair]:
    """Predicted duplicate document pairs."""
    return pairs_from_clusters(claimed_clusters(scan_docs(docs, **options)))


def run_neardup_spans(docs: Sequence[Doc | tuple[str, str]], **options: Any) -> tuple[set[Pair], list[Detection]]:
    """Predicted pairs and span detections from a single scan."""
    clusters = claimed_clusters(scan_docs(docs, **options))
    return pairs_from_clusters(clusters), detections_from_clusters(clusters)
