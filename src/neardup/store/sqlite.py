"""The SQLite backend: one index in one file.

Writes are SQLite transactions in WAL mode with ``synchronous=FULL``: a process killed
in the middle of ``add_many`` loses at most its current batch, never the file, and
readers in other processes keep working while one process writes. Band keys
(:func:`neardup.candidates.band_keys`) are stored as signed 64-bit integers in one
indexed table (each band's keys are salted with its number, so one column holds all).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from neardup.candidates import band_keys
from neardup.config import ScanConfig
from neardup.errors import CorruptIndexError, InputError, NeardupError
from neardup.model import PASSAGE_COLUMNS, Passage
from neardup.passages import line_count
from neardup.store.backend import BUSY_TIMEOUT, FORMAT, DocRow, Edge, PassageRow, Prepared, Stored, as_u4, as_u8, loads_params

__all__ = ["SQLiteStore", "is_sqlite_file"]

_SQL_CHUNK = 500  # host parameters per IN (...) list
_PAGE_SIZE = 16384  # 4 KiB pages hold one ~2.3 KB passage row each: 4.4 KB instead of 3.7 KB per passage
_MMAP_SIZE = 1 << 30  # read through a memory map: no copy into SQLite's page cache


def _chunks(items: Sequence[Any], size: int = _SQL_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _qmarks(n: int) -> str:
    return ",".join("?" * n)


#: The passage columns, quoted (``end`` is an SQL keyword too).
_COLUMNS = ", ".join(f'"{c}"' for c in PASSAGE_COLUMNS)
_N = len(PASSAGE_COLUMNS)

_SCHEMA = [
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    """CREATE TABLE documents (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        doc_id TEXT NOT NULL UNIQUE,
        text TEXT,
        chars INTEGER NOT NULL,
        lines INTEGER NOT NULL,
        meta TEXT)""",
    "CREATE TABLE passages (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    + ", ".join(f'"{c}" INTEGER NOT NULL' + (" REFERENCES documents(id)" if c == "doc" else "") for c in PASSAGE_COLUMNS)
    + ", cluster INTEGER, signature BLOB NOT NULL, shingles BLOB NOT NULL)",
    "CREATE INDEX passages_doc ON passages(doc, idx)",
    "CREATE INDEX passages_cluster ON passages(cluster) WHERE cluster IS NOT NULL",
    "CREATE TABLE bands (key INTEGER NOT NULL, passage INTEGER NOT NULL, PRIMARY KEY (key, passage)) WITHOUT ROWID",
    """CREATE TABLE edges (
        a INTEGER NOT NULL, b INTEGER NOT NULL, jaccard REAL NOT NULL, containment REAL NOT NULL,
        PRIMARY KEY (a, b)) WITHOUT ROWID""",
    "CREATE INDEX edges_b ON edges(b)",
]


class SQLiteStore:
    kind = "sqlite"
    batch_writes = True  # several documents per transaction
    damage_errors: tuple[type[BaseException], ...] = (sqlite3.DatabaseError,)

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
            self.db = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT)
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
        self.config = ScanConfig()
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
        if rows.get("format") != FORMAT or "params" not in rows:
            raise CorruptIndexError(f"{self.location}: an SQLite database, but not a neardup index")
        return loads_params(rows["params"], self.location)

    def create(self, params: dict[str, Any]) -> None:
        with self.write():
            exists = self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
            if exists:  # another process created it meanwhile; the caller re-reads
                return
            for statement in _SCHEMA:
                self.db.execute(statement)
            self.db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("format", FORMAT), ("params", json.dumps(params, sort_keys=True)), ("next_cluster", "1")],
            )

    def configure(self, config: ScanConfig, bands: int, rows: int) -> None:
        self.config, self.bands, self.rows = config, bands, rows

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
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT)
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
                f"{self.location}: another process kept the index locked for {BUSY_TIMEOUT:.0f}s ({err}); try again"
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

    def insert_document(self, prepared: Prepared, keep_text: bool) -> int:
        cur = self.db.execute(
            "INSERT INTO documents (doc_id, text, chars, lines, meta) VALUES (?, ?, ?, ?, ?)",
            (
                prepared.doc_id,
                prepared.text if keep_text else None,
                len(prepared.text),
                line_count(prepared.text),
                prepared.meta_json,
            ),
        )
        assert cur.lastrowid is not None
        return int(cur.lastrowid)

    def insert_passages(self, doc: int, prepared: Prepared) -> list[int]:
        pids = []
        sql = f"INSERT INTO passages ({_COLUMNS}, signature, shingles) VALUES ({_qmarks(_N + 2)})"
        for p, sig, shingles in zip(prepared.passages, prepared.sigs, prepared.sets):
            cur = self.db.execute(sql, (*p.row(doc), sig.astype("<u4").tobytes(), shingles.astype("<u8").tobytes()))
            assert cur.lastrowid is not None
            pids.append(int(cur.lastrowid))
        self.db.executemany(
            "INSERT OR IGNORE INTO bands (key, passage) VALUES (?, ?)",
            [(key, pid) for pid, row in zip(pids, prepared.keys.view(np.int64).tolist()) for key in row],
        )
        return pids

    def lookup(self, prepared: Prepared) -> list[set[int]]:
        rows = prepared.keys.view(np.int64).tolist()
        wanted = sorted({k for row in rows for k in row})
        hits: dict[int, list[int]] = defaultdict(list)
        for chunk in _chunks(wanted):
            sql = f"SELECT key, passage FROM bands WHERE key IN ({_qmarks(len(chunk))})"
            for key, pid in self.db.execute(sql, tuple(chunk)):
                hits[key].append(pid)
        return [{pid for k in row for pid in hits.get(k, ())} for row in rows]

    def fetch(self, pids: Iterable[int]) -> dict[int, Stored]:
        out: dict[int, Stored] = {}
        for chunk in _chunks(sorted(set(pids))):
            sql = f"SELECT id, {_COLUMNS}, cluster, shingles FROM passages WHERE id IN ({_qmarks(len(chunk))})"
            for pid, *columns, cluster, blob in self.db.execute(sql, tuple(chunk)):
                out[pid] = Stored(pid, Passage(*columns), cluster, as_u8(blob))
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
            sigs = np.stack([as_u4(r[2]) for r in rows])
            keys = band_keys(sigs, self.config.candidates, params=(self.bands, self.rows)).view(np.int64).tolist()
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

    def all_documents(self) -> list[DocRow]:
        return [DocRow(*r) for r in self.db.execute("SELECT id, doc_id, text, chars, lines FROM documents")]

    def all_passages(self) -> list[PassageRow]:
        sql = f"SELECT id, {_COLUMNS}, cluster FROM passages"
        return [PassageRow(pid, Passage(*columns), cluster) for pid, *columns, cluster in self.db.execute(sql)]

    def all_edges(self) -> list[Edge]:
        return [(a, b, jac, cont) for a, b, jac, cont in self.db.execute("SELECT a, b, jaccard, containment FROM edges")]

    def shingles(self, pids: Sequence[int]) -> dict[int, npt.NDArray[np.uint64]]:
        out = {}
        for chunk in _chunks(sorted(set(pids))):
            sql = f"SELECT id, shingles FROM passages WHERE id IN ({_qmarks(len(chunk))})"
            for pid, blob in self.db.execute(sql, tuple(chunk)):
                out[pid] = as_u8(blob)
        return out

    def size(self) -> int | None:
        return sum(
            os.path.getsize(p) for p in (self.path, Path(f"{self.path}-wal")) if os.path.exists(p)
        )


def _check_memo(path: Path) -> Path | None:
    """Where a passed integrity check of the index at ``path`` is remembered."""
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
