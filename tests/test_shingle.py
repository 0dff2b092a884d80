from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup.config import ShingleConfig
from neardup.shingle import shingle_hashes


def test_same_kgram_same_hash_anywhere() -> None:
    five = ShingleConfig(ngram=5)
    a = shingle_hashes("甲乙丙丁戊己庚", five)
    b = shingle_hashes("乙丙丁戊己", five)
    assert a[1] == b[0]
    assert len(a) == 3


def test_short_text_is_one_shingle_distinct_from_prefix() -> None:
    assert len(shingle_hashes("文明")) == 1
    assert shingle_hashes("文明")[0] != shingle_hashes("文明城市建")[0]


def test_word_shingles_use_jieba() -> None:
    words = shingle_hashes("全国文明城市创建工作推进会议", ShingleConfig(tokens="words", ngram=2))
    chars = shingle_hashes("全国文明城市创建工作推进会议", ShingleConfig(ngram=2))
    assert 0 < len(words) < len(chars)
    assert words.dtype == np.uint64


@given(st.lists(st.text(alphabet="文明城市创建ab\ue000", max_size=12), max_size=10), st.integers(1, 6))
@settings(deadline=None)
def test_many_texts_at_once_equal_one_by_one(texts: list[str], ngram: int) -> None:
    from neardup.shingle import shingle_hashes_many

    config = ShingleConfig(ngram=ngram)
    hashes, offsets = shingle_hashes_many(texts, config)
    assert len(offsets) == len(texts) + 1
    for i, text in enumerate(texts):
        assert hashes[offsets[i] : offsets[i + 1]].tolist() == shingle_hashes(text, config).tolist()


@given(st.lists(st.text(alphabet="党政主要负责人履行推进法治建设第一责任人职责ab1 \U0002a6a5", max_size=40), max_size=30), st.integers(1, 8))
@settings(max_examples=60, deadline=None)
def test_compiled_hashing_equals_numpy(texts: list[str], ngram: int) -> None:
    """The numba kernel hashes exactly as the numpy path, short texts and astral characters included."""
    import numpy as np
    import pytest

    from neardup import shingle

    if shingle.compiled_kernels() is None:
        pytest.skip("numba not installed")
    config = ShingleConfig(ngram=ngram)
    saved = shingle.NUMBA_MIN_CHARS
    try:
        shingle.NUMBA_MIN_CHARS = 0
        fast = shingle.shingle_hashes_many(texts, config)
        shingle.NUMBA_MIN_CHARS = 10**12
        slow = shingle.shingle_hashes_many(texts, config)
    finally:
        shingle.NUMBA_MIN_CHARS = saved
    assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1])
