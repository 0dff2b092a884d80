"""Shingle hashes -> MinHash signatures, many passages at once.

Two schemes, chosen by :attr:`SignatureConfig.scheme`:

``affine32``
    Bit-for-bit datasketch's ``MinHash`` (datasketch >= 2, default scheme): each input
    hash is pre-mixed with the MurmurHash3 32-bit finaliser, then permutation ``k`` maps
    it to ``a_k * h + b_k mod 2**32`` with the ``(a, b)`` that ``MinHash(num_perm, seed)``
    draws. A row can be compared with any datasketch MinHash. It costs ``num_perm``
    multiply-add-min per token.

``bucketed`` (default)
    The same estimator at a fraction of the work, after "Fast Similarity Sketching"
    (Dahlgaard, Knudsen, Thorup, FOCS 2017). In each of :data:`ROUNDS` rounds every token
    is hashed once into one coordinate, with a rank; a coordinate keeps its smallest
    ``(round, rank)``. Coordinates still empty after the rounds (short passages) take the
    ``affine32`` permutation minimum, ranked after every round value. So coordinate ``k``
    is the minimum over the set of one fixed function ``H_k(token)``, and two sets agree
    on it with probability their Jaccard similarity, exactly as with independent
    permutations; but a long passage costs a few hash-and-store operations per token
    instead of ``num_perm``. Rounds stop early once every coordinate is filled: later
    rounds rank after earlier ones, so they could not change a filled coordinate.

Each scheme has two implementations giving the same bits: a numba kernel, used for large
batches when numba is installed, and numpy, for small batches (where compiling would cost
more than it saves) and as the fallback. ``NEARDUP_NUMBA=0`` turns the kernels off.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from neardup.config import SignatureConfig
from neardup.shingle import compiled_kernels, mix64

__all__ = [
    "EMPTY",
    "ROUNDS",
    "SCHEMES",
    "permutations",
    "round_seeds",
    "signatures",
    "signatures_numba",
    "signatures_numpy",
    "to_lean_minhash",
]

#: Value of a signature row with no shingles (datasketch's empty MinHash).
EMPTY = np.uint32(0xFFFFFFFF)
SCHEMES = ("bucketed", "affine32")
#: Bucketed rounds: each 64-bit token mix feeds two (its 32-bit halves).
ROUNDS = 4
#: A bucketed value is ``round << 28 | rank`` (28-bit rank); round ROUNDS marks the fallback.
_RANK_BITS = 28
_FALLBACK = np.uint32(ROUNDS << _RANK_BITS)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_BLOCK = 1 << 13  # tokens per block: (num_perm x block) uint32 stays cache-sized
#: Below this many tokens the numpy path is used: no import or compile cost for small scans.
NUMBA_MIN_TOKENS = 200_000


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """The ``(a, b)`` datasketch draws for ``MinHash(num_perm, seed, scheme="affine32")``."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


@lru_cache(maxsize=16)
def round_seeds(seed: int) -> npt.NDArray[np.uint64]:
    """One 64-bit key per pair of bucketed rounds, derived from the user's seed."""
    keys = mix64((np.arange(1, ROUNDS // 2 + 1, dtype=np.uint64) * _GOLDEN) ^ np.uint64(seed))
    keys.setflags(write=False)
    return keys


def fmix32(h: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
    """MurmurHash3's 32-bit finaliser, as datasketch applies it before permuting."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signatures(
    hashes: npt.NDArray[np.uint64],
    offsets: npt.NDArray[np.int64],
    config: SignatureConfig | None = None,
    *,
    threads: int = 1,
) -> npt.NDArray[np.uint32]:
    """MinHash signature of each segment ``hashes[offsets[i]:offsets[i+1]]``.

    Returns a ``(len(offsets) - 1, num_perm)`` uint32 matrix; an empty segment gets the
    empty signature (all ``0xFFFFFFFF``), as datasketch does. ``threads > 1`` splits a
    large batch between threads (the kernels release the GIL); the result is the same.

    >>> from datasketch import MinHash
    >>> h = np.array([3, 1, 4, 1, 5, 9, 2, 6], dtype=np.uint64)
    >>> config = SignatureConfig(num_perm=16, scheme="affine32")
    >>> sig = signatures(h, np.array([0, 5, 8]), config)
    >>> m = MinHash(num_perm=16, hashfunc=int); m.update_batch([3, 1, 4, 1, 5])
    >>> bool((sig[0] == m.hashvalues).all())
    True
    """
    config = config or SignatureConfig()
    offsets = np.asarray(offsets, dtype=np.int64)
    if len(hashes) >= NUMBA_MIN_TOKENS and numba_kernels() is not None:
        return signatures_numba(hashes, offsets, config, threads=threads)
    return signatures_numpy(hashes, offsets, config)


def signatures_numpy(
    hashes: npt.NDArray[np.uint64], offsets: npt.NDArray[np.int64], config: SignatureConfig
) -> npt.NDArray[np.uint32]:
    """:func:`signatures` with numpy only (no numba needed)."""
    hashes = np.asarray(hashes, dtype=np.uint64)
    offsets = np.asarray(offsets, dtype=np.int64)
    if config.scheme == "affine32":
        a, b = permutations(config.num_perm, config.seed)
        return _affine_numpy(hashes, offsets, a, b)
    return _bucketed_numpy(hashes, offsets, config)


def _affine_numpy(
    hashes: npt.NDArray[np.uint64],
    offsets: npt.NDArray[np.int64],
    a: npt.NDArray[np.uint32],
    b: npt.NDArray[np.uint32],
) -> npt.NDArray[np.uint32]:
    """``min(a_k * fmix32(h) + b_k)`` per segment, in cache-sized blocks of tokens."""
    n = len(offsets) - 1
    out = np.full((max(n, 0), len(a)), EMPTY, dtype=np.uint32)
    if n <= 0 or len(hashes) == 0:
        return out
    mixed = fmix32((hashes & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    nonempty = np.flatnonzero(np.diff(offsets) > 0)
    starts = offsets[nonempty]
    ends = offsets[nonempty + 1]
    # Permutations along rows and tokens along columns: reduceat then runs over
    # contiguous memory, about ten times faster than the transposed layout.
    a_col, b_col = a[:, None], b[:, None]
    i = 0
    with np.errstate(over="ignore"):
        while i < len(nonempty):
            j = max(i + 1, int(np.searchsorted(ends, starts[i] + _BLOCK, side="right")))
            lo, hi = starts[i], ends[j - 1]
            permuted = a_col * mixed[None, lo:hi] + b_col
            out[nonempty[i:j]] = np.minimum.reduceat(permuted, starts[i:j] - lo, axis=1).T
            i = j
    return out


def _round_values(mixed: npt.NDArray[np.uint64], rnd: int, num_perm: int) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint32]]:
    """Coordinate and value of each token in one bucketed round.

    The round's 32-bit half ``w`` of the token's mix picks coordinate ``w * K >> 32``
    (Lemire's multiply-shift: no division, unbiased to 2**-32); the low 32 bits of the
    same product are uniform within that coordinate and give the rank.
    """
    word = (mixed >> np.uint64(32 * (rnd & 1))) & np.uint64(0xFFFFFFFF)
    product = word * np.uint64(num_perm)
    coord = (product >> np.uint64(32)).astype(np.intp)
    rank = (product & np.uint64(0xFFFFFFFF)).astype(np.uint32) >> np.uint32(32 - _RANK_BITS)
    return coord, np.uint32(rnd << _RANK_BITS) | rank


def _bucketed_numpy(
    hashes: npt.NDArray[np.uint64], offsets: npt.NDArray[np.int64], config: SignatureConfig
) -> npt.NDArray[np.uint32]:
    """Every round for every token (no early stop: it would not change a value), then the
    ``affine32`` minimum for the coordinates no round filled."""
    n, k = max(len(offsets) - 1, 0), config.num_perm
    out = np.full((n, k), EMPTY, dtype=np.uint32)
    if n == 0 or len(hashes) == 0:
        return out
    lengths = np.diff(offsets)
    row_of = np.repeat(np.arange(n, dtype=np.intp), lengths)
    tokens = hashes[offsets[0] : offsets[-1]]
    flat = out.reshape(-1)
    with np.errstate(over="ignore"):
        for pair, key in enumerate(round_seeds(config.seed)):
            mixed = mix64(tokens ^ key)
            for rnd in (2 * pair, 2 * pair + 1):
                coord, value = _round_values(mixed, rnd, k)
                np.minimum.at(flat, row_of * k + coord, value)
    rows, coords = np.nonzero((out == EMPTY) & (lengths > 0)[:, None])
    if len(rows):
        _fill_fallback(out, hashes, offsets, rows, coords, permutations(k, config.seed))
    return out


def _fill_fallback(
    out: npt.NDArray[np.uint32],
    hashes: npt.NDArray[np.uint64],
    offsets: npt.NDArray[np.int64],
    rows: npt.NDArray[np.intp],
    coords: npt.NDArray[np.intp],
    ab: tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]],
) -> None:
    """``out[rows, coords]`` = fallback value: the ``affine32`` minimum over the row's tokens.

    One segment per (row, coordinate) pair, that row's tokens permuted by that
    coordinate's permutation, in blocks of about ``_BLOCK * 64`` tokens to bound memory.
    """
    a, b = ab
    seg_len = offsets[rows + 1] - offsets[rows]
    ends = np.cumsum(seg_len)
    i = 0
    with np.errstate(over="ignore"):
        while i < len(rows):
            base = ends[i] - seg_len[i]
            j = max(i + 1, int(np.searchsorted(ends, base + _BLOCK * 64, side="right")))
            lens = seg_len[i:j]
            starts = np.concatenate(([0], np.cumsum(lens)[:-1]))
            token = np.repeat(offsets[rows[i:j]] - starts, lens) + np.arange(int(lens.sum()))
            perm = np.repeat(coords[i:j], lens)
            mixed = fmix32((hashes[token] & np.uint64(0xFFFFFFFF)).astype(np.uint32))
            best = np.minimum.reduceat(a[perm] * mixed + b[perm], starts)
            out[rows[i:j], coords[i:j]] = _FALLBACK | (best >> np.uint32(32 - _RANK_BITS))
            i = j


def signatures_numba(
    hashes: npt.NDArray[np.uint64], offsets: npt.NDArray[np.int64], config: SignatureConfig, *, threads: int = 1
) -> npt.NDArray[np.uint32]:
    """:func:`signatures` with the compiled kernels; raises ``ImportError`` without numba."""
    kernels = numba_kernels()
    if kernels is None:
        raise ImportError("numba is not installed: pip install numba, or use signatures_numpy")
    affine, bucketed = kernels
    a, b = permutations(config.num_perm, config.seed)
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    n = max(len(offsets) - 1, 0)
    out = np.empty((n, config.num_perm), dtype=np.uint32)
    if config.scheme == "affine32":
        def run(offs: npt.NDArray[np.int64], rows: npt.NDArray[np.uint32]) -> None:
            affine(hashes, offs, a, b, rows)
    else:
        keys = round_seeds(config.seed)

        def run(offs: npt.NDArray[np.int64], rows: npt.NDArray[np.uint32]) -> None:
            bucketed(hashes, offs, a, b, keys, rows)

    if threads <= 1 or n < 2 * threads:
        run(offsets, out)
        return out
    # Contiguous row ranges holding about the same number of tokens each.
    cuts = np.searchsorted(offsets, np.linspace(offsets[0], offsets[-1], threads + 1)[1:-1])
    bounds = [0, *sorted(set(np.clip(cuts, 1, n - 1).tolist())), n]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda r: run(offsets[r[0] : r[1] + 1], out[r[0] : r[1]]), zip(bounds, bounds[1:])))
    return out


@lru_cache(maxsize=1)
def numba_kernels() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """The compiled ``(affine32, bucketed)`` kernels, or ``None`` when numba is missing
    or ``NEARDUP_NUMBA=0`` (see :func:`neardup.shingle.compiled_kernels`)."""
    kernels = compiled_kernels()
    return None if kernels is None else (kernels.affine_rows, kernels.bucketed_rows)


def to_lean_minhash(row: npt.NDArray[np.uint32], seed: int):  # type: ignore[no-untyped-def]
    """Wrap one signature row for ``MinHashLSH.insert``/``query``, which band the row's
    values whatever scheme made them. Only ``affine32`` rows may also be compared with
    datasketch MinHashes (``jaccard``); the tag says ``affine32`` either way."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=row, scheme="affine32")
