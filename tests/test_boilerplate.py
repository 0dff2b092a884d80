"""Window counts: the compiled bucket lookup gives exactly the binary search's answer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from neardup import boilerplate
from neardup.boilerplate import BoilerRun, WindowCounts, count_windows
from neardup.config import BoilerplateConfig, NormalizeConfig
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
@given(st.text(alphabet="ab z09AZ中文，。 \n-_😀", max_size=60))
def test_content_units_count_characters_and_the_original_words(text: str) -> None:
    """A line's units: each character but a Latin letter or digit, and each word, the
    words counted in the original (normalisation drops the spaces between them)."""
    import re

    from neardup.normalize import normalize
    from neardup.normalize import code_points

    norm = normalize(text)
    if not norm.text:
        return
    bounds = list(range(0, len(norm.text), 7)) + [len(norm.text)]
    expected = []
    for a, b in zip(bounds, bounds[1:]):
        other = sum(not ("a" <= ch <= "z" or "0" <= ch <= "9") for ch in norm.text[a:b])
        words = re.findall(r"[A-Za-z0-9]+", text[: int(norm.end[b - 1])])
        before = re.findall(r"[A-Za-z0-9]+", text[: int(norm.start[a])])
        expected.append(other + len(words) - len(before))
    assert boilerplate._content_units(code_points(text), norm, bounds) == expected


def test_an_english_page_has_its_menu_and_footer_as_chrome() -> None:
    """Normalisation drops the spaces of English: a line's words are counted in the
    original, or no English line would ever be prose and no English page have chrome."""
    from neardup.boilerplate import find_runs
    from neardup.normalize import normalize

    para = ("It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
            "foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light, "
            "it was the season of Darkness, it was the spring of hope, it was the winter of despair.")  # fmt: skip
    text = "\n".join(["Home | News | Sport | Contact", "Posted by admin on 3 May 2024", para, "Copyright 2024 Example Inc. All rights reserved."])
    norm = normalize(text)
    pages = [norm.text[r.start : r.end] for r in find_runs(text, norm, WindowCounts.empty()) if r.kind == "page"]
    assert pages == ["homenewssportcontactpostedbyadminon3may2024", "copyright2024exampleincallrightsreserved"]
    book = "\n".join(para[i : i + 70] for i in range(0, len(para), 70))  # hard-wrapped: no line of prose, no chrome
    assert [r for r in find_runs(book, normalize(book), WindowCounts.empty()) if r.kind == "page"] == []


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
    from dataclasses import asdict

    assert list(records.dicts()) == [asdict(r) for r in expected]  # what the report writes, field for field
    assert list(records[1:].dicts()) == [asdict(expected[1])]


_QUATRAINS = [
    "江館水面細風生，菱歌慢慢聲。客亭臨小市，燈火夜妝明。",
    "贈謫者何罪過長沙，年年北望家。重封嶺頭信，一樹海邊花。",
    "南澗野桂香滿溪，石莎寒覆水。愛此南澗頭，終日潺湲裏。",
]
_PROSE = "文明是一个城市的灵魂，全国文明城市是一个城市最靓丽的名片，是城市综合实力和发展水平的集中体现，也是老百姓安居乐业的重要保障。"


def _page_runs(text: str) -> list[tuple[str, str]]:
    from neardup.boilerplate import find_runs
    from neardup.normalize import normalize

    norm = normalize(text, NormalizeConfig())
    return [(r.kind, norm.text[r.start : r.end]) for r in find_runs(text, norm, WindowCounts.empty()) if r.kind == "page"]


# Page lines: menus, short lines of two sentences, prose, hard-wrapped English, ruby
# glosses, placeholders, blank lines, characters normalisation drops or splits.
_ENGLISH = "it was the best of times it was the worst of times it was the age of wisdom it was the age of foolishness " * 2
_page_line = st.one_of(
    st.sampled_from(["首页 | 新闻 | 诗词", "当前位置：首页 > 唐诗", "同志们：", "Home | News", "", "Copyright © 2015-2024 ㈱",
                     "創(chuàng )建20xx年文明城市。", "相关文章"]),
    st.sampled_from(["客亭臨小市。燈火夜妝明。", "菱歌清唱不勝春。荷葉羅裙一色裁！", "一二。三四？五六。"]),
    st.builds(lambda a, n: _ENGLISH[a : a + n], st.integers(0, 40), st.integers(30, 160)),
    st.builds(lambda n: "我们要坚持以人民为中心的发展思想。" * n, st.integers(1, 6)),
    st.text(alphabet="ab Z09中文。！？，. \t㈱x", max_size=90),
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_page_line, min_size=1, max_size=14), st.sampled_from([8, 20, 50]), st.booleans())
@example(["Home | News", _ENGLISH[:150], _ENGLISH[:90], _ENGLISH[:90], "我们要坚持以人民为中心的发展思想。" * 4, "Home"], 50, False)
def test_compiled_page_edges_equal_python(lines: list[str], prose_chars: int, word_spaces: bool) -> None:
    """The compiled pass finds the same head and tail as the line-by-line one."""
    from neardup.normalize import normalize

    kernels = compiled_kernels()
    if kernels is None:
        pytest.skip("numba is not installed: only the numpy path runs")
    text = "\n".join(lines)
    norm = normalize(text, NormalizeConfig(word_spaces=word_spaces))
    assert boilerplate._page_edges(text, norm, prose_chars, kernels) == boilerplate._page_edges(text, norm, prose_chars)


def test_page_edges_are_menus_and_titles_not_short_lines_of_two_sentences() -> None:
    """A page's head and tail chrome stops where three or more short lines of two
    sentences each stand: the quatrains before a volume's first long poem are its content
    (on the Tang volumes, taking them for chrome lost a sixth of the copied poems)."""
    menu = ["首页 | 新闻 | 诗词", "当前位置：首页 > 唐诗"]
    footer = ["相关文章", "Copyright © 2015-2024 版权所有"]
    runs = _page_runs("\n".join([*menu, *_QUATRAINS, _PROSE, *_QUATRAINS, *footer]))
    assert len(runs) == 2  # the menu above the first quatrain, the footer below the last
    assert "首页" in runs[0][1] and "菱歌" not in runs[0][1]
    assert "版权所有" in runs[1][1] and "石莎" not in runs[1][1]
    assert _page_runs("\n".join([*_QUATRAINS, _PROSE, *_QUATRAINS])) == []
    # One sentence a line is still chrome: a site's standing note above the prose.
    noted = _page_runs("\n".join(["下面是小编为大家整理的讲话，供大家参考。", "同志们", _PROSE]))
    assert len(noted) == 1 and "小编" in noted[0][1]


def test_quatrains_at_the_head_of_a_page_are_found_copied() -> None:
    from neardup import Document, scan

    volume = "\n".join([*_QUATRAINS, _PROSE, "另一段毫不相干的文字，讲的是别的事情，和上面的诗句没有任何关系，也不应当被当作复制。"])
    anthology = "\n".join(["一本选集的开头，介绍了编者的想法和选诗的标准，篇幅不短，也不与别的文本相同。", *_QUATRAINS, "选集的结尾另有一段说明文字。"])
    result = scan([Document("volume", volume), Document("anthology", anthology)])
    assert [sorted(c.doc_ids) for c in result.clusters] == [["anthology", "volume"]]
    assert "客亭臨小市" in result.clusters[0].members[0].text


def test_a_two_sentence_disclaimer_two_pages_share_stays_chrome() -> None:
    """Two pages of one site, different speeches, the same footer: a disclaimer of two
    sentences is one line, not three, so it stays page chrome and links nothing."""
    from benchmarks.generate import Generator
    from neardup import Document, scan

    gen = Generator(seed=3, dup_rate=0.0)
    disclaimer = "免责声明：本站部分文章来源于网络，版权归原作者所有。如有侵权，请联系我们删除，我们将在第一时间处理。"
    docs = []
    for i in range(2):
        speech = gen.original(f"s{i}")
        docs.append(Document(f"p{i}", "\n".join(["首页 | 新闻", speech.title, *speech.paragraphs, disclaimer, "Copyright © 2024 某某网 版权所有"])))
    result = scan(docs)
    assert result.clusters == ()
    assert {(b.doc_id, b.kind) for b in result.boilerplate if "免责声明" in b.text} == {("p0", "page"), ("p1", "page")}


def test_an_english_phrase_is_boilerplate_by_words_not_characters() -> None:
    """Twelve characters are a phrase in Chinese but two or three common words in English:
    books that each say "of the smallest" share no boilerplate by it (on the twelve books
    of ``../shared/data``, such runs were a sixth of the text). A Latin run counts words,
    as a Chinese one counts characters; Chinese runs are unchanged."""
    from neardup.boilerplate import find_boilerplate
    from neardup.normalize import normalize

    notice = "This eBook is for the use of anyone anywhere in the United States and most other parts of the world"
    small = ["He was one of the smallest men", "It mattered of the smallest degree", "A house of the smallest size stood"]
    fillers = ["Rain fell all night", "Nobody came to dinner", "The river rose quickly", "Bread was cheap that year",
               "A letter arrived late", "Snow covered every roof", "The mill stopped at noon", "Horses waited by the inn",
               "Candles burned down low", "The bell rang twice"]  # fmt: skip
    texts = [f"{(small + fillers)[n]}. {fillers[n]} again. {notice}. Chapter {n} ends." for n in range(10)]
    norms = [normalize(t) for t in texts]
    runs = find_boilerplate(texts, norms, BoilerplateConfig(page_edges=False))
    found = [[norms[d].text[r.start : r.end] for r in doc_runs] for d, doc_runs in enumerate(runs)]
    assert all(any("anyoneanywhere" in t for t in f) for f in found)  # twenty words on ten books: a formula
    assert not any("smallest" in t for f in found for t in f)  # three words: not boilerplate
    stock = "党政主要负责人履行推进法治建设第一责任人职责"
    zh = ["县政府严格落实" + stock + "。", "胶州市全面落实" + stock + "情况", "全面" + stock]
    zh_runs = find_boilerplate(zh, [normalize(t) for t in zh], BoilerplateConfig(page_edges=False))
    assert all(len(r) == 1 and r[0].end - r[0].start == len(stock) for r in zh_runs)
