"""The one place that wires the stages: ``scan(documents) -> ScanResult``.

Passages keep their shingle hashes in one flat array with offsets (CSR), not one array
per passage: a million small numpy arrays would cost more in headers than in data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from neardup.candidates import find_candidates
from neardup.cluster import cluster_matches
from neardup.config import ScanConfig
from neardup.errors import InputError
from neardup.model import Document, Match, Passage, ScanResult, ScanStats
from neardup.normalize import normalize
from neardup.passages import split_passages
from neardup.shingle import shingle_hashes, token_starts
from neardup.signature import signatures
from neardup.verify import verify_pairs

__all__ = ["Progress", "PassageTable", "prepare", "scan"]

logger = logging.getLogger(__name__)

#: ``progress(stage, done, total)``: called as work advances; the CLI draws a bar.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PassageTable:
    """Passages of many documents with their shingle hashes in CSR form."""

    passages: tuple[Passage, ...]
    hashes: npt.NDArray[np.uint64]
    offsets: npt.NDArray[np.int64]

    def shingles(self, i: int) -> npt.NDArray[np.uint64]:
        """Sorted unique shingle hashes of passage ``i``."""
        return np.unique(self.hashes[self.offsets[i] : self.offsets[i + 1]])

    def union(self, numbers: Sequence[int]) -> npt.NDArray[np.uint64]:
        return np.unique(np.concatenate([self.hashes[self.offsets[i] : self.offsets[i + 1]] for i in numbers]))


def _passage_hashes(
    text_norm: str, passages: list[Passage], config: ScanConfig
) -> list[npt.NDArray[np.uint64]]:
    doc_hashes = shingle_hashes(text_norm, config.shingle)
    starts = token_starts(text_norm, config.shingle)
    k = config.shingle.ngram
    out = []
    for p in passages:
        if starts is None:
            lo, hi = p.norm_start, p.norm_end
        else:
            lo, hi = (int(x) for x in np.searchsorted(starts, [p.norm_start, p.norm_end]))
        lo = min(lo, max(len(doc_hashes) - 1, 0))
        out.append(doc_hashes[lo : max(lo + 1, hi - k + 1)])
    return out


def prepare(
    documents: Sequence[Document],
    config: ScanConfig,
    progress: Progress | None = None,
    first_doc: int = 0,
) -> PassageTable:
    """Normalise, split and shingle documents into a :class:`PassageTable`."""
    passages: list[Passage] = []
    chunks: list[npt.NDArray[np.uint64]] = []
    for n, doc in enumerate(documents):
        norm = normalize(doc.text, config.normalize)
        doc_passages = split_passages(first_doc + n, doc.text, norm, config.passages)
        chunks.extend(_passage_hashes(norm.text, doc_passages, config))
        passages.extend(doc_passages)
        if progress:
            progress("read", n + 1, len(documents))
    lengths = np.fromiter((len(c) for c in chunks), dtype=np.int64, count=len(chunks))
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    hashes = np.concatenate(chunks) if chunks else np.empty(0, dtype=np.uint64)
    return PassageTable(tuple(passages), hashes, offsets)


def _overlapping(pa: Passage, pb: Passage) -> bool:
    return pa.doc == pb.doc and pa.start < pb.end and pb.start < pa.end


def scan(
    documents: Iterable[Document],
    *,
    config: ScanConfig | None = None,
    threshold: float | None = None,
    progress: Progress | None = None,
    warnings: Sequence[str] = (),
) -> ScanResult:
    """Find clusters of near-duplicate passages across (and within) documents.

    Documents are processed in id order, so the result does not depend on input order.

    >>> a = "鄂州市创建全国文明城市工作推进会议在2018年召开，全市上下凝心聚力攻坚克难。"
    >>> b = a.replace("鄂州", "xx").replace("2018", "20xx")
    >>> result = scan([Document("a", a), Document("b", b), Document("c", "毫不相干的一段文字，讲的是别的事情。")])
    >>> [[m.doc_id for m in c.members] for c in result.clusters]
    [['a', 'b']]
    """
    if config is None:
        config = ScanConfig.from_options(threshold=threshold)
    elif threshold is not None:
        raise InputError("give either config or threshold, not both")
    docs = sorted(documents, key=lambda d: d.id)
    for prev, cur in zip(docs, docs[1:]):
        if prev.id == cur.id:
            raise InputError(f"document id {cur.id!r} appears twice: ids must be unique")
    table = prepare(docs, config, progress)
    offsets = table.offsets
    sigs = signatures(table.hashes, offsets, config.signature)
    if progress:
        progress("signatures", 1, 1)
    pairs = find_candidates(sigs, config.candidates, config.signature)
    keep = [not _overlapping(table.passages[i], table.passages[j]) for i, j in pairs.tolist()]
    pairs = pairs[np.array(keep, dtype=bool)] if len(pairs) else pairs
    cache: dict[int, npt.NDArray[np.uint64]] = {}

    class _Sets:
        def __getitem__(self, i: int) -> npt.NDArray[np.uint64]:
            if i not in cache:
                cache[i] = table.shingles(i)
            return cache[i]

    matches: list[Match] = verify_pairs(pairs, _Sets(), config.verify)  # type: ignore[arg-type]
    if progress:
        progress("verify", 1, 1)
    clusters = cluster_matches(
        table.passages,
        matches,
        [d.id for d in docs],
        [d.text for d in docs],
        table.union,
        config.cluster,
    )
    stats = ScanStats(
        documents=len(docs),
        passages=len(table.passages),
        candidates=int(len(pairs)),
        matches=len(matches),
        clusters=len(clusters),
        duplicated_chars=_covered_chars(clusters),
    )
    return ScanResult(
        documents=tuple(docs),
        passages=table.passages,
        matches=tuple(matches),
        clusters=tuple(clusters),
        stats=stats,
        config=config.to_dict(),
        warnings=tuple(sorted(warnings)),
    )


def _covered_chars(clusters: Sequence) -> int:  # type: ignore[type-arg]
    """Original characters inside some cluster member, each counted once."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for c in clusters:
        for m in c.members:
            spans.setdefault(m.doc_id, []).append((m.start, m.end))
    total = 0
    for ranges in spans.values():
        end = -1
        for s, e in sorted(ranges):
            if e > end:
                total += e - max(s, end)
                end = e
    return total
