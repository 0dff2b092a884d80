"""The nouns of neardup: frozen dataclasses that flow from stage to stage.

Offsets are half-open ``[start, end)`` character (code point) offsets into the
**original** decoded text of a document, and line numbers are 1-based and inclusive,
so a report can always be checked by slicing the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Cluster",
    "Document",
    "Match",
    "Member",
    "Passage",
    "ScanResult",
    "ScanStats",
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


@dataclass(frozen=True, slots=True)
class Match:
    """A verified pair of passages (global passage numbers ``a < b``)."""

    a: int
    b: int
    jaccard: float
    containment: float


@dataclass(frozen=True, slots=True)
class Member:
    """One contiguous copy of a cluster's text inside one document."""

    doc_id: str
    start: int
    end: int
    line_start: int
    line_end: int
    passages: tuple[int, ...]
    similarity: float
    text: str

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Cluster:
    """Copies of the same text: two or more members joined by verified matches."""

    id: int
    members: tuple[Member, ...]

    @property
    def chars(self) -> int:
        return sum(m.length for m in self.members)

    @property
    def doc_ids(self) -> tuple[str, ...]:
        return tuple(sorted({m.doc_id for m in self.members}))


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
    matches: tuple[Match, ...]
    clusters: tuple[Cluster, ...]
    stats: ScanStats
    config: dict[str, Any]
    warnings: tuple[str, ...] = field(default=())
