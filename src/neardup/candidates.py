"""Signatures -> candidate pairs by LSH banding.

Bands and rows are datasketch's optimum for the threshold (``_optimal_param``, equal
weights on false positives and negatives). Two backends give the same pairs: ``numpy``
sorts each band's keys and groups equal ones, with no Python call per passage;
``datasketch`` inserts every signature in a ``MinHashLSH`` and queries it (the reference,
and what a shared Redis-backed index uses).
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from neardup.config import CandidateConfig, SignatureConfig

__all__ = ["band_params", "find_candidates"]

logger = logging.getLogger(__name__)


@lru_cache(maxsize=64)
def band_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` minimising datasketch's weighted error for this threshold.

    >>> band_params(0.5, 128)
    (25, 5)
    """
    from datasketch.lsh import _optimal_param

    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return int(bands), int(rows)


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
    bands, rows = band_params(config.threshold, sigs.shape[1])
    if config.backend == "datasketch":
        pairs = _datasketch_pairs(sigs, config.threshold, signature.seed)
    else:
        pairs = _numpy_pairs(sigs, bands, rows, config.max_bucket)
    return _unique_pairs(pairs)


def _band_keys(sigs: npt.NDArray[np.uint32], band: int, rows: int) -> npt.NDArray[np.void]:
    block = np.ascontiguousarray(sigs[:, band * rows : (band + 1) * rows])
    return block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()


def _numpy_pairs(sigs: npt.NDArray[np.uint32], bands: int, rows: int, max_bucket: int) -> npt.NDArray[np.int64]:
    out: list[npt.NDArray[np.int64]] = []
    for band in range(bands):
        keys = _band_keys(sigs, band, rows)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1])))
        sizes = np.diff(np.concatenate((starts, [len(keys)])))
        for s, size in zip(starts[sizes > 1], sizes[sizes > 1]):
            out.append(_bucket_pairs(order[s : s + size], max_bucket))
    return np.concatenate(out) if out else np.empty((0, 2), dtype=np.int64)


def _bucket_pairs(members: npt.NDArray[np.int64], max_bucket: int) -> npt.NDArray[np.int64]:
    members = np.sort(members)
    m = len(members)
    if m <= max_bucket:
        i, j = np.triu_indices(m, k=1)
        return np.stack((members[i], members[j]), axis=1)
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
    return np.unique(pairs, axis=0)
