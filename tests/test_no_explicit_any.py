"""no-explicit-any: the `any` keywords found from the bytes are the query's."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rule_harness import fixture_trees, parsed_fixture_files, with_and_without_filters

from nextaudit.checks.no_explicit_any import any_keywords
from nextaudit.source import SourceFile


def _found_both_ways(source: SourceFile) -> tuple[list[int], list[int]]:
    return with_and_without_filters(lambda: [node.id for node in any_keywords(source)])


@pytest.mark.parametrize("root", fixture_trees(), ids=lambda p: p.name)
def test_keywords_found_from_the_bytes_are_the_query_captures(root: Path) -> None:
    for rel, source in parsed_fixture_files(root):
        fast, slow = _found_both_ways(source)
        assert fast == slow, rel


_NOISE = st.sampled_from(
    [
        *("", "(", ")", "{", "}", ";", "\n", "x", "1n", "0xa", "`", '"', "//", "$", "\\u0061", "<"),
        *(">", "=>", ",", "function f(", "class A {"),
    ]
)
_BEFORE = st.sampled_from(
    [
        *("let x: ", "y as ", "<", "keyof ", "type A = ", "a | ", "...args: ", "f<", "catch (e: "),
        *("T extends ", "T = ", "Array<", "readonly ", "m", "x.", "{ ", "[", "@", "#", ""),
    ]
)
_AFTER = st.sampled_from(["", "[]", ">", ";", ")", "1", "thing", " ", "\n", "$", ">()", " }"])
_PIECES = st.one_of(
    st.tuples(_NOISE, _BEFORE, _AFTER).map(lambda t: t[0] + t[1] + "any" + t[2]), _NOISE
)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(_PIECES, max_size=10), name=st.sampled_from(["a.ts", "a.tsx"]))
def test_keywords_found_from_the_bytes_match_the_query_on_any_tree(
    pieces: list[str], name: str
) -> None:
    """Broken code included: error recovery puts names after numbers (`1nany`)."""
    source = SourceFile.from_bytes("/v/" + name, name, "".join(pieces).encode())
    fast, slow = _found_both_ways(source)
    assert fast == slow
