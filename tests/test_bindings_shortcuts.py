"""bindings' scope climbs answer as the plain climbs they replaced: `declaring_scope`,
`const_value` and `is_shadowed` pass over the node types `scope_declares` is False for,
and `const_value` reuses the declaration its climb found. Checked on every fixture
file, oddities and fuzzed code, for every identifier and the names around it."""

from __future__ import annotations

import pytest
import tree_sitter as ts
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from nextaudit.analysis.bindings import (
    const_value,
    declared_in_statements,
    declaring_scope,
    identifiers_named,
    is_shadowed,
    scope_declares,
)
from nextaudit.analysis.syntax import bind_tree, descendants, parent_of, text
from nextaudit.discovery import discover
from nextaudit.source import SourceFile


def _slow_declaring_scope(node: ts.Node, name: str) -> ts.Node | None:
    current = parent_of(node)
    while current is not None:
        if current.type == "program":
            return current if declared_in_statements(current, name) is not None else None
        if scope_declares(current, name):
            return current
        current = parent_of(current)
    return None


def _slow_const_value(node: ts.Node, name: str) -> ts.Node | None:
    scope = _slow_declaring_scope(node, name)
    if scope is None or scope.type not in (
        "statement_block",
        "class_static_block",
        "switch_body",
        "program",
    ):
        return None
    bound = declared_in_statements(scope, name)
    declarator = bound.parent if bound is not None else None
    if declarator is None or declarator.type != "variable_declarator":
        return None
    if declarator.child_by_field_name("name") != bound:
        return None
    declaration = declarator.parent
    if declaration is None or declaration.type != "lexical_declaration":
        return None
    if not any(not c.is_named and c.type == "const" for c in declaration.children):
        return None
    return declarator.child_by_field_name("value")


def _slow_is_shadowed(node: ts.Node, name: str, stop: ts.Node | None) -> bool:
    current = parent_of(node)
    while current is not None and current != stop and current.type != "program":
        if scope_declares(current, name):
            return True
        current = parent_of(current)
    return False


def _span(node: ts.Node | None) -> tuple[int, int, str] | None:
    return None if node is None else (node.start_byte, node.end_byte, node.type)


def _compare(source: SourceFile, limit: int = 400) -> int:
    bind_tree(source.root)
    try:
        identifiers = [n for n in descendants(source.root) if n.type == "identifier"][:limit]
        names = sorted({text(n) for n in identifiers})[:20]
        for node in identifiers:
            for name in {text(node), *names[:3]}:
                assert _span(declaring_scope(node, name)) == _span(
                    _slow_declaring_scope(node, name)
                )
                assert _span(const_value(node, name)) == _span(_slow_const_value(node, name))
                scope = _slow_declaring_scope(node, name)
                assert is_shadowed(node, name) == _slow_is_shadowed(node, name, None)
                assert is_shadowed(node, name, scope, {}) == _slow_is_shadowed(node, name, scope)
        return len(identifiers)
    finally:
        bind_tree(None)


ODDITIES = [
    "const a = 1; function f(a) { const b = a; { let a = 2; g(a, b); } } class K { static {"
    " const a = 3; a; } } switch (x) { case 1: const c = 1; c; } for (const d of e) d;"
    " try {} catch (a) { a; } for (let i = 0; i < 1; i++) i; const h = function a() { a; };",
    "export const k = 1, { l } = m, [n] = o; export function p(k) { return k + l + n; }",
    "function (a { a( ; const = a ;; b)( const q = ; q; const r = 1 r;",
]


@pytest.mark.parametrize("code", ODDITIES)
def test_scope_climbs_on_oddities(code: str) -> None:
    assert _compare(SourceFile.from_bytes("/v/a.ts", "a.ts", code.encode()))


def test_scope_climbs_on_the_fixtures() -> None:
    checked = 0
    for root in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for path in discover([root], root).files:
            checked += _compare(
                SourceFile.from_bytes(path.as_posix(), path.name, path.read_bytes())
            )
    assert checked > 1000


_PIECES = st.sampled_from(
    [
        "const a = 1;",
        "let a;",
        "function f(a) {",
        "(a) => {",
        "{",
        "}",
        "a;",
        "g(a);",
        "for (const a of b) {",
        "catch (a) {",
        "try {",
        "class C { static {",
        "switch (a) { case 1:",
        "const { a } = b;",
        "var b = a;",
        "(",
        ")",
        "\n",
    ]
)


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(_PIECES, max_size=14))
def test_scope_climbs_on_any_tree(pieces: list[str]) -> None:
    _compare(SourceFile.from_bytes("/v/a.ts", "a.ts", " ".join(pieces).encode()))


def test_a_missing_identifier_is_not_named_as_the_query_does_not_capture_it() -> None:
    source = SourceFile.from_bytes(
        "/v/x.ts", "x.ts", b"**\n * x\n */\nexport default function f() {}"
    )
    missing = [n for n in descendants(source.root) if n.is_missing and n.type == "identifier"]
    assert missing  # error recovery inserted one (tree-sitter may change: then rewrite)
    assert identifiers_named(source, "") == []
    assert source.nodes("(identifier) @ref", "ref")  # the query sees the real names
