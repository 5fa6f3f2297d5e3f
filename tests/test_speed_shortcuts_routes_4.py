"""Round-4 shortcuts of the route rules answer as the slow ways did.

- validate-request-input: a handler for which `_mentions` is False is not traced: a
  trace of its request bindings finds nothing there (no expression, no argument);
- error-response-status: `_spells_renaming` is `_RENAMING.search`; `_responses`, which
  takes the common spellings `X.json(` and `new X(` from one descent, finds what
  `_response_of` finds from each class identifier.

Run over every function and file of the fixtures, the oddities of `test_name_search`,
the oddities below and fuzzed inputs.
"""

from __future__ import annotations

import tree_sitter as ts
from hypothesis import given, settings
from hypothesis import strategies as st
from test_name_search import _parse, _sources

from nextaudit.analysis.dataflow import trace
from nextaudit.analysis.syntax import FUNCTION_TYPES, descendants
from nextaudit.checks.error_response_status import (
    _RENAMING,
    _RESPONSE_CLASSES,
    _class_nodes,
    _response_of,
    _responses,
    _spells_renaming,
)
from nextaudit.checks.validate_request_input import (
    REQUEST_IDENTITY_METHODS,
    _mentions,
    _request_bindings,
)
from nextaudit.source import SourceFile

ODD_HANDLERS = [
    "export async function GET(req: Request) { return new Response('x') }",
    "export async function GET(request) { const requestId = 1; return requestId }",
    "export async function POST(req) { const r = req; return r.json() }",
    "export const POST = async ({ req, user }) => { await req.json() }",
    "export const POST = async ({ req, user }) => { await user.json() }",
    "export function GET(this: X, req) { return fn(req) }",
    "export const GET = req => req",
    "export const GET = (req = 1) => { req = 2 }",
    "export async function GET(req) { function req() {} return req.text() }",
    "export async function GET(ré) { return ré.json() }",
    "export async function GET(\\u0072eq) { return req.json() }",
    "export async function GET(req) { return `${req}` }",
    "export async function GET(req) { return { req } }",
]

ODD_RESPONSES = [
    "NextResponse.json({ error: 1 }); Response.json({}); new Response(null); new NextResponse('x')",
    "new NextResponse.json(x); new Response.json(); (NextResponse).json(x); NextResponse!.json(x)",
    "NextResponse .json(x); NextResponse/**/.json(x); NextResponse\n.json(x); NextResponse?.json(x)",
    "x.NextResponse.json(x); MyResponse.json(x); aNextResponse.json(x); $Response.json(x)",
    "new  Response(x); new Response; new Response<T>(x); new NextResponse(x)(y); new (Response)(x)",
    "NextResponse.json<T>(x); NextResponse.json`t`; NextResponse.json; NextResponse.jsonx(y)",
    "Response.json(x).json(y); new new Response(x); new Response(x).json(y); Response['json'](x)",
    "import { NextResponse as R } from 'next/server'; R.json({ error: 1 }); new R(x)",
    "class Response {}; const NextResponse = 1; NextResponse.json(Response.json(new Response()))",
    "new Response(NextResponse.json(x)); NextResponse.json(new NextResponse(x)); Response.json(",
    "Response.json(x)",
    "new Response(",
    # At the very start of a file whose end spells `Next` or `new `: the bytes before
    # the name are none, not the file's last ones.
    "Response.json({ error: 1 });\n//Next",
    "Response(x); // new ",
    "Response.json(x) /* NextResponse.json(y) */ //Next",
]

ODD_RENAMINGS = [
    "import { NextResponse as R } from 'next/server'",
    "import { 'NextResponse' as R } from 'next/server'",
    "const { NextResponse: R } = require('next/server')",
    "NextResponse/* c */as",
    "NextResponse\u00a0as R",
    "NextResponse`\n\t:",
    "NextResponse.json(x); NextResponse, NextResponse } NextResponse",
    "NextResponse",
    "NextResponseNextResponse as",
    'NextResponse""as',
    "NextResponse\x0b/",
]


def _mentions_agrees(source: SourceFile, function: ts.Node) -> None:
    request = _request_bindings(function)
    if _mentions(source, function, request):
        return
    flow = trace(
        source,
        function,
        bindings=request,
        whole=True,
        identity_methods=REQUEST_IDENTITY_METHODS,
    )
    assert not flow.expressions and not flow.arguments and not flow.returns


def test_unmentioned_requests_trace_to_nothing() -> None:
    extra = [("odd.ts", "odd.ts", code.encode("utf-8")) for code in ODD_HANDLERS]
    for _path, rel, raw in [*_sources(), *extra]:
        source = _parse(rel, raw)
        for node in descendants(source.root):
            if node.type in FUNCTION_TYPES:
                _mentions_agrees(source, node)


def _slow_responses(source: SourceFile) -> list[tuple[int, int, str, str]]:
    """The responses (of the two classes) as `_responses` found them before the
    shortcut: `_response_of` asked of every class identifier."""
    found = []
    for class_node, class_name in _class_nodes(source):
        response = _response_of(class_node)
        if response is not None:
            found.append((response.start_byte, response.end_byte, response.type, class_name))
    return sorted(found)


def _responses_agree(source: SourceFile) -> None:
    classes = set(_RESPONSE_CLASSES)
    fast = [(r.start_byte, r.end_byte, r.type, name) for r, name in _responses(source, classes)]
    assert fast == _slow_responses(source)


def test_responses_on_fixtures_and_oddities() -> None:
    extra = [("odd.ts", "odd.ts", code.encode("utf-8")) for code in ODD_RESPONSES]
    for _path, rel, raw in [*_sources(), *extra]:
        _responses_agree(_parse(rel, raw))


def test_renaming_search_on_fixtures_and_oddities() -> None:
    extra = [code.encode("utf-8") for code in ODD_RENAMINGS]
    for raw in [raw for _path, _rel, raw in _sources()] + extra:
        assert _spells_renaming(raw) == (_RENAMING.search(raw) is not None), raw


_PIECES = st.sampled_from(
    [
        "NextResponse",
        "Response",
        "new ",
        ".json(",
        "(",
        ")",
        " ",
        "\n",
        "as",
        ":",
        "/",
        "'",
        '"',
        "`",
        "\u00a0",
        "x",
        ".",
        "{ error: 1 }",
        ";",
        "!",
        "<T>",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_PIECES, max_size=14))
def test_responses_and_renamings_on_soup(pieces: list[str]) -> None:
    raw = "".join(pieces).encode("utf-8")
    assert _spells_renaming(raw) == (_RENAMING.search(raw) is not None)
    source = _parse("soup.ts", raw)
    _responses_agree(source)
    for node in descendants(source.root):
        if node.type in FUNCTION_TYPES:
            _mentions_agrees(source, node)
