"""Document -> passages: the units compared, each with original offsets and lines.

Paragraphs (lines) are the natural unit of copying in speeches and reports: offices copy
a paragraph, rewrite the next. Short lines (headings, ``同志们：``) carry too few
shingles to compare, so they merge with the following lines up to ``min_chars``; very
long lines (a whole page with no line breaks) are cut at content-defined points: where a
rolling hash of the last few characters hits a fixed residue, as backup tools chunk
files. The same text is cut at the same places wherever it sits, so a copy pasted into
the middle of another long line produces the same passages as its source; fixed-offset
windows would slice the two copies at different phases and miss it.
"""

from __future__ import annotations

from abc import abstractmethod
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import TYPE_CHECKING, Any, TypeVar, overload

import numpy as np
import numpy.typing as npt

from neardup.config import PassageConfig
from neardup.model import Passage
from neardup.normalize import Normalized, code_points

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["PASSAGE_DTYPE", "LineIndex", "PassageArray", "RangeUnion", "Records", "covered", "joined_releasing", "line_count", "overlapping", "line_of", "line_starts", "passage_rows", "passage_table", "split_passages"]

#: One passage as a record: the fields of :class:`Passage`, in order. A million
#: passages take 64 MB this way, against about 250 MB as Python objects.
PASSAGE_DTYPE = np.dtype([(name, np.int64) for name in Passage.__slots__])


_T = TypeVar("_T")


class Records(Sequence[_T]):
    """Records kept as the rows of a numpy structured array; each is an object
    (``_item`` of the row's fields) when looked at.

    A large scan holds millions of passages, matches and boilerplate runs from one
    stage to the report: as rows they cost their fields (tens of bytes), as objects
    several times that. Equality is by items, with any sequence.
    """

    __slots__ = ("rows",)

    def __init__(self, rows: npt.NDArray[np.void]) -> None:
        self.rows = rows

    @abstractmethod
    def _item(self, fields: tuple[Any, ...]) -> _T:
        """The object one row's fields stand for."""

    def _with(self, rows: npt.NDArray[np.void]) -> Self:
        """The same kind of sequence over ``rows`` (a slice of these)."""
        return type(self)(rows)

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, i: int) -> _T: ...
    @overload
    def __getitem__(self, i: slice) -> Self: ...
    def __getitem__(self, i: int | slice) -> _T | Self:
        if isinstance(i, slice):
            return self._with(self.rows[i])
        return self._item(self.rows[i].item())

    def __iter__(self) -> Iterator[_T]:
        return map(self._item, self.tuples())

    def tuples(self) -> Iterator[tuple[Any, ...]]:
        """Each row's fields as a tuple, made a block of rows at a time."""
        for start in range(0, len(self.rows), 4096):
            yield from self.rows[start : start + 4096].tolist()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} records)"


class PassageArray(Records[Passage]):
    """Passages kept as records; each is a :class:`Passage` when looked at."""

    __slots__ = ()

    def _item(self, fields: tuple[Any, ...]) -> Passage:
        return Passage(*fields)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PassageArray):
            return bool(np.array_equal(self.rows, other.rows))
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]


def overlapping(rows: npt.NDArray[np.void], pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Pairs of passages that overlap in one document (a window and its neighbour)."""
    a, b = pairs[:, 0], pairs[:, 1]
    doc, start, end = rows["doc"], rows["start"], rows["end"]
    return (doc[a] == doc[b]) & (start[a] < end[b]) & (start[b] < end[a])  # type: ignore[no-any-return]


def joined_releasing(parts: list[Any], empty: Any) -> Any:
    """``np.concatenate(parts)``, each part let go (its slot set to ``None``) once
    copied: the parts and the whole are never all held at once (``empty``: the result
    when there are no parts)."""
    if not parts:
        return empty
    first = parts[0]
    out = np.empty((sum(len(p) for p in parts), *first.shape[1:]), dtype=first.dtype)
    pos = 0
    for k in range(len(parts)):
        out[pos : pos + len(parts[k])] = parts[k]
        pos += len(parts[k])
        parts[k] = None
    return out


def line_starts(text: str, codes: npt.NDArray[np.uint32] | None = None) -> np.ndarray:
    """Original offsets where each line begins (line 1 starts at 0); ``codes``: the text's
    :func:`~neardup.normalize.code_points`, when the caller has them."""
    codes = code_points(text) if codes is None else codes
    return np.concatenate(([0], np.flatnonzero(codes == 10) + 1)).astype(np.int64)


def line_of(text: str, offset: int) -> int:
    """The 1-based line of ``text`` that holds character ``offset``.

    >>> line_of("甲\\n乙\\n丙", 2)
    2
    """
    return text.count("\n", 0, offset) + 1


class LineIndex:
    """Line numbers of offsets in one text: its line starts found once, each lookup a
    binary search. :func:`line_of` counts from the start of the text every time, so a
    book's hundreds of spans read the book hundreds of times.

    >>> LineIndex("甲\\n乙\\n丙").of(2) == line_of("甲\\n乙\\n丙", 2) == 2
    True
    """

    __slots__ = ("_starts",)

    def __init__(self, text: str) -> None:
        self._starts: list[int] = line_starts(text).tolist()

    def of(self, offset: int) -> int:
        """The 1-based line that holds character ``offset`` (:func:`line_of`)."""
        return bisect_right(self._starts, offset)


def line_count(text: str) -> int:
    """Lines of ``text`` (a last line without a newline counts)."""
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


def covered(ranges: Iterable[tuple[int, int]]) -> int:
    """Characters inside at least one half-open range, each counted once.

    >>> covered([(0, 5), (3, 8), (10, 12)])
    10
    """
    return sum(e - s for s, e in merge_ranges(ranges))


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of half-open ranges, as sorted disjoint ranges (empty ones dropped).

    >>> merge_ranges([(5, 9), (0, 3), (2, 4), (7, 7)])
    [(0, 4), (5, 9)]
    """
    out: list[list[int]] = []
    for s, e in sorted(ranges):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


class RangeUnion:
    """The union of half-open ranges, asked how much of a range it covers: two binary
    searches and a running total, whatever the number of ranges.

    >>> RangeUnion([(0, 4), (2, 6), (10, 12)]).covered(3, 11)
    4
    """

    __slots__ = ("_ends", "_starts", "_total")

    def __init__(self, ranges: Iterable[tuple[int, int]]) -> None:
        merged = merge_ranges(ranges)
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]
        self._total = list(accumulate((e - s for s, e in merged), initial=0))

    def covered(self, start: int, end: int) -> int:
        """Characters of ``[start, end)`` inside the union."""
        lo = bisect_right(self._ends, start)  # the first range ending after ``start``
        hi = bisect_left(self._starts, end)  # past the last range starting before ``end``
        if lo >= hi:
            return 0
        return self._total[hi] - self._total[lo] - max(0, start - self._starts[lo]) - max(0, self._ends[hi - 1] - end)


def subtract_ranges(ranges: Iterable[tuple[int, int]], holes: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of ``ranges`` without ``holes``: one sweep over both, sorted (a document
    with thousands of boilerplate runs must not cost runs times passages).

    >>> subtract_ranges([(0, 10), (20, 30)], [(5, 22), (25, 26)])
    [(0, 5), (22, 25), (26, 30)]
    """
    gaps = merge_ranges(holes)
    out = []
    h = 0
    for s, e in merge_ranges(ranges):
        while h < len(gaps) and gaps[h][1] <= s:  # holes ending before this range: never needed again
            h += 1
        cur, k = s, h
        while k < len(gaps) and gaps[k][0] < e:
            hs, he = gaps[k]
            if hs > cur:
                out.append((cur, hs))
            cur = max(cur, he)
            k += 1
        if cur < e:
            out.append((cur, e))
    return out


def split_passages(
    doc: int, text: str, norm: Normalized, config: PassageConfig | None = None
) -> list[Passage]:
    """Cut one document into passages, in reading order.

    >>> from neardup.normalize import normalize
    >>> text = "标题\\n" + "第一段落的内容" * 10 + "\\n\\n" + "第二段" * 30
    >>> [(p.line_start, p.line_end) for p in split_passages(0, text, normalize(text))]
    [(1, 2), (4, 4)]
    """
    return list(PassageArray(passage_rows(doc, text, norm, config)))


def passage_rows(
    doc: int, text: str, norm: Normalized, config: PassageConfig | None = None
) -> npt.NDArray[np.void]:
    """:func:`split_passages` as records of :data:`PASSAGE_DTYPE` (no object per passage)."""
    return passage_table(doc, text, norm, config).view(PASSAGE_DTYPE).ravel()


def passage_table(
    doc: int, text: str, norm: Normalized, config: PassageConfig | None = None
) -> npt.NDArray[np.int64]:
    """:func:`passage_rows` as a plain ``(n, 8)`` int64 array, one column per field."""
    config = config or PassageConfig()
    if not norm.text:
        return np.empty((0, len(Passage.__slots__)), dtype=np.int64)
    starts = line_starts(text)
    # Line (0-based) of every normalised character; paragraphs are runs of equal lines.
    char_line = np.searchsorted(starts, norm.start, side="right") - 1
    breaks = np.flatnonzero(np.diff(char_line)) + 1
    para_bounds = np.concatenate(([0], breaks, [len(norm.text)]))
    windows = [w for ns, ne in _merge_short(para_bounds, config.min_chars, _letters_before(norm.text)) for w in _windows(norm.text, ns, ne, config)]
    bounds = np.array(windows, dtype=np.int64).reshape(-1, 2)
    ws, we = bounds[:, 0], bounds[:, 1]
    table = np.empty((len(bounds), len(Passage.__slots__)), dtype=np.int64)
    table[:, 0] = doc
    table[:, 1] = np.arange(len(bounds))
    table[:, 2] = norm.start[ws]
    table[:, 3] = norm.end[we - 1]
    table[:, 4] = char_line[ws] + 1
    table[:, 5] = char_line[we - 1] + 1
    table[:, 6] = ws
    table[:, 7] = we
    return table


def _letters_before(norm_text: str) -> npt.NDArray[np.int64] | None:
    """Characters other than spaces before each offset of ``norm_text``, when it has spaces
    (the word spaces of ``tokens="words"``; character mode keeps none).

    A passage's length is its characters without them, in both modes: counted with its
    spaces, a hard-wrapped line of English (about 55 letters) made a passage on its own
    under word shingles, too short for any copy of it to reach the aligner's 60 matched
    characters, so copies of whole paragraphs went unfound.
    """
    if " " not in norm_text:
        return None
    return np.concatenate(([0], np.cumsum(code_points(norm_text) != ord(" "), dtype=np.int64)))


def _merge_short(bounds: np.ndarray, min_chars: int, letters: npt.NDArray[np.int64] | None = None) -> list[tuple[int, int]]:
    """Merge consecutive paragraphs until each reaches ``min_chars`` (the last one joins its
    predecessor); ``letters``: :func:`_letters_before`, to count lengths without spaces."""

    def size(start: int, end: int) -> int:
        return end - start if letters is None else int(letters[end] - letters[start])

    merged: list[tuple[int, int]] = []
    cur_start = int(bounds[0])
    for end in bounds[1:]:
        end = int(end)
        if size(cur_start, end) >= min_chars:
            merged.append((cur_start, end))
            cur_start = end
    if cur_start < int(bounds[-1]):
        if merged and size(cur_start, int(bounds[-1])) < min_chars:
            merged[-1] = (merged[-1][0], int(bounds[-1]))
        else:
            merged.append((cur_start, int(bounds[-1])))
    return merged


_ANCHOR_WIDTH = 8


def _cut_points(codes: np.ndarray, min_chars: int, max_chars: int) -> list[int]:
    """Content-defined cuts: an anchor is where the hash of the preceding 8 chars is 0 mod d."""
    n = len(codes)
    mixed = (codes.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(20)
    csum = np.concatenate((np.zeros(1, dtype=np.uint64), np.cumsum(mixed, dtype=np.uint64)))
    window = csum[_ANCHOR_WIDTH:] - csum[:-_ANCHOR_WIDTH]  # hash of chars [i-8, i)
    divisor = max(1, (max_chars - min_chars) // 2)
    anchors = np.flatnonzero(window % np.uint64(divisor) == 0) + _ANCHOR_WIDTH
    cuts, last = [], 0
    for a in anchors.tolist():
        while a - last > max_chars:
            last += max_chars
            cuts.append(last)
        if a - last >= min_chars and n - a >= min_chars:
            cuts.append(a)
            last = a
    while n - last > max_chars:
        last += max_chars
        cuts.append(last) if n - last >= min_chars else None
    return cuts


def _windows(norm_text: str, start: int, end: int, config: PassageConfig) -> list[tuple[int, int]]:
    if end - start <= config.max_chars:
        return [(start, end)]
    bounds = [0, *_cut_points(code_points(norm_text[start:end]), config.min_chars, config.max_chars), end - start]
    return [(start + a, start + b) for a, b in zip(bounds, bounds[1:])]
