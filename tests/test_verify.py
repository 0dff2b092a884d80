from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from neardup.verify import similarity

ints = st.lists(st.integers(0, 60), max_size=40).map(lambda x: np.unique(np.array(x, dtype=np.uint64)))


@given(ints, ints)
def test_similarity_symmetric_and_bounded(a: np.ndarray, b: np.ndarray) -> None:
    j1, c1 = similarity(a, b)
    j2, c2 = similarity(b, a)
    assert j1 == j2 and c1 == c2
    assert 0.0 <= j1 <= c1 <= 1.0
    if len(a):
        assert similarity(a, a) == (1.0, 1.0)
