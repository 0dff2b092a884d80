"""The fast JSON writer produces exactly what json.dumps(indent=2, sort_keys=True) does."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from neardup.report.json import dumps

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30,
)


@given(values)
@settings(max_examples=300, deadline=None)
def test_dumps_equals_json_dumps(value: object) -> None:
    assert dumps(value) == json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2)


records = st.lists(st.dictionaries(st.text(max_size=5), scalars, max_size=4) | values, max_size=12)


@given(st.lists(records, max_size=3), st.integers(1, 5))
@settings(max_examples=300, deadline=None)
def test_runs_of_flat_records_equal_json_dumps(value: list[object], batch: int) -> None:
    """Flat records go through the C encoder a batch at a time; any mix of them with
    other values, empty records and strings holding ``},`` and newlines stays exact."""
    from unittest import mock

    with mock.patch("neardup.report.json._BATCH", batch):
        assert dumps(value) == json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2)
    tricky = [{"text": "a},\n    {b", "n": i, "x": None, "f": 1.5} for i in range(1300)] + [{}, {"k": [1]}]
    assert dumps({"r": tricky}) == json.dumps({"r": tricky}, ensure_ascii=False, sort_keys=True, indent=2)


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
