"""Weighted document graphs -> communities (Louvain), on arrays.

The families stage groups documents by the text they share: a graph of tens of
thousands of documents and millions of weighted edges at 50 MB. networkx's Louvain
walks Python dictionaries (30 s and 12 GB at that size); here the graph is a CSR
array and the local moving phase is one plain loop, compiled by numba when it is
installed (the same function runs uncompiled otherwise, with the same result). Each
pass over the nodes is linear in the edges, and aggregation is numpy.

The method is Blondel et al. (2008): move each node to the neighbouring community that
raises modularity most, until no move helps; fold communities into nodes; repeat
until a level moves nothing. Nodes are visited in an order drawn from ``seed``, so
the same graph and seed give the same communities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from neardup.arrays import unique_inverse

__all__ = ["Graph", "louvain", "stands_out"]

#: Passes of the local moving phase at most, per level (Louvain converges in a handful;
#: the cap guards against rounding ping-pong between two equal moves).
MAX_PASSES = 64


@dataclass(frozen=True)
class Graph:
    """An undirected weighted graph in CSR form: both directions of every edge are stored
    (``indices[indptr[u]:indptr[u + 1]]`` are ``u``'s neighbours, ``weights`` beside
    them), without self-loops; ``loops[u]`` is the weight of ``u``'s self-loop (the
    internal weight of a folded community)."""

    indptr: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int64]
    weights: npt.NDArray[np.float64]
    loops: npt.NDArray[np.float64]

    @property
    def nodes(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def from_edges(
        cls, n: int, a: npt.ArrayLike, b: npt.ArrayLike, w: npt.ArrayLike, loops: npt.ArrayLike | None = None
    ) -> Graph:
        """The graph of ``n`` nodes with edges ``a[i] -- b[i]`` of weight ``w[i]``; repeated
        edges add up, self-loops go to ``loops``.

        >>> g = Graph.from_edges(3, [0, 1, 1], [1, 0, 2], [1.0, 2.0, 4.0])
        >>> g.indptr.tolist(), g.indices.tolist(), g.weights.tolist()
        ([0, 1, 3, 4], [1, 0, 2, 1], [3.0, 3.0, 4.0, 4.0])
        """
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        w = np.asarray(w, dtype=np.float64)
        loop = np.zeros(n, dtype=np.float64) if loops is None else np.asarray(loops, dtype=np.float64).copy()
        kernel = _csr_kernel() if len(a) >= CSR_MIN_EDGES else None
        if kernel is not None:  # a third of the memory of the sorts below (the families' graph: millions of edges)
            indptr, indices, weights = kernel(n, a, b, w, loop)
            return cls(indptr, indices, weights, loop)
        self_loop = a == b
        np.add.at(loop, a[self_loop], w[self_loop])
        a, b, w = a[~self_loop], b[~self_loop], w[~self_loop]
        src = np.concatenate((a, b))
        dst = np.concatenate((b, a))
        code, inverse = unique_inverse(src * n + dst)
        summed = np.bincount(inverse.ravel(), weights=np.concatenate((w, w)), minlength=len(code)).astype(np.float64)  # float when empty too
        src, dst = code // n, code % n
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        return cls(indptr, dst.astype(np.int64), summed, loop)

    def degrees(self) -> npt.NDArray[np.float64]:
        """Weighted degree of every node (a self-loop counts twice, as in networkx)."""
        if len(self.indices) == 0:
            return 2 * self.loops
        per_node = np.add.reduceat(self.weights, np.minimum(self.indptr[:-1], len(self.weights) - 1))
        per_node[np.diff(self.indptr) == 0] = 0.0
        return per_node + 2 * self.loops  # type: ignore[no-any-return]

    def subgraph(self, nodes: npt.NDArray[np.int64]) -> Graph:
        """The graph induced by ``nodes`` (sorted), renumbered ``0..len(nodes)-1`` in that order."""
        new = np.full(self.nodes, -1, dtype=np.int64)
        new[nodes] = np.arange(len(nodes))
        src, at = self.rows(nodes)
        dst = self.indices[at]
        keep = (new[dst] >= 0) & (src < dst)
        return Graph.from_edges(len(nodes), new[src[keep]], new[dst[keep]], self.weights[at][keep], self.loops[nodes])

    def rows(self, nodes: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The edges of ``nodes`` (sorted): each one's source node and its position in
        ``indices`` and ``weights``, in CSR order. What is asked of a part of the graph
        costs that part's edges, not the whole graph's: the families part the graph
        again and again.

        >>> g = Graph.from_edges(4, [0, 1, 2], [1, 2, 3], [1.0, 1.0, 1.0])
        >>> [x.tolist() for x in g.rows(np.array([1, 3]))]
        [[1, 1, 3], [1, 2, 5]]
        """
        starts = self.indptr[nodes]
        counts = self.indptr[nodes + 1] - starts
        before = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        at = np.repeat(starts - before, counts) + np.arange(int(counts.sum()), dtype=np.int64)
        return np.repeat(nodes.astype(np.int64), counts), at


def louvain(graph: Graph, resolution: float = 1.0, seed: int = 1) -> npt.NDArray[np.int64]:
    """Each node's community, numbered ``0..c-1`` by its smallest node.

    >>> two_triangles = Graph.from_edges(6, [0, 0, 1, 3, 3, 4, 2], [1, 2, 2, 4, 5, 5, 3], [1, 1, 1, 1, 1, 1, 0.1])
    >>> louvain(two_triangles).tolist()
    [0, 0, 0, 1, 1, 1]
    """
    n = graph.nodes
    labels = np.arange(n, dtype=np.int64)
    if n == 0 or (len(graph.indices) == 0 and not graph.loops.any()):
        return labels
    moves = _local_moves_kernel(len(graph.indices))
    rng = np.random.default_rng(seed)
    level = graph
    while True:
        degree = level.degrees()
        m = float(degree.sum()) / 2
        if m <= 0:
            break
        order = rng.permutation(level.nodes).astype(np.int64)
        community = np.arange(level.nodes, dtype=np.int64)
        moved = moves(level.indptr, level.indices, level.weights, degree, m, float(resolution), order, community, MAX_PASSES)
        if not moved:
            break
        _, community = unique_inverse(community)
        community = community.ravel().astype(np.int64)
        labels = community[labels]
        level = _fold(level, community)
    return _by_smallest_node(labels)


def stands_out(
    graph: Graph,
    labels: npt.NDArray[np.int64],
    within: npt.NDArray[np.int64] | int | None = None,
    nodes: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.bool_]:
    """Per community: whether its nodes are tied more to each other than to the rest
    (a community in the weak sense, Radicchi et al. 2004: internal weight counted from
    both ends above the weight leaving it). ``labels`` may be -1 for nodes outside every
    community (``within`` then gives the labels' count); ``nodes``: the (sorted) nodes
    that have a label, when they are a part of the graph: only their edges are read."""
    count = int(labels.max()) + 1 if within is None else int(within)
    if nodes is None or len(nodes) == graph.nodes:  # every edge: no gathered copies of them
        src = np.repeat(np.arange(graph.nodes, dtype=np.int64), np.diff(graph.indptr))
        dst, weights = graph.indices, graph.weights
    else:
        src, at = graph.rows(nodes)
        dst, weights = graph.indices[at], graph.weights[at]
    own = labels[src]
    mine = own >= 0
    same = mine & (labels[dst] == own)
    inside = np.bincount(own[same], weights=weights[same], minlength=count)
    leaving = np.bincount(own[mine & ~same], weights=weights[mine & ~same], minlength=count)
    return inside > leaving  # type: ignore[no-any-return]


def _fold(graph: Graph, community: npt.NDArray[np.int64]) -> Graph:
    """The graph of communities: edges between them add up, edges inside them and the
    members' self-loops become the community's self-loop."""
    count = int(community.max()) + 1
    src = np.repeat(np.arange(graph.nodes, dtype=np.int64), np.diff(graph.indptr))
    upper = src < graph.indices  # every edge once
    a, b, w = community[src[upper]], community[graph.indices[upper]], graph.weights[upper]
    loops = np.bincount(community, weights=graph.loops, minlength=count)
    return Graph.from_edges(count, a, b, w, loops)


def _by_smallest_node(labels: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Renumber communities by their smallest node, so the numbering says nothing of the visit order."""
    _, first = np.unique(labels, return_index=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[labels]  # type: ignore[no-any-return]


#: A graph with this many edges is built by the compiled :func:`csr_rows`.
CSR_MIN_EDGES = 1 << 16


def csr_rows(
    n: int, a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], w: npt.NDArray[np.float64], loop: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """:meth:`Graph.from_edges` as plain loops (numba compiles this very function,
    :mod:`neardup.kernels`): each edge placed in both rows by a counting sort, each row
    sorted by neighbour (stably) and repeated neighbours summed, in the order numpy sums
    them; self-loops added to ``loop`` in place. Same arrays, bit for bit."""
    deg = np.zeros(n + 1, dtype=np.int64)
    for i in range(len(a)):
        if a[i] != b[i]:
            deg[a[i] + 1] += 1
            deg[b[i] + 1] += 1
    for v in range(n):
        deg[v + 1] += deg[v]
    pos = deg[:-1].copy()
    dst = np.empty(deg[n], dtype=np.int64)
    wt = np.empty(deg[n], dtype=np.float64)
    for i in range(len(a)):  # first every edge as a -> b, then as b -> a: numpy's order
        if a[i] != b[i]:
            dst[pos[a[i]]] = b[i]
            wt[pos[a[i]]] = w[i]
            pos[a[i]] += 1
    for i in range(len(a)):
        if a[i] == b[i]:
            loop[a[i]] += w[i]
        else:
            dst[pos[b[i]]] = a[i]
            wt[pos[b[i]]] = w[i]
            pos[b[i]] += 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    k = 0
    for v in range(n):
        s, e = deg[v], deg[v + 1]
        order = np.argsort(dst[s:e], kind="mergesort")
        row_dst = dst[s:e][order]
        row_wt = wt[s:e][order]
        for j in range(len(row_dst)):
            if j > 0 and row_dst[j] == row_dst[j - 1]:
                wt[k - 1] += row_wt[j]
            else:
                dst[k] = row_dst[j]
                wt[k] = 0.0 + row_wt[j]
                k += 1
        indptr[v + 1] = k
    return indptr, dst[:k].copy(), wt[:k].copy()


def _csr_kernel():  # type: ignore[no-untyped-def]
    from neardup.shingle import compiled_kernels

    kernels = compiled_kernels()
    return None if kernels is None else kernels.csr_rows


def local_moves(
    indptr: npt.NDArray[np.int64],
    indices: npt.NDArray[np.int64],
    weights: npt.NDArray[np.float64],
    degree: npt.NDArray[np.float64],
    m: float,
    resolution: float,
    order: npt.NDArray[np.int64],
    community: npt.NDArray[np.int64],
    max_passes: int,
) -> bool:
    """Louvain's local moving phase, in place on ``community``: whether any node moved.

    Plain loops over arrays, so that numba compiles this very function
    (:mod:`neardup.kernels`); uncompiled it gives the same result, slowly.
    """
    n = len(degree)
    total = degree.copy()  # sum of the degrees of each community's nodes
    to_community = np.zeros(n, dtype=np.float64)
    seen = np.full(n, -1, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    scale = resolution / (2.0 * m * m)
    moved = False
    visit = 0
    for _ in range(max_passes):
        improved = False
        for u in order:
            visit += 1
            mine = community[u]
            ku = degree[u]
            count = 0
            for j in range(indptr[u], indptr[u + 1]):
                c = community[indices[j]]
                if seen[c] != visit:
                    seen[c] = visit
                    to_community[c] = 0.0
                    touched[count] = c
                    count += 1
                to_community[c] += weights[j]
            own = to_community[mine] if seen[mine] == visit else 0.0
            total[mine] -= ku
            leave = -own / m + total[mine] * ku * scale
            best = mine
            best_gain = 0.0
            for t in range(count):
                c = touched[t]
                gain = leave + to_community[c] / m - total[c] * ku * scale
                if gain > best_gain:
                    best_gain = gain
                    best = c
            total[best] += ku
            if best != mine:
                community[u] = best
                improved = True
                moved = True
        if not improved:
            break
    return moved


#: A graph with fewer CSR entries than this is parted by this module's loop unless the
#: kernels are loaded already: the loop takes 0.02 s on 1,000 edges, and loading numba
#: for it 0.5 s (a scan of the five seed pages spent a fifth of its time there).
COMPILED_MIN_ENTRIES = 4_000


def _local_moves_kernel(entries: int):  # type: ignore[no-untyped-def]
    """The compiled local moving phase when numba is there (and worth loading for a
    graph of ``entries`` CSR entries), this module's loop otherwise."""
    from neardup.shingle import compiled_kernels, loaded_kernels

    kernels = compiled_kernels() if entries >= COMPILED_MIN_ENTRIES else loaded_kernels()
    return local_moves if kernels is None else kernels.local_moves
