"""Shortcuts the route rules take from the bytes answer as the slow ways did.

- `dataflow.names_in_scope` finds what `identifiers_named` finds, and when it says no
  scope inside can declare the name, `is_shadowed` is False for every reference;
- `await_route_params._outer_and_parent` is `outer` and its parent;
- the calls `GuardMatcher` tries first, found from the `(` of a body, are calls of
  that body (`calls_in`), so a guard among them is one `reaches_guard` would find.

Run over every fixture file, the hand-written oddities of `test_name_search` and
fuzzed fixtures.
"""

from __future__ import annotations

import pytest
import tree_sitter as ts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_name_search import _mutated, _parse, _sources

from nextaudit.analysis.bindings import identifiers_named, is_shadowed
from nextaudit.analysis.dataflow import names_in_scope
from nextaudit.analysis.flow import calls_in
from nextaudit.analysis.guards import GuardMatcher, Guards, NamePatterns
from nextaudit.analysis.syntax import FUNCTION_TYPES, descendants, outer, text
from nextaudit.checks.await_route_params import _outer_and_parent
from nextaudit.source import SourceFile

_TYPES = frozenset({"identifier", "shorthand_property_identifier"})
_SCOPES = FUNCTION_TYPES | {"statement_block", "program"}
_MAX_NAMES = 40


def _check_names_in_scope(source: SourceFile) -> None:
    nodes = [source.root, *descendants(source.root)]
    names = sorted({text(n) for n in nodes if n.type == "identifier"})[:_MAX_NAMES]
    scopes = [n for n in nodes if n.type in _SCOPES]
    for name in names:
        for scope in scopes:
            found, may_shadow = names_in_scope(source, name, scope, _TYPES)
            assert found == identifiers_named(source, name, scope, _TYPES)
            if not may_shadow:
                assert not any(is_shadowed(ref, name, scope) for ref in found), (name, scope)


def _check_outer_and_parent(source: SourceFile) -> None:
    for node in descendants(source.root):
        if node.type in ("identifier", "member_expression", "subscript_expression"):
            wrapper = outer(node)
            assert _outer_and_parent(node) == (wrapper, wrapper.parent)


class _Recorder(GuardMatcher):
    """A matcher that guards nothing and keeps the calls it was asked about."""

    def __init__(self, source: SourceFile) -> None:
        super().__init__(source, Guards(NamePatterns()))
        self.asked: list[ts.Node] = []

    def is_guard_call(self, call: ts.Node) -> bool:
        self.asked.append(call)
        return False


def _check_leading_calls(source: SourceFile) -> None:
    for function in descendants(source.root):
        if function.type not in FUNCTION_TYPES:
            continue
        recorder = _Recorder(source)
        assert not recorder._leading_call_guards(function)
        assert set(recorder.asked) <= set(calls_in(function, source))


CHECKS = [_check_names_in_scope, _check_outer_and_parent, _check_leading_calls]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_shortcuts_answer_as_the_slow_ways(check: object) -> None:
    assert callable(check)
    for _path, rel, raw in _sources():
        check(_parse(rel, raw))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_mutated(), rel=st.sampled_from(["x.ts", "x.tsx", "x.js"]))
def test_mutated_files_answer_the_same(data: bytes, rel: str) -> None:
    source = _parse(rel, data)
    for check in CHECKS:
        check(source)
