"""Tests for the quality benchmark: metrics on hand-computed examples, generators'
ground truth, the Tang pairing rules on a tiny hand-made fixture, baselines, adapter."""

from __future__ import annotations

import io
import json
import lzma
import math
import tarfile
from pathlib import Path
from types import SimpleNamespace

import pytest

# benchmarks/ is a top-level package of the repository (on sys.path through pytest's
# ``pythonpath`` setting in pyproject.toml), not of the installed wheel.
from tests.conftest import need
from benchmarks.quality import baselines, generate, metrics, ours, run, tang
from benchmarks.quality.common import Case, Detection, Doc, char_ngrams, find_archive, jaccard, pair_key

# --- pair metrics ---------------------------------------------------------------------


def _case(a: str, b: str, dup: bool, spans: tuple = ()) -> Case:
    return Case("t", Doc(a, "x" * 200), Doc(b, "y" * 200), spans, dup)


def test_pair_scores_counts_only_labelled_pairs() -> None:
    cases = [_case("a", "b", True), _case("e", "f", True), _case("c", "d", False), _case("g", "h", False)]
    predicted = {("b", "a"), ("c", "d"), ("x", "y")}  # one TP (reversed), one FP, one unlabelled
    s = metrics.pair_scores(predicted, cases)
    assert (s.tp, s.fp, s.fn, s.tn, s.unlabeled) == (1, 1, 1, 1, 1)
    assert s.precision == 0.5 and s.recall == 0.5 and s.f1 == 0.5
    assert s.false_positive_rate == 0.5


def test_pair_scores_empty_prediction() -> None:
    s = metrics.pair_scores(set(), [_case("a", "b", True)])
    assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)


# --- PAN span metrics (answers computed by hand) --------------------------------------

CASE = Detection("s", 0, 100, "t", 0, 100)


def test_case_recall_half_and_union() -> None:
    assert metrics.case_recall(CASE, [Detection("s", 0, 50, "t", 0, 50)]) == 0.5
    assert metrics.case_recall(CASE, [Detection("s", 50, 150, "t", 50, 150)]) == 0.5
    # [0,50) and [25,75) cover 75 of 100 chars on each side: union, not sum
    two = [Detection("s", 0, 50, "t", 0, 50), Detection("s", 25, 75, "t", 25, 75)]
    assert metrics.case_recall(CASE, two) == 0.75


def test_detection_must_overlap_on_both_sides_and_same_pair() -> None:
    assert metrics.case_recall(CASE, [Detection("s", 0, 100, "t", 100, 200)]) == 0.0
    assert metrics.case_recall(CASE, [Detection("s", 0, 100, "u", 0, 100)]) == 0.0
    assert not metrics.detects(CASE, Detection("s", 100, 200, "t", 0, 100))  # touching is not overlapping


def test_precision_recall_granularity_plagdet() -> None:
    # D1 misses entirely (0), D2 covers the case plus as much again (200 of 400 chars)
    dets = [Detection("s", 100, 200, "t", 100, 200), Detection("s", 0, 200, "t", 0, 200)]
    s = metrics.span_scores([CASE], dets)
    assert s.precision == pytest.approx(0.25)
    assert s.recall == 1.0
    assert s.granularity == 1.0
    assert s.plagdet == pytest.approx(0.4)  # F1(0.25, 1) / log2(2)


def test_split_detection_costs_granularity() -> None:
    halves = [Detection("s", 0, 50, "t", 0, 50), Detection("s", 50, 100, "t", 50, 100)]
    s = metrics.span_scores([CASE], halves)
    assert (s.precision, s.recall, s.granularity) == (1.0, 1.0, 2.0)
    assert s.plagdet == pytest.approx(1 / math.log2(3))


def test_macro_recall_averages_over_cases() -> None:
    other = Detection("u", 0, 100, "v", 0, 100)
    assert metrics.macro_recall([CASE, other], [CASE]) == 0.5
    assert metrics.macro_precision([CASE, other], [CASE]) == 1.0


def test_span_edge_conventions() -> None:
    assert metrics.macro_recall([], []) == 1.0
    assert metrics.macro_recall([CASE], []) == 0.0
    assert metrics.macro_precision([], [CASE]) == 0.0
    assert metrics.granularity([CASE], []) == 1.0
    assert metrics.plagdet_score(0.0, 0.0, 1.0) == 0.0
    assert metrics.plagdet_score(1.0, 0.5, 1.0) == pytest.approx(2 / 3)


def test_covered_length_merges_and_clips() -> None:
    assert metrics.covered_length((10, 20), [(0, 12), (11, 15), (18, 30)]) == 7  # [10,15) + [18,20)
    assert metrics.covered_length((0, 10), []) == 0


def test_orient_flips_reversed_detections() -> None:
    c = Case("t", Doc("a", "x" * 10), Doc("b", "y" * 20), ((0, 10, 5, 15),), True)
    d = Detection("b", 5, 15, "a", 0, 10)
    (fixed,) = metrics.orient([d], [c])
    assert fixed == Detection("a", 0, 10, "b", 5, 15)
    assert metrics.span_scores(metrics.case_annotations([c]), [fixed]).plagdet == 1.0


# --- generated reuse ------------------------------------------------------------------


@pytest.fixture(scope="module")
def material() -> generate.Material:
    return generate.load_material()


@pytest.fixture(scope="module")
def cases(material: generate.Material) -> list[Case]:
    return generate.generate(material, seed=3, per_kind=4)


def test_generate_is_deterministic(material: generate.Material, cases: list[Case]) -> None:
    again = generate.generate(material, seed=3, per_kind=4)
    assert [c.to_dict() for c in again] == [c.to_dict() for c in cases]
    other = generate.generate(material, seed=4, per_kind=4)
    assert [c.a.text for c in other] != [c.a.text for c in cases]


def test_generated_cases_cover_every_kind_and_label(cases: list[Case]) -> None:
    assert {c.kind for c in cases} == set(generate.ALL_KINDS)
    for c in cases:
        assert c.duplicate == (c.kind in generate.DUPLICATE_KINDS)
        assert bool(c.spans) == c.duplicate
        for a0, a1, b0, b1 in c.spans:
            assert 0 <= a0 < a1 <= len(c.a.text) and 0 <= b0 < b1 <= len(c.b.text)


def test_exact_copy_spans_slice_equal_text(cases: list[Case]) -> None:
    for c in cases:
        if c.kind in ("verbatim", "embedded", "reordered"):
            for a0, a1, b0, b1 in c.spans:
                assert c.a.text[a0:a1] == c.b.text[b0:b1]


def test_embedded_copy_is_a_strict_part_of_both(cases: list[Case]) -> None:
    for c in (c for c in cases if c.kind == "embedded"):
        ((a0, a1, b0, b1),) = c.spans
        assert a1 - a0 < len(c.a.text) and b1 - b0 < len(c.b.text)


def test_negatives_share_no_body_text(cases: list[Case]) -> None:
    for c in (c for c in cases if c.kind == "neg-topic"):
        assert generate.audit(c.a.text, c.b.text, (), ())


def test_chrome_and_phrase_negatives_share_the_boilerplate(cases: list[Case]) -> None:
    for c in (c for c in cases if c.kind == "neg-phrase"):
        assert generate.STOCK_PHRASE in c.a.text and generate.STOCK_PHRASE in c.b.text
    for c in (c for c in cases if c.kind == "neg-chrome"):
        assert c.a.text.splitlines()[0] == c.b.text.splitlines()[0]


def test_blank_names() -> None:
    assert generate.blank_names("鄂州市2018年12月5日召开会议") == "xx市20xx年x月x日召开会议"
    assert generate.blank_names("融入鄂州各项事业") == "融入xx市各项事业"
    assert generate.blank_names("胶州县有123456人") == "xx县有123456人"


def test_ruby_is_strippable_and_looks_like_seed_004() -> None:
    import random

    text = "法治政府建設示范創建講話"
    ruby = generate.add_ruby(text, random.Random(0), rate=1.0)
    assert "創(chuàng )" in ruby and "話(huà)" in ruby
    assert generate.strip_ruby(ruby) == text


def test_audit_rejects_unlabelled_sharing() -> None:
    shared = "全面推进依法治国的总目标是建设中国特色社会主义法治体系"
    a = "甲" * 20 + shared
    b = shared + "乙" * 20
    assert not generate.audit(a, b, (), ())
    assert generate.audit(a, b, ((20, len(a)),), ((0, len(shared)),))


def test_clean_paragraphs_drops_chrome_spam_and_mojibake() -> None:
    page = "\n".join([
        "当前位置: 柠檬阅读网 > 签名 > 正文",
        "人妻少妇看A偷人无码精品,国产性爱一级片,成人欧美一区二区三区黑人,男女高潮",
        "加快推进楠溪江保护立法工作?!稖刂菔虚管理条例》先后被列入计划。我们要认真落实。",
        "今天的会议就是认真学习习近平法治思想和中央全面依法治国工作会议精神,总结成绩。",
    ])
    assert generate.clean_paragraphs(page) == [page.splitlines()[3]]


# --- Tang pairing on a hand-made fixture ---------------------------------------------
# The records below are invented in the archive's shape, not excerpts of it.

PT = [
    {"author": "甲", "title": "遊園二首 一", "paragraphs": ["山高雲自在，水闊鳥無蹤。"], "id": "1"},
    {"author": "甲", "title": "遊園二首 二", "paragraphs": ["風起千林動，花飛萬點紅。"], "id": "2"},
    {"author": "甲", "title": "句", "paragraphs": ["一句詩在此，"], "id": "3"},
    {"author": "甲", "title": "句", "paragraphs": ["又一句詩在此。"], "id": "4"},
    {"author": "甲", "title": "春日", "paragraphs": ["春日遲遲草木生，花開滿樹鳥爭鳴。"], "id": "5"},
    {"author": "乙", "title": "秋夜", "paragraphs": ["秋夜長長月色明，寒蟲切切夢難成。"], "id": "6"},
    {"author": "乙", "title": "別題", "paragraphs": ["秋夜長長月色明，寒蟲切切夢難成。"], "id": "7"},
]
YD = [
    {"title": "遊園二首", "author": "甲", "paragraphs": ["山高雲自在，水闊鳥無蹤。風起千林動，花飛萬點紅。"]},
    {"title": "句", "author": "甲", "paragraphs": ["一句詩在此。"]},
    {"title": "春日", "author": "甲", "paragraphs": ["春日遲遲草木生，花開滿樹鳥争鳴。"]},
    {"title": "秋夜", "author": "乙", "paragraphs": ["秋夜長長月色明，寒蟲切切夢難成。"]},
    {"title": "別題", "author": "乙", "paragraphs": ["秋夜長長月色明，寒蟲切切夢難成。"]},
]
SHUIMO = [{"author": "甲", "title": "春日", "paragraphs": ["春日迟迟草木生，花开满树鸟争鸣。"], "prologue": ""}]


def _fixture_archive(path: Path, files: dict[str, list[dict]] | None = None) -> Path:
    """A tar.xz with the real archive's layout and a handful of hand-written records."""
    files = files or {
        "全唐诗/poet.tang.0.json": PT,
        "御定全唐詩/json/001.json": YD[:3],
        "御定全唐詩/json/002.json": YD[3:],
        "水墨唐诗/shuimotangshi.json": SHUIMO,
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, records in files.items():
            data = json.dumps(records, ensure_ascii=False).encode("utf-8")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(lzma.compress(raw.getvalue()))
    return path


@pytest.fixture()
def editions(tmp_path: Path) -> tang.Editions:
    archive = _fixture_archive(tmp_path / "tiny.tar.xz")
    return tang.load_editions(archive, tmp_path / "cache")


def test_base_title() -> None:
    assert tang.base_title("帝京篇十首 一") == "帝京篇十首"
    assert tang.base_title("帝京篇十首 十二") == "帝京篇十首"
    assert tang.base_title("十一月") == "十一月"


def test_unpack_is_idempotent(tmp_path: Path) -> None:
    archive = _fixture_archive(tmp_path / "tiny.tar.xz")
    root = tang.unpack(archive, tmp_path / "cache")
    marker = (root / ".unpacked").stat().st_mtime_ns
    assert tang.unpack(archive, tmp_path / "cache") == root
    assert (root / ".unpacked").stat().st_mtime_ns == marker
    assert not list((tmp_path / "cache").glob(".unpack-*"))


def test_match_editions_rules(editions: tang.Editions) -> None:
    works = {w.title: w for w in tang.match_editions(editions.poet_tang, editions.yuding)}
    # parts joined under the base title; generic 句 (twice in poet.tang) dropped;
    # 秋夜 and 別題 are both unique titles, so both pair
    assert set(works) == {"遊園二首", "春日", "秋夜", "別題"}
    assert works["遊園二首"].pt_text == "遊園二首山高雲自在，水闊鳥無蹤。風起千林動，花飛萬點紅。"
    assert works["遊園二首"].yd.text == works["遊園二首"].pt_text


def test_tang_pairs_and_line_sharing_negatives(editions: tang.Editions) -> None:
    works = tang.match_editions(editions.poet_tang, editions.yuding)
    cases = tang.tang_pair_cases(works, seed=0)
    assert cases == tang.tang_pair_cases(works, seed=0)
    positives = [c for c in cases if c.duplicate]
    negatives = [c for c in cases if not c.duplicate]
    assert len(positives) == 4
    for c in negatives:
        assert c.a.id.split(":")[1] == c.b.id.split(":")[1]  # same author
    # 秋夜/別題 are one poem under two titles: never a negative
    assert all({c.meta["title"], c.meta["other_title"]} != {"秋夜", "別題"} for c in negatives)
    assert {(c.meta["title"], c.meta["other_title"]) for c in negatives} <= {("遊園二首", "春日"), ("春日", "遊園二首")}


def test_script_pairs_match_simplified_to_traditional(editions: tang.Editions) -> None:
    cases = tang.script_pair_cases(editions, seed=0)
    (pos,) = [c for c in cases if c.duplicate]
    assert pos.a.text == "春日春日迟迟草木生，花开满树鸟争鸣。"
    assert pos.b.text.startswith("春日春日遲遲")


# Script pairing rules: invented records for 丙, each shaped like one kind of label error
# the real 水墨 data has (a short title also naming another poem, a 樂府 section prefix,
# one poem of a group that one edition prints as a single record under a variant title).
_SPRING = "國破山河在，城春草木深。感時花濺淚，恨別鳥驚心。"
_PALACE = ["玉樓天半起笙歌，風送宮嬪笑語和。", "禁柳煙中聞曉烏，風吹玉漏盡銅壺。"]
_GOOSE = ["湘浦離應晚，邊城去已孤。", "幾行歸去盡，片影獨何之。"]
SCRIPT_PT = [
    {"author": "丙", "title": "春望", "paragraphs": [_SPRING]},
    {"author": "丙", "title": "宮詞", "paragraphs": ["長樂宮連上苑春，玉樓金殿豔歌新。"]},
    {"author": "丙", "title": "宮詞二首 一", "paragraphs": [_PALACE[0]]},
    {"author": "丙", "title": "宮詞二首 二", "paragraphs": [_PALACE[1]]},
    {"author": "丙", "title": "江南曲", "paragraphs": ["長樂花枝雨點銷，江城日暮好相邀。"]},
    {"author": "丙", "title": "相和歌辭 江南曲", "paragraphs": ["嫁得瞿塘賈，朝朝誤妾期。"]},
    {"author": "丙", "title": "孤鴈 一", "paragraphs": [_GOOSE[0]]},
    {"author": "丙", "title": "孤鴈 二", "paragraphs": [_GOOSE[1]]},
    {"author": "丙", "title": "句", "paragraphs": ["一句詩在此。"]},
    {"author": "丙", "title": "句", "paragraphs": ["又一句詩在此。"]},
]
SCRIPT_YD = [
    {"title": "春望", "author": "丙", "paragraphs": [_SPRING]},
    {"title": "春望又題", "author": "丙", "paragraphs": ["國破山河在，城春草木深。"]},  # same poem, other title
    {"title": "宮詞", "author": "丙", "paragraphs": ["長樂宮連上苑春，玉樓金殿豔歌新。"]},
    {"title": "宮詞二首", "author": "丙", "paragraphs": _PALACE},
    {"title": "江南曲", "author": "丙", "paragraphs": ["長樂花枝雨點銷，江城日暮好相邀。"]},
    {"title": "相和歌辭：江南曲", "author": "丙", "paragraphs": ["嫁得瞿塘賈，朝朝誤妾期。"]},
    {"title": "孤雁", "author": "丙", "paragraphs": _GOOSE},
    {"title": "句", "author": "丙", "paragraphs": ["一句詩在此。"]},
]
SCRIPT_SM = [
    {"author": "丙", "title": "春望", "paragraphs": ["国破山河在，城春草木深。感时花溅泪，恨别鸟惊心。"]},
    {"author": "丙", "title": "宫词", "paragraphs": ["玉楼天半起笙歌，风送宫嫔笑语和。"]},
    {"author": "丙", "title": "江南曲", "paragraphs": ["嫁得瞿塘贾，朝朝误妾期。"]},
    {"author": "丙", "title": "孤雁", "paragraphs": ["几行归去尽，片影独何之。"]},
    {"author": "丙", "title": "句", "paragraphs": ["一句诗在此。"]},
]


@pytest.fixture()
def script_editions(tmp_path: Path) -> tang.Editions:
    files = {"全唐诗/poet.tang.0.json": SCRIPT_PT, "御定全唐詩/json/001.json": SCRIPT_YD,
             "水墨唐诗/shuimotangshi.json": SCRIPT_SM}
    return tang.load_editions(_fixture_archive(tmp_path / "script.tar.xz", files), tmp_path / "cache")


def test_core_title() -> None:
    assert tang.core_title("宫词五首") == "宫词"
    assert tang.core_title("相和歌辞：江南曲") == tang.core_title("相和歌辞 江南曲") == "江南曲"
    assert tang.core_title("池上二绝") == "池上" and tang.core_title("江畔独步寻花七绝句") == "江畔独步寻花"
    assert tang.core_title("古筑城曲（二首）") == "古筑城曲"
    assert tang.core_title("三绝句") == "三绝句"  # nothing but a count: its own name
    assert tang.core_title("奉和圣制二十韵") == "奉和圣制二十韵"  # counts rhymes of one poem
    assert tang.is_group_title("古筑城曲（二首）") and not tang.is_group_title("孤雁")


def test_script_pairs_only_unambiguous_whole_poems(script_editions: tang.Editions) -> None:
    cases = tang.script_pair_cases(script_editions, seed=0)
    # 宫词 and 江南曲 also name a group / a 樂府-filed poem of 丙; 孤雁 is one poem of the
    # two that 御定 prints as one record (poet.tang: 孤鴈 一/二); 句 is twice in poet.tang
    assert [c.meta["title"] for c in cases if c.duplicate] == ["春望"]


def test_script_negatives_share_no_line(script_editions: tang.Editions) -> None:
    for seed in range(20):
        for case in tang.script_pair_cases(script_editions, seed=seed):
            if not case.duplicate:
                assert case.meta["other_title"] != "春望又題", seed  # the same poem retitled


def test_volume_offsets_are_exact(editions: tang.Editions) -> None:
    works = tang.match_editions(editions.poet_tang, editions.yuding)
    groups = tang.passage_groups(works, editions.yuding, seed=0, volumes=5)
    assert {g[0].b.id for g in groups} == {"vol:001", "vol:002"}
    for case in (c for g in groups for c in g if c.duplicate):
        ((a0, a1, b0, b1),) = case.spans
        assert (a0, a1) == (0, len(case.a.text))
        assert case.b.text[b0:b1].startswith(case.meta["title"])


def test_jaccard_profile() -> None:
    cases = [_case("a", "b", True), _case("c", "d", False)]
    cases[0] = Case("t", Doc("a", "一二三四五六"), Doc("b", "一二三四五六"), (), True)
    profile = tang.jaccard_profile(cases)
    assert profile["positive"]["median"] == 1.0 and profile["negative"]["median"] == 0.0


@pytest.mark.slow  # a benchmark run
def test_real_tang_pair_counts(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Pins the pairing on the real data (figures quoted in benchmarks/quality/README.md)."""
    need(find_archive() is not None, "Tang archive not found (../shared/data beside the repository)")
    editions = tang.load_editions()
    works = tang.match_editions(editions.poet_tang, editions.yuding)
    assert len(works) == 29505
    sample = tang.tang_pair_cases(works, seed=0, limit=50)
    assert sum(c.duplicate for c in sample) == 50


# --- baselines and adapter ------------------------------------------------------------


def test_char_ngrams_and_jaccard() -> None:
    assert char_ngrams("一二三", 5) == {"一二三"}
    assert jaccard(char_ngrams("一二三四五六"), char_ngrams("一二三四五七")) == pytest.approx(1 / 3)


def test_word_ngrams_follow_text_dedup() -> None:
    assert baselines.word_ngrams("a,b,c,d", n=2, min_length=5) == set()
    assert baselines.word_ngrams("a b c d e", n=6, min_length=5) == {"a b c d e"}
    assert baselines.word_ngrams("床前明月光，疑是地上霜。举头望明月，低头思故乡。", n=2, min_length=2) == {
        "床前明月光 疑是地上霜", "疑是地上霜 举头望明月", "举头望明月 低头思故乡"}


def test_baselines_find_copies_and_ignore_strangers() -> None:
    text = "同志们,今天的会议主要任务是深入学习贯彻习近平法治思想,认真落实中央及省市县委关于法治建设的部署。" * 2
    other = "春日迟迟草木生，花开满树鸟争鸣。秋夜长长月色明，寒虫切切梦难成。山高水长，风清月白。"
    docs = [Doc("a", text), Doc("b", text), Doc("c", other)]
    for name, fn in baselines.BASELINES.items():
        result = fn(docs)
        assert result.predicted == {("a", "b")}, name
        assert result.predicted <= result.candidates
        assert fn([(d.id, d.text) for d in docs]).predicted == {("a", "b")}  # plain tuples work too


def test_neardup_adapter_from_clusters() -> None:
    m = lambda doc, s, e: SimpleNamespace(doc_id=doc, start=s, end=e)  # noqa: E731
    clusters = [
        SimpleNamespace(members=(m("x", 0, 10), m("y", 5, 15), m("x", 20, 30))),
        SimpleNamespace(members=(m("z", 0, 4), m("y", 0, 4))),
    ]
    assert ours.pairs_from_clusters(clusters) == {("x", "y"), ("y", "z")}
    dets = ours.detections_from_clusters(clusters)
    assert Detection("x", 0, 10, "y", 5, 15) in dets and Detection("y", 5, 15, "x", 20, 30) in dets
    assert len(dets) == 3  # the x-x member pair is not a cross-document detection
    assert pair_key("b", "a") == ("a", "b")


def test_clusters_of_labelled_boilerplate_are_not_copy_claims() -> None:
    m = lambda doc, s, e: SimpleNamespace(doc_id=doc, start=s, end=e)  # noqa: E731
    b = lambda doc, s, e: SimpleNamespace(doc_id=doc, start=s, end=e, kind="page")  # noqa: E731
    footer = SimpleNamespace(members=(m("x", 300, 380), m("y", 410, 490)))
    copied = SimpleNamespace(members=(m("x", 0, 100), m("y", 20, 120)))
    half = SimpleNamespace(members=(m("x", 290, 380), m("y", 410, 490)))  # x's member starts before the label
    result = SimpleNamespace(clusters=[footer, copied, half], boilerplate=[b("x", 295, 400), b("y", 400, 500)])
    assert ours.claimed_clusters(result) == [copied, half]
    assert ours.claimed_clusters(SimpleNamespace(clusters=[footer], boilerplate=[])) == [footer]


def test_run_end_to_end_on_fixture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = _fixture_archive(tmp_path / "tiny.tar.xz")
    out = tmp_path / "q.json"
    argv = ["--archive", str(archive), "--cache", str(tmp_path / "cache"), "--out", str(out),
            "--limit", "0", "--per-kind", "1", "--methods", "minhash-char5,simhash"]
    assert run.main(argv) == 0
    table = capsys.readouterr().out
    assert "| tang-editions | minhash-char5 |" in table and "| generated | simhash |" in table
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["datasets"]["tang-editions"]["matched_works"] == 4
    assert set(report["results"]) == {"tang-editions", "tang-script", "tang-passages", "generated"}


# --- sweep -----------------------------------------------------------------------------


def test_sweep_values_and_grid() -> None:
    from benchmarks.quality import sweep

    assert sweep.parse_values("0.2:0.4:0.1", float) == [0.2, 0.3, 0.4]
    assert sweep.parse_values("3,5", int) == [3, 5]
    args = sweep.parse_args(["--ngram", "3,4", "--threshold", "0.3,0.5", "--lsh", "optimum,oracle"])
    grid = sweep.settings(args)
    assert len(grid) == 8 and {g["min_chars"] for g in grid} == {sweep.defaults()["min_chars"]}


def test_sweep_oracle_lsh_is_temporary() -> None:
    import neardup.candidates as candidates
    from benchmarks.quality import sweep

    before = candidates.band_params
    with sweep.lsh_mode("oracle"):
        assert candidates.band_params(0.5, 128) == (128, 1)
    assert candidates.band_params is before and candidates.band_params(0.5, 128) == (25, 5)


def test_sweep_oracle_lsh_reaches_the_scan() -> None:
    """Two passages sharing 9 of 145 distinct 4-grams (Jaccard 0.06): almost surely one
    MinHash value of 128 in common (oracle: a candidate), almost never a whole 37x3 band."""
    from neardup import Document, ScanConfig, scan

    from benchmarks.quality import sweep

    a = "".join(chr(0x4E00 + i) for i in range(80))
    b = a[:12] + "".join(chr(0x5E00 + i) for i in range(68))
    docs = [Document(id="a", text=a), Document(id="b", text=b)]
    config = ScanConfig(detail="clusters")
    assert scan(docs, config=config).stats.candidates == 0
    with sweep.lsh_mode("oracle"):
        assert scan(docs, config=config).stats.candidates == 1


@pytest.mark.slow  # a benchmark run
def test_sweep_end_to_end_on_fixture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.quality import sweep

    archive = _fixture_archive(tmp_path / "tiny.tar.xz")
    out = tmp_path / "s.json"
    argv = ["--archive", str(archive), "--cache", str(tmp_path / "cache"), "--out", str(out), "--limit", "0",
            "--per-kind", "1", "--ngram", "4,5", "--threshold", "0.3", "--fold-variants", "1,0"]
    assert sweep.main(argv) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("| ngram | threshold |") and len(table) == 2 + 4
    assert "| 4 | 0.30 | 128 | 37×3 | 60 | 400 | on |" in table[2]
    rows = json.loads(out.read_text(encoding="utf-8"))["rows"]
    assert all(r["seeds_ok"] for r in rows)  # the seed pages give exactly the two known copies
    low, high = rows[0]["seed_gap"]
    assert low < 0.3 <= 0.7 <= high  # nothing in the seed pages falls between 0.3 and 0.7
