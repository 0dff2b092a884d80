"""Shingle hashes -> MinHash signatures, many passages at once.

The signatures are bit-for-bit those of datasketch's ``MinHash`` in its default
``affine32`` scheme (datasketch >= 2): each input hash is pre-mixed with the MurmurHash3
32-bit finaliser, then permutation ``k`` maps it to ``a_k * h + b_k mod 2**32`` with the
same ``(a, b)`` that ``MinHash(num_perm, seed)`` draws. So a row can be wrapped in a
``LeanMinHash`` and given to ``MinHashLSH`` or compared with any datasketch MinHash,
while we compute it without one Python call per shingle.

Two implementations give the same bits: a numba kernel (one pass over the tokens, the
permutation loop innermost so it compiles to SIMD multiply-add-min, ~100 M tokens/s per
core) used for large batches when numba is installed, and numpy blocks (broadcast, then
``minimum.reduceat``) for small batches, where compiling would cost more than it saves,
and as the fallback. ``NEARDUP_NUMBA=0`` turns the kernel off.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from neardup.config import SignatureConfig

__all__ = ["EMPTY", "permutations", "signatures", "signatures_numba", "signatures_numpy", "to_lean_minhash"]

#: Value of a signature row with no shingles (datasketch's empty MinHash).
EMPTY = np.uint32(0xFFFFFFFF)
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
    large batch between threads (the kernel releases the GIL); the result is the same.

    >>> from datasketch import MinHash
    >>> h = np.array([3, 1, 4, 1, 5, 9, 2, 6], dtype=np.uint64)
    >>> sig = signatures(h, np.array([0, 5, 8]), SignatureConfig(num_perm=16))
    >>> m = MinHash(num_perm=16, hashfunc=int); m.update_batch([3, 1, 4, 1, 5])
    >>> bool((sig[0] == m.hashvalues).all())
    True
    """
    config = config or SignatureConfig()
    offsets = np.asarray(offsets, dtype=np.int64)
    if len(hashes) >= NUMBA_MIN_TOKENS and numba_kernel() is not None:
        return signatures_numba(hashes, offsets, config, threads=threads)
    return signatures_numpy(hashes, offsets, config)


def signatures_numpy(
    hashes: npt.NDArray[np.uint64], offsets: npt.NDArray[np.int64], config: SignatureConfig
) -> npt.NDArray[np.uint32]:
    """:func:`signatures` in numpy blocks (no numba needed)."""
    a, b = permutations(config.num_perm, config.seed)
    n = len(offsets) - 1
    out = np.full((max(n, 0), config.num_perm), EMPTY, dtype=np.uint32)
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


def signatures_numba(
    hashes: npt.NDArray[np.uint64], offsets: npt.NDArray[np.int64], config: SignatureConfig, *, threads: int = 1
) -> npt.NDArray[np.uint32]:
    """:func:`signatures` with the compiled kernel; raises ``ImportError`` without numba."""
    kernel = numba_kernel()
    if kernel is None:
        raise ImportError("numba is not installed: pip install numba, or use signatures_numpy")
    a, b = permutations(config.num_perm, config.seed)
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    offsets = np.ascontiguousarray(offsets, dtype=np.int64)
    n = max(len(offsets) - 1, 0)
    out = np.empty((n, config.num_perm), dtype=np.uint32)
    if threads <= 1 or n < 2 * threads:
        kernel(hashes, offsets, a, b, out)
        return out
    # Contiguous row ranges holding about the same number of tokens each.
    cuts = np.searchsorted(offsets, np.linspace(offsets[0], offsets[-1], threads + 1)[1:-1])
    bounds = [0, *sorted(set(np.clip(cuts, 1, n - 1).tolist())), n]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda r: kernel(hashes, offsets[r[0] : r[1] + 1], a, b, out[r[0] : r[1]]), zip(bounds, bounds[1:])))
    return out


def _minhash_rows(hashes, offsets, a, b, out):  # type: ignore[no-untyped-def]
    """The kernel (compiled by numba): fmix32, then ``min(a*h + b)`` over each segment.

    Four tokens per pass over the permutations cut the loads and stores of the row (a
    short tail repeats its last token, which cannot change a minimum); every product is
    truncated to 32 bits, as datasketch's ``affine32`` does.
    """
    num_perm = len(a)
    row = np.empty(num_perm, np.uint32)
    mixed = np.empty(4, np.uint32)
    for i in range(len(offsets) - 1):
        row[:] = np.uint32(0xFFFFFFFF)
        t, end = offsets[i], offsets[i + 1]
        while t < end:
            count = min(4, end - t)
            for j in range(4):
                h = np.uint32(hashes[t + min(j, count - 1)] & np.uint64(0xFFFFFFFF))
                h = np.uint32(h ^ (h >> np.uint32(16)))
                h = np.uint32(h * np.uint32(0x85EBCA6B))
                h = np.uint32(h ^ (h >> np.uint32(13)))
                h = np.uint32(h * np.uint32(0xC2B2AE35))
                mixed[j] = np.uint32(h ^ (h >> np.uint32(16)))
            h1, h2, h3, h4 = mixed[0], mixed[1], mixed[2], mixed[3]
            for k in range(num_perm):
                ak, bk = a[k], b[k]
                v12 = min(np.uint32(ak * h1 + bk), np.uint32(ak * h2 + bk))
                v34 = min(np.uint32(ak * h3 + bk), np.uint32(ak * h4 + bk))
                row[k] = min(row[k], min(v12, v34))
            t += 4
        out[i, :] = row


@lru_cache(maxsize=1)
def numba_kernel() -> Callable[..., Any] | None:
    """The compiled kernel, or ``None`` when numba is missing or ``NEARDUP_NUMBA=0``."""
    if os.environ.get("NEARDUP_NUMBA", "1") == "0":
        return None
    try:
        import numba
    except ImportError:
        return None
    return numba.njit(nogil=True, cache=True)(_minhash_rows)  # type: ignore[no-any-return]


def to_lean_minhash(row: npt.NDArray[np.uint32], seed: int):  # type: ignore[no-untyped-def]
    """Wrap one signature row for datasketch (``MinHashLSH.insert``/``query``)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=row, scheme="affine32")
