"""Louvain on arrays: the communities networkx finds, the same result compiled or not."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup.community import Graph, local_moves, louvain, stands_out
from neardup.shingle import compiled_kernels


def _graph(g: nx.Graph) -> Graph:
    edges = np.array([(a, b, d.get("weight", 1.0)) for a, b, d in g.edges(data=True)], dtype=np.float64).reshape(-1, 3)
    return Graph.from_edges(g.number_of_nodes(), edges[:, 0].astype(np.int64), edges[:, 1].astype(np.int64), edges[:, 2])


def _parts(labels: np.ndarray) -> list[set[int]]:
    return [set(np.flatnonzero(labels == c).tolist()) for c in range(int(labels.max()) + 1)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_communities_are_found(seed: int) -> None:
    g = nx.planted_partition_graph(12, 30, 0.4, 0.01, seed=seed)
    labels = louvain(_graph(g), seed=seed)
    assert sorted(map(sorted, _parts(labels))) == sorted(sorted(p) for p in g.graph["partition"])


@pytest.mark.parametrize("seed", [1, 7])
def test_modularity_is_as_good_as_networkx(seed: int) -> None:
    g = nx.connected_caveman_graph(15, 8)
    rng = np.random.default_rng(seed)
    for a, b in g.edges():
        g[a][b]["weight"] = float(rng.integers(1, 5))
    ours = nx.community.modularity(g, _parts(louvain(_graph(g), seed=seed)), weight="weight")
    theirs = nx.community.modularity(g, nx.community.louvain_communities(g, weight="weight", seed=seed), weight="weight")
    assert ours >= theirs - 0.02


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29), st.integers(1, 9)), min_size=1, max_size=120), st.integers(0, 5))
def test_compiled_and_plain_moves_agree(edges: list[tuple[int, int, int]], seed: int) -> None:
    kernels = compiled_kernels()
    if kernels is None:
        pytest.skip("numba is not installed: only the plain loop runs")
    a, b, w = (np.array(x) for x in zip(*edges))
    g = Graph.from_edges(30, a, b, w.astype(np.float64))
    degree = g.degrees()
    m = float(degree.sum()) / 2
    if m == 0:
        return
    order = np.random.default_rng(seed).permutation(30).astype(np.int64)
    plain, compiled = np.arange(30, dtype=np.int64), np.arange(30, dtype=np.int64)
    assert local_moves(g.indptr, g.indices, g.weights, degree, m, 1.0, order, plain, 64) == kernels.local_moves(
        g.indptr, g.indices, g.weights, degree, m, 1.0, order, compiled, 64
    )
    assert plain.tolist() == compiled.tolist()


def test_same_graph_same_seed_same_communities() -> None:
    g = _graph(nx.connected_caveman_graph(10, 5))
    assert louvain(g, seed=4).tolist() == louvain(g, seed=4).tolist()


def test_a_loose_community_does_not_stand_out() -> None:
    # 0-1-2 tight, 3 hangs on 2 by a heavy edge: {3} alone is tied more outside than inside
    g = Graph.from_edges(4, [0, 1, 0, 2], [1, 2, 2, 3], [5.0, 5.0, 5.0, 9.0])
    assert stands_out(g, np.array([0, 0, 0, 1])).tolist() == [True, False]


def test_subgraph_keeps_only_inner_edges() -> None:
    g = Graph.from_edges(4, [0, 1, 2], [1, 2, 3], [1.0, 2.0, 3.0])
    sub = g.subgraph(np.array([1, 2, 3]))
    assert sub.indptr.tolist() == [0, 1, 3, 4] and sub.weights.tolist() == [2.0, 2.0, 3.0, 3.0]


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 30), st.lists(st.tuples(st.integers(0, 29), st.integers(0, 29), st.floats(0.01, 5.0)), max_size=120), st.booleans())
def test_compiled_rows_are_the_numpy_graph_bit_for_bit(n: int, edges: list, with_loops: bool) -> None:
    from neardup import community
    from neardup.shingle import compiled_kernels

    if compiled_kernels() is None:
        pytest.skip("numba is not installed: only the numpy path runs")
    a = np.array([x % n for x, _, _ in edges], dtype=np.int64)
    b = np.array([y % n for _, y, _ in edges], dtype=np.int64)
    w = np.array([z for _, _, z in edges], dtype=np.float64)
    loops = np.linspace(0.0, 1.0, n) if with_loops else None
    saved = community.CSR_MIN_EDGES
    try:
        community.CSR_MIN_EDGES = 1 << 62
        plain = community.Graph.from_edges(n, a, b, w, loops)
        community.CSR_MIN_EDGES = 0
        compiled = community.Graph.from_edges(n, a, b, w, loops)
    finally:
        community.CSR_MIN_EDGES = saved
    for field in ("indptr", "indices", "weights", "loops"):
        x, y = getattr(plain, field), getattr(compiled, field)
        assert x.dtype == y.dtype and x.tolist() == y.tolist(), field  # repeated edges summed in the same order


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 25),
    st.lists(st.tuples(st.integers(0, 24), st.integers(0, 24), st.floats(0.01, 5.0)), max_size=80),
    st.lists(st.integers(0, 24), min_size=1, max_size=25),
    st.integers(1, 4),
)
def test_a_part_of_the_graph_costs_its_own_edges_and_answers_as_the_whole(n: int, edges: list, picked: list, parts: int) -> None:
    """``subgraph`` and ``stands_out`` of some nodes read only those nodes' edges (the
    families part the graph again and again) and give, bit for bit, what reading every
    edge gives."""
    g = Graph.from_edges(n, [x % n for x, _, _ in edges], [y % n for _, y, _ in edges], [z for _, _, z in edges])
    nodes = np.unique(np.array([p % n for p in picked], dtype=np.int64))
    # The whole-graph forms: every row read, the labelled ones kept.
    src = np.repeat(np.arange(g.nodes, dtype=np.int64), np.diff(g.indptr))
    new = np.full(g.nodes, -1, dtype=np.int64)
    new[nodes] = np.arange(len(nodes))
    keep = (new[src] >= 0) & (new[g.indices] >= 0) & (src < g.indices)
    whole = Graph.from_edges(len(nodes), new[src[keep]], new[g.indices[keep]], g.weights[keep], g.loops[nodes])
    sub = g.subgraph(nodes)
    for field in ("indptr", "indices", "weights", "loops"):
        assert np.array_equal(getattr(sub, field), getattr(whole, field))
    labels = np.full(g.nodes, -1, dtype=np.int64)
    labels[nodes] = np.arange(len(nodes)) % parts
    count = min(parts, len(nodes))
    assert np.array_equal(stands_out(g, labels, count, nodes), stands_out(g, labels, count))
    src_of, at = g.rows(nodes)
    assert len(at) == int(np.sum(np.diff(g.indptr)[nodes])) and np.all(np.isin(src_of, nodes))
