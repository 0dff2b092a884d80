"""The kernels prebuilt at install (:mod:`neardup.prebuilt`): numba's results, no numba."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from neardup import prebuilt
from neardup.prebuilt import ArrayType, ScalarType, prebuilt_kernels

pytest.importorskip("numba")

#: The one thing a machine needs to build the module; numba comes with neardup.
_HAS_COMPILER = any(shutil.which(cc) for cc in ("cc", "gcc", "clang"))


@pytest.fixture
def kernels(monkeypatch: pytest.MonkeyPatch) -> Iterator[prebuilt.PrebuiltKernels]:
    monkeypatch.delenv("NEARDUP_PREBUILT", raising=False)
    prebuilt_kernels.cache_clear()
    found = prebuilt_kernels()
    if found is None and not _HAS_COMPILER:
        pytest.skip("no C compiler: the install built no prebuilt kernels (numba compiles them at first use)")
    assert found is not None, (
        "a machine with a C compiler installs the prebuilt kernels (setup.py); after editing "
        "kernels.py, community.py or prebuilt.py, reinstall (pip install -e .) to rebuild them"
    )
    yield found
    prebuilt_kernels.cache_clear()


def test_arguments_fit_only_the_types_the_module_was_built_for() -> None:
    """The extension module reads any array's memory as the type it was built for, so a
    call it does not fit exactly must go to numba."""
    words = ArrayType("uint64")
    assert words.fits(np.zeros(3, np.uint64))
    assert not words.fits(np.zeros(3, np.int64))  # another dtype
    assert not words.fits(np.zeros(6, np.uint64)[::2])  # strided
    assert not words.fits(np.zeros((2, 3), np.uint64))  # another rank
    assert not words.fits([1, 2, 3])
    frozen = np.zeros(3, np.uint64)
    frozen.setflags(write=False)
    assert not words.fits(frozen)  # the kernel writes it
    assert ArrayType("uint64", readonly=True).fits(frozen) and ArrayType("uint64", readonly=True).fits(np.zeros(3, np.uint64))
    assert ArrayType("uint32", 2).fits(np.zeros((4, 8), np.uint32)[1:3])  # whole rows: contiguous
    assert not ArrayType("uint32", 2).fits(np.zeros((4, 8), np.uint32)[:, :4])
    whole = ScalarType("int64")
    assert whole.fits(3) and whole.fits(np.int64(-3)) and whole.fits(-(1 << 63))
    assert not whole.fits(True) and not whole.fits(1 << 63) and not whole.fits(np.uint64(3)) and not whole.fits(3.0)
    assert ScalarType("uint64").fits(np.uint64(3)) and not ScalarType("uint64").fits(3)  # numba types 3 as int64
    assert ScalarType("float64").fits(0.5) and ScalarType("float64").fits(np.float64(0.5)) and not ScalarType("float64").fits(1)
    assert ScalarType("bool").fits(True) and ScalarType("bool").fits(np.bool_(False)) and not ScalarType("bool").fits(1)


def test_the_install_built_them_and_they_are_numbas_kernels(kernels: prebuilt.PrebuiltKernels) -> None:
    """One exported function for each kernel of the table, and the fitting call gives
    what numba's kernel gives."""
    assert set(prebuilt.KERNEL_TYPES) <= set(dir(kernels.module))
    rng = np.random.default_rng(7)
    hashes = rng.integers(0, 1 << 62, 1_000).astype(np.uint64)
    lo, hi = np.array([0, 100, 400], np.int64), np.array([100, 400, 1_000], np.int64)
    out = np.empty(1_000, np.uint64)
    counts = kernels.sorted_sets(hashes, lo, hi, out)
    from neardup import kernels as jit

    jit_out = np.empty(1_000, np.uint64)
    np.testing.assert_array_equal(counts, jit.sorted_sets(hashes, lo, hi, jit_out))
    np.testing.assert_array_equal(out, jit_out)


_CALL_OUTSIDE = """
import sys
import numpy as np
from neardup.shingle import compiled_kernels
kernels = compiled_kernels()
hashes = np.arange(40, 0, -1, dtype=np.uint64)
lo, hi = np.array([0, 10], np.int64), np.array([10, 20], np.int64)
fitting, out = np.empty(20, np.uint64), np.empty(20, np.uint64)
counts = kernels.sorted_sets(hashes[::2].copy(), lo, hi, fitting)
before = "numba" in sys.modules
strided = kernels.sorted_sets(hashes[::2], lo, hi, out)  # not contiguous: numba's kernel
print(type(kernels).__name__, before, "neardup.kernels" in sys.modules, counts.tolist() == strided.tolist() and out.tolist() == fitting.tolist())
"""


def test_a_call_outside_the_built_types_goes_to_numba(kernels: prebuilt.PrebuiltKernels) -> None:
    """A strided array would be read as if contiguous by the extension module: numba's
    kernel takes that call (imported then, not before) and gives the right answer."""
    env = {k: v for k, v in os.environ.items() if k != "NEARDUP_PREBUILT"}
    out = subprocess.run([sys.executable, "-c", _CALL_OUTSIDE], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == ["PrebuiltKernels", "False", "True", "True"]


def test_a_module_built_from_other_sources_is_not_used(kernels: prebuilt.PrebuiltKernels, monkeypatch: pytest.MonkeyPatch) -> None:
    """An edited checkout (or a stale build) would run old kernels: the digest of the
    sources the module was built from must match the sources here."""
    digest = prebuilt.source_digest()
    assert kernels.module.source_digest() == digest
    monkeypatch.setattr(prebuilt, "source_digest", lambda folder=None: digest + 1)
    prebuilt_kernels.cache_clear()
    assert prebuilt_kernels() is None
    monkeypatch.setattr(prebuilt, "source_digest", lambda folder=None: digest)
    prebuilt_kernels.cache_clear()
    assert prebuilt_kernels() is not None
    monkeypatch.setenv("NEARDUP_PREBUILT", "0")  # the switch to numba's kernels
    prebuilt_kernels.cache_clear()
    assert prebuilt_kernels() is None
    monkeypatch.delenv("NEARDUP_PREBUILT")
    monkeypatch.setenv("NEARDUP_NUMBA", "0")  # numpy only: no compiled kernel, prebuilt or not
    prebuilt_kernels.cache_clear()
    assert prebuilt_kernels() is None


def test_a_prebuilt_kernel_lets_other_threads_run(kernels: prebuilt.PrebuiltKernels) -> None:
    """The verification runs kernels in threads: like numba's (``nogil``), a prebuilt
    kernel releases the GIL while it runs. A kernel holding it would stop this thread's
    loop for the whole call; here its longest pause is a small part of the call."""
    hashes = np.random.default_rng(3).integers(0, 1 << 62, 4_000_000).astype(np.uint64)
    lo, hi, out = np.array([0], np.int64), np.array([len(hashes)], np.int64), np.empty(len(hashes), np.uint64)
    worker = threading.Thread(target=kernels.sorted_sets, args=(hashes, lo, hi, out))  # one sort, one call
    longest, last = 0.0, time.perf_counter()
    begun = last
    worker.start()  # a kernel holding the GIL would run to its end before this returns
    while worker.is_alive():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    took = time.perf_counter() - begun
    assert np.all(out[1:] >= out[:-1])
    assert took > 0.05 and longest < took / 2, (longest, took)


_SCAN_EVERY_KERNEL = """
import json, sys
from benchmarks.generate import Generator
from neardup import Document, boilerplate, community, scan, shingle, signature, verify
from neardup.report import to_dict
import neardup.scan as scan_module

shingle.NUMBA_MIN_CHARS = scan_module.NUMBA_MIN_CHARS = signature.NUMBA_MIN_TOKENS = verify.NUMBA_MIN_PAIRS = 0
community.CSR_MIN_EDGES = community.COMPILED_MIN_ENTRIES = boilerplate.BUCKET_MIN_VALUES = 0
kernels = shingle.compiled_kernels()
used = set()
for name in ("rolling_rows", "bucketed_rows", "bucket_lookup", "seed_pairs", "sorted_sets", "local_moves", "csr_rows"):
    def counted(*args, _name=name, _kernel=getattr(kernels, name)):
        used.add(_name)
        return _kernel(*args)
    setattr(kernels, name, counted)
docs = [Document(d.id, d.text) for d, _ in Generator(seed=3, dup_rate=0.4).documents(count=120)]
result = scan(docs, jobs=1)
print(json.dumps({"kernels": type(kernels).__name__, "numba": "numba" in sys.modules, "used": sorted(used),
                  "report": to_dict(result)}, sort_keys=True))
"""


@pytest.mark.slow  # two fresh interpreters scan, one compiling with numba
def test_a_scan_on_prebuilt_kernels_reports_what_numba_reports_and_imports_no_numba(kernels: prebuilt.PrebuiltKernels) -> None:
    """Every stage on its compiled path: the report is numba's, key for key, and numba
    (half a second to import and set up, most of it holding the GIL) is never imported."""
    env = {k: v for k, v in os.environ.items() if k != "NEARDUP_PREBUILT"}
    runs = [
        json.loads(subprocess.run([sys.executable, "-c", _SCAN_EVERY_KERNEL], capture_output=True, text=True, check=True, env=e).stdout)
        for e in (env, {**env, "NEARDUP_PREBUILT": "0"})
    ]
    ahead, jit = runs
    assert (ahead["kernels"], ahead["numba"]) == ("PrebuiltKernels", False)
    assert (jit["kernels"], jit["numba"]) == ("module", True)
    assert {"rolling_rows", "bucketed_rows", "bucket_lookup", "seed_pairs", "sorted_sets", "local_moves"} <= set(ahead["used"])
    assert ahead["used"] == jit["used"]
    assert ahead["report"]["clusters"] and ahead["report"] == jit["report"]
