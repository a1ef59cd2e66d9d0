"""The JSON and SARIF reports' writer: exactly what ``json.dumps(indent=2, ensure_ascii=False)`` writes."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from ipxescript.lint.report import json_text

leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30,
)


@given(values)
def test_json_text_writes_what_the_json_module_writes(value: object) -> None:
    expected = json.dumps(value, indent=2, ensure_ascii=False)
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in expected):  # lone surrogates are escaped on purpose
        assert json_text(value) == expected


def test_keys_that_are_not_strings_are_left_to_the_json_module() -> None:
    value = {1: [True, None], "x": (1.5, "ü")}
    assert json_text(value) == json.dumps(value, indent=2, ensure_ascii=False)
