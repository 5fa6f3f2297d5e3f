"""report.indented_json writes exactly what json.dumps(indent=2, ensure_ascii=False)
writes, for every JSON value and for the reports themselves."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nextaudit.report.indented_json import dumps_indented

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()  # lone surrogates, control characters, quotes, non-ASCII
)
KEYS = st.text() | st.integers() | st.booleans() | st.none() | st.floats()
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(KEYS, inner, max_size=5)
    ),
    max_leaves=40,
)


def reference(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


@settings(max_examples=400)
@given(VALUES)
def test_the_same_text_as_json_dumps(value: object) -> None:
    assert dumps_indented(value) == reference(value)


@pytest.mark.parametrize(
    "value",
    [
        {},
        [],
        "",
        {"a": {}, "b": [], "c": [{}], "d": [[]]},
        {'é\u2028\x00"\\': "\ud800 lone surrogate"},
        [math.nan, math.inf, -math.inf, -0.0, 1e300, 5e-324],
        {7: "int key", 2.5: "float key", True: "t", False: "f", None: "n"},
        [True, 1, 1.0],
    ],
)
def test_edge_values(value: object) -> None:
    assert dumps_indented(value) == reference(value)


def test_int_and_str_subclasses_are_written_as_their_values() -> None:
    import enum

    class Level(enum.IntEnum):
        HIGH = 3

    class Name(str):
        pass

    value = {"level": Level.HIGH, "name": Name("x")}
    assert dumps_indented(value) == reference(value) == '{\n  "level": 3,\n  "name": "x"\n}'


@pytest.mark.parametrize("value", [{"x": object()}, [{1, 2}], {(1, 2): "tuple key"}, b"bytes"])
def test_what_json_refuses_is_refused(value: object) -> None:
    with pytest.raises(TypeError):
        reference(value)
    with pytest.raises(TypeError):
        dumps_indented(value)
