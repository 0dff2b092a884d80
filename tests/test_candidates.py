from __future__ import annotations

import numpy as np
import pytest

from neardup.candidates import band_params, find_candidates
from neardup.config import CandidateConfig, ScanConfig
from neardup.model import Document
from neardup.scan import prepare
from neardup.signature import signatures


def _sigs(paragraphs: list[str]) -> np.ndarray:
    docs = [Document(str(i), p) for i, p in enumerate(paragraphs)]
    table = prepare(docs, ScanConfig())
    return signatures(table.hashes, table.offsets)


def test_numpy_banding_equals_datasketch_lsh(simplified_paragraphs: list[str]) -> None:
    paras = simplified_paragraphs[:30]
    edited = [p[:40] + "某某" + p[44:] for p in paras[:10]]
    sigs = _sigs(paras + edited)
    fast = find_candidates(sigs, CandidateConfig(backend="numpy"))
    ref = find_candidates(sigs, CandidateConfig(backend="datasketch"))
    assert len(fast) >= 10
    assert fast.tolist() == ref.tolist()


def test_big_bucket_is_connected_without_all_pairs() -> None:
    sigs = np.zeros((200, 128), dtype=np.uint32)  # 200 identical signatures
    pairs = find_candidates(sigs, CandidateConfig(max_bucket=64))
    assert len(pairs) < 200 * 199 // 2
    assert set(pairs[:, 0].tolist()) | set(pairs[:, 1].tolist()) == set(range(200))


def test_band_params_follow_threshold() -> None:
    b_low, r_low = band_params(0.3, 128)
    b_high, r_high = band_params(0.9, 128)
    assert b_low * r_low <= 128 and b_high * r_high <= 128
    assert r_high > r_low


@pytest.mark.parametrize("compact", [1 << 22, 8])  # pairs made distinct at the end, or between every band
def test_bucket_pairs_equal_all_pairs_sharing_a_key(compact: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys whose high bits collide are still grouped exactly (brute force reference)."""
    import itertools

    from neardup import candidates
    from neardup.candidates import bucket_pairs

    monkeypatch.setattr(candidates, "COMPACT_CODES", compact)

    rng = np.random.default_rng(3)
    keys = rng.integers(0, 6, (300, 3), dtype=np.uint64)  # equal high bits, few distinct keys
    keys[:, 1] |= np.uint64(1) << np.uint64(63)
    keys[:, 2] = rng.integers(0, 2**64 - 1, 300, dtype=np.uint64)
    keys[10, 2] = keys[20, 2] = keys[299, 2]
    expected = sorted(
        (i, j) for i, j in itertools.combinations(range(300), 2) if (keys[i] == keys[j]).any()
    )
    got = bucket_pairs(keys, CandidateConfig(max_bucket=1000))
    assert [tuple(p) for p in got.tolist()] == expected


def test_band_params_equal_datasketch_over_a_grid() -> None:
    """Issue 13 (start fast): the same (bands, rows) as datasketch, without scipy."""
    from datasketch.lsh import _optimal_param

    thresholds = [round(0.05 * i, 2) for i in range(1, 21)] + [0.01, 0.33, 0.62, 0.99]
    for num_perm in (8, 16, 64, 100, 128):
        for t in thresholds:
            assert band_params(t, num_perm) == tuple(_optimal_param(t, num_perm, 0.5, 0.5)), (t, num_perm)


def test_band_params_do_not_import_scipy() -> None:
    import subprocess
    import sys

    code = "import sys; from neardup.candidates import band_params; band_params(0.41, 96); print('scipy' in sys.modules, 'datasketch.lsh' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
