"""Shortcuts of route-auth-required's guards answer as the slow ways did.

- `refers_only_to` walks a node where `returns_constant` ran the `_REFERENCES` query
  (and `returns_constant` still asks the query of a body with syntax errors);

Run over every function and file of the fixtures, the oddities of `test_name_search`,
the oddities below and fuzzed inputs.
"""

from __future__ import annotations

import tree_sitter as ts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_name_search import _mutated, _parse, _sources

from nextaudit.analysis.flow import RouteHandler
from nextaudit.analysis.guards import (
    _CONSTANT_NAMES,
    _REFERENCES,
    refers_only_to,
    returns_constant,
)
from nextaudit.analysis.nextjs import Handler
from nextaudit.analysis.syntax import FUNCTION_TYPES, descendants, function_body, text
from nextaudit.source import SourceFile

ODD_BODIES = [
    # Constant replies in their spellings, and the names that end them.
    "export function GET() { return new Response(null, { status: 204 }) }",
    "export const GET = () => Response.json({ ok: true, at: undefined })",
    "export const GET = () => NextResponse",
    "export const GET = () => { return Response.json(JSON.parse('{}'), { headers: new Headers() }) }",
    "export const GET = () => Response.json({ status }) // a shorthand refers to a name",
    "export const GET = () => Response.json({ Response }) /* a shorthand of a class */",
    "export function GET() { return new Response('Response NextResponse req') }",
    "export function GET() { return Response.json({ req: 1, [`k`]: 2 }) }",
    "export function GET() { return Response.json(`${req}`) }",
    "export function GET() { return Response.json(this) }",
    "export function GET(req) { return (Response as any).json(req!) }",
    "export function GET() { const Response = 1; return Response }",
    "export function GET() { return \\u0052esponse.json({}) }",
    "export function GET() { return Response.json({}); function inner(x) { return x } }",
    "export function GET() { return Response.json(<div>{x}</div>) }",
    "export function GET() { label: for (;;) { break label } return Response.json({}) }",
    "export function GET() { return Response.json({ a: { b: { c: [1, 2, undefined] } } }) }",
    "export function GET() {}",
    "export const GET = () => ({})",
    # Broken bodies (the query answers those).
    "export function GET() { return Response.json( }",
    "export function GET() { return new Response(null, { status: }) }",
    "export function GET() { return Response[ }",
]


def _odd_sources() -> list[tuple[str, bytes]]:
    return [(f"odd-{i}.tsx", code.encode("utf-8")) for i, code in enumerate(ODD_BODIES)]


def _all_sources() -> list[SourceFile]:
    files = [(rel, raw) for _path, rel, raw in _sources()] + _odd_sources()
    return [_parse(rel, raw) for rel, raw in files]


def _functions(source: SourceFile) -> list[ts.Node]:
    return [n for n in descendants(source.root) if n.type in FUNCTION_TYPES]


# --- returns_constant ----------------------------------------------------------------


def _slow_refers_only_to(source: SourceFile, node: ts.Node, names: frozenset[str]) -> bool:
    return all(text(n) in names for n in source.nodes(_REFERENCES, "ref", node))


def _slow_returns_constant(handler: RouteHandler, source: SourceFile) -> bool:
    body = function_body(handler.function) if handler.function is not None else None
    return body is not None and _slow_refers_only_to(source, body, _CONSTANT_NAMES)


def _as_handler(function: ts.Node) -> RouteHandler:
    return RouteHandler(Handler("GET", function, function), function, None, None, None)


def _check_references(source: SourceFile) -> None:
    for function in _functions(source):
        handler = _as_handler(function)
        assert returns_constant(handler, source) == _slow_returns_constant(handler, source)
        body = function_body(function)
        if body is None:
            continue
        # Against other name sets too, so that a walk that stopped early or missed a
        # name would show: every name of the body, and all but one of them.
        names = sorted({text(n) for n in source.nodes(_REFERENCES, "ref", body)})
        for allowed in (frozenset(names), frozenset(names[1:]), frozenset(names[:-1])):
            assert refers_only_to(body, allowed) == _slow_refers_only_to(source, body, allowed)


def test_references_on_fixtures_and_oddities() -> None:
    for source in _all_sources():
        _check_references(source)


# --- fuzzed inputs -----------------------------------------------------------------------

CHECKS = [_check_references]

_PIECES = st.sampled_from(
    [
        "export function GET(req) {",
        "export const GET = () =>",
        "return ",
        "Response.json(",
        "new Response(",
        "NextResponse",
        "{ status: 204 }",
        "{ status }",
        "undefined",
        "req",
        "(",
        ")",
        "{",
        "}",
        ",",
        ";",
        "`${",
        "`",
        "'",
        "// c\n",
        "/*",
        "*/",
        " ",
        "\n",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=16))
def test_shortcuts_on_soup(pieces: list[str]) -> None:
    source = _parse("soup.ts", "".join(pieces).encode("utf-8"))
    for check in CHECKS:
        check(source)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_mutated(), rel=st.sampled_from(["x.ts", "x.tsx", "x.js"]))
def test_shortcuts_on_mutated_files(data: bytes, rel: str) -> None:
    source = _parse(rel, data)
    for check in CHECKS:
        check(source)
