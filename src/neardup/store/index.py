"""The persistent index: a corpus kept in one SQLite file (or in Redis), asked for each
incoming text "is this a near-copy of something we hold, and which spans?".

Each stored passage keeps what the scan computes for it: its offsets, its MinHash
signature (``uint32[num_perm]``, raw little-endian bytes), its sorted unique 64-bit
shingle hashes (``uint64``, raw little-endian bytes) for exact verification, and one
band key per LSH band (:func:`neardup.candidates.band_keys`, the scan's own). A query
is: the new text's passages and signatures (the same stages as ``scan``), one lookup of
their band keys, exact Jaccard on the stored shingle sets, then spans.

The parameters that decide signatures, passages and matches are stored with the index
and checked when it is opened (:mod:`neardup.store.params`); the storage itself is a
backend, :mod:`neardup.store.sqlite` or :mod:`neardup.store.redis`.

Clusters are stable: every passage that matched another carries a cluster id; adding a
document either joins the clusters its passages match (merging them into the oldest id
when it bridges several) or starts a new one, and removing a document only touches the
clusters it was in. Ids are never reused, and unrelated adds and removals never change
them. Clusters are the connected components of the stored passage matches plus the
chain links of :func:`neardup.cluster.chain_links`, so listing an index gives the
same clusters as a scan of the same documents (up to the ids), as long as no passage has
more than ``max_bucket`` copies: beyond that each new passage stores only its
``max_bucket`` best matches, as a scan caps its LSH buckets.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any, Union

import numpy as np
import numpy.typing as npt

from neardup.candidates import band_keys
from neardup.cluster import UnionFind, chain_links, cluster_matches, region_count
from neardup.config import ScanConfig
from neardup.dedup import DEFAULT_MIN_SHARE
from neardup.errors import ConfigError, CorruptIndexError, InputError
from neardup.model import (
    Added,
    Cluster,
    Document,
    IndexMatch,
    IndexStats,
    Match,
    Passage,
    ScanResult,
    ScanStats,
)
from neardup.scan import Progress, covered_chars, prepare
from neardup.scan import scan as scan_documents
from neardup.signature import signatures
from neardup.store.backend import Backend, Edge, Prepared, Stored
from neardup.store.params import check_params, config_of, explicit_params, layout, params_of
from neardup.store.redis import RedisStore
from neardup.store.spans import index_matches
from neardup.store.sqlite import SQLiteStore
from neardup.verify import match_scores, shingle_positions

__all__ = ["Addable", "Index", "stable_ids"]

logger = logging.getLogger(__name__)

Addable = Union[Document, tuple[str, str], tuple[str, str, Any]]


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

    def __init__(self, backend: Backend, config: ScanConfig, params: dict[str, Any]) -> None:
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
        keep_text: bool | None = None,
        create: bool = True,
        check: bool = False,
        **options: Any,
    ) -> Index:
        """Open the index at ``path`` (a file, or ``redis://host:port/db?basename=NAME``).

        A new index takes the given options (defaults for the rest) and stores them.
        An existing one keeps its own: an option given here that differs from the stored
        value raises :class:`IndexMismatchError` naming it, and so does a ``config``
        that differs in any stored parameter (thresholds, ``gap`` and ``max_bucket``
        included). ``options`` are the options of :data:`neardup.config.OPTIONS` an index
        stores (:data:`neardup.store.params.STORED`: ``threshold``, ``ngram``,
        ``num_perm``, ..., ``verify_threshold``; ``None`` means the index's own); another
        option is a :class:`ConfigError`. ``keep_text=False`` stores offsets only.
        With ``create=False`` a missing index is an :class:`InputError`. A file that is
        not a neardup index raises :class:`~neardup.errors.CorruptIndexError`. With
        ``check=True`` the integrity check (SQLite's ``quick_check``, which reads every
        page) starts in a thread beside your queries, and :meth:`check` waits for it: a
        check that must not answer from a damaged index calls it before trusting the
        answers.
        """
        given: dict[str, Any] = {k: v for k, v in options.items() if v is not None}
        if config is not None and given:
            raise ConfigError(f"give either config or options ({', '.join(sorted(given))}), not both")
        explicit = explicit_params(config, given)
        if config is None:
            config = ScanConfig.from_options(**given)
        if keep_text is not None:
            explicit.add("keep_text")
        asked = params_of(config, True if keep_text is None else keep_text)
        raw = os.fspath(path)
        backend: Backend
        if raw.startswith(("redis://", "rediss://")):
            backend = RedisStore(raw, create=create)
        else:
            backend = SQLiteStore(Path(raw), create=create)
        try:
            stored = backend.load_params()
            if stored is None:
                if not create:
                    raise InputError(f"{backend.location}: no index there; build one with `neardup index add`")
                backend.create({**asked, **layout(config)})
                stored = backend.load_params()
                assert stored is not None
            check_params(stored, asked, explicit, backend.location)
            stored_config = config_of(stored, backend.location)
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

    def _positions(self, a: Passage, b: Passage) -> tuple[int, int]:
        """Shingles each passage's text holds (:func:`~neardup.verify.shingle_positions`)."""
        n = self.config.shingle.ngram
        return int(shingle_positions(a.norm_start, a.norm_end, n)), int(shingle_positions(b.norm_start, b.norm_end, n))

    def _prepare(self, doc_id: str, text: str, meta: Any = None) -> Prepared:
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
        keys = band_keys(sigs, self.config.candidates, params=(self._bands, self._rows))
        return Prepared(doc_id, text, meta_json, tuple(table.passages), sets, sigs, keys)

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

    def _query_prepared(self, prepared: Prepared, threshold: float) -> list[IndexMatch]:
        """:meth:`query` for prepared text, inside a read or write transaction."""
        candidates = self._backend.lookup(prepared)
        stored = self._backend.fetch(set().union(*candidates))
        verify = self.config.verification()
        pairs = [
            (i, pid, scores[0])
            for i, found in enumerate(candidates)
            for pid in sorted(found)
            if pid in stored
            for scores in [
                match_scores(prepared.sets[i], stored[pid].shingles, verify, threshold, self._positions(prepared.passages[i], stored[pid].passage))
            ]
            if scores is not None
        ]
        docs = self._backend.doc_info(stored[pid].passage.doc for _, pid, _ in pairs)
        return self._matches(prepared, [(i, stored[pid]) for i, pid, _ in pairs], docs)

    def _matches(
        self, prepared: Prepared, pairs: Sequence[tuple[int, Stored]], docs: Mapping[int, tuple[str, Any]]
    ) -> list[IndexMatch]:
        return index_matches(prepared, pairs, docs, lambda doc_id: self._backend.document_text(doc_id)[1], self.config)

    def _near_copy(self, prepared: Prepared, min_share: float) -> IndexMatch | None:
        """The stored document ``prepared`` is a near-copy of (coverage >= ``min_share``), if any."""
        if not prepared.passages:
            return None
        matches = self._query_prepared(prepared, self.config.verify.threshold)
        return matches[0] if matches and matches[0].coverage >= min_share else None

    @contextmanager
    def _damage(self) -> Iterator[None]:
        """A page the storage cannot read is a damaged index, reported as the check would."""
        try:
            yield
        except self._backend.damage_errors as err:
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

    def _add_or_skip(self, prepared: Prepared, skip_near_copies: bool, min_share: float) -> Added:
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
        batch: list[Prepared] = []
        handled = 0

        def add_one(prepared: Prepared) -> None:
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

    def _add_locked(self, prepared: Prepared) -> Added:
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
            pid: Stored(pid, replace(p, doc=doc), None, s)
            for pid, p, s in zip(pids, prepared.passages, prepared.sets)
        }
        stored = backend.fetch(set().union(*candidates) - set(new))
        stored.update(new)
        verify = self.config.verification()
        edges: list[Edge] = []
        for i, pid in enumerate(pids):
            found = []
            for other in candidates[i]:
                # Pairs inside the new document are seen from both sides: keep one.
                if other not in stored or other == pid or (other in new and other > pid):
                    continue
                held = self._positions(prepared.passages[i], stored[other].passage)
                scores = match_scores(prepared.sets[i], stored[other].shingles, verify, positions=held)
                if scores is not None:
                    found.append((other, pid, round(scores[0], 6), round(scores[1], 6)))
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
        docs = backend.doc_info(s.passage.doc for _, s in cross)
        matches = self._matches(prepared, cross, docs)
        return Added(prepared.doc_id, len(pids), joined, started, merged, tuple(matches))

    def _join_clusters(
        self, edges: Sequence[Edge], stored: Mapping[int, Stored], new: Mapping[int, Stored], gap: int
    ) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """Union the new matches (and their chain links) with the existing clusters."""
        backend = self._backend
        if not edges:
            return (), (), ()
        position = {pid: (s.passage.doc, s.passage.index) for pid, s in stored.items()}
        at = {pos: pid for pid, pos in position.items()}

        def node(pid: int) -> tuple[str, int]:
            cid = stored[pid].cluster
            return ("c", cid) if cid is not None else ("p", pid)

        uf = UnionFind[Any]()
        for a, b, _, _ in edges:
            uf.union(node(a), node(b))
        for x, y in chain_links(((position[a], position[b]) for a, b, _, _ in edges), gap):
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
                if region_count((position[p] for p in loose), gap) >= 2:
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
            uf = UnionFind[Any]()
            for pid in position:
                uf.find(pid)
            for a, b, _, _ in edges:
                uf.union(a, b)
            for x, y in chain_links(((position[a], position[b]) for a, b, _, _ in edges), gap):
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
        passage_rows = sorted((r for r in passage_rows if r.passage.doc in order), key=lambda r: (order[r.passage.doc], r.passage.index))
        number = {r.pid: n for n, r in enumerate(passage_rows)}
        passages = tuple(replace(r.passage, doc=order[r.passage.doc]) for r in passage_rows)
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
        at = {(doc_rows[order[r.passage.doc]].doc_id, r.passage.index): r.cluster for r in passage_rows}
        clusters = stable_ids(found, at)
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


def stable_ids(found: Sequence[Cluster], at: Mapping[tuple[str, int], int | None]) -> list[Cluster]:
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


