from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from neardup.arrays import isin, unique, unique_counts, unique_inverse

# Few distinct values (repeats) and the extremes of 64-bit hashes.
_values = st.one_of(st.integers(0, 20), st.sampled_from([0, 2**63 - 1, 2**64 - 1]))
_uint64 = hnp.arrays(np.uint64, st.integers(0, 60), elements=_values)
_int64 = hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=12), elements=st.integers(-5, 20))


@settings(max_examples=300, deadline=None)
@given(st.one_of(_uint64, _int64))
def test_the_sorted_set_operations_are_numpys(values: np.ndarray) -> None:
    want = np.unique(values)
    assert unique(values).tolist() == want.tolist() and unique(values).dtype == want.dtype
    distinct, counts = unique_counts(values)
    want_values, want_counts = np.unique(values, return_counts=True)
    assert distinct.tolist() == want_values.tolist() and counts.tolist() == want_counts.tolist()
    distinct, inverse = unique_inverse(values)
    want_values, want_inverse = np.unique(values, return_inverse=True)
    assert distinct.tolist() == want_values.tolist()
    assert inverse.shape == want_inverse.shape == values.shape and inverse.tolist() == want_inverse.tolist()


@settings(max_examples=300, deadline=None)
@given(_int64, _int64)
def test_isin_is_numpys(values: np.ndarray, test: np.ndarray) -> None:
    got = isin(values, test)
    assert got.shape == values.shape and got.tolist() == np.isin(values, test).tolist()


_wide_int64 = st.one_of(st.integers(-5, 20), st.sampled_from([-(2**63), 2**63 - 1, -1, 2**40]))
_compiled_inputs = st.one_of(
    _uint64,
    hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=30), elements=_wide_int64),
    hnp.arrays(np.uint64, st.integers(0, 200), elements=st.integers(0, 2**64 - 1)),
)


@settings(max_examples=300, deadline=None)
@given(_compiled_inputs)
def test_the_compiled_inverse_is_numpys(values: np.ndarray) -> None:
    """From :data:`COMPILED_MIN_VALUES` values, with the kernels loaded, each value's
    place comes from a bucketed search: the same arrays as ``np.unique``, whatever the
    values' range (a few small integers, the extremes of int64, full 64-bit hashes)."""
    import pytest

    from neardup import arrays
    from neardup.shingle import compiled_kernels

    if compiled_kernels() is None:
        pytest.skip("numba is not installed: only the numpy path runs")
    saved, arrays.COMPILED_MIN_VALUES = arrays.COMPILED_MIN_VALUES, 0
    try:
        distinct, inverse = unique_inverse(values)
    finally:
        arrays.COMPILED_MIN_VALUES = saved
    want_values, want_inverse = np.unique(values, return_inverse=True)
    assert distinct.dtype == want_values.dtype and distinct.tolist() == want_values.tolist()
    assert inverse.shape == values.shape and inverse.tolist() == want_inverse.reshape(values.shape).tolist()
