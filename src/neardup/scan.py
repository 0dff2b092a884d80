"""The one place that wires the stages: ``scan(documents) -> ScanResult``.

Documents are cut into chunks; each chunk is normalised, split, shingled and signed on
its own (in worker processes with ``jobs > 1``), and only compact arrays come back:
passages as records, shingle hashes as one flat array with offsets (CSR), and one 64-bit
LSH key per passage and band instead of the signature. Chunks are put back in document
order, so the result does not depend on ``jobs``. Candidates, verification and
clustering then run on the whole table in this process.

A million passages cost about 64 bytes each as records, 8 bytes per shingle, and
8 bytes per band; the documents' text is held once, by the caller.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from neardup.candidates import band_keys, band_params, bucket_pairs, find_candidates
from neardup.cluster import cluster_matches
from neardup.config import ScanConfig, ShingleConfig
from neardup.errors import InputError
from neardup.model import Document, ScanResult, ScanStats
from neardup.normalize import normalize
from neardup.passages import PASSAGE_DTYPE, PassageArray, passage_table
from neardup.shingle import shingle_hashes_many, token_starts
from neardup.signature import signatures
from neardup.verify import verify_segments

__all__ = ["Progress", "PassageTable", "prepare", "scan"]

logger = logging.getLogger(__name__)

#: ``progress(stage, done, total)``: called as work advances; the CLI draws a bar.
Progress = Callable[[str, int, int], None]

#: A chunk holds at most this many characters (or documents): big enough that a worker
#: spends its time computing, small enough that a few chunks in flight stay cheap.
CHUNK_CHARS = 1_000_000
CHUNK_DOCS = 1_000
#: Below this many characters (about 90 MB of Chinese UTF-8) a scan stays in this
#: process whatever ``jobs`` says: starting a worker (interpreter, numpy, numba, OpenCC)
#: costs more than a share of the work saves.
PARALLEL_MIN_CHARS = 30_000_000


@dataclass(frozen=True)
class PassageTable:
    """Passages of many documents with their shingle hashes in CSR form."""

    passages: PassageArray
    hashes: npt.NDArray[np.uint64]
    offsets: npt.NDArray[np.int64]

    def shingles(self, i: int) -> npt.NDArray[np.uint64]:
        """Sorted unique shingle hashes of passage ``i``."""
        return _sorted_unique(self.hashes[self.offsets[i] : self.offsets[i + 1]])

    def union(self, numbers: Sequence[int]) -> npt.NDArray[np.uint64]:
        """Sorted unique shingle hashes of these passages together."""
        return _sorted_unique(np.concatenate([self.hashes[self.offsets[i] : self.offsets[i + 1]] for i in numbers]))


def _sorted_unique(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """``np.unique`` for small arrays, without its overhead."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


@dataclass
class _Chunk:
    """What a worker sends back for a run of documents (arrays only: cheap to pickle)."""

    rows: npt.NDArray[np.void]
    hashes: npt.NDArray[np.uint64]
    lengths: npt.NDArray[np.int64]
    keys: npt.NDArray[np.uint64] | npt.NDArray[np.uint32] | None


def _passage_index(
    rows: npt.NDArray[np.void],
    first_doc: int,
    doc_offsets: npt.NDArray[np.int64],
    norm_texts: list[str],
    config: ShingleConfig,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Where each passage's shingles sit in the chunk's hashes, and how many it has.

    Passage ``[norm_start, norm_end)`` holds the shingles that start inside it and end
    inside it; a passage shorter than one shingle keeps the one starting at its start.
    """
    local = rows["doc"] - first_doc
    first, count = doc_offsets[local], np.diff(doc_offsets)[local]
    if config.tokens == "chars":
        lo, hi = rows["norm_start"], rows["norm_end"]
    else:
        lo, hi = np.empty(len(rows), np.int64), np.empty(len(rows), np.int64)
        for d in np.unique(local).tolist():
            mine = local == d
            starts = token_starts(norm_texts[d], config)
            lo[mine] = np.searchsorted(starts, rows["norm_start"][mine])  # type: ignore[arg-type]
            hi[mine] = np.searchsorted(starts, rows["norm_end"][mine])  # type: ignore[arg-type]
    lo = np.minimum(lo, np.maximum(count - 1, 0))
    hi = np.minimum(np.maximum(lo + 1, hi - config.ngram + 1), count)
    lengths = np.maximum(hi - lo, 0).astype(np.int64)
    index = np.repeat(first + lo - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
    return index, lengths


def _prepare_chunk(
    texts: list[str], first_doc: int, config: ScanConfig, sign: str, params: tuple[int, int] | None = None
) -> _Chunk:
    """Normalise, split and shingle ``texts`` (documents ``first_doc, ...``); maybe sign them.

    ``sign``: ``"none"``, ``"keys"`` (LSH band keys, with ``params`` = (bands, rows)) or
    ``"sigs"`` (full signatures). Top-level so that worker processes can run it.
    """
    all_rows, norm_texts = [], []
    for n, text in enumerate(texts):
        norm = normalize(text, config.normalize)
        all_rows.append(passage_table(first_doc + n, text, norm, config.passages))
        norm_texts.append(norm.text)
    rows = np.concatenate(all_rows).view(PASSAGE_DTYPE).ravel() if all_rows else np.empty(0, dtype=PASSAGE_DTYPE)
    doc_hashes, doc_offsets = shingle_hashes_many(norm_texts, config.shingle)
    index, lengths = _passage_index(rows, first_doc, doc_offsets, norm_texts, config.shingle)
    hashes = doc_hashes[index]
    del doc_hashes, index
    keys = None
    if sign != "none":
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        sigs = signatures(hashes, offsets, config.signature)
        keys = band_keys(sigs, config.candidates, params=params) if sign == "keys" else sigs
    return _Chunk(rows, hashes, lengths, keys)


def _chunks(documents: Sequence[Document]) -> Iterator[tuple[int, list[str]]]:
    first, texts, size = 0, [], 0
    for n, doc in enumerate(documents):
        texts.append(doc.text)
        size += len(doc.text)
        if size >= CHUNK_CHARS or len(texts) >= CHUNK_DOCS:
            yield first, texts
            first, texts, size = n + 1, [], 0
    if texts:
        yield first, texts


def _run_chunks(
    documents: Sequence[Document], config: ScanConfig, sign: str, jobs: int, progress: Progress | None
) -> Iterator[_Chunk]:
    """Chunk results in document order; with ``jobs > 1``, from ``jobs`` worker processes.

    This process only hands out chunks and collects results (at most ``2 * jobs`` in
    flight). It does not take chunks itself: while it computes, holding the GIL, its
    thread that reads results from the workers' pipes stalls, and so do the workers.
    """
    total, done = len(documents), 0
    if progress:
        progress("prepare", 0, total)
    chunks = _chunks(documents)
    params = band_params(config.candidates.threshold, config.signature.num_perm) if sign == "keys" else None
    if jobs == 1 or sum(len(d.text) for d in documents) < max(PARALLEL_MIN_CHARS, 2 * CHUNK_CHARS):
        for first, texts in chunks:
            yield _prepare_chunk(texts, first, config, sign, params)
            done += len(texts)
            if progress:
                progress("prepare", done, total)
        return
    context = multiprocessing.get_context("spawn")  # no fork: the caller may hold threads
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        pending: deque[tuple[int, Future[_Chunk]]] = deque()
        for first, texts in chunks:
            pending.append((len(texts), pool.submit(_prepare_chunk, texts, first, config, sign, params)))
            while pending and (len(pending) > 2 * jobs or pending[0][1].done()):
                count, future = pending.popleft()
                yield future.result()
                done += count
                if progress:
                    progress("prepare", done, total)
        while pending:
            count, future = pending.popleft()
            yield future.result()
            done += count
            if progress:
                progress("prepare", done, total)


def _assemble(chunks: Iterable[_Chunk], capacity: int) -> tuple[PassageTable, npt.NDArray | None]:  # type: ignore[type-arg]
    """Put chunk results together as they arrive, copying each chunk's hashes once.

    The hashes go straight into one buffer of ``capacity`` (the documents' length in
    characters: a passage has at most one shingle per character, so it rarely grows);
    pages never written cost no memory. Holding all chunks and concatenating them at
    the end would need the hashes twice.
    """
    hashes = np.empty(max(capacity, 1), dtype=np.uint64)
    pos = 0
    rows, lengths, keys = [], [], []
    for chunk in chunks:
        end = pos + len(chunk.hashes)
        if end > len(hashes):  # normalisation made text longer (e.g. NFKC of ㈱)
            grown = np.empty(max(end, len(hashes) * 3 // 2), dtype=np.uint64)
            grown[:pos] = hashes[:pos]
            hashes = grown
        hashes[pos:end] = chunk.hashes
        pos = end
        rows.append(chunk.rows)
        lengths.append(chunk.lengths)
        if chunk.keys is not None:
            keys.append(chunk.keys)
    all_rows = np.concatenate(rows) if rows else np.empty(0, dtype=PASSAGE_DTYPE)
    all_lengths = np.concatenate(lengths) if lengths else np.empty(0, dtype=np.int64)
    offsets = np.concatenate(([0], np.cumsum(all_lengths))).astype(np.int64)
    all_keys = np.concatenate(keys) if keys else None
    return PassageTable(PassageArray(all_rows), hashes[:pos], offsets), all_keys


def _check_jobs(jobs: int | None) -> int:
    if jobs is None or jobs == 0:
        return os.cpu_count() or 1
    if jobs < 0:
        raise InputError(f"jobs must be >= 1 (or 0 for one per CPU), got {jobs}")
    return jobs


def prepare(
    documents: Sequence[Document],
    config: ScanConfig,
    progress: Progress | None = None,
    *,
    jobs: int | None = 1,
) -> PassageTable:
    """Normalise, split and shingle documents into a :class:`PassageTable`."""
    capacity = sum(len(d.text) for d in documents)
    table, _ = _assemble(_run_chunks(documents, config, "none", _check_jobs(jobs), progress), capacity)
    return table


def scan(
    documents: Iterable[Document],
    *,
    config: ScanConfig | None = None,
    threshold: float | None = None,
    jobs: int | None = 1,
    progress: Progress | None = None,
    warnings: Sequence[str] = (),
) -> ScanResult:
    """Find clusters of near-duplicate passages across (and within) documents.

    Documents are processed in id order, so the result does not depend on input order,
    nor on ``jobs``: up to that many worker processes (``0`` or ``None``: one per CPU)
    normalise, split, shingle and sign the documents of a large corpus (from
    :data:`PARALLEL_MIN_CHARS` characters). As with any multiprocessing, a script that
    calls ``scan(..., jobs=2)`` needs an ``if __name__ == "__main__":`` guard.

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
    jobs = _check_jobs(jobs)
    docs = sorted(documents, key=lambda d: d.id)
    for prev, cur in zip(docs, docs[1:]):
        if prev.id == cur.id:
            raise InputError(f"document id {cur.id!r} appears twice: ids must be unique")
    sign = "sigs" if config.candidates.backend == "datasketch" else "keys"
    capacity = sum(len(d.text) for d in docs)
    table, keys = _assemble(_run_chunks(docs, config, sign, jobs, progress), capacity)
    if progress:
        progress("candidates", 0, 1)
    if keys is None:
        pairs = np.empty((0, 2), dtype=np.int64)
    elif sign == "sigs":
        pairs = find_candidates(keys, config.candidates, config.signature)  # type: ignore[arg-type]
    else:
        pairs = bucket_pairs(keys, config.candidates)  # type: ignore[arg-type]
    del keys
    pairs = pairs[~_overlapping(table.passages.rows, pairs)]
    if progress:
        progress("candidates", 1, 1)
        progress("verify", 0, 1)
    matches = verify_segments(pairs, table.hashes, table.offsets, config.verify)
    if progress:
        progress("verify", 1, 1)
        progress("cluster", 0, 1)
    clusters = cluster_matches(
        table.passages,
        matches,
        [d.id for d in docs],
        [d.text for d in docs],
        table.union,
        config.cluster,
    )
    if progress:
        progress("cluster", 1, 1)
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


def _overlapping(rows: npt.NDArray[np.void], pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Pairs of passages that overlap in one document (a window and its neighbour)."""
    a, b = pairs[:, 0], pairs[:, 1]
    doc, start, end = rows["doc"], rows["start"], rows["end"]
    return (doc[a] == doc[b]) & (start[a] < end[b]) & (start[b] < end[a])  # type: ignore[no-any-return]


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
