"""Verified matches -> clusters of copies (networkx).

A copied speech is many matching paragraphs in a row, and users want it reported once:
"lines 127-169 of A reappear as lines 235-277 of B", not as forty paragraph pairs. So
besides the match edges, consecutive matches between the same two documents (passage
``i`` ~ ``j``, then ``i+d`` ~ ``j+e`` with ``d, e <= gap``) chain their passages on each
side. Connected components are clusters; inside a cluster, a document's passages that
are at most ``gap`` apart form one member (one contiguous copy).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import networkx as nx
import numpy as np
import numpy.typing as npt

from neardup.config import ClusterConfig
from neardup.model import Cluster, Match, Member, Passage
from neardup.verify import similarity

__all__ = ["cluster_matches"]

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
    passages = _Memo(passages)
    graph = nx.Graph()
    graph.add_edges_from((m.a, m.b) for m in matches)
    graph.add_edges_from(_chain_edges(passages, matches, config.gap))
    clusters = []
    for component in nx.connected_components(graph):
        regions = _regions(sorted(component), passages, config.gap)
        if len(regions) < 2:
            continue
        clusters.append(_members(regions, passages, doc_ids, texts, shingle_set))
    clusters.sort(key=lambda ms: (-len(ms), -sum(m.length for m in ms), ms[0].doc_id, ms[0].start))
    return [Cluster(id=i + 1, members=tuple(ms)) for i, ms in enumerate(clusters)]


class _Memo(Sequence[Passage]):
    """Each passage looked up once: a scan's passages are records, built on access."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.passages = passages
        self.seen: dict[int, Passage] = {}
        self.size = len(passages)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> Passage:  # type: ignore[override]
        p = self.seen.get(i)
        if p is None:
            p = self.seen[i] = self.passages[i]
        return p


def _chain_edges(passages: Sequence[Passage], matches: Sequence[Match], gap: int) -> list[tuple[int, int]]:
    by_docs: dict[tuple[int, int], set[tuple[int, int]]] = defaultdict(set)
    for m in matches:
        pa, pb = passages[m.a], passages[m.b]
        by_docs[(pa.doc, pb.doc)].add((m.a, m.b))
    edges = []
    for pairs in by_docs.values():
        for a, b in pairs:
            for da in range(1, gap + 1):
                for db in range(1, gap + 1):
                    if (a + da, b + db) in pairs and _same_doc(passages, a, a + da) and _same_doc(passages, b, b + db):
                        edges.append((a, a + da))
                        edges.append((b, b + db))
    return edges


def _same_doc(passages: Sequence[Passage], i: int, j: int) -> bool:
    return j < len(passages) and passages[i].doc == passages[j].doc


def _regions(nodes: list[int], passages: Sequence[Passage], gap: int) -> list[list[int]]:
    """Split sorted passage numbers into runs inside one document with gaps <= ``gap``."""
    regions: list[list[int]] = []
    for n in nodes:
        if regions and passages[regions[-1][-1]].doc == passages[n].doc and n - regions[-1][-1] <= gap:
            regions[-1].append(n)
        else:
            regions.append([n])
    return regions


def _members(
    regions: list[list[int]],
    passages: Sequence[Passage],
    doc_ids: Sequence[str],
    texts: Sequence[str],
    shingle_set: SetOf,
) -> list[Member]:
    sets = [shingle_set(r) for r in regions]
    members = []
    for k, region in enumerate(regions):
        first, last = passages[region[0]], passages[region[-1]]
        start, end = first.start, max(passages[p].end for p in region)
        best = max(similarity(sets[k], sets[o])[0] for o in _peers(k, len(regions)))
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

