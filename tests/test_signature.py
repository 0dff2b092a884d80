from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup.config import SignatureConfig
from neardup.signature import EMPTY, numba_kernel, signatures, signatures_numba, signatures_numpy

sets = st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=40), min_size=1, max_size=8)


@given(sets, st.sampled_from([16, 128]), st.integers(0, 1000))
@settings(max_examples=100, deadline=None)
def test_rows_equal_datasketch_minhash(groups: list[list[int]], num_perm: int, seed: int) -> None:
    hashes = np.array([h for g in groups for h in g], dtype=np.uint64)
    offsets = np.concatenate(([0], np.cumsum([len(g) for g in groups])))
    config = SignatureConfig(num_perm=num_perm, seed=seed)
    sig = signatures_numpy(hashes, offsets, config)
    if numba_kernel() is not None:
        assert (signatures_numba(hashes, offsets, config) == sig).all()
    for row, group in zip(sig, groups):
        m = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda x: x & 0xFFFFFFFF)
        m.update_batch(group)
        assert (row == m.hashvalues).all()
        if not group:
            assert (row == EMPTY).all()


def test_blocks_do_not_change_the_result() -> None:
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**63, 50_000, dtype=np.uint64)
    offsets = np.array([0, 10, 20_000, 20_001, 50_000])
    whole = signatures(hashes, offsets)
    single = np.vstack([signatures(hashes[a:b], np.array([0, b - a])) for a, b in zip(offsets, offsets[1:])])
    assert (whole == single).all()


@pytest.mark.skipif(numba_kernel() is None, reason="numba not installed")
def test_numba_kernel_equals_numpy_on_a_large_batch() -> None:
    """Segments of every length mod 4 (the kernel's unrolled tail), empty ones included."""
    rng = np.random.default_rng(1)
    lengths = rng.integers(0, 300, 3000)
    lengths[:8] = [0, 1, 2, 3, 4, 5, 0, 7]
    hashes = rng.integers(0, 2**64 - 1, int(lengths.sum()), dtype=np.uint64)
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    for config in (SignatureConfig(), SignatureConfig(num_perm=20, seed=7)):
        fast = signatures_numba(hashes, offsets, config)
        assert (fast == signatures_numpy(hashes, offsets, config)).all()
        assert (fast[0] == EMPTY).all() and (fast[6] == EMPTY).all()
        assert (signatures_numba(hashes, offsets, config, threads=3) == fast).all()
    assert (signatures(hashes, offsets) == signatures_numpy(hashes, offsets, SignatureConfig())).all()
