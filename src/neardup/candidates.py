"""Signatures -> candidate pairs by LSH banding.

Bands and rows are datasketch's optimum for the threshold (the ``(b, r)`` of
``MinHashLSH(threshold, num_perm)``, equal weights on false positives and negatives),
computed here without datasketch or scipy. Two backends give the same pairs: ``numpy``
hashes each band to one 64-bit key (:func:`band_keys`), sorts the keys and pairs equal
ones (:func:`bucket_pairs`), with no Python call per passage or per bucket; ``datasketch``
inserts every signature in a ``MinHashLSH`` and queries it (the reference, and what a
shared Redis-backed index uses). A scan computes the band keys next to the signatures and
drops the signatures: 8 bytes per band instead of 4 per permutation.

Two different bands colliding on a 64-bit key would only add a candidate, which
verification then rejects (odds about n^2 / 2^65 per band: 3e-8 for a million passages).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from neardup.arrays import unique
from neardup.config import CandidateConfig, SignatureConfig

__all__ = ["band_keys", "band_params", "bucket_pairs", "find_candidates"]

logger = logging.getLogger(__name__)


@lru_cache(maxsize=64)
def band_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` minimising the LSH's weighted error for this threshold.

    The same choice as datasketch's ``MinHashLSH(threshold, num_perm)``: over every
    ``b * r <= num_perm``, the smallest ``0.5 * FP + 0.5 * FN``, where FP is the area
    under the collision curve ``1 - (1 - s^r)^b`` below the threshold and FN the area
    above it left uncovered. The curve is a polynomial of degree ``b * r <= num_perm``,
    so Gauss-Legendre quadrature with ``num_perm // 2 + 1`` nodes integrates it exactly
    (up to rounding): no scipy, which datasketch's ``lsh`` module imports (about 2 s).

    >>> band_params(0.5, 128)
    (25, 5)
    >>> band_params(0.3, 128)
    (37, 3)
    """
    if not 0.0 < threshold <= 1.0 or num_perm < 1:
        raise ValueError(f"band_params needs 0 < threshold <= 1 and num_perm >= 1, got {threshold}, {num_perm}")
    from numpy.polynomial.legendre import leggauss

    nodes, weights = leggauss(num_perm // 2 + 1)
    # nodes mapped from [-1, 1] onto [0, threshold] (false positives) and [threshold, 1]
    s_fp, w_fp = (nodes + 1) * threshold / 2, weights * threshold / 2
    s_fn, w_fn = threshold + (nodes + 1) * (1 - threshold) / 2, weights * (1 - threshold) / 2
    best_error, best = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        r = np.arange(1, num_perm // b + 1, dtype=np.float64)[:, None]
        fp = (1 - (1 - s_fp**r) ** b) @ w_fp
        fn = ((1 - s_fn**r) ** b) @ w_fn
        error = 0.5 * fp + 0.5 * fn
        i = int(np.argmin(error))  # the first minimum, as datasketch's strict ``<`` keeps
        if error[i] < best_error:
            best_error, best = float(error[i]), (b, i + 1)
    return best


def find_candidates(
    sigs: npt.NDArray[np.uint32],
    config: CandidateConfig | None = None,
    signature: SignatureConfig | None = None,
) -> npt.NDArray[np.int64]:
    """Pairs ``(i, j)``, ``i < j``, of rows sharing at least one band; sorted, unique.

    A bucket with more than ``max_bucket`` rows (boilerplate pasted everywhere) yields a
    star and a chain instead of all pairs: enough to connect it, without quadratic blowup.
    """
    config = config or CandidateConfig()
    signature = signature or SignatureConfig()
    if len(sigs) < 2:
        return np.empty((0, 2), dtype=np.int64)
    if config.backend == "datasketch":
        return _unique_pairs(_datasketch_pairs(sigs, config.threshold, signature.seed))
    return bucket_pairs(band_keys(sigs, config), config)


_K1 = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def band_keys(
    sigs: npt.NDArray[np.uint32], config: CandidateConfig | None = None, *, params: tuple[int, int] | None = None
) -> npt.NDArray[np.uint64]:
    """One 64-bit key per row and band: ``(len(sigs), bands)``; equal bands, equal keys.

    ``params`` is :func:`band_params` for the config, when already known (worker
    processes get it from the scan, so they need not import datasketch to work it out).

    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [1, 2, 3, 4]], dtype=np.uint32)
    >>> k = band_keys(sigs, CandidateConfig(threshold=0.5))
    >>> k.shape, bool(k[0, 0] == k[1, 0]), bool(k[0, 1] == k[2, 1]), bool(k[0, 1] == k[1, 1])
    ((3, 2), True, True, False)
    """
    config = config or CandidateConfig()
    bands, rows = params or band_params(config.threshold, sigs.shape[1])
    keys = np.empty((len(sigs), bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            h = np.full(len(sigs), np.uint64(band + 1), dtype=np.uint64)
            for r in range(band * rows, (band + 1) * rows):
                h = (h ^ sigs[:, r].astype(np.uint64)) * _K1
                h ^= h >> np.uint64(29)
            h *= _M1
            h ^= h >> np.uint64(32)
            h *= _M2
            keys[:, band] = h ^ (h >> np.uint64(29))
    return keys


def bucket_pairs(
    keys: npt.NDArray[np.uint64],
    config: CandidateConfig | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> npt.NDArray[np.int64]:
    """Pairs ``(i, j)``, ``i < j``, of rows with an equal key in some band; sorted, unique.

    ``progress(bands_done, bands)`` is called after each band.
    """
    config = config or CandidateConfig()
    n = len(keys)
    if n < 2:
        return np.empty((0, 2), dtype=np.int64)
    codes: list[npt.NDArray[np.int64]] = []  # pair (i, j) as i * n + j
    done = np.empty(0, dtype=np.int64)  # the distinct pairs of the bands compacted so far
    pending = 0
    rows = np.arange(n, dtype=np.uint64)
    for band in range(keys.shape[1]):
        column = np.ascontiguousarray(keys[:, band])  # one band at a time: no transposed copy of every key
        if progress:
            progress(band, keys.shape[1])
        if pending > max(COMPACT_CODES, 2 * len(done)):  # bands repeat most pairs: memory holds each once
            done, codes, pending = _distinct(np.concatenate((done, *codes))), [], 0
        members, starts = _equal_key_groups(column, rows)
        sizes = np.diff(starts)
        for size in np.flatnonzero(np.bincount(sizes)).tolist():
            firsts = starts[:-1][sizes == size]
            if size > config.max_bucket:
                for s in firsts.tolist():
                    pairs = _big_bucket_pairs(np.sort(members[s : s + size]))
                    codes.append(pairs[:, 0] * n + pairs[:, 1])
                    pending += len(pairs)
                continue
            group = np.sort(members[firsts[:, None] + np.arange(size)], axis=1)
            i, j = np.triu_indices(size, k=1)
            codes.append((group[:, i] * n + group[:, j]).ravel())
            pending += len(codes[-1])
    if not codes and not len(done):
        return np.empty((0, 2), dtype=np.int64)
    unique = _distinct(np.concatenate((done, *codes)))
    del done, codes
    return np.stack((unique // n, unique % n), axis=1)


#: Candidate pairs of the bands so far are made distinct once this many are pending (or
#: twice as many as are distinct): most pairs come from several bands.
COMPACT_CODES = 1 << 22


def _distinct(codes: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Sorted distinct values (``codes`` is sorted in place)."""
    codes.sort()
    return codes[np.concatenate(([True], codes[1:] != codes[:-1]))] if len(codes) else codes


def _equal_key_groups(
    column: npt.NDArray[np.uint64], rows: npt.NDArray[np.uint64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Rows whose key occurs more than once, grouped: ``members[starts[g]:starts[g+1]]``.

    Most keys are unique. So instead of an argsort of every key, each key's high bits
    and its row number are packed into one integer and sorted (a plain sort is several
    times faster than an argsort); rows whose high bits repeat are then grouped exactly.
    """
    n = len(column)
    bits = max(1, (n - 1).bit_length())
    low = np.uint64((1 << bits) - 1)
    packed = (column & ~low) | rows
    packed.sort()
    high = packed >> np.uint64(bits)
    repeat = high[1:] == high[:-1]
    near = np.zeros(n, dtype=bool)
    near[1:] |= repeat
    near[:-1] |= repeat
    found = (packed[near] & low).astype(np.int64)
    if len(found) == 0:
        return found, np.zeros(1, dtype=np.int64)
    order = np.argsort(column[found], kind="stable")
    found = found[order]
    sorted_keys = column[found]
    edges = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1], [True])))
    sizes = np.diff(edges)
    keep = np.repeat(sizes > 1, sizes)
    starts = np.concatenate(([0], np.cumsum(sizes[sizes > 1])))
    return found[keep], starts


def pairs_in_bucket(members: npt.NDArray[np.int64], max_bucket: int) -> npt.NDArray[np.int64]:
    """The candidate pairs of one LSH bucket: all pairs, or a star and a chain past ``max_bucket``.

    The rule :func:`bucket_pairs` applies, for callers that see one bucket at a time
    (the Spark scan).

    >>> pairs_in_bucket(np.array([9, 3, 5]), 64).tolist()
    [[3, 5], [3, 9], [5, 9]]
    """
    members = np.sort(np.asarray(members, dtype=np.int64))
    if len(members) > max_bucket:
        return _big_bucket_pairs(members)
    i, j = np.triu_indices(len(members), k=1)
    return np.stack((members[i], members[j]), axis=1)


def _big_bucket_pairs(members: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """A star and a chain: connects a bucket in ``2 m`` pairs instead of ``m^2 / 2``."""
    m = len(members)
    star = np.stack((np.full(m - 1, members[0]), members[1:]), axis=1)
    chain = np.stack((members[:-1], members[1:]), axis=1)
    return np.concatenate((star, chain))


def _datasketch_pairs(sigs: npt.NDArray[np.uint32], threshold: float, seed: int) -> npt.NDArray[np.int64]:
    from datasketch import MinHashLSH

    from neardup.signature import to_lean_minhash

    lsh = MinHashLSH(threshold=threshold, num_perm=sigs.shape[1])
    hashes = [to_lean_minhash(row, seed) for row in sigs]
    with lsh.insertion_session() as session:
        for key, mh in enumerate(hashes):
            session.insert(key, mh, check_duplication=False)
    pairs = [(i, j) for i, mh in enumerate(hashes) for j in lsh.query(mh) if j != i]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _unique_pairs(pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    if len(pairs) == 0:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.sort(pairs, axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    # One int64 per pair: np.unique on it is much faster than np.unique(axis=0).
    width = np.int64(pairs.max()) + 1 if len(pairs) else np.int64(1)
    combined = unique(pairs[:, 0] * width + pairs[:, 1])
    return np.stack((combined // width, combined % width), axis=1)
