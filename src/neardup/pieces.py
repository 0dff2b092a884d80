"""Documents -> the pieces of text they share with others: what template families are made of.

One pass over the normalised documents (normalising again costs as much as the rest of
the families stage) finds three kinds of piece, each with the documents carrying it:

- the windows of each document's corpus and base boilerplate runs (flat arrays);
- the lines of its page head and tail (a site's chrome, digits folded; short
  consecutive lines grouped: a menu);
- its sentence skeletons: sentences mostly on text other documents carry too, outside
  boilerplate, with the slots a template leaves to fill folded (numbers, blanks, place
  names).

:mod:`neardup.families` weighs them and groups documents by them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from neardup.boilerplate import BoilerRun
from neardup.config import ShingleConfig
from neardup.model import Document
from neardup.normalize import Normalized
from neardup.passages import joined_releasing, line_starts
from neardup.shingle import shingle_hashes
from neardup.templates import DocumentWords

__all__ = [
    "DocumentPieces",
    "MIN_CHROME_CHARS",
    "MIN_SKELETON_CHARS",
    "PieceMerger",
    "Pieces",
    "corpus_texts",
    "find_pieces",
    "merge_pieces",
    "norm_range",
    "shared_only",
]

#: A chrome line (or a group of consecutive shorter lines: a menu) counts from this many
#: normalised characters: a salutation like 同志们 is not a site's chrome.
MIN_CHROME_CHARS = 6
#: A sentence skeleton counts when this many of its normalised characters are not slots.
MIN_SKELETON_CHARS = 12
#: What a template's blanks are filled with, folded in a sentence's skeleton: numbers,
#: blanks (``20xx``), and place names (up to four characters before 省市县区州镇乡村).
#: A regular expression, not jieba's part-of-speech tags: cutting every sentence of a
#: large corpus into words costs minutes; this folds on every side alike.
_SLOT_FILL = re.compile(r"(?:[0-9]+|\ue000|[\u4e00-\u9fff]{1,4}?[省市县区州镇乡村])+")
#: A character every match of :data:`_SLOT_FILL` holds.
_SLOT_CHAR = re.compile(r"[0-9\ue000省市县区州镇乡村]")
_DIGITS = re.compile(r"[0-9]+")


@dataclass
class Pieces:
    """Shared-text pieces of the corpus: string keys (lines, skeletons) and their postings."""

    ids: dict[str, int]
    kinds: list[str]
    chars: list[int]
    where: list[dict[int, tuple[int, int, int, int]]]  # piece -> {doc: original and normalised [start, end) of its first occurrence}

    def add(self, key: str, kind: str, chars: int, doc: int, span: tuple[int, int, int, int]) -> None:
        i = self.ids.get(key)
        if i is None:
            i = self.ids[key] = len(self.kinds)
            self.kinds.append(kind)
            self.chars.append(chars)
            self.where.append({})
        self.where[i].setdefault(doc, span)


@dataclass
class DocumentPieces:
    """What both graphs need from each document's normalised text, found in one pass
    (normalising again costs as much as the rest of the stage). The boilerplate runs'
    windows are flat arrays, not an array per run: a corpus has hundreds of thousands."""

    windows: npt.NDArray[np.uint64]  # every kept (corpus or base) run's windows, run after run
    win_first: npt.NDArray[np.int64]  # run r's windows: windows[win_first[r]:win_first[r + 1]]
    run_first: npt.NDArray[np.int64]  # document d's runs: run_first[d]:run_first[d + 1]
    run_index: npt.NDArray[np.int64]  # each run's index in its document's runs
    pieces: Pieces
    carried: dict[str, list[str]]  # doc id -> its corpus boilerplate texts
    lengths: list[int]  # normalised length of each document


def find_pieces(
    docs: Sequence[Document],
    norms: Sequence[Normalized],
    runs: Sequence[Sequence[BoilerRun]],
    cut: DocumentWords,
    k: int,
    shared: Sequence[npt.NDArray[np.int64]] | None,
    *,
    first: int = 0,
    hashed: tuple[npt.NDArray[np.uint64] | None, npt.NDArray[np.int64] | None] = (None, None),
) -> DocumentPieces:
    """One pass over the documents: boilerplate windows, chrome lines, skeletons.

    ``first``: the number of the first document, when these are one chunk of a corpus
    (the scan runs chunks in its worker processes and puts them together with
    :func:`merge_pieces`). ``hashed``: every document's ``k``-character windows end to
    end and the offsets of each document's (:func:`~neardup.boilerplate.windows_many`),
    when the caller hashed them already.
    """
    hashed_all, hashed_at = hashed
    windows, counts, index = [], [], []
    run_first = [0]
    pieces: Pieces = Pieces({}, [], [], [])
    carried: dict[str, list[str]] = {}
    one: dict[str, str] = {}  # each text once, whatever the number of documents carrying it
    lengths: list[int] = []
    for d, (doc, norm, doc_runs) in enumerate(zip(docs, norms, runs)):
        lengths.append(len(norm.text))
        texts = corpus_texts(norm, doc_runs)
        if texts:
            carried[doc.id] = [one.setdefault(t, t) for t in texts]
        wanted = [(j, r) for j, r in enumerate(doc_runs) if r.kind in ("corpus", "base") and r.end - r.start >= k]
        if wanted:
            if hashed_all is None or hashed_at is None:
                grams = shingle_hashes(norm.text, ShingleConfig(ngram=k))
            else:
                grams = hashed_all[hashed_at[d] : hashed_at[d + 1]]
            mine = [grams[r.start : r.end - k + 1].copy() for _, r in wanted]  # copies: the document's other windows go
            windows.extend(mine)
            counts.extend(len(w) for w in mine)
            index.extend(j for j, _ in wanted)
        run_first.append(len(index))
        _chrome_lines(pieces, first + d, doc.text, norm, doc_runs)
        _skeletons(pieces, (d, first + d), norm, doc_runs, cut, None if shared is None else shared[d])
    return DocumentPieces(
        np.concatenate(windows) if windows else np.empty(0, dtype=np.uint64),
        np.concatenate(([0], np.cumsum(counts, dtype=np.int64))).astype(np.int64),
        np.asarray(run_first, dtype=np.int64),
        np.asarray(index, dtype=np.int64),
        pieces,
        carried,
        lengths,
    )


class PieceMerger:
    """Chunks of :func:`find_pieces` (in document order) merged as they come, into what
    one pass over them all would find.

    The scan's chunks come back one at a time: holding them all until the last doubled
    the memory at the end of its second pass (on 300 MB, a gigabyte of dictionaries).
    A piece one document carries so far is kept as ``(doc, span)``, not a dictionary:
    most are never seen again.
    """

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.kinds: list[str] = []
        self.chars: list[int] = []
        self.where: list[dict[int, tuple[int, int, int, int]] | tuple[int, tuple[int, int, int, int]]] = []
        self.windows: list[npt.NDArray[np.uint64]] = []
        self.win_counts: list[npt.NDArray[np.int64]] = []
        self.run_counts: list[npt.NDArray[np.int64]] = []
        self.run_index: list[npt.NDArray[np.int64]] = []
        self.carried: dict[str, list[str]] = {}
        self.one: dict[str, str] = {}  # each carried text once: chunks send their own copies of a formula
        self.lengths: list[int] = []
        self.done = False

    def add(self, part: DocumentPieces) -> None:
        kinds, chars, where = part.pieces.kinds, part.pieces.chars, part.pieces.where
        for key, i in part.pieces.ids.items():  # insertion order: first seen first, as in one pass
            found = where[i]
            g = self.ids.get(key)
            if g is None:
                self.ids[key] = len(self.kinds)
                self.kinds.append(kinds[i])
                self.chars.append(chars[i])
                self.where.append(next(iter(found.items())) if len(found) == 1 else dict(found))
                continue
            held = self.where[g]
            if isinstance(held, tuple):
                held = self.where[g] = dict((held,))
            held.update(found)  # chunks hold different documents
        self.windows.append(part.windows)
        self.win_counts.append(np.diff(part.win_first))
        self.run_counts.append(np.diff(part.run_first))
        self.run_index.append(part.run_index)
        self.carried.update((d, [self.one.setdefault(t, t) for t in texts]) for d, texts in part.carried.items())
        self.lengths.extend(part.lengths)

    def merged(self, *, shared: bool = False) -> DocumentPieces:
        """The pass over every chunk added; ``shared``: only the pieces two or more
        documents carry, without their keys (:func:`shared_only`). Once: the chunks'
        windows are let go as they are joined."""
        if self.done:
            raise RuntimeError("PieceMerger.merged() was called already")
        self.done = True
        if shared:
            keep = [i for i, w in enumerate(self.where) if isinstance(w, dict) and len(w) >= 2]
            pieces = Pieces({}, [self.kinds[i] for i in keep], [self.chars[i] for i in keep], [self.where[i] for i in keep])  # type: ignore[misc]
        else:
            where = [w if isinstance(w, dict) else dict((w,)) for w in self.where]
            pieces = Pieces(dict(self.ids), list(self.kinds), list(self.chars), where)
        return DocumentPieces(
            joined_releasing(self.windows, np.empty(0, dtype=np.uint64)),
            np.concatenate(([0], np.cumsum(_joined(self.win_counts, np.int64)))).astype(np.int64),
            np.concatenate(([0], np.cumsum(_joined(self.run_counts, np.int64)))).astype(np.int64),
            _joined(self.run_index, np.int64),
            pieces,
            self.carried,
            self.lengths,
        )


def merge_pieces(parts: Sequence[DocumentPieces]) -> DocumentPieces:
    """Chunks of :func:`find_pieces` (in document order) as one pass over them all would find them."""
    merger = PieceMerger()
    for part in parts:
        merger.add(part)
    return merger.merged()


def shared_only(found: DocumentPieces) -> DocumentPieces:
    """The pieces two or more documents carry, in their order, without the keys that
    told them apart: all that the families use once the pass is complete (pieces of one
    document link nothing), at a fraction of the memory."""
    p = found.pieces
    keep = [i for i, w in enumerate(p.where) if len(w) >= 2]
    compact = Pieces({}, [p.kinds[i] for i in keep], [p.chars[i] for i in keep], [p.where[i] for i in keep])
    return replace(found, pieces=compact)


def _joined(arrays: Sequence[npt.NDArray[Any]], dtype: type) -> npt.NDArray[Any]:
    return np.concatenate(arrays).astype(dtype, copy=False) if arrays else np.empty(0, dtype=dtype)


def corpus_texts(norm: Normalized, doc_runs: Sequence[BoilerRun]) -> list[str]:
    return sorted({norm.text[r.start : r.end] for r in doc_runs if r.kind == "corpus"})


def norm_range(norm: Normalized, start: int, end: int) -> tuple[int, int]:
    """Normalised ``[lo, hi)`` of the characters whose original offset is in ``[start, end)``."""
    lo, hi = np.searchsorted(norm.start, [start, end])
    return int(lo), int(hi)


def _chrome_lines(pieces: Pieces, d: int, text: str, norm: Normalized, doc_runs: Sequence[BoilerRun]) -> None:
    """Lines of the page's head and tail (consecutive short lines grouped: a menu), digits folded."""
    starts = line_starts(text).tolist() + [len(text)]
    for r in doc_runs:
        if r.kind != "page":
            continue
        s, e = norm.original_span(r.start, r.end)
        first = int(np.searchsorted(starts, s, side="right")) - 1
        group: list[tuple[int, int, int, int, str]] = []
        for ln in range(max(first, 0), len(starts) - 1):
            ls, le = max(starts[ln], s), min(starts[ln + 1], e)
            if ls >= e:
                break
            lo, hi = norm_range(norm, ls, le)
            key = _DIGITS.sub("#", norm.text[lo:hi])
            if not key:
                continue
            if len(key) >= MIN_CHROME_CHARS:
                _flush(pieces, d, group)
                group = []
                pieces.add("page\0" + key, "page", len(key), d, (ls, le, lo, hi))
            else:
                group.append((ls, le, lo, hi, key))
        _flush(pieces, d, group)


def _flush(pieces: Pieces, d: int, group: list[tuple[int, int, int, int, str]]) -> None:
    key = "".join(g[4] for g in group)
    if len(key) >= MIN_CHROME_CHARS and len(group) > 1:
        span = (group[0][0], group[-1][1], group[0][2], group[-1][3])
        pieces.add("page\0" + "\0".join(g[4] for g in group), "page", len(key), d, span)


def _skeletons(
    pieces: Pieces,
    number: tuple[int, int],
    norm: Normalized,
    doc_runs: Sequence[BoilerRun],
    cut: DocumentWords,
    shared: npt.NDArray[np.int64] | None = None,
) -> None:
    """Sentences with their slot words folded, outside the page's chrome and the boilerplate.

    ``number``: the document's number in ``cut`` and in the corpus.

    With ``shared`` (ranges other documents carry too), a sentence less than a third
    inside them is skipped without cutting it: it cannot share a skeleton.
    """
    if not norm.text:
        return
    if shared is not None and len(shared) == 0:
        return
    d, doc = number
    ends = np.asarray(cut.ends(d), dtype=np.int64)
    los = np.concatenate(([0], ends[:-1]))
    size = ends - los
    wanted = size >= MIN_SKELETON_CHARS
    if shared is not None:
        wanted &= _covered(shared[:, 0], shared[:, 1], len(norm.text), los, ends) * 3 >= size
    if not wanted.any():
        return
    starts = np.array([r.start for r in doc_runs], dtype=np.int64)
    stops = np.array([r.end for r in doc_runs], dtype=np.int64)
    wanted &= _covered(starts, stops, len(norm.text), los, ends) < size / 2
    text = norm.text
    for lo, hi in zip(los[wanted].tolist(), ends[wanted].tolist()):
        key = text[lo:hi]
        if _SLOT_CHAR.search(key):  # half the sentences hold none: nothing to fold
            key = _SLOT_FILL.sub("#", key)
        if len(key) - key.count("#") >= MIN_SKELETON_CHARS:
            pieces.add("skeleton\0" + key, "skeleton", hi - lo, doc, (*norm.original_span(lo, hi), lo, hi))


def _covered(
    starts: npt.NDArray[np.int64], stops: npt.NDArray[np.int64], n: int, los: npt.NDArray[np.int64], his: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """How many characters of each ``[los, his)`` lie in the union of ``[starts, stops)``."""
    mark = np.bincount(starts, minlength=n + 1) - np.bincount(stops, minlength=n + 1)  # np.add.at is ten times slower
    inside = np.concatenate(([0], np.cumsum(np.cumsum(mark)[:-1] > 0)))
    return inside[his] - inside[los]  # type: ignore[no-any-return]
