"""What the index asks of a storage backend, and the records that cross between them.

A backend (:mod:`neardup.store.sqlite`, :mod:`neardup.store.redis`) keeps documents,
passages, their band keys, matches (edges) and cluster ids; :class:`neardup.store.Index`
decides what to store. Arrays are raw little-endian bytes with an explicit dtype and
metadata is JSON: nothing is ever unpickled.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from neardup.config import ScanConfig
from neardup.errors import InputError
from neardup.model import Passage

__all__ = [
    "BUSY_TIMEOUT",
    "FORMAT",
    "Backend",
    "DocRow",
    "Edge",
    "PassageRow",
    "Prepared",
    "Stored",
    "as_u4",
    "as_u8",
    "loads_params",
]

#: What a store writes in its metadata to say it is a neardup index.
FORMAT = "neardup.index"
#: Seconds a writer waits for another writer.
BUSY_TIMEOUT = 60.0

Edge = tuple[int, int, float, float]  # (older pid, newer pid, jaccard, containment)


class PassageRow(NamedTuple):
    """A stored passage: its id, the passage (``doc``: the store's document key) and its cluster."""

    pid: int
    passage: Passage
    cluster: int | None


class Stored(NamedTuple):
    """A stored passage as the query and cluster logic need it: a :class:`PassageRow`'s
    fields and the passage's shingle set."""

    pid: int
    passage: Passage
    cluster: int | None
    shingles: npt.NDArray[np.uint64]


@dataclass(frozen=True)
class Prepared:
    """A text cut, shingled and signed with the index's parameters; ``keys`` are its
    passages' band keys (:func:`neardup.candidates.band_keys`, one ``uint64`` per band)."""

    doc_id: str
    text: str
    meta_json: str | None
    passages: tuple[Passage, ...]
    sets: list[npt.NDArray[np.uint64]]
    sigs: npt.NDArray[np.uint32]
    keys: npt.NDArray[np.uint64]


class DocRow(NamedTuple):
    key: int
    doc_id: str
    text: str | None
    chars: int
    lines: int


def as_u8(blob: bytes) -> npt.NDArray[np.uint64]:
    return np.frombuffer(blob, dtype="<u8").astype(np.uint64, copy=False)


def as_u4(blob: bytes) -> npt.NDArray[np.uint32]:
    return np.frombuffer(blob, dtype="<u4").astype(np.uint32, copy=False)


def loads_params(raw: str, location: str) -> dict[str, Any]:
    """The stored parameters, a JSON object, or an :class:`InputError` saying why not."""
    try:
        params = json.loads(raw)
    except json.JSONDecodeError as err:
        raise InputError(f"{location}: unreadable index parameters ({err.msg})") from None
    if not isinstance(params, dict):
        raise InputError(f"{location}: unreadable index parameters (not a JSON object)")
    return params


class Backend(Protocol):
    kind: str
    batch_writes: bool
    location: str
    #: Exceptions that mean the storage itself is damaged (reported as a failed check).
    damage_errors: tuple[type[BaseException], ...]

    def load_params(self) -> dict[str, Any] | None: ...
    def create(self, params: dict[str, Any]) -> None: ...
    def configure(self, config: ScanConfig, bands: int, rows: int) -> None: ...
    def check(self) -> None: ...
    def close(self) -> None: ...
    def write(self) -> Any: ...
    def read(self) -> Any: ...
    def counts(self) -> tuple[int, int]: ...
    def doc_key(self, doc_id: str) -> int | None: ...
    def insert_document(self, prepared: Prepared, keep_text: bool) -> int: ...
    def insert_passages(self, doc: int, prepared: Prepared) -> list[int]: ...
    def lookup(self, prepared: Prepared) -> list[set[int]]: ...
    def fetch(self, pids: Iterable[int]) -> dict[int, Stored]: ...
    def doc_info(self, keys: Iterable[int]) -> dict[int, tuple[str, Any]]: ...
    def insert_edges(self, edges: Sequence[Edge]) -> None: ...
    def next_cluster(self) -> int: ...
    def move(self, pids: Sequence[int], old: int | None, new: int | None) -> None: ...
    def drop_cluster(self, cid: int) -> None: ...
    def cluster_members(self, cid: int) -> list[tuple[int, int, int]]: ...
    def edges_among(self, pids: Sequence[int]) -> list[Edge]: ...
    def remove_document(self, key: int) -> list[tuple[int, int | None]]: ...
    def document_text(self, doc_id: str) -> tuple[bool, str | None]: ...
    def all_documents(self) -> list[DocRow]: ...
    def all_passages(self) -> list[PassageRow]: ...
    def all_edges(self) -> list[Edge]: ...
    def shingles(self, pids: Sequence[int]) -> dict[int, npt.NDArray[np.uint64]]: ...
    def size(self) -> int | None: ...
