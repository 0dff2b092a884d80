from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import pytest
from click.testing import CliRunner

from neardup import Document, read_paths, scan
from neardup.cli import cli
from neardup.config import BoilerplateConfig, ScanConfig
from neardup.model import Cluster, Member
from neardup.normalize import normalize
from neardup.boilerplate import find_boilerplate
from neardup.templates import template_of

from .conftest import EZHOU_FILE

STOCK = "党政主要负责人履行推进法治建设第一责任人职责"


@pytest.fixture(scope="module")
def seeds_result(seeds_dir):
    return scan(read_paths([str(seeds_dir)]).documents)


def _by_name(result, name):
    return [b for b in result.boilerplate if b.doc_id.endswith(name)]


def test_ezhou_template_has_year_slots_from_the_original_text(seeds_result, seed_texts) -> None:
    (cluster,) = [c for c in seeds_result.clusters if any("鄂州" in m.text for m in c.members)]
    template = next(t for t in seeds_result.templates if t.cluster == cluster.id)
    values = [s.values for s in template.slots]
    # The first copy (lines 127-169) blanks every year; the second says 2017, 2018 and 2018—2020.
    assert ("20xx", "2018") in values and ("20xx", "2017") in values and ("20xx—20xx", "2018—2020") in values
    assert "{20xx | 2018}" in template.text and "{20xx | 2017}" in template.text
    text = seed_texts[EZHOU_FILE.name]
    for slot in template.slots:
        for fill in slot.fills:
            assert text[fill.start : fill.end] == fill.text
    assert template.shared > 6000


def test_slots_with_three_members_and_insertions() -> None:
    base = "{city}市{year}年创建全国文明城市工作取得明显成效，群众满意度持续提升，{extra}城市面貌焕然一新。"
    texts = [
        base.format(city="鄂州", year="2018", extra=""),
        base.format(city="xx", year="20xx", extra=""),
        base.format(city="宜昌", year="2018", extra="背街小巷得到整治，"),
    ]
    members = tuple(Member(f"d{i}", 5, 5 + len(t), 1, 1, (0,), 1.0, t) for i, t in enumerate(texts))
    t = template_of(Cluster(1, members))
    assert [s.values for s in t.slots] == [("鄂州", "xx", "宜昌"), ("2018", "20xx"), ("", "背街小巷得到整治")]
    assert t.text.startswith("{鄂州 | xx | 宜昌}市{2018 | 20xx}年")
    assert "{∅ | 背街小巷得到整治}" in t.text
    ins = t.slots[2].fills[2]
    assert texts[2][ins.start - 5 : ins.end - 5] == "背街小巷得到整治"


def test_stock_phrase_is_corpus_boilerplate_on_the_seeds(seeds_result) -> None:
    stock_docs = {b.doc_id for b in seeds_result.boilerplate if b.kind == "corpus" and STOCK in normalize(b.text).text}
    assert {Path(d).name[:3] for d in stock_docs} == {"001", "003", "004"}
    # Real prose shared by only two seeds is not boilerplate.
    for b in seeds_result.boilerplate:
        if b.kind == "corpus":
            assert b.documents >= 3 and len(normalize(b.text).text) >= 12


def test_navigation_and_footer_lines_are_page_boilerplate(seeds_result, seed_texts) -> None:
    def lines(name):
        covered = set()
        for b in _by_name(seeds_result, name):
            if b.kind == "page":
                covered.update(range(b.line_start, b.line_end + 1))
        return covered

    nav001 = lines("001_dd9de37c9c444b8c.txt")
    assert {1, 5, 28, 30, 32, 34, 36} <= nav001  # 导航, date, 链接地址, 相关文章, 推荐文章, ©, 友情链接
    assert not {9, 13, 15, 25} & nav001  # the speech itself
    nav002 = lines("002_e64a693436841c66.txt")
    assert set(range(1, 17)) <= nav002 and set(range(70, 77)) <= nav002  # both menus and the breadcrumb
    assert not set(range(24, 69)) & nav002
    foot000 = lines("000_1005f49524910cf3.txt")
    assert {25, 26, 27, 28, 29, 30} <= foot000  # 扩展阅读, 推荐阅读, Copyright, Powered by … ICP备
    assert 1 in lines("004_21f10bf9ae509db8.txt")  # the spam line on top of the compilation


def test_min_docs_measured_cutoff() -> None:
    """Two documents sharing a sentence is copying; three is the default boilerplate line."""
    texts = ["甲县严格落实" + STOCK + "。", "乙市全面落实" + STOCK + "。"]
    norms = [normalize(t) for t in texts]
    assert find_boilerplate(texts, norms, BoilerplateConfig(page_edges=False)) == [[], []]
    texts.append("丙区" + STOCK)
    runs = find_boilerplate(texts, [normalize(t) for t in texts], BoilerplateConfig(page_edges=False))
    assert all(r and r[0].kind == "corpus" and r[0].documents == 3 for r in runs)


def _site_page(seed_texts, body: str) -> str:
    """A page of site 001 (same menu and footer) around another body text."""
    lines = seed_texts["001_dd9de37c9c444b8c.txt"].split("\n")
    return "\n".join(lines[:8] + [body, "", "  近年来,县政府始终严格落实" + STOCK + "。"] + lines[25:])


def test_boilerplate_never_links_documents_by_default(seed_texts, simplified_paragraphs) -> None:
    a = _site_page(seed_texts, simplified_paragraphs[14])
    b = _site_page(seed_texts, simplified_paragraphs[16])
    docs = [Document("site/a.txt", a), Document("site/b.txt", b), Document("other.txt", "某地" + STOCK + "的情况" * 30)]
    plain = scan(docs)
    assert not any({"site/a.txt", "site/b.txt"} <= set(c.doc_ids) for c in plain.clusters)
    assert not plain.alignments and not plain.families
    assert {bp.kind for bp in plain.boilerplate if bp.doc_id == "site/a.txt"} >= {"page", "corpus"}  # still reported
    linked = scan(docs, config=ScanConfig.from_options(link_boilerplate=True))
    assert any(set(c.doc_ids) == {"site/a.txt", "site/b.txt"} for c in linked.clusters)
    # The same pages with a truly copied body are still reported.
    c = _site_page(seed_texts, simplified_paragraphs[14])
    again = scan(docs + [Document("site/c.txt", c)])
    assert any(set(cl.doc_ids) == {"site/a.txt", "site/c.txt"} for cl in again.clusters)


def test_base_file_text_never_counts_as_copied(tmp_path: Path, simplified_paragraphs) -> None:
    template = simplified_paragraphs[7] + "\n" + simplified_paragraphs[8]
    (tmp_path / "base.txt").write_text(template, encoding="utf-8")
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(simplified_paragraphs[7] + "\n" + simplified_paragraphs[13], encoding="utf-8")
    (docs / "b.txt").write_text(simplified_paragraphs[15] + "\n" + simplified_paragraphs[7], encoding="utf-8")
    runner = CliRunner()
    without = runner.invoke(cli, ["scan", str(docs), "--format", "json"], catch_exceptions=False)
    with_base = runner.invoke(cli, ["scan", str(docs), "--base", str(tmp_path / "base.txt"), "--format", "json"], catch_exceptions=False)
    assert without.exit_code == with_base.exit_code == 0
    import json

    assert json.loads(without.output)["clusters"]
    out = json.loads(with_base.output)
    assert out["clusters"] == []
    assert {b["kind"] for b in out["boilerplate"]} >= {"base"}


def test_families_group_documents_by_content_not_boilerplate(simplified_paragraphs) -> None:
    p = simplified_paragraphs
    docs = [
        Document("f1/a", p[0] + "\n" + p[1] + "\n" + p[12]),
        Document("f1/b", p[0] + "\n" + p[1] + "\n" + p[13]),
        Document("f1/c", p[1].replace("的", "之") + "\n" + p[0] + "\n" + p[14]),
        Document("f2/a", p[10] + "\n" + p[11] + "\n" + p[15]),
        Document("f2/b", p[11] + "\n" + p[10] + "\n" + p[16]),
        Document("lone", p[17] + "\n" + p[18]),
    ]
    result = scan(docs)
    assert sorted(f.doc_ids for f in result.families) == [("f1/a", "f1/b", "f1/c"), ("f2/a", "f2/b")]
    assert all(f.keywords and f.content > 0 for f in result.families)
    assert result.families == scan(list(reversed(docs))).families  # deterministic


@given(st.text(alphabet="甲乙丙丁ab", max_size=40), st.text(alphabet="甲乙丙丁ab", max_size=40))
@settings(max_examples=200, deadline=None)
def test_opcode_index_maps_positions_as_a_scan_of_the_opcodes_does(a: str, b: str) -> None:
    """Bisection over a member's opcodes gives what the first (left) or last (right)
    opcode holding the position says."""
    from neardup.align import diff
    from neardup.templates import _OpIndex  # the private helper under test, in its own module's test

    ops = diff(a, b, ngram=2)
    index = _OpIndex(ops)
    for p in range(len(a) + 1):
        left = next((j1 + (p - i1) if tag == "equal" else j1 for tag, i1, i2, j1, _ in ops if i1 <= p <= i2), ops[-1][4] if ops else 0)
        right = next((j1 + (p - i1) if tag == "equal" else j2 for tag, i1, i2, j1, j2 in reversed(ops) if i1 <= p <= i2), ops[0][3] if ops else 0)
        assert (index.left(p), index.right(p)) == (left, right)
