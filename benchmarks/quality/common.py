"""Shared nouns of the quality benchmark: documents, labelled cases, detections, paths.

Every dataset (Tang editions, generated reuse) is reduced to the same ``Case`` shape so
that one runner and one set of metrics serve all of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: ``(a_start, a_end, b_start, b_end)``: half-open character offsets into ``a.text`` and ``b.text``.
Span = tuple[int, int, int, int]
#: An unordered pair of document ids, stored sorted so that ``(x, y)`` and ``(y, x)`` agree.
Pair = tuple[str, str]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CACHE = REPO_ROOT / "benchmarks" / "data"
ARCHIVE_NAME = "zh-poetry-tang-editions.tar.xz"


@dataclass(frozen=True, slots=True)
class Doc:
    """A document as the detectors see it: an id and its exact text (offsets index it)."""

    id: str
    text: str


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled document pair.

    ``spans`` list the reused regions (empty for a negative); ``duplicate`` is the
    pair-level label. ``meta`` carries provenance (author, title, volume...) for reports.
    """

    kind: str
    a: Doc
    b: Doc
    spans: tuple[Span, ...]
    duplicate: bool
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def pair(self) -> Pair:
        return pair_key(self.a.id, self.b.id)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a case (the one the brief specifies, plus ``meta``)."""
        return {
            "kind": self.kind,
            "a": {"id": self.a.id, "text": self.a.text},
            "b": {"id": self.b.id, "text": self.b.text},
            "spans": [list(s) for s in self.spans],
            "duplicate": self.duplicate,
            "meta": self.meta,
        }


@dataclass(frozen=True, slots=True)
class Detection:
    """A reported reuse between two documents, in the same shape as a ground-truth span."""

    a_id: str
    a_start: int
    a_end: int
    b_id: str
    b_start: int
    b_end: int

    def flipped(self) -> Detection:
        return Detection(self.b_id, self.b_start, self.b_end, self.a_id, self.a_start, self.a_end)


def as_docs(items: Iterable[Doc | tuple[str, str]]) -> list[Doc]:
    """Accept ``Doc`` objects or plain ``(id, text)`` tuples, so callers need not import Doc."""
    return [item if isinstance(item, Doc) else Doc(*item) for item in items]


def pair_key(x: str, y: str) -> Pair:
    """Order-free pair identity; detectors report pairs in arbitrary orientation."""
    return (x, y) if x <= y else (y, x)


def unique_docs(cases: Iterable[Case]) -> list[Doc]:
    """The corpus a group of cases induces: each document once, in first-seen order.

    Raises if two different texts share an id, because every metric keys on ids.
    """
    seen: dict[str, Doc] = {}
    for case in cases:
        for doc in (case.a, case.b):
            old = seen.get(doc.id)
            if old is None:
                seen[doc.id] = doc
            elif old.text != doc.text:
                raise ValueError(f"two different texts share the id {doc.id!r}")
    return list(seen.values())


def char_ngrams(text: str, n: int = 5) -> set[str]:
    """Raw character n-grams; a text shorter than ``n`` is its own single gram."""
    if len(text) <= n:
        return {text} if text else set()
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def jaccard(x: set[str], y: set[str]) -> float:
    if not x and not y:
        return 1.0
    return len(x & y) / len(x | y)


def whole_span(a: Doc, b: Doc) -> Span:
    return (0, len(a.text), 0, len(b.text))


def find_archive(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """Locate the Tang editions archive without copying it into the repository.

    Looks at an explicit path, ``$NEARDUP_TANG_ARCHIVE``, then ``shared/data`` beside the
    checkout (where CI puts it) and ``/work/shared/data``.
    """
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    env = os.environ.get("NEARDUP_TANG_ARCHIVE")
    if env:
        candidates.append(Path(env))
    candidates += [
        REPO_ROOT.parent / "shared" / "data" / ARCHIVE_NAME,
        Path("/work/shared/data") / ARCHIVE_NAME,
    ]
    for path in candidates:
        if path.is_file():
            return path
    return None


def find_seeds(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The seed web pages: the copy shipped in ``examples/seeds`` unless told otherwise."""
    for path in ([Path(explicit)] if explicit else []) + [
        REPO_ROOT / "examples" / "seeds",
        REPO_ROOT.parent / "shared" / "seeds",
        Path("/work/shared/seeds"),
    ]:
        if path.is_dir() and any(path.glob("*.txt")):
            return path
    raise FileNotFoundError("no seed corpus found (examples/seeds)")
