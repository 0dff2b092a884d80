"""Window counts: the compiled bucket lookup gives exactly the binary search's answer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup import boilerplate
from neardup.boilerplate import BoilerRun, WindowCounts, count_windows
from neardup.config import BoilerplateConfig
from neardup.shingle import compiled_kernels

_u64 = st.integers(0, 2**64 - 1)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_u64, max_size=40), min_size=2, max_size=8), st.lists(_u64, max_size=60))
def test_bucket_lookup_equals_binary_search(per_doc: list[list[int]], extra: list[int]) -> None:
    if compiled_kernels() is None:
        pytest.skip("numba is not installed: only the binary search runs")
    boilerplate.BUCKET_MIN_VALUES = 0  # restored below: hypothesis forbids function-scoped fixtures
    docs = [np.unique(np.array(d, dtype=np.uint64)) for d in per_doc]
    docs.append(np.unique(np.array([x for d in per_doc[:2] for x in d], dtype=np.uint64)))  # some windows repeat
    counts = count_windows(docs)
    query = np.array([x for d in per_doc for x in d] + extra, dtype=np.uint64)
    pos = np.minimum(np.searchsorted(counts.values, query), max(len(counts.values) - 1, 0))
    expected = np.where(counts.values[pos] == query, counts.counts[pos], 1) if len(counts.values) else np.ones(len(query))
    try:
        assert counts.lookup(query).tolist() == expected.tolist()
    finally:
        boilerplate.BUCKET_MIN_VALUES = 1 << 18


def test_absent_windows_count_once() -> None:
    counts = WindowCounts(np.array([5, 9], dtype=np.uint64), np.array([3, 4], dtype=np.int64))
    assert counts.lookup(np.array([9, 1, 5, 2**64 - 1], dtype=np.uint64)).tolist() == [4, 1, 3, 1]


# Window counts with long runs at, above and below the floors (formula 10, phrase 3,
# shared 2): the shapes that make formulas, phrases, stretches and merged runs.
_df_runs = st.lists(st.tuples(st.sampled_from([1, 1, 2, 3, 4, 9, 10, 11, 20, 40, 300]), st.integers(1, 120)), max_size=12)


@settings(max_examples=200, deadline=None)
@given(_df_runs, st.sampled_from([4, 12]), st.sampled_from([0.5, 0.25, 0.9]), st.sampled_from([0, 24]))
def test_compiled_corpus_runs_equal_numpy(runs: list[tuple[int, int]], k: int, standalone: float, gap: int) -> None:
    kernels = compiled_kernels()
    if kernels is None:
        pytest.skip("numba is not installed: only the numpy path runs")
    df = np.array([d for d, length in runs for _ in range(length)], dtype=np.int64)
    n = len(df) + k - 1 if len(df) else 0
    config = BoilerplateConfig(min_chars=k, standalone=standalone, context_gap=gap, formula_chars=60 + k, phrase_chars=20)
    shared, found = boilerplate.corpus_runs_numpy(df, k, n, config)
    c = config
    got_shared, got_found = kernels.corpus_runs(
        df, k, n, c.formula_docs, c.formula_chars, c.min_docs, c.phrase_chars, float(c.standalone), c.context_gap
    )
    assert got_shared.tolist() == shared.tolist()
    assert got_found.tolist() == found.tolist()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab z09中文，。 \n-_Z😀", max_size=60), st.lists(st.integers(0, 60), max_size=5))
def test_line_units_count_what_the_unit_pattern_finds(text: str, cuts: list[int]) -> None:
    bounds = sorted({0, len(text), *(min(c, len(text)) for c in cuts)})
    expected = [len(boilerplate._UNIT.findall(text[a:b])) for a, b in zip(bounds, bounds[1:])]
    assert boilerplate._line_units(text, bounds) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="ab中文，x", max_size=30), max_size=6), st.booleans())
def test_windows_of_many_texts_are_each_texts_windows(texts: list[str], compiled: bool) -> None:
    from neardup import shingle

    shingle.NUMBA_MIN_CHARS = 0 if compiled else 200_000  # restored below (no function-scoped fixtures here)
    try:
        hashes, offsets = boilerplate.windows_many(texts, 5)
        distinct = boilerplate.distinct_windows_many(texts, 5)
    finally:
        shingle.NUMBA_MIN_CHARS = 200_000
    assert [hashes[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:])] == [boilerplate.window_hashes(t, 5).tolist() for t in texts]
    expected = [x for t in texts for x in boilerplate.document_windows(t, 5).tolist()]
    assert distinct.tolist() == expected


_RUNS = st.lists(
    st.lists(
        st.builds(BoilerRun, st.integers(0, 10**6), st.integers(0, 10**6), st.sampled_from(["corpus", "page", "base"]), st.integers(0, 10**5)),
        max_size=5,
    ),
    max_size=8,
)


@given(_RUNS, st.integers(0, 8))
def test_run_table_gives_back_each_documents_runs(runs: list[list[BoilerRun]], cut: int) -> None:
    """Runs kept as rows come back as the same objects, per document, also when the
    tables of consecutive chunks of documents are joined."""
    from neardup.boilerplate import RunTable

    table = RunTable.of(runs)
    assert len(table) == len(runs) and list(table) == runs
    assert all(table[d] == runs[d] and len(table[d]) == len(runs[d]) for d in range(len(runs)))
    assert all(table[d][j] == runs[d][j] and table[d][-1] == runs[d][-1] for d in range(len(runs)) for j in range(len(runs[d])))
    cut = min(cut, len(runs))
    joined = RunTable.joined([RunTable.of(runs[:cut]), RunTable.of(runs[cut:])])
    assert list(joined) == runs
    assert list(RunTable.joined([])) == []


def test_boilerplate_array_cuts_each_records_text_from_its_document() -> None:
    from neardup.boilerplate import BOILERPLATE_DTYPE, BoilerplateArray
    from neardup.model import Boilerplate, Document

    docs = [Document("a", "首页 新闻\n正文"), Document("b", "版权所有 © 2024")]
    rows = np.array([(0, 0, 5, 1, 1, 3, 1), (1, 0, 4, 1, 1, 20, 0)], dtype=BOILERPLATE_DTYPE)
    records = BoilerplateArray(rows, docs)
    expected = [Boilerplate("a", 0, 5, 1, 1, "page", 3, "首页 新闻"), Boilerplate("b", 0, 4, 1, 1, "corpus", 20, "版权所有")]
    assert list(records) == expected and records[1] == expected[1] and len(records) == 2
    assert records == expected and list(records[1:]) == expected[1:]
    assert records != expected[:1]
    from neardup.boilerplate import record_spans

    assert list(record_spans(records)) == list(record_spans(expected)) == [("a", 0, 5), ("b", 0, 4)]
