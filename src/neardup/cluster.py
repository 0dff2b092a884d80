"""Verified matches -> clusters of copies (networkx).

A copied speech is many matching paragraphs in a row, and users want it reported once:
"lines 127-169 of A reappear as lines 235-277 of B", not as forty paragraph pairs. So
besides the match edges, consecutive matches between the same two documents (passage
``i`` ~ ``j``, then ``i+d`` ~ ``j+e`` with ``d, e <= gap``) chain their passages on each
side. Connected components are clusters; inside a cluster, a document's passages that
are at most ``gap`` apart form one member (one contiguous copy).

Template families work one level up: documents are nodes, an edge carries how much
content text two documents share (boilerplate kept apart on the edge, never in its
weight), and Louvain communities with a fixed seed group the documents into families,
each labelled by jieba keywords of its shared text and the boilerplate it carries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

import networkx as nx
import numpy as np
import numpy.typing as npt

from neardup.config import ClusterConfig, FamilyConfig
from neardup.model import Cluster, DocLink, Family, Match, Member, Passage
from neardup.templates import keywords
from neardup.verify import similarity

__all__ = ["cluster_matches", "find_families"]

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



def find_families(
    links: Sequence[DocLink],
    shared_text: Mapping[tuple[str, str], Sequence[str]],
    boilerplate: Mapping[str, Sequence[str]],
    config: FamilyConfig | None = None,
) -> list[Family]:
    """Families of two or more documents linked by shared content, largest first.

    ``shared_text[(a, b)]``: the reused text of a linked pair (for keywords);
    ``boilerplate[doc_id]``: the corpus boilerplate runs a document carries.

    >>> links = [DocLink("a", "b", 400, 0), DocLink("b", "c", 300, 12), DocLink("x", "y", 200, 0), DocLink("c", "x", 0, 20)]
    >>> text = {("a", "b"): ["鄂州市创建全国文明城市工作推进会议"], ("b", "c"): ["文明城市创建"], ("x", "y"): ["法治政府建设示范创建"]}
    >>> [(f.id, f.doc_ids, f.content) for f in find_families(links, text, {}, FamilyConfig(keywords=0))]
    [(1, ('a', 'b', 'c'), 700), (2, ('x', 'y'), 200)]
    """
    config = config or FamilyConfig()
    graph = nx.Graph()
    for link in sorted(links, key=lambda l: (l.a, l.b)):
        if link.content > 0:
            graph.add_edge(link.a, link.b, weight=link.content)
    if graph.number_of_edges() == 0:
        return []
    communities = nx.community.louvain_communities(graph, weight="weight", resolution=config.resolution, seed=config.seed)
    groups = []
    for community in communities:
        docs = tuple(sorted(community))
        if len(docs) < 2:
            continue
        sub = graph.subgraph(docs)
        content = int(sum(w for _, _, w in sub.edges(data="weight")))
        groups.append((docs, content))
    groups.sort(key=lambda g: (-g[1], g[0]))
    families = []
    for n, (docs, content) in enumerate(groups):
        members = set(docs)
        texts = [t for (a, b), ts in sorted(shared_text.items()) if a in members and b in members for t in ts]
        carried: dict[str, int] = defaultdict(int)
        for d in docs:
            for run in dict.fromkeys(boilerplate.get(d, ())):
                carried[run] += 1
        shared_bp = sorted((r for r, c in carried.items() if c >= 2), key=lambda r: (-len(r), r))[:5]
        families.append(Family(n + 1, docs, content, keywords(texts, config.keywords), tuple(shared_bp)))
    return families
