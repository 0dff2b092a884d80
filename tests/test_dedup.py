"""The dedup decision: planted copies reduced to one document, deterministic survivors,
no family lost whole, passages cut, and the library on Documents, dicts and datasets."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neardup
from neardup import Document
from neardup.dedup import DEFAULT_MIN_SHARE, DedupConfig, NearCopy, apply_cuts, decide, dedup, resolve, survivor_key, union_length
from neardup.errors import ConfigError, InputError
from neardup.scan import scan

from .conftest import range_lists



def _docs(texts: dict[str, str]) -> list[Document]:
    return [Document(k, v) for k, v in texts.items()]


def test_planted_copies_come_back_as_one_document(families: dict[str, str]) -> None:
    result = dedup(_docs(families))
    assert set(result.kept) == {"a/edit", "b/orig", "host/partial", "other/x", "other/y"}
    removed = {r.doc_id: r for r in result.removed}
    # First by id: "a/edit" < "a/orig" < "a/trad".
    assert {k: r.duplicate_of for k, r in removed.items()} == {"a/orig": "a/edit", "a/trad": "a/edit", "b/reorder": "b/orig"}
    for r in result.removed:
        assert DEFAULT_MIN_SHARE <= r.share <= 1.0 and 0.0 < r.similarity <= 1.0
    assert result.stats.documents == 8 and result.stats.kept == 5 and result.stats.removed == 3
    assert result.stats.chars_removed == sum(len(families[k]) for k in removed)
    assert [d.id for d in result.survivors] == list(result.kept)


def test_same_survivors_whatever_the_input_order(families: dict[str, str]) -> None:
    docs = _docs(families)
    want = dedup(docs)
    for seed in range(3):
        shuffled = random.Random(seed).sample(docs, len(docs))
        got = dedup(shuffled)
        assert set(got.kept) == set(want.kept) and got.removed == want.removed
        assert [d.id for d in got.survivors] == [d.id for d in shuffled if d.id in set(want.kept)]  # input order


def test_order_by_date_keeps_the_oldest(families: dict[str, str]) -> None:
    dates = {"a/orig": "2020-05-01", "a/edit": "2021-01-01", "a/trad": "2019-12-31", "b/orig": None, "b/reorder": "2018-01-01"}
    rows = [{"id": k, "text": v, "date": dates.get(k)} for k, v in families.items()]
    result = dedup(rows, order_by="date")
    assert {"a/trad", "b/reorder"} <= set(result.kept)
    assert {r.doc_id: r.duplicate_of for r in result.removed} == {"a/orig": "a/trad", "a/edit": "a/trad", "b/orig": "b/reorder"}
    assert [r["id"] for r in result.survivors] == [r["id"] for r in rows if r["id"] in set(result.kept)]
    assert all("date" in r for r in result.survivors)  # records come back whole


def test_keep_longest_and_shortest(families: dict[str, str]) -> None:
    a = families["a/orig"]
    docs = [Document("a/orig", a), Document("a/longer", a + "附件：无\n"), Document("a/shorter", a[:-20])]
    assert dedup(docs, keep="longest").kept == ("a/longer",)
    assert dedup(docs, keep="shortest").kept == ("a/shorter",)
    assert dedup(docs).kept == ("a/longer",)  # first by id


def test_a_partial_copy_is_kept_and_min_share_is_an_option(families: dict[str, str]) -> None:
    docs = _docs({k: families[k] for k in ("b/orig", "host/partial")})
    assert dedup(docs).kept == ("b/orig", "host/partial")
    assert dedup(docs, min_share=0.1).kept == ("b/orig",)
    with pytest.raises(ConfigError, match="min_share"):
        DedupConfig(min_share=0)


def test_a_chain_never_removes_a_document_for_a_removed_one() -> None:
    # b is a near-copy of a and of c, c only of b: removing b must not remove c.
    keys = {d: survivor_key(d, 1) for d in "abc"}
    near = [NearCopy("b", "a", 0.9, 0.9), NearCopy("c", "b", 0.95, 0.9), NearCopy("b", "c", 0.9, 0.9)]
    kept, removed = resolve(keys, near)
    assert kept == ["a", "c"] and [(r.doc_id, r.duplicate_of) for r in removed] == [("b", "a")]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9), st.floats(0.8, 1.0)), max_size=40),
    st.permutations(list(range(10))),
)
def test_no_family_is_lost_whole(edges: list[tuple[int, int, float]], order: list[int]) -> None:
    keys = {f"d{i}": survivor_key(f"d{i}", 1, order[i]) for i in range(10)}
    near = [NearCopy(f"d{a}", f"d{b}", s, s) for a, b, s in edges if a != b]
    kept, removed = resolve(keys, near)
    assert sorted(kept + [r.doc_id for r in removed]) == sorted(keys)
    for r in removed:  # removed only for a kept document it really duplicates
        assert r.duplicate_of in kept and any(n.doc_id == r.doc_id and n.other == r.duplicate_of for n in near)
    for n in near:  # no two kept documents where one is a near-copy of the other kept first
        if n.doc_id in kept and n.other in kept:
            assert keys[n.doc_id] < keys[n.other]


def test_passages_cut_later_copies_and_keep_the_first(simplified_paragraphs: list[str], filler_paragraphs: list[str]) -> None:
    p, f = simplified_paragraphs, filler_paragraphs
    docs = [
        Document("a", "\n".join([p[0], f[0], p[1]]) + "\n"),
        Document("b", "\n".join([f[1], p[0], f[2]]) + "\n"),  # repeats a's first paragraph
        Document("c", "\n".join([p[2], f[3], f[4], f[5], p[2]]) + "\n"),  # repeats its own paragraph
        Document("d", "\n".join([p[1], p[0]]) + "\n"),  # nothing but repeats: removed
    ]
    result = dedup(docs, passages=True)
    assert result.kept == ("a", "b", "c")
    assert [(r.doc_id, r.duplicate_of) for r in result.removed] == [("d", "a")]
    assert result.texts["b"] == f"{f[1]}\n{f[2]}\n"
    assert result.texts["c"] == f"{p[2]}\n{f[3]}\n{f[4]}\n{f[5]}\n"
    assert "a" not in result.texts
    cuts = {(c.doc_id, c.duplicate_of) for c in result.cuts}
    assert ("b", "a") in cuts and ("c", "c") in cuts
    assert [d.text for d in result.survivors] == [docs[0].text, result.texts["b"], result.texts["c"]]
    assert result.stats.chars_removed == len(p[0]) + 1 + len(p[2]) + 1 + len(docs[3].text)


def test_drop_boilerplate_cuts_page_chrome(simplified_paragraphs: list[str]) -> None:
    menu = "首页 | 新闻 | 关于我们\n"
    docs = [Document(f"d{i}", menu + simplified_paragraphs[i] + "\n") for i in range(3)]
    result = dedup(docs, passages=True, drop_boilerplate=True)
    assert all(not t.startswith("首页") for t in result.texts.values()) and len(result.texts) == 3
    assert {c.kind for c in result.cuts} == {"boilerplate"}
    with pytest.raises(ConfigError, match="passages"):
        dedup(docs, drop_boilerplate=True)


def test_decide_takes_a_scan_result(families: dict[str, str]) -> None:
    result = decide(scan(_docs(families)))
    assert set(result.kept) == set(dedup(_docs(families)).kept)


def test_a_hugging_face_dataset_comes_back_filtered(families: dict[str, str]) -> None:
    datasets = pytest.importorskip("datasets")
    rows = [{"id": k, "text": v, "n": i} for i, (k, v) in enumerate(families.items())]
    ds = datasets.Dataset.from_list(rows)
    result = dedup(ds)
    assert isinstance(result.survivors, datasets.Dataset)
    assert result.survivors.column_names == ["id", "text", "n"]
    assert result.survivors["id"] == [r["id"] for r in rows if r["id"] in set(result.kept)]
    assert set(result.kept) == set(dedup(_docs(families)).kept)
    cut = dedup(datasets.Dataset.from_list([{"text": "甲" * 5 + families["a/orig"]}, {"text": families["a/orig"] + families["other/x"]}]), passages=True)
    assert cut.survivors.num_rows == 2 and cut.survivors["text"][1] == families["other/x"]


def test_input_errors() -> None:
    with pytest.raises(InputError, match="string 'text' field"):
        dedup([{"id": 1, "body": "x"}])
    with pytest.raises(InputError, match="mix types"):
        dedup([{"id": "a", "text": "x", "d": 1}, {"id": "b", "text": "y", "d": "z"}], order_by="d")
    with pytest.raises(InputError, match="appears twice"):
        dedup([{"id": "a", "text": "x"}, {"id": "a", "text": "y"}])


def test_intervals() -> None:
    assert union_length([(0, 5), (3, 8)], [(0, 1)]) == 7
    assert apply_cuts("ab\ncd\nef", [(3, 5)]) == "ab\nef"
    assert apply_cuts("abcdef", [(1, 2), (4, 6)]) == "acd"


def test_dedup_is_public() -> None:
    assert neardup.dedup is dedup and "dedup" in neardup.__all__ and "DedupResult" in neardup.__all__


def test_index_add_skips_near_copies_and_says_which(families: dict[str, str], tmp_path) -> None:
    from neardup import Index

    with Index.open(tmp_path / "i.ndx") as index:
        assert index.add("a/orig", families["a/orig"]).near_copy_of is None
        added = index.add("a/trad", families["a/trad"], skip_near_copies=True)
        assert added.near_copy_of == "a/orig" and added.passages == 0 and added.matches[0].coverage >= DEFAULT_MIN_SHARE
        assert "a/trad" not in index and len(index) == 1
        assert index.add("host/partial", families["host/partial"], skip_near_copies=True).near_copy_of is None
        # add_many checks each document against the ones added before it, in the same batch too.
        many = index.add_many([Document("b/orig", families["b/orig"]), Document("b/reorder", families["b/reorder"])], skip_near_copies=True)
        assert [a.near_copy_of for a in many] == [None, "b/orig"]
        assert index.add("a/edit", families["a/edit"]).near_copy_of is None  # without the flag: stored
        with pytest.raises(ConfigError, match="min_share"):
            index.add("x", families["other/x"], skip_near_copies=True, min_share=0)


@settings(max_examples=200, deadline=None)
@given(range_lists(), range_lists())
def test_union_length_minus_holes_counts_each_character_once(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> None:
    from neardup.dedup import union_length

    covered = {c for s, e in a for c in range(s, e)} - {c for s, e in b for c in range(s, e)}
    assert union_length(a, b) == len(covered)
