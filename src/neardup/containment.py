"""Candidates by containment: a passage quoted, and rewritten a little, inside a longer one.

LSH on whole passages finds pairs whose Jaccard is high. A sentence of 120 characters
pasted into a 400-character paragraph, with a fifth of its words replaced, leaves the
two paragraphs a Jaccard near 0.1: LSH never proposes them, however low the threshold.

Here every passage keeps a sample of its shingles, the ones whose hash is ``0`` modulo
:data:`SAMPLE` (the same text keeps the same sample wherever it is, whatever surrounds
it). Two passages that share at least :data:`MIN_SHARED` sampled shingles are a
candidate. A sampled shingle carried by more than :data:`MAX_DF` passages is left out:
it is a stock phrase, not evidence of a copy, and dropping it keeps the pairs it makes
bounded (at most ``MAX_DF - 1`` per sampled shingle), so the cost stays linear in the
corpus. A candidate is kept when the aligner (:mod:`neardup.align`) finds a reused span
of at least :data:`MIN_LOCAL_CHARS` matched characters in it: the copy is local, so the
evidence must be local too.

A whole document shorter than a passage (a quatrain of 20-28 characters, a headline) has
too few shingles for either test: it is a candidate on all its sampled shingles (up to
:data:`MIN_SHARED`), and a match when :data:`~neardup.config.SHORT_CONTAINMENT` of it
lies in the other passage, as one span the aligner finds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from neardup.arrays import isin, unique_counts
from neardup.align import align_pair
from neardup.config import SHORT_CONTAINMENT, AlignConfig, ScanConfig
from neardup.model import Document
from neardup.passages import overlapping
from neardup.verify import MATCH_DTYPE, pair_overlaps

__all__ = ["MAX_DF", "MIN_LOCAL_CHARS", "MIN_SHARED", "SAMPLE", "WORD_SAMPLE", "containment_pairs", "local_matches", "with_local_matches"]

#: One shingle in this many (by hash) is sampled: character shingles ...
SAMPLE = 8
#: ... and word shingles (``--tokens words``; a word stands for several characters).
WORD_SAMPLE = 2
#: A sampled shingle in more passages than this is a stock phrase: it proposes no pair.
MAX_DF = 32
#: Sampled shingles two passages must share to be a candidate.
MIN_SHARED = 3
#: Normalised characters the aligner must match in one span for a candidate to be a match:
#: a sentence, not a stock clause (a regulation's title and its list of procedures, quoted
#: by two speeches, match about 50).
MIN_LOCAL_CHARS = 60
#: ... and the span's ratio (2 * matched / both sides' lengths) must reach this.
MIN_LOCAL_RATIO = 0.5


def containment_pairs(
    hashes: npt.NDArray[np.uint64],
    offsets: npt.NDArray[np.int64],
    *,
    sample: int = SAMPLE,
    max_df: int = MAX_DF,
    min_shared: int = MIN_SHARED,
    short: npt.NDArray[np.bool_] | None = None,
) -> npt.NDArray[np.int64]:
    """Passage pairs ``(a, b)``, ``a < b``, sharing ``min_shared`` sampled shingles; sorted.

    Passage ``i``'s shingles are ``hashes[offsets[i]:offsets[i + 1]]``. A pair with a
    passage ``short`` marks (a whole short document) needs only as many as that passage
    has sampled, when fewer (at least one).

    >>> h = np.array([8, 16, 24, 5, 8, 16, 24, 7, 9], dtype=np.uint64)
    >>> containment_pairs(h, np.array([0, 4, 9]))
    array([[0, 1]])
    """
    n = len(offsets) - 1
    pick = np.flatnonzero(hashes % np.uint64(sample) == 0)
    if n < 2 or len(pick) == 0:
        return np.empty((0, 2), dtype=np.int64)
    owner = np.searchsorted(offsets, pick, side="right") - 1
    value = hashes[pick]
    order = np.lexsort((owner, value))
    value, owner = value[order], owner[order]
    first = np.concatenate(([True], (value[1:] != value[:-1]) | (owner[1:] != owner[:-1])))
    value, owner = value[first], owner[first]
    starts = np.flatnonzero(np.concatenate(([True], value[1:] != value[:-1])))
    df = np.diff(np.concatenate((starts, [len(value)])))
    group = np.repeat(np.arange(len(starts)), df)
    usable = ((df >= 2) & (df <= max_df))[group]
    lo: list[npt.NDArray[np.int64]] = []
    hi: list[npt.NDArray[np.int64]] = []
    for k in range(1, max_df):  # the k-th next entry of the same group: every pair once
        at = np.flatnonzero(usable[:-k] & (group[k:] == group[:-k]))
        if len(at) == 0:
            break
        lo.append(owner[at])
        hi.append(owner[at + k])
    if not lo:
        return np.empty((0, 2), dtype=np.int64)
    a, b = np.concatenate(lo), np.concatenate(hi)  # owners ascend inside a group: a < b
    keys, counts = unique_counts(a * np.int64(n) + b)
    need = np.full(len(keys), min_shared, dtype=np.int64)
    if short is not None and short.any():
        sampled = np.bincount(owner, minlength=n)  # distinct sampled shingles of each passage
        first, second = keys // n, keys % n
        own = np.where(short[first], sampled[first], min_shared)
        own = np.minimum(own, np.where(short[second], sampled[second], min_shared))
        need = np.maximum(np.minimum(need, own), 1)
    keys = keys[counts >= need]
    return np.column_stack((keys // n, keys % n)).astype(np.int64)


def local_matches(
    pairs: npt.NDArray[np.int64],
    text_of: Callable[[int], str],
    config: AlignConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
    min_chars: npt.NDArray[np.int64] | None = None,
) -> list[int]:
    """Indexes of the pairs whose passages hold a reused span (:data:`MIN_LOCAL_CHARS`
    matched characters, or each pair's ``min_chars``, at ratio :data:`MIN_LOCAL_RATIO` or
    more); ``text_of(i)``: passage ``i``'s text."""
    config = config or AlignConfig()
    kept = []
    total = len(pairs)
    needs = [MIN_LOCAL_CHARS] * len(pairs) if min_chars is None else min_chars.tolist()
    for n, ((i, j), need) in enumerate(zip(pairs.tolist(), needs)):
        # the aligner reports no span under its min_chars
        spans = align_pair(text_of(i), text_of(j), config=config.reporting_from(need))
        if any(s.matched >= need and s.ratio >= MIN_LOCAL_RATIO for s in spans):
            kept.append(n)
        if progress and n % 1000 == 999:
            progress(n + 1, total)
    return kept


def with_local_matches(
    matches: npt.NDArray[np.void],
    hashes: npt.NDArray[np.uint64],
    offsets: npt.NDArray[np.int64],
    rows: npt.NDArray[np.void],
    docs: Sequence[Document],
    config: ScanConfig,
    progress: Callable[[int, int], None] | None = None,
) -> npt.NDArray[np.void]:
    """``matches`` (:data:`~neardup.verify.MATCH_DTYPE` records) and the pairs proposed
    by shared rare shingles that the aligner confirms, sorted by passage numbers
    (passages ``rows`` of ``docs``, their shingle ``hashes`` in CSR form by ``offsets``)."""
    # A word shingle stands for about six characters: sample one in two, not one in eight.
    sample = SAMPLE if config.shingle.tokens == "chars" else WORD_SAMPLE
    # Passages are at least ``min_chars`` long unless the whole document is shorter.
    length = rows["norm_end"] - rows["norm_start"]
    short = (length < config.passages.min_chars) & (np.diff(offsets) > 0)
    extra = containment_pairs(hashes, offsets, sample=sample, short=short)
    if len(extra):
        extra = extra[~overlapping(rows, extra)]
        n = np.int64(len(rows))
        known = matches["a"] * n + matches["b"]
        extra = extra[~isin(extra[:, 0] * n + extra[:, 1], known)]
    if len(extra) == 0:
        return matches
    # Only pairs sharing the verify stage's floor of shingles can hold a reused span: the
    # aligner, at a millisecond a pair, sees those alone.
    shared, size_a, size_b = pair_overlaps(extra, hashes, offsets)
    # A whole short document must lie in the other passage nearly whole: most of its
    # shingles, and most of its characters in one span.
    smaller_side = np.where(size_a <= size_b, extra[:, 0], extra[:, 1])
    whole = short[smaller_side]
    floor = np.where(whole, np.ceil(SHORT_CONTAINMENT * np.minimum(size_a, size_b)), config.verification().shared_floor)
    worth = shared >= floor
    extra, shared, size_a, size_b = extra[worth], shared[worth], size_a[worth], size_b[worth]
    need = np.where(whole[worth], np.ceil(SHORT_CONTAINMENT * length[smaller_side[worth]]), MIN_LOCAL_CHARS).astype(np.int64)
    doc, start, end = rows["doc"], rows["start"], rows["end"]

    def text_of(i: int) -> str:
        return docs[int(doc[i])].text[int(start[i]) : int(end[i])]

    kept = np.asarray(local_matches(extra, text_of, config.align, progress, need), dtype=np.int64)
    found = np.empty(len(kept), dtype=MATCH_DTYPE)
    if len(kept):
        n_shared, a, b = shared[kept], size_a[kept], size_b[kept]
        found["a"], found["b"] = extra[kept, 0], extra[kept, 1]
        found["jaccard"], found["containment"] = n_shared / (a + b - n_shared), n_shared / np.minimum(a, b)
    both = np.concatenate((matches, found))
    return both[np.argsort(both["a"] * np.int64(len(rows)) + both["b"], kind="stable")]
