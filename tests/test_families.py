"""Template families: documents grouped by the boilerplate and templates they share (issue 17).

The corpora are made of real seed text: three sites' chrome (menus, bylines, footers) taken
from seeds 000, 001 and 002 around unrelated paragraphs of seeds 003 and 004, and speech
drafts filled in from one template made of seed 000's sentences.
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup import Document, scan
from neardup.families import MAX_PAIR_DOCS

STOCK = ("党政主要负责人履行推进法治建设第一责任人职责", "深入学习贯彻习近平法治思想")
SEED = {
    "000": "000_1005f49524910cf3.txt",
    "001": "001_dd9de37c9c444b8c.txt",
    "002": "002_e64a693436841c66.txt",
    "003": "003_25ef313b2cbc397f.txt",
    "004": "004_21f10bf9ae509db8.txt",
}
#: Each site's page title as the seed page has it (in its head and tail chrome).
TITLES = {
    "000": "县委书记在全县法治建设暨创建全省法治政府建设示范县动员会议上讲话",
    "001": "某县长在县推进依法行政工作领导组会议暨全县法治政府建设推进会上的讲话",
    "002": "区委书记在全区依法治区工作推进会上",
}
SITE_NAMES = {"000": "77范文网", "001": "三味园范文网", "002": "柠檬阅读网"}
CITIES = ("鄂州", "襄阳", "绵阳", "宜昌", "株洲", "赣州")


def _cjk(line: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", line))


def _split(text: str) -> tuple[list[str], list[str], list[str]]:
    """A seed page's head chrome, prose lines and tail chrome (prose: 50+ CJK characters)."""
    lines = text.splitlines()
    prose = [i for i, line in enumerate(lines) if _cjk(line) >= 50]
    return lines[: prose[0]], lines[prose[0] : prose[-1] + 1], lines[prose[-1] + 1 :]


@pytest.fixture(scope="module")
def pool(seed_texts: dict[str, str]) -> list[str]:
    """Unrelated prose paragraphs: seed 003's, and seed 004's before its repeated speeches."""
    _, p3, _ = _split(seed_texts[SEED["003"]])
    p4 = seed_texts[SEED["004"]].splitlines()[12:88]
    paragraphs = [p.strip() for p in p3 + p4 if _cjk(p) >= 80]
    return list(dict.fromkeys(paragraphs))


def _page(seed_text: str, site: str, n: int, body: list[str]) -> str:
    head, _, tail = _split(seed_text)
    title = re.sub(r"[，,。:：\s]", "", body[0])[:20]
    day = f"2024-0{1 + n % 9}-1{n % 10} 0{n % 10}:1{n}:2{n}"

    def fill(line: str) -> str:
        line = line.replace(TITLES[site], title)
        line = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", day, line)
        return re.sub(r"news/\d+", f"news/{43000 + 17 * n}", line)

    return "\n".join([*map(fill, head), *body, *map(fill, tail)]) + "\n"


def three_sites(seed_texts: dict[str, str], pool: list[str], pages: int = 5, closing: bool = True) -> list[Document]:
    """``pages`` pages per site, each with two paragraphs of its own; the first two pages of
    every site end with the same closing formula (seed 002's last sentence)."""
    _, p2, _ = _split(seed_texts[SEED["002"]])
    formula = p2[-1].strip()
    docs, k = [], 0
    for site in ("000", "001", "002"):
        for n in range(pages):
            body = [pool[k], pool[k + 1]]
            k += 2
            if closing and n < 2:
                body.append(formula)
            docs.append(Document(f"{site}/page{n}.txt", _page(seed_texts[SEED[site]], site, n, body)))
    return docs


def _sentences(text: str) -> list[str]:
    return [s for s in re.findall(r"[^。！？\n]+[。！？]", text) if 20 <= _cjk(s) <= 70]


def speech_drafts(seed_texts: dict[str, str], pool: list[str], drafts: int = 4) -> list[Document]:
    """Drafts of one template (seed 000's speech, one sentence a paragraph) with another
    city, year and numbers each; every paragraph also holds three sentences of the draft's
    own, so no paragraph is a near-copy of another draft's."""
    _, p0, _ = _split(seed_texts[SEED["000"]])
    template = _sentences("\n".join(p0))[:12]
    extra = [line for seed in ("001", "002") for line in _split(seed_texts[SEED[seed]])[1]]
    own = list(dict.fromkeys(s for p in [*pool, *extra] for s in _sentences(p)))
    rng = random.Random(17)
    docs, k = [], 0
    for d in range(drafts):
        city, year = CITIES[d], 2019 + d
        paragraphs = []
        for i, sentence in enumerate(template):
            filled = sentence.replace("xxx", city).replace("xx年", f"{year}年").replace("2021", str(year))
            filled = re.sub(r"\d+(?=[项个次件])", lambda m: str(rng.randint(3, 90)), filled)
            if i % 2 == 0:
                filled = f"{year}年，{city}市" + filled
            paragraphs.append(own[k] + own[k + 1] + filled + own[k + 2])
            k += 3
        docs.append(Document(f"draft/{city}.txt", f"{city}市在全市法治建设工作会议上的讲话\n" + "\n".join(paragraphs) + "\n"))
    for u in range(3):
        docs.append(Document(f"other/{u}.txt", "\n".join(own[k : k + 6]) + "\n"))
        k += 6
    return docs


# --------------------------------------------------------------------------- acceptance


def test_seeds_one_family_of_001_003_004_labelled_with_the_stock_phrases(seed_texts: dict[str, str]) -> None:
    docs = [Document(name, text) for name, text in seed_texts.items()]
    result = scan(docs)
    assert [f.doc_ids for f in result.template_families] == [(SEED["001"], SEED["003"], SEED["004"])]
    family = result.template_families[0]
    labels = [label.text for label in family.boilerplate]
    assert all(any(stock in label for label in labels) for stock in STOCK), labels
    assert all(label.documents == 3 and label.kind == "corpus" for label in family.boilerplate)
    assert family.weight > 0 and family.chars > 0 and family.keywords
    assert not result.families  # no content is copied across the seeds


def test_three_sites_three_families_each_labelled_with_its_chrome(seed_texts: dict[str, str], pool: list[str]) -> None:
    docs = three_sites(seed_texts, pool)
    result = scan(docs)
    by_site = {site: tuple(d.id for d in docs if d.id.startswith(site)) for site in SITE_NAMES}
    assert sorted(f.doc_ids for f in result.template_families) == sorted(by_site.values())
    for f in result.template_families:
        site = f.doc_ids[0].split("/")[0]
        chrome = [label for label in f.boilerplate if label.kind == "page"]
        assert chrome and any(SITE_NAMES[site] in label.text for label in chrome), f.boilerplate
        assert all(SITE_NAMES[other] not in label.text for label in f.boilerplate for other in SITE_NAMES if other != site)


def test_template_families_read_runs_from_a_table_as_from_lists(seed_texts: dict[str, str], pool: list[str]) -> None:
    """The scan hands the families its runs as records (a ``RunTable``), a library caller
    as lists of runs: the same families, labels (the seeds' stock phrases are corpus
    runs) and edges either way."""
    from neardup.boilerplate import RunTable, find_boilerplate
    from neardup.config import FamilyConfig
    from neardup.families import find_template_families
    from neardup.normalize import normalize

    for docs in ([Document(name, text) for name, text in seed_texts.items()], three_sites(seed_texts, pool, closing=True)):
        norms = [normalize(d.text) for d in docs]
        runs = find_boilerplate([d.text for d in docs], norms)
        assert isinstance(runs, list) and sum(map(len, runs)) > 0
        config = FamilyConfig(keywords=0)
        as_lists, edges = find_template_families(docs, norms, runs, config)
        as_table, table_edges = find_template_families(docs, norms, RunTable.of(runs), config)
        assert as_lists and all(f.boilerplate for f in as_lists)
        assert as_table == as_lists and all((a == b).all() for a, b in zip(edges, table_edges))
        kinds = {label.kind for f in as_lists for label in f.boilerplate}
        # The seeds' family is labelled by its stock phrases (corpus runs), each site's by its chrome.
        assert kinds == {"corpus"} if docs[0].id in seed_texts else "page" in kinds


def test_a_closing_formula_shared_across_sites_does_not_merge_them(seed_texts: dict[str, str], pool: list[str]) -> None:
    docs = three_sites(seed_texts, pool, closing=True)
    result = scan(docs)
    # The formula is there to be found, on pages of all three sites: six pages carry it,
    # too few for a formula of its length to be boilerplate, so it is reported as copies.
    carriers = {b.doc_id for b in result.boilerplate if b.kind == "corpus" and "让我们紧密团结" in b.text}
    carriers |= {m.doc_id for c in result.clusters for m in c.members if "让我们紧密团结" in m.text}
    assert {d.split("/")[0] for d in carriers} == set(SITE_NAMES)
    for f in result.template_families:
        assert len({d.split("/")[0] for d in f.doc_ids}) == 1


def test_speech_drafts_from_one_template_form_one_family_without_near_copies(
    seed_texts: dict[str, str], pool: list[str]
) -> None:
    docs = speech_drafts(seed_texts, pool)
    result = scan(docs)
    drafts = tuple(sorted(d.id for d in docs if d.id.startswith("draft/")))
    # No paragraph of one draft is a near-copy of another draft's. What two drafts share
    # is the template's sentences, each filled in: the reused spans between two drafts
    # are those sentences (issue 14), never a draft's own.
    _, p0, _ = _split(seed_texts[SEED["000"]])
    longest = max(len(s) for s in _sentences("\n".join(p0))[:12])
    texts = {d.id: d.text for d in docs}
    between = [al for al in result.alignments if al.a != al.b]
    assert between and all(al.a in drafts and al.b in drafts for al in between)
    for al in between:
        for span in al.spans:
            assert span.a_end - span.a_start <= longest + 16, texts[al.a][span.a_start : span.a_end]
    assert all(set(f.doc_ids) <= set(drafts) for f in result.families)
    assert [f.doc_ids for f in result.template_families] == [drafts]


def test_two_drafts_share_only_their_skeleton(seed_texts: dict[str, str], pool: list[str]) -> None:
    """Two drafts are too few for corpus boilerplate (3 documents): the skeletons alone join them."""
    docs = speech_drafts(seed_texts, pool, drafts=2)
    result = scan(docs)
    assert not [b for b in result.boilerplate if b.kind == "corpus"]
    [family] = result.template_families
    assert family.doc_ids == ("draft/襄阳.txt", "draft/鄂州.txt")
    assert {label.kind for label in family.boilerplate} == {"skeleton"}


def test_same_families_whatever_the_file_order(seed_texts: dict[str, str], pool: list[str]) -> None:
    docs = three_sites(seed_texts, pool)
    first = scan(docs)
    for seed in (1, 2):
        shuffled = docs[:]
        random.Random(seed).shuffle(shuffled)
        again = scan(shuffled)
        assert again.template_families == first.template_families
        assert again.links == first.links


def test_a_footer_on_many_pages_costs_one_edge_per_page(pool: list[str]) -> None:
    """A piece carried by more than MAX_PAIR_DOCS documents joins them through one virtual
    node: it makes no pairwise links (a clique would be 276), and still one family."""
    footer = "\n".join(["相关文章", "推荐阅读文章", "本站所有文章均来自网友投稿", "Copyright © 2015-2024 示范网 版权所有 备案号:粤ICP备15071480号"])
    n = MAX_PAIR_DOCS + 8
    docs = [Document(f"p{i:02d}", pool[i] + "\n" + footer + "\n") for i in range(n)]
    docs += [Document("x", pool[-1]), Document("y", pool[-2])]
    result = scan(docs)
    assert [f.doc_ids for f in result.template_families] == [tuple(f"p{i:02d}" for i in range(n))]
    assert sum(1 for link in result.links if link.template > 0) <= n  # only rarer pieces link pairwise


# --------------------------------------------------------------------------- properties


@given(st.randoms(use_true_random=False), st.integers(min_value=2, max_value=4))
@settings(max_examples=8, deadline=None)
def test_template_families_partition_and_ignore_order(seed_texts: dict[str, str], pool: list[str], rng: random.Random, pages: int) -> None:
    docs = three_sites(seed_texts, pool, pages=pages, closing=rng.random() < 0.5)
    docs = rng.sample(docs, len(docs))
    result = scan(docs)
    seen: set[str] = set()
    ids = {d.id for d in docs}
    for f in result.template_families:
        assert len(f.doc_ids) >= 2 and list(f.doc_ids) == sorted(f.doc_ids)
        assert not seen & set(f.doc_ids) and set(f.doc_ids) <= ids
        seen |= set(f.doc_ids)
        assert all(2 <= label.documents <= len(f.doc_ids) for label in f.boilerplate)
        assert len({d.split("/")[0] for d in f.doc_ids}) == 1  # a family never mixes sites
    assert len(result.template_families) == 3
    assert result.template_families == scan(list(reversed(docs))).template_families


def test_base_text_groups_the_documents_that_use_it(pool: list[str]) -> None:
    """Two documents filled in from a --base form are a template family (kind base), not copies."""
    form = pool[20] + "\n" + pool[21]
    docs = [
        Document("use/a.txt", pool[22] + "\n" + form + "\n" + pool[23]),
        Document("use/b.txt", pool[24] + "\n" + form + "\n" + pool[25]),
        Document("other.txt", pool[26] + "\n" + pool[27]),
    ]
    result = scan(docs, base=[Document("form.txt", form)])
    assert not result.clusters and not result.families
    [family] = result.template_families
    assert family.doc_ids == ("use/a.txt", "use/b.txt")
    assert family.boilerplate[0].kind == "base" and family.boilerplate[0].documents == 2


def test_recombined_clauses_make_no_template_family() -> None:
    """Speeches recombined at random from one pool of seed clauses share clauses with
    random others: Louvain parts that graph, but no part stands out (its documents are
    tied more to the rest than to each other), so there is no template family."""
    from benchmarks.generate import Generator

    docs = [Document(d.id, d.text) for d, _ in Generator(seed=5, dup_rate=0.0).documents(120)]
    result = scan(docs)
    assert sum(b.kind == "corpus" for b in result.boilerplate) > 500  # plenty of shared clauses
    assert result.template_families == ()


def test_template_family_labels_stay_text_in_html_and_terminal(seed_texts: dict[str, str], pool: list[str]) -> None:
    """A site whose chrome carries markup and terminal escapes: the family's labels show them as text."""
    from neardup.report.html import render_html
    from neardup.report.text import render_text

    evil = '<script>window.__pwned=1</script> "><img src=x onerror="window.__pwned=2"> \x1b[31m版权所有'
    docs = [Document(f"evil/{n}.txt", f"{evil}\n首页 导航 站点地图\n{pool[n]}\n{evil}\n") for n in range(3)]
    docs.append(Document("other.txt", pool[5]))
    result = scan(docs)
    [family] = result.template_families
    assert any("</script>" in label.text for label in family.boilerplate)
    page = render_html(result)
    assert "<script>window.__pwned" not in page and "<img src=x" not in page
    assert "window.__pwned=1&lt;/script&gt; &quot;&gt;&lt;img src=x" in page
    text = render_text(result)
    assert "\x1b" not in text and "script>window.__pwned=1</script>" in text



@given(
    st.sets(st.tuples(st.integers(0, 7), st.integers(0, 7)).filter(lambda p: p[0] < p[1]), max_size=12),
    st.dictionaries(st.tuples(st.integers(0, 7), st.integers(0, 7)).filter(lambda p: p[0] < p[1]), st.floats(0.0, 1e6), max_size=12),
)
@settings(max_examples=200, deadline=None)
def test_merged_links_hold_both_graphs_pairs_once_each(content: set, template: dict) -> None:
    """Every content link and every template pair once, sorted by id pair, with the
    content link's weights and the template weight rounded to three places; as rows,
    and as the dicts the report writes."""
    from dataclasses import asdict

    import numpy as np

    from neardup.links import merged_links
    from neardup.model import DocLink

    docs = [Document(f"d{i}", "x") for i in range(8)]
    links = [DocLink(f"d{a}", f"d{b}", 100 + a, 10 * b) for a, b in sorted(content)]
    pairs = sorted(template)
    weights = (np.array([a for a, _ in pairs], dtype=np.int64), np.array([b for _, b in pairs], dtype=np.int64), np.array([template[p] for p in pairs]))
    merged = merged_links([d.id for d in docs], {d.id: i for i, d in enumerate(docs)}, links, weights)
    expected = [
        DocLink(f"d{a}", f"d{b}", 100 + a if (a, b) in content else 0, 10 * b if (a, b) in content else 0, round(template.get((a, b), 0.0), 3))
        for a, b in sorted(content | set(template))
    ]
    assert list(merged) == expected and merged == tuple(expected)
    assert list(merged.dicts()) == [asdict(link) for link in expected]


@pytest.mark.slow  # starts the keyword helper process
def test_keywords_cut_in_the_helper_give_the_same_report(seed_texts: dict[str, str], pool: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The helper counts every template family's keywords while this process labels the
    families (the ones a label drops are counted for nothing): the report is the one a
    scan makes alone, keywords and all."""
    import neardup.analyse as analyse
    from neardup import render_json

    docs = three_sites(seed_texts, pool) + speech_drafts(seed_texts, pool)
    alone = scan(docs, jobs=1)
    monkeypatch.setattr(analyse, "KEYWORD_HELPER_MIN_CHARS", 0)  # a helper for this small corpus
    helped = scan(docs, jobs=2)
    assert len(alone.template_families) >= 3 and all(f.keywords for f in alone.template_families)
    assert render_json(helped) == render_json(alone)
