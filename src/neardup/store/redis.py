"""The Redis backend: one index shared by several ingestion workers.

Documents, passages, edges, clusters and LSH buckets live in Redis hashes and sets under
``{basename}:``; writers take a Redis lock and write each document in one MULTI/EXEC, so
readers see a document whole or not at all.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import numpy as np
import numpy.typing as npt

from neardup.candidates import band_keys
from neardup.config import ScanConfig
from neardup.errors import InputError, NeardupError
from neardup.model import PASSAGE_COLUMNS, Passage
from neardup.passages import line_count
from neardup.store.backend import BUSY_TIMEOUT, FORMAT, DocRow, Edge, PassageRow, Prepared, Stored, as_u4, as_u8, loads_params

__all__ = ["RedisStore"]

logger = logging.getLogger(__name__)


class RedisStore:
    """Documents, passages, edges, clusters and LSH buckets in Redis hashes and sets.
    Key layout under ``{basename}:``::

        meta             hash: format, params (JSON), next_doc, next_passage, next_cluster, passages
        docs             hash: doc id -> document key
        d:{key}          hash: id, text, chars, lines, meta (JSON), passages (comma-separated ids)
        p:{pid}          hash: the passage columns (:data:`neardup.model.PASSAGE_COLUMNS`),
                         cluster, signature (<u4 bytes), shingles (<u8 bytes)
        e:{pid}          hash: other pid -> "jaccard containment"
        c:{cid}          set of pids;  clusters: set of cluster ids
        b:{band}:{key}   set of pids: an LSH bucket (``key``: the band key of
                         :func:`neardup.candidates.band_keys`, unsigned decimal)
        lock             the writers' lock

    A writer takes the lock and writes a document's records and bucket entries in one
    MULTI/EXEC: killed before it, it leaves nothing; lookups still skip a bucket entry
    whose passage record is gone, as a removal in progress may leave for a moment.
    """

    kind = "redis"
    batch_writes = False  # one MULTI/EXEC per document: reads see only executed writes
    damage_errors: tuple[type[BaseException], ...] = ()

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
        # bucket entries written in the open MULTI/EXEC, which lookups inside it must see
        self.pending: dict[tuple[int, int], set[int]] = {}
        self.config = ScanConfig()
        self.bands = self.rows = 0

    def k(self, *parts: str | int | bytes) -> bytes:
        return self.base + b":".join(p if isinstance(p, bytes) else str(p).encode() for p in parts)

    # -- lifecycle

    def load_params(self) -> dict[str, Any] | None:
        fmt, params = self.r.hmget(self.k("meta"), ["format", "params"])
        if fmt is None and params is None:
            return None
        if fmt != FORMAT.encode() or params is None:
            raise InputError(f"{self.location}: keys exist under this basename, but not a neardup index")
        return loads_params(params.decode("utf-8"), self.location)

    def create(self, params: dict[str, Any]) -> None:
        meta = self.k("meta")
        with self.r.pipeline() as pipe:
            try:
                pipe.watch(meta)
                if pipe.exists(meta):  # another worker created it meanwhile; the caller re-reads
                    return
                pipe.multi()
                pipe.hset(meta, mapping={"format": FORMAT, "params": json.dumps(params, sort_keys=True)})
                pipe.execute()
            except self._redis_mod.WatchError:
                return

    def check(self) -> None:
        """Nothing beyond ``load_params``: Redis keeps no file image to verify."""

    def configure(self, config: ScanConfig, bands: int, rows: int) -> None:
        self.config, self.bands, self.rows = config, bands, rows

    def bucket(self, band: int, key: int) -> bytes:
        return self.k("b", band, key)

    def close(self) -> None:
        self.r.close()

    @contextmanager
    def write(self) -> Iterator[None]:
        if self.pipe is not None:
            yield
            return
        lock = self.r.lock(self.k("lock"), timeout=600, blocking_timeout=BUSY_TIMEOUT)
        if not lock.acquire():
            raise NeardupError(f"{self.location}: another writer kept the index locked for {BUSY_TIMEOUT:.0f}s; try again")
        self.pipe = self.r.pipeline(transaction=True)
        self.pending = {}
        try:
            yield
            self.pipe.execute()
        finally:
            self.pipe.reset()  # unexecuted on an error: nothing of this write reaches Redis
            self.pipe, self.pending = None, {}
            try:
                lock.release()
            except self._redis_mod.exceptions.LockError:
                logger.warning("%s: the write lock expired before the write finished", self.location)

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

    def insert_document(self, prepared: Prepared, keep_text: bool) -> int:
        key = int(self.r.hincrby(self.k("meta"), "next_doc", 1))
        record: dict[str, Any] = {
            "id": prepared.doc_id.encode("utf-8"),
            "chars": len(prepared.text),
            "lines": line_count(prepared.text),
        }
        if keep_text:
            record["text"] = prepared.text.encode("utf-8")
        if prepared.meta_json is not None:
            record["meta"] = prepared.meta_json.encode("utf-8")
        self.pipe.hset(self.k("d", key), mapping=record)
        self.pipe.hset(self.k("docs"), prepared.doc_id.encode("utf-8"), key)
        return key

    def insert_passages(self, doc: int, prepared: Prepared) -> list[int]:
        n = len(prepared.passages)
        if n == 0:
            self.pipe.hset(self.k("d", doc), "passages", "")
            return []
        last = int(self.r.hincrby(self.k("meta"), "next_passage", n))
        pids = list(range(last - n + 1, last + 1))
        for pid, row in zip(pids, prepared.keys.tolist()):
            for band, key in enumerate(row):
                self.pipe.sadd(self.bucket(band, key), pid)
                self.pending.setdefault((band, key), set()).add(pid)
        for pid, p, sig, shingles in zip(pids, prepared.passages, prepared.sigs, prepared.sets):
            self.pipe.hset(
                self.k("p", pid),
                mapping={
                    **dict(zip(PASSAGE_COLUMNS, p.row(doc))),
                    "signature": sig.astype("<u4").tobytes(),
                    "shingles": shingles.astype("<u8").tobytes(),
                },
            )
        self.pipe.hset(self.k("d", doc), "passages", ",".join(map(str, pids)))
        self.pipe.hincrby(self.k("meta"), "passages", n)
        return pids

    def lookup(self, prepared: Prepared) -> list[set[int]]:
        """Each passage's bucket mates: one round trip for all bands of all passages."""
        rows = prepared.keys.tolist()
        wanted = sorted({(band, key) for row in rows for band, key in enumerate(row)})
        pipe = self.r.pipeline(transaction=False)
        for band, key in wanted:
            pipe.smembers(self.bucket(band, key))
        hits = {bk: {int(m) for m in members} | self.pending.get(bk, set()) for bk, members in zip(wanted, pipe.execute())}
        return [{pid for band, key in enumerate(row) for pid in hits[(band, key)]} for row in rows]

    def _passages(self, pids: Sequence[int], *more: str) -> Iterator[tuple[int, Passage, int | None, list[Any]]]:
        """``(pid, passage, cluster, [the ``more`` fields])`` of each stored passage among ``pids``."""
        pipe = self.r.pipeline(transaction=False)
        for pid in pids:
            pipe.hmget(self.k("p", pid), [*PASSAGE_COLUMNS, "cluster", *more])
        n = len(PASSAGE_COLUMNS)
        for pid, row in zip(pids, pipe.execute()):
            if row[0] is None:  # a bucket entry left by a killed writer, or a removal in progress
                continue
            yield pid, Passage(*(int(v) for v in row[:n])), None if row[n] is None else int(row[n]), row[n + 1 :]

    def fetch(self, pids: Iterable[int]) -> dict[int, Stored]:
        return {pid: Stored(pid, p, cluster, as_u8(blob)) for pid, p, cluster, (blob,) in self._passages(sorted(set(pids)), "shingles")}

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
            pipe.hmget(self.k("p", pid), ["cluster", "signature"])
        rows = pipe.execute() if pids else []
        clusters = [None if c is None else int(c) for c, _ in rows]
        found = [(pid, sig) for pid, (_, sig) in zip(pids, rows) if sig is not None]
        if found:
            sigs = np.stack([as_u4(sig) for _, sig in found])
            keys = band_keys(sigs, self.config.candidates, params=(self.bands, self.rows)).tolist()
            for (pid, _), row in zip(found, keys):
                for band, k in enumerate(row):
                    self.pipe.srem(self.bucket(band, k), pid)
        for pid, neighbours in self._edges_of(pids):
            for other in neighbours:
                self.pipe.hdel(self.k("e", other), pid)
            self.pipe.delete(self.k("e", pid), self.k("p", pid))
        for cid in {c for c in clusters if c is not None}:
            self.pipe.srem(self.k("c", cid), *[p for p, c in zip(pids, clusters) if c == cid])
        self.pipe.delete(self.k("d", key))
        self.pipe.hdel(self.k("docs"), doc_id)
        self.pipe.hincrby(self.k("meta"), "passages", -len(pids))
        return list(zip(pids, clusters))

    # -- listing

    def all_documents(self) -> list[DocRow]:
        keys = sorted(int(k) for k in self.r.hvals(self.k("docs")))
        pipe = self.r.pipeline(transaction=False)
        for key in keys:
            pipe.hmget(self.k("d", key), ["id", "text", "chars", "lines"])
        out: list[DocRow] = []
        for key, (doc_id, text, chars, lines) in zip(keys, pipe.execute()):
            if doc_id is not None:
                out.append(DocRow(key, doc_id.decode(), None if text is None else text.decode(), int(chars), int(lines)))
        return out

    def _all_pids(self) -> list[int]:
        keys = sorted(int(k) for k in self.r.hvals(self.k("docs")))
        pipe = self.r.pipeline(transaction=False)
        for key in keys:
            pipe.hget(self.k("d", key), "passages")
        return [int(p) for listed in pipe.execute() if listed for p in listed.split(b",")]

    def all_passages(self) -> list[PassageRow]:
        return [PassageRow(pid, p, cluster) for pid, p, cluster, _ in self._passages(self._all_pids())]

    def all_edges(self) -> list[Edge]:
        return self.edges_among(self._all_pids())

    def shingles(self, pids: Sequence[int]) -> dict[int, npt.NDArray[np.uint64]]:
        pids = sorted(set(pids))
        pipe = self.r.pipeline(transaction=False)
        for pid in pids:
            pipe.hget(self.k("p", pid), "shingles")
        return {pid: as_u8(blob) for pid, blob in zip(pids, pipe.execute()) if blob is not None}

    def size(self) -> int | None:
        return None
