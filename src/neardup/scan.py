"""The one place that wires the stages: ``scan(documents) -> ScanResult``.

Passages keep their shingle hashes in one flat array with offsets (CSR), not one array
per passage: a million small numpy arrays would cost more in headers than in data.
"""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from neardup.align import align_normalized, align_within
from neardup.candidates import find_candidates
from neardup.cluster import cluster_matches, find_families
from neardup.config import ScanConfig
from neardup.errors import InputError
from neardup.model import (
    Alignment,
    Boilerplate,
    DocLink,
    Document,
    Match,
    Passage,
    ScanResult,
    ScanStats,
)
from neardup.normalize import Normalized, normalize
from neardup.passages import line_starts, split_passages
from neardup.shingle import shingle_hashes, token_starts
from neardup.signature import signatures
from neardup.templates import BoilerRun, boilerplate_mask, find_boilerplate, template_of
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


def _passage_hashes(
    text_norm: str,
    passages: list[Passage],
    config: ScanConfig,
    exclude: npt.NDArray[np.bool_] | None = None,
) -> list[npt.NDArray[np.uint64]]:
    doc_hashes = shingle_hashes(text_norm, config.shingle)
    starts = token_starts(text_norm, config.shingle)
    k = config.shingle.ngram
    keep = None
    if exclude is not None and exclude.any():
        keep = _kept_shingles(text_norm, starts, len(doc_hashes), k, exclude)
    out = []
    for p in passages:
        if starts is None:
            lo, hi = p.norm_start, p.norm_end
        else:
            lo, hi = (int(x) for x in np.searchsorted(starts, [p.norm_start, p.norm_end]))
        lo = min(lo, max(len(doc_hashes) - 1, 0))
        hi = max(lo + 1, hi - k + 1)
        chunk = doc_hashes[lo:hi]
        out.append(chunk if keep is None else chunk[keep[lo:hi]])
    return out


def prepare(
    documents: Sequence[Document],
    config: ScanConfig,
    progress: Progress | None = None,
    first_doc: int = 0,
    *,
    normalized: Sequence[Normalized] | None = None,
    exclude: Sequence[npt.NDArray[np.bool_] | None] | None = None,
) -> PassageTable:
    """Normalise, split and shingle documents into a :class:`PassageTable`.

    ``normalized``: the documents' normalised texts, when already computed;
    ``exclude``: per document, a mask over normalised characters whose shingles are
    left out (boilerplate), so a passage made only of them has no shingles.
    """
    passages: list[Passage] = []
    chunks: list[npt.NDArray[np.uint64]] = []
    for n, doc in enumerate(documents):
        norm = normalized[n] if normalized is not None else normalize(doc.text, config.normalize)
        doc_passages = split_passages(first_doc + n, doc.text, norm, config.passages)
        chunks.extend(_passage_hashes(norm.text, doc_passages, config, exclude[n] if exclude is not None else None))
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
    base: Sequence[Document] = (),
) -> ScanResult:
    """Find clusters of near-duplicate passages across (and within) documents.

    Documents are processed in id order, so the result does not depend on input order.
    Besides clusters, the result carries the reused spans of every pair of documents that
    share a verified passage, each cluster's template with its slots, the boilerplate of
    every document, and template families. ``base`` documents are known templates or
    boilerplate (``--base``): text shared with them never counts as copied.

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
    docs = sorted(documents, key=lambda d: d.id)
    for prev, cur in zip(docs, docs[1:]):
        if prev.id == cur.id:
            raise InputError(f"document id {cur.id!r} appears twice: ids must be unique")
    norms = [normalize(d.text, config.normalize) for d in docs]
    base_norms = [normalize(d.text, config.normalize) for d in sorted(base, key=lambda d: d.id)]
    runs = find_boilerplate([d.text for d in docs], norms, config.boilerplate, base=base_norms)
    kinds = ("base", "corpus", "page") if config.boilerplate.ignore else ("base",)
    exclude = [boilerplate_mask(len(n.text), r, kinds) if r else None for n, r in zip(norms, runs)]
    table = prepare(docs, config, progress, normalized=norms, exclude=exclude)
    offsets = table.offsets
    sigs = signatures(table.hashes, offsets, config.signature)
    if progress:
        progress("signatures", 1, 1)
    pairs = find_candidates(sigs, config.candidates, config.signature)
    sizes = np.diff(offsets)
    keep = [
        not _overlapping(table.passages[i], table.passages[j]) and sizes[i] > 0 and sizes[j] > 0
        for i, j in pairs.tolist()
    ]
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
    alignments = _alignments(docs, norms, table.passages, matches, config)
    if progress:
        progress("align", 1, 1)
    templates = tuple(template_of(c, config=config.align) for c in clusters)
    boilerplate = _boilerplate(docs, norms, runs)
    links, shared_text, carried = _links(docs, norms, runs, alignments, boilerplate)
    families = find_families(links, shared_text, carried, config.families)
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
        families=tuple(families),
        links=tuple(links),
    )


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


#: Pairs that share only boilerplate are linked (for the picture) when the run is carried
#: by at most this many documents; a site-wide footer on 10,000 pages would otherwise
#: make 50 million links.
MAX_BOILERPLATE_LINK_DOCS = 20


def _links(
    docs: Sequence[Document],
    norms: Sequence[Normalized],
    runs: Sequence[Sequence[BoilerRun]],
    alignments: Sequence[Alignment],
    boilerplate: Sequence[Boilerplate],
) -> tuple[list[DocLink], dict[tuple[str, str], list[str]], dict[str, list[str]]]:
    """Document graph edges (content and boilerplate apart), shared texts, carried boilerplate."""
    index = {d.id: i for i, d in enumerate(docs)}
    masks: dict[int, npt.NDArray[np.int64]] = {}

    def in_boilerplate(doc: int, start: int, end: int) -> int:
        if doc not in masks:
            mask = np.zeros(len(docs[doc].text) + 1, dtype=np.int64)
            for bp in boilerplate:
                if bp.doc_id == docs[doc].id:
                    mask[bp.start : bp.end] = 1
            masks[doc] = np.concatenate(([0], np.cumsum(mask)))
        cum = masks[doc]
        return int(cum[end] - cum[start])

    content: dict[tuple[str, str], int] = {}
    shared_text: dict[tuple[str, str], list[str]] = {}
    for al in alignments:
        if al.a == al.b:
            continue
        ia, ib = index[al.a], index[al.b]
        total = 0
        for s in al.spans:
            ca = (s.a_end - s.a_start) - in_boilerplate(ia, s.a_start, s.a_end)
            cb = (s.b_end - s.b_start) - in_boilerplate(ib, s.b_start, s.b_end)
            total += (ca + cb) // 2
        content[(al.a, al.b)] = total
        shared_text[(al.a, al.b)] = [docs[ia].text[s.a_start : s.a_end] for s in al.spans]
    carried: dict[str, list[str]] = {}
    carriers: dict[str, list[str]] = defaultdict(list)
    for doc, norm, doc_runs in zip(docs, norms, runs):
        texts = sorted({norm.text[r.start : r.end] for r in doc_runs if r.kind == "corpus"})
        if texts:
            carried[doc.id] = texts
            for t in texts:
                carriers[t].append(doc.id)
    shared_bp: dict[tuple[str, str], int] = defaultdict(int)
    for pair in content:
        common = set(carried.get(pair[0], ())) & set(carried.get(pair[1], ()))
        shared_bp[pair] = sum(len(t) for t in common)
    for t, ids in carriers.items():
        if len(ids) <= MAX_BOILERPLATE_LINK_DOCS:
            for x, y in itertools.combinations(sorted(ids), 2):
                if (x, y) not in content:
                    shared_bp[(x, y)] += len(t)
    links = [
        DocLink(a, b, content.get((a, b), 0), shared_bp.get((a, b), 0))
        for a, b in sorted(set(content) | set(shared_bp))
    ]
    return links, shared_text, carried


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
