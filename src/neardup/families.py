"""Documents -> families: by the content they reuse, and by the templates they share.

Two graphs of documents, two kinds of family:

- **Content families** (:func:`find_families`): an edge carries how much content text two
  documents share (their reused spans, boilerplate left out); Louvain communities with
  a fixed seed group them. "What was copied, and among whom?"
- **Template families** (:func:`find_template_families`): an edge carries the
  boilerplate and template text two documents share, each piece weighted by how rare
  it is (``chars * log((N + 1) / df)``: a run on every document weighs almost nothing,
  a run on 3 of 1,000 a lot). "Which pages come from the same site or the same
  template?" Four kinds of shared text count:

  ``corpus``: stock formulas, as the boilerplate windows they are made of;
  ``base``: text of a ``--base`` file, the same way;
  ``page``: a site's chrome, as the lines of each page's head and tail (menus, the
  site's name, bylines with their dates folded, footers), matched across pages;
  ``skeleton``: sentences with their slots folded (places, names, numbers, years,
  blanks: what a template leaves to fill), so drafts written from one template share
  their skeleton even when no paragraph of theirs is a near-copy of another.

A template family must stand out: its documents tied more to each other than to the
rest (Louvain parts any connected graph, and a corpus whose speeches share a few stock
clauses with random others is one). Both graphs are linear in the input. Shared text is found through postings (each
piece of text -> the documents carrying it), never by comparing documents pairwise.
Pieces carried by the same documents are summed into one; a piece carried by at most
:data:`MAX_PAIR_DOCS` documents links them pairwise (at most that many edges per
carrier), a more common one joins its carriers to one virtual node instead, so edges
stay proportional to the postings. jieba cuts each sentence at most once and only
where needed (:class:`DocumentWords`); a family's keywords are TF-IDF over the summed
word counts of its documents.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from neardup.arrays import unique_counts, unique_inverse
from neardup.community import Graph, louvain, stands_out
from neardup.config import FamilyConfig, NormalizeConfig
from neardup.model import Alignment, Boilerplate, DocLink, Document, Family, FamilyLabel, TemplateFamily
from neardup.normalize import Normalized, normalize
from neardup.shingle import mix64
from neardup.boilerplate import KINDS, BoilerRun, RunTable, record_spans
from neardup.links import PairWeights, merged_links
from neardup.passages import RangeUnion
from neardup.pieces import DocumentPieces, corpus_texts, find_pieces, norm_range
from neardup.templates import DocumentWords, tfidf

__all__ = [
    "DocumentGroups",
    "DocumentWords",
    "KeywordRequest",
    "KeywordRunner",
    "MAX_PAIR_DOCS",
    "content_groups",
    "content_links",
    "families_of",
    "find_families",
    "find_template_families",
    "group_documents",
    "keyword_requests",
    "request_keywords",
]

#: A piece of shared text carried by at most this many documents links them pairwise;
#: a more common one (a site-wide footer on 10,000 pages) joins them through one
#: virtual node, so it costs one edge per carrier, not 50 million.
MAX_PAIR_DOCS = 16
#: Pairs that share only corpus boilerplate are listed as links (for the picture) when
#: the run is carried by at most this many documents.
MAX_BOILERPLATE_LINK_DOCS = 20
#: A family's keywords come from its first documents (by id), at most this many, and
#: from at most ``KEYWORD_CHARS`` of their (shared) text: enough for its topic, and jieba
#: (about a megabyte a second) cuts a bounded amount of text per family.
KEYWORD_DOCS = 12
KEYWORD_CHARS = 1_200
#: Labels kept per template family (the JSON lists them in order, most carried first).
MAX_LABELS = 5
#: Louvain communities that do not stand out are parted again at most this many times.
MAX_SPLITS = 1
#: A community smaller than this that does not stand out is dropped, not parted again:
#: every Louvain run costs a pass over its subgraph.
MIN_SPLIT = 8
#: Label text is cut to this many characters (``chars`` gives the full length).
MAX_LABEL_CHARS = 200

#: Weighted document pairs ``(x, y, weight)``: document numbers, ``x < y``, sorted.
_NO_PAIRS: PairWeights = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))
#: A family's keyword sources: (document id, its reused ranges in original offsets or
#: ``None`` for the whole document, characters of them to count) for each of its first
#: documents.
KeywordRequest = list[tuple[str, list[tuple[int, int]] | None, int]]
#: Starts counting the keywords of these requests elsewhere; what it returns gives them
#: (:func:`request_keywords` of each, in order) when called.
KeywordRunner = Callable[[Sequence[KeywordRequest]], Callable[[], Sequence[tuple[str, ...]]]]


@dataclass(frozen=True)
class DocumentGroups:
    """Both kinds of family, and the document graph's edges (for the picture)."""

    links: Sequence[DocLink]  # rows, a DocLink when looked at (LinkArray)
    families: tuple[Family, ...]
    template_families: tuple[TemplateFamily, ...]


def group_documents(
    docs: Sequence[Document],
    norms: Sequence[Normalized],
    runs: Sequence[Sequence[BoilerRun]],
    alignments: Sequence[Alignment],
    boilerplate: Sequence[Boilerplate],
    config: FamilyConfig | None = None,
    *,
    window: int = 12,
    shared: Sequence[npt.NDArray[np.int64]] | None = None,
    scanned: DocumentPieces | None = None,
    keywords: KeywordRunner | None = None,
) -> DocumentGroups:
    """Content families, template families and the links of the document graph.

    ``docs`` in id order with their normalised texts and boilerplate runs (normalised
    offsets, as :func:`neardup.templates.find_boilerplate` gives them); ``window``: the
    boilerplate window length (``BoilerplateConfig.min_chars``); ``shared``: each
    document's normalised ranges that other documents carry too (the scan knows them from
    its window counts): only sentences mostly inside them can share a skeleton, so only
    those are cut into words. Keywords come from at most :data:`KEYWORD_DOCS` documents
    of a family. Both keep the stage linear and its memory bounded. ``scanned``: the
    pass over the documents (:func:`~neardup.pieces.find_pieces`), when the caller ran
    it already (the scan runs it in its worker processes). ``keywords``: counts the
    content families' keywords elsewhere (the scan's workers cut the words with jieba
    while this process makes the template families); by default, here.
    """
    config = config or FamilyConfig()
    cut = DocumentWords(docs, norms)
    index = {d.id: i for i, d in enumerate(docs)}
    scanned = scanned or find_pieces(docs, norms, runs, cut, window, shared)
    links, reused, carried = content_links(docs, norms, runs, alignments, boilerplate, carried=scanned.carried)
    groups = content_groups(links, config)
    requests = keyword_requests(groups, reused, config)
    if keywords is not None:
        collect = keywords(requests)
    else:

        def shared_terms(doc_id: str, budget: int | None = None) -> Counter[str]:
            i = index[doc_id]
            return cut.counts(i, [norm_range(norms[i], s, e) for s, e in reused.get(doc_id, ())], budget)

        found = _keywords_here(requests, shared_terms, config.keywords)
        collect = lambda: found  # noqa: E731
    template_families, template_edges = find_template_families(
        docs, norms, runs, config, words=cut, window=window, scanned=scanned, keywords=keywords
    )
    families = families_of(groups, collect(), carried)
    return DocumentGroups(merged_links([d.id for d in docs], index, links, template_edges), tuple(families), tuple(template_families))


# --------------------------------------------------------------------------- content families


def content_links(
    docs: Sequence[Document],
    norms: Sequence[Normalized],
    runs: Sequence[Sequence[BoilerRun]],
    alignments: Sequence[Alignment],
    boilerplate: Sequence[Boilerplate],
    *,
    carried: dict[str, list[str]] | None = None,
) -> tuple[list[DocLink], dict[str, list[tuple[int, int]]], dict[str, list[str]]]:
    """Content edges of the document graph, each document's reused spans, its corpus boilerplate.

    Linear in the alignments and boilerplate: each document's boilerplate mask is built
    once from its own runs. ``carried`` (each document's corpus boilerplate texts, as
    :func:`find_pieces` finds them) saves a pass over the normalised texts.
    """
    index = {d.id: i for i, d in enumerate(docs)}
    by_doc: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for doc_id, start, end in record_spans(boilerplate):
        by_doc[doc_id].append((start, end))
    unions: dict[int, RangeUnion] = {}

    def in_boilerplate(doc: int, start: int, end: int) -> int:
        """Characters of ``[start, end)`` inside the document's boilerplate (its runs'
        union, made once per document: a book carries thousands of runs, and every span
        of every pair it is in asks)."""
        if doc not in unions:
            unions[doc] = RangeUnion(by_doc.get(docs[doc].id, []))
        return unions[doc].covered(start, end)

    content: dict[tuple[str, str], int] = {}
    reused: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for al in alignments:
        if al.a == al.b:
            continue
        ia, ib = index[al.a], index[al.b]
        total = 0
        for s in al.spans:
            ca = (s.a_end - s.a_start) - in_boilerplate(ia, s.a_start, s.a_end)
            cb = (s.b_end - s.b_start) - in_boilerplate(ib, s.b_start, s.b_end)
            total += (ca + cb) // 2
            reused[al.a].append((s.a_start, s.a_end))
            reused[al.b].append((s.b_start, s.b_end))
        content[(al.a, al.b)] = total
    if carried is None:
        carried = {}
        for doc, norm, doc_runs in zip(docs, norms, runs):
            texts = corpus_texts(norm, doc_runs)
            if texts:
                carried[doc.id] = texts
    carriers: dict[str, list[str]] = defaultdict(list)
    for doc in docs:
        for t in carried.get(doc.id, ()):
            carriers[t].append(doc.id)
    shared_bp: dict[tuple[str, str], int] = defaultdict(int)
    for a, b in content:
        common = set(carried.get(a, ())) & set(carried.get(b, ()))
        shared_bp[(a, b)] = sum(len(t) for t in common)
    for t, ids in carriers.items():
        if len(ids) <= MAX_BOILERPLATE_LINK_DOCS:  # bounded: at most 19 pairs per posting
            ids = sorted(ids)
            for i, x in enumerate(ids):
                for y in ids[i + 1 :]:
                    if (x, y) not in content:
                        shared_bp[(x, y)] += len(t)
    links = [
        DocLink(a, b, content.get((a, b), 0), shared_bp.get((a, b), 0))
        for a, b in sorted(set(content) | set(shared_bp))
    ]
    return links, dict(reused), carried


def find_families(
    links: Sequence[DocLink],
    shared_terms: Callable[[str, int], Mapping[str, int]],
    boilerplate: Mapping[str, Sequence[str]],
    config: FamilyConfig | None = None,
) -> list[Family]:
    """Families of two or more documents linked by shared content, largest first.

    ``shared_terms(doc_id, budget)``: word counts of about ``budget`` characters of the document's reused text (for keywords,
    TF-IDF over the family's summed counts; asked for family documents only);
    ``boilerplate[doc_id]``: the corpus
    boilerplate runs a document carries.

    >>> links = [DocLink("a", "b", 400, 0), DocLink("b", "c", 300, 12), DocLink("x", "y", 200, 0), DocLink("c", "x", 0, 20)]
    >>> terms = {"a": {"文明城市": 2, "创建": 1}, "b": {"文明城市": 1}, "x": {"法治政府": 1}}
    >>> [(f.id, f.doc_ids, f.content, f.keywords) for f in find_families(links, lambda d, budget: terms.get(d, {}), {}, FamilyConfig(keywords=1))]
    [(1, ('a', 'b', 'c'), 700, ('文明城市',)), (2, ('x', 'y'), 200, ('法治政府',))]
    """
    config = config or FamilyConfig()
    groups = content_groups(links, config)
    found = _keywords_here(keyword_requests(groups, {}, config), shared_terms, config.keywords)
    return families_of(groups, found, boilerplate)


def content_groups(links: Sequence[DocLink], config: FamilyConfig | None = None) -> list[tuple[tuple[str, ...], int]]:
    """The content families' documents (ids sorted) and shared content, largest first:
    Louvain communities of the graph of content links."""
    config = config or FamilyConfig()
    content = sorted((link.a, link.b, link.content) for link in links if link.content > 0)
    if not content:
        return []
    names = sorted({x for a, b, _ in content for x in (a, b)})
    number = {name: i for i, name in enumerate(names)}
    a = np.array([number[x] for x, _, _ in content], dtype=np.int64)
    b = np.array([number[y] for _, y, _ in content], dtype=np.int64)
    w = np.array([c for _, _, c in content], dtype=np.float64)
    found = louvain(Graph.from_edges(len(names), a, b, w), config.resolution, config.seed)
    inner = found[a] == found[b]
    weight_of = np.bincount(found[a[inner]], weights=w[inner], minlength=int(found.max()) + 1)
    order = np.argsort(found, kind="stable")
    parts = np.split(order, np.flatnonzero(np.diff(found[order])) + 1)
    groups = []
    for c, part in enumerate(parts):
        docs = tuple(names[i] for i in part)  # names are sorted, parts ascending
        if len(docs) >= 2:
            groups.append((docs, int(weight_of[c])))
    groups.sort(key=lambda g: (-g[1], g[0]))
    return groups


def keyword_requests(
    groups: Sequence[tuple[Sequence[str], int]], reused: Mapping[str, list[tuple[int, int]]] | None, config: FamilyConfig
) -> list[KeywordRequest]:
    """What each family's keywords are counted from: its first :data:`KEYWORD_DOCS`
    documents (ids in order), each with its reused ranges (``reused`` ``None``: the
    whole document) and a share of :data:`KEYWORD_CHARS`."""
    if config.keywords <= 0:
        return [[] for _ in groups]
    return [
        [(d, None if reused is None else reused.get(d, []), KEYWORD_CHARS // min(len(docs), KEYWORD_DOCS)) for d in docs[:KEYWORD_DOCS]]
        for docs, _ in groups
    ]


def _keywords_here(requests: Sequence[KeywordRequest], terms: Callable[[str, int], Mapping[str, int]], top: int) -> list[tuple[str, ...]]:
    """Each request's keywords, counted in this process by ``terms(doc_id, budget)``."""
    return [tfidf(_summed(terms(d, budget) for d, _, budget in r), top) for r in requests]


def request_keywords(
    texts: Sequence[str], request: KeywordRequest, normalize_config: NormalizeConfig, top: int
) -> tuple[str, ...]:
    """A family's keywords from its documents' texts (``texts[i]``: request ``i``'s
    document): what :func:`group_documents` counts, for a process that holds only those."""
    terms: Counter[str] = Counter()
    for text, (_, ranges, budget) in zip(texts, request):
        norm = normalize(text, normalize_config)
        cut = DocumentWords([Document("", text)], [norm])
        terms.update(cut.counts(0, None if ranges is None else [norm_range(norm, s, e) for s, e in ranges], budget))
    return tfidf(terms, top)


def families_of(
    groups: Sequence[tuple[tuple[str, ...], int]],
    keywords: Sequence[tuple[str, ...]],
    boilerplate: Mapping[str, Sequence[str]],
) -> list[Family]:
    """:class:`Family` records of :func:`content_groups`, with their keywords and the
    corpus boilerplate two or more of their documents carry."""
    families = []
    for n, ((docs, content), words) in enumerate(zip(groups, keywords)):
        carried: dict[str, int] = defaultdict(int)
        for d in docs:
            for run in dict.fromkeys(boilerplate.get(d, ())):
                carried[run] += 1
        shared_bp = sorted((r for r, c in carried.items() if c >= 2), key=lambda r: (-len(r), r))[:5]
        families.append(Family(n + 1, docs, content, words, tuple(shared_bp)))
    return families


def _summed(counts: Iterable[Mapping[str, int]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return total


# --------------------------------------------------------------------------- template families


def find_template_families(
    docs: Sequence[Document],
    norms: Sequence[Normalized],
    runs: Sequence[Sequence[BoilerRun]],
    config: FamilyConfig | None = None,
    *,
    words: DocumentWords | None = None,
    window: int = 12,
    shared: Sequence[npt.NDArray[np.int64]] | None = None,
    scanned: DocumentPieces | None = None,
    keywords: KeywordRunner | None = None,
) -> tuple[list[TemplateFamily], PairWeights]:
    """Template families (largest first) and the weighted edges between document pairs.

    ``words``: the documents' jieba words (:class:`DocumentWords`, shared with the
    content families so that no sentence is cut twice); ``keywords``: counts the families'
    keywords elsewhere, as for :func:`group_documents`. Returns the
    families and, for the picture, the pairwise edge weights as arrays ``(x, y, weight)``
    of document numbers, ``x < y``, sorted (pieces carried by more than
    :data:`MAX_PAIR_DOCS` documents make no pairwise edge; millions of pairs on a large
    corpus: no dictionary of them).

    >>> from neardup.normalize import normalize
    >>> from neardup.boilerplate import find_boilerplate
    >>> stock = "党政主要负责人履行推进法治建设第一责任人职责"
    >>> texts = ["县政府严格落实" + stock + "。今年全县法治建设取得新进展。", "胶州市全面落实" + stock + "情况。",
    ...          "全面" + stock + "。", "毫不相干的一段文字，讲的是别的事情。"]
    >>> docs = [Document(f"d{i}", t) for i, t in enumerate(texts)]
    >>> norms = [normalize(t) for t in texts]
    >>> fams, _ = find_template_families(docs, norms, find_boilerplate(texts, norms), FamilyConfig(keywords=0))
    >>> [(f.doc_ids, [(l.kind, l.text, l.documents) for l in f.boilerplate]) for f in fams]
    [(('d0', 'd1', 'd2'), [('corpus', '党政主要负责人履行推进法治建设第一责任人职责', 3)])]
    """
    config = config or FamilyConfig()
    n_docs = len(docs)
    if n_docs < 2:
        return [], _NO_PAIRS
    cut = words or DocumentWords(docs, norms)
    # Pieces: boilerplate windows (numpy) and string pieces (chrome lines, skeletons).
    scanned = scanned or find_pieces(docs, norms, runs, cut, window, shared)
    table = runs if isinstance(runs, RunTable) else RunTable.of(runs)  # the scan's are records already
    pieces = scanned.pieces
    # One posting table: window pieces first, then string pieces (a window a document
    # carries twice is one posting: the sort below drops repeats).
    uniq, win_piece = unique_inverse(scanned.windows)
    win_doc = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(scanned.win_first[scanned.run_first]))
    n_win = len(uniq)
    str_piece = np.fromiter((n_win + i for i, w in enumerate(pieces.where) for _ in w), dtype=np.int64)
    str_doc = np.fromiter((d for w in pieces.where for d in w), dtype=np.int64)
    # (piece, document) as one integer: one in-place sort orders them by piece, then
    # document, and finds the repeats (a lexsort and two gathers cost twice the memory).
    code = np.concatenate((win_piece.astype(np.int64).ravel() * n_docs + win_doc, str_piece * n_docs + str_doc))
    del str_piece, str_doc  # win_piece stays: the labels read their windows' pieces from it
    chars = np.concatenate((np.ones(n_win, dtype=np.float64), np.asarray(pieces.chars, dtype=np.float64)))
    if len(code) == 0:  # nothing shared at all: no windows, no chrome, no skeleton
        return [], _NO_PAIRS
    code.sort()
    code = code[np.concatenate(([True], code[1:] != code[:-1]))]
    piece, doc_of = code // n_docs, code % n_docs
    del code
    df = np.bincount(piece, minlength=len(chars))
    weight = chars * np.log((n_docs + 1) / np.maximum(df, 1))
    shared = df[piece] >= 2
    piece, doc_of = piece[shared], doc_of[shared]
    if len(piece) == 0:
        return [], _NO_PAIRS
    # Pieces carried by the same documents add up: one group per distinct carrier set.
    bounds = np.flatnonzero(np.concatenate(([True], piece[1:] != piece[:-1])))
    pieces_here = piece[bounds]
    salt = mix64(doc_of.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15))
    with np.errstate(over="ignore"):
        signature = np.add.reduceat(salt, bounds) ^ (df[pieces_here].astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9))
    del salt
    groups, first, group_of = np.unique(signature, return_index=True, return_inverse=True)
    group_weight = np.bincount(group_of.ravel(), weights=weight[pieces_here], minlength=len(groups))
    del signature, group_of
    ends = np.concatenate((bounds[1:], [len(piece)]))
    graph, pair_weight = _piece_graph(n_docs, doc_of, bounds[first], ends[first], group_weight)
    communities = _communities(graph, np.arange(graph.nodes, dtype=np.int64), config, MAX_SPLITS)
    members = sorted(tuple(int(d) for d in c[c < n_docs]) for c in communities)
    members = [m for m in members if len(m) >= 2]
    family_of = np.full(n_docs, -1, dtype=np.int64)
    for f, m in enumerate(members):
        family_of[list(m)] = f
    # Per piece and family: how many of the family's documents carry it.
    fam = family_of[doc_of]
    in_fam = fam >= 0
    code = piece[in_fam] * (len(members) + 1) + fam[in_fam]
    codes, cif = unique_counts(code)
    by_family = np.argsort(codes % (len(members) + 1), kind="stable")
    family_bounds = np.searchsorted(codes[by_family] % (len(members) + 1), np.arange(len(members) + 1))
    # Keywords from the first documents of each family, whole. Counted elsewhere, they
    # are asked for now, every family's, while this process makes the labels (the few a
    # label leaves without weight are dropped below, their keywords unused).
    asked = keywords(keyword_requests([([docs[d].id for d in sorted(m)], 0) for m in members], None, config)) if keywords else None
    families = []
    kept = []
    for f, m in enumerate(members):
        mine = by_family[family_bounds[f] : family_bounds[f + 1]]
        labels, total_chars, total_weight = _labels(f, len(members), m, docs, norms, table, scanned, win_piece, codes, cif, weight, n_win, mine)
        if total_weight <= 0:
            continue
        families.append((m, total_weight, total_chars, labels))
        kept.append(f)
    if asked is not None:
        every = asked()
        found = [every[f] for f in kept]
    else:
        requests = keyword_requests([([docs[d].id for d in sorted(m)], 0) for m, _, _, _ in families], None, config)
        number = {d.id: i for i, d in enumerate(docs)}
        found = _keywords_here(requests, lambda d, budget: cut.counts(number[d], budget=budget), config.keywords)
    ranked = sorted(zip(families, found), key=lambda x: (-len(x[0][0]), -x[0][1], x[0][0]))
    out = [
        TemplateFamily(i + 1, tuple(docs[d].id for d in m), round(w, 2), c, tuple(labels), kw)
        for i, ((m, w, c, labels), kw) in enumerate(ranked)
    ]
    return out, pair_weight


def _labels(
    f: int,
    n_families: int,
    members: Sequence[int],
    docs: Sequence[Document],
    norms: Sequence[Normalized],
    runs: RunTable,
    scanned: DocumentPieces,
    win_piece: npt.NDArray[np.int64],
    codes: npt.NDArray[np.int64],
    cif: npt.NDArray[np.int64],
    weight: npt.NDArray[np.float64],
    n_win: int,
    mine: npt.NDArray[np.int64],
) -> tuple[list[FamilyLabel], int, float]:
    """What the family's documents share: labels (most carried first), shared chars, weight.

    ``mine``: the positions in ``codes`` of the family's pieces. The family's boilerplate
    windows are looked up in one batch, whatever its number of runs; ``win_piece``: the
    piece each of ``scanned.windows`` is (no search per family in the distinct windows).
    """
    pieces = scanned.pieces
    fam_pieces, fam_cif = codes[mine] // (n_families + 1), cif[mine]
    shared = fam_cif >= 2
    total_weight = float(np.sum(weight[fam_pieces[shared]] * (fam_cif[shared] - 1)))
    strings = fam_pieces[shared & (fam_pieces >= n_win)]
    in_family = set(members)
    # Characters of each document inside some piece that another family document carries
    # too: intervals (document, start, end), their union measured at the end.
    spans: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]] = []
    # (documents, score, kind, document, normalised start, end, chars) by the piece's identity:
    # a run by its windows, a string piece by its normalised text.
    candidates: dict[bytes, tuple[int, float, str, int, int, int, int]] = {}
    # Boilerplate runs: a run is carried by as many family documents as its least carried window.
    keys = np.concatenate([np.arange(scanned.run_first[d], scanned.run_first[d + 1]) for d in members] + [np.empty(0, np.int64)])
    keys = keys[scanned.win_first[keys + 1] > scanned.win_first[keys]].astype(np.int64)
    if len(keys):
        lengths = scanned.win_first[keys + 1] - scanned.win_first[keys]
        first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        at_win = np.repeat(scanned.win_first[keys] - first, lengths) + np.arange(int(lengths.sum()))
        ids = win_piece[at_win]
        want = ids * (n_families + 1) + f
        pos = np.minimum(np.searchsorted(codes, want), len(codes) - 1)
        carried = np.where(codes[pos] == want, cif[pos], 0)
        least = np.minimum.reduceat(carried, first)
        score = np.add.reduceat(weight[ids], first)
        owner = np.searchsorted(scanned.run_first, keys, side="right") - 1
        rows = runs.rows[runs.bounds[owner] + scanned.run_index[keys]]  # no run object made for each of thousands
        run_start, run_end = rows["start"], rows["end"]
        at = np.repeat(run_start - first, lengths) + np.arange(len(ids))
        ok = carried >= 2
        k = np.repeat(run_end - run_start - lengths + 1, lengths)  # the window length
        spans.append((np.repeat(owner, lengths)[ok], at[ok], at[ok] + k[ok]))
        pages: dict[int, list[tuple[int, int]]] = {}  # each document's head and tail, read once
        for n in np.flatnonzero(least >= 2).tolist():
            d, r_start, r_end = int(owner[n]), int(run_start[n]), int(run_end[n])
            key = scanned.windows[scanned.win_first[keys[n]] : scanned.win_first[keys[n] + 1]].tobytes()
            if key in candidates:
                continue
            if d not in pages:
                pages[d] = [(x.start, x.end) for x in runs[d] if x.kind == "page"]
            kind = "page" if _in_page_edges(r_start, r_end, pages[d]) else KINDS[int(rows["kind"][n])]
            candidates[key] = (int(least[n]), float(score[n]), kind, d, r_start, r_end, r_end - r_start)
    string_docs: list[int] = []
    string_lo: list[int] = []
    string_hi: list[int] = []
    for p, c in zip(strings.tolist(), fam_cif[shared & (fam_pieces >= n_win)].tolist()):
        i = p - n_win
        for x, (_, _, lo, hi) in pieces.where[i].items():
            if x in in_family:
                string_docs.append(x)
                string_lo.append(lo)
                string_hi.append(hi)
        d = min(x for x in pieces.where[i] if x in in_family)
        s, e, lo, hi = pieces.where[i][d]
        key = norms[d].text[lo:hi].encode()
        if key not in candidates or candidates[key][0] < c:
            candidates[key] = (c, float(weight[p]), pieces.kinds[i], d, lo, hi, pieces.chars[i])
    spans.append((np.array(string_docs, dtype=np.int64), np.array(string_lo, dtype=np.int64), np.array(string_hi, dtype=np.int64)))
    ranked = sorted(candidates.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    labels: list[FamilyLabel] = []
    chosen: list[str] = []
    for _, (documents, _, kind, d, lo, hi, n_chars) in ranked:
        norm = norms[d]  # only for the few labels looked at: no text is kept per run
        key = norm.text[lo:hi]
        if any(_overlaps(key, c) for c in chosen):
            continue
        chosen.append(key)
        s, e = norm.original_span(lo, hi)
        flat = " ".join(docs[d].text[s:e].split())
        if len(flat) > MAX_LABEL_CHARS:
            flat = flat[:MAX_LABEL_CHARS] + "…"
        labels.append(FamilyLabel(kind, flat, documents, n_chars))  # type: ignore[arg-type]
        if len(labels) == MAX_LABELS:
            break
    covered = _union_length(*(np.concatenate(parts) for parts in zip(*spans)))
    return labels, round(covered / len(members)), total_weight


def _union_length(doc: npt.NDArray[np.int64], start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]) -> int:
    """Total length of the union of intervals ``[start, end)``, each within its document.

    >>> _union_length(np.array([0, 0, 1]), np.array([0, 5, 0]), np.array([10, 12, 3]))
    15
    """
    keep = end > start
    if not keep.any():
        return 0
    shift = (int(end[keep].max()) + 1) * doc[keep]  # documents side by side, never touching
    lo, hi = start[keep] + shift, end[keep] + shift
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], hi[order]
    reach = np.maximum.accumulate(hi)
    new = np.concatenate(([True], lo[1:] > reach[:-1]))
    firsts = np.flatnonzero(new)
    return int(np.sum(np.maximum.reduceat(hi, firsts) - lo[firsts]))


def _in_page_edges(run_start: int, run_end: int, pages: Sequence[tuple[int, int]]) -> bool:
    """Whether most of a run lies in its page's head or tail (``pages``: their ranges):
    it is the site's chrome."""
    inside = sum(max(0, min(run_end, end) - max(run_start, start)) for start, end in pages)
    return inside * 2 >= run_end - run_start


def _overlaps(a: str, b: str, k: int = 12) -> bool:
    """Whether two label texts overlap: one holds the other, or an end of one (``k`` chars)."""
    if a in b or b in a:
        return True
    return min(len(a), len(b)) >= k and (a[:k] in b or a[-k:] in b or b[:k] in a or b[-k:] in a)


def _piece_graph(
    n_docs: int,
    doc_of: npt.NDArray[np.int64],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    weight: npt.NDArray[np.float64],
) -> tuple[Graph, tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
    """The document graph of shared pieces, and its document pairs (``x < y``, weight).

    Group ``g`` is carried by ``doc_of[starts[g]:ends[g]]`` (ascending) and weighs
    ``weight[g]``. A group of at most :data:`MAX_PAIR_DOCS` carriers links them
    pairwise; a larger one joins them to a virtual node ``n_docs + g`` with the total
    weight of the clique it stands for. Built per carrier count with numpy, so the
    cost is the number of pairs, whatever the corpus.
    """
    size = ends - starts
    use = weight > 0
    code, pair_w = np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    for k in range(2, MAX_PAIR_DOCS + 1):  # summed per carrier count: never every raw pair at once
        groups = np.flatnonzero(use & (size == k))
        if not len(groups):
            continue
        carriers = doc_of[starts[groups][:, None] + np.arange(k)]
        left, right = np.triu_indices(k, 1)
        more = (carriers[:, left] * n_docs + carriers[:, right]).ravel()
        del carriers
        code, inverse = unique_inverse(np.concatenate((code, more)))
        pair_w = np.bincount(
            inverse.ravel(), weights=np.concatenate((pair_w, np.repeat(weight[groups], len(left)))), minlength=len(code)
        )
        del more, inverse
    pairs = (code // n_docs, code % n_docs, pair_w)
    hubs = np.flatnonzero(use & (size > MAX_PAIR_DOCS))
    carrier_count = size[hubs]
    spoke = weight[hubs] * (carrier_count - 1) / 2
    at = np.repeat(starts[hubs] - np.concatenate(([0], np.cumsum(carrier_count)[:-1])), carrier_count) + np.arange(int(carrier_count.sum()))
    hub_a = doc_of[at]
    hub_b = np.repeat(n_docs + hubs, carrier_count)
    graph = Graph.from_edges(
        n_docs + len(weight),
        np.concatenate((pairs[0], hub_a)),
        np.concatenate((pairs[1], hub_b)),
        np.concatenate((pair_w, np.repeat(spoke, carrier_count))),
    )
    return graph, pairs


def _communities(graph: Graph, nodes: npt.NDArray[np.int64], config: FamilyConfig, depth: int) -> list[npt.NDArray[np.int64]]:
    """Louvain communities of ``nodes`` (sorted) that stand out in the whole graph; the
    others are parted again (at most ``depth`` times), since modularity lumps small
    tight groups (a page and its copy) into large loose ones."""
    sub = graph if len(nodes) == graph.nodes else graph.subgraph(nodes)
    found = louvain(sub, config.resolution, config.seed)
    count = int(found.max()) + 1 if len(found) else 0
    labels = np.full(graph.nodes, -1, dtype=np.int64)
    labels[nodes] = found
    standing = stands_out(graph, labels, count, nodes)  # the part's edges only: each split costs its own part
    order = np.argsort(found, kind="stable")
    parts = np.split(nodes[order], np.flatnonzero(np.diff(found[order])) + 1) if len(found) else []
    out: list[npt.NDArray[np.int64]] = []
    for c, part in enumerate(parts):  # by smallest node, as louvain numbers them
        if standing[c]:
            out.append(part)
        elif depth > 0 and count > 1 and len(part) >= MIN_SPLIT:
            out.extend(_communities(graph, part, config, depth - 1))
    return out
