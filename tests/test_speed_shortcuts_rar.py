"""Shortcuts of route-auth-required's guards answer as the slow ways did.

- `refers_only_to` walks a node where `returns_constant` ran the `_REFERENCES` query
  (and `returns_constant` still asks the query of a body with syntax errors);
- `calls_from_bytes` lists the calls of a body as `calls_in` (the `(call_expression)`
  query) does, syntax errors or not; `calls_opened_by` finds the calls behind the `(`
  of a body as the climb through `Node.parent` from the root did; the matcher's
  reachable functions are `flow.reachable_functions`, and `reaches_guard` is a guard
  among `flow.reachable_calls`;
- `GuardMatcher._callee_path` reads from the bytes the `callee_path` of a call;
- `is_guard_call` does not ask route-auth-required's `reads_credential` of calls
  whose callee path ends in a name other than `get`: asked, it says no to them;
- `is_guard_path` reads the file's imports only for a name in `alias_names`: every
  renamed or namespace import's name is there (or `alias_names` is None);
- `NamePatterns` matches a pattern without a glob character by equality, and only the
  globs by `fnmatch`'s regexes;
- `is_api_route` says yes to a path that spells `app/api/` and a segment after it
  without splitting it, as splitting it says.

Run over every function and file of the fixtures, the oddities of `test_name_search`,
the oddities below and fuzzed inputs.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import itertools
import re

import tree_sitter as ts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_name_search import _mutated, _parse, _sources

from nextaudit.analysis.flow import RouteHandler, calls_in, reachable_calls, reachable_functions
from nextaudit.analysis.guards import (
    _CONSTANT_NAMES,
    _REFERENCES,
    GuardMatcher,
    Guards,
    NamePatterns,
    _aliases,
    alias_names,
    callee_path,
    calls_from_bytes,
    calls_opened_by,
    is_api_route,
    refers_only_to,
    returns_constant,
)
from nextaudit.analysis.nextjs import Handler
from nextaudit.analysis.syntax import (
    FUNCTION_TYPES,
    callee_name,
    descendants,
    function_body,
    text,
)
from nextaudit.checks.route_auth_required import CREDENTIAL_READERS, _guards
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


ODD_CALLS = [
    # Calls in their shapes: curried, optional, generic, tagged, parenthesised, spread
    # over lines and comments, imported, dynamic `import()`, `super()`, decorators.
    "function a() { f(g(h())); a.b(c)(d)(e); g(x).then(y); f?.(x); a?.b?.(c); f<T>(x) }",
    "async function a() { await f<T>(x); (0, g)(h(1)); x[f()](y()); (await f())(g) }",
    "function a() { tag`x${f(`y`)}z`; `t`(u); `a``b`; f`x``y`; new X(f()); new (g())(h) }",
    "function a() { f/* ( */(1); f // (\n(2); f\n(3); 'f(4)'; /f(5)/.test(s); `(`; }",
    "class K extends B { constructor() { super(x()); } @d() m() { import('m').then(f) } }",
    "function a() { f!(x); (f as any)(x); (f satisfies F)(x); (<any>f)(x); f?.[k]?.(x) }",
    "const a = () => f(x); const b = () => (g(y)); const c = x => x`t`; const d = () => `(`",
    "function a() { return <div onClick={() => f(x)}>(text) {g(y)}</div> }",
    "function a() { if (x) f(); for (const y of z()) g(y); while (h()) {} switch (i()) {} }",
    "function a() { const { b = f() } = g(); const [c = h()] = i(); return { [j()]: k() } }",
    # Broken code: the query answers there, and the bytes must find the same calls.
    "function a() { f(x; g`y; h) ; i(`; j((k) }",
    "function a() { f x); g 1, 2); a.b(c)(d; f<T>x); new X(; f?.(x; }",
    # Same-file functions reached through each other, cycles included.
    "export async function GET(req) { return step1(req) }\n"
    "function step1(r) { return step2(r) + (0, step3)(r) }\n"
    "const step2 = (r) => step1(r) + auth();\n"
    "const step3 = async function (r) { await verify(r); return step2`x` }",
]


ODD_CALLEES = [
    # Words that are not names where a callee's first name would be.
    "function a() { import.meta.resolve('x'); new.target.call(); true.valueOf(); }",
    "function a() { undefined.x(); null.x(); this.x(); super.x(); this(); import('m') }",
    "class K extends B { m() { super(); super.m(); this.#p(); x.#p?.() } #p() {} }",
    # Names as properties, `$` and `_`, digits, and what is not plain.
    "function a() { x.if(); x.default(); x.new(); $.ajax(); _._(); a1.b2.c3(); $$() }",
    "function a() { a . b(); a.\nb(); a/**/.b(); a.b /* c */ (); a.b\n(); a?.b(); a!.b() }",
    "function a() { a[b](); a['b'](); a.b[0](); (a).b(); (a.b)(); a.b<T>(); a.b?.<T>() }",
    "async function a() { await f<T>(x); await a.b<T>(x); await (f)<T>(x) }",
    "function a() { \\u0061uth(); a\\u0062.c(); café(); caf\u00e9.x(); a.café() }",
    "function a() { async(); get(); set(); of(); let(); static(); type(); declare() }",
    # Curried, tagged, and callees that are themselves calls or templates.
    "function a() { a.b(c)(d); a(b)(c)(d); a.b`x`; a`x``y`; `t`(u); a.b(c).d(e) }",
    "function a() { f\n`x`; f `x`; f<T>`x`; a.b.c`${d.e(f)}` }",
    # Reading credentials, in shapes where the name `get` is and is not the callee's.
    "function a() { headers.get('authorization'); get('secret'); this.get('session') }",
    "function a() { h['get']('secret'); h?.get('session'); h.get<T>('token'); (h.get)('x-api-key') }",
    "class K { #get(k) {} m(h) { this.#get('authorization'); h.get`authorization` } }",
    "async function a() { await get /* c */ <T>('authorization'); await h.get<T>('secret') }",
    "function a() { h.get('authorization').get('session'); h.gets('secret'); h.get2('hmac') }",
    # At the very end of the bytes, and broken.
    "function a() { a.b(",
    "function a() { a.b",
    "function a() { f(x; a.b.c(d; g`",
]


ODD_IMPORTS = [
    # Renamed and namespace imports in their spellings, and names that only look so.
    "import { auth as a, getUser } from 'x'; import * as ns from 'y'; a(); ns.auth(); getUser()",
    "import def, * as ns from 'y'; import { 'auth' as b } from 'x'; b(); ns.getUser()",
    "import {auth\tas\x0bc} from 'x'; import {auth/* c */as d} from 'x'; c(); d()",
    "import {auth as // c\n e} from 'x'; import * as\nf from 'y'; e(); f.auth()",
    "import {auth as\u00a0g} from 'x'; import {auth as h\u00e9} from 'x'; g(); h\u00e9()",
    "import {auth as \\u0069} from 'x'; import {auth as j\\u006b} from 'x'; i(); jk()",
    "import { auth as auth } from 'x'; import { default as k } from 'x'; auth(); k()",
    "import type { Auth as L } from 'x'; export { auth as m } from 'x'; m(); const n = x as any",
    "const o = require('x'); const { auth: p } = require('x'); o.auth(); p()",
    "import q = require('x'); q.auth(); const r = (x as s); s(); alias.as; t.as(); as()",
    "// such as\nimport { auth as u } from 'x'; u(); 'as v'; `as ${w}`; /as x/; v(); x()",
    "import { auth as y } from 'x' /* as z */; y(); z(); function f() { return y() }",
    "import {auth as 1a} from 'x'; a()",
]


def _chain(count: int) -> str:
    """More same-file functions than `reaches_guard` follows: each calls the next two
    and a guard named after itself, behind calls that are not functions of the file."""
    lines = ["export function GET() { (0, g)(x[f1()](f2())) }"]
    for i in range(1, count):
        lines.append(f"function f{i}() {{ x[f{i + 1}()](f{i + 2}()); auth{i}() }}")
    return "\n".join(lines)


def _odd_sources() -> list[tuple[str, bytes]]:
    codes = [*ODD_BODIES, *ODD_CALLS, *ODD_CALLEES, *ODD_IMPORTS, _chain(70), _chain(140)]
    return [(f"odd-{i}.tsx", code.encode("utf-8")) for i, code in enumerate(codes)]


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


# --- calls from the bytes ----------------------------------------------------------------


def _slow_calls_opened(source: SourceFile, body: ts.Node) -> list[ts.Node]:
    """The calls behind the `(` of a body, found as `_leading_call_guards` found them
    before: the token at each `(`, then `Node.parent` twice."""
    content = source.content
    found: list[ts.Node] = []
    at = content.find(b"(", body.start_byte, body.end_byte)
    while at != -1:
        token = source.root.descendant_for_byte_range(at, at + 1)
        arguments = token.parent if token is not None and token.type == "(" else None
        if arguments is not None and arguments.type == "arguments":
            call = arguments.parent
            if call is not None and call.type == "call_expression":
                found.append(call)
        at = content.find(b"(", at + 1, body.end_byte)
    return found


# Guards of the rule's defaults, without and with its extra evidence, and guards of
# the names that the odd sources call (so that the walk over every call gets to say
# yes as well as no).
_GUARDS = [
    _guards(("auth", "getUser", "*.auth.getUser"), ("with*Auth*",), False),
    _guards(("auth", "getUser", "*.auth.getUser"), ("with*Auth*",), True),
    Guards(NamePatterns.parse(["auth63", "verify", "g", "*.then", "tag"])),
]


def _check_calls(source: SourceFile) -> None:
    for function in _functions(source):
        body = function_body(function)
        if body is None:
            continue
        assert calls_from_bytes(source, body) == calls_in(function, source)
        assert list(calls_opened_by(source, body, b"(")) == _slow_calls_opened(source, body)
        for guards in _GUARDS:
            matcher = GuardMatcher(source, guards)
            assert matcher._reachable_functions(function) == reachable_functions(function, source)
            # The leading calls are calls of the body: what they find, this finds.
            slow = any(matcher.is_guard_call(c) for c in reachable_calls(function, source))
            assert matcher.reaches_guard(function) == slow


def _check_callee_paths(source: SourceFile) -> None:
    matcher = GuardMatcher(source, _GUARDS[0])
    for call in descendants(source.root):
        if call.type == "call_expression":
            assert matcher._callee_path(call) == callee_path(call), source.node_text(call)


def _check_call_hints(source: SourceFile) -> None:
    guards = _GUARDS[1]
    matcher = GuardMatcher(source, guards)
    asking_all = GuardMatcher(source, dataclasses.replace(guards, call_hint_names=None))
    for call in descendants(source.root):
        if call.type != "call_expression":
            continue
        assert matcher.is_guard_call(call) == asking_all.is_guard_call(call)
        # What the shortcut rests on: a callee named `get` has it last on its path.
        path = callee_path(call)
        if callee_name(call) in CREDENTIAL_READERS:
            assert path is None or path[-1] in CREDENTIAL_READERS


def _check_aliases(source: SourceFile) -> None:
    renamed, namespaces = _aliases(source)
    names = alias_names(source)
    assert names is None or (set(renamed) | namespaces) <= names
    heads = {text(n) for n in descendants(source.root) if n.type == "identifier"}
    for guards in (_GUARDS[0], _GUARDS[2]):
        matcher = GuardMatcher(source, guards)
        for head in sorted(heads)[:60]:
            for path in [(head,), (head, "auth"), (head, "getUser"), (head, "x", "auth")]:
                slow = any(guards.path_guards(p) for p in matcher._spellings(path))
                assert matcher.is_guard_path(path) == slow, path


def test_callee_paths_on_fixtures_and_oddities() -> None:
    for source in _all_sources():
        _check_callee_paths(source)
        _check_call_hints(source)
        _check_aliases(source)


def test_calls_on_fixtures_and_oddities() -> None:
    for source in _all_sources():
        _check_calls(source)


def test_the_chains_reach_past_the_bound() -> None:
    # The walk over same-file functions stops at 64 of them (the handler and f1..f63):
    # the chains must get there for the comparison above to cover the bound.
    for count in (70, 140):
        source = _parse("chain.ts", _chain(count).encode("utf-8"))
        handler = next(f for f in _functions(source) if f.type == "function_declaration")
        assert len(reachable_functions(handler, source)) == 64
        for guard, reached in (("auth63", True), ("auth64", False)):
            matcher = GuardMatcher(source, Guards(NamePatterns.parse([guard])))
            assert matcher.reaches_guard(handler) == reached


# --- name patterns ----------------------------------------------------------------------


def _slow_name_matches(patterns: NamePatterns, name: str | None) -> bool:
    """As `NamePatterns.name_matches` was: one regex of every plain pattern."""
    if name is None or not patterns.plain:
        return False
    regex = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns.plain))
    return regex.match(name) is not None


def _slow_path_matches(patterns: NamePatterns, path: tuple[str | None, ...]) -> bool:
    """As `NamePatterns.path_matches` was: `fnmatchcase` for every segment."""
    if len(path) == 1:
        return _slow_name_matches(patterns, path[0])
    for pattern in patterns.dotted:
        tail = pattern[1:] if pattern[0] == "*" else pattern
        if pattern[0] == "*" and len(path) <= len(tail):
            continue
        if pattern[0] != "*" and len(path) != len(pattern):
            continue
        segments = path[len(path) - len(tail) :]
        pairs = zip(segments, tail, strict=True)
        if all(s is not None and fnmatch.fnmatchcase(s, p) for s, p in pairs):
            return True
    return False


_DEFAULT_NAMES = [
    "auth",
    "getServerSession",
    "getUser",
    "*.auth.getUser",
    "with*Auth*",
    "withSession",
    "protect*",
    "rate?limit",
    "[gs]etUser",
    "a[",
    "a]b",
    "a$b",
    "a+b",
    "(a)",
    "a\\b",
    "*",
    "*.*",
    "x.*.y",
]
_NAMES = [
    "auth",
    "Auth",
    "authx",
    "getUser",
    "setUser",
    "withAuth",
    "withXAuthY",
    "withSession",
    "protectRoute",
    "ratelimit",
    "rate-limit",
    "a[",
    "a]b",
    "a$b",
    "aab",
    "(a)",
    "a\\b",
    "x",
    "y",
    "",
    "auth\n",
]


def test_name_patterns_as_fnmatch() -> None:
    patterns = NamePatterns.parse(_DEFAULT_NAMES)
    for name in [*_NAMES, None]:
        assert patterns.name_matches(name) == _slow_name_matches(patterns, name), name
        for receiver in [None, "x", "supabase"]:
            path = (receiver, "auth", name)
            assert patterns.path_matches(path) == _slow_path_matches(patterns, path)


_PATTERN_CHARACTERS = st.sampled_from([*"ab*?[]!.$\\^+(){}|-", "auth", "get", "User"])


@settings(max_examples=300, deadline=None)
@given(
    raw=st.lists(st.lists(_PATTERN_CHARACTERS, max_size=6).map("".join), max_size=5),
    names=st.lists(st.lists(_PATTERN_CHARACTERS, max_size=6).map("".join), max_size=6),
)
def test_name_patterns_as_fnmatch_on_soup(raw: list[str], names: list[str]) -> None:
    patterns = NamePatterns.parse(raw)
    for name in names:
        assert patterns.name_matches(name) == _slow_name_matches(patterns, name)
        for path in [(name, name), ("x", name, "y"), (name, "auth", name)]:
            assert patterns.path_matches(path) == _slow_path_matches(patterns, path)


# --- api routes -------------------------------------------------------------------------


def _slow_is_api_route(rel_path: str) -> bool:
    """As `is_api_route` was: the path's directory parts, route groups left out."""
    segments = [p for p in rel_path.split("/") if p and p != "."]
    parts = [p for p in segments[:-1] if not (p.startswith("(") and p.endswith(")"))]
    return any(a == "app" and b == "api" for a, b in itertools.pairwise(parts))


ODD_PATHS = [
    "app/api/route.ts",
    "app/api/x/route.ts",
    "src/app/api/x/route.ts",
    "apps/web/app/api/x/route.ts",
    "./app/api/x/route.ts",
    "app/api/",
    "app/api//",
    "app/api/./",
    "app/api/../route.ts",
    "app/api/..",
    "x/app/api",
    "app/(group)/api/x/route.ts",
    "app/api/(group)/route.ts",
    "(app)/api/x/route.ts",
    "myapp/api/x/route.ts",
    "app/apis/x/route.ts",
    "app//api/x/route.ts",
    "app/./api/x/route.ts",
    "/app/api/x/route.ts",
    "app/api/app/api/route.ts",
    "app/api/.x",
    "app/api/ /route.ts",
]


def test_api_routes_on_fixtures_and_oddities() -> None:
    paths = [rel for _path, rel, _raw in _sources()] + ODD_PATHS
    for rel in paths:
        assert is_api_route(rel) == _slow_is_api_route(rel), rel


_SEGMENTS = st.sampled_from(["app", "api", "(g)", ".", "..", "", "x", "route.ts", "apps", "api2"])


@settings(max_examples=500, deadline=None)
@given(st.lists(_SEGMENTS, max_size=7).map("/".join))
def test_api_routes_on_soup(rel_path: str) -> None:
    assert is_api_route(rel_path) == _slow_is_api_route(rel_path)


# --- fuzzed inputs -----------------------------------------------------------------------

CHECKS = [
    _check_references,
    _check_calls,
    _check_callee_paths,
    _check_call_hints,
    _check_aliases,
]

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
        "f(",
        "a.b(c)",
        "tag`",
        "?.(",
        "(0, g)",
        "function h() { auth() }",
        "h()",
        "a.b.c(",
        "import.meta.x(",
        "this.",
        "\\u0061",
        "<T>",
        "!",
        ".get('authorization')",
        "get(",
        "'session'",
        "import { auth as a } from 'x';",
        "import * as ns from 'y';",
        " as ",
        "a()",
        "ns.auth()",
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
