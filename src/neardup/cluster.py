"""Verified matches -> clusters of copies, each a set of copies of one text.

Single linkage over matches chains: a closing formula shared by twenty speeches, or a
passage that holds paragraph X and paragraph Y, joins X's copies to Y's copies, until
one "cluster" holds thousands of members that share nothing. So clusters are built in
two steps, each linear in the matches:

1. **Stars over passages.** Every matched passage ranks by its number of matches (ties:
   the earlier passage). In rounds, a passage that outranks all its unassigned
   neighbours becomes a centre, and every unassigned passage that is or neighbours a
   centre joins the best-ranked one; assigned passages leave the graph. Every member of
   a star is a verified match of its centre. A passage left alone joins its neighbour's
   centre only if it verifies against that centre too.
2. **Runs of stars.** A copied speech is forty matching paragraphs in a row, and users
   want it reported once: "lines 127-169 of A reappear as lines 235-277 of B". Star
   ``P`` is followed by star ``Q`` when every passage of ``P`` has, at most ``gap``
   passages further in its document, a distinct passage of ``Q``, and the two have as
   many passages; or, when a copy's passage boundaries fall elsewhere than its source's
   (one star of three passages, the next of two), block by block: every block of ``P``
   (its consecutive passages in one place) is followed by its own block of ``Q``, and
   ``Q`` has no other. Such stars merge: the members stay copies of one text, paragraph
   by paragraph, and a passage that holds X where another document holds Y never
   merges X's copies with Y's. A paragraph some copies left out (a star, or a run of
   them, in some of the places only), and the pieces of a paragraph that some copies'
   edits cut elsewhere, join the runs before and after them when they sit between them
   wherever they are and the runs follow each other where they are missing: every
   place still holds both runs. (Two texts, each between the same runs in some places,
   stay two texts.)

Inside a merged cluster, a document's passages at most ``gap`` apart form one member.
The representative is the member holding the most centres; every member's
``jaccard`` is its Jaccard with the representative (a member sharing no shingle with
it is dropped, so "every member shares text with the representative" holds by
construction).

Families of documents work one level up, in :mod:`neardup.families`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from neardup.arrays import isin, unique_inverse
from neardup.config import ClusterConfig
from neardup.model import Cluster, Match, Member, Passage
from neardup.passages import PassageArray
from neardup.verify import similarity

__all__ = [
    "Position",
    "UnionFind",
    "attach_loners",
    "chain_links",
    "cluster_matches",
    "connected_components",
    "merge_runs",
    "region_count",
    "star_centres",
]

SetOf = Callable[[Sequence[int]], npt.NDArray[np.uint64]]


def cluster_matches(
    passages: Sequence[Passage],
    matches: Sequence[Match] | npt.NDArray[np.int64],
    doc_ids: Sequence[str],
    texts: Sequence[str],
    shingle_set: SetOf,
    config: ClusterConfig | None = None,
    *,
    threshold: float = 0.3,
) -> list[Cluster]:
    """Group matched passages into clusters of members, ordered by size then text.

    ``matches``: verified matches, or their ``(a, b)`` passage pairs as an array.
    ``shingle_set(passage_numbers)`` returns the sorted unique shingle hashes of those
    passages together: it scores each member against the representative, and checks a
    passage left alone against its neighbour's centre (Jaccard ``threshold``).
    """
    config = config or ClusterConfig()
    docs = _doc_numbers(passages)
    pairs = _pairs(matches)
    nodes, centre = star_centres(pairs)
    centre = attach_loners(nodes, centre, pairs, shingle_set, threshold)
    groups = merge_runs(nodes, centre, docs[nodes], config.gap)
    memo = _Memo(passages, [n for g in groups for n in g[0]])
    clusters = []
    for group_nodes, centres in groups:
        members, rep = _members(_regions(group_nodes, docs, config.gap), centres, memo, doc_ids, texts, shingle_set)
        if len(members) >= 2:
            clusters.append((members, rep))
    clusters.sort(key=lambda c: (-len(c[0]), -sum(m.length for m in c[0]), c[0][0].doc_id, c[0][0].start))
    return [Cluster(id=i + 1, members=tuple(ms), representative=rep) for i, (ms, rep) in enumerate(clusters)]


def _pairs(matches: Sequence[Match] | npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    if isinstance(matches, np.ndarray):
        return matches.astype(np.int64, copy=False).reshape(-1, 2)
    return np.array([(m.a, m.b) for m in matches], dtype=np.int64).reshape(-1, 2)


def star_centres(pairs: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every matched node (sorted) and its star's centre (a centre is its own), by rounds.

    A node's rank is ``(degree, -node)``. Each round, among the nodes still unassigned,
    a node that outranks all its unassigned neighbours is a centre; every unassigned node
    that is a centre or neighbours one joins the best-ranked such centre. At least the
    top node of every component is assigned each round, so the rounds end; each is a
    few numpy passes over the remaining edges.

    >>> nodes, centre = star_centres(np.array([[1, 2], [2, 3], [3, 4], [4, 5]]))
    >>> dict(zip(nodes.tolist(), centre.tolist()))
    {1: 2, 2: 2, 3: 2, 4: 4, 5: 4}
    """
    if len(pairs) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    nodes, local = unique_inverse(pairs)
    n = len(nodes)
    u, v = local.reshape(-1, 2).T
    keep = u != v
    u, v = u[keep], v[keep]
    degree = np.bincount(u, minlength=n) + np.bincount(v, minlength=n)
    rank = degree.astype(np.int64) * n + (n - 1 - np.arange(n, dtype=np.int64))  # all distinct
    centre = np.full(n, -1, dtype=np.int64)
    open_ = np.ones(n, dtype=bool)
    while True:
        best = np.where(open_, rank, -1)
        np.maximum.at(best, u, rank[v])
        np.maximum.at(best, v, rank[u])
        is_centre = open_ & (best == rank)
        pick = np.where(is_centre, rank, -1)
        cu, cv = is_centre[u], is_centre[v]
        np.maximum.at(pick, u[cv], rank[v[cv]])
        np.maximum.at(pick, v[cu], rank[u[cu]])
        joined = open_ & (pick >= 0)
        centre[joined] = n - 1 - (pick[joined] % n)  # rank -> node
        open_ &= ~joined
        if not open_.any():
            break
        alive = open_[u] & open_[v]
        u, v = u[alive], v[alive]
    return nodes, nodes[centre]


def attach_loners(
    nodes: npt.NDArray[np.int64],
    centre: npt.NDArray[np.int64],
    pairs: npt.NDArray[np.int64],
    shingle_set: SetOf,
    threshold: float,
) -> npt.NDArray[np.int64]:
    """A centre left without members joins a neighbour's centre if it verifies against it."""
    if len(nodes) == 0:
        return centre
    size = np.bincount(np.searchsorted(nodes, centre), minlength=len(nodes))
    loners = np.flatnonzero((size == 1) & (centre == nodes))
    if len(loners) == 0:
        return centre
    centre = centre.copy()
    # each loner tries the centre of its smallest-numbered neighbour
    both = np.concatenate((pairs, pairs[:, ::-1]))
    both = both[isin(both[:, 0], nodes[loners])]
    both = both[np.lexsort((both[:, 1], both[:, 0]))]
    first = np.concatenate(([True], both[1:, 0] != both[:-1, 0])) if len(both) else np.empty(0, bool)
    neighbour = dict(zip(both[first, 0].tolist(), both[first, 1].tolist()))
    for k in loners.tolist():
        x = int(nodes[k])
        other = neighbour.get(x)
        if other is None:
            continue
        c = int(centre[np.searchsorted(nodes, other)])
        if c != x and similarity(shingle_set([x]), shingle_set([c]))[0] >= threshold:
            centre[k] = c
    return centre


def merge_runs(
    nodes: npt.NDArray[np.int64], centre: npt.NDArray[np.int64], node_docs: npt.NDArray[np.int64], gap: int
) -> list[tuple[list[int], set[int]]]:
    """Stars merged into runs: each group's passage numbers (sorted) and its centres.

    ``nodes`` are sorted passage numbers, in which the next passage of a document is the
    next number (the scan's global numbers, or Spark's ``doc << 32 | index``);
    ``node_docs`` their documents. Star ``P`` links to star ``Q`` when each passage of
    ``P`` is followed, within ``gap`` passages of its document, by a distinct passage of
    ``Q`` (the nearest passage of another star), and both stars have as many passages;
    more generally, block by block (:func:`_block_links`, which finds those links too).
    Stars of one passage are dropped.

    >>> merge_runs(np.array([0, 1, 3, 4]), np.array([0, 1, 0, 1]), np.array([0, 0, 1, 1]), 2)
    [([0, 1, 3, 4], {0, 1})]
    """
    if len(nodes) == 0:
        return []
    labels, label = unique_inverse(centre)
    keep = np.bincount(label, minlength=len(labels))[label] >= 2
    nodes, label, node_docs = nodes[keep], label[keep], node_docs[keep]
    if len(nodes) == 0:
        return []
    n_labels = len(labels)
    group_of = _groups(_block_links(nodes, label, node_docs, _next_other(nodes, label, node_docs, gap), gap, n_labels), n_labels)
    # Once more between the runs: a paragraph some copies left out is a run of its own
    # (two passages, two stars), between the runs before and after it.
    runs, run = unique_inverse(group_of[label])
    run_group = _groups(_block_links(nodes, run, node_docs, _next_other(nodes, run, node_docs, gap), gap, len(runs)), len(runs))
    at = np.minimum(np.searchsorted(runs, group_of), len(runs) - 1)
    group_of = np.where(runs[at] == group_of, runs[run_group[at]], group_of)  # stars of one passage have no run
    g = group_of[label]
    order = np.lexsort((nodes, g))
    bounds = np.flatnonzero(np.diff(g[order])) + 1
    return [(nodes[part].tolist(), set(labels[np.unique(label[part])].tolist())) for part in np.split(order, bounds)]


def _next_other(
    nodes: npt.NDArray[np.int64], label: npt.NDArray[np.int64], node_docs: npt.NDArray[np.int64], gap: int
) -> npt.NDArray[np.int64]:
    """For each node, the index in ``nodes`` of the nearest passage of another label at
    most ``gap`` passages further in its document, or -1."""
    nxt = np.full(len(nodes), -1, dtype=np.int64)
    for d in range(1, gap + 1):
        q = nodes + d
        pos = np.minimum(np.searchsorted(nodes, q), len(nodes) - 1)
        ok = (nxt < 0) & (nodes[pos] == q) & (node_docs[pos] == node_docs) & (label[pos] != label)
        nxt[ok] = pos[ok]
    return nxt


def _block_links(
    nodes: npt.NDArray[np.int64],
    label: npt.NDArray[np.int64],
    node_docs: npt.NDArray[np.int64],
    nxt: npt.NDArray[np.int64],
    gap: int,
    n_labels: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Star ``P`` followed by star ``Q`` block by block: a block is a star's consecutive
    passages in one place (at most ``gap`` apart, no other star's between), and each
    block of ``P`` is followed by its own block of ``Q``, which has no other.

    Passage boundaries fall differently in a source and its copy: the copy's first
    passage can overlap two of the source's, so that star has three passages and the
    next two, and :func:`merge_runs`' passage-by-passage rule reported one copied text
    as two clusters. Block by block, the merged members are still the same text in the
    same places, one after the other.

    Also ``P`` to ``R`` across stars in some of the places only: a paragraph some copies
    left out, or cut into passages elsewhere (:func:`_bridges`).
    """
    order = np.lexsort((nodes, label))  # by star, then passage: a star's documents in order
    lab, doc, at = label[order], node_docs[order], order
    same = np.concatenate(([False], (lab[1:] == lab[:-1]) & (doc[1:] == doc[:-1])))
    close = np.concatenate(([False], (at[1:] == at[:-1] + 1) & (nodes[at[1:]] - nodes[at[:-1]] <= gap)))
    starts = np.flatnonzero(~(same & close))
    ends = np.concatenate((starts[1:], [len(order)])) - 1
    block_label, first, last = lab[starts], at[starts], at[ends]
    block_at = np.full(len(nodes), -1, dtype=np.int64)
    block_at[first] = np.arange(len(starts))
    after = nxt[last]
    out = np.where(after >= 0, block_at[np.maximum(after, 0)], -1)  # the block right after each, or -1
    return _bridges(block_label, out, n_labels)


#: At most this many stars between two blocks of a run (:func:`_bridges`): a copy's edits
#: move a passage boundary or two, so a place holds a star or two the others do not.
MAX_BETWEEN = 3


def _bridges(
    block_label: npt.NDArray[np.int64], out: npt.NDArray[np.int64], n_labels: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Star links ``(P, R)`` and ``(Q, P)``: ``P`` is followed by ``R``, each block of ``P``
    by its own block of ``R`` (both in as many places), directly or through at most
    :data:`MAX_BETWEEN` blocks of stars ``Q`` in fewer places.

    Copies differ there: one left a paragraph out (``Q`` missing from a place), or its
    edits cut a paragraph into passages elsewhere (a small star only some places hold),
    or both at once. Every place still holds ``P`` and ``R``, so every two members of
    the merged run share text. Each ``Q`` must lie between ``P`` and ``R`` wherever it
    is, and the ``Q`` in most places (``M``) must be in every place that holds any
    other: one paragraph and its pieces, not one text in some places and another text
    in the rest (two texts between the same two runs stay two texts). A star missing
    from some places is not merged otherwise: a stock paragraph in sixty documents,
    followed in two of them by a text those two share, stays a cluster of its own.
    """
    n_blocks = len(block_label)
    blocks = np.bincount(block_label, minlength=n_labels)  # a star's places
    k = blocks[block_label]
    reach = np.full(n_blocks, -1, dtype=np.int64)  # the block of ``R`` each block's walk ends on
    walk_start, walk_on = [], []  # (first block, a block between) of every walk
    start, cur = np.arange(n_blocks, dtype=np.int64), out
    for step in range(MAX_BETWEEN + 1):
        live = cur >= 0
        start, cur = start[live], cur[live]
        ended = (k[cur] == k[start]) & (block_label[cur] != block_label[start])
        reach[start[ended]] = cur[ended]
        on = k[cur] < k[start]
        if step == MAX_BETWEEN or not on.any():
            break
        start, cur = start[on], cur[on]
        walk_start.append(start)
        walk_on.append(cur)
        cur = out[cur]
    p, r = _one_star(block_label, reach, n_labels)
    if not walk_start:
        return p, r
    linked = np.zeros(n_labels, dtype=bool)
    linked[p] = True
    s, b = np.concatenate(walk_start), np.concatenate(walk_on)
    keep = linked[block_label[s]]
    s, b = s[keep], b[keep]
    ps, q = block_label[s], block_label[b]
    bad = np.zeros(n_labels, dtype=bool)  # links P -> R to drop
    # each Q on the walks of one P only, every block of it on one walk
    lo, hi = _target_range(q, ps, n_labels)
    blocks_on = np.bincount(q[np.unique(b, return_index=True)[1]], minlength=n_labels)
    stray = ((lo != hi) | (blocks_on != blocks) | (np.bincount(q, minlength=n_labels) != blocks))[q]
    bad[ps[stray]] = True
    # M, the Q in most places (then the smallest star), is on every walk holding any Q
    best = np.full(n_labels, -1, dtype=np.int64)
    np.maximum.at(best, ps, blocks[q] * n_labels + (n_labels - 1 - q))
    m = n_labels - 1 - best % n_labels
    holds_m = np.zeros(n_blocks, dtype=bool)
    holds_m[s[q == m[ps]]] = True
    bad[ps[~holds_m[s]]] = True
    good = ~bad[p]
    p, r = p[good], r[good]
    between = ~bad[ps]
    pairs = np.unique(np.stack((q[between], ps[between]), axis=1), axis=0).reshape(-1, 2)
    return np.concatenate((p, pairs[:, 0])), np.concatenate((r, pairs[:, 1]))


def _groups(links: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]], n: int) -> npt.NDArray[np.int64]:
    """Each of ``n`` labels' group: the smallest label linked to it, directly or not."""
    group_of = np.arange(n)
    if len(links[0]):
        for comp in connected_components(np.stack(links, axis=1)):
            group_of[comp] = comp[0]
    return group_of


def _one_star(
    block_label: npt.NDArray[np.int64], to: npt.NDArray[np.int64], n_labels: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Stars every block of which has a neighbour block (``to``, -1 for none), all of one
    other star, a different one each: pairs (star, that star), by star."""
    has = to >= 0
    other = np.where(has, block_label[np.maximum(to, 0)], -1)
    lo, hi = _target_range(block_label, other, n_labels)
    bad = np.zeros(n_labels, dtype=bool)
    bad[block_label[~has]] = True
    order = np.lexsort((to, block_label))
    twice = (block_label[order][1:] == block_label[order][:-1]) & (to[order][1:] == to[order][:-1])
    bad[block_label[order][1:][twice]] = True  # two blocks next to one: not one for one
    ok = ~bad & (lo == hi) & (hi >= 0)
    src = np.flatnonzero(ok)
    return src, lo[src]


def _target_range(
    src: npt.NDArray[np.int64], dst: npt.NDArray[np.int64], n: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The smallest and largest ``dst`` of each of ``n`` sources (equal: one star follows)."""
    lo = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(n, -1, dtype=np.int64)
    np.minimum.at(lo, src, dst)
    np.maximum.at(hi, src, dst)
    return lo, hi


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
    nodes, local = unique_inverse(edges)
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


N = TypeVar("N", bound=Hashable)


class UnionFind(Generic[N]):
    """Disjoint sets of any hashable nodes, for clusters kept up to date one add at a time
    (the persistent index), where the batch :func:`connected_components` does not fit.

    >>> uf = UnionFind[int]()
    >>> uf.union(1, 2); uf.union(3, 4); uf.union(2, 4); uf.find(5)
    5
    >>> sorted(sorted(g) for g in uf.groups())
    [[1, 2, 3, 4], [5]]
    """

    def __init__(self) -> None:
        self.parent: dict[N, N] = {}

    def find(self, x: N) -> N:
        """The representative of ``x``'s set (``x`` joins as a set of its own if new)."""
        parent = self.parent
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: N, b: N) -> None:
        """Merge the sets of ``a`` and ``b``; ``a``'s representative stays."""
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra

    def groups(self) -> list[list[N]]:
        """Every set, its nodes in the order they were first seen."""
        out: dict[N, list[N]] = defaultdict(list)
        for x in list(self.parent):
            out[self.find(x)].append(x)
        return list(out.values())


Position = tuple[int, int]  # (document, passage index)


def chain_links(pairs: Iterable[tuple[Position, Position]], gap: int) -> list[tuple[Position, Position]]:
    """Links inside one document implied by consecutive matches with another one.

    Matches ``a ~ b`` and ``a+da ~ b+db`` between the same two documents
    (``1 <= da, db <= gap``) link ``a`` to ``a+da`` and ``b`` to ``b+db``: a copied speech
    is one region on each side. Pairs are oriented canonically, which the rule does not
    depend on.

    >>> chain_links([((0, 1), (1, 5)), ((0, 2), (1, 6))], gap=2)
    [((0, 1), (0, 2)), ((1, 5), (1, 6))]
    """
    by_docs: dict[tuple[int, int], set[tuple[int, int]]] = defaultdict(set)
    for x, y in pairs:
        a, b = min(x, y), max(x, y)
        by_docs[(a[0], b[0])].add((a[1], b[1]))
    links = []
    for (doc_a, doc_b), matched in by_docs.items():
        for ia, ib in sorted(matched):
            for da in range(1, gap + 1):
                for db in range(1, gap + 1):
                    if (ia + da, ib + db) in matched:
                        links.append(((doc_a, ia), (doc_a, ia + da)))
                        links.append(((doc_b, ib), (doc_b, ib + db)))
    return links


def region_count(positions: Iterable[Position], gap: int) -> int:
    """How many members a set of passages makes: runs within one document, at most
    ``gap`` apart (as :func:`cluster_matches` cuts members).

    >>> region_count([(0, 1), (0, 3), (0, 9), (1, 0)], gap=2)
    3
    """
    count, last = 0, None
    for doc, idx in sorted(positions):
        if last is None or last[0] != doc or idx - last[1] > gap:
            count += 1
        last = (doc, idx)
    return count


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
    centres: set[int],
    passages: Sequence[Passage],
    doc_ids: Sequence[str],
    texts: Sequence[str],
    shingle_set: SetOf,
) -> tuple[list[Member], int]:
    """Members of one cluster (sorted by document and start) and the representative's index.

    The representative holds the most centres (then: the longest, the first reported).
    """
    firsts = [passages[r[0]] for r in regions]
    ends = [max(passages[p].end for p in r) for r in regions]

    def rank(k: int) -> tuple[int, int, str, int]:
        return (-sum(1 for p in regions[k] if p in centres), firsts[k].start - ends[k], doc_ids[firsts[k].doc], firsts[k].start)

    rep_k = min(range(len(regions)), key=rank)
    rep_set = shingle_set(regions[rep_k])
    out = []
    for k, region in enumerate(regions):
        score = 1.0 if k == rep_k else similarity(shingle_set(region), rep_set)[0]
        if score <= 0.0:
            continue
        first, end = firsts[k], ends[k]
        member = Member(
            doc_id=doc_ids[first.doc],
            start=first.start,
            end=end,
            line_start=first.line_start,
            line_end=max(passages[p].line_end for p in region),
            passages=tuple(passages[p].index for p in region),
            jaccard=round(score, 4),
            text=texts[first.doc][first.start : end],
        )
        out.append((member, k == rep_k))
    out.sort(key=lambda mr: (mr[0].doc_id, mr[0].start))
    rep = next(i for i, (_, is_rep) in enumerate(out) if is_rep)
    return [m for m, _ in out], rep
