from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from neardup import Document, scan


def _corpus(paragraphs: list[str], rng: random.Random) -> list[Document]:
    docs = []
    for i in range(8):
        picked = rng.sample(paragraphs, 3)
        docs.append(Document(f"d{i}", "\n".join(picked)))
    return docs


@given(st.randoms(use_true_random=False))
@settings(max_examples=15, deadline=None)
def test_clusters_partition_members_and_order_does_not_matter(simplified_paragraphs: list[str], rng: random.Random) -> None:
    docs = _corpus(simplified_paragraphs[:12], rng)
    result = scan(docs)
    seen: set[tuple[str, int]] = set()
    for c in result.clusters:
        assert len(c.members) >= 2
        for m in c.members:
            for p in m.passages:
                assert (m.doc_id, p) not in seen  # a passage is in at most one cluster
                seen.add((m.doc_id, p))
    shuffled = docs[:]
    rng.shuffle(shuffled)
    assert scan(shuffled).clusters == result.clusters


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=60))
@settings(deadline=None)
def test_connected_components_equal_networkx(edge_list: list[tuple[int, int]]) -> None:
    import networkx as nx
    import numpy as np

    from neardup.cluster import connected_components

    graph = nx.Graph()
    graph.add_edges_from(edge_list)
    expected = sorted(sorted(c) for c in nx.connected_components(graph))
    got = connected_components(np.array(edge_list, dtype=np.int64).reshape(-1, 2))
    assert sorted(got) == expected
    assert all(c == sorted(c) for c in got)
