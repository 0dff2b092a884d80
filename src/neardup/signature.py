"""Shingle hashes -> MinHash signatures, many passages at once.

The signatures are bit-for-bit those of datasketch's ``MinHash`` in its default
``affine32`` scheme (datasketch >= 2): each input hash is pre-mixed with the MurmurHash3
32-bit finaliser, then permutation ``k`` maps it to ``a_k * h + b_k mod 2**32`` with the
same ``(a, b)`` that ``MinHash(num_perm, seed)`` draws. So a row can be wrapped in a
``LeanMinHash`` and given to ``MinHashLSH`` or compared with any datasketch MinHash,
while we compute it without one Python call per shingle.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt

from neardup.config import SignatureConfig

__all__ = ["EMPTY", "permutations", "signatures", "to_lean_minhash"]

#: Value of a signature row with no shingles (datasketch's empty MinHash).
EMPTY = np.uint32(0xFFFFFFFF)
_BLOCK = 1 << 13  # tokens per block: (num_perm x block) uint32 stays cache-sized


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
) -> npt.NDArray[np.uint32]:
    """MinHash signature of each segment ``hashes[offsets[i]:offsets[i+1]]``.

    Returns a ``(len(offsets) - 1, num_perm)`` uint32 matrix; an empty segment gets the
    empty signature (all ``0xFFFFFFFF``), as datasketch does.

    >>> from datasketch import MinHash
    >>> h = np.array([3, 1, 4, 1, 5, 9, 2, 6], dtype=np.uint64)
    >>> sig = signatures(h, np.array([0, 5, 8]), SignatureConfig(num_perm=16))
    >>> m = MinHash(num_perm=16, hashfunc=int); m.update_batch([3, 1, 4, 1, 5])
    >>> bool((sig[0] == m.hashvalues).all())
    True
    """
    config = config or SignatureConfig()
    a, b = permutations(config.num_perm, config.seed)
    offsets = np.asarray(offsets, dtype=np.int64)
    n = len(offsets) - 1
    out = np.full((n, config.num_perm), EMPTY, dtype=np.uint32)
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


def to_lean_minhash(row: npt.NDArray[np.uint32], seed: int):  # type: ignore[no-untyped-def]
    """Wrap one signature row for datasketch (``MinHashLSH.insert``/``query``)."""
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=row, scheme="affine32")
