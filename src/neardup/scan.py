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

from neardup.align import align_normalized, align_within
from neardup.candidates import band_keys, band_params, bucket_pairs, find_candidates
from neardup.cluster import cluster_matches
from neardup.config import AUTO_FULL_CHARS, ScanConfig, ShingleConfig
from neardup.errors import InputError
from neardup.families import group_documents
from neardup.model import Alignment, Boilerplate, DocLink, Document, Family, Match, Passage, ScanResult, ScanStats, Template, TemplateFamily
from neardup.normalize import Normalized, normalize
from neardup.passages import PASSAGE_DTYPE, PassageArray, line_starts, passage_table
from neardup.shingle import shingle_hashes_many, token_starts
from neardup.signature import signatures
from neardup.templates import BoilerRun, boilerplate_mask, find_boilerplate, template_of
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
    texts: list[str],
    first_doc: int,
    config: ScanConfig,
    sign: str,
    params: tuple[int, int] | None = None,
    masks: Sequence[npt.NDArray[np.bool_] | None] | None = None,
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
    if masks is not None and any(m is not None and m.any() for m in masks):
        index, lengths = _drop_excluded(index, lengths, doc_offsets, norm_texts, masks, config.shingle)
    hashes = doc_hashes[index]
    del doc_hashes, index
    keys = None
    if sign != "none":
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        sigs = signatures(hashes, offsets, config.signature)
        keys = band_keys(sigs, config.candidates, params=params) if sign == "keys" else sigs
    return _Chunk(rows, hashes, lengths, keys)


def _drop_excluded(
    index: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
    doc_offsets: npt.NDArray[np.int64],
    norm_texts: list[str],
    masks: Sequence[npt.NDArray[np.bool_] | None],
    config: ShingleConfig,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Leave out shingles that touch excluded (boilerplate or base) characters."""
    kept = np.ones(int(doc_offsets[-1]), dtype=bool)
    for d, (text, mask) in enumerate(zip(norm_texts, masks)):
        lo, hi = int(doc_offsets[d]), int(doc_offsets[d + 1])
        if mask is not None and mask.any() and hi > lo:
            kept[lo:hi] = _kept_shingles(text, token_starts(text, config), hi - lo, config.ngram, mask)
    keep = kept[index]
    owner = np.repeat(np.arange(len(lengths)), lengths)
    return index[keep], np.bincount(owner[keep], minlength=len(lengths)).astype(np.int64)


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
    documents: Sequence[Document],
    config: ScanConfig,
    sign: str,
    jobs: int,
    progress: Progress | None,
    exclude: Sequence[npt.NDArray[np.bool_] | None] | None = None,
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
            yield _prepare_chunk(texts, first, config, sign, params, _slice(exclude, first, len(texts)))
            done += len(texts)
            if progress:
                progress("prepare", done, total)
        return
    context = multiprocessing.get_context("spawn")  # no fork: the caller may hold threads
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        pending: deque[tuple[int, Future[_Chunk]]] = deque()
        for first, texts in chunks:
            pending.append((len(texts), pool.submit(_prepare_chunk, texts, first, config, sign, params, _slice(exclude, first, len(texts)))))
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


def _slice(exclude: Sequence[npt.NDArray[np.bool_] | None] | None, first: int, n: int) -> list[npt.NDArray[np.bool_] | None] | None:
    return None if exclude is None else list(exclude[first : first + n])


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


def _kept_shingles(
    text_norm: str, starts: npt.NDArray[np.int64] | None, count: int, k: int, exclude: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Which of the document's ``count`` shingles touch no excluded character."""
    bad = np.concatenate(([0], np.cumsum(exclude, dtype=np.int64)))
    if starts is None:
        first = np.arange(count, dtype=np.int64)
        last = np.minimum(first + k, len(text_norm))
    else:
        bounds = np.concatenate((starts, [len(text_norm)]))
        first = bounds[np.arange(count)]
        last = bounds[np.minimum(np.arange(count) + k, len(bounds) - 1)]
    return (bad[last] - bad[first]) == 0




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
    base: Sequence[Document] = (),
) -> ScanResult:
    """Find clusters of near-duplicate passages across (and within) documents.

    Documents are processed in id order, so the result does not depend on input order,
    nor on ``jobs``: up to that many worker processes (``0`` or ``None``: one per CPU)
    normalise, split, shingle and sign the documents of a large corpus (from
    :data:`PARALLEL_MIN_CHARS` characters). As with any multiprocessing, a script that
    calls ``scan(..., jobs=2)`` needs an ``if __name__ == "__main__":`` guard.
    Besides clusters, the result carries (with ``config.detail`` ``"full"``, or ``"auto"``
    up to :data:`~neardup.config.AUTO_FULL_CHARS` characters) the reused spans of every pair of documents that share a verified passage, each
    cluster's template with its slots, the boilerplate of every document, and template
    families. ``base`` documents are known templates or boilerplate (``--base``): text
    shared with them never counts as copied.

    >>> a = "鄂州市创建全国文明城市工作推进会议在2018年召开，全市上下凝心聚力攻坚克难。"
    >>> b = a.replace("鄂州", "xx").replace("2018", "20xx")
    >>> result = scan([Document("a", a), Document("b", b), Document("c", "毫不相干的一段文字，讲的是别的事情。")])
    >>> [[m.doc_id for m in c.members] for c in result.clusters]
    [['a', 'b']]
    >>> [s.values for s in result.templates[0].slots]
    [('鄂州', 'xx'), ('2018', '20xx')]
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
    capacity = sum(len(d.text) for d in docs)
    full = config.detail == "full" or (config.detail == "auto" and capacity <= AUTO_FULL_CHARS)
    if config.detail == "auto" and not full:
        warnings = [*warnings, (
            f"corpus of {capacity:,} characters is over {AUTO_FULL_CHARS:,}: clusters only; "
            "pass --detail full for reused spans, templates, boilerplate and families"
        )]
    base_docs = sorted(base, key=lambda d: d.id)
    masked = bool(base_docs) or config.boilerplate.ignore
    norms: list[Normalized] | None = None
    runs: list[list[BoilerRun]] | None = None
    exclude: list[npt.NDArray[np.bool_] | None] | None = None
    if full or masked:
        norms = [normalize(d.text, config.normalize) for d in docs]
        base_norms = [normalize(d.text, config.normalize) for d in base_docs]
        runs = find_boilerplate([d.text for d in docs], norms, config.boilerplate, base=base_norms)
        if masked:
            kinds = ("base", "corpus", "page") if config.boilerplate.ignore else ("base",)
            exclude = [boilerplate_mask(len(n.text), r, kinds) if r else None for n, r in zip(norms, runs)]
    sign = "sigs" if config.candidates.backend == "datasketch" else "keys"
    table, keys = _assemble(_run_chunks(docs, config, sign, jobs, progress, exclude), capacity)
    if progress:
        progress("candidates", 0, 1)
    if keys is None:
        pairs = np.empty((0, 2), dtype=np.int64)
    elif sign == "sigs":
        pairs = find_candidates(keys, config.candidates, config.signature)  # type: ignore[arg-type]
    else:
        pairs = bucket_pairs(keys, config.candidates)  # type: ignore[arg-type]
    del keys
    sizes = np.diff(table.offsets)
    if len(pairs):
        pairs = pairs[~_overlapping(table.passages.rows, pairs) & (sizes[pairs[:, 0]] > 0) & (sizes[pairs[:, 1]] > 0)]
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
    alignments: tuple[Alignment, ...] = ()
    templates: tuple[Template, ...] = ()
    boilerplate: tuple[Boilerplate, ...] = ()
    families: tuple[Family, ...] = ()
    links: tuple[DocLink, ...] = ()
    template_families: tuple[TemplateFamily, ...] = ()
    if full and norms is not None and runs is not None:
        alignments = _alignments(docs, norms, table.passages, matches, config)
        if progress:
            progress("align", 1, 1)
        templates = tuple(template_of(c, config=config.align) for c in clusters)
        boilerplate = _boilerplate(docs, norms, runs)
        groups = group_documents(docs, norms, runs, alignments, boilerplate, config.families, window=config.boilerplate.min_chars)
        links, families, template_families = groups.links, groups.families, groups.template_families
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
        alignments=alignments,
        templates=templates,
        boilerplate=boilerplate,
        families=families,
        links=links,
        template_families=template_families,
    )


def _overlapping(rows: npt.NDArray[np.void], pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Pairs of passages that overlap in one document (a window and its neighbour)."""
    a, b = pairs[:, 0], pairs[:, 1]
    doc, start, end = rows["doc"], rows["start"], rows["end"]
    return (doc[a] == doc[b]) & (start[a] < end[b]) & (start[b] < end[a])  # type: ignore[no-any-return]


def _alignments(
    docs: Sequence[Document],
    norms: Sequence[Normalized],
    passages: Sequence[Passage],
    matches: Sequence[Match],
    config: ScanConfig,
) -> tuple[Alignment, ...]:
    """Reused spans of every pair of documents sharing a verified passage (and repeats in one)."""
    doc_pairs = sorted({(passages[m.a].doc, passages[m.b].doc) for m in matches})
    out = []
    for da, db in doc_pairs:
        a, b = docs[da], docs[db]
        if da == db:
            spans = align_within(a.text, config=config.align, norm=norms[da])
        else:
            spans = align_normalized(a.text, norms[da], b.text, norms[db], config.align)
        if spans:
            out.append(Alignment(a.id, b.id, tuple(spans)))
    return tuple(out)


def _boilerplate(
    docs: Sequence[Document], norms: Sequence[Normalized], runs: Sequence[Sequence[BoilerRun]]
) -> tuple[Boilerplate, ...]:
    out = []
    for doc, norm, doc_runs in zip(docs, norms, runs):
        if not doc_runs:
            continue
        starts = line_starts(doc.text)
        for r in doc_runs:
            s, e = norm.original_span(r.start, r.end)
            line_s = int(np.searchsorted(starts, s, side="right"))
            line_e = int(np.searchsorted(starts, e - 1, side="right"))
            out.append(Boilerplate(doc.id, s, e, line_s, line_e, r.kind, r.documents, doc.text[s:e]))  # type: ignore[arg-type]
    return tuple(out)


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
