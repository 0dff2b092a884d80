"""Worker processes give back each call's result in the order the calls were made."""

from __future__ import annotations

import os
import time

import pytest

from neardup.workers import Workers, advancer, start_server


def slow_square(x: int) -> int:
    time.sleep(0.05 * (x % 3))  # later calls can finish first
    return x * x


@pytest.mark.slow  # spawns processes
def test_results_come_back_in_call_order_with_progress() -> None:
    seen: list[tuple[str, int, int]] = []
    advance = advancer(lambda stage, done, total: seen.append((stage, done, total)), "demo", 40)
    with Workers(2) as workers:
        out = list(workers.map(((2, slow_square, (x,)) for x in range(20)), advance))
        assert workers.parallel
        again = list(workers.map((1, slow_square, (x,)) for x in range(5)))  # the same pool, reused
    assert out == [x * x for x in range(20)] and again == [0, 1, 4, 9, 16]
    assert seen[0] == ("demo", 0, 40) and seen[-1] == ("demo", 40, 40)
    assert [d for _, d, _ in seen] == sorted(d for _, d, _ in seen)


def test_one_job_runs_here() -> None:
    with Workers(1) as workers:
        assert not workers.parallel
        assert list(workers.map((1, slow_square, (x,)) for x in range(4))) == [0, 1, 4, 9]


@pytest.mark.slow  # spawns processes
def test_a_closed_pool_starts_again_warm_and_work_started_comes_back_in_order() -> None:
    with Workers(2) as workers:
        assert list(workers.map((1, slow_square, (x,)) for x in range(3))) == [0, 1, 4]
        first = workers._pool
        workers.close()  # the scan closes its pool between prepare and the analysis
        workers.warm()
        assert workers._pool is not None and workers._pool is not first  # fresh workers
        wait = workers.start((1, slow_square, (x,)) for x in range(10))  # runs while this process works
        assert wait() == [x * x for x in range(10)]
    with Workers(1) as serial:
        serial.warm()
        assert serial._pool is None and serial.start((1, slow_square, (x,)) for x in range(3))() == [0, 1, 4]


_LOADED: list[int] = []


def load_marker() -> None:
    _LOADED.append(1)


def loaded_here() -> int:
    """How many times ``load_marker`` ran in this process (and this process's id)."""
    import os

    return len(_LOADED) * 1_000_000_000 + os.getpid()


@pytest.mark.slow  # spawns a process
def test_a_helper_apart_runs_in_one_other_process_loaded_ahead() -> None:
    import os

    with Workers(1, apart=True) as helper:
        assert helper.parallel and helper.jobs == 1
        helper.warm(load_marker)  # what its work needs, loaded before the work comes
        found = helper.start((1, loaded_here, ()) for _ in range(3))()
    loads, pids = {f // 1_000_000_000 for f in found}, {f % 1_000_000_000 for f in found}
    assert loads == {1} and len(pids) == 1 and os.getpid() not in pids and _LOADED == []


def kernels_loaded_before_any_call() -> tuple[bool, int, int]:
    """Whether this process holds the scan's kernels compiled (no call made here), its
    parent's id and its own."""
    import os
    import sys

    kernels = sys.modules.get("neardup.kernels")
    prebuilt = sys.modules.get("neardup.prebuilt")  # loaded at import, nothing to compile
    ready = prebuilt is not None and prebuilt.prebuilt_kernels.cache_info().currsize == 1 and prebuilt.prebuilt_kernels() is not None
    return ready or (kernels is not None and bool(kernels.rolling_rows.signatures)), os.getppid(), os.getpid()


@pytest.mark.slow  # starts the fork server
@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork server on this platform")
def test_workers_come_from_a_server_that_loaded_the_kernels() -> None:
    """Workers fork from one server that imported the scan and loaded its kernels, so a
    worker's start costs neither (a spawned worker paid about a second for them)."""
    pytest.importorskip("numba")
    start_server()
    with Workers(2) as workers:
        found = list(workers.map((1, kernels_loaded_before_any_call, ()) for _ in range(6)))
        workers.close()
        again = list(workers.map((1, kernels_loaded_before_any_call, ()) for _ in range(2)))  # a new pool
    assert all(loaded for loaded, _, _ in found + again)
    parents = {parent for _, parent, _ in found + again}
    assert len(parents) == 1 and os.getpid() not in parents  # the server, not this process
    assert len({pid for _, _, pid in found + again}) >= 3


def test_texts_travel_as_utf8_and_leave_no_copy_here() -> None:
    """Pickling a str keeps its UTF-8 form in it (CPython); Texts pickle without that."""
    import pickle
    import sys

    from neardup.workers import Texts

    texts = ["".join(["鄂州市创建全国文明城市"] * 50), "plain", "", "\ud800 lone surrogate"]
    sizes = [sys.getsizeof(t) for t in texts]
    back = pickle.loads(pickle.dumps(Texts(texts)))
    assert back == texts and type(back) is list
    assert [sys.getsizeof(t) for t in texts] == sizes  # nothing cached in the strings
    pickle.dumps(texts)
    assert sys.getsizeof(texts[0]) > sizes[0]  # what a plain list would have left


_SERVER_EXIT = """
import os, sys
marker = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT)

def torn_down(event, args, marker=marker, write=os.write):
    if event == "cpython.PyInterpreterState_Clear":
        write(marker, b"torn down")

sys.addaudithook(torn_down)
from multiprocessing.forkserver import main  # the fork server's own command imports it so
import neardup._preload  # what the fork server runs before it serves
print("served", flush=True)
"""

_OTHER_EXIT = """
import sys
import neardup._preload
print("imported", flush=True)
sys.exit(3)
"""


def test_the_fork_server_leaves_without_teardown(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The server outlives the scan until it sees its parent gone; torn down, it held the
    scan's stdout and stderr a quarter of a second longer, and ``neardup scan | jq`` waited."""
    import subprocess
    import sys

    marker = tmp_path / "marker"
    run = subprocess.run([sys.executable, "-c", _SERVER_EXIT, str(marker)], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout == "served\n", run.stderr
    assert marker.read_text() == ""


def test_any_other_process_importing_the_preload_keeps_its_exit_code() -> None:
    """Only the fork server leaves by ``os._exit(0)``. pytest imports every module to
    collect its doctests: with the exit registered in any process that imports this one,
    the test run exited 0 whatever failed (CI read a failed run as passed)."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", _OTHER_EXIT], capture_output=True, text=True)
    assert run.stdout == "imported\n" and run.returncode == 3, run.stderr
