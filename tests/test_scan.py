from __future__ import annotations

import itertools
import os

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup import Document, ScanConfig, scan
from neardup.normalize import normalize
from neardup.scan import prepare
from neardup.verify import similarity

from .conftest import EZHOU_FILE


@pytest.fixture(scope="module")
def seeds_result(seeds_dir):
    from neardup import read_paths

    return scan(read_paths([str(seeds_dir)]).documents)


def _member_lines(cluster):
    return [(m.doc_id.rsplit("/", 1)[-1], m.line_start, m.line_end) for m in cluster.members]


def test_ezhou_speech_copies_form_one_cluster(seeds_result) -> None:
    name = EZHOU_FILE.name
    ezhou = [c for c in seeds_result.clusters if any("鄂州" in m.text for m in c.members)]
    assert len(ezhou) == 1
    (a, b) = _member_lines(ezhou[0])
    assert a[0] == b[0] == name
    assert abs(a[1] - 127) <= 3 and abs(a[2] - 169) <= 3
    assert abs(b[1] - 235) <= 3 and abs(b[2] - 277) <= 3
    assert "2018" in ezhou[0].members[0].text + ezhou[0].members[1].text


def test_other_repeated_speech_is_its_own_cluster(seeds_result) -> None:
    soul = [c for c in seeds_result.clusters if all("文明是一個(gè)城市的靈魂" in m.text for m in c.members)]
    assert len(soul) == 1
    (a, b) = _member_lines(soul[0])
    assert abs(a[1] - 89) <= 4 and abs(a[2] - 117) <= 3
    assert abs(b[1] - 173) <= 5 and abs(b[2] - 203) <= 3


def test_no_cluster_mixes_unrelated_passages(seeds_result) -> None:
    cfg = ScanConfig()
    for c in seeds_result.clusters:
        texts = [normalize(m.text).text for m in c.members]
        for x, y in itertools.combinations(texts, 2):
            from neardup.shingle import shingle_hashes
            import numpy as np

            jac, _ = similarity(np.unique(shingle_hashes(x, cfg.shingle)), np.unique(shingle_hashes(y, cfg.shingle)))
            assert jac > 0.8


def _pair(a: str, b: str) -> list[list[str]]:
    filler = "与本文毫不相干的一段文字，讲的是农业技术推广与种子站的日常工作安排。"
    result = scan([Document("src", a), Document("copy", b), Document("other", filler * 3)])
    return [[m.doc_id for m in c.members] for c in result.clusters]


def test_blanked_year_and_city_copy_is_found(seed_texts) -> None:
    text = seed_texts[EZHOU_FILE.name]
    para = next(line for line in text.splitlines() if "鄂州" in line and "2018" in line)
    blanked = para.replace("2018", "20xx").replace("鄂州", "xx")
    assert blanked != para
    assert _pair(para, blanked) == [["copy", "src"]]


def test_traditional_copy_of_simplified_is_found(simplified_paragraphs) -> None:
    para = simplified_paragraphs[0]
    trad = opencc.OpenCC("s2t").convert(para)
    assert trad != para
    assert _pair(para, trad) == [["copy", "src"]]


def test_ruby_annotated_copy_is_found(seed_texts) -> None:
    ruby_line = next(line for line in seed_texts[EZHOU_FILE.name].splitlines() if line.count("(") > 5 and len(line) > 200)
    plain = opencc.OpenCC("t2s").convert(normalize(ruby_line).text)  # a clean simplified copy
    assert "(" in ruby_line
    assert _pair(ruby_line, plain) == [["copy", "src"]]


@given(data=st.data())
@settings(max_examples=20, deadline=None)
def test_member_offsets_slice_back_to_text(data, simplified_paragraphs) -> None:
    paras = simplified_paragraphs[:10]
    picks = data.draw(st.lists(st.sampled_from(paras), min_size=2, max_size=5))
    sep = data.draw(st.sampled_from(["\n", "\r\n", "\n\n", "\n  "]))
    docs = [Document("a", sep.join(picks)), Document("b", "前言。" + sep.join(reversed(picks)) + "\n后记")]
    result = scan(docs)
    texts = {d.id: d.text for d in docs}
    assert result.clusters
    for c in result.clusters:
        for m in c.members:
            assert texts[m.doc_id][m.start : m.end] == m.text
            assert texts[m.doc_id].count("\n", 0, m.start) + 1 == m.line_start


def test_oracle_brute_force_agrees_with_lsh(simplified_paragraphs) -> None:
    """Every passage pair clearly above the threshold is found; none below it is reported."""
    import random

    rng = random.Random(7)
    paras = simplified_paragraphs[:16]
    docs = []
    for i, p in enumerate(paras):
        docs.append(Document(f"orig{i:02d}", p))
        # Edited copies at several edit rates: some land above, some below the threshold.
        rate = [0.0, 0.01, 0.04, 0.12][i % 4]
        chars = list(p)
        for k in range(len(chars)):
            if rng.random() < rate:
                chars[k] = rng.choice("的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要")
        docs.append(Document(f"copy{i:02d}", "".join(chars)))
    # prepare() masks no boilerplate either; containment matches are below the Jaccard rule by design
    config = ScanConfig.from_options(link_boilerplate=True, containment=False)
    result = scan(docs, config=config)
    found = {(m.a, m.b) for m in result.matches}
    table = prepare(sorted(docs, key=lambda d: d.id), config)
    n = len(table.passages)
    sets = [table.shingles(i) for i in range(n)]
    above = 0
    for i, j in itertools.combinations(range(n), 2):
        pi, pj = table.passages[i], table.passages[j]
        if pi.doc == pj.doc and pi.start < pj.end and pj.start < pi.end:
            continue
        jac, _ = similarity(sets[i], sets[j])
        if jac >= 0.8:
            above += 1
            assert (i, j) in found, f"missed pair {i},{j} with Jaccard {jac:.2f}"
        if (i, j) in found:
            assert jac >= config.verify.threshold
    assert above >= 8  # the corpus really has pairs clearly above the threshold
    assert any(m.jaccard < 0.8 for m in result.matches) or len(result.matches) >= above


@pytest.mark.slow  # worker processes
def test_jobs_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes (spawned) return exactly what one process computes."""
    from benchmarks.generate import Generator

    import importlib

    from neardup import render_json

    scan_module = importlib.import_module("neardup.scan")  # the module, not the function

    docs = [Document(d.id, d.text) for d, _ in Generator(seed=5, dup_rate=0.3).documents(count=240)]
    monkeypatch.setattr(scan_module, "CHUNK_CHARS", 20_000)  # many chunks,
    monkeypatch.setattr(importlib.import_module("neardup.workers"), "CHUNK_CHARS", 20_000)
    monkeypatch.setattr(importlib.import_module("neardup.analyse"), "CLUSTER_BATCH_CHARS", 2_000)  # many cluster batches,
    monkeypatch.setattr(importlib.import_module("neardup.analyse"), "KEYWORD_BATCH_CHARS", 5_000)  # keyword batches,
    monkeypatch.setattr(scan_module, "PARALLEL_MIN_CHARS", 0)  # and the pool is used
    one = scan(docs, jobs=1)
    two = scan(docs, jobs=2)
    assert one.clusters and len(one.clusters) > 20
    assert sum(1 for f in one.families if f.keywords) > 5  # keywords counted on the workers with jobs=2
    assert sum(1 for f in one.template_families if f.keywords) > 5  # both kinds of family
    assert render_json(one) == render_json(two)
    assert one.matches == two.matches and list(one.passages) == list(two.passages)


def test_a_scan_in_this_process_normalises_each_document_once(monkeypatch: pytest.MonkeyPatch, simplified_paragraphs) -> None:
    """The first pass (window counts) hands its normalised texts to the second, chunk by
    chunk, when both run in this process: normalising twice cost 3-5 % of a 5 MB scan.
    (``test_jobs_do_not_change_the_result`` checks the report is the workers'.)"""
    import importlib

    scan_module = importlib.import_module("neardup.scan")
    real = scan_module.normalize
    seen: list[str] = []
    monkeypatch.setattr(scan_module, "normalize", lambda text, config=None: seen.append(text) or real(text, config))
    for name in ("neardup.scan", "neardup.workers"):
        monkeypatch.setattr(importlib.import_module(name), "CHUNK_CHARS", 400)  # several chunks
    docs = [Document(f"d{i}", "\n".join(simplified_paragraphs[i : i + 3])) for i in range(8)]
    result = scan(docs, jobs=1)
    assert result.clusters
    assert sorted(seen) == sorted(d.text for d in docs)


@pytest.mark.slow  # worker processes, and a fresh interpreter
def test_the_analysis_workers_align_with_the_compiled_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    """No member is long enough to load the kernels itself, and aligning uses them only
    once loaded: a parallel scan's analysis batches ask the workers to load them."""
    import importlib
    import subprocess
    import sys

    from benchmarks.generate import Generator
    from neardup.shingle import compiled_kernels
    from neardup.workers import Workers

    if compiled_kernels() is None:
        pytest.skip("numba is not installed: the workers align in numpy")
    batches: list = []
    real_map = Workers.map

    def spy(self, calls, advance=None):  # type: ignore[no-untyped-def]
        calls = list(calls)
        batches.extend(args for _, fn, args in calls if fn.__name__ == "_analyse_chunk")
        return real_map(self, calls, advance)

    monkeypatch.setattr(Workers, "map", spy)
    monkeypatch.setattr(importlib.import_module("neardup.scan"), "PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr(importlib.import_module("neardup.scan"), "CHUNK_CHARS", 20_000)
    monkeypatch.setattr(importlib.import_module("neardup.workers"), "CHUNK_CHARS", 20_000)
    docs = [Document(d.id, d.text) for d, _ in Generator(seed=5, dup_rate=0.3).documents(count=60)]
    assert scan(docs, jobs=2).clusters
    assert batches and all(args[-1] is True for args in batches)
    probe = (
        "import sys; from neardup.analyse import _analyse_chunk; from neardup.config import AlignConfig; "
        "_analyse_chunk([], [], [], AlignConfig(), {}); print('neardup.kernels' in sys.modules)"
    )
    numba_only = {**os.environ, "NEARDUP_PREBUILT": "0"}  # the kernels numba loads (none prebuilt)
    loaded = [subprocess.run([sys.executable, "-c", probe.format(flag)], capture_output=True, text=True, check=True, env=numba_only).stdout.strip() for flag in ("True", "False")]
    assert loaded == ["True", "False"]


@pytest.fixture
def counted_on(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each time a scan counts its families' keywords on workers: whether in a process apart."""
    import importlib

    analyse_module = importlib.import_module("neardup.analyse")
    found: list[bool] = []
    real = analyse_module._keywords_on

    def spy(workers, *args):  # type: ignore[no-untyped-def]
        found.append(workers.apart)
        return real(workers, *args)

    monkeypatch.setattr(analyse_module, "_keywords_on", spy)
    return found


@pytest.mark.slow  # a helper process
def test_keyword_helper_counts_what_this_process_counts(monkeypatch: pytest.MonkeyPatch, counted_on: list[bool]) -> None:
    """A scan too small for workers counts its keywords in one helper process, started
    with the scan; the report is the one a single process makes."""
    from benchmarks.generate import Generator

    import importlib

    from neardup import render_json

    analyse_module = importlib.import_module("neardup.analyse")
    docs = [Document(d.id, d.text) for d, _ in Generator(seed=5, dup_rate=0.3).documents(count=120)]
    one = scan(docs, jobs=1)
    assert counted_on == []  # one process: keywords counted here
    scan(docs, jobs=2)
    assert counted_on == []  # below the helper's size
    monkeypatch.setattr(analyse_module, "KEYWORD_HELPER_MIN_CHARS", 0)
    two = scan(docs, jobs=2)
    assert counted_on == [True]  # on the helper
    assert sum(1 for f in one.families if f.keywords) > 5
    assert render_json(one) == render_json(two)


@pytest.mark.slow  # worker processes
def test_a_parallel_scan_without_keywords_starts_no_process_to_count_them(monkeypatch: pytest.MonkeyPatch, counted_on: list[bool]) -> None:
    """With no keywords wanted, a scan on workers asks no process to cut words for them
    (a fresh one cut every family's documents with jieba, then kept none)."""
    from dataclasses import replace

    from benchmarks.generate import Generator

    import importlib

    scan_module = importlib.import_module("neardup.scan")
    monkeypatch.setattr(scan_module, "PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr(scan_module, "CHUNK_CHARS", 20_000)
    monkeypatch.setattr(importlib.import_module("neardup.workers"), "CHUNK_CHARS", 20_000)
    docs = [Document(d.id, d.text) for d, _ in Generator(seed=5, dup_rate=0.3).documents(count=60)]
    config = ScanConfig()
    none = scan(docs, jobs=2, config=replace(config, families=replace(config.families, keywords=0)))
    assert none.families and counted_on == []
    assert all(f.keywords == () for f in none.families)
    some = scan(docs, jobs=2, config=config)
    assert counted_on == [True] and any(f.keywords for f in some.families)


@pytest.mark.parametrize("tokens", ["chars", "words"])
def test_prepare_matches_the_stages_one_by_one(simplified_paragraphs, tokens: str) -> None:
    """The chunked, vectorised prepare equals normalise -> split -> shingle per passage."""
    import numpy as np

    from neardup.passages import split_passages
    from neardup.shingle import shingle_hashes, token_starts

    config = ScanConfig.from_options(tokens=tokens)
    docs = [Document(f"d{i}", "\n".join(simplified_paragraphs[i : i + 3]) + "\n20xx年") for i in range(8)]
    docs.insert(0, Document("empty", "，。\n"))
    docs.insert(4, Document("short", "文明"))
    docs.append(Document("ligatures", "ﬁ" * 400))  # NFKC doubles it: more shingles than characters
    if tokens == "chars":
        assert len(prepare(docs[-1:], config).hashes) > len(docs[-1].text)  # the buffer grew
    table = prepare(docs, config)
    k = 0
    for n, doc in enumerate(docs):
        norm = normalize(doc.text)
        doc_hashes = shingle_hashes(norm.text, config.shingle)
        starts = token_starts(norm.text, config.shingle)
        for p in split_passages(n, doc.text, norm):
            assert table.passages[k] == p
            ns, ne = (p.norm_start, p.norm_end) if starts is None else np.searchsorted(starts, [p.norm_start, p.norm_end])
            lo = min(ns, len(doc_hashes) - 1)
            expected = doc_hashes[lo : max(lo + 1, ne - config.shingle.ngram + 1)]
            assert table.hashes[table.offsets[k] : table.offsets[k + 1]].tolist() == expected.tolist()
            k += 1
    assert k == len(table.passages)


@pytest.mark.slow  # the whole seed scan twice, without numba
def test_numpy_fallback_gives_the_same_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without numba (or with NEARDUP_NUMBA=0) every stage falls back to numpy, same bytes."""
    from benchmarks.generate import Generator

    from neardup import render_json, signature, verify

    docs = [Document(d.id, d.text) for d, _ in Generator(seed=9, dup_rate=0.3).documents(count=150)]
    monkeypatch.setattr(signature, "NUMBA_MIN_TOKENS", 0)  # kernels for every batch
    monkeypatch.setattr(verify, "NUMBA_MIN_PAIRS", 0)
    fast = render_json(scan(docs))
    monkeypatch.setattr(signature, "numba_kernels", lambda: None)
    monkeypatch.setattr(verify, "numba_kernels", lambda: None)
    monkeypatch.setenv("NEARDUP_NUMBA", "0")  # boilerplate lookups, Louvain moves, shingle hashing too
    assert render_json(scan(docs)) == fast


def test_detail_clusters_skips_spans_and_templates_but_keeps_boilerplate(simplified_paragraphs) -> None:
    """The full analysis is the default at every size; ``--detail clusters`` is an opt-out."""
    docs = [Document("a", "\n".join(simplified_paragraphs[:3])), Document("b", "\n".join(simplified_paragraphs[:3]))]
    full = scan(docs)
    assert full.clusters and full.alignments and full.templates and not full.warnings
    quick = scan(docs, config=ScanConfig(detail="clusters"))
    assert quick.clusters == full.clusters and quick.boilerplate == full.boilerplate
    assert not quick.alignments and not quick.templates


FORMULA = "同志们，让我们更加紧密地团结在以习近平同志为核心的党中央周围，凝心聚力、真抓实干，为全面建设社会主义现代化国家而努力奋斗！"
SOURCE_LINE = "（来源：某某范文网　发布时间：2023-05-01　本文来源于网络，仅供学习交流，如有侵权请联系删除。）"
FOOTER = "Copyright © 2015-2024 某某范文网 版权所有　ICP备案号：京ICP备12345678号"


def test_formula_and_chrome_on_many_documents_make_no_cluster(simplified_paragraphs) -> None:
    """Issue 12: 22 speeches end with one formula and carry one site's chrome; two share a paragraph."""
    from benchmarks.generate import Generator

    gen = Generator(seed=12, dup_rate=0.0)
    copied = simplified_paragraphs[5]
    docs = []
    for i in range(22):
        speech = gen.original(f"s{i:02d}")
        body = list(speech.paragraphs)
        if i in (3, 17):
            body.insert(len(body) // 2, copied)
        text = "\n".join(["首页 > 新闻中心 > 领导讲话", speech.title, SOURCE_LINE, *body, FORMULA, FOOTER])
        docs.append(Document(f"s{i:02d}.txt", text))
    result = scan(docs)
    assert [sorted(c.doc_ids) for c in result.clusters] == [["s03.txt", "s17.txt"]]
    assert len(result.clusters[0].members) == 2
    assert copied[20:60] in result.clusters[0].members[0].text
    kinds = {(bp.doc_id, bp.kind) for bp in result.boilerplate}
    formula_docs = {bp.doc_id for bp in result.boilerplate if "团结在以习近平同志为核心的党中央周围" in bp.text}
    source_docs = {bp.doc_id for bp in result.boilerplate if "仅供学习交流" in bp.text}
    assert len(formula_docs) >= 20 and len(source_docs) == 22
    assert ("s00.txt", "corpus") in kinds and ("s00.txt", "page") in kinds
    # Opting in links them again: the formula and chrome then make clusters of their own.
    linked = scan(docs, config=ScanConfig.from_options(link_boilerplate=True))
    assert any(len(c.doc_ids) > 2 for c in linked.clusters)


def test_progress_moves_inside_every_stage(simplified_paragraphs, monkeypatch) -> None:
    """Each stage's bar advances with the work done, not 0/1 then 1/1."""
    import sys

    from neardup import verify

    monkeypatch.setattr(sys.modules["neardup.workers"], "CHUNK_DOCS", 2)
    monkeypatch.setattr(sys.modules["neardup.analyse"], "CLUSTER_BATCH_CHARS", 100)
    monkeypatch.setattr(verify, "NUMBA_MIN_PAIRS", 0)
    monkeypatch.setattr(verify, "PROGRESS_PAIRS", 3)
    p = simplified_paragraphs
    docs = [Document(f"d{i}", "\n".join([p[i % 6], p[(i + 1) % 6], p[10 + i]])) for i in range(8)]
    calls: dict[str, list[tuple[int, int]]] = {}
    scan(docs, progress=lambda stage, done, total: calls.setdefault(stage, []).append((done, total)))
    for stage in ("boilerplate", "prepare", "candidates", "verify", "align"):
        assert any(0 < done < total for done, total in calls[stage]), (stage, calls[stage])
        dones = [d for d, t in calls[stage] if t == calls[stage][-1][1]]
        assert dones == sorted(dones) and calls[stage][-1][0] == calls[stage][-1][1]


def test_word_tokens_find_a_verbatim_english_copy() -> None:
    """--tokens words on English: words keep their boundaries through normalisation."""
    from pathlib import Path

    en = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "en-public-domain"
    a = (en / "austen-pride-and-prejudice.txt").read_text(encoding="utf-8")[20000:23000]
    m = (en / "melville-moby-dick.txt").read_text(encoding="utf-8")[50000:53000]
    copied = a[1200:1800]
    b = m[:1500] + "\n" + copied + "\n" + m[1500:]
    result = scan([Document("a", a), Document("b", b)], config=ScanConfig.from_options(tokens="words"))
    # One cluster, though the copy's first passage overlaps two of the source's.
    assert [c.doc_ids for c in result.clusters] == [("a", "b")]
    members = {mem.doc_id: mem for mem in result.clusters[0].members}
    assert abs(members["a"].start - 1200) <= 80 and abs(members["a"].end - 1800) <= 80
    assert abs(members["b"].start - 1501) <= 80 and abs(members["b"].end - 2101) <= 80
    [alignment] = result.alignments  # one reused span: the copy, whole
    [span] = alignment.spans
    assert abs(span.a_start - 1200) <= 80 and abs(span.a_end - 1800) <= 80 and abs(span.b_start - 1501) <= 80


def test_word_tokens_find_a_hard_wrapped_paragraph_copied_as_one_line() -> None:
    """A paragraph of a hard-wrapped book pasted as one line into another text. Counted
    with its word spaces, each wrapped line (about 55 letters) was a passage of its own,
    too short for a copy of it to reach the aligner's 60 matched characters: the copy came
    out as three small clusters covering a third of it. Passage lengths now count
    letters, as in character mode."""
    from pathlib import Path

    en = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "en-public-domain"
    a = (en / "melville-moby-dick.txt").read_text(encoding="utf-8")[60000:63000]
    host = (en / "austen-pride-and-prejudice.txt").read_text(encoding="utf-8")[30000:33000]
    start = a.index("I now took the measure")
    end = a.index("\n\n", start)
    copied = " ".join(a[start:end].split())
    cut = host.index(". ", 1400) + 2
    b = host[:cut] + copied + " " + host[cut:]
    result = scan([Document("a", a), Document("b", b)], config=ScanConfig.from_options(tokens="words"))
    assert [c.doc_ids for c in result.clusters] == [("a", "b")]
    member = next(m for m in result.clusters[0].members if m.doc_id == "a")
    assert min(member.end, end) - max(member.start, start) >= 0.8 * (end - start)


def test_members_copying_different_paragraphs_of_one_text_are_different_clusters() -> None:
    """One document holds paragraphs X and F together; another copies X only, a third F
    only. Both copies match the passage holding X and F, but they share no text: the
    full scan reports X's copy and F's copy in two clusters, each with the part of the
    first document it copies (issue 12: every two members of a cluster share text)."""
    x = (
        "全市上下要深入贯彻落实党的二十大精神，坚持以人民为中心的发展思想，扎实推进共同富裕，"
        "着力解决群众急难愁盼问题，不断增强人民群众的获得感幸福感安全感。"
    )
    f = (
        "各级党委政府要强化责任担当，严格落实安全生产责任制，深入开展隐患排查整治，"
        "坚决遏制重特大事故发生，切实保障人民群众生命财产安全和社会大局稳定。"
    )
    docs = [
        Document("both", x + f),
        Document("x", "今天召开全县农业工作会议。" + x),
        Document("f", f + "散会以后请各单位抓好落实。"),
    ]
    result = scan(docs)
    groups = sorted(tuple(sorted(m.doc_id for m in c.members)) for c in result.clusters)
    assert groups == [("both", "f"), ("both", "x")]
    for c in result.clusters:
        other = next(m for m in c.members if m.doc_id != "both")
        part = next(m for m in c.members if m.doc_id == "both")
        copied = x if other.doc_id == "x" else f
        assert copied[:-1] in part.text and copied[:-1] in other.text
        assert (f if other.doc_id == "x" else x)[:20] not in part.text  # the representative cut to the part copied
    assert [c.id for c in result.clusters] == [1, 2] and [t.cluster for t in result.templates] == [1, 2]


_KERNELS_ASIDE = """
import threading
from benchmarks.generate import Generator
from neardup import Document, scan
from neardup import kernels  # imported, nothing compiled yet

docs = [Document(d.id, d.text) for d, _ in Generator(seed=4, dup_rate=0.3).documents(count=400)]
assert sum(len(d.text) for d in docs) >= 200_000  # shingle.NUMBA_MIN_CHARS: the scan uses the kernels
scan(docs, jobs=1)
assert not [t for t in threading.enumerate() if t.name == "neardup-kernels"]  # joined before the scan returns
print(bool(kernels.csr_rows.signatures))  # used only for graphs of 65,536 edges and more
"""


@pytest.mark.slow  # a fresh interpreter loads the kernels
def test_a_scan_loads_its_kernels_aside_while_it_reads() -> None:
    """A scan that will call the compiled kernels loads them all in a thread as it starts
    (0.2-0.3 s at 5 MB, overlapped with the first stage): even one it does not call at
    this size is loaded afterwards."""
    import subprocess
    import sys

    pytest.importorskip("numba")
    numba_only = {**os.environ, "NEARDUP_PREBUILT": "0"}  # prebuilt kernels need no loading
    out = subprocess.run([sys.executable, "-c", _KERNELS_ASIDE], capture_output=True, text=True, check=True, env=numba_only)
    assert out.stdout.strip() == "True"
