"""Candidate pairs -> verified matches, on the exact shingle sets.

LSH is a sieve: it lets through pairs below the threshold and (rarely) misses pairs
above it. Every candidate is re-checked on the real 64-bit shingle sets, so no false
positive survives into a report. Containment (shared / smaller set) is reported too: a
short passage quoted inside a longer one has low Jaccard but full containment.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from neardup.config import VerifyConfig
from neardup.model import Match

__all__ = ["similarity", "verify_pairs"]


def similarity(a: npt.NDArray[np.uint64], b: npt.NDArray[np.uint64]) -> tuple[float, float]:
    """Exact ``(jaccard, containment)`` of two sorted, unique hash arrays.

    >>> a = np.array([1, 2, 3, 4], dtype=np.uint64); b = np.array([3, 4, 5], dtype=np.uint64)
    >>> similarity(a, b)
    (0.4, 0.6666666666666666)
    """
    if len(a) == 0 or len(b) == 0:
        return 0.0, 0.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / (len(a) + len(b) - shared), shared / min(len(a), len(b))


def verify_pairs(
    pairs: npt.NDArray[np.int64],
    sets: Sequence[npt.NDArray[np.uint64]],
    config: VerifyConfig | None = None,
) -> list[Match]:
    """Keep the pairs whose exact Jaccard reaches the threshold, in input order."""
    config = config or VerifyConfig()
    matches = []
    for i, j in pairs.tolist():
        jac, cont = similarity(sets[i], sets[j])
        if jac >= config.threshold:
            matches.append(Match(int(i), int(j), round(jac, 6), round(cont, 6)))
    return matches
