"""no-empty-catch: the catch clauses found from the bytes are the query's."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from nextaudit.analysis import prefilter
from nextaudit.checks.no_empty_catch import catch_clauses
from nextaudit.discovery import discover
from nextaudit.source import SourceFile


def _found_both_ways(source: SourceFile) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    fast = [(clause.id, body.id) for clause, body in catch_clauses(source)]
    prefilter.ENABLED = False
    try:
        slow = [(clause.id, body.id) for clause, body in catch_clauses(source)]
    finally:
        prefilter.ENABLED = True
    return fast, slow


@pytest.mark.parametrize(
    "root", sorted(p for p in FIXTURES.iterdir() if p.is_dir()), ids=lambda p: p.name
)
def test_clauses_found_from_the_bytes_are_the_query_matches(root: Path) -> None:
    for path in discover([root], root).files:
        rel = path.relative_to(root).as_posix()
        fast, slow = _found_both_ways(
            SourceFile.from_bytes(path.as_posix(), rel, path.read_bytes())
        )
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
