"""Candidate pairs -> verified matches, on the exact shingle sets.

LSH is a sieve: it lets through pairs below the threshold and (rarely) misses pairs
above it. Every candidate is re-checked on the real 64-bit shingle sets, so no false
positive survives into a report. Containment (shared / smaller set) is reported too: a
short passage quoted inside a longer one has low Jaccard but full containment.

:func:`verify_segments` works on the scan's flat shingle table: the passages that occur
in some pair are sorted and de-duplicated once, then each pair is one merge of two
sorted runs (a numba kernel when numba is installed, ``np.intersect1d`` otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from neardup.config import MIN_RESIDUE, SHORT_CONTAINMENT, WHOLE_SHORT_SHARE, VerifyConfig
from neardup.model import Match
from neardup.passages import Records
from neardup.shingle import compiled_kernels

__all__ = [
    "MATCH_DTYPE",
    "MatchArray",
    "match_scores",
    "numba_kernels",
    "pair_overlaps",
    "shingle_positions",
    "similarity",
    "verify_pairs",
    "verify_rows",
    "verify_segments",
]

#: Fewer pairs than this are verified in numpy: no numba import or compile for small scans.
NUMBA_MIN_PAIRS = 5_000
#: Pairs verified between two progress reports.
PROGRESS_PAIRS = 1_000_000


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


def match_scores(
    a: npt.NDArray[np.uint64],
    b: npt.NDArray[np.uint64],
    config: VerifyConfig,
    threshold: float | None = None,
    positions: tuple[int, int] | None = None,
) -> tuple[float, float] | None:
    """``(jaccard, containment)`` of two sorted unique shingle sets when they match (Jaccard at
    least ``threshold``, default the config's, and ``config.shared_floor`` shingles in common
    or nearly all of the smaller set), else ``None``: the one rule a scan, an index and
    Spark apply to a passage pair. ``positions``: how many shingles each passage's text
    holds, repeats and masked ones counted (:func:`shingle_positions`), which tells a whole
    short text (half of it is enough) from a passage boilerplate masked down; without it,
    no passage counts as one.

    >>> clause = np.arange(20, dtype=np.uint64)
    >>> a, b = np.concatenate((clause, clause + 100)), np.concatenate((clause, clause + 200))
    >>> match_scores(a, b, VerifyConfig(min_shared=24)) is None  # 20 shared: a clause, not a copy
    True
    >>> match_scores(clause, clause, VerifyConfig(min_shared=24))  # a short text copied whole
    (1.0, 1.0)
    """
    if len(a) == 0 or len(b) == 0:
        return None
    shared = len(np.intersect1d(a, b, assume_unique=True))
    jac = shared / (len(a) + len(b) - shared)
    smaller = min(len(a), len(b))
    whole = positions is not None and _whole(config, positions[0] if len(a) <= len(b) else positions[1])
    if jac < (config.threshold if threshold is None else threshold) or shared < _floor(config, smaller, whole):
        return None
    return jac, shared / smaller


def shingle_positions(norm_start: Any, norm_end: Any, ngram: int) -> Any:
    """Shingles a passage's normalised text ``[norm_start, norm_end)`` holds, repeats
    counted (at least one, as the scan keeps for a passage shorter than a shingle); for
    word shingles, an upper bound."""
    return np.maximum(np.asarray(norm_end) - np.asarray(norm_start) - ngram + 1, 1)


def _whole(config: VerifyConfig, positions: Any) -> Any:
    """Whether a passage of ``positions`` shingles is a whole short text: fewer than the
    floor and than what boilerplate may leave of a passage (it empties one it would leave
    smaller), so nothing was masked, and passages are 60 characters unless the whole
    document is shorter."""
    return np.asarray(positions) < min(config.shared_floor, MIN_RESIDUE)


def _floor(config: VerifyConfig, smaller: Any, whole: Any = False) -> Any:
    """Shingles a pair must share: the config's floor, or nearly all of a short passage's,
    or half of a whole short text's (``whole``; :data:`~neardup.config.WHOLE_SHORT_SHARE`)."""
    share = np.where(whole, WHOLE_SHORT_SHARE, SHORT_CONTAINMENT)
    return np.minimum(config.shared_floor, np.ceil(share * np.asarray(smaller)))


def verify_pairs(
    pairs: npt.NDArray[np.int64],
    sets: Sequence[npt.NDArray[np.uint64]],
    config: VerifyConfig | None = None,
    positions: Sequence[int] | None = None,
) -> list[Match]:
    """Keep the pairs whose exact Jaccard reaches the threshold (sharing at least
    ``config.min_shared`` shingles), in input order; ``positions``: each set's passage's
    shingles, repeats counted (:func:`match_scores`)."""
    config = config or VerifyConfig()
    matches = []
    for i, j in pairs.tolist():
        scores = match_scores(sets[i], sets[j], config, positions=None if positions is None else (positions[i], positions[j]))
        if scores is not None:
            matches.append(Match(int(i), int(j), round(scores[0], 6), round(scores[1], 6)))
    return matches


#: One verified pair as a record: passage numbers and the unrounded scores
#: (:class:`~neardup.model.Match` rounds them to six places when it is made).
MATCH_DTYPE = np.dtype([("a", np.int64), ("b", np.int64), ("jaccard", np.float64), ("containment", np.float64)])


class MatchArray(Records[Match]):
    """Verified pairs kept as records; each is a :class:`~neardup.model.Match` when
    looked at. A redundant 300 MB corpus has over a million matches, held from
    verification to the report: 32 bytes each this way, about 170 as objects."""

    __slots__ = ()

    def _item(self, fields: tuple[Any, ...]) -> Match:
        a, b, jaccard, containment = fields
        return Match(a, b, round(jaccard, 6), round(containment, 6))

    def pairs(self) -> npt.NDArray[np.int64]:
        """``(a, b)`` of every match, as an ``(n, 2)`` array."""
        return np.stack((self.rows["a"], self.rows["b"]), axis=1) if len(self.rows) else np.empty((0, 2), dtype=np.int64)


def verify_segments(
    pairs: npt.NDArray[np.int64],
    hashes: npt.NDArray[np.uint64],
    offsets: npt.NDArray[np.int64],
    config: VerifyConfig | None = None,
    **options: Any,
) -> list[Match]:
    """:func:`verify_pairs` where passage ``i``'s shingles are ``hashes[offsets[i]:offsets[i+1]]``.

    The segments need not be sorted or unique. ``options`` are :func:`verify_rows`'s
    (``use_numba``, ``progress``, ``threads``): ``use_numba=None`` picks the kernel for
    large batches when numba is available; both paths return the same matches.

    >>> h = np.array([1, 2, 3, 4, 4, 3, 2, 9, 7, 8], dtype=np.uint64)
    >>> verify_segments(np.array([[0, 1], [0, 2]]), h, np.array([0, 4, 8, 10]), VerifyConfig(min_shared=3))
    [Match(a=0, b=1, jaccard=0.6, containment=0.75)]
    >>> verify_segments(np.array([[0, 1]]), h, np.array([0, 4, 8, 10]), VerifyConfig(min_shared=4))  # 3 shared shingles
    []
    """
    return list(MatchArray(verify_rows(pairs, hashes, offsets, config, **options)))


def verify_rows(
    pairs: npt.NDArray[np.int64],
    hashes: npt.NDArray[np.uint64],
    offsets: npt.NDArray[np.int64],
    config: VerifyConfig | None = None,
    *,
    use_numba: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
    threads: int = 1,
) -> npt.NDArray[np.void]:
    """:func:`verify_segments` as records (:data:`MATCH_DTYPE`), in the order of ``pairs``."""
    config = config or VerifyConfig()
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if len(pairs) == 0:
        return np.empty(0, dtype=MATCH_DTYPE)
    shared, size_a, size_b = pair_overlaps(pairs, hashes, offsets, use_numba=use_numba, progress=progress, threads=threads)
    nonempty = (size_a > 0) & (size_b > 0)
    smaller = np.minimum(size_a, size_b)
    jaccard = np.where(nonempty, shared / np.maximum(size_a + size_b - shared, 1), 0.0)
    # A segment's length counts its shingles with repeats: what the passage held, or what
    # boilerplate left of it (never under MIN_RESIDUE), so it tells a whole short text.
    held = np.diff(offsets)
    whole = _whole(config, held[np.where(size_a <= size_b, pairs[:, 0], pairs[:, 1])])
    keep = np.flatnonzero((jaccard >= config.threshold) & (shared >= _floor(config, smaller, whole)))
    rows = np.empty(len(keep), dtype=MATCH_DTYPE)
    rows["a"], rows["b"] = pairs[keep, 0], pairs[keep, 1]
    rows["jaccard"] = jaccard[keep]
    rows["containment"] = np.where(nonempty[keep], shared[keep] / np.maximum(smaller[keep], 1), 0.0)
    return rows


def pair_overlaps(
    pairs: npt.NDArray[np.int64],
    hashes: npt.NDArray[np.uint64],
    offsets: npt.NDArray[np.int64],
    *,
    use_numba: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
    threads: int = 1,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """For each pair: distinct shingles shared, and each side's distinct shingles.

    ``threads``: the compiled kernels release the GIL, so up to this many threads run
    them on parts of the passages and of the pairs (the result does not depend on it).

    >>> h = np.array([1, 2, 3, 4, 4, 3, 2, 9, 7, 8], dtype=np.uint64)
    >>> [x.tolist() for x in pair_overlaps(np.array([[0, 1], [0, 2]]), h, np.array([0, 4, 8, 10]))]
    [[3, 0], [4, 4], [4, 2]]
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if len(pairs) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    if use_numba is None:
        use_numba = None if len(pairs) >= NUMBA_MIN_PAIRS else False
    kernels = numba_kernels() if use_numba is not False else None
    if use_numba and kernels is None:
        raise ImportError("numba is not installed: pip install numba")
    involved, local = _involved(pairs, len(offsets) - 1)
    lo, hi = offsets[involved], offsets[involved + 1]
    if kernels is not None:
        sort_sets, count_shared = kernels
        with ThreadPoolExecutor(max(threads, 1)) as pool:
            # Each part of the passages sorted into its own stretch of one buffer, by a
            # thread (the kernels let go of the GIL); a set's run starts where its part's
            # stretch does, plus the sizes before it in the part.
            bounds = np.concatenate(([0], np.cumsum(hi - lo)))
            values = np.empty(int(bounds[-1]), dtype=np.uint64)
            slices = _slices(len(lo), 4 * max(threads, 1))
            sized = pool.map(lambda part: sort_sets(hashes, lo[part], hi[part], values[bounds[part.start] : bounds[part.stop]]), slices)
            sizes = np.concatenate(list(sized))
            first = np.array([p.start for p in slices], dtype=np.int64)
            count = np.array([p.stop - p.start for p in slices], dtype=np.int64)
            before = np.cumsum(sizes) - sizes  # sizes before each set, over all parts
            starts = np.repeat(bounds[first] - before[first], count) + before
            ends = starts + sizes
            shared = np.empty(len(local), dtype=np.int64)
            step = max(min(PROGRESS_PAIRS, -(-len(local) // (4 * max(threads, 1)))), 1)  # batches, so a bar can move
            batches = [slice(b, b + step) for b in range(0, len(local), step)]
            for part, found in zip(batches, pool.map(lambda part: count_shared(values, starts, ends, local[part]), batches)):
                shared[part] = found
                if progress:
                    progress(min(part.stop, len(local)), len(local))
        counts = sizes
    else:
        sets = [np.unique(hashes[a:b]) for a, b in zip(lo.tolist(), hi.tolist())]
        counts = np.array([len(s) for s in sets], dtype=np.int64)
        shared = np.array(
            [len(np.intersect1d(sets[a], sets[b], assume_unique=True)) for a, b in local.tolist()], dtype=np.int64
        )
    return shared, counts[local[:, 0]].astype(np.int64), counts[local[:, 1]].astype(np.int64)


def _involved(pairs: npt.NDArray[np.int64], n: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``np.unique(pairs, return_inverse=True)`` for numbers below ``n``, by a mask: no
    sort of the pairs (millions of them on a large corpus)."""
    seen = np.zeros(max(n, int(pairs.max()) + 1 if len(pairs) else 0), dtype=bool)
    seen[pairs.ravel()] = True
    involved = np.flatnonzero(seen)
    rank = np.cumsum(seen, dtype=np.int64) - 1
    return involved.astype(np.int64), rank[pairs]


def _slices(n: int, parts: int) -> list[slice]:
    """``range(n)`` in at most ``parts`` consecutive slices (none past ``n``)."""
    step = max(-(-n // max(parts, 1)), 1)
    return [slice(a, min(a + step, n)) for a in range(0, n, step)] or [slice(0, 0)]


def numba_kernels() -> tuple[Callable[..., Any], Callable[..., Any]] | None:
    """The compiled ``(sorted_sets, shared_counts)`` kernels, or ``None`` (see
    :func:`neardup.shingle.compiled_kernels`)."""
    kernels = compiled_kernels()
    return None if kernels is None else (kernels.sorted_sets, kernels.shared_counts)
