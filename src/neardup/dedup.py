"""Keep one document of every group of near-copies: the decision, from a scan's matches.

Deduplication is decided from what a scan (``detail="clusters"``) verified, never from a
pairwise alignment of the corpus, so it costs about what the scan does:

1. **Coverage.** For two documents ``D`` and ``K``, the passages of ``D`` verified
   against a passage of ``K`` (and the unmatched ones between two of them at most the
   cluster ``gap`` apart, as a cluster member counts them) cover part of ``D``.
   ``share(D | K)`` is that part over ``D``'s *content*, the union of its passages,
   boilerplate left out of both (boilerplate excluded from shingles makes no match at
   all). ``D`` is a near-copy of ``K`` when the share reaches ``min_share``. The relation
   is not symmetric: a speech pasted into a long compilation covers the speech, not the
   compilation. Coverage counts direct evidence between the two documents only, so two
   documents that a chain of others links into one cluster are not copies of each other.
2. **Survivor order.** Every document gets a key ``(order-by value, keep rule, id)``;
   the keys decide which copy survives, whatever order the input came in.
3. **Greedy in that order.** Documents are visited by key; one is removed only when it is
   a near-copy of a document already *kept*, never of a removed one. So a chain
   A ~ B ~ C never removes C because of B, and no group of copies is lost whole.

With ``passages=True`` repeated passages are cut instead of whole documents: passages
are visited in survivor order (document key, then position) and one is cut when it
matches a kept passage visited before it, so the first occurrence stays.

The same pure functions (:func:`pair_share`, :func:`resolve`, :func:`survivor_key`) run
inside Spark (:mod:`neardup.spark`), so both give the same survivors.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from neardup.config import ScanConfig
from neardup.errors import ConfigError, InputError
from neardup.model import Document, ScanResult
from neardup.passages import PassageArray, merge_ranges, subtract_ranges
from neardup.scan import Progress, scan

__all__ = [
    "DEFAULT_MIN_SHARE",
    "Cut",
    "DedupConfig",
    "DedupResult",
    "DedupStats",
    "NearCopy",
    "Removal",
    "apply_cuts",
    "decide",
    "dedup",
    "near_copies",
    "pair_share",
    "resolve",
    "survivor_key",
    "union_length",
    "widen",
]

logger = logging.getLogger(__name__)

#: A document is a near-copy of a kept one when at least this share of its content lies
#: in passages verified against it. Measured (``python -m benchmarks.dedup --shares``) on
#: a generated corpus of 10,000 documents: whole-document copies that are exact, edited,
#: blanked, traditional or mixed sit at 1.0, reordered ones at 0.72-1.0 (p5 0.93); a new
#: document that pasted 3-5 paragraphs of another sits at 0.11-0.43, unrelated documents
#: at most 0.11. On 3,000 Tang poems in two editions, the editions' p5 is 1.0. 0.6 is a
#: majority of the content with a margin of about 0.15 on both sides.
DEFAULT_MIN_SHARE = 0.6

Span = tuple[int, int]
SurvivorKey = tuple[Any, ...]


@dataclass(frozen=True)
class DedupConfig:
    """Which copy survives and what counts as a copy.

    ``keep``: among near-copies (after ``order_by``), the ``first`` by id, the
    ``longest`` or the ``shortest`` text survives. ``min_share``: see
    :data:`DEFAULT_MIN_SHARE`. ``passages``: cut repeated passages instead of removing
    whole documents; ``drop_boilerplate``: also cut boilerplate (page chrome, stock
    phrases, ``--base`` text) in that mode.
    """

    keep: Literal["first", "longest", "shortest"] = "first"
    min_share: float = DEFAULT_MIN_SHARE
    passages: bool = False
    drop_boilerplate: bool = False

    def __post_init__(self) -> None:
        if self.keep not in ("first", "longest", "shortest"):
            raise ConfigError(f"keep must be 'first', 'longest' or 'shortest', got {self.keep!r}")
        if not 0.0 < self.min_share <= 1.0:
            raise ConfigError(f"min_share must be in (0, 1], got {self.min_share}")
        if self.drop_boilerplate and not self.passages:
            raise ConfigError("drop_boilerplate cuts boilerplate out of kept documents: use it with passages=True")


@dataclass(frozen=True, slots=True)
class NearCopy:
    """``doc_id`` is a near-copy candidate of ``other``: ``share`` of its content lies in
    spans shared with it; ``similarity`` is the length-weighted similarity of those spans."""

    doc_id: str
    other: str
    share: float
    similarity: float


@dataclass(frozen=True, slots=True)
class Removal:
    """A removed document and the kept one it duplicates."""

    doc_id: str
    duplicate_of: str
    share: float
    similarity: float


@dataclass(frozen=True, slots=True)
class Cut:
    """A stretch ``[start, end)`` cut out of a kept document (``passages=True``).

    ``repeat``: a later copy of ``duplicate_of[duplicate_start:duplicate_end)``, the first
    occurrence, which stays; ``boilerplate``: page chrome, a stock phrase or base text.
    """

    doc_id: str
    start: int
    end: int
    kind: Literal["repeat", "boilerplate"]
    duplicate_of: str | None = None
    duplicate_start: int | None = None
    duplicate_end: int | None = None
    similarity: float | None = None


@dataclass(frozen=True, slots=True)
class DedupStats:
    documents: int
    kept: int
    removed: int
    chars_removed: int


@dataclass(frozen=True)
class DedupResult:
    """What deduplication decided.

    ``kept``: surviving ids, in input order; ``removed``: the others with their reasons;
    ``cuts`` and ``texts`` (``passages=True``): what was cut, and the new text of every
    kept document that lost something. ``survivors`` (from :func:`dedup`): the kept
    inputs themselves, in input order: Documents, dicts, or the filtered
    ``datasets.Dataset``.
    """

    kept: tuple[str, ...]
    removed: tuple[Removal, ...]
    stats: DedupStats
    cuts: tuple[Cut, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)
    survivors: Any = None


# --------------------------------------------------------------------------- intervals


def union_length(spans: Iterable[Span], minus: Sequence[Span] = ()) -> int:
    """Characters inside some span and outside every span of ``minus``.

    >>> union_length([(0, 10), (5, 20), (30, 35)], minus=[(18, 32)])
    21
    """
    return sum(e - s for s, e in subtract_ranges(spans, minus))


def widen(text: str, start: int, end: int) -> Span:
    """A cut grown over the punctuation and spaces around it (which matching ignores):
    forward up to the next character of text, backward only to the start of its line.

    >>> text = "前言。\\n  重复的段落。\\n正文"
    >>> widen(text, 6, 11)
    (4, 12)
    """
    while end < len(text) and text[end] != "\n" and not text[end].isalnum():
        end += 1
    back = start
    while back > 0 and text[back - 1] != "\n" and not text[back - 1].isalnum():
        back -= 1
    if back == 0 or text[back - 1] == "\n":
        start = back
    return start, end


def apply_cuts(text: str, cuts: Iterable[Span]) -> str:
    """``text`` without the ``cuts``; a cut that takes a whole line takes its line break too.

    >>> apply_cuts("标题\\n重复的段落\\n正文", [(3, 8)])
    '标题\\n正文'
    """
    pieces, pos = [], 0
    for s, e in merge_ranges(cuts):
        if s < pos:
            s = pos
        if e <= s:
            continue
        if (s == 0 or text[s - 1] == "\n") and text[e : e + 1] == "\n":
            e += 1
        pieces.append(text[pos:s])
        pos = e
    pieces.append(text[pos:])
    return "".join(pieces)


# --------------------------------------------------------------------------- the decision


def survivor_key(doc_id: str, length: int, value: Any = None, keep: str = "first") -> SurvivorKey:
    """The sort key of a document: the smallest key of a group of near-copies survives.

    ``value`` (from ``--order-by``) comes first, missing values last; then the keep rule
    (``longest``: more characters first); then the id.

    >>> sorted([survivor_key("b", 10, "2020-01-02"), survivor_key("a", 5, None), survivor_key("c", 7, "2019-12-31")])[0][-1]
    'c'
    """
    rule = 0 if keep == "first" else -length if keep == "longest" else length
    return (value is None, 0 if value is None else value, rule, doc_id)


def pair_share(
    matched: Iterable[tuple[int, float]],
    passages: Sequence[Span],
    gap: int = 2,
    boilerplate: Sequence[Span] = (),
    content: int | None = None,
) -> tuple[float, float]:
    """``(share, similarity)`` of one document against one other (``content``: the
    document's content characters, when the caller knows them).

    ``matched``: ``(passage index, Jaccard)`` of the document's passages verified against
    some passage of the other; ``passages``: the document's passage spans by index. As a
    cluster member does, the covered part includes unmatched passages between two
    matched ones at most ``gap`` apart (a rewritten paragraph inside a copy). The share
    is covered characters over the document's content (all its passages), boilerplate
    left out of both; the similarity is the matched passages' best Jaccard, weighted by
    their length.

    >>> spans = [(0, 100), (100, 200), (200, 300), (300, 400)]
    >>> pair_share([(0, 1.0), (2, 0.8), (2, 0.9)], spans)
    (0.75, 0.95)
    """
    best: dict[int, float] = {}
    for i, jac in matched:
        if 0 <= i < len(passages):
            best[i] = max(best.get(i, 0.0), jac)
    content = union_length(passages, boilerplate) if content is None else content
    if not best or content <= 0:
        return 0.0, 0.0
    order = sorted(best)
    covered = [passages[i] for i in order]
    for a, b in zip(order, order[1:]):
        if 1 < b - a <= gap:
            covered.extend(passages[a + 1 : b])
    weight = sum(passages[i][1] - passages[i][0] for i in order) or 1
    similarity = sum((passages[i][1] - passages[i][0]) * best[i] for i in order) / weight
    return round(min(1.0, union_length(covered, boilerplate) / content), 4), round(similarity, 4)


def resolve(keys: Mapping[str, SurvivorKey], near: Iterable[NearCopy]) -> tuple[list[str], list[Removal]]:
    """Visit documents by key; remove one only as a near-copy of a document already kept.

    Returns ``(kept ids, removals)``, both in key order. Among kept documents it
    duplicates, a removed one names the one it shares most with (then the smallest key).

    >>> keys = {d: survivor_key(d, 1) for d in "abc"}
    >>> near = [NearCopy("b", "a", 0.9, 0.95), NearCopy("c", "b", 0.9, 0.9), NearCopy("a", "b", 0.9, 0.95)]
    >>> kept, removed = resolve(keys, near)
    >>> kept, [(r.doc_id, r.duplicate_of) for r in removed]
    (['a', 'c'], [('b', 'a')])
    """
    by_doc: dict[str, list[NearCopy]] = defaultdict(list)
    for n in near:
        by_doc[n.doc_id].append(n)
    kept: list[str] = []
    held: set[str] = set()
    removed: list[Removal] = []
    for doc_id in sorted(keys, key=keys.__getitem__):
        options = [n for n in by_doc.get(doc_id, ()) if n.other in held]
        if options:
            best = min(options, key=lambda n: (-n.share, keys[n.other]))
            removed.append(Removal(doc_id, best.other, best.share, best.similarity))
        else:
            kept.append(doc_id)
            held.add(doc_id)
    return kept, removed


def _sorted_keys(ids: Sequence[str], lengths: Sequence[int], values: Sequence[Any] | None, keep: str) -> dict[str, SurvivorKey]:
    keys = {i: survivor_key(i, n, None if values is None else v, keep) for i, n, v in zip(ids, lengths, values or [None] * len(ids))}
    try:
        sorted(keys.values())
    except TypeError:
        kinds = sorted({type(v).__name__ for v in (values or []) if v is not None})
        raise InputError(f"order-by values mix types ({', '.join(kinds)}) and cannot be compared; give one type") from None
    return keys


def _passage_rows(result: ScanResult) -> tuple[list[int], list[int], list[int], list[int]]:
    """Every passage's document, index, start and end, as lists (by global number)."""
    if isinstance(result.passages, PassageArray):
        rows = result.passages.rows
        return rows["doc"].tolist(), rows["index"].tolist(), rows["start"].tolist(), rows["end"].tolist()
    ps = list(result.passages)
    return [p.doc for p in ps], [p.index for p in ps], [p.start for p in ps], [p.end for p in ps]


class _DocPassages:
    """Each document's passage spans by passage index, built on first use (most
    documents of a corpus have no copy and are never looked at)."""

    def __init__(self, result: ScanResult) -> None:
        self.docs, self.index, self.starts, self.ends = _passage_rows(result)
        bounds = np.searchsorted(np.asarray(self.docs, dtype=np.int64), np.arange(len(result.documents) + 1))
        self.first = bounds.tolist()
        self.cache: dict[int, list[Span]] = {}

    def __getitem__(self, doc: int) -> list[Span]:
        spans = self.cache.get(doc)
        if spans is None:
            lo, hi = self.first[doc], self.first[doc + 1]
            spans = self.cache[doc] = list(zip(self.starts[lo:hi], self.ends[lo:hi]))
        return spans


def _boilerplate_spans(result: ScanResult) -> dict[str, list[Span]]:
    out: dict[str, list[Span]] = defaultdict(list)
    for b in result.boilerplate:
        out[b.doc_id].append((b.start, b.end))
    return out


def _gap(result: ScanResult) -> int:
    return int(result.config.get("cluster", {}).get("gap", 2))


def decide(
    result: ScanResult,
    *,
    config: DedupConfig | None = None,
    order: Mapping[str, Any] | None = None,
) -> DedupResult:
    """Which documents of a scan survive (or, with ``passages``, what is cut out of them).

    ``order``: the ``--order-by`` value of each document id (missing: sorts last).
    ``kept`` lists ids in the scan's document (id) order.

    >>> from neardup import Document, scan
    >>> a = "鄂州市创建全国文明城市工作推进会议在2018年召开，全市上下凝心聚力攻坚克难，确保创建工作取得实效。"
    >>> docs = [Document("b", a.replace("2018", "20xx")), Document("a", a), Document("c", "毫不相干的一段文字，讲的是别的事情，长度也差不多够一个段落了。")]
    >>> d = decide(scan(docs))
    >>> d.kept, [(r.doc_id, r.duplicate_of) for r in d.removed]
    (('a', 'c'), [('b', 'a')])
    """
    config = config or DedupConfig()
    docs = result.documents
    ids = [d.id for d in docs]
    values = [order.get(i) for i in ids] if order is not None else None
    keys = _sorted_keys(ids, [len(d.text) for d in docs], values, config.keep)
    passages = _DocPassages(result)
    boiler = _boilerplate_spans(result)
    if config.passages:
        return _decide_passages(result, keys, passages, boiler, config)
    kept, removed = resolve(keys, near_copies(result, config.min_share, passages, boiler))
    kept_set = set(kept)
    chars = sum(len(docs[n].text) for n, i in enumerate(ids) if i not in kept_set)
    return DedupResult(
        kept=tuple(i for i in ids if i in kept_set),
        removed=tuple(sorted(removed, key=lambda r: r.doc_id)),
        stats=DedupStats(len(ids), len(kept), len(removed), chars),
    )


def near_copies(
    result: ScanResult,
    min_share: float = DEFAULT_MIN_SHARE,
    passages: _DocPassages | None = None,
    boilerplate: Mapping[str, Sequence[Span]] | None = None,
) -> list[NearCopy]:
    """Every ordered pair of documents of a scan where one is a near-copy candidate of the
    other (share >= ``min_share``), from the scan's verified passage matches."""
    passages = _DocPassages(result) if passages is None else passages
    boilerplate = _boilerplate_spans(result) if boilerplate is None else boilerplate
    docs, index = passages.docs, passages.index
    matched: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    for a, b, jac in ((m.a, m.b, m.jaccard) for m in result.matches):
        da, db = docs[a], docs[b]
        if da != db:
            matched[(da, db)].append((index[a], jac))
            matched[(db, da)].append((index[b], jac))
    gap = _gap(result)
    out = []
    content: dict[int, int] = {}  # per document, not per pair: a stock page has thousands of pairs
    prefix: dict[int, list[int]] = {}  # per document: its passages' lengths, summed
    for (d, k), pairs in matched.items():
        doc_id = result.documents[d].id
        if d not in content:
            content[d] = union_length(passages[d], boilerplate.get(doc_id, ()))
            prefix[d] = [0, *itertools.accumulate(e - s for s, e in passages[d])]
        # What the pair covers lies between its first and last matched passage: when even
        # that stretch is below the share, the exact measure is not needed (most pairs of
        # a redundant corpus share one stock paragraph of a long document).
        first, last = min(i for i, _ in pairs), max(i for i, _ in pairs)
        if prefix[d][min(last + 1, len(prefix[d]) - 1)] - prefix[d][max(first, 0)] < min_share * content[d]:
            continue
        share, sim = pair_share(pairs, passages[d], gap, boilerplate.get(doc_id, ()), content[d])
        if share >= min_share:
            out.append(NearCopy(doc_id, result.documents[k].id, share, sim))
    return out


def _decide_passages(
    result: ScanResult,
    keys: Mapping[str, SurvivorKey],
    passages: _DocPassages,
    boiler: Mapping[str, Sequence[Span]],
    config: DedupConfig,
) -> DedupResult:
    """Cut every passage that repeats one met earlier in survivor order and kept.

    Passages are visited by (document key, position); one is cut when a verified match
    joins it to a kept passage visited before it (inside its own document too), so the
    first occurrence always stays and a copy of a cut passage is cut as well.
    """
    docs = result.documents
    doc_of, index, starts, ends = passages.docs, passages.index, passages.starts, passages.ends
    partners: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for m in result.matches:
        partners[m.a].append((m.b, m.jaccard))
        partners[m.b].append((m.a, m.jaccard))
    # A passage that matches nothing is kept and decides nothing: only matched ones are visited.
    order = sorted(partners, key=lambda p: (keys[docs[doc_of[p]].id], index[p]))
    rank = {p: r for r, p in enumerate(order)}
    kept_passages: set[int] = set()
    wanted: list[Cut] = []
    for p in order:
        earlier = [(q, j) for q, j in partners.get(p, ()) if q in kept_passages and rank[q] < rank[p]]
        if not earlier:
            kept_passages.add(p)
            continue
        q, jac = min(earlier, key=lambda qj: (-qj[1], rank[qj[0]]))
        wanted.append(Cut(docs[doc_of[p]].id, starts[p], ends[p], "repeat", docs[doc_of[q]].id, starts[q], ends[q], round(jac, 4)))
    protected: dict[str, list[Span]] = defaultdict(list)
    for p in kept_passages:
        protected[docs[doc_of[p]].id].append((starts[p], ends[p]))
    if config.drop_boilerplate:
        wanted.extend(Cut(doc_id, s, e, "boilerplate") for doc_id, spans in boiler.items() for s, e in merge_ranges(spans))
    number = {d.id: n for n, d in enumerate(docs)}
    cuts: list[Cut] = []
    for cut in wanted:
        text = docs[number[cut.doc_id]].text
        guard = protected.get(cut.doc_id, ()) if cut.kind == "repeat" else ()
        for s, e in subtract_ranges([widen(text, cut.start, cut.end)], guard):
            cuts.append(dataclasses.replace(cut, start=s, end=e))
    cuts.sort(key=lambda c: (c.doc_id, c.start, c.end, c.kind))
    by_doc: dict[str, list[Cut]] = defaultdict(list)
    for cut in cuts:
        by_doc[cut.doc_id].append(cut)
    texts: dict[str, str] = {}
    kept: list[str] = []
    removed: list[Removal] = []
    chars = 0
    for d in docs:
        mine = by_doc.get(d.id)
        if not mine:
            kept.append(d.id)
            continue
        new = apply_cuts(d.text, [(c.start, c.end) for c in mine])
        if new.strip():
            kept.append(d.id)
            texts[d.id] = new
            chars += len(d.text) - len(new)
            continue
        repeats = [c for c in mine if c.kind == "repeat"]
        size: dict[str, int] = defaultdict(int)
        for c in repeats:
            size[c.duplicate_of or ""] += c.end - c.start
        source = min(size, key=lambda o: (-size[o], o), default="")
        content = union_length(passages[number[d.id]]) or 1
        share = round(min(1.0, union_length((c.start, c.end) for c in repeats) / content), 4)
        sims = [c.similarity for c in repeats if c.duplicate_of == source and c.similarity is not None]
        removed.append(Removal(d.id, source, share, round(max(sims), 4) if sims else 0.0))
        chars += len(d.text)
    return DedupResult(
        kept=tuple(kept),
        removed=tuple(removed),
        stats=DedupStats(len(docs), len(kept), len(removed), chars),
        cuts=tuple(cuts),
        texts=texts,
    )


# --------------------------------------------------------------------------- the library call


def _is_dataset(obj: Any) -> bool:
    """A Hugging Face ``datasets.Dataset`` (duck-typed: neardup never imports ``datasets``)."""
    return hasattr(obj, "column_names") and hasattr(obj, "select") and hasattr(obj, "features")


def _as_documents(
    documents: Any, text_field: str, id_field: str, order_by: str | Mapping[str, Any] | None
) -> tuple[str, list[Document], list[Any], dict[str, Any] | None]:
    """``(kind, documents, the original items, order values by id)``."""
    if _is_dataset(documents):
        columns = documents.column_names
        if text_field not in columns:
            raise InputError(f"the dataset has no column {text_field!r} (columns: {', '.join(columns)}); set text_field")
        texts = documents[text_field]
        ids = [str(v) for v in documents[id_field]] if id_field in columns else [str(n) for n in range(len(texts))]
        docs = [Document(i, t if isinstance(t, str) else "") for i, t in zip(ids, texts)]
        order = None
        if isinstance(order_by, str):
            if order_by not in columns:
                raise InputError(f"the dataset has no column {order_by!r} to order by (columns: {', '.join(columns)})")
            order = dict(zip(ids, documents[order_by]))
        elif order_by is not None:
            order = dict(order_by)
        return "dataset", docs, [], order
    items = list(documents)
    if all(isinstance(d, Document) for d in items):
        if isinstance(order_by, str):
            raise InputError("order_by names a field of dict records; for Documents give a mapping id -> value")
        return "documents", items, items, None if order_by is None else dict(order_by)
    docs = []
    order_values: dict[str, Any] = {}
    for n, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InputError(f"record {n}: dedup takes Documents, dicts or a datasets.Dataset, got {type(item).__name__}")
        text = item.get(text_field)
        if not isinstance(text, str):
            raise InputError(f"record {n}: expected a string {text_field!r} field")
        doc_id = str(item.get(id_field, n))
        docs.append(Document(doc_id, text))
        if isinstance(order_by, str):
            order_values[doc_id] = item.get(order_by)
    order = order_values if isinstance(order_by, str) else None if order_by is None else dict(order_by)
    return "dicts", docs, items, order


def scan_for_dedup(config: ScanConfig | None, dedup_config: DedupConfig) -> ScanConfig:
    """The scan a dedup runs: clusters only, unless boilerplate must be found to be cut."""
    config = config or ScanConfig()
    return dataclasses.replace(config, detail="full" if dedup_config.drop_boilerplate else "clusters")


def dedup(
    documents: Any,
    *,
    keep: Literal["first", "longest", "shortest"] = "first",
    order_by: str | Mapping[str, Any] | None = None,
    min_share: float = DEFAULT_MIN_SHARE,
    passages: bool = False,
    drop_boilerplate: bool = False,
    text_field: str = "text",
    id_field: str = "id",
    config: ScanConfig | None = None,
    jobs: int | None = 1,
    progress: Progress | None = None,
    base: Sequence[Document] = (),
) -> DedupResult:
    """Keep one document of every group of near-copies; ``survivors`` holds the kept inputs.

    ``documents``: a list of :class:`~neardup.model.Document`, an iterable of dicts
    (``text_field``, ``id_field``; a record without an id is numbered from 0), or a
    Hugging Face ``datasets.Dataset`` (``survivors`` is then the filtered dataset).
    ``order_by``: a field (dicts, datasets) or a mapping id -> value: the smallest value
    survives (the oldest date), then ``keep``, then the id. ``passages=True`` cuts
    repeated passages instead (``texts`` and ``survivors`` carry the new texts).

    >>> a = "鄂州市创建全国文明城市工作推进会议在2018年召开，全市上下凝心聚力攻坚克难，确保创建工作取得实效。"
    >>> rows = [{"id": "new", "text": a, "date": "2021-05-01"}, {"id": "old", "text": "xx" + a, "date": "2019-03-01"}]
    >>> result = dedup(rows, order_by="date")
    >>> [r["id"] for r in result.survivors], [(r.doc_id, r.duplicate_of) for r in result.removed]
    (['old'], [('new', 'old')])
    """
    dconf = DedupConfig(keep=keep, min_share=min_share, passages=passages, drop_boilerplate=drop_boilerplate)
    kind, docs, items, order = _as_documents(documents, text_field, id_field, order_by)
    result = scan(docs, config=scan_for_dedup(config, dconf), jobs=jobs, progress=progress, base=base)
    decided = decide(result, config=dconf, order=order)
    kept = set(decided.kept)
    texts = decided.texts
    survivors: Any
    if kind == "dataset":
        positions = [n for n, d in enumerate(docs) if d.id in kept]
        survivors = documents.select(positions)
        if texts:
            new_texts = [texts.get(docs[n].id, docs[n].text) for n in positions]
            survivors = survivors.map(lambda _, n: {text_field: new_texts[n]}, with_indices=True)
    elif kind == "documents":
        survivors = [dataclasses.replace(d, text=texts[d.id]) if d.id in texts else d for d in docs if d.id in kept]
    else:
        survivors = [
            {**item, text_field: texts[d.id]} if d.id in texts else item for item, d in zip(items, docs) if d.id in kept
        ]
    ordered = tuple(d.id for d in docs if d.id in kept)
    return dataclasses.replace(decided, kept=ordered, survivors=survivors)
