"""Documents -> boilerplate runs: text that recurs for reasons other than copying.

A stage of its own between passages and candidates: what it finds is reported, and (by
default) masked out of the shingles, so it makes no match, no cluster edge and no part
of any similarity.

- ``corpus``: phrases and formulas that stand alone. A phrase is a run of at most
  ``phrase_chars`` normalised characters every ``min_chars`` window of which occurs in
  at least ``min_docs`` distinct documents (党政主要负责人履行推进法治建设第一责任人职责, a
  copyright line); a formula, a run of at most ``formula_chars`` whose windows occur in
  at least ``formula_docs`` documents (同志们，让我们紧密团结在……而努力奋斗！, a stock
  paragraph in a thousand speeches). Either counts only when it stands alone: the text
  around it that at least ``standalone`` times as many documents carry (bridged over
  ``context_gap`` characters) is at most ``formula_chars`` long. A formula in 300
  speeches sits among text of one speech, or of the two or three that copy it; a
  sentence of a speech that twelve offices copied sits among text the same twelve carry
  (every office edits elsewhere, so no single run is long), so it is part of their copy,
  not boilerplate. A longer shared run is a copy too. Counting distinct documents, not occurrences, keeps
  a speech copied twice into one compilation from looking common.
- ``page``: on one page, the short lines before its first line of prose and after its
  last (menus, breadcrumbs, bylines, copyright and link lines): what jusText calls the
  page's edges, visible even when the corpus holds one page from each site.
- ``base``: runs shared with a known template or boilerplate file given with ``--base``
  (JPlag's base code): never counted as copied.

Corpus counting is two passes over the documents, both linear: every document's
distinct windows are counted once (:func:`count_windows`, one sort of all of them), then
each document looks its windows up (:func:`find_runs`). Only windows carried by two or
more documents are kept between the passes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from neardup.config import BoilerplateConfig, ShingleConfig
from neardup.arrays import unique
from neardup.model import Boilerplate, Document, pickled_by_position
from neardup.normalize import Normalized, code_points
from neardup.passages import Records, line_starts
from neardup.shingle import compiled_kernels, shingle_hashes, shingle_hashes_many

__all__ = [
    "BOILERPLATE_DTYPE",
    "KINDS",
    "KIND_CODE",
    "BoilerRun",
    "BoilerplateArray",
    "RUN_DTYPE",
    "RunTable",
    "WindowCounts",
    "boilerplate_mask",
    "corpus_runs_numpy",
    "count_windows",
    "distinct_windows_many",
    "document_windows",
    "find_boilerplate",
    "find_runs",
    "find_runs_and_shared",
    "record_spans",
    "windows_many",
]


@pickled_by_position
@dataclass(frozen=True, slots=True)
class BoilerRun:
    """Boilerplate in one document, in **normalised** offsets (scan maps them back)."""

    start: int
    end: int
    kind: str
    documents: int


#: The kinds of boilerplate, numbered (``KIND_CODE``) as :data:`RUN_DTYPE` and :data:`BOILERPLATE_DTYPE` store them.
KINDS = ("corpus", "page", "base")
KIND_CODE = {kind: n for n, kind in enumerate(KINDS)}
#: One :class:`BoilerRun` as a record.
RUN_DTYPE = np.dtype([("start", np.int64), ("end", np.int64), ("documents", np.int64), ("kind", np.int8)])
#: One :class:`~neardup.model.Boilerplate` record as a record, its text left in its
#: document (``doc``: the document's number in the scan's id order).
BOILERPLATE_DTYPE = np.dtype(
    [("doc", np.int64), ("start", np.int64), ("end", np.int64), ("line_start", np.int64), ("line_end", np.int64),
     ("documents", np.int64), ("kind", np.int8)]
)  # fmt: skip


class RunTable(Sequence[Sequence[BoilerRun]]):
    """Every document's boilerplate runs as records (``runs[d]``: document ``d``'s, as
    :class:`BoilerRun` objects made when asked for).

    A redundant corpus is half boilerplate: 300 MB of it hold a million and a half runs
    from the second pass to the families, 25 bytes each this way against about 150 as
    objects (with their integers).
    """

    __slots__ = ("bounds", "rows")

    def __init__(self, rows: npt.NDArray[np.void], bounds: npt.NDArray[np.int64]) -> None:
        self.rows, self.bounds = rows, bounds  # document d's runs: rows[bounds[d] : bounds[d + 1]]

    @classmethod
    def of(cls, runs: Sequence[Sequence[BoilerRun]]) -> RunTable:
        rows = np.array([(r.start, r.end, r.documents, KIND_CODE[r.kind]) for doc in runs for r in doc], dtype=RUN_DTYPE)
        return cls(rows, np.concatenate(([0], np.cumsum([len(doc) for doc in runs]))).astype(np.int64))

    @classmethod
    def joined(cls, tables: Sequence[RunTable]) -> RunTable:
        """The tables of consecutive runs of documents, as one."""
        if not tables:
            return cls(np.empty(0, dtype=RUN_DTYPE), np.zeros(1, dtype=np.int64))
        starts = np.cumsum([0] + [len(t.rows) for t in tables[:-1]])
        bounds = np.concatenate([[0]] + [t.bounds[1:] + start for t, start in zip(tables, starts)])
        return cls(np.concatenate([t.rows for t in tables]), bounds.astype(np.int64))

    def __len__(self) -> int:
        return len(self.bounds) - 1

    @overload
    def __getitem__(self, d: int) -> Sequence[BoilerRun]: ...
    @overload
    def __getitem__(self, d: slice) -> list[Sequence[BoilerRun]]: ...
    def __getitem__(self, d: int | slice) -> Sequence[BoilerRun] | list[Sequence[BoilerRun]]:
        if isinstance(d, slice):
            return [self[i] for i in range(*d.indices(len(self)))]
        if d < 0:
            d += len(self)
        if not 0 <= d < len(self):
            raise IndexError(d)
        return _DocumentRuns(self.rows, int(self.bounds[d]), int(self.bounds[d + 1]))

    def __iter__(self) -> Iterator[Sequence[BoilerRun]]:
        return (self[d] for d in range(len(self)))

    def __repr__(self) -> str:
        return f"RunTable({len(self)} documents, {len(self.rows)} runs)"


class _DocumentRuns(Sequence[BoilerRun]):
    """One document's runs in a :class:`RunTable`: a run is made when looked at (the
    families look at one run of a document at a time)."""

    __slots__ = ("end", "rows", "start")

    def __init__(self, rows: npt.NDArray[np.void], start: int, end: int) -> None:
        self.rows, self.start, self.end = rows, start, end

    def __len__(self) -> int:
        return self.end - self.start

    @overload
    def __getitem__(self, j: int) -> BoilerRun: ...
    @overload
    def __getitem__(self, j: slice) -> list[BoilerRun]: ...
    def __getitem__(self, j: int | slice) -> BoilerRun | list[BoilerRun]:
        if isinstance(j, slice):
            return list(self)[j]
        if j < 0:
            j += len(self)
        if not 0 <= j < len(self):
            raise IndexError(j)
        start, end, documents, kind = self.rows[self.start + j].item()
        return BoilerRun(start, end, KINDS[kind], documents)

    def __iter__(self) -> Iterator[BoilerRun]:
        rows = self.rows[self.start : self.end].tolist()
        return (BoilerRun(start, end, KINDS[kind], documents) for start, end, documents, kind in rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))


def record_spans(records: Sequence[Boilerplate]) -> Iterator[tuple[str, int, int]]:
    """``(doc_id, start, end)`` of each boilerplate record, without making the records
    (and cutting their text) when they are rows."""
    if isinstance(records, BoilerplateArray):
        ids = [d.id for d in records.docs]
        rows = records.rows
        return ((ids[d], s, e) for d, s, e in zip(rows["doc"].tolist(), rows["start"].tolist(), rows["end"].tolist()))
    return ((r.doc_id, r.start, r.end) for r in records)


class BoilerplateArray(Records[Boilerplate]):
    """Boilerplate records kept as rows; each is a :class:`~neardup.model.Boilerplate`,
    its text cut from its document, when looked at.

    As objects, each with its own copy of the text, a redundant 300 MB corpus's million
    and a half records held most of a gigabyte until the report was written.
    """

    __slots__ = ("docs",)

    def __init__(self, rows: npt.NDArray[np.void], docs: Sequence[Document]) -> None:
        super().__init__(rows)
        self.docs = docs

    def _item(self, fields: tuple[Any, ...]) -> Boilerplate:
        d, start, end, line_start, line_end, documents, kind = fields
        doc = self.docs[d]
        return Boilerplate(doc.id, start, end, line_start, line_end, KINDS[kind], documents, doc.text[start:end])

    def _with(self, rows: npt.NDArray[np.void]) -> BoilerplateArray:
        return BoilerplateArray(rows, self.docs)

    def dicts(self) -> Iterator[dict[str, Any]]:
        """Each record as the dict of its fields, without making the record: the report
        writes a million and a half of them for a 300 MB corpus."""
        docs = self.docs
        for d, start, end, line_start, line_end, documents, kind in self.tuples():
            doc = docs[d]
            yield {
                "doc_id": doc.id, "start": start, "end": end, "line_start": line_start, "line_end": line_end,
                "kind": KINDS[kind], "documents": documents, "text": doc.text[start:end],
            }  # fmt: skip


#: A window table this large is searched by bucket (compiled); a smaller one stays in
#: cache, where a binary search is as quick and no compiler is loaded (the gate starts fast).
BUCKET_MIN_VALUES = 1 << 18


@dataclass(frozen=True)
class WindowCounts:
    """How many distinct documents carry each window seen in two or more of them.

    ``values`` is sorted; a window that is absent is carried by one document (or none).
    """

    values: npt.NDArray[np.uint64]
    counts: npt.NDArray[np.int64]
    #: Where each bucket of ``values`` (by top bits) starts, made on the first compiled
    #: lookup: a redundant corpus holds tens of millions of shared windows, and a binary
    #: search per window (25 cache misses) was half the prepare stage.
    _starts: list[npt.NDArray[np.int64]] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def empty(cls) -> WindowCounts:
        return cls(np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64))

    def lookup(self, windows: npt.NDArray[np.uint64], compiled: bool = False) -> npt.NDArray[np.int64]:
        """Document count of each window (1 for windows not kept); ``compiled`` as in
        :func:`find_runs_and_shared`."""
        if len(self.values) == 0 or len(windows) == 0:
            return np.ones(len(windows), dtype=np.int64)
        kernels = self.kernels(compiled)
        if kernels is not None:
            shift, starts = self._buckets()
            out = np.empty(len(windows), dtype=np.int64)
            kernels.bucket_lookup(self.values, self.counts, starts, shift, np.ascontiguousarray(windows, dtype=np.uint64), out)
            return out
        pos = np.minimum(np.searchsorted(self.values, windows), len(self.values) - 1)
        return np.where(self.values[pos] == windows, self.counts[pos], 1)

    def kernels(self, compiled: bool = False) -> ModuleType | None:
        """The compiled kernels for work on this table: when the caller loaded them anyway
        (``compiled``) or the table is large; a small job (the gate) loads no compiler."""
        return compiled_kernels() if compiled or len(self.values) >= BUCKET_MIN_VALUES else None

    def _buckets(self) -> tuple[np.uint64, npt.NDArray[np.int64]]:
        bits = max(1, min(30, int(len(self.values)).bit_length() - 2))  # about 2 to 4 windows a bucket
        shift = np.uint64(64 - bits)
        if not self._starts:
            sizes = np.bincount((self.values >> shift).astype(np.int64), minlength=1 << bits)
            self._starts.append(np.concatenate(([0], np.cumsum(sizes))).astype(np.int64))
        return shift, self._starts[0]


def window_hashes(text: str, k: int) -> npt.NDArray[np.uint64]:
    """Hashes of every ``k``-character window of a normalised text (none if shorter)."""
    if len(text) < k:
        return np.empty(0, dtype=np.uint64)
    return shingle_hashes(text, ShingleConfig(ngram=k))


def windows_many(texts: Sequence[str], k: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """:func:`window_hashes` of every text, end to end, and the offsets of each text's run
    (hashed together: compiled for a large batch, no numpy calls per text)."""
    hashes, offsets = shingle_hashes_many(texts, ShingleConfig(ngram=k))
    short = np.fromiter((len(t) < k for t in texts), dtype=bool, count=len(texts)) & (np.diff(offsets) > 0)
    if not short.any():
        return hashes, offsets
    keep = np.ones(len(hashes), dtype=bool)
    keep[offsets[:-1][short]] = False  # a text shorter than a window has none (not one short shingle)
    counts = np.diff(offsets) - short
    return hashes[keep], np.concatenate(([0], np.cumsum(counts))).astype(np.int64)


def distinct_windows_many(texts: Sequence[str], k: int) -> npt.NDArray[np.uint64]:
    """:func:`document_windows` of every text, end to end (what :func:`count_windows` counts)."""
    hashes, offsets = windows_many(texts, k)
    parts = [_distinct(hashes[lo:hi].copy()) for lo, hi in zip(offsets[:-1].tolist(), offsets[1:].tolist())]
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)


def document_windows(text: str, k: int) -> npt.NDArray[np.uint64]:
    """Sorted distinct ``k``-character windows of one normalised text."""
    return _distinct(window_hashes(text, k))


def _distinct(w: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Sorted distinct values of ``w`` (sorted in place)."""
    w.sort()
    return w[np.concatenate(([True], w[1:] != w[:-1]))] if len(w) else w


def count_windows(per_document: Iterable[npt.NDArray[np.uint64]], capacity: int = 0) -> WindowCounts:
    """Count, for each window, the documents whose distinct windows hold it.

    ``per_document`` yields each document's :func:`document_windows`; ``capacity`` (their
    total length, when known) lets them go straight into one buffer. One in-place sort of
    all windows, then only the ones seen twice or more are kept.

    >>> c = count_windows([np.array([1, 2], np.uint64), np.array([2, 3], np.uint64), np.array([2], np.uint64)])
    >>> c.values.tolist(), c.counts.tolist()
    ([2], [3])
    """
    buffer = np.empty(max(capacity, 1), dtype=np.uint64)
    pos = 0
    for w in per_document:
        end = pos + len(w)
        if end > len(buffer):
            grown = np.empty(max(end, len(buffer) * 3 // 2), dtype=np.uint64)
            grown[:pos] = buffer[:pos]
            buffer = grown
        buffer[pos:end] = w
        pos = end
    allw = buffer[:pos]
    if pos < 2:
        return WindowCounts.empty()
    allw.sort()
    repeated = allw[1:][allw[1:] == allw[:-1]]  # one entry per extra document
    del buffer, allw
    if len(repeated) == 0:
        return WindowCounts.empty()
    edges = np.flatnonzero(np.concatenate(([True], repeated[1:] != repeated[:-1], [True])))
    return WindowCounts(repeated[edges[:-1]].copy(), (np.diff(edges) + 1).astype(np.int64))


def _runs(hit: npt.NDArray[np.bool_], k: int, n: int) -> list[tuple[int, int]]:
    """Character ranges covered by the windows (length ``k``) flagged in ``hit``."""
    if not hit.any():
        return []
    cover = np.zeros(n + 1, dtype=np.int64)
    idx = np.flatnonzero(hit)  # distinct, so plain fancy-index updates add up right
    cover[idx] += 1
    cover[np.minimum(idx + k, n)] -= 1
    on = np.cumsum(cover)[:n] > 0
    edges = np.flatnonzero(np.diff(np.concatenate(([False], on, [False])).astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def _run_array(hit: npt.NDArray[np.bool_], k: int, n: int) -> npt.NDArray[np.int64]:
    """:func:`_runs` as an ``(m, 2)`` array."""
    return np.array(_runs(hit, k, n), dtype=np.int64).reshape(-1, 2)


def _candidates(df: npt.NDArray[np.int64], k: int, n: int, floor: int, longest: int) -> npt.NDArray[np.int64]:
    """Runs whose windows at least ``floor`` documents carry, at most ``longest`` long:
    ``(start, end, documents)`` rows, ``documents`` the fewest of the run's windows
    (at or above ``floor``), all at once (no Python loop per run)."""
    runs = _run_array(df >= floor, k, n)
    runs = runs[runs[:, 1] - runs[:, 0] <= longest]
    if len(runs) == 0:
        return np.empty((0, 3), dtype=np.int64)
    big = np.iinfo(np.int64).max
    masked = np.concatenate((np.where(df >= floor, df, big), [big]))
    starts = runs[:, 0]
    stops = np.maximum(starts + 1, runs[:, 1] - k + 1)  # the windows that start inside the run
    carried = np.minimum.reduceat(masked, np.ravel(np.column_stack((starts, stops))))[0::2]
    return np.column_stack((runs, carried))


def _floor(count: float) -> int:
    """A document count rounded down to a power of two (at least 2): runs carried by
    similar numbers of documents share one computation of the stretches around them."""
    return max(2, 1 << max(int(count), 1).bit_length() - 1)


def _bridged(ranges: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    """Ranges at most ``gap`` characters apart, merged."""
    out: list[tuple[int, int]] = []
    for a, b in ranges:
        if out and a - out[-1][1] <= gap:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _stretch_lengths(
    df: npt.NDArray[np.int64], k: int, n: int, found: npt.NDArray[np.int64], config: BoilerplateConfig
) -> npt.NDArray[np.int64]:
    """For each run ``(start, end, documents)``, the length of the text around it that at
    least about ``standalone`` times as many documents carry (bridged over
    ``context_gap``), 0 when the run lies in none; one pass per power-of-two floor."""
    floors = np.array([_floor(c * config.standalone) for c in found[:, 2].tolist()], dtype=np.int64)
    out = np.zeros(len(found), dtype=np.int64)
    for floor in np.unique(floors).tolist():
        ranges = _bridged(_runs(df >= floor, k, n), config.context_gap)
        if not ranges:
            continue
        which = np.flatnonzero(floors == floor)
        starts = np.array([a for a, _ in ranges], dtype=np.int64)
        ends = np.array([b for _, b in ranges], dtype=np.int64)
        i = np.maximum(np.searchsorted(starts, found[which, 0], side="right") - 1, 0)
        inside = (starts[i] <= found[which, 0]) & (ends[i] >= found[which, 1])
        out[which] = np.where(inside, ends[i] - starts[i], 0)
    return out


def _union(found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Overlapping runs merged (the count of the merged run: the smallest)."""
    out: list[tuple[int, int, int]] = []
    for s, e, c in sorted(found):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e), min(out[-1][2], c))
        else:
            out.append((s, e, c))
    return out


#: A Latin line this long (normalised characters) that the next Latin line follows is a
#: hard-wrapped paragraph going on (a plain-text book, an e-mail): its lines are prose or
#: not together.
WRAPPED_CHARS = 40
#: ... and no longer than this: a line of a whole paragraph (a web page's) wraps nothing,
#: and the footer line after it is not its continuation.
WRAPPED_MAX_CHARS = 100
_CJK = re.compile(r"[\u3400-\u9fff]")


def _units(line: str) -> int:
    """Content units of a normalised line: a CJK (or other) character each, a Latin word
    each; normalisation may have dropped the spaces, so Latin letters count one unit in
    five (an English word's length and its space)."""
    latin = sum(len(w) for w in _LATIN.findall(line))
    return len(line) - latin - line.count(" ") + -(-latin // 5)


_LATIN = re.compile(r"[a-z0-9]+")
_LETTER = re.compile(r"[a-z]")


def _wrapped_units(text: str, lines: list[tuple[int, int]]) -> list[int]:
    """Each line's content units, a hard-wrapped Latin line counting its whole paragraph's:
    a wrapped line of English holds a dozen words, never 50, and would otherwise read as
    chrome beside a line of Chinese prose."""
    units = [_units(text[s:e]) for s, e in lines]
    latin = [bool(_LETTER.search(text[s:e])) and not _CJK.search(text[s:e]) for s, e in lines]
    out = list(units)
    start = 0
    for i in range(1, len(lines) + 1):
        joined = i < len(lines) and latin[i] and latin[i - 1] and WRAPPED_CHARS <= lines[i - 1][1] - lines[i - 1][0] <= WRAPPED_MAX_CHARS
        if not joined:
            total = sum(units[start:i])
            for k in range(start, i):
                out[k] = total
            start = i
    return out


def _content_units(raw: npt.NDArray[np.uint32], norm: Normalized, bounds: list[int]) -> list[int]:
    """Content units of each normalised line ``norm.text[bounds[i]:bounds[i + 1]]``: a
    character each but a Latin letter or digit, and a word each of those, the words
    counted in the original text (normalisation drops the spaces between them: a line of
    English would be one word); ``raw``: the original text's code points."""
    codes = code_points(norm.text)
    alnum = ((codes >= 0x61) & (codes <= 0x7A)) | ((codes >= 0x30) & (codes <= 0x39))
    other = np.concatenate(([0], np.cumsum(~alnum, dtype=np.int64)))
    latin = ((raw | 0x20) >= 0x61) & ((raw | 0x20) <= 0x7A) | ((raw >= 0x30) & (raw <= 0x39))
    word = latin.copy()
    word[1:] &= ~latin[:-1]
    words = np.concatenate(([0], np.cumsum(word, dtype=np.int64)))
    edges = np.asarray(bounds, dtype=np.int64)
    lo, hi = norm.start[edges[:-1]], norm.end[edges[1:] - 1]
    return (np.diff(other[edges]) + words[hi] - words[lo]).tolist()  # type: ignore[no-any-return]


def _page_edges(text: str, norm: Normalized, prose_chars: int, kernels: ModuleType | None = None) -> list[tuple[int, int]]:
    """Normalised ranges of the head and tail lines around a page's prose; with
    ``kernels``, in one compiled pass (:func:`neardup.kernels.page_edges`)."""
    if not norm.text:
        return []
    if kernels is not None:
        found = kernels.page_edges(code_points(text), code_points(norm.text), norm.start, norm.end, prose_chars, *_PAGE_LIMITS)
        return [edge for edge, at in zip([(0, found[0]), (found[1], len(norm.text))], found) if at >= 0]
    raw = code_points(text)  # one encoding for the lines and their words
    starts = line_starts(text, raw)
    char_line = np.searchsorted(starts, norm.start, side="right") - 1
    breaks = np.flatnonzero(np.diff(char_line)) + 1
    bounds = np.concatenate(([0], breaks, [len(norm.text)])).tolist()
    lines = list(zip(bounds, bounds[1:]))
    units = _content_units(raw, norm, bounds)
    if max(units, default=0) < prose_chars:  # no line of prose (a plain-text book: hard-wrapped lines): no edges
        return []
    # A page with prose: its hard-wrapped Latin paragraphs are prose too, not chrome.
    wrapped = _wrapped_units(norm.text, lines)
    prose = [i for i, (u, w) in enumerate(zip(units, wrapped)) if u >= prose_chars or w >= prose_chars]
    first, last = prose[0], prose[-1]
    head = _told(text, starts, char_line, lines, range(first))
    tail = _told(text, starts, char_line, lines, range(last + 1, len(lines)))
    first = min(head, default=first) if len(head) >= TOLD_LINES else first
    last = max(tail, default=last) if len(tail) >= TOLD_LINES else last
    head_edge = [(0, lines[first][0])] if first > 0 else []
    return head_edge + ([(lines[last][1], len(norm.text))] if last < len(lines) - 1 else [])


#: A page's head (or tail) that holds this many short lines of two sentences or more is
#: content from the first of them (the last) on, not chrome: quatrains before a volume's
#: first long poem, a news page's short opening paragraphs. Chrome is menus, titles, dates
#: and links, a sentence at most a line; a line or two of disclaimer stays chrome.
TOLD_LINES = 3
_PAGE_LIMITS = (WRAPPED_CHARS, WRAPPED_MAX_CHARS, TOLD_LINES)  # the compiled page edges' constants
#: What ends a sentence (full width: a ``?`` or ``!`` in a Latin line or a link says
#: nothing of sentences).
_SENTENCE_ENDS = "。！？"


def _told(
    text: str, starts: npt.NDArray[np.int64], char_line: npt.NDArray[np.int64], lines: list[tuple[int, int]], which: range
) -> list[int]:
    """Which of the normalised ``lines`` numbered ``which`` hold two sentences or more
    (counted in the original line: normalisation drops the punctuation)."""
    told = []
    for i in which:
        line = int(char_line[lines[i][0]])
        end = int(starts[line + 1]) if line + 1 < len(starts) else len(text)
        if sum(text.count(c, int(starts[line]), end) for c in _SENTENCE_ENDS) >= 2:
            told.append(i)
    return told


def corpus_runs_numpy(
    df: npt.NDArray[np.int64], k: int, n: int, config: BoilerplateConfig
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """From one document's window counts ``df``: the ranges two or more documents share
    ``(m, 2)``, and its corpus boilerplate runs ``(start, end, documents)``: phrases and
    formulas that stand alone, overlapping ones merged. The numpy twin of
    :func:`neardup.kernels.corpus_runs`, which a large corpus uses (a dozen numpy calls
    per document were half the prepare stage)."""
    shared = _run_array(df >= 2, k, n)
    found = np.concatenate(
        (_candidates(df, k, n, config.formula_docs, config.formula_chars), _candidates(df, k, n, config.min_docs, config.phrase_chars))
    )
    if len(found):
        alone = _stretch_lengths(df, k, n, found, config) <= config.formula_chars
        found = found[alone]
    merged = _union([(int(s), int(e), int(c)) for s, e, c in found.tolist()])
    return shared, np.array(merged, dtype=np.int64).reshape(-1, 3)


def find_runs(
    text: str,
    norm: Normalized,
    counts: WindowCounts,
    config: BoilerplateConfig | None = None,
    *,
    base: npt.NDArray[np.uint64] | None = None,
) -> list[BoilerRun]:
    """Boilerplate runs of one document (normalised offsets), sorted by start then kind.

    ``counts`` are the corpus's window counts (:func:`count_windows`); ``base`` the sorted
    distinct windows of the ``--base`` files.
    """
    return find_runs_and_shared(text, norm, counts, config, base=base)[0]


def find_runs_and_shared(
    text: str,
    norm: Normalized,
    counts: WindowCounts,
    config: BoilerplateConfig | None = None,
    *,
    base: npt.NDArray[np.uint64] | None = None,
    compiled: bool = False,
    windows: npt.NDArray[np.uint64] | None = None,
) -> tuple[list[BoilerRun], npt.NDArray[np.int64]]:
    """:func:`find_runs`, and the normalised ranges ``(n, 2)`` whose windows two or more
    documents carry (what the families stage looks at for shared sentence skeletons).

    ``compiled``: use the compiled kernels (when numba is there) whatever the size of
    ``counts``; a caller that has loaded them anyway (a scan's chunk) says so. Otherwise
    only a large window table loads them, so that a small job (the gate) starts fast.
    ``windows``: the text's :func:`window_hashes`, when the caller hashed many texts at
    once (:func:`windows_many`)."""
    config = config or BoilerplateConfig()
    k = config.min_chars
    n = len(norm.text)
    runs: list[BoilerRun] = []
    shared = np.empty((0, 2), dtype=np.int64)
    g = np.empty(0, np.uint64)
    if len(counts.values) or (base is not None and len(base)):
        g = window_hashes(norm.text, k) if windows is None else windows
    if len(counts.values) and len(g):
        df = counts.lookup(g, compiled)
        kernels = counts.kernels(compiled)
        if kernels is not None:
            c = config
            shared, found = kernels.corpus_runs(
                df, k, n, c.formula_docs, c.formula_chars, c.min_docs, c.phrase_chars, float(c.standalone), c.context_gap
            )
        else:
            shared, found = corpus_runs_numpy(df, k, n, config)
        runs.extend(BoilerRun(s, e, "corpus", carried) for s, e, carried in _worded(text, norm, found, k).tolist())
    if base is not None and len(base) and len(g):
        pos = np.minimum(np.searchsorted(base, g), len(base) - 1)
        in_base = base[pos] == g
        df = counts.lookup(g)
        for s, e in _runs(in_base, k, n):
            runs.append(BoilerRun(s, e, "base", int(df[s : max(s + 1, e - k + 1)].min())))
    if config.page_edges:
        runs.extend(BoilerRun(s, e, "page", 1) for s, e in _page_edges(text, norm, config.prose_chars, counts.kernels(compiled)))
    runs.sort(key=lambda r: (r.start, r.kind, r.end))
    return runs, shared


_LETTER_CODES = (ord("a"), ord("z"))  # normalised text is folded to lower case
_LATIN_LETTER = re.compile("[a-z]")
_WORD = re.compile(r"[^\W_]+")  # a run of letters and digits (full-width Latin too)


def _worded(text: str, norm: Normalized, found: npt.NDArray[np.int64], k: int) -> npt.NDArray[np.int64]:
    """The corpus runs ``(start, end, documents)`` that hold ``k`` words where they are
    written in Latin letters (most of their normalised characters).

    A window of ``k`` characters is a phrase in Chinese; in English it is two or three
    common words ("of the smallest", "arrived at the"), which any three books share: on
    the twelve English books of ``../shared/data`` such runs were a sixth of the text,
    reported as boilerplate and left out of every match. A Latin run counts words, as a
    Chinese one counts characters.
    """
    if not len(found) or _LATIN_LETTER.search(norm.text) is None:
        return found
    codes = code_points(norm.text)
    letters = np.concatenate(([0], np.cumsum((codes >= _LETTER_CODES[0]) & (codes <= _LETTER_CODES[1]), dtype=np.int64)))
    starts, ends = found[:, 0], found[:, 1]
    latin = (letters[ends] - letters[starts]) * 2 > ends - starts
    if not latin.any():
        return found
    keep = ~latin
    for r in np.flatnonzero(latin).tolist():
        begin, end = int(norm.start[starts[r]]), int(norm.end[ends[r] - 1])
        keep[r] = len(_WORD.findall(text, begin, end)) >= k
    return found[keep]


def find_boilerplate(
    texts: Sequence[str],
    norms: Sequence[Normalized],
    config: BoilerplateConfig | None = None,
    *,
    base: Sequence[Normalized] = (),
) -> list[list[BoilerRun]]:
    """Boilerplate runs of every document (normalised offsets), sorted by start then kind.

    Both passes at once, for callers that hold every document (the gate, tests).

    >>> from neardup.normalize import normalize
    >>> stock = "党政主要负责人履行推进法治建设第一责任人职责"
    >>> texts = ["县政府严格落实" + stock + "。", "胶州市全面落实" + stock + "情况", "全面" + stock]
    >>> runs = find_boilerplate(texts, [normalize(t) for t in texts], BoilerplateConfig(page_edges=False))
    >>> [(normalize(texts[0]).text[r.start:r.end], r.kind, r.documents) for r in runs[0]]
    [('党政主要负责人履行推进法治建设第一责任人职责', 'corpus', 3)]
    """
    config = config or BoilerplateConfig()
    k = config.min_chars
    counts = count_windows(document_windows(n.text, k) for n in norms) if len(norms) >= config.min_docs else WindowCounts.empty()
    base_windows = unique(np.concatenate([window_hashes(b.text, k) for b in base])) if base else None
    return [find_runs(t, n, counts, config, base=base_windows) for t, n in zip(texts, norms)]


def boilerplate_mask(n: int, runs: Sequence[BoilerRun], kinds: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Boolean mask over ``n`` normalised characters: inside some run of the given kinds."""
    mask = np.zeros(n, dtype=bool)
    for r in runs:
        if r.kind in kinds:
            mask[r.start : r.end] = True
    return mask


def masked_kinds(config: BoilerplateConfig) -> tuple[str, ...]:
    """The boilerplate kinds left out of matching: all of them, or only base text with ``link``."""
    return ("base",) if config.link else ("base", "corpus", "page")
