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
