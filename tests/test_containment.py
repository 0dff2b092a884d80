"""Issue 14: a passage quoted, rewritten a little, inside a longer one is found and reported as itself."""

from __future__ import annotations

import random
import re
from itertools import combinations
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.alignment import rewrite
from neardup import Document, scan
from neardup.containment import containment_pairs

EN = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "en-public-domain"


@given(st.lists(st.lists(st.integers(0, 40), max_size=25), min_size=2, max_size=8), st.integers(1, 4), st.integers(2, 5))
@settings(max_examples=200, deadline=None)
def test_pairs_are_those_sharing_enough_uncommon_sampled_shingles(sets: list[list[int]], min_shared: int, max_df: int) -> None:
    hashes = np.array([h for s in sets for h in s], dtype=np.uint64)
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in sets]))).astype(np.int64)
    sampled = [{h for h in s if h % 4 == 0} for s in sets]
    df = {h: sum(h in s for s in sampled) for s in sampled for h in s}
    expected = [
        [i, j] for i, j in combinations(range(len(sets)), 2)
        if sum(1 for h in sampled[i] & sampled[j] if df[h] <= max_df) >= min_shared
    ]  # fmt: skip
    got = containment_pairs(hashes, offsets, sample=4, max_df=max_df, min_shared=min_shared)
    assert got.tolist() == expected


@given(st.lists(st.tuples(st.lists(st.integers(0, 40), max_size=25), st.booleans()), min_size=2, max_size=8), st.integers(1, 4))
@settings(max_examples=200, deadline=None)
def test_a_whole_short_document_needs_only_the_sampled_shingles_it_has(items: list[tuple[list[int], bool]], min_shared: int) -> None:
    sets = [s for s, _ in items]
    short = np.array([flag for _, flag in items], dtype=bool)
    hashes = np.array([h for s in sets for h in s], dtype=np.uint64)
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in sets]))).astype(np.int64)
    sampled = [{h for h in s if h % 4 == 0} for s in sets]
    df = {h: sum(h in s for s in sampled) for s in sampled for h in s}

    def need(i: int, j: int) -> int:
        own = [len(sampled[k]) for k in (i, j) if short[k]]
        return max(min([min_shared, *own]), 1)

    expected = [
        [i, j] for i, j in combinations(range(len(sets)), 2)
        if sum(1 for h in sampled[i] & sampled[j] if df[h] <= 3) >= need(i, j)
    ]  # fmt: skip
    got = containment_pairs(hashes, offsets, sample=4, max_df=3, min_shared=min_shared, short=short)
    assert got.tolist() == expected


def test_a_quatrain_inside_a_volume_of_poems_is_found_as_itself() -> None:
    """Issue 12 on real poetry: a 20-character quatrain is a document of its own and one
    poem of a volume; its shingles are a tenth of the volume's passage (no Jaccard) and it
    is shorter than the 60 characters a quoted passage needs. Most of it inside the other
    passage, as one span, makes the match, and the volume's member is cut to the poem.
    A short poem that shares one line with the volume is no match."""
    volume = (
        "卷一\n靜夜思\n床前明月光，疑是地上霜。舉頭望明月，低頭思故鄉。\n"
        "登鸛雀樓\n白日依山盡，黃河入海流。欲窮千里目，更上一層樓。\n"
        "春曉\n春眠不覺曉，處處聞啼鳥。夜來風雨聲，花落知多少。\n"
        "相思\n紅豆生南國，春來發幾枝。願君多采擷，此物最相思。\n"
    )
    docs = [
        Document("volume", volume),
        Document("poem", "登鸛雀樓\n白日依山盡，黃河入海流。欲窮千里目，更上一層樓。"),
        Document("other", "秋思\n白日依山盡，西風吹雁過。孤舟江上客，何處是吾家。"),
    ]
    clusters = scan(docs).clusters
    assert [[m.doc_id for m in c.members] for c in clusters] == [["poem", "volume"]]
    cut = next(m for m in clusters[0].members if m.doc_id == "volume")
    assert "白日依山盡" in cut.text and "黃河入海流" in cut.text and "床前" not in cut.text and "春眠" not in cut.text


def _sentence(text: str, near: int, lo: int, hi: int) -> tuple[int, int]:
    """Whole sentences of one paragraph, after ``near``, holding ``lo``-``hi`` characters
    (a sentence starts after a full stop that does not close an abbreviation like Mr.)."""
    ends = [
        m.end() for m in re.finditer(r"(?<![A-Z][a-z])(?<!Mr)(?<!Mrs)[.!?。！？][”\"]?(?=\s|$|[\u4e00-\u9fff“])", text)
    ]
    for i, s in enumerate(ends):
        if s < near:
            continue
        start = s
        while text[start].isspace():
            start += 1
        for e in ends[i + 1 :]:
            if "\n\n" in text[start:e]:
                break
            if lo <= e - start <= hi:
                return start, e
            if e - start > hi:
                break
    raise AssertionError("no sentence of that length")


def _inside(text: str, near: int) -> int:
    """A sentence start inside a paragraph (no line break around it), after ``near``."""
    for m in re.finditer(r"(?<=[.!?。！？])[ ]?(?=[A-Z\u4e00-\u9fff])", text):
        if m.end() >= near and "\n" not in text[m.start() - 3 : m.end() + 3]:
            return m.end()
    raise AssertionError("no sentence start inside a paragraph")


def _spans_near(result, a: tuple[int, int], b: tuple[int, int], tolerance: int = 10) -> None:
    """Both the cluster's members and the reused span sit within ``tolerance`` of the truth."""
    (cluster,) = [c for c in result.clusters if set(c.doc_ids) == {"src", "host"}]
    members = {m.doc_id: m for m in cluster.members}
    assert abs(members["src"].start - a[0]) <= tolerance and abs(members["src"].end - a[1]) <= tolerance, (members["src"], a)
    assert abs(members["host"].start - b[0]) <= tolerance and abs(members["host"].end - b[1]) <= tolerance, (members["host"], b)
    (al,) = [x for x in result.alignments if {x.a, x.b} == {"host", "src"}]
    lo_host = min(s.a_start for s in al.spans) if al.a == "host" else min(s.b_start for s in al.spans)
    assert abs(lo_host - b[0]) <= tolerance


def test_a_rewritten_english_sentence_inside_an_unrelated_document() -> None:
    """A 120-character sentence, a fifth of its words replaced, pasted mid-paragraph into
    3,000 characters of another book: reported as that sentence on both sides."""
    source = (EN / "austen-pride-and-prejudice.txt").read_text(encoding="utf-8")[40_000:43_000]
    host = (EN / "melville-moby-dick.txt").read_text(encoding="utf-8")[60_000:63_000]
    s, e = _sentence(source, 1_000, 110, 140)
    words = sorted({w for w in re.findall(r"[a-z]+", host) if len(w) > 3})
    copy = rewrite(source[s:e], 0.2, random.Random(7), words, "en")
    assert copy != source[s:e]
    at = _inside(host, 1_500)
    doc = host[:at] + copy + " " + host[at:]
    result = scan([Document("src", source), Document("host", doc)])
    _spans_near(result, (s, e), (at, at + len(copy)))


def test_a_rewritten_chinese_sentence_inside_an_unrelated_document(seed_texts: dict[str, str]) -> None:
    import jieba

    names = sorted(seed_texts)
    source = seed_texts[names[1]]
    host = seed_texts[names[3]][:3_000]
    s, e = _sentence(source, 800, 100, 160)
    vocabulary = sorted({w for w in jieba.lcut(host, HMM=False) if len(w) > 1})
    copy = rewrite(source[s:e], 0.2, random.Random(3), vocabulary, "zh")
    assert copy != source[s:e]
    at = _inside(host, 1_200)
    doc = host[:at] + copy + host[at:]
    result = scan([Document("src", source), Document("host", doc)])
    _spans_near(result, (s, e), (at, at + len(copy)))


def test_two_excerpts_of_one_book_sharing_no_passage_are_not_linked() -> None:
    book = (EN / "dickens-a-tale-of-two-cities.txt").read_text(encoding="utf-8")
    result = scan([Document("x", book[100_000:103_000]), Document("y", book[300_000:303_000])])
    assert not [c for c in result.clusters if len(set(c.doc_ids)) > 1]


def test_a_copy_matched_in_pieces_is_one_span() -> None:
    """900 characters of a hard-wrapped novel pasted as one line: the source's passages
    and the host's windows match in pieces (one source passage straddles a window edge and
    matches neither), yet the report gives one span, its ends within 10 characters."""
    from benchmarks.alignment import _english

    case = next(c for c in _english(6, random.Random(1)) if c.level == 0.0)
    assert case.span is not None and case.a.count("\n", case.span[0], case.span[1]) >= 5
    result = scan([Document("a", case.a), Document("b", case.b)])
    (al,) = [x for x in result.alignments if x.a != x.b]
    (span,) = al.spans
    got = (span.a_start, span.a_end, span.b_start, span.b_end)
    assert all(abs(g - w) <= 10 for g, w in zip(got, case.span)), (got, case.span)
    assert case.a[span.a_start : span.a_end].split() == case.b[span.b_start : span.b_end].split()


def _english_case() -> tuple[str, str, tuple[int, int], tuple[int, int]]:
    source = (EN / "austen-pride-and-prejudice.txt").read_text(encoding="utf-8")[40_000:43_000]
    host = (EN / "melville-moby-dick.txt").read_text(encoding="utf-8")[60_000:63_000]
    s, e = _sentence(source, 1_000, 110, 140)
    words = sorted({w for w in re.findall(r"[a-z]+", host) if len(w) > 3})
    copy = rewrite(source[s:e], 0.2, random.Random(7), words, "en")
    at = _inside(host, 1_500)
    return source, host[:at] + copy + " " + host[at:], (s, e), (at, at + len(copy))


def test_the_gate_finds_the_rewritten_sentence_as_that_sentence() -> None:
    from neardup.gate import find_copies

    source, submission, a, b = _english_case()
    findings = find_copies([Document("essay.txt", submission)], [Document("ref.txt", source)])
    (f,) = findings
    sp = f.span  # A: the submission, B: the source
    assert abs(sp.a_start - b[0]) <= 10 and abs(sp.a_end - b[1]) <= 10, (sp, b)
    assert abs(sp.b_start - a[0]) <= 10 and abs(sp.b_end - a[1]) <= 10, (sp, a)


def test_mixed_chinese_and_english_documents(seed_texts: dict[str, str]) -> None:
    """Character shingles serve both scripts in one document: an English sentence and a
    Chinese one, each rewritten a little, pasted into a page mixing both, are both found."""
    import jieba

    english, _, (s, e), _ = _english_case()
    chinese = seed_texts[sorted(seed_texts)[1]]
    zs, ze = _sentence(chinese, 800, 100, 160)
    src = english + "\n" + chinese
    zs, ze = zs + len(english) + 1, ze + len(english) + 1
    words = sorted({w for w in re.findall(r"[a-z]+", english) if len(w) > 3})
    en_copy = rewrite(src[s:e], 0.1, random.Random(1), words, "en")
    zh_copy = rewrite(src[zs:ze], 0.1, random.Random(2), sorted({w for w in jieba.lcut(chinese[:3000], HMM=False) if len(w) > 1}), "zh")
    host = (EN / "melville-moby-dick.txt").read_text(encoding="utf-8")[90_000:91_500]
    at = _inside(host, 600)
    page = "新闻中心 News Center\n" + host[:at] + en_copy + " " + host[at:] + "\n相关报道：" + zh_copy + "\n"
    result = scan([Document("src", src), Document("page", page)])
    (al,) = [x for x in result.alignments if {x.a, x.b} == {"page", "src"}]
    on_src = sorted((sp.b_start, sp.b_end) if al.a == "page" else (sp.a_start, sp.a_end) for sp in al.spans)
    assert any(abs(x0 - s) <= 10 and abs(x1 - e) <= 10 for x0, x1 in on_src), (on_src, (s, e))
    assert any(abs(x0 - zs) <= 10 and abs(x1 - ze) <= 10 for x0, x1 in on_src), (on_src, (zs, ze))
