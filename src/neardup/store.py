"""The persistent index: a corpus kept in one SQLite file (or in Redis), asked for each
incoming text "is this a near-copy of something we hold, and which spans?".

Each stored passage keeps what the scan computes for it: its offsets, its MinHash
signature (``uint32[num_perm]``, raw little-endian bytes) and its sorted unique 64-bit
shingle hashes (``uint64``, raw little-endian bytes) for exact verification. LSH bands are
stored as one 64-bit key per band (a hash of the band's rows) in an indexed table, so a
query is: the new text's passages and signatures (the same stages as ``scan``), one
lookup of their band keys, exact Jaccard on the stored shingle sets, then spans.

Nothing is ever unpickled: arrays are raw bytes with an explicit dtype, metadata and
parameters are JSON. The parameters that decide signatures and passages (ngram, tokens,
num_perm, seed, normalisation, MinHash scheme, datasketch's major version, passage
lengths, threshold and band layout) are stored in the file and checked when it is
opened; a difference raises :class:`~neardup.errors.IndexMismatchError` naming it.

Writes are SQLite transactions in WAL mode with ``synchronous=FULL``: a process killed
in the middle of ``add_many`` loses at most its current batch, never the file, and
readers in other processes keep working while one process writes.

With ``redis://host:port/db`` the LSH buckets live in Redis through datasketch's
``MinHashLSH(storage_config={"type": "redis", ...})`` (``prepickle=False``, byte keys we
make ourselves) and documents, passages, edges and clusters in Redis hashes and sets,
so several ingestion workers can share one index; writers take a Redis lock.

Clusters are stable: every passage that matched another carries a cluster id; adding a
document either joins the clusters its passages match (merging them into the oldest id
when it bridges several) or starts a new one, and removing a document only touches the
clusters it was in. Ids are never reused, and unrelated adds and removals never change
them. Clusters are the connected components of the stored passage matches plus the
"consecutive matches" links of :mod:`neardup.cluster`, so listing an index gives the
same clusters as a scan of the same documents (up to the ids), as long as no passage has
more than ``max_bucket`` copies: beyond that each new passage stores only its
``max_bucket`` best matches, as a scan caps its LSH buckets.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, Protocol, Union
from urllib.parse import parse_qs, unquote, urlparse

import numpy as np
import numpy.typing as npt

from neardup.align import align_pair
from neardup.candidates import band_params
from neardup.cluster import cluster_matches
from neardup.config import (
    CandidateConfig,
    ClusterConfig,
    NormalizeConfig,
    PassageConfig,
    ScanConfig,
    ShingleConfig,
    SignatureConfig,
    VerifyConfig,
)
from neardup.dedup import DEFAULT_MIN_SHARE
from neardup.errors import ConfigError, CorruptIndexError, IndexMismatchError, InputError, NeardupError
from neardup.model import Cluster, Document, Match, Passage, ScanResult, ScanStats
from neardup.scan import Progress, covered_chars, prepare
from neardup.scan import scan as scan_documents
from neardup.shingle import mix64
from neardup.signature import signatures, to_lean_minhash
from neardup.verify import similarity

__all__ = [
    "SCHEMA_VERSION",
    "Added",
    "Index",
    "IndexMatch",
    "IndexSpan",
    "IndexStats",
    "band_keys",
    "is_sqlite_file",
    "merge_passage_pairs",
]

logger = logging.getLogger(__name__)

#: Layout version of the stored tables; an index with another one is refused.
SCHEMA_VERSION = 1
_FORMAT = "neardup.index"
_BUSY_TIMEOUT = 60.0  # seconds a writer waits for another writer
_SQL_CHUNK = 500  # host parameters per IN (...) list
_PAGE_SIZE = 16384  # 4 KiB pages hold one ~2.3 KB passage row each: 4.4 KB instead of 3.7 KB per passage
_MMAP_SIZE = 1 << 30  # read through a memory map: no copy into SQLite's page cache

Addable = Union[Document, tuple[str, str], tuple[str, str, Any]]


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class IndexSpan:
    """One reused stretch: ``[query_start, query_end)`` of the query text is a near-copy of
    ``[doc_start, doc_end)`` of the stored document (original offsets; lines 1-based).

    ``similarity`` is the aligned share of normalised characters the two stretches have
    in common (as :class:`neardup.model.ReuseSpan`); for an index that keeps no texts,
    the exact Jaccard of the matched passages' shingle sets.
    """

    query_start: int
    query_end: int
    query_line_start: int
    query_line_end: int
    doc_start: int
    doc_end: int
    doc_line_start: int
    doc_line_end: int
    similarity: float


@dataclass(frozen=True, slots=True)
class IndexMatch:
    """A stored document that the query text reuses.

    ``similarity`` is the best span's; ``coverage`` is the share of the query's passage
    characters found in this document; ``meta`` is what was stored with it.
    """

    doc_id: str
    similarity: float
    coverage: float
    spans: tuple[IndexSpan, ...]
    meta: Any = None


@dataclass(frozen=True, slots=True)
class Added:
    """What adding one document did to the index's clusters.

    ``joined``: clusters that existed before and now include this document; ``started``:
    clusters this document started (with copies inside itself or in documents that had
    no cluster yet); ``merged``: younger clusters retired because this document bridged
    them with an older one, whose id they now share. ``matches`` are the stored documents
    it reuses, as :meth:`Index.query` would have reported them just before the add.

    A cluster whose copies all sit within one stretch of one document (a paragraph
    repeated right after itself) gets an id but is not listed, in ``started`` or by
    :meth:`Index.report`, until a copy appears elsewhere.
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


# --------------------------------------------------------------------------- band keys

_PRIME = np.uint64(0x100000001B3)
_SALT = np.uint64(0x9E3779B97F4A7C15)


def band_keys(sigs: npt.NDArray[np.uint32], bands: int, rows: int) -> npt.NDArray[np.int64]:
    """One signed 64-bit key per (signature, band): equal bands give equal keys.

    Different bands of the same rows get different keys (each band is salted with its
    number), so one indexed column holds all bands. Unequal bands collide with
    probability 2**-64; such a collision only adds a candidate, which verification drops.

    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9]], dtype=np.uint32)
    >>> keys = band_keys(sigs, 2, 2)
    >>> keys.shape, bool(keys[0, 0] == keys[1, 0]), bool(keys[0, 1] == keys[1, 1])
    ((2, 2), True, False)
    """
    n = len(sigs)
    block = np.ascontiguousarray(sigs[:, : bands * rows]).reshape(n, bands, rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = np.broadcast_to(np.arange(1, bands + 1, dtype=np.uint64) * _SALT, (n, bands)).copy()
        for r in range(rows):
            h = mix64(h * _PRIME + block[:, :, r])
    return h.view(np.int64)


# --------------------------------------------------------------------------- spans


def merge_passage_pairs(pairs: Sequence[tuple[Passage, Passage]], *, gap: int = 2) -> list[list[int]]:
    """Group matched ``(query passage, stored passage)`` pairs into contiguous reused spans.

    Two pairs belong together when both sides move forward by at most ``gap`` passages
    (the same rule the scan uses to chain a copied speech into one region). Returns the
    positions in ``pairs`` of each group, groups ordered by where they start in the query.
    This is the stand-in for a character-level alignment (``align_pair``).

    >>> p = lambda i: Passage(0, i, 10 * i, 10 * i + 10, i + 1, i + 1, 0, 0)
    >>> merge_passage_pairs([(p(0), p(5)), (p(1), p(6)), (p(4), p(0))])
    [[0, 1], [2]]
    """
    order = sorted(range(len(pairs)), key=lambda k: (pairs[k][0].index, pairs[k][1].index))
    parent = list(range(len(pairs)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pos, x in enumerate(order):
        qx, dx = pairs[x][0].index, pairs[x][1].index
        for y in order[pos + 1 :]:
            qy, dy = pairs[y][0].index, pairs[y][1].index
            if qy - qx > gap:
                break
            if 0 <= dy - dx <= gap:
                parent[find(y)] = find(x)
    groups: dict[int, list[int]] = defaultdict(list)
    for x in order:
        groups[find(x)].append(x)
    return sorted(groups.values(), key=lambda g: (pairs[g[0]][0].start, pairs[g[0]][1].start))


# --------------------------------------------------------------------------- internals


class _Stored(NamedTuple):
    """A stored passage as the query and cluster logic need it."""

    pid: int
    doc: int
    idx: int
    start: int
    end: int
    line_start: int
    line_end: int
    cluster: int | None
    shingles: npt.NDArray[np.uint64]

    def as_passage(self) -> Passage:
        return Passage(self.doc, self.idx, self.start, self.end, self.line_start, self.line_end, 0, 0)


@dataclass(frozen=True)
class _Prepared:
    """A text cut, shingled and signed with the index's parameters."""

    doc_id: str
    text: str
    meta_json: str | None
    passages: tuple[Passage, ...]
    sets: list[npt.NDArray[np.uint64]]
    sigs: npt.NDArray[np.uint32]
    keys: npt.NDArray[np.int64]


class _DocRow(NamedTuple):
    key: int
    doc_id: str
    text: str | None
    chars: int
    lines: int


class _PassageRow(NamedTuple):
    pid: int
    doc: int
    idx: int
    start: int
    end: int
    line_start: int
    line_end: int
    norm_start: int
    norm_end: int
    cluster: int | None


Edge = tuple[int, int, float, float]  # (older pid, newer pid, jaccard, containment)


def _u8(blob: bytes) -> npt.NDArray[np.uint64]:
    return np.frombuffer(blob, dtype="<u8").astype(np.uint64, copy=False)


def _u4(blob: bytes) -> npt.NDArray[np.uint32]:
    return np.frombuffer(blob, dtype="<u4").astype(np.uint32, copy=False)


def _chunks(items: Sequence[Any], size: int = _SQL_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _qmarks(n: int) -> str:
    return ",".join("?" * n)


def _line_count(text: str) -> int:
    return text.count("\n") + (1 if text and not text.endswith("\n") else 0)


class _Backend(Protocol):
    kind: str
    batch_writes: bool
    location: str

    def load_params(self) -> dict[str, Any] | None: ...
    def create(self, params: dict[str, Any]) -> None: ...
    def configure(self, config: ScanConfig, bands: int, rows: int) -> None: ...
    def check(self) -> None: ...
    def close(self) -> None: ...
    def write(self) -> Any: ...
    def read(self) -> Any: ...
    def counts(self) -> tuple[int, int]: ...
    def doc_key(self, doc_id: str) -> int | None: ...
    def insert_document(self, prepared: _Prepared, keep_text: bool) -> int: ...
    def insert_passages(self, doc: int, prepared: _Prepared) -> list[int]: ...
    def lookup(self, prepared: _Prepared) -> list[set[int]]: ...
    def fetch(self, pids: Iterable[int]) -> dict[int, _Stored]: ...
    def doc_info(self, keys: Iterable[int]) -> dict[int, tuple[str, Any]]: ...
    def insert_edges(self, edges: Sequence[Edge]) -> None: ...
    def next_cluster(self) -> int: ...
    def move(self, pids: Sequence[int], old: int | None, new: int | None) -> None: ...
    def drop_cluster(self, cid: int) -> None: ...
    def cluster_members(self, cid: int) -> list[tuple[int, int, int]]: ...
    def edges_among(self, pids: Sequence[int]) -> list[Edge]: ...
    def remove_document(self, key: int) -> list[tuple[int, int | None]]: ...
    def document_text(self, doc_id: str) -> tuple[bool, str | None]: ...
    def all_documents(self) -> list[_DocRow]: ...
    def all_passages(self) -> list[_PassageRow]: ...
    def all_edges(self) -> list[Edge]: ...
    def shingles(self, pids: Sequence[int]) -> dict[int, npt.NDArray[np.uint64]]: ...
    def size(self) -> int | None: ...


# --------------------------------------------------------------------------- SQLite

_SCHEMA = [
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    """CREATE TABLE documents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL UNIQUE,
        text TEXT,
        chars INTEGER NOT NULL,
        lines INTEGER NOT NULL,
        meta TEXT)""",
    """CREATE TABLE passages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        doc INTEGER NOT NULL REFERENCES documents(id),
        idx INTEGER NOT NULL,
        start INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        line_start INTEGER NOT NULL,
        line_end INTEGER NOT NULL,
        norm_start INTEGER NOT NULL,
        norm_end INTEGER NOT NULL,
        cluster INTEGER,
        signature BLOB NOT NULL,
        shingles BLOB NOT NULL)""",
    "CREATE INDEX passages_doc ON passages(doc, idx)",
    "CREATE INDEX passages_cluster ON passages(cluster) WHERE cluster IS NOT NULL",
    "CREATE TABLE bands (key INTEGER NOT NULL, passage INTEGER NOT NULL, PRIMARY KEY (key, passage)) WITHOUT ROWID",
    """CREATE TABLE edges (
        a INTEGER NOT NULL, b INTEGER NOT NULL, jaccard REAL NOT NULL, containment REAL NOT NULL,
        PRIMARY KEY (a, b)) WITHOUT ROWID""",
    "CREATE INDEX edges_b ON edges(b)",
]


class _SQLiteStore:
    kind = "sqlite"
    batch_writes = True  # several documents per transaction

    def __init__(self, path: Path, *, create: bool) -> None:
        self.path = path
        self.location = str(path)
        if path.is_dir():
            raise InputError(f"{path}: is a folder; give the index a file name, e.g. {path / 'corpus.ndx'}")
        if not path.exists():
            if not create:
                raise InputError(f"{path}: no index there; build one with `neardup index add {path} PATH...`")
            if not path.parent.is_dir():
                raise InputError(f"{path.parent}: no such folder for the index")
            try:  # say so plainly, rather than SQLite's "unable to open database file"
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            except FileExistsError:
                pass  # another process created it meanwhile
            except OSError as err:
                raise InputError(
                    f"{path}: cannot create the index file in {path.parent} ({err.strerror}); choose a folder you can write to"
                ) from None
        elif not create and path.is_file() and path.stat().st_size and not is_sqlite_file(path):
            raise CorruptIndexError(f"{path}: not a neardup index (not an SQLite database); give an index built by `neardup index add`")
        try:
            fresh = not path.exists() or path.stat().st_size == 0
            self.db = sqlite3.connect(str(path), isolation_level=None, timeout=_BUSY_TIMEOUT)
            if fresh:  # only before the first table, and before WAL: a passage row is ~2.5 KB
                self.db.execute(f"PRAGMA page_size={_PAGE_SIZE}")
            self.db.execute("PRAGMA journal_mode=WAL").fetchone()
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute(f"PRAGMA mmap_size={_MMAP_SIZE}")
        except sqlite3.OperationalError as err:
            if "unable to open" in str(err) or "readonly" in str(err):
                raise InputError(
                    f"{path}: cannot open the index file for writing ({err}); check the permissions of the file and its folder"
                ) from None
            raise CorruptIndexError(f"{path}: not a neardup index ({err})") from None
        except sqlite3.DatabaseError as err:
            raise CorruptIndexError(f"{path}: not a neardup index ({err})") from None
        self.bands = self.rows = 0

    # -- lifecycle

    def load_params(self) -> dict[str, Any] | None:
        try:
            rows = dict(self.db.execute("SELECT key, value FROM meta WHERE key IN ('format', 'params')").fetchall())
        except sqlite3.OperationalError:
            tables = self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise CorruptIndexError(f"{self.location}: an SQLite database, but not a neardup index") from None
            return None
        except sqlite3.DatabaseError as err:
            raise CorruptIndexError(f"{self.location}: not a neardup index ({err})") from None
        if rows.get("format") != _FORMAT or "params" not in rows:
            raise CorruptIndexError(f"{self.location}: an SQLite database, but not a neardup index")
        return _loads_params(rows["params"], self.location)

    def create(self, params: dict[str, Any]) -> None:
        with self.write():
            exists = self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
            if exists:  # another process created it meanwhile; the caller re-reads
                return
            for statement in _SCHEMA:
                self.db.execute(statement)
            self.db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("format", _FORMAT), ("params", json.dumps(params, sort_keys=True)), ("next_cluster", "1")],
            )

    def configure(self, config: ScanConfig, bands: int, rows: int) -> None:
        self.bands, self.rows = bands, rows

    def check(self) -> None:
        """SQLite's ``quick_check``: every page readable and every b-tree well formed.

        On a connection of its own, so it may run in a thread beside queries (SQLite
        releases the GIL while it reads: the check costs about 2-5 ms per MB of index).
        A passed check is remembered for the file's exact state (device, inode, size,
        modification time, and those of its WAL) under ``$XDG_CACHE_HOME/neardup``, so
        a pre-commit hook re-run against an unchanged index does not read it all again;
        any write, by neardup or anything else, changes that state.
        """
        state = self._file_state()
        memo = _check_memo(self.path)
        try:
            if memo is not None and memo.read_text(encoding="utf-8") == state:
                return
        except OSError:
            pass
        self._quick_check()
        if memo is not None:
            try:
                memo.parent.mkdir(parents=True, exist_ok=True)
                memo.write_text(state, encoding="utf-8")
            except OSError:
                pass  # no cache: the next run checks again

    def _file_state(self) -> str:
        parts = []
        for path in (self.path, Path(f"{self.path}-wal")):
            try:
                st = path.stat()
            except OSError:
                parts.append("-")
                continue
            parts.append("-" if path.name.endswith("-wal") and st.st_size == 0 else f"{st.st_dev}:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}")
        return f"{sqlite3.sqlite_version} {' '.join(parts)}"

    def _quick_check(self) -> None:
        try:
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=_BUSY_TIMEOUT)
            try:
                problems = [row[0] for row in db.execute("PRAGMA quick_check(3)").fetchall()]
            finally:
                db.close()
        except sqlite3.DatabaseError as err:
            problems = [str(err)]
        if problems != ["ok"]:
            lines = [line for p in problems for line in p.splitlines() if not line.startswith("***")]
            raise CorruptIndexError(
                f"{self.location}: the index fails its integrity check ({lines[0] if lines else problems[0]});"
                " rebuild it with `neardup index add`"
            )

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        if self.db.in_transaction:  # nested: the outer transaction commits
            yield
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            raise NeardupError(
                f"{self.location}: another process kept the index locked for {_BUSY_TIMEOUT:.0f}s ({err}); try again"
            ) from None
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[None]:
        """One snapshot for a multi-statement read (WAL: never blocks on a writer)."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    # -- documents and passages

    def counts(self) -> tuple[int, int]:
        docs = self.db.execute("SELECT count(*) FROM documents").fetchone()[0]
        passages = self.db.execute("SELECT count(*) FROM passages").fetchone()[0]
        return int(docs), int(passages)

    def doc_key(self, doc_id: str) -> int | None:
        row = self.db.execute("SELECT id FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return None if row is None else int(row[0])

    def insert_document(self, prepared: _Prepared, keep_text: bool) -> int:
        cur = self.db.execute(
            "INSERT INTO documents (doc_id, text, chars, lines, meta) VALUES (?, ?, ?, ?, ?)",
            (
                prepared.doc_id,
                prepared.text if keep_text else None,
                len(prepared.text),
                _line_count(prepared.text),
                prepared.meta_json,
            ),
        )
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    def insert_passages(self, doc: int, prepared: _Prepared) -> list[int]:
        pids = []
        for p, sig, shingles in zip(prepared.passages, prepared.sigs, prepared.sets):
            cur = self.db.execute(
                'INSERT INTO passages (doc, idx, start, "end", line_start, line_end, norm_start, norm_end,'
                " signature, shingles) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    doc,
                    p.index,
                    p.start,
                    p.end,
                    p.line_start,
                    p.line_end,
                    p.norm_start,
                    p.norm_end,
                    sig.astype("<u4").tobytes(),
                    shingles.astype("<u8").tobytes(),
                ),
            )
            assert cur.lastrowid is not None
            pids.append(int(cur.lastrowid))
        self.db.executemany(
            "INSERT OR IGNORE INTO bands (key, passage) VALUES (?, ?)",
            [(key, pid) for pid, row in zip(pids, prepared.keys.tolist()) for key in row],
        )
        return pids

    def lookup(self, prepared: _Prepared) -> list[set[int]]:
        rows = prepared.keys.tolist()
        wanted = sorted({k for row in rows for k in row})
        hits: dict[int, list[int]] = defaultdict(list)
        for chunk in _chunks(wanted):
            sql = f"SELECT key, passage FROM bands WHERE key IN ({_qmarks(len(chunk))})"
            for key, pid in self.db.execute(sql, tuple(chunk)):
                hits[key].append(pid)
        return [{pid for k in row for pid in hits.get(k, ())} for row in rows]

    def fetch(self, pids: Iterable[int]) -> dict[int, _Stored]:
        out: dict[int, _Stored] = {}
        for chunk in _chunks(sorted(set(pids))):
            sql = (
                'SELECT id, doc, idx, start, "end", line_start, line_end, cluster, shingles'
                f" FROM passages WHERE id IN ({_qmarks(len(chunk))})"
            )
            for pid, doc, idx, start, end, line_start, line_end, cluster, blob in self.db.execute(sql, tuple(chunk)):
                out[pid] = _Stored(pid, doc, idx, start, end, line_start, line_end, cluster, _u8(blob))
        return out

    def doc_info(self, keys: Iterable[int]) -> dict[int, tuple[str, Any]]:
        out = {}
        for chunk in _chunks(sorted(set(keys))):
            sql = f"SELECT id, doc_id, meta FROM documents WHERE id IN ({_qmarks(len(chunk))})"
            for key, doc_id, meta in self.db.execute(sql, tuple(chunk)):
                out[key] = (doc_id, None if meta is None else json.loads(meta))
        return out

    def document_text(self, doc_id: str) -> tuple[bool, str | None]:
        row = self.db.execute("SELECT text FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        return (False, None) if row is None else (True, row[0])

    # -- edges and clusters

    def insert_edges(self, edges: Sequence[Edge]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO edges (a, b, jaccard, containment) VALUES (?, ?, ?, ?)", edges)

    def next_cluster(self) -> int:
        value = int(self.db.execute("SELECT value FROM meta WHERE key = 'next_cluster'").fetchone()[0])
        self.db.execute("UPDATE meta SET value = ? WHERE key = 'next_cluster'", (str(value + 1),))
        return value

    def move(self, pids: Sequence[int], old: int | None, new: int | None) -> None:
        for chunk in _chunks(list(pids)):
            self.db.execute(f"UPDATE passages SET cluster = ? WHERE id IN ({_qmarks(len(chunk))})", (new, *chunk))

    def drop_cluster(self, cid: int) -> None:
        """Nothing to do: a cluster exists while some passage carries its id."""

    def cluster_members(self, cid: int) -> list[tuple[int, int, int]]:
        rows = self.db.execute("SELECT id, doc, idx FROM passages WHERE cluster = ?", (cid,))
        return [(pid, doc, idx) for pid, doc, idx in rows]

    def edges_among(self, pids: Sequence[int]) -> list[Edge]:
        members = set(pids)
        out: list[Edge] = []
        for chunk in _chunks(sorted(members)):
            sql = f"SELECT a, b, jaccard, containment FROM edges WHERE a IN ({_qmarks(len(chunk))})"
            out.extend((a, b, jac, cont) for a, b, jac, cont in self.db.execute(sql, tuple(chunk)) if b in members)
        return out

    def remove_document(self, key: int) -> list[tuple[int, int | None]]:
        rows = self.db.execute("SELECT id, cluster, signature FROM passages WHERE doc = ? ORDER BY idx", (key,)).fetchall()
        pids = [r[0] for r in rows]
        if rows:
            sigs = np.stack([_u4(r[2]) for r in rows])
            keys = band_keys(sigs, self.bands, self.rows).tolist()
            self.db.executemany(
                "DELETE FROM bands WHERE key = ? AND passage = ?", [(k, pid) for pid, row in zip(pids, keys) for k in row]
            )
            for chunk in _chunks(pids):
                marks = _qmarks(len(chunk))
                self.db.execute(f"DELETE FROM edges WHERE a IN ({marks})", tuple(chunk))
                self.db.execute(f"DELETE FROM edges WHERE b IN ({marks})", tuple(chunk))
        self.db.execute("DELETE FROM passages WHERE doc = ?", (key,))
        self.db.execute("DELETE FROM documents WHERE id = ?", (key,))
        return [(r[0], r[1]) for r in rows]

    # -- listing

    def all_documents(self) -> list[_DocRow]:
        return [_DocRow(*r) for r in self.db.execute("SELECT id, doc_id, text, chars, lines FROM documents")]

    def all_passages(self) -> list[_PassageRow]:
        sql = 'SELECT id, doc, idx, start, "end", line_start, line_end, norm_start, norm_end, cluster FROM passages'
        return [_PassageRow(*r) for r in self.db.execute(sql)]

    def all_edges(self) -> list[Edge]:
        return [(a, b, jac, cont) for a, b, jac, cont in self.db.execute("SELECT a, b, jaccard, containment FROM edges")]

    def shingles(self, pids: Sequence[int]) -> dict[int, npt.NDArray[np.uint64]]:
        out = {}
        for chunk in _chunks(sorted(set(pids))):
            sql = f"SELECT id, shingles FROM passages WHERE id IN ({_qmarks(len(chunk))})"
            for pid, blob in self.db.execute(sql, tuple(chunk)):
                out[pid] = _u8(blob)
        return out

    def size(self) -> int | None:
        return sum(
            os.path.getsize(p) for p in (self.path, Path(f"{self.path}-wal")) if os.path.exists(p)
        )


# --------------------------------------------------------------------------- Redis


class _RedisStore:
    """Documents, passages, edges and clusters in Redis hashes and sets; LSH buckets
    through datasketch's Redis storage. Key layout under ``{basename}:``::

        meta             hash: format, params (JSON), next_doc, next_passage, next_cluster, passages
        docs             hash: doc id -> document key
        d:{key}          hash: id, text, chars, lines, meta (JSON), passages (comma-separated ids)
        p:{pid}          hash: doc, idx, start, end, line_start, line_end, norm_start, norm_end,
                         cluster, signature (<u4 bytes), shingles (<u8 bytes)
        e:{pid}          hash: other pid -> "jaccard containment"
        c:{cid}          set of pids;  clusters: set of cluster ids
        lsh_*            datasketch MinHashLSH buckets (keys are the pid as ASCII bytes)
        lock             the writers' lock

    A writer takes the lock, inserts its passages into the LSH buckets, then writes all
    records in one MULTI/EXEC. Killed in between, it leaves bucket entries that point to
    no record; lookups skip them.
    """

    kind = "redis"
    batch_writes = False  # one MULTI/EXEC per document: reads see only executed writes

    def __init__(self, url: str, *, create: bool) -> None:
        try:
            import redis
        except ImportError:  # pragma: no cover - depends on the environment
            raise InputError(f"{url}: a Redis index needs the redis package: pip install 'neardup[redis]'") from None
        parsed = urlparse(url)
        query = parse_qs(parsed.query)
        basename = query.get("basename", ["neardup"])[-1]
        try:
            db = int(parsed.path.strip("/") or 0)
        except ValueError:
            raise InputError(f"{url}: the path must be a database number, as in redis://127.0.0.1:6379/0") from None
        self.params: dict[str, Any] = {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or 6379, "db": db}
        if parsed.username:
            self.params["username"] = unquote(parsed.username)
        if parsed.password:
            self.params["password"] = unquote(parsed.password)
        if parsed.scheme == "rediss":
            self.params["ssl"] = True
        self.location = f"{parsed.scheme}://{self.params['host']}:{self.params['port']}/{db}?basename={basename}"
        self.base = basename.encode("utf-8") + b":"
        self._redis_mod = redis
        self.r: Any = redis.Redis(**self.params)
        try:
            self.r.ping()
        except redis.RedisError as err:
            raise InputError(f"{self.location}: cannot reach Redis ({err})") from None
        self.create_allowed = create
        self.pipe: Any = None
        self.after: list[Callable[[], None]] = []
        self.inserted: list[bytes] = []
        self.lsh: Any = None
        self.seed = 1

    def k(self, *parts: str | int | bytes) -> bytes:
        return self.base + b":".join(p if isinstance(p, bytes) else str(p).encode() for p in parts)

    # -- lifecycle

    def load_params(self) -> dict[str, Any] | None:
        fmt, params = self.r.hmget(self.k("meta"), ["format", "params"])
        if fmt is None and params is None:
            return None
        if fmt != _FORMAT.encode() or params is None:
            raise InputError(f"{self.location}: keys exist under this basename, but not a neardup index")
        return _loads_params(params.decode("utf-8"), self.location)

    def create(self, params: dict[str, Any]) -> None:
        meta = self.k("meta")
        with self.r.pipeline() as pipe:
            try:
                pipe.watch(meta)
                if pipe.exists(meta):  # another worker created it meanwhile; the caller re-reads
                    return
                pipe.multi()
                pipe.hset(meta, mapping={"format": _FORMAT, "params": json.dumps(params, sort_keys=True)})
                pipe.execute()
            except self._redis_mod.WatchError:
                return

    def check(self) -> None:
        """Nothing beyond ``load_params``: Redis keeps no file image to verify."""

    def configure(self, config: ScanConfig, bands: int, rows: int) -> None:
        from datasketch import MinHashLSH

        # datasketch's 26 storages share our connection pool: it re-creates its clients
        # after every buffered write, and a client on an existing pool is cheap.
        storage = {"type": "redis", "basename": self.k("lsh"), "redis": {"connection_pool": self.r.connection_pool}}
        self.lsh = MinHashLSH(
            threshold=config.candidates.threshold,
            num_perm=config.signature.num_perm,
            params=(bands, rows),
            storage_config=storage,
            prepickle=False,
        )
        self.seed = config.signature.seed

    def close(self) -> None:
        self.r.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        if self.pipe is not None:
            yield
            return
        lock = self.r.lock(self.k("lock"), timeout=600, blocking_timeout=_BUSY_TIMEOUT)
        if not lock.acquire():
            raise NeardupError(f"{self.location}: another writer kept the index locked for {_BUSY_TIMEOUT:.0f}s; try again")
        self.pipe = self.r.pipeline(transaction=True)
        self.after, self.inserted = [], []
        try:
            try:
                yield
                self.pipe.execute()
            except BaseException:
                self._undo_inserts()
                raise
            for action in self.after:
                action()
        finally:
            self.pipe, self.after, self.inserted = None, [], []
            try:
                lock.release()
            except self._redis_mod.exceptions.LockError:
                logger.warning("%s: the write lock expired before the write finished", self.location)

    def _undo_inserts(self) -> None:
        for key in self.inserted:
            try:
                self.lsh.remove(key)
            except (ValueError, self._redis_mod.RedisError):  # best effort: lookups skip orphans anyway
                pass

    @contextmanager
    def read(self) -> Iterator[None]:
        yield

    # -- documents and passages

    def counts(self) -> tuple[int, int]:
        docs = self.r.hlen(self.k("docs"))
        passages = self.r.hget(self.k("meta"), "passages")
        return int(docs), int(passages or 0)

    def doc_key(self, doc_id: str) -> int | None:
        key = self.r.hget(self.k("docs"), doc_id.encode("utf-8"))
        return None if key is None else int(key)

    def insert_document(self, prepared: _Prepared, keep_text: bool) -> int:
        key = int(self.r.hincrby(self.k("meta"), "next_doc", 1))
        record: dict[str, Any] = {
            "id": prepared.doc_id.encode("utf-8"),
            "chars": len(prepared.text),
            "lines": _line_count(prepared.text),
        }
        if keep_text:
            record["text"] = prepared.text.encode("utf-8")
        if prepared.meta_json is not None:
            record["meta"] = prepared.meta_json.encode("utf-8")
        self.pipe.hset(self.k("d", key), mapping=record)
        self.pipe.hset(self.k("docs"), prepared.doc_id.encode("utf-8"), key)
        return key

    def insert_passages(self, doc: int, prepared: _Prepared) -> list[int]:
        n = len(prepared.passages)
        if n == 0:
            self.pipe.hset(self.k("d", doc), "passages", "")
            return []
        last = int(self.r.hincrby(self.k("meta"), "next_passage", n))
        pids = list(range(last - n + 1, last + 1))
        with self.lsh.insertion_session(buffer_size=max(1000, 60 * n)) as session:
            for pid, sig in zip(pids, prepared.sigs):
                key = str(pid).encode()
                self.inserted.append(key)
                session.insert(key, to_lean_minhash(sig, self.seed), check_duplication=False)
        for pid, p, sig, shingles in zip(pids, prepared.passages, prepared.sigs, prepared.sets):
            self.pipe.hset(
                self.k("p", pid),
                mapping={
                    "doc": doc,
                    "idx": p.index,
                    "start": p.start,
                    "end": p.end,
                    "line_start": p.line_start,
                    "line_end": p.line_end,
                    "norm_start": p.norm_start,
                    "norm_end": p.norm_end,
                    "signature": sig.astype("<u4").tobytes(),
                    "shingles": shingles.astype("<u8").tobytes(),
                },
            )
        self.pipe.hset(self.k("d", doc), "passages", ",".join(map(str, pids)))
        self.pipe.hincrby(self.k("meta"), "passages", n)
        return pids

    def lookup(self, prepared: _Prepared) -> list[set[int]]:
        """What ``MinHashLSH.query`` does for each passage, one round trip per band for all
        passages together (``getmany`` of each band's storage) instead of one per band and
        passage."""
        if len(prepared.sigs) == 0:
            return []
        hashes = [to_lean_minhash(sig, self.seed).hashvalues for sig in prepared.sigs]
        found: list[set[int]] = [set() for _ in hashes]
        for (start, end), table in zip(self.lsh.hashranges, self.lsh.hashtables):
            keys = [self.lsh._H(h[start:end]) for h in hashes]
            for row, members in enumerate(table.getmany(*keys)):
                found[row].update(int(k) for k in members)
        return found

    _FIELDS = ["doc", "idx", "start", "end", "line_start", "line_end", "cluster", "shingles"]

    def fetch(self, pids: Iterable[int]) -> dict[int, _Stored]:
        pids = sorted(set(pids))
        pipe = self.r.pipeline(transaction=False)
        for pid in pids:
            pipe.hmget(self.k("p", pid), self._FIELDS)
        out = {}
        for pid, row in zip(pids, pipe.execute()):
            if row[0] is None:  # a bucket entry left by a killed writer, or a removal in progress
                continue
            doc, idx, start, end, line_start, line_end = (int(v) for v in row[:6])
            cluster = None if row[6] is None else int(row[6])
            out[pid] = _Stored(pid, doc, idx, start, end, line_start, line_end, cluster, _u8(row[7]))
        return out

    def doc_info(self, keys: Iterable[int]) -> dict[int, tuple[str, Any]]:
        keys = sorted(set(keys))
        pipe = self.r.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(self.k("d", key), ["id", "meta"])
        out = {}
        for key, (doc_id, meta) in zip(keys, pipe.execute()):
            if doc_id is not None:
                out[key] = (doc_id.decode("utf-8"), None if meta is None else json.loads(meta))
        return out

    def document_text(self, doc_id: str) -> tuple[bool, str | None]:
        key = self.doc_key(doc_id)
        if key is None:
            return False, None
        text = self.r.hget(self.k("d", key), "text")
        return True, None if text is None else text.decode("utf-8")

    # -- edges and clusters

    def insert_edges(self, edges: Sequence[Edge]) -> None:
        for a, b, jac, cont in edges:
            value = f"{jac!r} {cont!r}"
            self.pipe.hset(self.k("e", a), b, value)
            self.pipe.hset(self.k("e", b), a, value)

    def next_cluster(self) -> int:
        return int(self.r.hincrby(self.k("meta"), "next_cluster", 1))

    def move(self, pids: Sequence[int], old: int | None, new: int | None) -> None:
        if not pids:
            return
        for pid in pids:
            if new is None:
                self.pipe.hdel(self.k("p", pid), "cluster")
            else:
                self.pipe.hset(self.k("p", pid), "cluster", new)
        if old is not None:
            self.pipe.srem(self.k("c", old), *pids)
        if new is not None:
            self.pipe.sadd(self.k("c", new), *pids)
            self.pipe.sadd(self.k("clusters"), new)

    def drop_cluster(self, cid: int) -> None:
        self.pipe.delete(self.k("c", cid))
        self.pipe.srem(self.k("clusters"), cid)

    def cluster_members(self, cid: int) -> list[tuple[int, int, int]]:
        pids = sorted(int(p) for p in self.r.smembers(self.k("c", cid)))
        pipe = self.r.pipeline(transaction=False)
        for pid in pids:
            pipe.hmget(self.k("p", pid), ["doc", "idx"])
        return [(pid, int(d), int(i)) for pid, (d, i) in zip(pids, pipe.execute()) if d is not None]

    def _edges_of(self, pids: Sequence[int]) -> list[tuple[int, dict[bytes, bytes]]]:
        pipe = self.r.pipeline(transaction=False)
        for pid in pids:
            pipe.hgetall(self.k("e", pid))
        return list(zip(pids, pipe.execute()))

    def edges_among(self, pids: Sequence[int]) -> list[Edge]:
        members = set(pids)
        out = []
        for a, neighbours in self._edges_of(sorted(members)):
            for b_raw, value in neighbours.items():
                b = int(b_raw)
                if a < b and b in members:
                    jac, cont = (float(x) for x in value.split())
                    out.append((a, b, jac, cont))
        return out

    def remove_document(self, key: int) -> list[tuple[int, int | None]]:
        doc_id, listed = self.r.hmget(self.k("d", key), ["id", "passages"])
        pids = [int(p) for p in listed.split(b",")] if listed else []
        pipe = self.r.pipeline(transaction=False)
        for pid in pids:
            pipe.hget(self.k("p", pid), "cluster")
        clusters = [None if c is None else int(c) for c in pipe.execute()] if pids else []
        for pid, neighbours in self._edges_of(pids):
            for other in neighbours:
                self.pipe.hdel(self.k("e", other), pid)
            self.pipe.delete(self.k("e", pid), self.k("p", pid))
        for cid in {c for c in clusters if c is not None}:
            self.pipe.srem(self.k("c", cid), *[p for p, c in zip(pids, clusters) if c == cid])
        self.pipe.delete(self.k("d", key))
        self.pipe.hdel(self.k("docs"), doc_id)
        self.pipe.hincrby(self.k("meta"), "passages", -len(pids))

        def unbucket() -> None:
            for pid in pids:
                try:
                    self.lsh.remove(str(pid).encode())
                except ValueError:  # already gone
                    pass

        self.after.append(unbucket)
        return list(zip(pids, clusters))

    # -- listing

    def all_documents(self) -> list[_DocRow]:
        keys = sorted(int(k) for k in self.r.hvals(self.k("docs")))
        pipe = self.r.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(self.k("d", key), ["id", "text", "chars", "lines"])
        out: list[_DocRow] = []
        for key, (doc_id, text, chars, lines) in zip(keys, pipe.execute()):
            if doc_id is not None:
                out.append(_DocRow(key, doc_id.decode(), None if text is None else text.decode(), int(chars), int(lines)))
        return out

    def _all_pids(self) -> list[int]:
        keys = sorted(int(k) for k in self.r.hvals(self.k("docs")))
        pipe = self.r.pipeline(transaction=False)
        for key in keys:
            pipe.hget(self.k("d", key), "passages")
        return [int(p) for listed in pipe.execute() if listed for p in listed.split(b",")]

    def all_passages(self) -> list[_PassageRow]:
        pids = self._all_pids()
        fields = ["doc", "idx", "start", "end", "line_start", "line_end", "norm_start", "norm_end", "cluster"]
        pipe = self.r.pipeline(transaction=False)
        for pid in pids:
            pipe.hmget(self.k("p", pid), fields)
        out = []
        for pid, row in zip(pids, pipe.execute()):
            if row[0] is not None:
                doc, idx, start, end, line_start, line_end, norm_start, norm_end = (int(v) for v in row[:8])
                cluster = None if row[8] is None else int(row[8])
                out.append(_PassageRow(pid, doc, idx, start, end, line_start, line_end, norm_start, norm_end, cluster))
        return out

    def all_edges(self) -> list[Edge]:
        return self.edges_among(self._all_pids())

    def shingles(self, pids: Sequence[int]) -> dict[int, npt.NDArray[np.uint64]]:
        pids = sorted(set(pids))
        pipe = self.r.pipeline(transaction=False)
        for pid in pids:
            pipe.hget(self.k("p", pid), "shingles")
        return {pid: _u8(blob) for pid, blob in zip(pids, pipe.execute()) if blob is not None}

    def size(self) -> int | None:
        return None


# --------------------------------------------------------------------------- parameters

_USER_PARAMS = ("threshold", "ngram", "num_perm", "seed", "minhash_scheme", "tokens", "min_chars", "max_chars", "keep_text")
_ENV_PARAMS = ("datasketch_major",)


def _check_memo(path: Path) -> Path | None:
    """Where a passed integrity check of the index at ``path`` is remembered."""
    import hashlib

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not base or base == os.path.join("~", ".cache"):
        return None
    key = hashlib.sha1(os.fsencode(path.resolve())).hexdigest()
    return Path(base) / "neardup" / "checked" / key


def is_sqlite_file(path: Path) -> bool:
    """Whether ``path`` starts with SQLite's file header (a database, neardup's or not)."""
    try:
        with path.open("rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _loads_params(raw: str, location: str) -> dict[str, Any]:
    try:
        params = json.loads(raw)
    except json.JSONDecodeError as err:
        raise InputError(f"{location}: unreadable index parameters ({err.msg})") from None
    if not isinstance(params, dict):
        raise InputError(f"{location}: unreadable index parameters (not a JSON object)")
    return params


def _params_of(config: ScanConfig, keep_text: bool) -> dict[str, Any]:
    """What an index stores about itself, except the LSH layout (see :func:`_layout`)."""
    params = config.signature_params()
    params.update(
        schema_version=SCHEMA_VERSION,
        threshold=config.candidates.threshold,
        min_chars=config.passages.min_chars,
        max_chars=config.passages.max_chars,
        gap=config.cluster.gap,
        max_bucket=config.candidates.max_bucket,
        keep_text=keep_text,
    )
    return params


def _layout(config: ScanConfig) -> dict[str, int]:
    """Bands and rows for a new index. Stored, never recomputed: finding the optimum
    takes a second, and a later datasketch could choose differently."""
    bands, rows = band_params(config.candidates.threshold, config.signature.num_perm)
    return {"bands": bands, "rows": rows}


def _flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out = {}
    for key, value in params.items():
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _config_of(params: dict[str, Any], location: str) -> ScanConfig:
    try:
        threshold = float(params["threshold"])
        bands, rows, num_perm = int(params["bands"]), int(params["rows"]), int(params["num_perm"])
        if not (bands >= 2 and rows >= 1 and bands * rows <= num_perm):
            raise ValueError(f"bands={bands} x rows={rows} does not fit num_perm={num_perm}")
        return ScanConfig(
            normalize=NormalizeConfig(**params["normalize"]),
            passages=PassageConfig(min_chars=int(params["min_chars"]), max_chars=int(params["max_chars"])),
            shingle=ShingleConfig(ngram=int(params["ngram"]), tokens=params["tokens"]),
            signature=SignatureConfig(
                num_perm=int(params["num_perm"]), seed=int(params["seed"]), scheme=params["minhash_scheme"]
            ),
            candidates=CandidateConfig(threshold=threshold, max_bucket=int(params["max_bucket"])),
            verify=VerifyConfig(threshold=threshold),
            cluster=ClusterConfig(gap=int(params["gap"])),
        )
    except (KeyError, TypeError, ValueError, ConfigError) as err:
        raise InputError(f"{location}: unreadable index parameters ({type(err).__name__}: {err})") from None


def _check_params(stored: dict[str, Any], asked: dict[str, Any], explicit: Iterable[str], location: str) -> None:
    """Raise :class:`IndexMismatchError` naming the first parameter that differs."""
    if stored.get("schema_version") != SCHEMA_VERSION:
        raise IndexMismatchError(
            f"{location}: index schema_version is {stored.get('schema_version')!r}, this neardup reads"
            f" {SCHEMA_VERSION}; rebuild the index with this version"
        )
    flat_stored, flat_asked = _flatten(stored), _flatten(asked)
    for name in _ENV_PARAMS:
        if flat_stored.get(name) != flat_asked[name]:
            raise IndexMismatchError(
                f"{location}: the index was built with {name}={flat_stored.get(name)!r}, this environment gives"
                f" {name}={flat_asked[name]!r}; signatures would not compare, rebuild the index"
            )
    for name in sorted(explicit):
        if flat_stored.get(name) != flat_asked.get(name):
            raise IndexMismatchError(
                f"{location}: the index was built with {name}={flat_stored.get(name)!r}, not {name}="
                f"{flat_asked.get(name)!r}; open it without that option to use its own parameters, or build"
                " a new index"
            )


# --------------------------------------------------------------------------- cluster logic


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, x: Any) -> Any:
        parent = self.parent
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra

    def groups(self) -> list[list[Any]]:
        out: dict[Any, list[Any]] = defaultdict(list)
        for x in list(self.parent):
            out[self.find(x)].append(x)
        return list(out.values())


Position = tuple[int, int]  # (document key, passage index)


def _chain_links(pairs: Iterable[tuple[Position, Position]], gap: int) -> list[tuple[Position, Position]]:
    """Links inside one document implied by consecutive matches with another one.

    The rule of :mod:`neardup.cluster`: matches ``a ~ b`` and ``a+da ~ b+db`` between the
    same two documents (``1 <= da, db <= gap``) link ``a`` to ``a+da`` and ``b`` to
    ``b+db``. Pairs are oriented canonically, which the rule does not depend on.
    """
    by_docs: dict[tuple[int, int], set[tuple[int, int]]] = defaultdict(set)
    for x, y in pairs:
        a, b = min(x, y), max(x, y)
        by_docs[(a[0], b[0])].add((a[1], b[1]))
    links = []
    for (doc_a, doc_b), matched in by_docs.items():
        for ia, ib in matched:
            for da in range(1, gap + 1):
                for db in range(1, gap + 1):
                    if (ia + da, ib + db) in matched:
                        links.append(((doc_a, ia), (doc_a, ia + da)))
                        links.append(((doc_b, ib), (doc_b, ib + db)))
    return links


def _region_count(positions: Iterable[Position], gap: int) -> int:
    """Members a set of passages would make in a report: runs within one document."""
    count, last = 0, None
    for doc, idx in sorted(positions):
        if last is None or last[0] != doc or idx - last[1] > gap:
            count += 1
        last = (doc, idx)
    return count


# --------------------------------------------------------------------------- the index


class Index:
    """A persistent near-duplicate index; open it with :meth:`Index.open`.

    An ``Index`` object belongs to the thread that opened it: open one per thread or
    process (many may read one index while one writes).

    >>> import tempfile, os
    >>> speech = "各地各部门务必引起高度重视，全面动员，全员参与，集中攻坚，全力整改，确保创建工作取得实效。"
    >>> path = os.path.join(tempfile.mkdtemp(), "corpus.ndx")
    >>> with Index.open(path) as index:
    ...     index.add("a", "同志们：\\n" + speech, meta={"url": "https://example.org/a"}).started
    ...     index.add("b", speech.replace("各地", "xx市")).started
    ...     [(m.doc_id, m.meta, len(m.spans)) for m in index.query("会上强调：" + speech)]
    ()
    (1,)
    [('a', {'url': 'https://example.org/a'}, 1), ('b', None, 1)]
    """

    def __init__(self, backend: _Backend, config: ScanConfig, params: dict[str, Any]) -> None:
        self._check: threading.Thread | None = None
        self._check_error: CorruptIndexError | None = None
        self._backend = backend
        self.config = config
        self.params = params
        self.keep_text = bool(params.get("keep_text", True))
        self.location = backend.location
        self._bands = int(params["bands"])
        self._rows = int(params["rows"])

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        config: ScanConfig | None = None,
        threshold: float | None = None,
        ngram: int | None = None,
        num_perm: int | None = None,
        seed: int | None = None,
        minhash_scheme: str | None = None,
        tokens: str | None = None,
        min_chars: int | None = None,
        max_chars: int | None = None,
        keep_text: bool | None = None,
        create: bool = True,
        check: bool = False,
    ) -> Index:
        """Open the index at ``path`` (a file, or ``redis://host:port/db?basename=NAME``).

        A new index takes the given options (defaults for the rest) and stores them.
        An existing one keeps its own: an option given here that differs from the stored
        value raises :class:`IndexMismatchError` naming it, and so does a ``config``
        whose signature parameters differ. ``keep_text=False`` stores offsets only.
        With ``create=False`` a missing index is an :class:`InputError`. A file that is
        not a neardup index raises :class:`~neardup.errors.CorruptIndexError`. With
        ``check=True`` the integrity check (SQLite's ``quick_check``, which reads every
        page) starts in a thread beside your queries, and :meth:`check` waits for it: a
        check that must not answer from a damaged index calls it before trusting the
        answers.
        """
        options = {
            "threshold": threshold,
            "ngram": ngram,
            "num_perm": num_perm,
            "seed": seed,
            "minhash_scheme": minhash_scheme,
            "tokens": tokens,
            "min_chars": min_chars,
            "max_chars": max_chars,
        }
        given: dict[str, Any] = {k: v for k, v in options.items() if v is not None}
        if config is not None and given:
            raise ConfigError(f"give either config or options ({', '.join(sorted(given))}), not both")
        if config is None:
            config = ScanConfig.from_options(**given)
            explicit = set(given)
        else:
            explicit = {k for k in _flatten(_params_of(config, True)) if k not in ("keep_text", "schema_version")}
            explicit -= set(_ENV_PARAMS)
        if keep_text is not None:
            explicit.add("keep_text")
        asked = _params_of(config, True if keep_text is None else keep_text)
        raw = os.fspath(path)
        backend: _Backend
        if raw.startswith(("redis://", "rediss://")):
            backend = _RedisStore(raw, create=create)
        else:
            backend = _SQLiteStore(Path(raw), create=create)
        try:
            stored = backend.load_params()
            if stored is None:
                if not create:
                    raise InputError(f"{backend.location}: no index there; build one with `neardup index add`")
                backend.create({**asked, **_layout(config)})
                stored = backend.load_params()
                assert stored is not None
            _check_params(stored, asked, explicit, backend.location)
            stored_config = _config_of(stored, backend.location)
            backend.configure(stored_config, int(stored["bands"]), int(stored["rows"]))
        except BaseException:
            backend.close()
            raise
        index = cls(backend, stored_config, stored)
        if check:
            index._start_check()
        return index

    # -- integrity

    def _start_check(self) -> None:
        def run() -> None:
            try:
                self._backend.check()
            except CorruptIndexError as err:
                self._check_error = err

        self._check = threading.Thread(target=run, name="neardup-index-check", daemon=True)
        self._check.start()

    def check(self) -> None:
        """Raise :class:`~neardup.errors.CorruptIndexError` if the index fails its integrity check.

        Waits for the check :meth:`open` started with ``check=True``, or runs it now.
        """
        if self._check is None:
            self._start_check()
        assert self._check is not None
        self._check.join()
        if self._check_error is not None:
            raise self._check_error

    # -- context manager and container protocol

    def close(self) -> None:
        if self._check is not None:
            self._check.join()
        self._backend.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __len__(self) -> int:
        return self._backend.counts()[0]

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self._backend.doc_key(doc_id) is not None

    def __repr__(self) -> str:
        return f"Index({self.location!r})"

    # -- preparing texts

    def _prepare(self, doc_id: str, text: str, meta: Any = None) -> _Prepared:
        if not isinstance(doc_id, str) or not doc_id:
            raise InputError(f"document id must be a non-empty string, got {doc_id!r}")
        if not isinstance(text, str):
            raise InputError(f"{doc_id}: text must be a str, got {type(text).__name__}")
        meta_json = None
        if meta is not None:
            try:
                meta_json = json.dumps(meta, ensure_ascii=False, sort_keys=True, allow_nan=False)
            except (TypeError, ValueError) as err:
                raise InputError(f"{doc_id}: meta must be JSON-serialisable ({err})") from None
        table = prepare([Document(doc_id, text)], self.config)
        sigs = signatures(table.hashes, table.offsets, self.config.signature)
        sets = [table.shingles(i) for i in range(len(table.passages))]
        keys = band_keys(sigs, self._bands, self._rows)
        return _Prepared(doc_id, text, meta_json, tuple(table.passages), sets, sigs, keys)

    # -- queries

    def query(self, text: str, *, threshold: float | None = None) -> list[IndexMatch]:
        """Stored documents that ``text`` reuses, most complete copy first.

        ``threshold`` (exact passage Jaccard) defaults to the index's and may not be lower:
        the LSH bands were laid out for the index's threshold.
        """
        threshold = self._threshold(threshold)
        prepared = self._prepare("<query>", text)
        with self._damage(), self._backend.read():
            return self._query_prepared(prepared, threshold)

    def _query_prepared(self, prepared: _Prepared, threshold: float) -> list[IndexMatch]:
        """:meth:`query` for prepared text, inside a read or write transaction."""
        candidates = self._backend.lookup(prepared)
        stored = self._backend.fetch(set().union(*candidates))
        pairs = [
            (i, pid, jac)
            for i, found in enumerate(candidates)
            for pid in sorted(found)
            if pid in stored
            for jac in [similarity(prepared.sets[i], stored[pid].shingles)[0]]
            if jac >= threshold
        ]
        docs = self._backend.doc_info(stored[pid].doc for _, pid, _ in pairs)
        return self._matches(prepared, [(i, stored[pid]) for i, pid, _ in pairs], docs)

    def _near_copy(self, prepared: _Prepared, min_share: float) -> IndexMatch | None:
        """The stored document ``prepared`` is a near-copy of (coverage >= ``min_share``), if any."""
        if not prepared.passages:
            return None
        matches = self._query_prepared(prepared, self.config.verify.threshold)
        return matches[0] if matches and matches[0].coverage >= min_share else None

    @contextmanager
    def _damage(self) -> Iterator[None]:
        """A page SQLite cannot read is a damaged index, reported as the check would."""
        try:
            yield
        except sqlite3.DatabaseError as err:
            if self._check is not None:
                self.check()
            raise CorruptIndexError(f"{self.location}: the index fails its integrity check ({err}); rebuild it") from None

    def _threshold(self, threshold: float | None) -> float:
        base = self.config.verify.threshold
        if threshold is None:
            return base
        if not 0.0 < threshold <= 1.0:
            raise ConfigError(f"threshold must be in (0, 1], got {threshold}")
        if threshold < base:
            raise ConfigError(
                f"threshold {threshold} is below the index's threshold {base}: its LSH bands would miss such"
                f" pairs; query at {base} or more, or build an index with --threshold {threshold}"
            )
        return threshold

    def _matches(
        self, prepared: _Prepared, pairs: Sequence[tuple[int, _Stored]], docs: Mapping[int, tuple[str, Any]]
    ) -> list[IndexMatch]:
        by_doc: dict[int, list[tuple[int, _Stored]]] = defaultdict(list)
        for i, s in pairs:
            if s.doc in docs:
                by_doc[s.doc].append((i, s))
        total = sum(p.length for p in prepared.passages) or 1
        out = []
        for doc, doc_pairs in by_doc.items():
            spans = self._spans(prepared, doc_pairs, docs[doc][0])
            covered = sum(prepared.passages[i].length for i in {i for i, _ in doc_pairs})
            doc_id, meta = docs[doc]
            out.append(
                IndexMatch(
                    doc_id=doc_id,
                    similarity=max(s.similarity for s in spans),
                    coverage=round(covered / total, 4),
                    spans=tuple(spans),
                    meta=meta,
                )
            )
        out.sort(key=lambda m: (-m.coverage, -m.similarity, m.doc_id))
        return out

    def _spans(self, prepared: _Prepared, pairs: Sequence[tuple[int, _Stored]], doc_id: str) -> list[IndexSpan]:
        """Matched passages -> reused spans on both sides.

        Where the stored text is kept, each run of matched passages is aligned exactly
        (:func:`neardup.align.align_pair`) so the spans start and end where the copying
        does; without stored text, the runs' passage boundaries are the spans.
        """
        qp = prepared.passages
        groups = merge_passage_pairs([(qp[i], s.as_passage()) for i, s in pairs], gap=self.config.cluster.gap)
        stored_text = self._backend.document_text(doc_id)[1]
        spans = []
        for group in groups:
            q = sorted({pairs[g][0] for g in group})
            d = sorted({pairs[g][1].pid: pairs[g][1] for g in group}.values(), key=lambda s: s.idx)
            qs, qe = min(qp[i].start for i in q), max(qp[i].end for i in q)
            ds, de = min(s.start for s in d), max(s.end for s in d)
            if stored_text:
                # Edge passages that mix copied and other text may not have matched:
                # align one passage length beyond the run on each side.
                m = self.config.passages.max_chars
                window = (max(0, qs - m), min(len(prepared.text), qe + m), max(0, ds - m), min(len(stored_text), de + m))
                aligned = self._aligned(prepared.text, window[0], window[1], stored_text, window[2], window[3])
                if aligned:
                    spans.extend(aligned)
                    continue
                # Matched passages the aligner keeps no stretch of: report the passages.
            q_set = np.unique(np.concatenate([prepared.sets[i] for i in q]))
            d_set = np.unique(np.concatenate([s.shingles for s in d]))
            spans.append(
                IndexSpan(
                    query_start=qs,
                    query_end=qe,
                    query_line_start=min(qp[i].line_start for i in q),
                    query_line_end=max(qp[i].line_end for i in q),
                    doc_start=ds,
                    doc_end=de,
                    doc_line_start=min(s.line_start for s in d),
                    doc_line_end=max(s.line_end for s in d),
                    similarity=round(similarity(q_set, d_set)[0], 4),
                )
            )
        return spans

    def _aligned(self, query: str, qs: int, qe: int, stored: str, ds: int, de: int) -> list[IndexSpan]:
        def line(text: str, offset: int) -> int:
            return text.count("\n", 0, offset) + 1

        out = []
        for r in align_pair(query[qs:qe], stored[ds:de], config=self.config.align):
            a0, a1, b0, b1 = qs + r.a_start, qs + r.a_end, ds + r.b_start, ds + r.b_end
            out.append(
                IndexSpan(
                    query_start=a0,
                    query_end=a1,
                    query_line_start=line(query, a0),
                    query_line_end=line(query, max(a0, a1 - 1)),
                    doc_start=b0,
                    doc_end=b1,
                    doc_line_start=line(stored, b0),
                    doc_line_end=line(stored, max(b0, b1 - 1)),
                    similarity=round(r.similarity, 4),
                )
            )
        return out

    def text(self, doc_id: str) -> str | None:
        """The stored original text of ``doc_id`` (``None`` when the index keeps no texts)."""
        found, text = self._backend.document_text(doc_id)
        if not found:
            raise InputError(f"{doc_id!r}: no such document in {self.location}")
        return text

    # -- adding

    def add(
        self, doc_id: str, text: str, meta: Any = None, *, skip_near_copies: bool = False, min_share: float = DEFAULT_MIN_SHARE
    ) -> Added:
        """Store one document (one transaction) and say which clusters it joined or started.

        ``meta`` is any JSON-serialisable value, returned with matches. An id already in
        the index is an :class:`InputError`: remove it first to replace it. With
        ``skip_near_copies``, a document whose passages lie, for at least ``min_share`` of
        their characters, in one stored document is not stored: ``near_copy_of`` names
        that document (as ``neardup dedup`` decides, :data:`neardup.dedup.DEFAULT_MIN_SHARE`).
        """
        prepared = self._prepare(doc_id, text, meta)
        with self._backend.write():
            return self._add_or_skip(prepared, skip_near_copies, min_share)

    def _add_or_skip(self, prepared: _Prepared, skip_near_copies: bool, min_share: float) -> Added:
        if skip_near_copies:
            if not 0.0 < min_share <= 1.0:
                raise ConfigError(f"min_share must be in (0, 1], got {min_share}")
            if self._backend.doc_key(prepared.doc_id) is None:
                copy = self._near_copy(prepared, min_share)
                if copy is not None:
                    return Added(prepared.doc_id, 0, matches=(copy,), near_copy_of=copy.doc_id)
        return self._add_locked(prepared)

    def add_many(
        self,
        documents: Iterable[Addable],
        *,
        progress: Progress | None = None,
        batch_size: int = 64,
        skip_existing: bool = False,
        skip_near_copies: bool = False,
        min_share: float = DEFAULT_MIN_SHARE,
    ) -> list[Added]:
        """Store many documents: ``Document`` objects or ``(id, text)`` / ``(id, text, meta)``.

        Documents are committed in batches of ``batch_size`` (one transaction each): a
        crash or an error loses at most the batch in progress. With ``skip_existing`` ids
        already held are skipped instead of raising. ``progress("index", done, total)``
        is called after each committed batch with the documents handled so far (``total``
        is 0 when the iterable has no length). ``skip_near_copies`` and ``min_share``: as
        for :meth:`add`; a document is also checked against those added before it.
        """
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        total = len(documents) if isinstance(documents, Sequence) else 0
        results: list[Added] = []
        batch: list[_Prepared] = []
        handled = 0

        def add_one(prepared: _Prepared) -> None:
            if skip_existing and self._backend.doc_key(prepared.doc_id) is not None:
                return
            results.append(self._add_or_skip(prepared, skip_near_copies, min_share))

        def flush() -> None:
            if self._backend.batch_writes:
                with self._backend.write():
                    for prepared in batch:
                        add_one(prepared)
            else:
                for prepared in batch:
                    with self._backend.write():
                        add_one(prepared)
            nonlocal handled
            handled += len(batch)
            batch.clear()
            if progress:
                progress("index", handled, total)

        seen: set[str] = set()
        for item in documents:
            doc_id, text, meta = _unpack(item)
            if doc_id in seen:
                if skip_existing:
                    continue
                raise InputError(f"document id {doc_id!r} appears twice: ids must be unique")
            seen.add(doc_id)
            batch.append(self._prepare(doc_id, text, meta))
            if len(batch) >= batch_size:
                flush()
        if batch:
            flush()
        return results

    def _add_locked(self, prepared: _Prepared) -> Added:
        backend, gap = self._backend, self.config.cluster.gap
        if backend.doc_key(prepared.doc_id) is not None:
            raise InputError(
                f"document id {prepared.doc_id!r} is already in {self.location}; remove it first to replace it"
            )
        doc = backend.insert_document(prepared, self.keep_text)
        pids = backend.insert_passages(doc, prepared)
        if not pids:
            return Added(prepared.doc_id, 0)
        candidates = backend.lookup(prepared)
        new = {
            pid: _Stored(pid, doc, p.index, p.start, p.end, p.line_start, p.line_end, None, s)
            for pid, p, s in zip(pids, prepared.passages, prepared.sets)
        }
        stored = backend.fetch(set().union(*candidates) - set(new))
        stored.update(new)
        threshold = self.config.verify.threshold
        edges: list[Edge] = []
        for i, pid in enumerate(pids):
            found = []
            for other in candidates[i]:
                # Pairs inside the new document are seen from both sides: keep one.
                if other not in stored or other == pid or (other in new and other > pid):
                    continue
                jac, cont = similarity(prepared.sets[i], stored[other].shingles)
                if jac >= threshold:
                    found.append((other, pid, round(jac, 6), round(cont, 6)))
            edges.extend(found)
        # A passage pasted into thousands of documents would store thousands of edges per
        # copy: keep the best max_bucket per new passage (as a scan caps LSH buckets), the
        # most recent among equals, so copies form a band that survives removals.
        # Clusters follow the stored edges only, so listing, removals and adds agree.
        cap = self.config.candidates.max_bucket
        by_new: dict[int, list[Edge]] = defaultdict(list)
        for e in edges:
            by_new[e[1]].append(e)
        kept = [e for group in by_new.values() for e in sorted(group, key=lambda e: (-e[2], -e[0]))[:cap]]
        backend.insert_edges(kept)
        joined, started, merged = self._join_clusters(kept, stored, new, gap)
        position = {pid: i for i, pid in enumerate(pids)}
        cross = [(position[pid], stored[o]) for o, pid, _, _ in edges if o not in new]
        docs = backend.doc_info(s.doc for _, s in cross)
        matches = self._matches(prepared, cross, docs)
        return Added(prepared.doc_id, len(pids), joined, started, merged, tuple(matches))

    def _join_clusters(
        self, edges: Sequence[Edge], stored: Mapping[int, _Stored], new: Mapping[int, _Stored], gap: int
    ) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """Union the new matches (and their chain links) with the existing clusters."""
        backend = self._backend
        if not edges:
            return (), (), ()
        position = {pid: (s.doc, s.idx) for pid, s in stored.items()}
        at = {pos: pid for pid, pos in position.items()}

        def node(pid: int) -> tuple[str, int]:
            cid = stored[pid].cluster
            return ("c", cid) if cid is not None else ("p", pid)

        uf = _UnionFind()
        for a, b, _, _ in edges:
            uf.union(node(a), node(b))
        for x, y in _chain_links(((position[a], position[b]) for a, b, _, _ in edges), gap):
            uf.union(node(at[x]), node(at[y]))
        joined, started, merged = [], [], []
        for group in uf.groups():
            old = sorted(n[1] for n in group if n[0] == "c")
            loose = sorted(n[1] for n in group if n[0] == "p")
            if old:
                cid = old[0]
                for retired in old[1:]:
                    backend.move([m[0] for m in backend.cluster_members(retired)], retired, cid)
                    backend.drop_cluster(retired)
                joined.append(cid)
                merged.extend(old[1:])
            else:
                cid = backend.next_cluster()
                if _region_count((position[p] for p in loose), gap) >= 2:
                    started.append(cid)
            backend.move(loose, None, cid)
        return tuple(sorted(joined)), tuple(sorted(started)), tuple(sorted(merged))

    # -- removing

    def remove(self, doc_id: str) -> None:
        """Delete a document, its passages and matches; split its clusters if it bridged them."""
        with self._backend.write():
            self._remove_locked(doc_id)

    def remove_many(self, doc_ids: Iterable[str]) -> None:
        """Remove several documents (on SQLite in one transaction); an unknown id removes none."""
        ids = list(dict.fromkeys(doc_ids))
        missing = [doc_id for doc_id in ids if doc_id not in self]
        if missing:
            raise InputError(f"{missing[0]!r}: no such document in {self.location}; nothing removed")
        if self._backend.batch_writes:
            with self._backend.write():
                for doc_id in ids:
                    self._remove_locked(doc_id)
        else:
            for doc_id in ids:
                self.remove(doc_id)

    def _remove_locked(self, doc_id: str) -> None:
        backend, gap = self._backend, self.config.cluster.gap
        key = backend.doc_key(doc_id)
        if key is None:
            raise InputError(f"{doc_id!r}: no such document in {self.location}")
        removed = backend.remove_document(key)
        gone = {pid for pid, _ in removed}
        for cid in sorted({c for _, c in removed if c is not None}):
            members = [m for m in backend.cluster_members(cid) if m[0] not in gone]
            edges = backend.edges_among([m[0] for m in members])
            position = {pid: (d, i) for pid, d, i in members}
            at = {pos: pid for pid, pos in position.items()}
            uf = _UnionFind()
            for pid in position:
                uf.find(pid)
            for a, b, _, _ in edges:
                uf.union(a, b)
            for x, y in _chain_links(((position[a], position[b]) for a, b, _, _ in edges), gap):
                uf.union(at[x], at[y])
            groups = sorted((sorted(g) for g in uf.groups()), key=lambda g: (-len(g), g[0]))
            for group in groups:
                if len(group) < 2:
                    backend.move(group, cid, None)
            multi = [g for g in groups if len(g) >= 2]
            if not multi:
                backend.drop_cluster(cid)
            for group in multi[1:]:  # the largest part keeps the id; the others get new ones
                backend.move(group, cid, backend.next_cluster())

    # -- reports

    def stats(self) -> IndexStats:
        """Counts, size on disk (SQLite) and the stored parameters."""
        with self._backend.read():
            docs, passages = self._backend.counts()
            matches = len(self._backend.all_edges())
        clusters = len(self.report().clusters)
        return IndexStats(
            location=self.location,
            backend=self._backend.kind,
            documents=docs,
            passages=passages,
            clusters=clusters,
            matches=matches,
            bytes=self._backend.size(),
            params=dict(self.params),
        )

    def report(self) -> ScanResult:
        """The index's clusters as a scan result (render it with ``render_json``/``render_text``).

        Cluster ids are the index's stable ids, clusters listed in id order. Documents are
        in id order as in a scan; the summary's ``candidates`` counts stored matches, as
        the index keeps no unverified pairs.

        With the texts stored (the default), the clusters are those a scan of the stored
        documents finds: coherent, with boilerplate counted over the whole index and left
        out of every match. Without stored texts, the stored matches are clustered by the
        same rules (boilerplate counted as each document arrived cannot be recounted) and
        member texts are empty.
        """
        with self._backend.read():
            doc_rows = sorted(self._backend.all_documents(), key=lambda d: d.doc_id)
            passage_rows = self._backend.all_passages()
            edges = self._backend.all_edges()
        order = {d.key: n for n, d in enumerate(doc_rows)}
        passage_rows = sorted((r for r in passage_rows if r.doc in order), key=lambda r: (order[r.doc], r.idx))
        number = {r.pid: n for n, r in enumerate(passage_rows)}
        passages = tuple(
            Passage(order[r.doc], r.idx, r.start, r.end, r.line_start, r.line_end, r.norm_start, r.norm_end)
            for r in passage_rows
        )
        matches = sorted(
            (
                Match(min(number[a], number[b]), max(number[a], number[b]), jac, cont)
                for a, b, jac, cont in edges
                if a in number and b in number
            ),
            key=lambda m: (m.a, m.b),
        )
        involved = sorted({passage_rows[n].pid for m in matches for n in (m.a, m.b)})
        sets_by_pid = self._backend.shingles(involved)
        pid_of = [r.pid for r in passage_rows]

        def union(numbers: Sequence[int]) -> npt.NDArray[np.uint64]:
            return np.unique(np.concatenate([sets_by_pid[pid_of[n]] for n in numbers]))

        texts = [d.text or "" for d in doc_rows]
        if doc_rows and all(d.text is not None for d in doc_rows):
            found = list(scan_documents([Document(d.doc_id, d.text or "") for d in doc_rows], config=replace(self.config, detail="clusters")).clusters)
        else:
            found = cluster_matches(
                passages, matches, [d.doc_id for d in doc_rows], texts, union, self.config.cluster, threshold=self.config.verify.threshold
            )
        at = {(d.doc_id, r.idx): r.cluster for d, r in ((doc_rows[order[r.doc]], r) for r in passage_rows)}
        clusters = _stable_ids(found, at)
        documents = tuple(Document(d.doc_id, d.text or "") for d in doc_rows)
        stats = ScanStats(
            documents=len(documents),
            passages=len(passages),
            candidates=len(matches),
            matches=len(matches),
            clusters=len(clusters),
            duplicated_chars=covered_chars(clusters),
        )
        config = self.config.to_dict()
        config["index"] = {"location": self.location, "backend": self._backend.kind, "params": dict(self.params)}
        return ScanResult(documents, passages, tuple(matches), tuple(clusters), stats, config)


def _stable_ids(found: Sequence[Cluster], at: Mapping[tuple[str, int], int | None]) -> list[Cluster]:
    """Coherent clusters named by the index's stable ids (``at``: each stored passage's id).

    The index keeps a stable id per connected group of matched passages. A group may hold
    several coherent clusters (copies of different texts that some passage touches
    both): the largest keeps the group's id; the others are numbered after the largest
    id in use, in report order, and may be renumbered as the index changes.
    """
    taken: set[int] = set()
    named: list[tuple[int | None, Cluster]] = []
    for c in found:  # largest first, as clusters are ordered
        ids = sorted({i for m in c.members for p in m.passages if (i := at.get((m.doc_id, p))) is not None})
        cid = next((i for i in ids if i not in taken), None)
        if cid is not None:
            taken.add(cid)
        named.append((cid, c))
    next_id = max([*taken, *(i for i in at.values() if i is not None), 0]) + 1
    out = []
    for cid, c in named:
        if cid is None:
            cid, next_id = next_id, next_id + 1
        out.append(Cluster(id=cid, members=c.members, representative=c.representative))
    out.sort(key=lambda c: c.id)
    return out


def _unpack(item: Addable) -> tuple[str, str, Any]:
    if isinstance(item, Document):
        return item.id, item.text, None
    if isinstance(item, tuple) and len(item) in (2, 3):
        return item[0], item[1], item[2] if len(item) == 3 else None
    raise InputError(f"add_many takes Documents or (id, text[, meta]) tuples, got {type(item).__name__}")


