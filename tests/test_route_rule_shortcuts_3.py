"""Round-3 shortcuts of the route rules answer as the slow ways did.

- validate-request-input: a compiled `CalleeList` matches a callee exactly when one
  of its `CalleePattern`s does, and asks for the imported name no more than they do;
  `_request_bindings` reads the parameters once and finds what `parameter_bindings`
  finds;
- `nextjs.exports` finds the `default` keyword of export statements from the bytes
  before their declaration.

Run over every call of every fixture file, the oddities of `test_name_search`, the
oddities below and fuzzed inputs.
"""

from __future__ import annotations

import functools

import tree_sitter as ts
from hypothesis import given, settings
from hypothesis import strategies as st
from test_name_search import _parse, _sources

from nextaudit.analysis.dataflow import parameter_bindings
from nextaudit.analysis.nextjs import exports, top_level_statements
from nextaudit.analysis.syntax import (
    FUNCTION_TYPES,
    descendants,
    function_parameters,
    parameter_pattern,
    text,
    unwrap,
)
from nextaudit.checks.validate_request_input import (
    REQUEST_NAMES,
    CalleePattern,
    _Callee,
    _callee_patterns,
    _request_bindings,
)
from nextaudit.registry import default_registry

_OPTIONS = default_registry()["validate-request-input"].options
DEFAULT_LISTS = [
    tuple(str(v) for v in _OPTIONS[name].default)  # type: ignore[attr-defined]
    for name in ("validators", "non-validators")
]
ODD_LISTS = [
    (),
    ("*",),
    ("*.*",),
    ("validate*", "*.check?", "a.*.parse", "a*.b", "[ab].parse", "*.[!x]*"),
    ("x.y.z", ".parse", "parse.", "*.", "**.*", "a.b.c.d"),
]
ODD_CALLS = [
    "parse(b); safeParse(b); validateBody(b); check(b); x.check1(b); a.b.parse(b)",
    "a.x.y.parse(b); ab.parse(b); aa.b(b); b.parse(b); z.xyz(b); JSON.parse(b)",
    "(Schema.parse)(b); (Schema as any).parse(b); Schema!.parse(b); a?.b?.parse(b)",
    "this.parse(b); super.parse(b); a['parse'](b); a[k](b); f()(b); new X(b)",
    "import { parse as p, check as validate } from 'v'; p(b); validate(b); q(b)",
    "x.y.z(b); parse.x(b); a.b.c.d(b); a.b.c.d.e(b); `t`.parse(b); (a || b).parse(b)",
]


def _slow(patterns: tuple[CalleePattern, ...], callee: _Callee, imported: dict[str, str]) -> bool:
    return any(p.matches_callee(callee, lambda n: imported.get(n, n)) for p in patterns)


def _ask(imported: dict[str, str], asked: list[str], name: str) -> str:
    asked.append(name)
    return imported.get(name, name)


def _check_lists(source_text: bytes, rel: str = "x.ts") -> None:
    source = _parse(rel, source_text)
    imported = {"p": "parse", "validate": "check", "q": "validateBody"}
    calls = [n for n in descendants(source.root) if n.type == "call_expression"]
    for entries in [*DEFAULT_LISTS, *ODD_LISTS]:
        compiled = _callee_patterns(entries)
        for call in calls:
            function = call.child_by_field_name("function")
            if function is None:
                continue
            asked: list[str] = []
            ask = functools.partial(_ask, imported, asked)
            slow = _slow(compiled.patterns, _Callee(unwrap(function)), imported)
            assert compiled.matches(_Callee(unwrap(function)), ask) == slow, (entries, text(call))
            # The imports are read only where some pattern would have read them.
            if asked:
                assert any(p.receiver is None for p in compiled.patterns)


def test_callee_lists_on_fixtures_and_oddities() -> None:
    for _path, rel, raw in _sources():
        _check_lists(raw, rel)
    for code in ODD_CALLS:
        _check_lists(code.encode("utf-8"))


_NAMES = st.sampled_from(["parse", "safeParse", "a", "b", "JSON", "check1", "validateX", "*"])


@settings(max_examples=150, deadline=None)
@given(
    chain=st.lists(_NAMES.filter(lambda n: n != "*"), min_size=1, max_size=4),
    entries=st.lists(
        st.lists(_NAMES | st.sampled_from(["*", "?arse", "[ab]"]), min_size=1, max_size=3).map(
            ".".join
        ),
        max_size=6,
    ),
)
def test_callee_lists_on_random_patterns(chain: list[str], entries: list[str]) -> None:
    code = f"{'.'.join(chain)}(body); {chain[-1]}(body)"
    source = _parse("x.ts", code.encode("utf-8"))
    compiled = _callee_patterns(tuple(entries))
    for call in (n for n in descendants(source.root) if n.type == "call_expression"):
        function = call.child_by_field_name("function")
        assert function is not None
        callee = _Callee(unwrap(function))
        slow = _slow(compiled.patterns, callee, {})
        assert compiled.matches(_Callee(unwrap(function)), lambda n: n) == slow


def _slow_request_bindings(function: ts.Node) -> list[ts.Node]:
    params = function_parameters(function)
    if not params:
        return []
    if parameter_pattern(params[0]).type in ("identifier", "assignment_pattern"):
        return parameter_bindings(function, 0)
    return [node for node in parameter_bindings(function, 0) if text(node) in REQUEST_NAMES]


ODD_FUNCTIONS = [
    "function f(this: W, req: Request) {}",
    "function f(this: W, { req, user }: C) {}",
    "const f = async ({ req, request: r, user }) => {}",
    "const f = (req = new Request('x')) => {}",
    "const f = ([req]) => {}; const g = req => req; function h() {}",
    "function f(this) {} function g(this: X) {}",
    "function f(/* c */ { req, ...rest }, ctx) {}",
]


def test_request_bindings_on_fixtures_and_oddities() -> None:
    extra = [("odd.ts", "odd.ts", code.encode("utf-8")) for code in ODD_FUNCTIONS]
    for _path, rel, raw in [*_sources(), *extra]:
        source = _parse(rel, raw)
        for node in descendants(source.root):
            if node.type in FUNCTION_TYPES:
                assert _request_bindings(node) == _slow_request_bindings(node)


ODD_EXPORTS = [
    "export default function GET() {}\nexport async function POST() {}",
    "export /* default */ function GET() {}\nexport default class K {}",
    "@dec('default') export class A {}\n@dec export default class B {}",
    "export const defaultValue = 1; export default defaultValue;",
    "export default async () => {}; export { a as default } from 'm'",
    "export // default\n default function f() {}",
    "export d\\u0065fault function f() {}",
]


def test_default_exports_on_fixtures_and_oddities() -> None:
    """`exports` finds the `default` keyword of the statements that have one, though it
    looks at their children only where the bytes before the declaration spell it."""
    extra = [("odd.ts", "odd.ts", code.encode("utf-8")) for code in ODD_EXPORTS]
    for _path, rel, raw in [*_sources(), *extra]:
        source = _parse(rel, raw)
        fast = [(e.statement.id, e.node.id) for e in exports(source) if e.node.type == "default"]
        slow = [
            (statement.id, child.id)
            for statement in top_level_statements(source)
            if statement.type == "export_statement"
            for child in statement.children
            if child.type == "default"
        ]
        assert fast == slow
