from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup.align import align_pair, align_within, diff
from neardup.config import AlignConfig
from neardup.passages import line_of

from .conftest import EZHOU_FILE


def _slices_ok(a: str, b: str, spans) -> None:
    for s in spans:
        assert 0 <= s.a_start < s.a_end <= len(a) and 0 <= s.b_start < s.b_end <= len(b)
        assert s.ratio is not None and 0.0 <= s.ratio <= 1.0 and s.jaccard is None
        # Lines (1-based, inclusive) of the first and last character on each side.
        assert (s.a_line_start, s.a_line_end) == (line_of(a, s.a_start), line_of(a, s.a_end - 1))
        assert (s.b_line_start, s.b_line_end) == (line_of(b, s.b_start), line_of(b, s.b_end - 1))
        for e in s.edits:
            assert s.a_start <= e.a_start <= e.a_end <= s.a_end
            assert s.b_start <= e.b_start <= e.b_end <= s.b_end
            assert a[e.a_start : e.a_end] == e.a_text and b[e.b_start : e.b_end] == e.b_text
            assert (e.kind == "insert") == (e.a_text == "") and (e.kind == "delete") == (e.b_text == "")


def test_planted_copy_in_the_middle_of_unrelated_text(simplified_paragraphs) -> None:
    copied = simplified_paragraphs[3]
    left_a, right_a = simplified_paragraphs[10], simplified_paragraphs[11]
    left_b, right_b = simplified_paragraphs[12], simplified_paragraphs[13]
    a = left_a + "\n" + copied + "\n" + right_a
    b = left_b + right_b[:40] + copied + right_b[40:]
    spans = align_pair(a, b)
    _slices_ok(a, b, spans)
    assert len(spans) == 1
    (s,) = spans
    a0, b0 = a.index(copied), b.index(copied)
    for got, want in ((s.a_start, a0), (s.a_end, a0 + len(copied)), (s.b_start, b0), (s.b_end, b0 + len(copied))):
        assert abs(got - want) <= 3, (got, want)
    assert s.ratio == 1.0 and s.edits == ()


def test_scan_alignments_carry_their_documents_lines(planted_corpus) -> None:
    """Spans aligned between cluster members (and repeats inside one document) come back
    in their documents' offsets and lines, not the members' own."""
    from neardup import scan

    result = scan(planted_corpus)
    texts = {d.id: d.text for d in result.documents}
    spans = [(al, s) for al in result.alignments for s in al.spans]
    assert spans and any(s.a_line_start > 1 and s.b_line_start > 1 for _, s in spans)
    assert any(al.a == al.b for al, _ in spans)  # copy/self.txt repeats a paragraph
    for al, s in spans:
        _slices_ok(texts[al.a], texts[al.b], [s])


def test_edits_inside_a_span_are_reported_in_original_text(simplified_paragraphs) -> None:
    base = simplified_paragraphs[5]
    cut = len(base) // 2
    edited = base[:cut] + "（此处新增一句完全不同的话）" + base[cut:]
    edited = edited.replace(base[20:24], "某某某某", 1)
    a, b = "无关的开头文字。" + base, edited + "无关的结尾。"
    (s,) = align_pair(a, b)
    _slices_ok(a, b, s and [s])
    kinds = {e.kind for e in s.edits}
    assert "insert" in kinds
    assert any("此处新增一句完全不同的话" in e.b_text for e in s.edits)
    assert any(e.a_text == base[20:24] for e in s.edits)


def test_ezhou_copies_align_end_to_end(seed_texts) -> None:
    text = seed_texts[EZHOU_FILE.name]
    spans = align_within(text)
    line = lambda o: text.count("\n", 0, o) + 1  # noqa: E731
    ezhou = [s for s in spans if "鄂州" in text[s.a_start : s.a_end]]
    assert len(ezhou) == 1
    s = ezhou[0]
    assert abs(line(s.a_start) - 127) <= 2 and abs(line(s.a_end) - 169) <= 3
    assert abs(line(s.b_start) - 235) <= 2 and abs(line(s.b_end) - 277) <= 3
    assert s.a_end <= s.b_start
    _slices_ok(text, text, [s])
    pairs = {(e.a_text, e.b_text) for e in s.edits}
    assert ("20xx", "2018") in pairs and ("20xx", "2017") in pairs
    assert s.ratio is not None and s.ratio > 0.99


def test_ten_thousand_char_shuffled_documents_align(simplified_paragraphs) -> None:
    """Shuffled, lightly edited paragraphs: every one found (speed is measured in
    ``benchmarks/``, not here)."""
    rng = random.Random(3)
    paras = simplified_paragraphs[:]
    a_parts, b_parts = [], []
    while sum(map(len, a_parts)) < 10_000:
        a_parts.append(rng.choice(paras))
    b_parts = [p.replace("的", "之", 1) for p in a_parts]
    rng.shuffle(b_parts)
    a, b = "\n".join(a_parts), "\n".join(b_parts)
    spans = align_pair(a, b)
    assert spans
    _slices_ok(a, b, spans)
    assert sum(s.a_end - s.a_start for s in spans) >= 0.9 * len(a)


_CJK = st.text(alphabet="的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严", min_size=0, max_size=120)


@given(core=_CJK.filter(lambda s: len(s) >= 40), pre_a=_CJK, post_a=_CJK, pre_b=_CJK, post_b=_CJK, data=st.data())
@settings(max_examples=60, deadline=None)
def test_spans_slice_back_and_alignment_is_symmetric(core, pre_a, post_a, pre_b, post_b, data) -> None:
    # B's copy carries a few random substitutions, insertions and deletions.
    chars = list(core)
    for _ in range(data.draw(st.integers(0, 4))):
        i = data.draw(st.integers(0, len(chars) - 1))
        op = data.draw(st.sampled_from(["sub", "ins", "del"]))
        if op == "sub":
            chars[i] = data.draw(st.sampled_from("鄂州宜昌襄阳"))
        elif op == "ins":
            chars.insert(i, "插")
        elif len(chars) > 1:
            del chars[i]
    a = pre_a + "。" + core + "。" + post_a
    b = pre_b + "，" + "".join(chars) + "，" + post_b
    ab, ba = align_pair(a, b), align_pair(b, a)
    _slices_ok(a, b, ab)
    _slices_ok(b, a, ba)
    assert sorted(ab, key=lambda s: (s.a_start, s.b_start)) == sorted((s.swapped() for s in ba), key=lambda s: (s.a_start, s.b_start))
    assert ab == [s.swapped() for s in ba] or sorted(s.a_start for s in ab) == sorted(s.b_start for s in ba)


@given(a=_CJK, b=_CJK)
@settings(max_examples=80, deadline=None)
def test_diff_opcodes_tile_both_texts_and_rebuild_b(a, b) -> None:
    ops = diff(a, b, ngram=4)
    ia = ib = 0
    rebuilt = []
    for tag, i1, i2, j1, j2 in ops:
        assert (i1, j1) == (ia, ib)
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
        rebuilt.append(b[j1:j2])
        ia, ib = i2, j2
    assert (ia, ib) == (len(a), len(b))
    assert "".join(rebuilt) == b


def test_min_chars_keeps_short_coincidences_out() -> None:
    a = "县政府深入学习贯彻习近平法治思想，全面推进农业农村现代化建设。"
    b = "各级党组织要深入学习贯彻习近平法治思想，做好基层治理工作。"
    assert align_pair(a, b) == []  # 13 shared characters are below min_chars=30
    assert align_pair(a, b, config=AlignConfig(min_chars=10))


def test_two_swapped_words_are_one_move_on_both_sides() -> None:
    from neardup.align import align_pair

    a = "The committee met on Monday morning and agreed that the old bridge over the river must be repaired before winter comes."
    b = "The committee met on Monday morning and agreed that the bridge old over the river must be repaired before winter comes."
    (span,) = align_pair(a, b)
    moves = [e for e in span.edits if e.kind == "move"]
    assert len(moves) == 1 and len(span.edits) == 1
    (m,) = moves
    assert a[m.a_start : m.a_end].strip() == b[m.b_start : m.b_end].strip() == m.a_text.strip()
    assert m.a_text.strip() in ("old", "bridge")
    (back,) = align_pair(b, a)
    assert [e.kind for e in back.edits] == ["move"]


def test_a_member_is_cut_to_the_sentence_it_shares_with_the_representative() -> None:
    from neardup.alignments import MIN_TRIM, member_alignments, trimmed
    from neardup.model import Cluster, Member

    shared = "各地各部门务必引起高度重视，全面动员，全员参与，集中攻坚，全力整改，确保年底前完成各项整改任务。"
    a = "今年的农业技术推广工作安排如下，种子站要做好春耕准备，农机站要做好维修保养。" + shared + "各乡镇要按时上报进度。"
    b = "會議強調，要把安全生产放在首位，坚决遏制重特大事故发生，守住底线。" + shared.replace("年底", "十月底")
    c = Cluster(1, (Member("a", 100, 100 + len(a), 3, 3, (0,), 0.2, a), Member("b", 50, 50 + len(b), 7, 7, (1,), 0.2, b)))
    found = member_alignments(c)
    t = trimmed(c, found)
    ra, rb = t.members
    assert ra.text.startswith("各地各部门") and rb.text.startswith("各地各部门")
    assert ra.start == 100 + a.index(shared) and rb.start == 50 + b.index("各地")
    assert ra.text.endswith("整改任务") and ra.end - ra.start == len(ra.text)
    assert len(b) - (rb.end - 50) < MIN_TRIM  # a ragged end of one character is not cut
    # A member the aligner finds nothing in keeps its extent, and so does the representative.
    lone = Cluster(2, (*c.members, Member("c", 0, 20, 1, 1, (2,), 0.3, "完全不同的一段文字内容。")))
    t2 = trimmed(lone, member_alignments(lone))
    assert t2.members[0] == lone.members[0] and t2.members[2] == lone.members[2]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.tuples(st.integers(0, 400), st.integers(1, 300))), min_size=2, max_size=9), st.data())
def test_parts_partition_the_members_and_keep_apart_what_shares_nothing(hulls: list, data: st.DataObject) -> None:
    from neardup.alignments import PART_OVERLAP, PART_SHARE, parts
    from neardup.model import Cluster, Member, ReuseSpan

    rep = data.draw(st.integers(0, len(hulls) - 1))
    members = tuple(Member(f"d{k}", 0, 10, 1, 1, (k,), 1.0, "x" * 10) for k in range(len(hulls)))
    found = [
        [] if k == rep or h is None else [ReuseSpan(h[0], h[0] + h[1], 0, h[1], 1, 1, 1, 1, 1.0, h[1], ())]
        for k, h in enumerate(hulls)
    ]
    groups = parts(Cluster(1, members, rep), found)
    assert all(rep in g for g in groups) and all(g == sorted(g) for g in groups)
    others = sorted(k for g in groups for k in g if k != rep)
    assert others == [k for k in range(len(hulls)) if k != rep]  # every member once
    spans = {k: (s[0].a_start, s[0].a_end) for k, s in enumerate(found) if s}
    if len(groups) > 1:
        whole = max(e for _, e in spans.values()) - min(s for s, _ in spans.values())
        partial = {k for k, (s, e) in spans.items() if e - s < PART_SHARE * whole}
        for g, h in itertools.combinations(groups, 2):
            for a in set(g) & partial:
                for b in set(h) & partial:
                    (s1, e1), (s2, e2) = spans[a], spans[b]
                    assert min(e1, e2) - max(s1, s2) < PART_OVERLAP  # members of different parts share no text


def _chain_reference(blocks, max_gap, same, min_chars):  # type: ignore[no-untyped-def]
    """The greedy chaining as first written (one object per chain, ends read from its
    last block): what the list-based loop in ``align._chain`` must still give."""
    active: list[list[tuple[int, int, int]]] = []
    done: list[list[tuple[int, int, int]]] = []
    for i, j, n in blocks:
        still = []
        for c in active:
            (done if c[-1][0] + c[-1][2] + max_gap < i else still).append(c)
        active = still
        best = None
        for c in active:
            a_end, b_end = c[-1][0] + c[-1][2], c[-1][1] + c[-1][2]
            trim = max(0, a_end - i, b_end - j)
            if trim >= n:
                continue
            gi, gj = i + trim - a_end, j + trim - b_end
            if gi > max_gap or gj > max_gap or (same and i + n > c[0][1]):
                continue
            if best is None or max(gi, gj) < best[0]:
                best = (max(gi, gj), trim, c)
        if best is None:
            active.append([(i, j, n)])
        else:
            _, trim, c = best
            c.append((i + trim, j + trim, n - trim))
    return sorted((c for c in done + active if sum(n for _, _, n in c) >= min_chars), key=lambda c: c[0])


def _blocks_of(span: int, longest: int):  # type: ignore[no-untyped-def]
    """Blocks ``(i, j, n)`` in a ``span`` square, with the settings they are chained under."""
    return (
        st.lists(st.tuples(st.integers(0, span), st.integers(0, span), st.integers(1, longest)), max_size=80),
        st.sampled_from([0, 10, 60, 120]),
        st.booleans(),
        st.sampled_from([0, 12, 30]),
    )


@settings(max_examples=300, deadline=None)
@given(*_blocks_of(400, 40))
def test_chaining_is_the_greedy_it_was(raw, max_gap: int, same: bool, min_chars: int) -> None:  # type: ignore[no-untyped-def]
    from neardup.align import _chain

    blocks = sorted(raw)
    got = [c.blocks for c in _chain(blocks, max_gap, same, min_chars)]
    assert got == _chain_reference(blocks, max_gap, same, min_chars)


@settings(max_examples=400, deadline=None)
@given(*_blocks_of(1500, 70))
def test_lone_blocks_left_out_change_no_chain(raw, max_gap: int, same: bool, min_chars: int) -> None:  # type: ignore[no-untyped-def]
    """Leaving out the short blocks nothing could chain with (a book's lone repeated
    phrases) gives exactly the chains long enough to keep."""
    from neardup.align import _chain, _connected

    blocks = sorted({(i, j, max(n, 8)) for i, j, n in raw})  # as _blocks gives them: distinct, one seed long at least
    kept = _connected(blocks, max_gap, min_chars, least=2)
    assert set(kept) <= set(blocks) and all(b in kept for b in blocks if b[2] >= min_chars)
    want = [c.blocks for c in _chain(blocks, max_gap, same, min_chars)]
    assert [c.blocks for c in _chain(kept, max_gap, same, min_chars)] == want


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abc", min_size=0, max_size=3000), st.data(), st.sampled_from([4, 8]), st.booleans())
def test_reach_reads_a_window_and_finds_what_the_whole_text_shows(base: str, data, k: int, backward: bool) -> None:  # type: ignore[no-untyped-def]
    from neardup.align import _reach, _reach_near

    flips = data.draw(st.sets(st.integers(0, max(len(base) - 1, 0)), max_size=20))
    b = "".join(("c" if ch != "c" else "a") if n in flips else ch for n, ch in enumerate(base))
    a_lo, a_hi = data.draw(st.integers(0, len(base))), data.draw(st.integers(0, len(base)))  # reversed: empty
    b_lo, b_hi = data.draw(st.integers(0, len(b))), data.draw(st.integers(0, len(b)))
    wa, wb = base[a_lo:a_hi], b[b_lo:b_hi]
    want = _reach(wa[::-1], wb[::-1], k) if backward else _reach(wa, wb, k)
    assert _reach_near(base, a_lo, a_hi, b, b_lo, b_hi, k, backward=backward) == want


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(1, 120), st.integers(0, 300), st.integers(1, 120)), max_size=25))
def test_a_span_inside_another_on_both_sides_is_left_out(raw) -> None:  # type: ignore[no-untyped-def]
    """A phrase a copied passage holds twice also matches its other occurrence, inside the
    span of the whole copy: the pair's alignment keeps the whole copy only. Every span
    left out lies inside one kept, and the kept ones are in span order."""
    from neardup.alignments import _outermost
    from neardup.align import span_key
    from neardup.model import ReuseSpan

    spans = sorted({ReuseSpan(a, a + n, b, b + m, 1, 1, 1, 1, 1.0) for a, n, b, m in raw}, key=span_key)
    kept = _outermost(spans)
    assert kept == sorted(kept, key=span_key) and set(kept) <= set(spans)
    inside = lambda t, s: s.a_start <= t.a_start and t.a_end <= s.a_end and s.b_start <= t.b_start and t.b_end <= s.b_end  # noqa: E731
    assert all(any(inside(t, s) for s in kept) for t in spans if t not in kept)
    whole = ReuseSpan(0, 1000, 0, 1000, 1, 1, 1, 1, 1.0)
    assert _outermost([whole, ReuseSpan(10, 20, 600, 610, 1, 1, 1, 1, 1.0)]) == [whole]  # the phrase's other occurrence
    across = ReuseSpan(900, 1100, 950, 1150, 1, 1, 1, 1, 1.0)
    assert _outermost([whole, across]) == [whole, across]  # overlapping is not inside


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 12), min_size=1, max_size=80),
    st.lists(st.integers(0, 12), min_size=1, max_size=80),
    st.integers(1, 4),
    st.booleans(),
    st.integers(1, 8),
)
def test_compiled_seed_pairs_are_the_numpy_ones_in_the_same_order(a, b, max_repeat, same, k) -> None:  # type: ignore[no-untyped-def]
    """Few distinct values, so windows repeat: the repeat bounds and ``j >= i + k`` decide."""
    import numpy as np

    from neardup.align import _seed_pairs_numpy
    from neardup.shingle import compiled_kernels

    kernels = compiled_kernels()
    if kernels is None:
        pytest.skip("numba is not installed: only the numpy path runs")
    ha = np.array(a, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # spread over 64 bits
    hb = ha if same else np.array(b, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    want_i, want_j = _seed_pairs_numpy(ha, hb, k, max_repeat, same)
    got_i, got_j = kernels.seed_pairs(ha, hb, max_repeat, same, k)
    assert got_i.dtype == got_j.dtype == np.int64
    assert got_i.tolist() == want_i.tolist() and got_j.tolist() == want_j.tolist()


def test_two_pieces_of_one_copy_sharing_their_edge_join_once(simplified_paragraphs) -> None:
    """The aligner can give one copy as two spans that overlap by a few characters on
    both sides (a merged cluster's member pair); they are one span, the shared edge
    counted once: no match or edit twice, ratio at most 1."""
    from neardup.alignments import alignments_of

    a = "\n".join(simplified_paragraphs[:2])
    cut = len(a) // 2
    # A character changed on each side of the edge: neither piece grows over the other.
    b = "前言。" + a[: cut - 14] + "改" + a[cut - 13 : cut + 4] + "动" + a[cut + 5 :]
    [whole] = align_pair(a, b)
    first, second = align_pair(a[:cut], b[: cut + 3]), align_pair(a[cut - 10 :], b[cut - 7 :])
    assert first and second
    from neardup.align import shift_span

    later = shift_span(second[0], cut - 10, cut - 7, line_of(a, cut - 10) - 1, line_of(b, cut - 7) - 1)
    assert later.a_start < first[0].a_end and later.b_start < first[0].b_end  # they overlap on both sides
    [alignment] = alignments_of([("a", "b", first[0]), ("a", "b", later)], {"a": a, "b": b})
    [joined] = alignment.spans
    assert (joined.a_start, joined.a_end, joined.b_start, joined.b_end) == (first[0].a_start, later.a_end, first[0].b_start, later.b_end)
    assert joined.ratio is not None and joined.ratio <= 1.0
    assert joined.matched <= whole.matched  # the edge once
    _slices_ok(a, b, [joined])
    assert len({(e.a_start, e.b_start) for e in joined.edits}) == len(joined.edits)  # no edit twice
