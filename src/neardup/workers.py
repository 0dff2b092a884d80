"""The scan's worker processes: started once, shared by every stage that has per-document
or per-cluster work (boilerplate counts, prepare, align and templates, the families'
document pass).

Workers fork from one server process (``multiprocessing``'s fork server, where the
platform has one) that imported the scan's modules and loaded its numba kernels once
(:mod:`neardup._preload`): a spawned worker paid about a second of CPU for them, five
workers a scan. The server starts with the first scan that uses workers
(:func:`start_server`) and lives as long as this process; its environment is the one it
started in. A worker loads its own caches (the corpus's window counts, jieba's
dictionary) once. Results come back in the order the work was handed out, so nothing
downstream depends on the number of workers.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import multiprocessing
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from neardup.model import Document

__all__ = ["CHUNK_CHARS", "CHUNK_DOCS", "Call", "Progress", "Texts", "Workers", "advancer", "document_chunks", "give_back_memory", "start_server"]

#: ``progress(stage, done, total)``: called as work advances; the CLI draws a bar.
Progress = Callable[[str, int, int], None]

#: A chunk holds at most this many characters (or documents): big enough that a worker
#: spends its time computing, small enough that a few chunks in flight stay cheap.
CHUNK_CHARS = 1_000_000
CHUNK_DOCS = 1_000

#: ``(weight, function, args)``: one piece of work; ``weight`` is what progress counts
#: (documents, clusters) when its result arrives.
Call = tuple[int, Callable[..., Any], tuple[Any, ...]]


class Workers:
    """Up to ``jobs`` worker processes, or none (``jobs <= 1``: everything runs here;
    ``apart``: one worker process all the same, a helper beside this one).

    The pool starts with the first parallel :meth:`map` and stops when the ``with``
    block ends, or at :meth:`close` (a later :meth:`map` starts a new one: fresh workers,
    holding nothing of the work before).
    """

    def __init__(self, jobs: int, *, apart: bool = False) -> None:
        self.jobs = max(jobs, 1)
        self.apart = apart
        self._pool: ProcessPoolExecutor | None = None
        self._starting = threading.Lock()

    @property
    def parallel(self) -> bool:
        """Whether work runs in other processes."""
        return self.jobs > 1 or self.apart

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _started(self) -> ProcessPoolExecutor:
        with self._starting:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=_context())
            return self._pool

    def map(self, calls: Iterable[Call], advance: Callable[[int], None] | None = None) -> Iterator[Any]:
        """Each call's result, in the order of ``calls``; ``advance(weight)`` as each arrives.

        In parallel, at most ``2 * jobs`` calls are in flight (their arguments and results
        are what memory holds), and this process only hands out work and collects it: while
        it computes, holding the GIL, the thread that reads the workers' pipes stalls, and
        so do the workers.
        """
        if not self.parallel:
            for weight, fn, args in calls:
                yield fn(*args)
                if advance:
                    advance(weight)
            return
        pool = self._started()
        pending: deque[tuple[int, Future[Any]]] = deque()
        for weight, fn, args in calls:
            pending.append((weight, pool.submit(fn, *args)))
            while pending and (len(pending) > 2 * self.jobs or pending[0][1].done()):
                yield self._collect(pending, advance)
        while pending:
            yield self._collect(pending, advance)

    def warm(self, load: Callable[[], object] = int) -> None:
        """Start the worker processes now, so that they are ready when work comes; each
        runs ``load`` (a top-level function: what its work will need, loaded ahead, such
        as jieba's dictionary). Returns at once: a thread asks for the processes, which
        waits for the fork server to be ready."""
        if self.parallel:
            pool = self._started()

            def start() -> None:
                try:
                    for _ in range(self.jobs):
                        pool.submit(load)
                except Exception:  # noqa: S110 - the first map meets the same failure and reports it
                    pass

            threading.Thread(target=start, name="neardup-warm", daemon=True).start()

    def start(self, calls: Iterable[Call]) -> Callable[[], list[Any]]:
        """Start :meth:`map` of ``calls`` now; the returned function waits for their
        results, in order. In parallel a thread hands the calls out while this process
        does other work (the thread only pickles and waits: it needs the GIL briefly);
        otherwise the calls run when the results are asked for."""
        if not self.parallel:
            return lambda: list(self.map(calls))
        results: list[Any] = []
        failed: list[BaseException] = []

        def run() -> None:
            try:
                results.extend(self.map(calls))
            except BaseException as error:  # handed to the caller when it asks
                failed.append(error)

        thread = threading.Thread(target=run, name="neardup-workers", daemon=True)
        thread.start()

        def wait() -> list[Any]:
            thread.join()
            if failed:
                raise failed[0]
            return results

        return wait

    @staticmethod
    def _collect(pending: deque[tuple[int, Future[Any]]], advance: Callable[[int], None] | None) -> Any:
        weight, future = pending.popleft()
        result = future.result()
        if advance:
            advance(weight)
        return result


def _context() -> multiprocessing.context.BaseContext:
    """The fork server's context, or spawn's where there is none (Windows); never fork:
    the caller may hold threads."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["neardup._preload"])  # read when the server starts
        return context
    return multiprocessing.get_context("spawn")


def start_server() -> None:
    """Start the fork server now, if not running: it imports and loads in the background
    (about 0.4 s) while this process reads and counts, and the first worker asked for
    waits for the rest only."""
    if _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


class Texts(list):  # type: ignore[type-arg]
    """Texts on their way to a worker, pickled as one UTF-8 buffer.

    Pickling a ``str`` makes CPython keep its UTF-8 form inside the string for as long
    as it lives: the corpus's texts sent to the workers as they are would leave a second
    copy of the corpus (one and a half times its size for Chinese) in this process.
    Encoding keeps nothing. The worker gets a plain list.
    """

    def __reduce__(self) -> tuple[Callable[[bytes, list[int]], list[str]], tuple[bytes, list[int]]]:
        encoded = [t.encode("utf-8", "surrogatepass") for t in self]
        return _decoded, (b"".join(encoded), [len(e) for e in encoded])


def _decoded(buffer: bytes, sizes: list[int]) -> list[str]:
    texts, pos, view = [], 0, memoryview(buffer)
    for size in sizes:
        texts.append(str(view[pos : pos + size], "utf-8", "surrogatepass"))
        pos += size
    return texts


def document_chunks(documents: Sequence[Document]) -> Iterator[tuple[int, Texts, list[str]]]:
    """``(first, texts, ids)`` of consecutive documents, :data:`CHUNK_CHARS` or :data:`CHUNK_DOCS` at a time."""
    first, texts, ids, size = 0, Texts(), [], 0
    for n, doc in enumerate(documents):
        texts.append(doc.text)
        ids.append(doc.id)
        size += len(doc.text)
        if size >= CHUNK_CHARS or len(texts) >= CHUNK_DOCS:
            yield first, texts, ids
            first, texts, ids, size = n + 1, Texts(), [], 0
    if texts:
        yield first, texts, ids


def advancer(progress: Progress | None, stage: str, total: int) -> Callable[[int], None] | None:
    """A :meth:`Workers.map` ``advance`` that draws ``stage``'s bar from 0 to ``total``."""
    if progress is None:
        return None
    done = 0
    progress(stage, 0, total)

    def advance(weight: int) -> None:
        nonlocal done
        done += weight
        progress(stage, done, total)

    return advance


def give_back_memory() -> None:
    """Return the heap memory this process has freed to the system (glibc's
    ``malloc_trim``; elsewhere nothing).

    glibc keeps freed memory for reuse, and a scan frees a lot between its stages (the
    candidate pairs, the shingle hashes, each chunk's results once copied): measured on
    a 300 MB corpus, most of a gigabyte of the process's resident memory was memory it
    had freed. Trimming costs well under a millisecond.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
