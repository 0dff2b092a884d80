"""The full analysis after clustering: reused spans, templates, families, on the workers.

Each cluster's members are aligned with its representative and its template made in one
task (the members normalised once for both); a cluster whose members copy different parts
of its representative becomes one cluster per part (:func:`~neardup.alignments.parts`).
The families' pass over the documents (:func:`~neardup.pieces.find_pieces`) ran in the
scan's second pass, chunk by chunk, while each document's normalised text was at hand.
Cluster batches go to the scan's :class:`~neardup.workers.Workers` and come back in
order, so the result does not depend on the number of workers. Grouping the documents
runs here, while one other process (fresh, or the helper a small scan started with it)
cuts the families' keywords with jieba.
"""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from neardup.alignments import PairSpan, alignments_of, member_alignments, member_spans, parts, trimmed, within_spans
from neardup.boilerplate import BoilerRun
from neardup.config import AlignConfig, NormalizeConfig, ScanConfig
from neardup.families import DocumentGroups, KeywordRequest, KeywordRunner, group_documents, request_keywords
from neardup.model import Alignment, Boilerplate, Cluster, Document, Template
from neardup.normalize import Normalized, normalize
from neardup.shingle import compiled_kernels
from neardup.pieces import DocumentPieces
from neardup.templates import load_keyword_tables, template_of
from neardup.workers import Call, Progress, Texts, Workers, advancer, document_chunks, give_back_memory

__all__ = ["Analysis", "CLUSTER_BATCH_CHARS", "KEYWORD_HELPER_MIN_CHARS", "analyse", "keyword_helper"]

#: Clusters go to the workers in batches of about this many characters of member text.
CLUSTER_BATCH_CHARS = 100_000


@dataclass(frozen=True)
class Analysis:
    alignments: tuple[Alignment, ...]
    templates: tuple[Template, ...]
    groups: DocumentGroups
    clusters: tuple[Cluster, ...]  # members cut to the text they share (:func:`~neardup.alignments.trimmed`)


def analyse(
    docs: Sequence[Document],
    clusters: Sequence[Cluster],
    within: Sequence[int],
    runs: Sequence[Sequence[BoilerRun]],
    shared: Sequence[npt.NDArray[np.int64]],
    scanned: DocumentPieces | None,
    boilerplate: Sequence[Boilerplate],
    config: ScanConfig,
    workers: Workers,
    progress: Progress | None = None,
    keyword_workers: Workers | None = None,
) -> Analysis:
    """Spans, templates and families of a clustered corpus.

    ``docs`` in id order; ``within``: documents with text repeated inside them; ``runs``
    and ``shared``: each document's boilerplate runs and the ranges other documents carry
    too (normalised offsets, from the scan's second pass); ``scanned``: the families'
    pass over the documents, which the scan's second pass makes while each document's
    normalised text is at hand (``None``: made here); ``boilerplate``: its records;
    ``keyword_workers``: where the content families' keywords are counted, when not on
    ``workers`` (a helper the scan started early, with jieba loaded).
    """
    alignments, templates, clusters = _align_and_template(docs, clusters, within, config.align, workers, progress)
    # The workers' memory (their share of the window counts, their heaps) goes back now;
    # the keyword helper (started while the scan clustered) holds little while this
    # process groups.
    workers.close()
    give_back_memory()
    gc.freeze()  # the spans live to the end: no full collection walks them again (scan._collector_spared)
    if progress:
        progress("families", 0, 1)
    if keyword_workers is not None and keyword_workers.parallel:
        counting = keyword_workers
    else:  # one process cuts the words while this one groups: two cores, two processes (none for no keywords)
        counting = Workers(1, apart=workers.parallel and config.families.keywords > 0)
    groups = group_documents(
        docs, _LazyNorms(docs, config), runs, alignments, boilerplate, config.families,
        window=config.boilerplate.min_chars, shared=shared, scanned=scanned,
        keywords=_keywords_on(counting, docs, config) if counting.parallel else None,
    )  # fmt: skip
    counting.close()
    give_back_memory()
    if progress:
        progress("families", 1, 1)
    return Analysis(alignments, templates, groups, clusters)


def _align_and_template(
    docs: Sequence[Document],
    clusters: Sequence[Cluster],
    within: Sequence[int],
    config: AlignConfig,
    workers: Workers,
    progress: Progress | None,
) -> tuple[tuple[Alignment, ...], tuple[Template, ...], tuple[Cluster, ...]]:
    """Every member aligned with its representative, the clusters cut to their spans and
    their templates, batch by batch; the repeats inside the documents numbered ``within``
    first."""

    def batches() -> Iterator[tuple[list[Document], list[Cluster]]]:
        # By characters too: a dozen books that each repeat phrases inside themselves are
        # a dozen batches for the workers to share, not one.
        repeating = [docs[d] for d in within]
        for first, texts, _ in document_chunks(repeating):
            yield repeating[first : first + len(texts)], []
        batch: list[Cluster] = []
        size = 0
        for c in clusters:
            batch.append(c)
            size += sum(m.end - m.start for m in c.members)
            if size >= CLUSTER_BATCH_CHARS:
                yield [], batch
                batch, size = [], 0
        if batch:
            yield [], batch

    advance = advancer(progress, "align", max(len(within) + len(clusters), 1))
    # A worker loads the compiled kernels for aligning (no member is long enough to load
    # them itself); this process has them already if the scan was large enough.
    compiled = workers.parallel
    calls = ((len(d) + len(c), _analyse_chunk, ([x.id for x in d], Texts(x.text for x in d), c, config, compiled)) for d, c in batches())
    spans: list[PairSpan] = []
    templates: list[Template] = []
    cut: list[Cluster] = []
    for found, made, trimmed_clusters in workers.map(calls, advance):
        spans.extend(found)
        templates.extend(made)
        cut.extend(trimmed_clusters)
    if advance and not within and not clusters:
        advance(1)
    if len(cut) != len(clusters):  # some were split (:func:`parts`): number them all 1, 2, ... in order
        cut = [replace(c, id=n + 1) for n, c in enumerate(cut)]
        templates = [replace(t, cluster=n + 1) for n, t in enumerate(templates)]
    return alignments_of(spans, {d.id: d.text for d in docs}), tuple(templates), tuple(cut)


#: A scan of at least this many characters, allowed more than one process, counts its
#: families' keywords in one helper process: jieba's dictionary and IDF table (about a
#: second) load there while this process scans or clusters, and the words are cut there
#: while this process groups.
KEYWORD_HELPER_MIN_CHARS = 500_000


def keyword_helper(chars: int, jobs: int, config: ScanConfig, parallel: bool) -> Workers:
    """Where a scan of ``chars`` characters counts its families' keywords: a helper
    process (:data:`KEYWORD_HELPER_MIN_CHARS`), warming up now when the scan's stages
    run here (``parallel`` false), or when :meth:`Workers.warm` is called (the scan does
    once its prepare workers are gone); otherwise one that is not parallel (``analyse``
    then counts them in a fresh process, or here)."""
    wanted = (
        jobs > 1 and chars >= KEYWORD_HELPER_MIN_CHARS
        and config.detail == "full" and config.families.keywords > 0
    )  # fmt: skip
    helper = Workers(1, apart=wanted)
    if wanted and not parallel:
        helper.warm(load_keyword_tables)
    return helper


#: Content families' keyword requests go to the workers in batches of about this many
#: characters of document text.
KEYWORD_BATCH_CHARS = 1_000_000


def _keywords_on(workers: Workers, docs: Sequence[Document], config: ScanConfig) -> KeywordRunner:
    """Count the content families' keywords on ``workers`` (jieba is most of the families
    stage): each batch carries its documents' texts, in family order."""
    text_of = {d.id: d.text for d in docs}

    def start(requests: Sequence[KeywordRequest]) -> Callable[[], Sequence[tuple[str, ...]]]:
        def batches() -> Iterator[Call]:
            batch: list[tuple[list[str], KeywordRequest]] = []
            size = 0
            for request in requests:
                texts = Texts(text_of[d] for d, _, _ in request)
                batch.append((texts, request))
                size += sum(map(len, texts))
                if size >= KEYWORD_BATCH_CHARS:
                    yield len(batch), _keyword_chunk, (batch, config.normalize, config.families.keywords)
                    batch, size = [], 0
            if batch:
                yield len(batch), _keyword_chunk, (batch, config.normalize, config.families.keywords)

        wait = workers.start(batches())
        return lambda: [words for found in wait() for words in found]

    return start


def _keyword_chunk(
    batch: list[tuple[list[str], KeywordRequest]], normalize_config: NormalizeConfig, top: int
) -> list[tuple[str, ...]]:
    """Keywords of a batch of content families. Top-level: workers run it."""
    return [request_keywords(texts, request, normalize_config, top) for texts, request in batch]


def _analyse_chunk(
    ids: list[str], texts: list[str], clusters: list[Cluster], config: AlignConfig, compiled: bool = False
) -> tuple[list[PairSpan], list[Template], list[Cluster]]:
    """Repeats inside documents ``ids`` (``texts``); each cluster's spans, its members cut
    to them (:func:`trimmed`) and its template on what is left. Top-level: workers run it.
    ``compiled``: load the numba kernels first, if not loaded (the aligner's seed pairs
    use them once loaded, :func:`~neardup.shingle.loaded_kernels`)."""
    give_back_memory()  # what the last batch left (a worker runs many)
    if compiled:
        compiled_kernels()
    spans = [s for doc_id, text in zip(ids, texts) for s in within_spans(Document(doc_id, text), config)]
    templates, cut = [], []
    for c in clusters:
        norms = [normalize(m.text, config.normalize) for m in c.members]
        found = member_alignments(c, config, norms)
        spans.extend(member_spans(c, found=found))
        for part in parts(c, found):
            sub = c if len(part) == len(c.members) else replace(
                c, members=tuple(c.members[k] for k in part), representative=part.index(c.representative)
            )
            sub_found, sub_norms = [found[k] for k in part], [norms[k] for k in part]
            t = trimmed(sub, sub_found)
            sub_norms = [n if new is old else normalize(new.text, config.normalize) for n, new, old in zip(sub_norms, t.members, sub.members)]
            templates.append(template_of(t, config=config, norms=sub_norms))
            cut.append(t)
    return spans, templates, cut


class _LazyNorms(Sequence[Normalized]):
    """Each document's normalised text, made when asked for and kept for the last few:
    holding every document's offset map (16 bytes a character) would cost gigabytes on a
    large corpus; grouping reads only the few documents it labels."""

    def __init__(self, docs: Sequence[Document], config: ScanConfig, keep: int = 1024) -> None:
        self.docs, self.config, self.keep = docs, config, keep
        self.cache: OrderedDict[int, Normalized] = OrderedDict()

    def __len__(self) -> int:
        return len(self.docs)

    def __getitem__(self, i: int) -> Normalized:  # type: ignore[override]
        norm = self.cache.get(i)
        if norm is None:
            norm = self.cache[i] = normalize(self.docs[i].text, self.config.normalize)
            if len(self.cache) > self.keep:
                self.cache.popitem(last=False)
        else:
            self.cache.move_to_end(i)
        return norm
