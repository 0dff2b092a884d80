"""The one place that wires the stages: ``scan(documents) -> ScanResult``.

Documents are cut into chunks and read twice. The first pass counts, for every
12-character window, the documents that carry it (what corpus boilerplate is made of).
The second pass normalises, splits, finds each document's boilerplate, shingles what is
not boilerplate, and signs it, chunk by chunk (in worker processes with ``jobs > 1``);
only compact arrays come back:
passages as records, shingle hashes as one flat array with offsets (CSR), and one 64-bit
LSH key per passage and band instead of the signature. Chunks are put back in document
order, so the result does not depend on ``jobs``. Candidates, verification and
clustering then run on the whole table in this process.

A million passages cost about 64 bytes each as records, 8 bytes per shingle, and
8 bytes per band; the documents' text is held once, by the caller.
"""

from __future__ import annotations

import gc
import logging
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from neardup.analyse import analyse, keyword_helper
from neardup.arrays import unique
from neardup.boilerplate import (
    BOILERPLATE_DTYPE,
    KIND_CODE,
    BoilerplateArray,
    BoilerRun,
    RunTable,
    WindowCounts,
    boilerplate_mask,
    count_windows,
    distinct_windows_many,
    find_runs_and_shared,
    masked_kinds,
    window_hashes,
    windows_many,
)
from neardup.candidates import band_keys, band_params, bucket_pairs, find_candidates
from neardup.cluster import cluster_matches
from neardup.containment import with_local_matches
from neardup.config import MIN_RESIDUE, ScanConfig, ShingleConfig
from neardup.errors import InputError
from neardup.pieces import DocumentPieces, PieceMerger, find_pieces
from neardup.templates import DocumentWords, load_keyword_tables
from neardup.model import (
    Alignment,
    Cluster,
    DocLink,
    Document,
    Family,
    ScanResult,
    ScanStats,
    Template,
    TemplateFamily,
)
from neardup.normalize import Normalized, normalize
from neardup.passages import PASSAGE_DTYPE, PassageArray, covered, joined_releasing, line_starts, overlapping, passage_table
from neardup.shingle import NUMBA_MIN_CHARS, load_kernels_aside, shingle_hashes_many, token_starts
from neardup.signature import signatures
from neardup.workers import CHUNK_CHARS, Progress, Workers, advancer, document_chunks, give_back_memory, start_server
from neardup.verify import MatchArray, verify_rows

__all__ = ["PassageTable", "Progress", "covered_chars", "parallel", "prepare", "prepare_masked", "scan"]

logger = logging.getLogger(__name__)


#: Below this many characters (about 12 MB of Chinese UTF-8) a scan stays in this
#: process whatever ``jobs`` says: starting a worker (interpreter, numpy, numba, OpenCC)
#: costs more than a share of the work saves.
PARALLEL_MIN_CHARS = 4_000_000


@dataclass(frozen=True)
class PassageTable:
    """Passages of many documents with their shingle hashes in CSR form."""

    passages: PassageArray
    hashes: npt.NDArray[np.uint64]
    offsets: npt.NDArray[np.int64]

    def shingles(self, i: int) -> npt.NDArray[np.uint64]:
        """Sorted unique shingle hashes of passage ``i``."""
        return unique(self.hashes[self.offsets[i] : self.offsets[i + 1]])

    def union(self, numbers: Sequence[int]) -> npt.NDArray[np.uint64]:
        """Sorted unique shingle hashes of these passages together."""
        return unique(np.concatenate([self.hashes[self.offsets[i] : self.offsets[i + 1]] for i in numbers]))


@dataclass
class _Chunk:
    """What a worker sends back for a run of documents (arrays only: cheap to pickle)."""

    rows: npt.NDArray[np.void]
    hashes: npt.NDArray[np.uint64]
    lengths: npt.NDArray[np.int64]
    keys: npt.NDArray[np.uint64] | npt.NDArray[np.uint32] | None
    boilerplate: npt.NDArray[np.void]  # BOILERPLATE_DTYPE
    runs: RunTable
    shared: list[npt.NDArray[np.int64]]
    pieces: DocumentPieces | None = None


@dataclass(frozen=True)
class _Boiler:
    """What the second pass needs to find boilerplate: the corpus's window counts and the
    base files' windows, in memory or (for worker processes) as a saved ``.npz``."""

    counts: WindowCounts | None = None
    base: npt.NDArray[np.uint64] | None = None
    path: str | None = None
    #: In this process only: each chunk's normalised texts from the first pass, by its
    #: first document, taken by the second pass (normalising a corpus twice cost 3-5 %
    #: of a 5 MB scan, which runs here).
    norms: dict[int, list[Normalized]] | None = None

    def normalized(self, first_doc: int, texts: Sequence[str], config: ScanConfig) -> list[Normalized]:
        """The chunk's normalised texts: the first pass's, or made now."""
        kept = self.norms.pop(first_doc, None) if self.norms is not None else None
        return kept if kept is not None and len(kept) == len(texts) else [normalize(t, config.normalize) for t in texts]

    def load(self) -> tuple[WindowCounts, npt.NDArray[np.uint64] | None]:
        if self.path is None:
            return self.counts or WindowCounts.empty(), self.base
        return _load_boiler(self.path)


_LOADED: dict[str, tuple[WindowCounts, npt.NDArray[np.uint64] | None]] = {}


def _load_boiler(path: str) -> tuple[WindowCounts, npt.NDArray[np.uint64] | None]:
    """A worker maps the saved counts once, whatever the number of chunks it runs."""
    if path not in _LOADED:
        data = np.load(path, mmap_mode="r")
        base = data["base"] if len(data["base"]) else None
        _LOADED.clear()
        _LOADED[path] = (WindowCounts(data["values"], data["counts"]), base)
    return _LOADED[path]


def _window_chunk(
    texts: list[str], first_doc: int, config: ScanConfig, keep: dict[int, list[Normalized]] | None = None
) -> npt.NDArray[np.uint64]:
    """First pass: every document's distinct boilerplate windows, end to end; the
    normalised texts go to ``keep`` (when run in the scan's process)."""
    norms = [normalize(t, config.normalize) for t in texts]
    if keep is not None:
        keep[first_doc] = norms
    return distinct_windows_many([norm.text for norm in norms], config.boilerplate.min_chars)


def _boilerplate_rows(doc: int, text: str, norm: Normalized, runs: Sequence[BoilerRun]) -> npt.NDArray[np.void]:
    """Document ``doc``'s boilerplate records (:data:`BOILERPLATE_DTYPE`), in original offsets and lines."""
    rows = np.empty(len(runs), dtype=BOILERPLATE_DTYPE)
    if not runs:
        return rows
    starts = line_starts(text)
    s = norm.start[[r.start for r in runs]]  # norm.original_span of every run at once
    e = norm.end[[r.end - 1 for r in runs]]
    rows["doc"] = doc
    rows["start"], rows["end"] = s, e
    rows["line_start"] = np.searchsorted(starts, s, side="right")
    rows["line_end"] = np.searchsorted(starts, e - 1, side="right")
    rows["documents"] = [r.documents for r in runs]
    rows["kind"] = [KIND_CODE[r.kind] for r in runs]
    return rows


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
    boiler: _Boiler | None = None,
    ids: Sequence[str] | None = None,
    pieces: bool = False,
) -> _Chunk:
    """Normalise, split, find boilerplate and shingle ``texts`` (documents ``first_doc, ...``); maybe sign them.

    ``sign``: ``"none"``, ``"keys"`` (LSH band keys, with ``params`` = (bands, rows)) or
    ``"sigs"`` (full signatures). Shingles touching boilerplate of the kinds
    :func:`~neardup.boilerplate.masked_kinds` names are left out. Top-level so that
    worker processes can run it. With ``pieces``, also the families' pass over the
    documents (:func:`~neardup.pieces.find_pieces`), while their normalised text is here.
    """
    give_back_memory()  # what the last chunk left (a worker runs many)
    all_rows = []
    masks: list[npt.NDArray[np.bool_] | None] = []
    records: list[npt.NDArray[np.void]] = []
    all_runs: list[list[BoilerRun]] = []
    all_shared: list[npt.NDArray[np.int64]] = []
    counts, base = boiler.load() if boiler is not None else (WindowCounts.empty(), None)
    kinds = masked_kinds(config.boilerplate)
    compiled = sum(len(t) for t in texts) >= NUMBA_MIN_CHARS  # shingling loads the kernels anyway
    norms = (boiler or _Boiler()).normalized(first_doc, texts, config)
    norm_texts = [norm.text for norm in norms]
    k = config.boilerplate.min_chars
    windows, win_at = windows_many(norm_texts, k) if boiler is not None else (None, None)
    for n, (text, norm) in enumerate(zip(texts, norms)):
        all_rows.append(passage_table(first_doc + n, text, norm, config.passages))
        mine = None if windows is None or win_at is None else windows[win_at[n] : win_at[n + 1]]
        runs, shared = (
            find_runs_and_shared(text, norm, counts, config.boilerplate, base=base, compiled=compiled, windows=mine)
            if boiler is not None
            else ([], _NO_RANGES)
        )
        all_runs.append(runs)
        all_shared.append(shared)
        if ids is not None:
            records.append(_boilerplate_rows(first_doc + n, text, norm, runs))
        masks.append(boilerplate_mask(len(norm.text), runs, kinds) if any(r.kind in kinds for r in runs) else None)
    rows = np.concatenate(all_rows).view(PASSAGE_DTYPE).ravel() if all_rows else np.empty(0, dtype=PASSAGE_DTYPE)
    doc_hashes, doc_offsets = shingle_hashes_many(norm_texts, config.shingle)
    index, lengths = _passage_index(rows, first_doc, doc_offsets, norm_texts, config.shingle)
    if any(m is not None and m.any() for m in masks):
        index, lengths = _drop_excluded(index, lengths, doc_offsets, norm_texts, masks, config.shingle)
    hashes = doc_hashes[index]
    del doc_hashes, index
    keys = None
    if sign != "none":
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        sigs = signatures(hashes, offsets, config.signature)
        keys = band_keys(sigs, config.candidates, params=params) if sign == "keys" else sigs
    found = None
    if pieces and ids is not None:
        docs = [Document(i, t) for i, t in zip(ids, texts)]
        cut = DocumentWords(docs, norms)
        found = find_pieces(docs, norms, all_runs, cut, k, all_shared, first=first_doc, hashed=(windows, win_at))
    boilerplate = np.concatenate(records) if records else np.empty(0, dtype=BOILERPLATE_DTYPE)
    return _Chunk(rows, hashes, lengths, keys, boilerplate, RunTable.of(all_runs), all_shared, found)


def _drop_excluded(
    index: npt.NDArray[np.int64],
    lengths: npt.NDArray[np.int64],
    doc_offsets: npt.NDArray[np.int64],
    norm_texts: list[str],
    masks: Sequence[npt.NDArray[np.bool_] | None],
    config: ShingleConfig,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Leave out shingles that touch excluded (boilerplate or base) characters.

    A passage that boilerplate leaves with fewer than :data:`MIN_RESIDUE` shingles loses
    them all: the few characters between a formula's pieces, or an edit in a stock
    paragraph, are no evidence of copying, and on a handful of shingles a Jaccard of 0.3
    says nothing.
    """
    kept = np.ones(int(doc_offsets[-1]), dtype=bool)
    for d, (text, mask) in enumerate(zip(norm_texts, masks)):
        lo, hi = int(doc_offsets[d]), int(doc_offsets[d + 1])
        if mask is not None and mask.any() and hi > lo:
            kept[lo:hi] = _kept_shingles(text, token_starts(text, config), hi - lo, config.ngram, mask)
    keep = kept[index]
    owner = np.repeat(np.arange(len(lengths)), lengths)
    left = np.bincount(owner[keep], minlength=len(lengths)).astype(np.int64)
    residue = (left < lengths) & (left < MIN_RESIDUE)
    keep &= ~residue[owner]
    left[residue] = 0
    return index[keep], left


def _run_chunks(
    documents: Sequence[Document],
    work: Callable[..., Any],
    args: tuple[Any, ...],
    workers: Workers,
    progress: Progress | None,
    stage: str,
    *,
    with_ids: bool = False,
    pieces: bool = False,
) -> Iterator[Any]:
    """``work(texts, first_doc, *args[, ids[, pieces]])`` of every chunk, in document order, on ``workers``."""
    advance = advancer(progress, stage, len(documents))
    tail = (True,) if pieces else ()
    chunks = document_chunks(documents)
    return workers.map(((len(t), work, (t, first, *args, *((ids, *tail) if with_ids else ()))) for first, t, ids in chunks), advance)


def _closing(chunks: Iterator[_Chunk], workers: Workers) -> Iterator[_Chunk]:
    """``chunks``, the workers closed as soon as the last has come: their memory goes
    back before the chunks are joined, the peak of the second pass."""
    yield from chunks
    workers.close()


def parallel(documents: Sequence[Document], jobs: int) -> bool:
    """Whether a scan of these documents uses worker processes."""
    return jobs > 1 and sum(len(d.text) for d in documents) >= max(PARALLEL_MIN_CHARS, 2 * CHUNK_CHARS)


@dataclass(frozen=True)
class _Boilerplate:
    """Per document: boilerplate runs and the ranges other documents share (normalised offsets)."""

    runs: RunTable
    shared: list[npt.NDArray[np.int64]]
    pieces: DocumentPieces | None = None  # what the families stage needs of each document


_NO_RANGES = np.empty((0, 2), dtype=np.int64)


def _assemble(
    chunks: Iterable[_Chunk], capacity: int
) -> tuple[PassageTable, npt.NDArray | None, npt.NDArray[np.void], _Boilerplate]:  # type: ignore[type-arg]
    """Put chunk results together as they arrive, copying each chunk's hashes once.

    The hashes go straight into one buffer of ``capacity`` (the documents' length in
    characters: a passage has at most one shingle per character, so it rarely grows);
    pages never written cost no memory. Holding all chunks and concatenating them at
    the end would need the hashes twice.
    """
    hashes = np.empty(max(capacity, 1), dtype=np.uint64)
    pos = 0
    rows, lengths, keys, records, runs, shared = [], [], [], [], [], []
    pieces, any_pieces = PieceMerger(), False
    for n, chunk in enumerate(chunks):
        if n % 16 == 15:
            give_back_memory()  # the chunks' pickles and the pieces' dictionaries, freed
        if chunk.pieces is not None:
            pieces.add(chunk.pieces)
            any_pieces = True
        records.append(chunk.boilerplate)
        runs.append(chunk.runs)
        shared.extend(chunk.shared)
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
    # Each list let go as it is joined: the band keys alone are hundreds of megabytes.
    all_rows = joined_releasing(rows, np.empty(0, dtype=PASSAGE_DTYPE))
    all_lengths = joined_releasing(lengths, np.empty(0, dtype=np.int64))
    offsets = np.concatenate(([0], np.cumsum(all_lengths))).astype(np.int64)
    all_keys = joined_releasing(keys, None)
    found = pieces.merged(shared=True) if any_pieces else None
    all_records = joined_releasing(records, np.empty(0, dtype=BOILERPLATE_DTYPE))
    return PassageTable(PassageArray(all_rows), hashes[:pos], offsets), all_keys, all_records, _Boilerplate(RunTable.joined(runs), shared, found)


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
    """Normalise, split and shingle documents into a :class:`PassageTable` (no boilerplate pass)."""
    capacity = sum(len(d.text) for d in documents)
    jobs = _check_jobs(jobs)
    with Workers(jobs if parallel(documents, jobs) else 1) as workers:
        table, _, _, _ = _assemble(_run_chunks(documents, _prepare_chunk, (config, "none"), workers, progress, "prepare"), capacity)
    return table


def prepare_masked(
    documents: Sequence[Document],
    config: ScanConfig,
    counts: WindowCounts,
    *,
    first_doc: int = 0,
    base: npt.NDArray[np.uint64] | None = None,
) -> tuple[PassageTable, BoilerplateArray]:
    """The scan's second pass over some documents, given the corpus's window counts.

    For callers that count windows their own way (the Spark scan): passages with the
    shingles that touch boilerplate left out (as ``config.boilerplate`` says), and each
    document's boilerplate. ``counts`` need only hold these documents' windows.
    """
    chunk = _prepare_chunk(
        [d.text for d in documents], first_doc, config, "none", None, _Boiler(counts, base), [d.id for d in documents]
    )
    table, _, records, _ = _assemble([chunk], sum(len(d.text) for d in documents))
    records["doc"] -= first_doc
    return table, BoilerplateArray(records, documents)


def _boiler(
    docs: Sequence[Document], base_docs: Sequence[Document], config: ScanConfig, workers: Workers, progress: Progress | None
) -> _Boiler:
    """First pass: the corpus's window counts and the base files' windows."""
    k = config.boilerplate.min_chars
    counts = WindowCounts.empty()
    capacity = sum(len(d.text) for d in docs)
    # about 18 bytes a character: kept up to a serial scan's size (72 MB), not for `-j 1` on 300 MB
    norms: dict[int, list[Normalized]] | None = {} if not workers.parallel and capacity <= PARALLEL_MIN_CHARS else None
    if len(docs) >= config.boilerplate.min_docs:
        counts = count_windows(_run_chunks(docs, _window_chunk, (config, norms), workers, progress, "boilerplate"), capacity)
    base = None
    if base_docs:
        base = unique(np.concatenate([window_hashes(normalize(d.text, config.normalize).text, k) for d in base_docs]))
    if not workers.parallel:
        return _Boiler(counts, base, norms=norms)
    handle, path = tempfile.mkstemp(prefix="neardup-boiler-", suffix=".npz")
    os.close(handle)
    np.savez(path, values=counts.values, counts=counts.counts, base=base if base is not None else np.empty(0, np.uint64))
    return _Boiler(path=path)


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
    """Find clusters of copies of one text across (and within) documents.

    Documents are processed in id order, so the result does not depend on input order,
    nor on ``jobs``: up to that many worker processes (``0`` or ``None``: one per CPU)
    normalise, split, shingle and sign the documents of a large corpus (from
    :data:`PARALLEL_MIN_CHARS` characters; from
    :data:`~neardup.analyse.KEYWORD_HELPER_MIN_CHARS`, one helper process counts the
    families' keywords). As with any multiprocessing, a script that
    calls ``scan(..., jobs=2)`` needs an ``if __name__ == "__main__":`` guard.

    Boilerplate (page chrome, corpus formulas, ``base`` text) is found and reported, and
    left out of every match and similarity unless ``config.boilerplate.link``. With
    ``config.detail == "full"`` (the default, at every size) the result also carries the
    reused spans of every cluster member against its representative (and of repeats
    inside one document), each cluster's template with its slots, and template
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
    with _collector_spared():
        return _scan(documents, config, jobs, progress, warnings, base)


@contextmanager
def _collector_spared() -> Iterator[None]:
    """Keep Python's cyclic garbage collector off the scan's long-lived objects.

    A large corpus makes millions of small objects that live to the end (documents,
    matches, members, spans); each full collection walks all of them, and on the 50 MB
    redundant corpus collections cost a fifth of the scan. The scan makes no cycles to
    collect, so objects alive at each stage's end are frozen (``gc.freeze``) and
    collections are rarer; both are undone on return (unless the caller froze first).
    """
    threshold = gc.get_threshold()
    ours = gc.get_freeze_count() == 0
    gc.freeze()
    gc.set_threshold(max(threshold[0], 100_000), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        if ours:
            gc.unfreeze()


def _scan(
    documents: Iterable[Document],
    config: ScanConfig,
    jobs: int,
    progress: Progress | None,
    warnings: Sequence[str],
    base: Sequence[Document],
) -> ScanResult:
    docs = sorted(documents, key=lambda d: d.id)
    gc.freeze()
    for prev, cur in zip(docs, docs[1:]):
        if prev.id == cur.id:
            raise InputError(f"document id {cur.id!r} appears twice: ids must be unique")
    many = parallel(docs, jobs)
    chars = sum(len(d.text) for d in docs)
    if many:
        start_server()  # loads while this process reads the corpus's windows
    loading = load_kernels_aside() if chars >= NUMBA_MIN_CHARS else None
    try:
        with Workers(jobs if many else 1) as workers, keyword_helper(chars, jobs, config, many) as helper:
            return _stages(docs, sorted(base, key=lambda d: d.id), config, workers, progress, warnings, helper)
    finally:
        if loading is not None:
            loading.join()  # long done; no thread of ours outlives the scan


def _stages(
    docs: list[Document],
    base_docs: list[Document],
    config: ScanConfig,
    workers: Workers,
    progress: Progress | None,
    warnings: Sequence[str],
    keyword_workers: Workers | None = None,
) -> ScanResult:
    capacity = sum(len(d.text) for d in docs)
    full = config.detail == "full"
    boiler = _boiler(docs, base_docs, config, workers, progress)
    sign = "sigs" if config.candidates.backend == "datasketch" else "keys"
    params = band_params(config.candidates.threshold, config.signature.num_perm) if sign == "keys" else None
    try:
        args = (config, sign, params, boiler)
        chunks = _run_chunks(docs, _prepare_chunk, args, workers, progress, "prepare", with_ids=True, pieces=full)
        table, keys, boilerplate_records, boiler_runs = _assemble(_closing(chunks, workers), capacity)
    finally:
        if boiler.path:
            os.unlink(boiler.path)
    # Candidates, verification and clustering run here: the workers (their mapped window
    # counts, their heaps) would only hold memory at the scan's peak. The analysis starts
    # fresh ones (warmed up while this process clusters).
    workers.close()
    if progress:
        progress("candidates", 0, 1)
    keys_made = keys is not None
    if keys is None:
        pairs = np.empty((0, 2), dtype=np.int64)
    elif sign == "sigs":
        pairs = find_candidates(keys, config.candidates, config.signature)  # type: ignore[arg-type]
    else:
        pairs = bucket_pairs(
            keys, config.candidates, progress=(lambda done, total: progress("candidates", done, total)) if progress else None  # type: ignore[arg-type]
        )
    del keys
    give_back_memory()
    sizes = np.diff(table.offsets)
    if len(pairs):
        pairs = pairs[~overlapping(table.passages.rows, pairs) & (sizes[pairs[:, 0]] > 0) & (sizes[pairs[:, 1]] > 0)]
    if progress:
        progress("candidates", 1, 1)
        progress("verify", 0, max(len(pairs), 1))
    matches = verify_rows(
        pairs, table.hashes, table.offsets, config.verification(),
        progress=(lambda done, total: progress("verify", done, total)) if progress else None, threads=workers.jobs,
    )  # fmt: skip
    candidates = int(len(pairs))
    del pairs, sizes  # held to the end, the candidate pairs cost gigabytes on a large corpus
    give_back_memory()
    if progress:
        progress("verify", max(candidates, 1), max(candidates, 1))
    if config.candidates.containment and keys_made:
        matches = with_local_matches(
            matches, table.hashes, table.offsets, table.passages.rows, docs, config, _stage(progress, "containment")
        )
    if progress:
        progress("cluster", 0, 1)
    if full:
        workers.warm()
        if keyword_workers is not None and keyword_workers.parallel and workers.parallel:
            keyword_workers.warm(load_keyword_tables)
    matched = MatchArray(matches).pairs()  # once, for every stage below
    clusters = cluster_matches(
        table.passages,
        matched,
        [d.id for d in docs],
        [d.text for d in docs],
        table.union,
        config.cluster,
        threshold=config.verify.threshold,
    )
    if progress:
        progress("cluster", 1, 1)
    passages = table.passages
    del table  # the shingle hashes (8 bytes a character) are not needed past clustering
    gc.freeze()
    give_back_memory()
    alignments: tuple[Alignment, ...] = ()
    templates: tuple[Template, ...] = ()
    boilerplate = BoilerplateArray(boilerplate_records, docs)
    families: tuple[Family, ...] = ()
    links: Sequence[DocLink] = ()
    template_families: tuple[TemplateFamily, ...] = ()
    if full:
        doc_of = passages.rows["doc"]
        within = unique(doc_of[matched[doc_of[matched[:, 0]] == doc_of[matched[:, 1]], 0]]).tolist()
        analysis = analyse(
            docs, clusters, within, boiler_runs.runs, boiler_runs.shared, boiler_runs.pieces, boilerplate, config, workers, progress,
            keyword_workers=keyword_workers,
        )  # fmt: skip
        alignments, templates, clusters = analysis.alignments, analysis.templates, list(analysis.clusters)
        links, families, template_families = analysis.groups.links, analysis.groups.families, analysis.groups.template_families
    stats = ScanStats(
        documents=len(docs),
        passages=len(passages),
        candidates=candidates,
        matches=len(matches),
        clusters=len(clusters),
        duplicated_chars=covered_chars(clusters),
    )
    return ScanResult(
        documents=tuple(docs),
        passages=passages,
        matches=MatchArray(matches),
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


def _stage(progress: Progress | None, stage: str) -> Callable[[int, int], None] | None:
    """The progress callback of one stage, for functions that know nothing of stages."""
    if progress is None:
        return None
    return lambda done, total: progress(stage, done, total)


def covered_chars(clusters: Sequence[Cluster]) -> int:
    """Original characters inside some cluster member, each counted once."""
    spans: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for c in clusters:
        for m in c.members:
            spans[m.doc_id].append((m.start, m.end))
    return sum(covered(ranges) for ranges in spans.values())
