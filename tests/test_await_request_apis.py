"""await-request-apis: where findings land and what their messages say."""

from __future__ import annotations

from rule_harness import run_rule_on_source

RULE = "await-request-apis"


def findings(code: str, path: str = "app/api/x/route.ts") -> list[tuple[int, int, str]]:
    return [
        (f.location.line, f.location.column, f.message)
        for f in run_rule_on_source(RULE, code, path)
    ]


def test_direct_call_is_reported_on_the_call_with_the_fix() -> None:
    code = 'import { cookies } from "next/headers";\nconst t = () => cookies().get("t");\n'
    [(line, column, message)] = findings(code)
    assert (line, column) == (2, 17)
    assert message == "`cookies()` returns a Promise in Next.js 15: `await` it before use"
    result = run_rule_on_source(RULE, code, "app/api/x/route.ts")[0]
    assert (result.location.end_line, result.location.end_column) == (2, 26)
    assert result.rule_id == RULE


def test_renamed_and_namespace_calls_name_the_api_and_start_at_the_callee() -> None:
    code = (
        'import { draftMode as dm } from "next/headers";\n'
        'import * as nh from "next/headers";\n'
        "export async function GET() {\n"
        "  return [dm().isEnabled, nh.headers().get('x')];\n"
        "}\n"
    )
    assert findings(code) == [
        (4, 11, "`draftMode()` returns a Promise in Next.js 15: `await` it before use"),
        (4, 27, "`headers()` returns a Promise in Next.js 15: `await` it before use"),
    ]


def test_default_import_of_the_module_counts_as_a_namespace() -> None:
    code = 'import nh from "next/headers";\nexport const x = () => nh.cookies().size;\n'
    assert [(line, column) for line, column, _ in findings(code)] == [(2, 24)]


def test_stored_promise_is_reported_once_at_the_call_naming_the_first_sync_use() -> None:
    code = (
        'import { cookies } from "next/headers";\n'
        "export async function GET() {\n"
        "  const jar = cookies();\n"
        "  await jar;\n"
        "  jar.get('a');\n"
        "  jar.get('b');\n"
        "}\n"
    )
    assert findings(code) == [
        (
            3,
            15,
            "`cookies()` returns a Promise in Next.js 15: `await` it before use"
            " (`jar` is used without `await` on line 5)",
        )
    ]


def test_alias_chain_is_followed_and_named() -> None:
    code = (
        'import { headers } from "next/headers";\n'
        "export function f() {\n"
        "  const a = headers();\n"
        "  const b = a;\n"
        "  let c;\n"
        "  c = b;\n"
        "  return c.get('x');\n"
        "}\n"
    )
    [(line, _column, message)] = findings(code)
    assert line == 3
    assert message.endswith("(`c` is used without `await` on line 7)")


def test_reassigned_variable_stops_being_the_promise() -> None:
    code = (
        'import { headers } from "next/headers";\n'
        "export async function f() {\n"
        "  let h = headers();\n"
        "  h = await h;\n"
        "  return h.get('x');\n"
        "}\n"
    )
    assert findings(code) == []


def test_without_a_next_headers_import_nothing_is_flagged() -> None:
    code = (
        "function cookies() { return new Map(); }\n"
        "export const headers = () => new Headers();\n"
        "cookies().get('a'); headers().get('b');\n"
    )
    assert findings(code, "lib/local.ts") == []


def test_deep_nesting_does_not_recurse() -> None:
    depth = 5000
    code = (
        'import { cookies } from "next/headers";\n'
        + "const x = "
        + "[" * depth
        + "(((cookies()))).get('a')"
        + "]" * depth
        + ";\n"
    )
    assert [(line, column) for line, column, _ in findings(code, "lib/deep.js")] == [
        (2, len("const x = ") + depth + len("(((") + 1)
    ]


def test_deep_nesting_of_a_promise_in_literals_passed_to_a_function() -> None:
    depth = 3000
    code = (
        'import { headers } from "next/headers";\n'
        + "send("
        + "{ a: " * depth
        + "headers()"
        + " }" * depth
        + ");\n"
    )
    [(line, column, _message)] = findings(code, "lib/deep.ts")
    assert (line, column) == (2, 6 + 5 * depth)
