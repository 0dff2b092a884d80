from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup.config import PassageConfig
from neardup.normalize import normalize
from neardup.passages import split_passages

from .conftest import range_lists


def _split(text: str, **kw: int):
    return split_passages(0, text, normalize(text), PassageConfig(**kw))


def test_short_lines_merge_and_lines_are_reported() -> None:
    text = "同志们：\n" + "今天召开全县法治建设工作会议，" * 6 + "\n\n" + "一是完善立法工作机制。" * 8 + "\n"
    ps = _split(text)
    assert [(p.line_start, p.line_end) for p in ps] == [(1, 2), (4, 4)]


def test_long_line_is_cut_into_bounded_contiguous_passages(simplified_paragraphs) -> None:
    text = "".join(simplified_paragraphs)
    ps = _split(text, min_chars=60, max_chars=400)
    assert len(ps) >= 5
    assert ps[0].start == 0 and normalize(text[ps[-1].end :]).text == ""
    for a, b in zip(ps, ps[1:]):
        assert a.norm_end == b.norm_start
        assert 60 <= a.norm_end - a.norm_start <= 400


def test_cuts_are_content_defined(simplified_paragraphs) -> None:
    """A long text pasted at another offset of another long line is cut the same way."""
    copy = "".join(simplified_paragraphs[:4])
    a = "开头的文字不一样" * 7 + copy + "结尾"
    b = "另一份文件的开头内容完全不同，长度也不相同。" * 3 + copy
    na, nb = normalize(a).text, normalize(b).text
    pa = {na[p.norm_start : p.norm_end] for p in _split(a)}
    pb = {nb[p.norm_start : p.norm_end] for p in _split(b)}
    assert len(pa & pb) >= len(pa) - 3


def test_word_spaces_do_not_count_toward_a_passage_length() -> None:
    """Hard-wrapped English (lines of about 55 letters, over 60 characters with their
    spaces): word shingles keep the spaces, yet the lines merge into the same passages
    as in character mode."""
    from neardup.config import NormalizeConfig

    line = "the bench was a foot too short but it could be mended now"
    # Each line normalises to 47 characters, 60-62 with its word spaces.
    text = "\n".join(f"{line} {i:02d} {'x' * (i % 5)}" for i in range(20))
    chars = split_passages(0, text, normalize(text), PassageConfig())
    words = split_passages(0, text, normalize(text, NormalizeConfig(word_spaces=True)), PassageConfig())
    assert " " in normalize(text, NormalizeConfig(word_spaces=True)).text
    assert [(p.line_start, p.line_end) for p in words] == [(p.line_start, p.line_end) for p in chars]
    assert all(p.line_end > p.line_start for p in words)  # no wrapped line stands alone


@given(st.lists(st.text(alphabet="文明城市创建，。 x20", min_size=0, max_size=90), max_size=12))
@settings(max_examples=200)
def test_passages_slice_back_and_cover_all_content(lines: list[str]) -> None:
    text = "\n".join(lines)
    norm = normalize(text)
    ps = _split(text, min_chars=20, max_chars=60)
    covered = set()
    for p in ps:
        assert text[p.start : p.end] != ""
        assert 1 <= p.line_start <= p.line_end <= text.count("\n") + 1
        assert text.count("\n", 0, p.start) + 1 == p.line_start
        covered.update(range(p.norm_start, p.norm_end))
    assert covered == set(range(len(norm.text)))


@settings(max_examples=200, deadline=None)
@given(range_lists(), range_lists())
def test_subtract_ranges_keeps_each_character_outside_the_holes_once(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> None:
    from neardup.passages import merge_ranges, subtract_ranges

    out = subtract_ranges(a, b)
    expected = {c for s, e in a for c in range(s, e)} - {c for s, e in b for c in range(s, e)}
    assert {c for s, e in out for c in range(s, e)} == expected and sum(e - s for s, e in out) == len(expected)
    assert out == merge_ranges(out)  # sorted, disjoint


@settings(max_examples=300, deadline=None)
@given(range_lists(), st.integers(0, 120), st.integers(0, 60))
def test_range_union_covers_what_the_characters_say(ranges: list[tuple[int, int]], start: int, width: int) -> None:
    from neardup.passages import RangeUnion

    inside = {c for s, e in ranges for c in range(s, e)}
    assert RangeUnion(ranges).covered(start, start + width) == len(inside & set(range(start, start + width)))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="甲\nab ", max_size=40))
def test_line_index_gives_line_of_every_offset(text: str) -> None:
    from neardup.passages import LineIndex, line_of

    index = LineIndex(text)
    assert [index.of(o) for o in range(len(text) + 1)] == [line_of(text, o) for o in range(len(text) + 1)]


@given(st.lists(st.lists(st.integers(0, 2**40), max_size=6), max_size=6))
def test_joined_releasing_is_concatenate_and_lets_each_part_go(parts: list[list[int]]) -> None:
    from neardup.passages import joined_releasing

    arrays = [np.array(p, dtype=np.int64).reshape(-1, 1) for p in parts]
    expected = np.concatenate(arrays) if arrays else None
    out = joined_releasing(arrays, None)
    if expected is None:
        assert out is None
    else:
        assert out.dtype == np.int64 and out.shape == expected.shape and np.array_equal(out, expected)
    assert all(a is None for a in arrays)
