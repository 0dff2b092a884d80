"""Window counts: the compiled bucket lookup gives exactly the binary search's answer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup import boilerplate
from neardup.boilerplate import WindowCounts, count_windows
from neardup.shingle import compiled_kernels

_u64 = st.integers(0, 2**64 - 1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_u64, max_size=40), min_size=2, max_size=8), st.lists(_u64, max_size=60))
def test_bucket_lookup_equals_binary_search(per_doc: list[list[int]], extra: list[int]) -> None:
    if compiled_kernels() is None:
        pytest.skip("numba is not installed: only the binary search runs")
    boilerplate.BUCKET_MIN_VALUES = 0  # restored below: hypothesis forbids function-scoped fixtures
    docs = [np.unique(np.array(d, dtype=np.uint64)) for d in per_doc]
    docs.append(np.unique(np.array([x for d in per_doc[:2] for x in d], dtype=np.uint64)))  # some windows repeat
    counts = count_windows(docs)
    query = np.array([x for d in per_doc for x in d] + extra, dtype=np.uint64)
    pos = np.minimum(np.searchsorted(counts.values, query), max(len(counts.values) - 1, 0))
    expected = np.where(counts.values[pos] == query, counts.counts[pos], 1) if len(counts.values) else np.ones(len(query))
    try:
        assert counts.lookup(query).tolist() == expected.tolist()
    finally:
        boilerplate.BUCKET_MIN_VALUES = 1 << 18


def test_absent_windows_count_once() -> None:
    counts = WindowCounts(np.array([5, 9], dtype=np.uint64), np.array([3, 4], dtype=np.int64))
    assert counts.lookup(np.array([9, 1, 5, 2**64 - 1], dtype=np.uint64)).tolist() == [4, 1, 3, 1]
