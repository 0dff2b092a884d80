"""The fast JSON writer produces exactly what json.dumps(indent=2, sort_keys=True) does."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neardup.report.json import _score, _write_document

# What the report's sections hold: text (any but lone surrogates, which no UTF-8 file
# can carry), integers (offsets, counts), scores rounded to at most four places.
scores = st.builds(round, st.floats(-1e12, 1e12), st.integers(0, 4))
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | scores | st.text()
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30,
)
# What orjson refuses and the standard library writes: keys that are not strings,
# integers beyond 64 bits; and what only the standard library's own path sees (the
# config and summary are not sections): any float.
refused = st.dictionaries(st.integers(), scalars, min_size=1, max_size=3) | st.integers(2**64, 2**70)


def _expected(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def _written(doc: dict) -> str:
    parts: list[bytes] = []
    _write_document(doc, parts.append)
    return b"".join(parts).decode("utf-8")


@given(st.dictionaries(st.text(max_size=8), st.lists(values, max_size=12) | values, max_size=6), st.integers(1, 5))
@settings(max_examples=300, deadline=None)
def test_the_report_writer_equals_json_dumps(doc: dict, batch: int) -> None:
    """Sections (top-level lists) go through orjson a batch at a time, indented by a
    replace; the rest through the standard library: the bytes are json.dumps's."""
    from unittest import mock

    with mock.patch("neardup.report.json._BATCH", batch):
        assert _written(doc) == _expected(doc)
        streamed = {k: iter(v) if isinstance(v, list) else v for k, v in doc.items()}
        assert _written(streamed) == _expected(doc)


@given(st.lists(values | refused, min_size=1, max_size=6), refused | st.floats() | st.dictionaries(st.text(max_size=3), st.lists(st.floats())))
@settings(max_examples=200, deadline=None)
def test_what_orjson_refuses_is_written_by_the_standard_library(section: list, other: object) -> None:
    """A section batch orjson refuses is written whole by the standard library; a value
    that is not a section (``config``, ``summary``) always is, whatever floats it holds."""
    doc = {"section": section, "other": other}
    assert _written(doc) == _expected(doc)


def test_a_score_that_is_not_finite_stops_the_report() -> None:
    import pytest

    assert _score(0.123456, 4) == 0.1235 and type(_score(np.float64(0.5), 2)) is float
    for bad in (float("nan"), float("inf"), -float("inf"), 1e17):
        with pytest.raises(ValueError, match="not a finite number"):
            _score(bad, 4)


def test_render_json_is_json_dumps_of_the_report_dict(planted_corpus) -> None:
    from neardup import scan
    from neardup.report.json import render_json, to_dict

    result = scan(planted_corpus)
    assert result.clusters and result.alignments and result.boilerplate is not None
    assert render_json(result) == _expected(to_dict(result))


def test_write_json_streams_the_same_bytes_as_render_json(tmp_path) -> None:
    import io

    from neardup import Document, scan
    from neardup.report.json import render_json, write_json

    text = "鄂州市创建全国文明城市工作推进会议在2018年召开，全市上下凝心聚力攻坚克难，确保各项任务落实到位。"
    result = scan([Document("a", text), Document("b", text.replace("鄂州", "xx")), Document("c", "毫不相干的一段文字。")])
    out = io.StringIO()
    write_json(result, out)
    assert out.getvalue() == render_json(result)
    assert result.clusters  # a report with sections to stream


def test_a_report_that_fails_midway_leaves_no_file(tmp_path) -> None:
    import pytest

    from neardup.cli import stream_output
    from neardup.errors import NeardupError

    target = tmp_path / "report.json"

    def broken(fh) -> None:
        fh.write("{")
        raise OSError(28, "No space left on device")

    with pytest.raises(NeardupError, match="cannot write the report"):
        stream_output(broken, str(target))
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_scores_are_named_by_their_metric(planted_corpus) -> None:
    """Schema 3: a member's score is its ``jaccard``, a reused span's its ``ratio``; no
    ``similarity`` left that could mean either."""
    from neardup import scan
    from neardup.report.json import SCHEMA_ID, render_json

    report = json.loads(render_json(scan(planted_corpus)))
    assert report["schema"] == SCHEMA_ID == "neardup.scan/3"
    members = [m for c in report["clusters"] for m in c["members"]]
    spans = [s for al in report["alignments"] for s in al["spans"]]
    assert members and spans
    assert all(0 < m["jaccard"] <= 1 and "similarity" not in m for m in members)
    assert all(0 < s["ratio"] <= 1 and "similarity" not in s for s in spans)


def test_a_link_weight_that_is_not_finite_stops_the_report() -> None:
    import pytest

    from neardup.links import LINK_DTYPE, LinkArray
    from neardup.report.json import _link_section

    rows = np.zeros(2, dtype=LINK_DTYPE)
    rows["b"] = 1
    rows["template"] = [1.23456, float("nan")]
    with pytest.raises(ValueError, match="not a finite number: nan"):
        _link_section(LinkArray(rows, ["a", "b"]))
    assert list(_link_section(LinkArray(rows[:1], ["a", "b"]))) == [{"a": "a", "b": "b", "content": 0, "boilerplate": 0, "template": 1.235}]
