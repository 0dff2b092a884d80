from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from neardup.config import NormalizeConfig
from neardup.normalize import SLOT, normalize

ALPHABET = "创建創建講話话文明城市鄂州 \n\t，。、“”()chuàngéhx×*某XAb20189年月日①ﬁ㈱！?"
UNFOLDED = NormalizeConfig(fold_placeholders=False)
texts = st.text(alphabet=ALPHABET, max_size=80)


def test_ruby_annotations_are_stripped() -> None:
    assert normalize("法治政府建設示范創(chuàng )建講話(huà)").text == "法治政府建设示范创建讲话"


def test_traditional_becomes_simplified() -> None:
    assert normalize("文明是一個城市的靈魂").text == normalize("文明是一个城市的灵魂").text


def test_placeholders_fold_to_one_slot() -> None:
    for blank in ("20xx年", "202x年", "XX年", "×年", "*年", "某年"):
        assert normalize(blank).text == SLOT + "年", blank
    assert normalize("x月x日").text == f"{SLOT}月{SLOT}日"
    assert normalize("index").text == "index"  # a Latin word is not a blank


def test_punctuation_space_and_case_are_dropped() -> None:
    assert normalize("Ａ B，c！\n").text == "abc"


def test_options_can_be_turned_off() -> None:
    cfg = NormalizeConfig(t2s=False, strip_ruby=False, fold_placeholders=False)
    assert normalize("創(chuàng )20xx", cfg).text == "創chuàng20xx"


@given(texts)
@settings(max_examples=300)
def test_idempotent(text: str) -> None:
    once = normalize(text).text
    assert normalize(once).text == once


@given(texts)
@settings(max_examples=300, deadline=None)
def test_offset_map_is_exact(text: str) -> None:
    norm = normalize(text)
    assert len(norm.start) == len(norm.end) == len(norm.text)
    prev = 0
    for i, ch in enumerate(norm.text):
        s, e = int(norm.start[i]), int(norm.end[i])
        assert 0 <= s < e <= len(text) and s >= prev
        prev = s
        # The original span, normalised on its own, produces this character (a blank
        # like "X" is only a slot away from Latin letters, so allow either reading).
        alone = normalize(text[s:e]).text + normalize(text[s:e], UNFOLDED).text
        assert ch in alone or ch == SLOT


@given(st.text(alphabet="创建年月x×*某○□Xxab9201z（(chuàng)", max_size=60))
@settings(max_examples=300, deadline=None)
def test_targeted_regex_searches_equal_a_full_scan(text: str) -> None:
    from neardup.normalize import _PLACEHOLDER, _RUBY, _placeholder_spans, _ruby_spans

    assert _ruby_spans(text) == [m.span() for m in _RUBY.finditer(text)]
    assert _placeholder_spans(text) == [m.span() for m in _PLACEHOLDER.finditer(text)]


@given(texts)
@settings(max_examples=300, deadline=None)
def test_lookup_table_equals_translate(text: str) -> None:
    """The numpy lookup-table path gives what str.translate and np.repeat give."""
    import numpy as np

    from neardup.normalize import _table

    cfg = NormalizeConfig(strip_ruby=False, fold_placeholders=False)
    norm = normalize(text, cfg)
    table = _table(cfg).table
    assert norm.text == text.translate(table)
    expected = np.repeat(np.arange(len(text)), [len(table[ord(c)]) for c in text])
    assert norm.start.tolist() == expected.tolist()


def test_variant_characters_fold_to_the_standard_form() -> None:
    # 全唐诗 and 御定全唐詩 print the same line with different variant characters.
    assert normalize("劒外忽傳收薊北").text == normalize("劍外忽傳收薊北").text == "剑外忽传收蓟北"
    assert normalize("疎影橫斜水清淺").text == normalize("疏影横斜水清浅").text
    assert normalize("歸鴈").text == normalize("归雁").text
    assert normalize("劒", NormalizeConfig(fold_variants=False)).text == "劒"


def test_variant_table_is_closed_under_t2s_and_idempotent() -> None:
    import opencc

    from neardup.normalize import VARIANTS

    t2s = opencc.OpenCC("t2s")
    for variant, standard in VARIANTS.items():
        assert len(variant) == len(standard) == 1
        assert standard not in VARIANTS, standard  # no chains: folding twice changes nothing
        assert t2s.convert(variant) == variant and t2s.convert(standard) == standard


@given(st.text(alphabet="ab Zé1,.!中文\n", max_size=60))
@settings(max_examples=200, deadline=None)
def test_word_spaces_keep_english_words_apart_and_offsets_exact(text: str) -> None:
    from neardup.config import NormalizeConfig

    n = normalize(text, NormalizeConfig(word_spaces=True))
    assert len(n.text) == len(n.start) == len(n.end)
    for ch, s, e in zip(n.text, n.start.tolist(), n.end.tolist()):
        assert 0 <= s < e <= len(text)
        if ch == " ":  # a space stands for characters that normalisation drops, between two words
            assert normalize(text[s:e]).text == ""
    assert "  " not in n.text and not n.text.startswith(" ") and not n.text.endswith(" ")
    assert n.text.replace(" ", "") == normalize(text).text
    assert normalize("the quick, brown fox", NormalizeConfig(word_spaces=True)).text == "the quick brown fox"
