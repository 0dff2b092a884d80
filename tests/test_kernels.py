"""The fork server loads every kernel a scan calls (:func:`neardup.kernels.warm`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("numba")

_SCAN_AFTER_WARM = """
import json, numba
from benchmarks.generate import Generator
from neardup import Document, boilerplate, community, kernels, scan, shingle, signature, verify
import neardup.scan as scan_module

def compiled():
    return {n: {str(s) for s in d.signatures} for n, d in vars(kernels).items() if isinstance(d, numba.core.registry.CPUDispatcher)}

kernels.warm()
warm = compiled()
# Every stage on its compiled path, however small the corpus.
shingle.NUMBA_MIN_CHARS = scan_module.NUMBA_MIN_CHARS = signature.NUMBA_MIN_TOKENS = verify.NUMBA_MIN_PAIRS = 0
community.CSR_MIN_EDGES = community.COMPILED_MIN_ENTRIES = boilerplate.BUCKET_MIN_VALUES = 0
docs = [Document(d.id, d.text) for d, _ in Generator(seed=3, dup_rate=0.4).documents(count=120)]
result = scan(docs, jobs=1)
assert result.clusters and result.alignments
after = compiled()
print(json.dumps({"new": {n: sorted(after[n] - warm[n]) for n in after if after[n] - warm[n]},
                  "used": sorted(n for n in after if after[n])}))
"""


@pytest.mark.slow  # a fresh interpreter scans with every kernel
def test_warm_covers_what_a_scan_compiles() -> None:
    """A worker forked from the server must find every kernel loaded: a signature the
    warm-up list lacks would be loaded again by each worker (correct, but slow)."""
    numba_only = {**os.environ, "NEARDUP_PREBUILT": "0"}  # the scan calls numba's kernels, none prebuilt
    out = subprocess.run([sys.executable, "-c", _SCAN_AFTER_WARM], capture_output=True, text=True, check=True, env=numba_only)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["new"] == {}
    assert {"rolling_rows", "bucketed_rows", "bucket_lookup", "seed_pairs", "sorted_sets", "local_moves"} <= set(found["used"])
