"""Finding nodes from the bytes finds what the whole-tree queries found.

The route rules used to walk every node of a file with a query and keep the few they
wanted (identifiers spelled some name, `X.json(...)` responses, calls of the
`next/headers` APIs, names bound to functions). They now look up the node at each
occurrence of a name in the file's bytes. These tests run the old query next to the
new search over every fixture file, hand-written oddities (names after numbers,
non-ASCII and escaped names, contextual keywords, broken code) and fuzzed fixtures,
and demand the same nodes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tree_sitter as ts
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nextaudit.analysis.bindings import identifiers_named
from nextaudit.analysis.syntax import (
    FUNCTION_LITERAL_TYPES,
    FUNCTION_TYPES,
    descendants,
    text,
    unwrap,
)
from nextaudit.checks import (
    await_request_apis,
    error_response_status,
    prisma_generated_types,
    validate_request_input,
)
from nextaudit.discovery import discover
from nextaudit.source import SourceFile
from nextaudit.suppressions import directive_comments

ODDITIES = [
    # A name right after a number (error recovery), before `$`, digits and `_`.
    "const a = 10px; px(); px$; $px; px1; _px; px_;",
    # Non-ASCII names, a no-break space ending a name, escapes inside names.
    "const café = 1; caf(); é(); const x\u00a0= café; const \\u0061b = 2; ab; a\\u0062;",
    # Contextual keywords used as names.
    "const async = 1; async(); let get = 2, set = 3; get(); type(); of; declare(); module;",
    # Shorthands, patterns, JSX, members, private names.
    "const { cookies, headers: h } = x; f({ cookies }); <cookies.Jar cookies={cookies} />;"
    " class K { #cookies = 1; cookies() { return this.#cookies; } }",
    # Broken code.
    "function (cookies { cookies( ; const = cookies ;; headers)(",
    # Responses in their many spellings.
    "Response.json({}); NextResponse.json({ error: 1 }); new Response(); new NextResponse;"
    " (Response).json(); Response?.json(); Response.json<T>(x); new (Response)(); R.json();"
    " Response['json'](); x.Response.json(); new Response.json();",
    # Function declarations and values.
    "function f() {} function* g() {} const h = () => 1, i = async function () {}, j = 1;"
    " let k = (() => 1); var l = <T,>(x: T) => x; const m = (n) satisfies F; export const o ="
    " function p() {};",
    # next/headers calls.
    'import { cookies, headers as h } from "next/headers"; import * as nh from "next/headers";'
    ' const r = require("next/headers"); cookies(); (cookies)(); (cookies as any)(); h()!;'
    ' nh.cookies(); nh["headers"](); (nh).draftMode(); r.cookies(); require("next/headers")'
    '.cookies(); (require("next/headers")).headers(); cookies()(); nh.cookies().get();',
    # Interfaces and type aliases: exported, declared, generic, in namespaces, the words
    # as names and in strings, `import type`, and broken ones.
    "interface A {} export interface B<T> extends A { b: T } declare interface C {}"
    " type D = { d: 1 }; export type E<T> = T | { e: T }; declare module 'm' { interface F {} }"
    " namespace N { export type G = {} } import type { H } from 'h'; const type = 1;"
    " const interface_ = 'interface I {}'; type = 2; let x: type; interface { } type J ="
    " type K = { k: 1 }; interface L extends { }\n",
    # Keywords glued to numbers in broken code (a number may end in a letter) and to
    # names.
    "10nimport x from 'y'; 0xffcatch {} 1e5type T = {}; 0b1interface I {} x1type;"
    " contentType = 1; typeX; $type; _interface; try {} catch {} 1_catch {};\n",
    # Suppression directives: in comments of every kind, twice in one comment, in
    # strings, templates and JSX text (not comments), and in broken code.
    "// nextaudit-ignore-file: no-explicit-any\n/* nextaudit-ignore: a */ let x: any;"
    " /* nextaudit-ignore nextaudit-ignore: b */ const s = 'nextaudit-ignore: c';"
    " const t = `${1} nextaudit-ignore`; <p>nextaudit-ignore</p>; <p>{/* nextaudit-ignore:"
    " d */}</p>; /** nextaudit-ignore */ function (x { // nextaudit-ignore: e\n ;"
    " /* nextaudit-ignore",
]


@functools.cache
def _fixture_files() -> list[tuple[str, bytes]]:
    roots = sorted(p for p in FIXTURES.iterdir() if p.is_dir())
    return [
        (path.relative_to(root).as_posix(), path.read_bytes())
        for root in roots
        for path in discover([root], root).files
        if path.suffix in (".ts", ".tsx", ".js", ".jsx", ".mts", ".cts", ".mjs", ".cjs")
    ]


def _sources() -> list[tuple[str, str, bytes]]:
    oddities = [(f"oddity-{i}.tsx", code.encode("utf-8")) for i, code in enumerate(ODDITIES)]
    return [(rel, rel, raw) for rel, raw in [*oddities, *_fixture_files()]]


def _parse(rel: str, raw: bytes) -> SourceFile:
    return SourceFile.from_bytes("/virtual/" + rel, rel, raw)


def _ids(nodes: list[ts.Node]) -> list[tuple[int, int, str]]:
    return [(n.start_byte, n.end_byte, n.type) for n in nodes]


def _query(source: SourceFile, pattern: str, capture: str, node: ts.Node | None) -> list[ts.Node]:
    return source.nodes(pattern, capture, node)


def _check_identifiers(source: SourceFile) -> None:
    """Against `((identifier) @ref (#eq? @ref "name"))`, as a rule wrote it, with the
    predicate applied in Python (one compiled query instead of one per name)."""
    # Not the empty name of a MISSING identifier that error recovery inserted: the
    # query captures those in some recovery contexts (inside a subscript) and not in
    # others, identifiers_named never does, and no rule searches for "".
    names = {text(n) for n in descendants(source.root) if n.type.endswith("identifier")} - {""}
    functions = [n for n in descendants(source.root) if n.type in FUNCTION_TYPES][:8]
    for types in ({"identifier"}, {"identifier", "shorthand_property_identifier"}):
        pattern = "[" + " ".join(f"({t})" for t in sorted(types)) + "] @ref"
        for within in (None, *functions):
            by_name: dict[str, list[ts.Node]] = {}
            for node in _query(source, pattern, "ref", within):
                by_name.setdefault(text(node), []).append(node)
            for name in sorted(names):
                old = by_name.get(name, [])
                assert _ids(identifiers_named(source, name, within, types)) == _ids(old), name


_OLD_RESPONSES = """
(call_expression
  function: (member_expression
    object: (identifier) @class
    property: (property_identifier) @method (#eq? @method "json"))) @response
(new_expression constructor: (identifier) @class) @response
"""


def _check_responses(source: SourceFile) -> None:
    classes = error_response_status._response_classes(source) | {"R", "x"}
    old = sorted(
        (m["response"][0].start_byte, m["response"][0].end_byte, text(m["class"][0]))
        for m in source.matches(_OLD_RESPONSES)
        if text(m["class"][0]) in classes
    )
    new = [
        (node.start_byte, node.end_byte, name)
        for node, name in error_response_status._responses(source, classes)
    ]
    assert new == old


def _check_api_calls(source: SourceFile) -> None:
    bindings = await_request_apis._request_bindings(source)
    called = await_request_apis._called_api
    old = sorted(
        (m["call"][0].start_byte, m["call"][0].end_byte, called(m["fn"][0], bindings))
        for m in source.matches("(call_expression function: (_) @fn) @call")
        if called(m["fn"][0], bindings) is not None
    )
    new = sorted(
        (call.start_byte, call.end_byte, called(callee, bindings))
        for call, callee in await_request_apis._api_calls(source, bindings)
        if called(callee, bindings) is not None
    )
    assert new == old


_OLD_FUNCTION_NAMES = """
[(function_declaration name: (identifier) @name)
 (generator_function_declaration name: (identifier) @name)
 (variable_declarator name: (identifier) @name value: (_) @value)]
"""


def _check_function_names(source: SourceFile) -> None:
    old: set[str] = set()
    for match in source.matches(_OLD_FUNCTION_NAMES):
        value = match.get("value")
        if value and unwrap(value[0]).type not in FUNCTION_LITERAL_TYPES:
            continue
        old.add(text(match["name"][0]))
    analysis: Any = object.__new__(validate_request_input._Analysis)
    analysis.source = source
    analysis.function_names = {}
    names = {text(n) for n in descendants(source.root) if n.type == "identifier"}
    assert {n for n in names if analysis.declares_function(n)} == old & names


def _check_directive_comments(source: SourceFile) -> None:
    by_query = [
        c.id
        for c in source.nodes("(comment) @comment", "comment")  # a whole-tree walk
        if "nextaudit-ignore" in source.node_text(c)
    ]
    assert [c.id for c in directive_comments(source)] == by_query


def _check_type_declarations(source: SourceFile) -> None:
    by_query = [
        m["declaration"][0].id for m in source.matches(prisma_generated_types._DECLARATIONS)
    ]
    assert [d.id for d in prisma_generated_types._declarations(source)] == by_query


CHECKS: list[Callable[[SourceFile], None]] = [
    _check_directive_comments,
    _check_type_declarations,
    _check_identifiers,
    _check_responses,
    _check_api_calls,
    _check_function_names,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_searching_the_bytes_finds_what_the_query_found(
    check: Callable[[SourceFile], None],
) -> None:
    for _path, rel, raw in _sources():
        check(_parse(rel, raw))


@st.composite
def _mutated(draw: Callable[..., Any]) -> bytes:
    """A fixture or an oddity with a piece of it copied elsewhere or cut out."""
    choices = [raw for _p, _r, raw in _sources()]
    data: bytes = draw(st.sampled_from(choices))
    lines = data.splitlines(keepends=True) or [b""]
    first = draw(st.integers(0, len(lines) - 1))
    last = draw(st.integers(first, min(len(lines), first + 5)))
    piece = b"".join(lines[first:last])
    if draw(st.booleans()):
        # Cut a few bytes inside a line: names glued to their neighbours.
        cut = draw(st.integers(0, max(0, len(data) - 1)))
        return data[:cut] + data[cut + draw(st.integers(1, 3)) :]
    target = draw(st.integers(0, len(lines)))
    return b"".join(lines[:target]) + piece + b"".join(lines[target:])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=_mutated(), rel=st.sampled_from(["x.ts", "x.tsx", "x.js"]))
def test_mutated_files_search_the_same(data: bytes, rel: str) -> None:
    source = _parse(rel, data)
    for check in CHECKS:
        check(source)


def test_fixture_files_are_found() -> None:
    # The comparison above is only worth something if it saw the fixture trees.
    assert len(_fixture_files()) > 100
    assert Path(FIXTURES).is_dir()
