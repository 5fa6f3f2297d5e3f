"""validate-request-input: locations and messages of both findings, options, and the
def-use tracking (analysis.dataflow) it is built on."""

from __future__ import annotations

from rule_harness import run_rule_on_source

from nextaudit.analysis.dataflow import called_function, parameter_bindings, trace
from nextaudit.analysis.syntax import text
from nextaudit.source import SourceFile

RULE = "validate-request-input"
ROUTE = "app/api/items/route.ts"


def findings(
    code: str, path: str = ROUTE, options: dict[str, object] | None = None
) -> list[tuple[int, int, str]]:
    return [
        (f.location.line, f.location.column, f.message)
        for f in run_rule_on_source(RULE, code, path, options or {})
    ]


def test_unvalidated_read_is_reported_on_the_read_call() -> None:
    code = (
        "export async function POST(request: Request) {\n"
        "  const body = await request.json();\n"
        "  return Response.json(body);\n"
        "}\n"
    )
    [(line, column, message)] = findings(code)
    assert (line, column) == (2, 22)
    assert message.startswith("Request body from `request.json()` is never passed to a validator")
    [finding] = run_rule_on_source(RULE, code, ROUTE)
    assert finding.rule_id == RULE
    assert (finding.location.end_line, finding.location.end_column) == (2, 36)


def test_mass_assignment_is_reported_on_the_data_value_with_its_operation() -> None:
    code = (
        "export async function PUT(req: Request) {\n"
        "  const body = Schema.parse(await req.clone().json());\n"
        "  await prisma.user.upsert({ where: { id: body.id }, create: { ...(await req.json()) },\n"
        "    update: body });\n"
        "}\n"
    )
    assert findings(code) == [
        (
            3,
            62,
            "Request body passed straight into Prisma `upsert` as `create` (mass assignment): "
            "validate it and pass only the fields the client may set",
        ),
    ]


def test_both_findings_when_an_unvalidated_body_is_written() -> None:
    code = (
        "export const POST = async (r: Request) => {\n"
        "  const input = await r.json();\n"
        "  return Response.json(await db.post.create({ data: input }));\n"
        "};\n"
    )
    assert [(line, column) for line, column, _ in findings(code)] == [(2, 23), (3, 53)]


def test_helper_read_is_reported_on_the_call_in_the_handler() -> None:
    code = (
        "async function readBody(req: Request) {\n"
        "  return req\n"
        "    .json();\n"
        "}\n"
        "export async function POST(req: Request) {\n"
        "  const body = await readBody(\n"
        "    req,\n"
        "  );\n"
        "  return Response.json(body);\n"
        "}\n"
    )
    [(line, column, message)] = findings(code)
    assert (line, column) == (6, 22)
    assert "`readBody(req,)`" in message


def test_only_route_files_are_checked() -> None:
    code = (
        "export async function POST(req: Request) {\n  return Response.json(await req.json());\n}\n"
    )
    assert findings(code, "lib/handlers.ts") == []
    assert findings(code, "app/feed/page.tsx") == []
    assert [line for line, _, _ in findings(code, "src/app/api/feed/route.js")] == [2]


def test_validators_option_replaces_the_defaults() -> None:
    code = (
        "export async function POST(req: Request) {\n"
        "  const body = await req.json();\n"
        "  ensureValid(body);\n"
        "  return Response.json(Schema.parse(body));\n"
        "}\n"
    )
    assert findings(code) == []
    assert findings(code, options={"validators": ["ensure*"]}) == []
    assert [line for line, _, _ in findings(code, options={"validators": ["*.safeParse"]})] == [2]
    assert [line for line, _, _ in findings(code, options={"validators": ["Other.parse"]})] == [2]
    assert findings(code, options={"validators": ["Schema.parse"]}) == []


def test_json_parse_is_not_a_validator_unless_configured() -> None:
    code = (
        "export async function POST(req: Request) {\n"
        "  return Response.json(JSON.parse(await req.text()));\n"
        "}\n"
    )
    assert [line for line, _, _ in findings(code)] == [2]
    assert findings(code, options={"non-validators": []}) == []


def test_clients_option_names_the_prisma_clients() -> None:
    code = (
        "export async function POST(req: Request) {\n"
        "  const body = Schema.parse(await req.clone().json());\n"
        "  await store.user.create({ data: await req.json() });\n"
        "  return Response.json(body);\n"
        "}\n"
    )
    assert [line for line, _, m in findings(code) if "mass" in m] == []
    assert [
        line for line, _, m in findings(code, options={"clients": ["store"]}) if "mass" in m
    ] == [3]


# --- analysis.dataflow ----------------------------------------------------------------


def _parse(code: str) -> SourceFile:
    return SourceFile.from_bytes("/virtual/lib/x.ts", "lib/x.ts", code.encode())


def _function(source: SourceFile, name: str) -> object:
    for node in source.nodes("(function_declaration name: (identifier) @n) @f", "f"):
        if text(node.child_by_field_name("name")) == name:
            return node
    raise AssertionError(name)


def test_trace_follows_destructuring_aliases_and_callbacks() -> None:
    source = _parse(
        "function f(input) {\n"
        "  const { a, ...rest } = input;\n"
        "  let copy;\n"
        "  copy = rest;\n"
        "  a.items.map((item) => sink(item));\n"
        "  { const input = 1; other(input); }\n"
        "  return copy;\n"
        "}\n"
    )
    function = source.nodes("(function_declaration) @f", "f")[0]
    derived = trace(source, function, bindings=parameter_bindings(function, 0))
    assert sorted(text(b) for b in derived.bindings) == ["a", "copy", "input", "item", "rest"]
    called = sorted(text(call.child_by_field_name("function")) for call, _ in derived.arguments)
    assert called == ["sink"]  # `a` is `.map`'s receiver; `other(input)` sees a shadowing `input`
    returns = {text(r.node): r.function for r in derived.returns}
    assert returns["copy"] == function
    assert returns["sink(item)"] is not None and returns["sink(item)"].type == "arrow_function"
    whole = trace(source, function, bindings=parameter_bindings(function, 0), whole=True)
    assert sorted(text(b) for b in whole.bindings) == ["copy", "input", "rest"]


def test_trace_stops_at_sanitizers_and_tracks_calls_in_returns() -> None:
    source = _parse(
        "function g(raw) {\n"
        "  const value = JSON.parse(raw);\n"
        "  check(value.x);\n"
        "  return wrap(value);\n"
        "}\n"
    )
    function = source.nodes("(function_declaration) @f", "f")[0]
    flow = trace(
        source,
        function,
        bindings=parameter_bindings(function, 0),
        stop_at=lambda call, index: text(call.child_by_field_name("function")) == "check",
    )
    assert [(text(c.child_by_field_name("function")), i) for c, i in flow.stopped] == [("check", 0)]
    assert [(text(r.node), r.through_call) for r in flow.returns] == [("wrap(value)", True)]
    assert flow.used


def test_discarded_value_is_not_used() -> None:
    source = _parse("async function h(req) {\n  await req.json();\n  const unused = req;\n}\n")
    function = source.nodes("(function_declaration) @f", "f")[0]
    read = source.nodes("(call_expression) @c", "c")[0]
    assert not trace(source, function, expressions=[read]).used


def test_called_function_resolves_nested_and_top_level_declarations() -> None:
    source = _parse(
        "function top(x) { return x; }\n"
        "function outer(check) {\n"
        "  const local = (v) => v;\n"
        "  local(1); top(2); check(3); imported(4);\n"
        "}\n"
    )
    calls = {
        text(c.child_by_field_name("function")): called_function(c)
        for c in source.nodes("(call_expression) @c", "c")
    }
    assert calls["local"] is not None and calls["local"].type == "arrow_function"
    assert calls["top"] is not None and text(calls["top"].child_by_field_name("name")) == "top"
    assert calls["check"] is None  # a parameter: could be anything
    assert calls["imported"] is None
