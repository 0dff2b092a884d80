"""Clusters -> reused spans: each member aligned with its representative, the spans of a
pair of documents put together, and members cut down to the text they share.

:mod:`neardup.align` aligns two texts; this aligns a cluster (one alignment per member,
never per pair of members) and collects the spans by pair of documents.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from neardup.align import align_normalized, align_pair, align_within, shift_span, span_key
from neardup.config import SHORT_CONTAINMENT, AlignConfig
from neardup.model import Alignment, Cluster, Document, Edit, Member, ReuseSpan
from neardup.normalize import Normalized, normalize

__all__ = [
    "MAX_BRIDGE",
    "MERGE_GAP",
    "MIN_TRIM",
    "PART_OVERLAP",
    "PART_SHARE",
    "PairSpan",
    "TRIM_SHARE",
    "align_clusters",
    "alignments_of",
    "member_alignments",
    "member_spans",
    "parts",
    "trimmed",
    "within_spans",
]

#: A reused span with the documents it joins, in id order: what :func:`alignments_of` collects.
PairSpan = tuple[str, str, ReuseSpan]


def member_alignments(cluster: Cluster, config: AlignConfig | None = None, norms: Sequence[Normalized] | None = None) -> list[list[ReuseSpan]]:
    """Each member's reused spans against the cluster's representative, in offsets into the
    two members' texts (A: the representative). Empty for the representative and for a
    member in its document (that is :func:`within_spans`' work).

    One alignment per member, never per pair of members: the cost is the members' text,
    however large a cluster grows. ``norms``: the members' normalised texts, when the
    caller has them (templates need them too). A member too short for a span of
    ``config.min_chars`` (a whole quatrain) has its span when most of it
    (:data:`~neardup.config.SHORT_CONTAINMENT`) is copied.
    """
    config = config or AlignConfig()
    members = cluster.members
    rep = members[cluster.representative]
    rep_norm = norms[cluster.representative] if norms is not None else normalize(rep.text, config.normalize)
    out: list[list[ReuseSpan]] = []
    for k, member in enumerate(members):
        if member is rep or member.doc_id == rep.doc_id:
            out.append([])
            continue
        norm = norms[k] if norms is not None else normalize(member.text, config.normalize)
        shorter = min(len(rep_norm.text), len(norm.text))
        own = config.reporting_from(math.ceil(SHORT_CONTAINMENT * shorter))
        out.append(align_normalized(rep.text, rep_norm, member.text, norm, own))
    return out


def member_spans(
    cluster: Cluster,
    config: AlignConfig | None = None,
    norms: Sequence[Normalized] | None = None,
    found: Sequence[Sequence[ReuseSpan]] | None = None,
) -> list[PairSpan]:
    """:func:`member_alignments` in document offsets, each with its documents in id order
    (``found``: those alignments, when the caller made them)."""
    members = cluster.members
    rep = members[cluster.representative]
    out: list[PairSpan] = []
    for member, spans in zip(members, found if found is not None else member_alignments(cluster, config, norms)):
        for span in spans:
            shifted = shift_span(span, rep.start, member.start, rep.line_start - 1, member.line_start - 1)
            if rep.doc_id <= member.doc_id:
                out.append((rep.doc_id, member.doc_id, shifted))
            else:
                out.append((member.doc_id, rep.doc_id, shifted.swapped()))
    return out


#: A member is cut down to its aligned spans only when they cover less than this share of
#: it (a sentence quoted inside a long paragraph is reported as that sentence; a
#: paragraph copied with its edges edited keeps its passage bounds: the passage's own
#: edges beat an alignment's ragged ones), and only at an end where that removes at least
#: :data:`MIN_TRIM` characters.
TRIM_SHARE = 2 / 3
MIN_TRIM = 8


def trimmed(cluster: Cluster, found: Sequence[Sequence[ReuseSpan]]) -> Cluster:
    """The cluster with each member cut to the text it shares with the representative
    (the hull of its spans, ``found`` as :func:`member_alignments` gives them), and the
    representative to the hull of what every member shares with it. A member without a
    span keeps its extent, and then so does the representative."""
    members = list(cluster.members)
    rep = cluster.representative
    hulls: list[tuple[int, int] | None] = []
    for spans in found:
        hulls.append((min(s.b_start for s in spans), max(s.b_end for s in spans)) if spans else None)
    others = [h for k, h in enumerate(hulls) if k != rep]
    if others and all(h is not None for h in others):
        rep_spans = [s for spans in found for s in spans]
        hulls[rep] = (min(s.a_start for s in rep_spans), max(s.a_end for s in rep_spans))
    for k, hull in enumerate(hulls):
        if hull is not None:
            members[k] = _cut(members[k], *hull)
    return replace(cluster, members=tuple(members))


#: A member whose span on the representative is shorter than this share of what all
#: members cover of it copies a part of the representative (one of its paragraphs).
PART_SHARE = 2 / 3
#: Two such members belong to one part when their spans on the representative overlap
#: by at least this many characters.
PART_OVERLAP = 24


def parts(cluster: Cluster, found: Sequence[Sequence[ReuseSpan]]) -> list[list[int]]:
    """The cluster's members (indexes, the representative in each) as groups that copy one
    text: when members copy different parts of a long representative (one its first
    paragraph, another its closing), each part is a cluster of its own, so that every two
    members of a cluster share text. Members that copy several parts, or whose spans are
    unknown, join the part they overlap most (the first, on a tie). One group, the whole
    cluster, when there are no such parts.

    ``found``: each member's spans against the representative (:func:`member_alignments`).
    """
    rep = cluster.representative
    everyone = [list(range(len(cluster.members)))]
    hulls = {k: (min(s.a_start for s in spans), max(s.a_end for s in spans)) for k, spans in enumerate(found) if k != rep and spans}
    if len(hulls) < 2:
        return everyone
    whole = max(e for _, e in hulls.values()) - min(s for s, _ in hulls.values())
    partial = sorted((h, k) for k, h in hulls.items() if h[1] - h[0] < PART_SHARE * whole)
    groups: list[list[int]] = []
    bounds: list[list[int]] = []
    for (s, e), k in partial:
        if bounds and s <= bounds[-1][1] - PART_OVERLAP:
            groups[-1].append(k)
            bounds[-1][1] = max(bounds[-1][1], e)
        else:
            groups.append([k])
            bounds.append([s, e])
    if len(groups) < 2:
        return everyone
    placed = {k for _, k in partial}
    for k in range(len(cluster.members)):
        if k == rep or k in placed:
            continue
        s, e = hulls.get(k, (0, 0))
        overlap = [min(e, b) - max(s, a) for a, b in bounds]
        groups[overlap.index(max(overlap))].append(k)
    return [sorted([rep, *g]) for g in groups]


def _cut(m: Member, lo: int, hi: int) -> Member:
    if hi - lo >= TRIM_SHARE * len(m.text):
        return m
    lo = lo if lo >= MIN_TRIM else 0
    hi = hi if len(m.text) - hi >= MIN_TRIM else len(m.text)
    if (lo, hi) == (0, len(m.text)) or hi <= lo:
        return m
    text = m.text
    return replace(
        m,
        start=m.start + lo,
        end=m.start + hi,
        line_start=m.line_start + text.count("\n", 0, lo),
        line_end=m.line_start + text.count("\n", 0, max(lo, hi - 1)),
        text=text[lo:hi],
    )


def within_spans(doc: Document, config: AlignConfig | None = None) -> list[PairSpan]:
    """Text repeated inside one document (a speech pasted twice into a compilation)."""
    config = config or AlignConfig()
    return [(doc.id, doc.id, span) for span in align_within(doc.text, config=config)]


#: Two spans of one document pair this close on both sides (characters), in the same
#: order, are one span: a copy the clusters hold in pieces (each of the source's
#: paragraphs matched the one paragraph it was pasted into) is reported whole.
MERGE_GAP = 60


def alignments_of(spans: Iterable[PairSpan], texts: Mapping[str, str] | None = None) -> tuple[Alignment, ...]:
    """One :class:`Alignment` per pair of documents, spans sorted and the same span kept once;
    with the documents' ``texts``, consecutive spans at most :data:`MERGE_GAP` apart on
    both sides are merged (what lies between them becomes an edit)."""
    found: dict[tuple[str, str], dict[tuple[int, int, int, int], ReuseSpan]] = defaultdict(dict)
    for a, b, span in spans:
        found[(a, b)][span_key(span)] = span
    out = []
    for (a, b), by_key in sorted(found.items()):
        ordered = [by_key[k] for k in sorted(by_key)]
        if texts is not None and a != b:
            ordered = _merged([_grown(x, texts[a], texts[b]) for x in _merged(_outermost(ordered), texts[a], texts[b])], texts[a], texts[b])
            ordered = _outermost(ordered)
        out.append(Alignment(a, b, tuple(ordered)))
    return tuple(out)


def _outermost(spans: list[ReuseSpan]) -> list[ReuseSpan]:
    """``spans`` (ordered by :func:`~neardup.align.span_key`) without those that lie inside
    another on both sides: a phrase that a copied passage holds twice matches its other
    occurrence too, inside the span of the whole copy, and says nothing that span does
    not. One sweep: each span is checked against the one reaching furthest in A so far."""
    out: list[ReuseSpan] = []
    reach: ReuseSpan | None = None
    for t in sorted(spans, key=lambda x: (x.a_start, -x.a_end, x.b_start, -x.b_end)):
        if reach is not None and t.a_end <= reach.a_end and reach.b_start <= t.b_start and t.b_end <= reach.b_end:
            continue
        out.append(t)
        if reach is None or t.a_end > reach.a_end:
            reach = t
    return sorted(out, key=span_key)


def _merged(spans: list[ReuseSpan], text_a: str, text_b: str) -> list[ReuseSpan]:
    out: list[ReuseSpan] = []
    for t in spans:
        s = out[-1] if out else None
        if s is not None and _bridged(s, t, text_a, text_b):
            out[-1] = _joined_spans(s, t, text_a, text_b)
        else:
            out.append(t)
    return out


#: Consecutive spans further apart than :data:`MERGE_GAP` are still one when what lies
#: between them, at most this long on either side, is itself mostly the same text: a
#: sentence that straddles two passages on one side matched neither whole.
MAX_BRIDGE = 400
#: ... "mostly": :class:`difflib.SequenceMatcher` ratio of the two gaps (case and
#: spacing folded).
BRIDGE_RATIO = 0.6


def _bridged(s: ReuseSpan, t: ReuseSpan, text_a: str, text_b: str) -> bool:
    da, db = t.a_start - s.a_end, t.b_start - s.b_end
    if da < 0 or db < 0:  # overlapping: one copy aligned in two pieces that share their edge
        return -MERGE_GAP <= min(da, db) and max(da, db) <= MERGE_GAP and t.a_end > s.a_end and t.b_end > s.b_end
    if da <= MERGE_GAP and db <= MERGE_GAP:
        return True
    if da > MAX_BRIDGE or db > MAX_BRIDGE:
        return False
    ga, gb = (" ".join(x.casefold().split()) for x in (text_a[s.a_end : t.a_start], text_b[s.b_end : t.b_start]))
    return difflib.SequenceMatcher(None, ga, gb, autojunk=False).ratio() >= BRIDGE_RATIO


#: How far past a span's end (before its start) the text is looked at for the copy going on.
GROW_WINDOW = 400
#: The copy goes on when the next this many letters or digits (case folded) are the same on
#: both sides; only then is the window aligned.
GROW_PROBE = 12
_ALNUM = re.compile(r"\w", re.UNICODE)


def _letters(text: str) -> str:
    """The first :data:`GROW_PROBE` letters or digits of ``text``, case folded (looked for in
    its first few dozen characters only: this runs for every span)."""
    return "".join(_ALNUM.findall(text, 0, 4 * GROW_PROBE)).casefold()[:GROW_PROBE]


def _same_letters(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` start with the same :data:`GROW_PROBE` letters or digits
    (and have that many): each side read once."""
    first = _letters(a)
    return len(first) == GROW_PROBE and first == _letters(b)


def _grown(span: ReuseSpan, text_a: str, text_b: str) -> ReuseSpan:
    """The span carried on where its copy goes on past it on both sides (the members it was
    aligned in ended there: a first or last paragraph too short to match on its own)."""
    probe = 4 * GROW_PROBE
    if _same_letters(text_a[span.a_end : span.a_end + probe], text_b[span.b_end : span.b_end + probe]):
        after_a, after_b = text_a[span.a_end : span.a_end + GROW_WINDOW], text_b[span.b_end : span.b_end + GROW_WINDOW]
        more = [x for x in align_pair(after_a, after_b) if x.a_start <= MERGE_GAP and x.b_start <= MERGE_GAP]
        if more:
            # Lines counted from the span's own (a book has hundreds of spans: no count from its start).
            la = span.a_line_end + (text_a[span.a_end - 1] == "\n") - 1
            lb = span.b_line_end + (text_b[span.b_end - 1] == "\n") - 1
            moved = shift_span(more[0], span.a_end, span.b_end, la, lb)
            span = _joined_spans(span, moved, text_a, text_b)
    a0, b0 = max(0, span.a_start - GROW_WINDOW), max(0, span.b_start - GROW_WINDOW)
    if _same_letters(text_a[max(a0, span.a_start - probe) : span.a_start][::-1], text_b[max(b0, span.b_start - probe) : span.b_start][::-1]):
        before_a, before_b = text_a[a0 : span.a_start], text_b[b0 : span.b_start]
        less = [x for x in align_pair(before_a, before_b) if len(before_a) - x.a_end <= MERGE_GAP and len(before_b) - x.b_end <= MERGE_GAP]
        if less:
            la = span.a_line_start - text_a.count("\n", a0, span.a_start) - 1
            lb = span.b_line_start - text_b.count("\n", b0, span.b_start) - 1
            moved = shift_span(less[-1], a0, b0, la, lb)
            span = _joined_spans(moved, span, text_a, text_b)
    return span


def _joined_spans(s: ReuseSpan, t: ReuseSpan, text_a: str, text_b: str) -> ReuseSpan:
    """``s`` and ``t`` as one span; what lies between them is an edit. Where ``t`` starts
    inside ``s`` (:func:`_bridged`), the shared edge counts once: ``t``'s matches and
    edits there are ``s``'s already."""
    a1, b1 = max(t.a_start, s.a_end), max(t.b_start, s.b_end)
    ga, gb = text_a[s.a_end : a1], text_b[s.b_end : b1]
    gap: tuple[Edit, ...] = ()
    if any(ch.isalnum() for ch in ga + gb):  # not just the line breaks and punctuation between paragraphs
        kind = "substitute" if ga and gb else ("delete" if ga else "insert")
        gap = (Edit(kind, s.a_end, a1, s.b_end, b1, ga, gb),)  # type: ignore[arg-type]
    overlap = max(0, min(s.a_end - t.a_start, s.b_end - t.b_start))
    later = tuple(e for e in t.edits if e.a_start >= s.a_end and e.b_start >= s.b_end)
    sizes = [(x.a_end - x.a_start) + (x.b_end - x.b_start) for x in (s, t)]
    whole = (t.a_end - s.a_start) + (t.b_end - s.b_start)
    ratio = sum((x.ratio or 0.0) * n for x, n in zip((s, t), sizes)) / max(whole, 1)
    return replace(
        s,
        a_end=t.a_end,
        b_end=t.b_end,
        a_line_end=t.a_line_end,
        b_line_end=t.b_line_end,
        ratio=round(min(ratio, 1.0), 4),  # an edge counted on both sides can pass 1
        matched=s.matched + max(t.matched - overlap, 0),
        edits=s.edits + gap + later,
    )


def align_clusters(
    docs: Sequence[Document],
    clusters: Sequence[Cluster],
    within: Sequence[int] = (),
    config: AlignConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Alignment, ...]:
    """Reused spans of every cluster member against its representative, and of repeats
    inside the documents numbered ``within``; one :class:`Alignment` per pair of documents
    (named in id order).

    The scan runs :func:`member_spans` and :func:`within_spans` in its worker processes
    and collects them with :func:`alignments_of`; this is the same in one process.
    """
    config = config or AlignConfig()
    total = max(len(within) + len(clusters), 1)
    if progress:
        progress(0, total)
    spans: list[PairSpan] = []
    for n, d in enumerate(within):
        spans.extend(within_spans(docs[d], config))
        if progress:
            progress(n + 1, total)
    for n, cluster in enumerate(clusters):
        spans.extend(member_spans(cluster, config))
        if progress:
            progress(len(within) + n + 1, total)
    return alignments_of(spans, {d.id: d.text for d in docs})
