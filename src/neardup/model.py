"""The nouns of neardup: frozen dataclasses that flow from stage to stage.

Offsets are half-open ``[start, end)`` character (code point) offsets into the
**original** decoded text of a document, and line numbers are 1-based and inclusive,
so a report can always be checked by slicing the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, Literal

__all__ = [
    "PASSAGE_COLUMNS",
    "Added",
    "Alignment",
    "Boilerplate",
    "Cluster",
    "DocLink",
    "Document",
    "Edit",
    "Family",
    "FamilyLabel",
    "Fill",
    "IndexMatch",
    "IndexStats",
    "Match",
    "Member",
    "Passage",
    "ReuseSpan",
    "ScanResult",
    "ScanStats",
    "Slot",
    "Template",
    "TemplateFamily",
]


@dataclass(frozen=True, slots=True)
class Document:
    """One text as read: its stable id (path or record id) and its original text.

    >>> Document("a.txt", "同志们：").id
    'a.txt'
    """

    id: str
    text: str
    path: str | None = None
    encoding: str | None = None


@dataclass(frozen=True, slots=True)
class Passage:
    """A stretch of a document that is compared as a unit.

    ``norm_start``/``norm_end`` index the document's normalised text (what shingles
    are made of); ``start``/``end`` index the original text (what users see).
    """

    doc: int
    index: int
    start: int
    end: int
    line_start: int
    line_end: int
    norm_start: int
    norm_end: int

    @property
    def length(self) -> int:
        return self.end - self.start

    def row(self, doc: int) -> tuple[int, ...]:
        """Its fields in :data:`PASSAGE_COLUMNS` order, ``doc`` standing for its document
        number (a store's document key, a Spark document number)."""
        return (doc, *(getattr(self, name) for name in self.__slots__[1:]))  # type: ignore[attr-defined]


#: A passage's fields as stored columns (SQLite, Redis, Spark), in :class:`Passage`'s
#: order, so ``Passage(*columns)`` rebuilds one; ``index`` is ``idx`` there (an SQL keyword).
PASSAGE_COLUMNS: tuple[str, ...] = tuple("idx" if f.name == "index" else f.name for f in fields(Passage))


@dataclass(frozen=True, slots=True)
class Match:
    """A verified pair of passages (global passage numbers ``a < b``)."""

    a: int
    b: int
    jaccard: float
    containment: float


@dataclass(frozen=True, slots=True)
class Member:
    """One contiguous copy of a cluster's text inside one document.

    ``jaccard``: Jaccard of this member's shingles (boilerplate left out) with the
    cluster representative's; 1.0 for the representative itself.
    """

    doc_id: str
    start: int
    end: int
    line_start: int
    line_end: int
    passages: tuple[int, ...]
    jaccard: float
    text: str

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Cluster:
    """Copies of one text: two or more members, each sharing verified text with the representative.

    ``representative`` indexes ``members``: the copy the others were matched against
    (templates and reused spans are taken against it).
    """

    id: int
    members: tuple[Member, ...]
    representative: int = 0

    @property
    def chars(self) -> int:
        return sum(m.length for m in self.members)

    @property
    def doc_ids(self) -> tuple[str, ...]:
        return tuple(sorted({m.doc_id for m in self.members}))


@dataclass(frozen=True, slots=True)
class Edit:
    """One difference inside a reused span, in original offsets on both sides.

    ``insert``: text only in B (``a_start == a_end``, the point in A where it goes);
    ``delete``: text only in A; ``substitute``: A's text replaced by B's; ``move``: the
    same phrase in both, at ``[a_start, a_end)`` in A and elsewhere, ``[b_start, b_end)``,
    in B (two words swapped, a clause moved). Differences
    that normalisation ignores (punctuation, 繁/简, ruby glosses) are not edits.
    """

    kind: Literal["insert", "delete", "substitute", "move"]
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_text: str
    b_text: str


@dataclass(frozen=True, slots=True)
class ReuseSpan:
    """A maximal stretch of text reused between two texts: ``A[a_start:a_end]`` ~ ``B[b_start:b_end]``.

    The one type of a reused span, whoever finds it: the scan's alignments (A and B are
    the pair's documents), an index query (A: the query text, B: the stored document)
    and the gate (A: the submission, B: its source). Offsets are half-open into the
    original texts; lines are 1-based and inclusive (``a_line_end`` holds the span's
    last character).

    ``ratio`` is the share of normalised characters the two sides have in common
    (``2 * matched / (len_a + len_b)``, as ``difflib.SequenceMatcher.ratio``), ``matched``
    counts them and ``edits`` are the differences inside. A span that could not be
    aligned character by character (an index that keeps no texts) has ``ratio=None``,
    ``matched=0``, no edits, and ``jaccard``: the exact Jaccard of its passages' shingle
    sets; an aligned span has ``jaccard=None``.
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    a_line_start: int
    a_line_end: int
    b_line_start: int
    b_line_end: int
    ratio: float | None
    matched: int = 0
    edits: tuple[Edit, ...] = ()
    jaccard: float | None = None

    @property
    def score(self) -> float:
        """``ratio``, or ``jaccard`` for a span that could not be aligned: what ranks
        spans and what the text reports print."""
        return self.ratio if self.ratio is not None else self.jaccard or 0.0

    def swapped(self) -> ReuseSpan:
        """The same span seen from B's side (edits flip insert/delete)."""
        flip = {"insert": "delete", "delete": "insert", "substitute": "substitute", "move": "move"}
        return ReuseSpan(
            self.b_start,
            self.b_end,
            self.a_start,
            self.a_end,
            self.b_line_start,
            self.b_line_end,
            self.a_line_start,
            self.a_line_end,
            self.ratio,
            self.matched,
            tuple(
                Edit(flip[e.kind], e.b_start, e.b_end, e.a_start, e.a_end, e.b_text, e.a_text)  # type: ignore[arg-type]
                for e in self.edits
            ),
            self.jaccard,
        )


@dataclass(frozen=True, slots=True)
class Alignment:
    """The reused spans between two documents (``a <= b`` by id; ``a == b`` for repeats inside one)."""

    a: str
    b: str
    spans: tuple[ReuseSpan, ...]

    @property
    def chars(self) -> int:
        """Original characters of A inside some span."""
        return sum(s.a_end - s.a_start for s in self.spans)


@dataclass(frozen=True, slots=True)
class Fill:
    """What one cluster member has in one slot: original ``[start, end)`` of its document."""

    member: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Slot:
    """A place where a cluster's members differ, with each member's fill (member order)."""

    index: int
    fills: tuple[Fill, ...]

    @property
    def values(self) -> tuple[str, ...]:
        """Distinct fills in member order: ``('20xx', '2018')``."""
        return tuple(dict.fromkeys(f.text for f in self.fills))


@dataclass(frozen=True, slots=True)
class Template:
    """A cluster's shared text with its slots marked (``…總結{20xx | 2017}年…``).

    ``text`` is the first member's original text with every slot replaced by
    ``{fill | fill …}`` (distinct fills in member order, ``∅`` for an empty fill);
    ``shared`` counts the normalised characters common to all members.
    """

    cluster: int
    text: str
    slots: tuple[Slot, ...]
    shared: int


@dataclass(frozen=True, slots=True)
class Boilerplate:
    """Text that is not evidence of copying, in original offsets.

    ``kind``: ``corpus`` (a run carried by at least ``min_docs`` distinct documents),
    ``page`` (menus, bylines and footers at a page's head or tail) or ``base`` (text of
    a ``--base`` file). ``documents`` is how many scanned documents carry the text.
    """

    doc_id: str
    start: int
    end: int
    line_start: int
    line_end: int
    kind: Literal["corpus", "page", "base"]
    documents: int
    text: str


@dataclass(frozen=True, slots=True)
class DocLink:
    """An edge of the document graph (``a < b``): what two documents share, kept apart.

    ``content``: original characters of their reused spans that are not boilerplate
    (mean of both sides); ``boilerplate``: normalised characters of corpus boilerplate
    runs both carry; ``template``: the rarity-weighted text they share in the template
    graph (boilerplate windows, chrome lines, sentence skeletons; each character
    weighs ``log((N + 1) / df)``). Families are made from ``content``, template
    families from ``template``.
    """

    a: str
    b: str
    content: int
    boilerplate: int
    template: float = 0.0


@dataclass(frozen=True, slots=True)
class Family:
    """Documents that share content text (a community of the document graph).

    ``content``: original characters of reused spans inside the family (boilerplate
    left out); ``keywords``: jieba TF-IDF keywords of that shared text;
    ``boilerplate``: corpus boilerplate carried by two or more of its documents.
    """

    id: int
    doc_ids: tuple[str, ...]
    content: int
    keywords: tuple[str, ...]
    boilerplate: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FamilyLabel:
    """One piece of text the documents of a template family share.

    ``kind``: ``corpus`` (a stock formula), ``base`` (text of a ``--base`` file),
    ``page`` (a chrome line of the pages' head or tail, digits folded when matched) or
    ``skeleton`` (a sentence that matches once places, names, numbers and blanks are
    folded); ``text``: as the first family document carrying it has it (whitespace
    collapsed, cut at 200 characters); ``documents``: how many of the family's
    documents carry it; ``chars``: its length in normalised characters.
    """

    kind: Literal["corpus", "base", "page", "skeleton"]
    text: str
    documents: int
    chars: int


@dataclass(frozen=True, slots=True)
class TemplateFamily:
    """Documents from one site or one template (a community of the template graph).

    ``weight``: the rarity-weighted characters its documents share (each shared piece
    counts ``chars * log((N + 1) / df)`` once per carrier beyond the first);
    ``chars``: normalised characters of a family document, on average, inside pieces
    that another document of the family carries too;
    ``boilerplate``: the defining pieces, most carried first; ``keywords``: jieba
    TF-IDF keywords of its documents.
    """

    id: int
    doc_ids: tuple[str, ...]
    weight: float
    chars: int
    boilerplate: tuple[FamilyLabel, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScanStats:
    documents: int
    passages: int
    candidates: int
    matches: int
    clusters: int
    duplicated_chars: int


@dataclass(frozen=True)
class ScanResult:
    """Everything one scan found; reports render it, nothing else computes it."""

    documents: tuple[Document, ...]
    passages: Sequence[Passage]
    matches: Sequence[Match]  # records, a Match when looked at (MatchArray)
    clusters: tuple[Cluster, ...]
    stats: ScanStats
    config: dict[str, Any]
    warnings: tuple[str, ...] = field(default=())
    alignments: tuple[Alignment, ...] = field(default=())
    templates: tuple[Template, ...] = field(default=())
    boilerplate: Sequence[Boilerplate] = field(default=())  # rows, records when looked at (BoilerplateArray)
    families: tuple[Family, ...] = field(default=())
    links: Sequence[DocLink] = field(default=())  # rows, a DocLink when looked at (LinkArray)
    template_families: tuple[TemplateFamily, ...] = field(default=())


# --------------------------------------------------------------------------- the persistent index


@dataclass(frozen=True, slots=True)
class IndexMatch:
    """A stored document that the query text reuses.

    ``spans``: the reused spans, A the query text and B the stored document (edits
    included where the index keeps texts); ``ratio``: the best ``ratio`` of its aligned
    spans, ``jaccard``: the best ``jaccard`` of its spans that could not be aligned
    (``None`` when it has none of that kind); ``coverage`` is the share of the query's
    passage characters found in this document; ``meta`` is what was stored with it.
    """

    doc_id: str
    ratio: float | None
    jaccard: float | None
    coverage: float
    spans: tuple[ReuseSpan, ...]
    meta: Any = None

    @property
    def score(self) -> float:
        """The best span's :attr:`ReuseSpan.score`: what ranks matches of equal coverage."""
        return max((s.score for s in self.spans), default=0.0)


@dataclass(frozen=True, slots=True)
class Added:
    """What adding one document did to the index's clusters.

    ``joined``: clusters that existed before and now include this document; ``started``:
    clusters this document started (with copies inside itself or in documents that had
    no cluster yet); ``merged``: younger clusters retired because this document bridged
    them with an older one, whose id they now share. ``matches`` are the stored documents
    it reuses, as :meth:`neardup.store.Index.query` would have reported them just before the add.

    A cluster whose copies all sit within one stretch of one document (a paragraph
    repeated right after itself) gets an id but is not listed, in ``started`` or by
    :meth:`neardup.store.Index.report`, until a copy appears elsewhere.
    """

    doc_id: str
    passages: int
    joined: tuple[int, ...] = ()
    started: tuple[int, ...] = ()
    merged: tuple[int, ...] = ()
    matches: tuple[IndexMatch, ...] = ()
    #: ``add(..., skip_near_copies=True)``: the stored document this one is a near-copy of;
    #: the document was then not stored (``passages`` is 0, ``matches`` holds that match)
    near_copy_of: str | None = None


@dataclass(frozen=True)
class IndexStats:
    """What :meth:`neardup.store.Index.stats` reports: counts, size (``None`` on Redis) and the stored parameters."""

    location: str
    backend: str
    documents: int
    passages: int
    clusters: int
    matches: int
    bytes: int | None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def bytes_per_passage(self) -> float | None:
        if self.bytes is None or not self.passages:
            return None
        return self.bytes / self.passages


def pickled_by_position(cls: type) -> type:
    """Pickle a frozen slotted dataclass as its constructor and its fields in order.

    Without it, pickling one goes through the ``__getstate__``/``__setstate__`` pair
    that ``dataclass(slots=True)`` adds, which calls :func:`dataclasses.fields` for
    every object, on both sides: a 300 MB scan's workers send back millions of spans
    and edits, and unpacking them was about 8 s of the main process. Every field of
    these classes is an ``__init__`` argument, in order, so ``cls(*fields)`` rebuilds one.
    """
    names = [f.name for f in fields(cls)]
    if len(names) == 1:
        (name,) = names
        cls.__reduce__ = lambda self: (cls, (getattr(self, name),))  # type: ignore[method-assign]
    else:
        get = attrgetter(*names)
        cls.__reduce__ = lambda self: (cls, get(self))  # type: ignore[method-assign]
    return cls


for _cls in (Document, Passage, Match, Member, Cluster, Edit, ReuseSpan, Alignment, Fill, Slot, Template,
             Boilerplate, DocLink, Family, FamilyLabel, TemplateFamily, ScanStats, IndexMatch, Added):  # fmt: skip
    pickled_by_position(_cls)
del _cls
