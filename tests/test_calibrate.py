from __future__ import annotations

import json
import random
import struct
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from neardup import Document, ScanConfig, scan
from neardup.calibrate import LabelledPair, calibrate, parse_pairs, plot_png
from neardup.cli import cli
from neardup.errors import InputError

TANG = Path(__file__).parent / "fixtures" / "tang_pairs.jsonl"
FILLER = "的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _edited(text: str, rate: float, rng: random.Random) -> str:
    return "".join(rng.choice(FILLER) if rng.random() < rate else c for c in text)


@pytest.fixture(scope="module")
def planted(simplified_paragraphs: list[str]) -> list[LabelledPair]:
    """Real seed paragraphs: lightly edited copies are duplicates; a paragraph whose first
    half is another's is not (quoted sentences, which this user does not call a copy)."""
    rng = random.Random(11)
    paras = [p for p in simplified_paragraphs if 150 <= len(p) <= 350][:12]
    assert len(paras) >= 10
    pairs = []
    for i, p in enumerate(paras):
        pairs.append(LabelledPair(p, _edited(p, [0.0, 0.02, 0.04][i % 3], rng), True, f"pos{i}"))
        q = paras[(i + 1) % len(paras)]
        pairs.append(LabelledPair(p, p[: len(p) * 11 // 20] + q[len(q) * 11 // 20 :], False, f"neg{i}"))
    return pairs


def test_parse_pairs_reads_jsonl_and_names_bad_lines() -> None:
    text = '{"a": "甲", "b": "乙", "duplicate": false}\n\n{"a": "丙", "b": "丙", "duplicate": true, "note": "x"}\n'
    pairs = parse_pairs(text, "p.jsonl")
    assert [(p.a, p.b, p.duplicate, p.source) for p in pairs] == [("甲", "乙", False, "p.jsonl:1"), ("丙", "丙", True, "p.jsonl:3")]
    for bad, message in [
        ("{oops", "p.jsonl:1: invalid JSON"),
        ('["a", "b"]', "p.jsonl:1: expected an object"),
        ('{"a": "x", "duplicate": true}', "p.jsonl:1: 'b' must be a string"),
        ('{"a": "x", "b": "y", "duplicate": "yes"}', "p.jsonl:1: 'duplicate' must be true or false"),
    ]:
        with pytest.raises(InputError, match=message):
            parse_pairs(bad, "p.jsonl")

    def refuse(value: str) -> str:
        raise InputError(f"{value}: cannot read")

    with pytest.raises(InputError, match=r"p.jsonl:1: x.txt: cannot read"):
        parse_pairs('{"a": "x.txt", "b": "y", "duplicate": true}', "p.jsonl", refuse)


def test_both_kinds_of_pair_are_needed() -> None:
    with pytest.raises(InputError, match="both kinds"):
        calibrate([LabelledPair("一二三四五", "一二三四五", True)])


def test_recommended_threshold_separates_planted_positives_from_negatives(planted) -> None:
    cal = calibrate(planted, ngrams=[3, 4, 5])
    curve = cal.curve(cal.recommended_ngram)
    positives = [s for s, p in zip(curve.similarity, planted) if p.duplicate]
    negatives = [s for s, p in zip(curve.similarity, planted) if not p.duplicate]
    assert max(negatives) < min(positives)  # the data allows a clean cut ...
    assert max(negatives) < cal.recommended.threshold <= min(positives)  # ... and it is found
    assert cal.recommended.precision == 1.0 and cal.recommended.recall == 1.0
    # The default 0.3 flags these partial quotes: calibration is what moves it.
    assert cal.current.fp > 0 and cal.recommended.threshold > cal.current_threshold


def test_flagged_pairs_are_what_a_scan_finds(planted) -> None:
    """The LSH-aware counts are not an estimate: each flagged pair is a pair scan() reports."""
    for threshold in (0.3, 0.5, 0.7):
        config = ScanConfig.from_options(threshold=threshold, containment=False)  # the Jaccard rule calibrate measures
        cal = calibrate(planted, config=config, ngrams=[4])
        found = []
        for p in planted:
            result = scan([Document("a", p.a), Document("b", p.b)], config=config)
            found.append(any({m.doc_id for m in c.members} == {"a", "b"} for c in result.clusters))
        point = cal.current
        assert point.tp == sum(f and p.duplicate for f, p in zip(found, planted))
        assert point.fp == sum(f and not p.duplicate for f, p in zip(found, planted))


def test_real_tang_pairs_ties_go_to_the_current_setting() -> None:
    pairs = parse_pairs(TANG.read_text(encoding="utf-8"), TANG.name)
    assert sum(p.duplicate for p in pairs) == 9
    cal = calibrate(pairs)
    # Edition variants (劒/劍, dropped lines) and simplified/traditional copies all score
    # far above the other poems, so every threshold in the gap is as good: keep the current.
    assert (cal.recommended_ngram, cal.recommended.threshold) == (4, 0.3)
    assert cal.recommended.f1 == 1.0
    other = calibrate(pairs, config=ScanConfig.from_options(threshold=0.25, ngram=5))
    assert (other.recommended_ngram, other.recommended.threshold) == (5, 0.25)
    # At 0.45 every duplicate reaches the threshold, but 25x5 banding misses two of them
    # (their Jaccard is 0.5-0.6): the counts say so, and the advice moves down.
    strict = calibrate(pairs, config=ScanConfig.from_options(threshold=0.45, ngram=5), ngrams=[5])
    assert strict.current.recall_exact == 1.0 and strict.current.recall < 1.0
    assert strict.recommended.threshold < 0.45 and strict.recommended.recall == 1.0
    # Points are monotone where they must be: exact recall never rises with the threshold.
    recalls = [p.recall_exact for p in cal.curve(4).points]
    assert recalls == sorted(recalls, reverse=True)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_cli_text_json_and_plot(tmp_path: Path) -> None:
    plot = tmp_path / "pr.png"
    result = run("calibrate", str(TANG), "--plot", str(plot))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("neardup calibrate: 15 pairs (9 duplicates, 6 not)")
    assert "recommended: --ngram 4 --threshold 0.3: F1 1.000" in result.output
    width, height = _png_size(plot.read_bytes())
    assert (width, height) == (700, 450) and 10_000 < plot.stat().st_size < 500_000
    out = tmp_path / "cal.json"
    result = run("calibrate", str(TANG), "--format", "json", "-o", str(out), "--ngrams", "4,5")
    assert result.exit_code == 0 and result.output == ""
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["schema"] == "neardup.calibrate/1" and (data["positives"], data["negatives"]) == (9, 6)
    assert [c["ngram"] for c in data["curves"]] == [4, 5]
    assert {"threshold", "bands", "rows", "precision", "recall", "f1", "recall_exact"} <= set(data["curves"][0]["points"][0])


def test_cli_reads_values_that_name_files(tmp_path: Path, seed_texts: dict[str, str]) -> None:
    text = next(line for line in seed_texts["003_25ef313b2cbc397f.txt"].splitlines() if len(line) > 150)
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(text.encode("gb18030"))  # decoded like any scanned file
    lines = [{"a": "a.txt", "b": "b.txt", "duplicate": True}, {"a": "a.txt", "b": "毫不相干的一段文字，讲的是别的事情。", "duplicate": False}]
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    result = run("calibrate", str(pairs), "--format", "json")
    assert result.exit_code == 0, result.output
    curve = next(c for c in json.loads(result.output)["curves"] if c["ngram"] == 4)
    assert curve["similarity"] == [1.0, 0.0]


def test_cli_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": "x", "b": "y", "duplicate": true}\n{"a": "x", "b": 3, "duplicate": true}\n', encoding="utf-8")
    cases = [
        (["calibrate", str(bad)], "bad.jsonl:2: 'b' must be a string"),
        (["calibrate", str(tmp_path / "missing.jsonl")], "missing.jsonl: cannot read"),
        (["calibrate", str(TANG), "--ngrams", "4,x"], "--ngrams must be comma-separated"),
        (["calibrate", str(TANG), "--ngrams", "0"], "--ngrams must list shingle sizes"),
    ]
    only_pos = tmp_path / "pos.jsonl"
    only_pos.write_text('{"a": "一二三四五六", "b": "一二三四五六", "duplicate": true}\n', encoding="utf-8")
    cases.append((["calibrate", str(only_pos)], "needs pairs of both kinds"))
    for args, message in cases:
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and result.output.strip().count("\n") == 0
        assert "Traceback" not in result.output


def test_plot_without_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    result = CliRunner().invoke(cli, ["calibrate", str(TANG), "--plot", str(tmp_path / "x.png")])
    assert result.exit_code == 2
    assert result.output.strip() == "neardup: --plot needs matplotlib: pip install 'neardup[plot]'"
    assert not (tmp_path / "x.png").exists()


def test_plot_png_directly(planted) -> None:
    cal = calibrate(planted, ngrams=[4])
    assert _png_size(plot_png(cal)) == (700, 450)
