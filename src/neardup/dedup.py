"""Keep one document of every group of near-copies: the decision, from a scan's clusters.

Deduplication is decided from the clusters of a scan (``detail="clusters"``), never
from a pairwise alignment of the corpus, so it costs about what the scan does:

1. **Coverage.** For two documents ``D`` and ``K`` that share a cluster, the members of
   ``D`` in clusters that also hold a member of ``K`` cover part of ``D``. ``share(D | K)``
   is that covered part over ``D``'s *content*: the union of its passages, boilerplate
   left out on both sides. ``D`` is a near-copy of ``K`` when the share reaches
   ``min_share``. The relation is not symmetric: a speech pasted into a long compilation
   covers the speech, not the compilation.
2. **Survivor order.** Every document gets a key ``(order-by value, keep rule, id)``;
   the keys decide which copy survives, whatever order the input came in.
3. **Greedy in that order.** Documents are visited by key; one is removed only when it is
   a near-copy of a document already *kept*, never of a removed one. So a chain
   A ~ B ~ C never removes C because of B, and no group of copies is lost whole.

With ``passages=True`` repeated passages are cut instead of whole documents: in each
cluster the first member in survivor order (document key, then position) stays and the
later members' passages are cut, unless they are the first occurrence of something else.

The same pure functions (:func:`cluster_pairs`, :func:`pair_share`, :func:`resolve`)
run inside Spark (:mod:`neardup.spark`), so both give the same survivors.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal


from neardup.config import ScanConfig
from neardup.errors import ConfigError, InputError
from neardup.model import Document, ScanResult
from neardup.passages import PassageArray
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
    "cluster_pairs",
    "decide",
    "dedup",
    "pair_share",
    "resolve",
    "survivor_key",
    "union_length",
    "widen",
]

logger = logging.getLogger(__name__)

#: A document is a near-copy of a kept one when at least this share of its content lies
#: in spans shared with it. Measured on the generated corpus (``benchmarks/dedup.py``):
#: planted whole-document copies (exact, edited, blanked, traditional, reordered, mixed)
#: sit at 0.9-1.0; a document that pasted 3-5 paragraphs of another into new text sits
#: at 0.2-0.6. 0.8 keeps the margin on both sides (see benchmarks/README.md).
DEFAULT_MIN_SHARE = 0.8
#: In a cluster of more than this many documents, each is compared with this many others
#: (the first in survivor order): a paragraph pasted into 10,000 pages would otherwise
#: make 10⁸ pairs. The same cap as an LSH bucket's (``CandidateConfig.max_bucket``).
MAX_PEERS = 64

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
    max_peers: int = MAX_PEERS

    def __post_init__(self) -> None:
        if self.keep not in ("first", "longest", "shortest"):
            raise ConfigError(f"keep must be 'first', 'longest' or 'shortest', got {self.keep!r}")
        if not 0.0 < self.min_share <= 1.0:
            raise ConfigError(f"min_share must be in (0, 1], got {self.min_share}")
        if self.max_peers < 1:
            raise ConfigError(f"max_peers must be >= 1, got {self.max_peers}")
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
    merged = _merge(spans)
    total = sum(e - s for s, e in merged)
    if minus:
        total -= sum(min(e, me) - max(s, ms) for s, e in merged for ms, me in _merge(minus) if min(e, me) > max(s, ms))
    return total


def _merge(spans: Iterable[Span]) -> list[Span]:
    out: list[list[int]] = []
    for s, e in sorted(spans):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _subtract(spans: Iterable[Span], minus: Iterable[Span]) -> list[Span]:
    """``spans`` (merged) without ``minus``."""
    holes = _merge(minus)
    out = []
    for s, e in _merge(spans):
        cur = s
        for hs, he in holes:
            if he <= cur or hs >= e:
                continue
            if hs > cur:
                out.append((cur, hs))
            cur = max(cur, he)
        if cur < e:
            out.append((cur, e))
    return out


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
    for s, e in _merge(cuts):
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


def cluster_pairs(
    members: Sequence[tuple[str, int, int, float]],
    keys: Mapping[str, SurvivorKey] | Callable[[str], SurvivorKey],
    max_peers: int = MAX_PEERS,
) -> Iterator[tuple[str, str, int, int, float]]:
    """``(doc, other, start, end, similarity)``: each member span of one cluster, once per
    other document it is shared with (the ``max_peers`` first others in survivor order).

    ``members`` are ``(doc_id, start, end, similarity)``.
    """
    key = keys if callable(keys) else keys.__getitem__
    spans: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
    for doc_id, start, end, sim in members:
        spans[doc_id].append((start, end, sim))
    if len(spans) < 2:
        return
    docs = sorted(spans, key=key)
    for d in docs:
        peers = [k for k in docs[: max_peers + 1] if k != d][:max_peers]
        for k in peers:
            for s, e, sim in spans[d]:
                yield d, k, s, e, sim


def pair_share(spans: Iterable[tuple[int, int, float]], content: int, boilerplate: Sequence[Span] = ()) -> tuple[float, float]:
    """``(share, similarity)`` of a document covered by ``spans`` shared with one other.

    ``content``: the document's content characters (its passages, boilerplate left out);
    the spans count without ``boilerplate``; similarity is their length-weighted mean.

    >>> pair_share([(0, 80, 1.0), (0, 80, 1.0), (100, 120, 0.5)], 120)
    (0.8333, 0.9)
    """
    distinct = sorted(set(spans))
    if content <= 0 or not distinct:
        return 0.0, 0.0
    covered = union_length([(s, e) for s, e, _ in distinct], boilerplate)
    weight = sum(e - s for s, e, _ in distinct) or 1
    similarity = sum((e - s) * sim for s, e, sim in distinct) / weight
    return round(min(1.0, covered / content), 4), round(similarity, 4)


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


def _doc_passages(result: ScanResult) -> list[list[Span]]:
    """Each document's passage spans (by passage index), as lists."""
    n = len(result.documents)
    spans: list[list[Span]] = [[] for _ in range(n)]
    if isinstance(result.passages, PassageArray):
        rows = result.passages.rows
        docs, starts, ends = rows["doc"].tolist(), rows["start"].tolist(), rows["end"].tolist()
        for d, s, e in zip(docs, starts, ends):
            spans[d].append((s, e))
    else:
        for p in result.passages:
            spans[p.doc].append((p.start, p.end))
    return spans


def _boilerplate_spans(result: ScanResult) -> dict[str, list[Span]]:
    out: dict[str, list[Span]] = defaultdict(list)
    for b in result.boilerplate:
        out[b.doc_id].append((b.start, b.end))
    return out


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
    passages = _doc_passages(result)
    boiler = _boilerplate_spans(result)
    if config.passages:
        return _decide_passages(result, keys, passages, boiler, config)
    content = {d.id: union_length(passages[n], boiler.get(d.id, ())) for n, d in enumerate(docs)}
    near = _near_copies(result, keys, content, boiler, config)
    kept, removed = resolve(keys, near)
    kept_set = set(kept)
    texts = {d.id: d.text for d in docs}
    chars = sum(len(texts[r.doc_id]) for r in removed)
    return DedupResult(
        kept=tuple(i for i in ids if i in kept_set),
        removed=tuple(sorted(removed, key=lambda r: r.doc_id)),
        stats=DedupStats(len(ids), len(kept), len(removed), chars),
    )


def _near_copies(
    result: ScanResult,
    keys: Mapping[str, SurvivorKey],
    content: Mapping[str, int],
    boiler: Mapping[str, Sequence[Span]],
    config: DedupConfig,
) -> list[NearCopy]:
    shared: dict[tuple[str, str], list[tuple[int, int, float]]] = defaultdict(list)
    for c in result.clusters:
        members = [(m.doc_id, m.start, m.end, m.similarity) for m in c.members]
        for d, k, s, e, sim in cluster_pairs(members, keys, config.max_peers):
            shared[(d, k)].append((s, e, sim))
    out = []
    for (d, k), spans in shared.items():
        share, sim = pair_share(spans, content[d], boiler.get(d, ()))
        if share >= config.min_share:
            out.append(NearCopy(d, k, share, sim))
    return out


def _decide_passages(
    result: ScanResult,
    keys: Mapping[str, SurvivorKey],
    passages: Sequence[Sequence[Span]],
    boiler: Mapping[str, Sequence[Span]],
    config: DedupConfig,
) -> DedupResult:
    """Cut every later copy of a cluster's text; the first in survivor order stays."""
    docs = result.documents
    number = {d.id: n for n, d in enumerate(docs)}
    protected: dict[str, list[Span]] = defaultdict(list)
    wanted: list[Cut] = []
    for c in result.clusters:
        ms = sorted(c.members, key=lambda m: (keys[m.doc_id], m.start))
        first = ms[0]
        own = passages[number[first.doc_id]]
        protected[first.doc_id].extend(own[i] for i in first.passages if i < len(own))
        for m in ms[1:]:
            spans = passages[number[m.doc_id]]
            for s, e in _merge(spans[i] for i in m.passages if i < len(spans)):
                wanted.append(Cut(m.doc_id, s, e, "repeat", first.doc_id, first.start, first.end, m.similarity))
    if config.drop_boilerplate:
        wanted.extend(Cut(doc_id, s, e, "boilerplate") for doc_id, spans in boiler.items() for s, e in _merge(spans))
    cuts: list[Cut] = []
    for cut in wanted:
        text = docs[number[cut.doc_id]].text
        for s, e in _subtract([widen(text, cut.start, cut.end)], protected.get(cut.doc_id, ())):
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
        source = max(sorted({c.duplicate_of for c in repeats if c.duplicate_of}), key=lambda o: sum(c.end - c.start for c in repeats if c.duplicate_of == o), default=None)
        content = union_length(passages[number[d.id]]) or 1
        share = round(min(1.0, union_length((c.start, c.end) for c in repeats) / content), 4)
        sims = [c.similarity for c in repeats if c.duplicate_of == source and c.similarity is not None]
        removed.append(Removal(d.id, source or "", share, round(max(sims), 4) if sims else 0.0))
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
