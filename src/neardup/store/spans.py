"""Matched passages -> the documents a text reuses, with reused spans on both sides."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from neardup.align import align_pair, shift_span
from neardup.cluster import UnionFind
from neardup.config import AlignConfig, ScanConfig
from neardup.model import IndexMatch, Passage, ReuseSpan
from neardup.passages import line_of
from neardup.store.backend import Prepared, Stored
from neardup.verify import similarity

__all__ = ["index_matches", "merge_passage_pairs"]


def merge_passage_pairs(pairs: Sequence[tuple[Passage, Passage]], *, gap: int = 2) -> list[list[int]]:
    """Group matched ``(query passage, stored passage)`` pairs into contiguous reused spans.

    Two pairs belong together when both sides move forward by at most ``gap`` passages
    (the same rule the scan uses to chain a copied speech into one region). Returns the
    positions in ``pairs`` of each group, groups ordered by where they start in the query.
    This is the stand-in for a character-level alignment (``align_pair``).

    >>> p = lambda i: Passage(0, i, 10 * i, 10 * i + 10, i + 1, i + 1, 0, 0)
    >>> merge_passage_pairs([(p(0), p(5)), (p(1), p(6)), (p(4), p(0))])
    [[0, 1], [2]]
    """
    order = sorted(range(len(pairs)), key=lambda k: (pairs[k][0].index, pairs[k][1].index))
    uf = UnionFind[int]()

    for pos, x in enumerate(order):
        qx, dx = pairs[x][0].index, pairs[x][1].index
        for y in order[pos + 1 :]:
            qy, dy = pairs[y][0].index, pairs[y][1].index
            if qy - qx > gap:
                break
            if 0 <= dy - dx <= gap:
                uf.union(x, y)
    groups: dict[int, list[int]] = defaultdict(list)
    for x in order:
        groups[uf.find(x)].append(x)
    return sorted(groups.values(), key=lambda g: (pairs[g[0]][0].start, pairs[g[0]][1].start))


def index_matches(
    prepared: Prepared,
    pairs: Sequence[tuple[int, Stored]],
    docs: Mapping[int, tuple[str, Any]],
    text_of: Callable[[str], str | None],
    config: ScanConfig,
) -> list[IndexMatch]:
    """The stored documents ``prepared`` reuses, most complete copy first.

    ``pairs``: each matched ``(query passage number, stored passage)``; ``docs``: each
    stored document key's id and meta; ``text_of(doc_id)``: the stored text, if kept.
    """
    by_doc: dict[int, list[tuple[int, Stored]]] = defaultdict(list)
    for i, s in pairs:
        if s.passage.doc in docs:
            by_doc[s.passage.doc].append((i, s))
    total = sum(p.length for p in prepared.passages) or 1
    out = []
    for doc, doc_pairs in by_doc.items():
        spans = _spans(prepared, doc_pairs, text_of(docs[doc][0]), config)
        covered = sum(prepared.passages[i].length for i in {i for i, _ in doc_pairs})
        doc_id, meta = docs[doc]
        ratios = [s.ratio for s in spans if s.ratio is not None]
        jaccards = [s.jaccard for s in spans if s.jaccard is not None]
        out.append(
            IndexMatch(
                doc_id=doc_id,
                ratio=max(ratios, default=None),
                jaccard=max(jaccards, default=None),
                coverage=round(covered / total, 4),
                spans=tuple(spans),
                meta=meta,
            )
        )
    out.sort(key=lambda m: (-m.coverage, -m.score, m.doc_id))
    return out


def _spans(prepared: Prepared, pairs: Sequence[tuple[int, Stored]], stored_text: str | None, config: ScanConfig) -> list[ReuseSpan]:
    """Matched passages -> reused spans on both sides (A: the query, B: the stored text).

    Where the stored text is kept, each run of matched passages is aligned exactly
    (:func:`neardup.align.align_pair`) so the spans start and end where the copying
    does, with their edits; without stored text, the runs' passage boundaries are the
    spans, scored by the Jaccard of their passages.
    """
    qp = prepared.passages
    groups = merge_passage_pairs([(qp[i], s.passage) for i, s in pairs], gap=config.cluster.gap)
    spans = []
    for group in groups:
        q = sorted({pairs[g][0] for g in group})
        d = sorted({pairs[g][1].pid: pairs[g][1] for g in group}.values(), key=lambda s: s.passage.index)
        dp = [s.passage for s in d]
        qs, qe = min(qp[i].start for i in q), max(qp[i].end for i in q)
        ds, de = min(p.start for p in dp), max(p.end for p in dp)
        if stored_text:
            # Edge passages that mix copied and other text may not have matched:
            # align one passage length beyond the run on each side.
            m = config.passages.max_chars
            window = (max(0, qs - m), min(len(prepared.text), qe + m), max(0, ds - m), min(len(stored_text), de + m))
            aligned = _aligned(config.align, prepared.text, window[0], window[1], stored_text, window[2], window[3])
            if aligned:
                spans.extend(aligned)
                continue
            # Matched passages the aligner keeps no stretch of: report the passages.
        q_set = np.unique(np.concatenate([prepared.sets[i] for i in q]))
        d_set = np.unique(np.concatenate([s.shingles for s in d]))
        spans.append(
            ReuseSpan(
                a_start=qs,
                a_end=qe,
                b_start=ds,
                b_end=de,
                a_line_start=min(qp[i].line_start for i in q),
                a_line_end=max(qp[i].line_end for i in q),
                b_line_start=min(p.line_start for p in dp),
                b_line_end=max(p.line_end for p in dp),
                ratio=None,
                jaccard=round(similarity(q_set, d_set)[0], 4),
            )
        )
    return spans


def _aligned(config: AlignConfig, query: str, qs: int, qe: int, stored: str, ds: int, de: int) -> list[ReuseSpan]:
    """Reused spans of ``query[qs:qe]`` in ``stored[ds:de]``, in the whole texts' offsets and lines."""
    la, lb = line_of(query, qs) - 1, line_of(stored, ds) - 1
    return [shift_span(r, qs, ds, la, lb) for r in align_pair(query[qs:qe], stored[ds:de], config=config)]
