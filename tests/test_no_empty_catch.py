"""no-empty-catch: the catch clauses found from the bytes are the query's."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rule_harness import fixture_trees, parsed_fixture_files, with_and_without_filters

from nextaudit.checks.no_empty_catch import catch_clauses
from nextaudit.source import SourceFile


def _found_both_ways(source: SourceFile) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    return with_and_without_filters(
        lambda: [(clause.id, body.id) for clause, body in catch_clauses(source)]
    )


@pytest.mark.parametrize("root", fixture_trees(), ids=lambda p: p.name)
def test_clauses_found_from_the_bytes_are_the_query_matches(root: Path) -> None:
    for rel, source in parsed_fixture_files(root):
        fast, slow = _found_both_ways(source)
        assert fast == slow, rel


_NOISE = st.sampled_from(
    [
        *("", "{", "}", "(", ")", ";", "x", "\n", "//c\n", "/*c*/", "`", "${", '"', "1n", "catch"),
        *("try", "finally", "=>", ".catch(() => {})", "async ", "function f() {", "class A {"),
    ]
)
_PARAMETER = st.sampled_from(["", " (e)", "(e: any)", " ({ a })", "(", ")"])
_TRY = st.tuples(_NOISE, _NOISE, _NOISE, _PARAMETER, _NOISE, _NOISE).map(
    lambda t: f"{t[0]}try {{{t[1]}}} {t[2]}catch{t[3]} {{{t[4]}}}{t[5]}"
)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.one_of(_TRY, _NOISE), max_size=10))
def test_clauses_found_from_the_bytes_match_the_query_on_any_tree(pieces: list[str]) -> None:
    """Broken code included: the keyword in odd places, clauses error recovery makes."""
    source = SourceFile.from_bytes("/v/a.ts", "a.ts", "".join(pieces).encode())
    fast, slow = _found_both_ways(source)
    assert fast == slow
