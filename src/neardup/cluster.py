"""Verified matches -> clusters of copies.

A copied speech is many matching paragraphs in a row, and users want it reported once:
"lines 127-169 of A reappear as lines 235-277 of B", not as forty paragraph pairs. So
besides the match edges, consecutive matches between the same two documents (passage
``i`` ~ ``j``, then ``i+d`` ~ ``j+e`` with ``d, e <= gap``) chain their passages on each
side. Connected components are clusters; inside a cluster, a document's passages that
are at most ``gap`` apart form one member (one contiguous copy). Passage components are
found with numpy label propagation (networkx spent seconds building a graph of Python
objects at a million passages; a test checks both give the same components).

Families of documents work one level up, in :mod:`neardup.families`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from neardup.config import ClusterConfig
from neardup.model import Cluster, Match, Member, Passage
from neardup.passages import PassageArray
from neardup.verify import similarity

__all__ = ["cluster_matches", "connected_components"]

SetOf = Callable[[Sequence[int]], npt.NDArray[np.uint64]]


def cluster_matches(
    passages: Sequence[Passage],
    matches: Sequence[Match],
    doc_ids: Sequence[str],
    texts: Sequence[str],
    shingle_set: SetOf,
    config: ClusterConfig | None = None,
) -> list[Cluster]:
    """Group matched passages into clusters of members, ordered by size then text.

    ``shingle_set(passage_numbers)`` returns the sorted unique shingle hashes of those
    passages together; it scores each member against the others.
    """
    config = config or ClusterConfig()
    docs = _doc_numbers(passages)
    pairs = np.array([(m.a, m.b) for m in matches], dtype=np.int64).reshape(-1, 2)
    edges = np.concatenate((pairs, _chain_edges(pairs, docs, config.gap)))
    components = connected_components(edges)
    passages = _Memo(passages, [n for c in components for n in c])
    clusters = []
    for component in components:
        regions = _regions(component, docs, config.gap)
        if len(regions) < 2:
            continue
        clusters.append(_members(regions, passages, doc_ids, texts, shingle_set))
    clusters.sort(key=lambda ms: (-len(ms), -sum(m.length for m in ms), ms[0].doc_id, ms[0].start))
    return [Cluster(id=i + 1, members=tuple(ms)) for i, ms in enumerate(clusters)]


def connected_components(edges: npt.NDArray[np.int64]) -> list[list[int]]:
    """Connected components of an edge list, each a sorted list of nodes; any order.

    Label propagation with pointer jumping, all in numpy: every node takes the smallest
    label among its neighbours, then the label of its label, until nothing changes.
    The same components as ``networkx.connected_components``, without a Python object
    per node or edge.

    >>> connected_components(np.array([[1, 2], [5, 7], [2, 3], [7, 9]]))
    [[1, 2, 3], [5, 7, 9]]
    """
    if len(edges) == 0:
        return []
    nodes, local = np.unique(edges, return_inverse=True)
    u, v = local.reshape(-1, 2).T
    labels = np.arange(len(nodes))
    while True:
        low = np.minimum(labels[u], labels[v])
        new = labels.copy()
        np.minimum.at(new, u, low)
        np.minimum.at(new, v, low)
        new = new[new]
        while not np.array_equal(new, new[new]):
            new = new[new]
        if np.array_equal(new, labels):
            break
        labels = new
    order = np.argsort(labels, kind="stable")  # nodes ascending within each label
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    return [group.tolist() for group in np.split(nodes[order], bounds)]


class _Memo(Sequence[Passage]):
    """Each passage looked up once: a scan's passages are records, built on access."""

    def __init__(self, passages: Sequence[Passage], needed: Sequence[int] = ()) -> None:
        self.passages = passages
        self.size = len(passages)
        if isinstance(passages, PassageArray) and len(needed):
            rows = passages.rows[np.asarray(needed, dtype=np.int64)].tolist()
            self.seen = {n: Passage(*row) for n, row in zip(needed, rows)}
        else:
            self.seen = {}

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> Passage:  # type: ignore[override]
        p = self.seen.get(i)
        if p is None:
            p = self.seen[i] = self.passages[i]
        return p


def _doc_numbers(passages: Sequence[Passage]) -> npt.NDArray[np.int64]:
    """The document number of every passage, as an array."""
    if isinstance(passages, PassageArray):
        return passages.rows["doc"]  # type: ignore[no-any-return]
    return np.fromiter((p.doc for p in passages), dtype=np.int64, count=len(passages))


def _chain_edges(pairs: npt.NDArray[np.int64], docs: npt.NDArray[np.int64], gap: int) -> npt.NDArray[np.int64]:
    """Edges ``(a, a+da)`` and ``(b, b+db)`` wherever ``(a+da, b+db)`` is a match too.

    ``da, db`` in ``1..gap``, each step staying inside its document: a copied region
    shows up as a run of such matches, and its passages become one component.
    """
    n = len(docs)
    if len(pairs) == 0:
        return np.empty((0, 2), dtype=np.int64)
    a, b = pairs[:, 0], pairs[:, 1]
    known = np.unique(a * n + b)
    edges = []
    for da in range(1, gap + 1):
        for db in range(1, gap + 1):
            a2, b2 = a + da, b + db
            ok = (a2 < n) & (b2 < n)
            ok[ok] &= (docs[a2[ok]] == docs[a[ok]]) & (docs[b2[ok]] == docs[b[ok]])
            code = a2 * n + b2
            hit = ok & (known[np.minimum(np.searchsorted(known, code), len(known) - 1)] == code)
            edges.append(np.stack((a[hit], a2[hit]), axis=1))
            edges.append(np.stack((b[hit], b2[hit]), axis=1))
    return np.concatenate(edges)


def _regions(nodes: list[int], docs: npt.NDArray[np.int64], gap: int) -> list[list[int]]:
    """Split sorted passage numbers into runs inside one document with gaps <= ``gap``."""
    regions: list[list[int]] = []
    doc_of = docs[nodes].tolist()
    last_doc = -1
    for n, doc in zip(nodes, doc_of):
        if regions and last_doc == doc and n - regions[-1][-1] <= gap:
            regions[-1].append(n)
        else:
            regions.append([n])
        last_doc = doc
    return regions


def _members(
    regions: list[list[int]],
    passages: Sequence[Passage],
    doc_ids: Sequence[str],
    texts: Sequence[str],
    shingle_set: SetOf,
) -> list[Member]:
    sets = [shingle_set(r) for r in regions]
    scores: dict[tuple[int, int], float] = {}

    def score(k: int, o: int) -> float:
        key = (min(k, o), max(k, o))
        if key not in scores:
            scores[key] = similarity(sets[key[0]], sets[key[1]])[0]
        return scores[key]

    members = []
    for k, region in enumerate(regions):
        first = passages[region[0]]
        start, end = first.start, max(passages[p].end for p in region)
        best = max(score(k, o) for o in _peers(k, len(regions)))
        members.append(
            Member(
                doc_id=doc_ids[first.doc],
                start=start,
                end=end,
                line_start=first.line_start,
                line_end=max(passages[p].line_end for p in region),
                passages=tuple(passages[p].index for p in region),
                similarity=round(best, 4),
                text=texts[first.doc][start:end],
            )
        )
    members.sort(key=lambda m: (m.doc_id, m.start))
    return members


def _peers(k: int, n: int, limit: int = 32) -> list[int]:
    """Members compared with member ``k``: all of them, or ``limit`` nearest in order."""
    others = [o for o in range(n) if o != k]
    return others if len(others) <= limit else sorted(others, key=lambda o: abs(o - k))[:limit]
