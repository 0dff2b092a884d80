from __future__ import annotations

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup.config import SignatureConfig
from neardup.errors import ConfigError
from neardup.shingle import mix64
from neardup.signature import (
    EMPTY,
    ROUNDS,
    fmix32,
    numba_kernels,
    permutations,
    round_seeds,
    signatures,
    signatures_numba,
    signatures_numpy,
)

sets = st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=40), min_size=1, max_size=8)
AFFINE = SignatureConfig(scheme="affine32")


def _flat(groups: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    hashes = np.array([h for g in groups for h in g], dtype=np.uint64)
    return hashes, np.concatenate(([0], np.cumsum([len(g) for g in groups]))).astype(np.int64)


# --------------------------------------------------------------------------- affine32


@given(sets, st.sampled_from([16, 128]), st.integers(0, 1000))
@settings(max_examples=100, deadline=None)
def test_affine32_rows_equal_datasketch_minhash(groups: list[list[int]], num_perm: int, seed: int) -> None:
    hashes, offsets = _flat(groups)
    config = SignatureConfig(num_perm=num_perm, seed=seed, scheme="affine32")
    sig = signatures_numpy(hashes, offsets, config)
    if numba_kernels() is not None:
        assert (signatures_numba(hashes, offsets, config) == sig).all()
    for row, group in zip(sig, groups):
        m = MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda x: x & 0xFFFFFFFF)
        m.update_batch(group)
        assert (row == m.hashvalues).all()
        if not group:
            assert (row == EMPTY).all()


@pytest.mark.parametrize("config", [SignatureConfig(), AFFINE])
def test_blocks_do_not_change_the_result(config: SignatureConfig) -> None:
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**63, 250_000, dtype=np.uint64)
    offsets = np.array([0, 10, 20_000, 20_001, 250_000])
    whole = signatures(hashes, offsets, config)
    single = np.vstack([signatures(hashes[a:b], np.array([0, b - a]), config) for a, b in zip(offsets, offsets[1:])])
    assert (whole == single).all()


# --------------------------------------------------------------------------- bucketed


def bucketed_by_definition(tokens: list[int], num_perm: int, seed: int) -> np.ndarray:
    """Coordinate k = min over the distinct tokens x of H_k(x), written out literally:
    H_k(x) is x's smallest (round, rank) among the rounds that put x in k, else
    ``ROUNDS << 28 | affine32_k(x) >> 4``."""
    distinct = sorted(set(tokens))
    if not distinct:
        return np.full(num_perm, EMPTY, dtype=np.uint32)
    a, b = permutations(num_perm, seed)
    row = []
    for k in range(num_perm):
        best = None
        for x in distinct:
            value = None
            for pair, key in enumerate(round_seeds(seed)):
                mixed = int(mix64(np.array([x ^ int(key)], dtype=np.uint64))[0])
                for half in (0, 1):
                    product = ((mixed >> (32 * half)) & 0xFFFFFFFF) * num_perm
                    if product >> 32 == k:
                        v = ((2 * pair + half) << 28) | ((product & 0xFFFFFFFF) >> 4)
                        value = v if value is None else min(value, v)
            if value is None:
                h = int(fmix32(np.array([x & 0xFFFFFFFF], dtype=np.uint32))[0])
                value = (ROUNDS << 28) | (((int(a[k]) * h + int(b[k])) & 0xFFFFFFFF) >> 4)
            best = value if best is None else min(best, value)
        row.append(best)
    return np.array(row, dtype=np.uint32)


@given(sets, st.sampled_from([8, 24]), st.integers(0, 1000))
@settings(max_examples=40, deadline=None)
def test_bucketed_rows_follow_the_definition(groups: list[list[int]], num_perm: int, seed: int) -> None:
    """numpy (every round), numba (stops early) and the literal definition agree."""
    hashes, offsets = _flat(groups)
    config = SignatureConfig(num_perm=num_perm, seed=seed)
    sig = signatures_numpy(hashes, offsets, config)
    if numba_kernels() is not None:
        assert (signatures_numba(hashes, offsets, config) == sig).all()
    for row, group in zip(sig, groups):
        assert (row == bucketed_by_definition(group, num_perm, seed)).all()


@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=300), st.randoms(use_true_random=False))
@settings(max_examples=40, deadline=None)
def test_bucketed_row_is_a_function_of_the_set(tokens: list[int], rnd: object) -> None:
    """Order and repetition of shingles do not matter, as for any MinHash."""
    shuffled = tokens + tokens[: len(tokens) // 2]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    hashes, offsets = _flat([tokens, shuffled])
    sig = signatures_numpy(hashes, offsets, SignatureConfig())
    assert (sig[0] == sig[1]).all()


@pytest.mark.slow  # compiles the numba kernels
@pytest.mark.skipif(numba_kernels() is None, reason="numba not installed")
def test_numba_kernels_equal_numpy_on_a_large_batch() -> None:
    """Segments of every length mod 4 (the unrolled tail), empty ones, short ones that need
    the fallback and long ones that stop after the first round."""
    rng = np.random.default_rng(1)
    lengths = rng.integers(0, 300, 3000)
    lengths[:8] = [0, 1, 2, 3, 4, 5, 0, 7]
    lengths[8:12] = [5000, 20_000, 1, 130]
    hashes = rng.integers(0, 2**64 - 1, int(lengths.sum()), dtype=np.uint64)
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    configs = [SignatureConfig(), SignatureConfig(num_perm=20, seed=7), SignatureConfig(num_perm=1000, seed=3), AFFINE,
               SignatureConfig(num_perm=20, seed=7, scheme="affine32")]  # fmt: skip
    for config in configs:
        fast = signatures_numba(hashes, offsets, config)
        assert (fast == signatures_numpy(hashes, offsets, config)).all(), config
        assert (fast[0] == EMPTY).all() and (fast[6] == EMPTY).all()
        assert (signatures_numba(hashes, offsets, config, threads=3) == fast).all()
    assert (signatures(hashes, offsets) == signatures_numpy(hashes, offsets, SignatureConfig())).all()


@pytest.mark.parametrize(("size_a", "size_b", "shared"), [(40, 40, 20), (300, 300, 200), (60, 2000, 60), (5, 9, 3)])
def test_bucketed_coordinates_agree_with_probability_jaccard(size_a: int, size_b: int, shared: int) -> None:
    """The point of a MinHash: the share of equal coordinates estimates the Jaccard
    similarity without bias, for short sets (mostly fallback) and long ones (rounds only).

    400 independent pairs x 128 coordinates; the mean must be within 4 standard errors of
    the mean of independent-permutation MinHash (J(1-J)/(400*128)), which a biased scheme
    (say, fallback values ranked before round values) misses by far.
    """
    rng = np.random.default_rng(size_a * 7919 + size_b)
    groups = []
    for _ in range(400):
        pool = rng.integers(0, 2**64 - 1, size_a + size_b - shared, dtype=np.uint64)
        groups += [pool[:size_a].tolist(), pool[size_a - shared :].tolist()]
    hashes, offsets = _flat(groups)
    for config in (SignatureConfig(seed=11), AFFINE):
        sig = signatures(hashes, offsets, config)
        agree = (sig[0::2] == sig[1::2]).mean()
        jaccard = shared / (size_a + size_b - shared)
        assert abs(agree - jaccard) < 4 * np.sqrt(jaccard * (1 - jaccard) / (400 * 128)), (config.scheme, agree, jaccard)


def test_bucketed_signatures_differ_from_affine32_and_between_seeds() -> None:
    """The scheme and the seed are real parameters (an index refuses to mix them)."""
    hashes, offsets = _flat([list(range(1, 200))])
    rows = [signatures(hashes, offsets, c)[0] for c in (SignatureConfig(), AFFINE, SignatureConfig(seed=2))]
    assert (rows[0] != rows[1]).mean() > 0.9 and (rows[0] != rows[2]).mean() > 0.9


def test_unknown_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="minhash_scheme"):
        SignatureConfig(scheme="fast")  # type: ignore[arg-type]
