"""cors-allow-any-origin: the finding sits on the "*" and is an error with credentials."""

from __future__ import annotations

from pathlib import Path

from conftest import FIXTURES
from rule_harness import run_rule_on_source, run_rule_on_tree

from nextaudit.findings import Severity
from nextaudit.registry import default_registry

RULE = "cors-allow-any-origin"
ANY = (
    "`Access-Control-Allow-Origin: *` lets every website read this response: allow an "
    "explicit list of trusted origins"
)


def findings(code: str, path: str = "app/api/x/route.ts") -> list[tuple[int, int, Severity, str]]:
    return [
        (f.location.line, f.location.column, f.severity, f.message)
        for f in run_rule_on_source(RULE, code, path)
    ]


def test_wildcard_alone_is_a_warning_on_the_value() -> None:
    code = 'const h = { "Access-Control-Allow-Origin": "*" };\n'
    assert findings(code) == [(1, 44, Severity.WARNING, ANY)]
    only = run_rule_on_source(RULE, code, "app/api/x/route.ts")[0]
    assert (only.location.end_line, only.location.end_column) == (1, 47)
    assert default_registry()[RULE].severity is Severity.WARNING


def test_credentials_in_the_same_object_make_it_an_error() -> None:
    code = (
        "const h = {\n"
        '  "Access-Control-Allow-Credentials": "true",\n'
        '  "Access-Control-Allow-Origin": "*",\n'
        "};\n"
    )
    [(line, column, severity, message)] = findings(code)
    assert (line, column, severity) == (3, 34, Severity.ERROR)
    assert message.startswith(
        "`Access-Control-Allow-Origin: *` together with `Access-Control-Allow-Credentials: true`"
    )


def test_setter_sequence_counts_per_receiver_and_function() -> None:
    code = (
        "function a(res: Response) {\n"
        '  res.headers.set("Access-Control-Allow-Origin", "*");\n'
        '  res.headers.set("Access-Control-Allow-Credentials", "true");\n'
        "}\n"
        "function b(res: Response) {\n"
        '  res.headers.set("Access-Control-Allow-Origin", "*");\n'
        "}\n"
        "function c(res: Response) {\n"
        '  res.headers.set("Access-Control-Allow-Credentials", "true");\n'
        "}\n"
    )
    assert [(line, severity) for line, _, severity, _ in findings(code)] == [
        (2, Severity.ERROR),
        (6, Severity.WARNING),
    ]


def test_credentials_false_or_elsewhere_stay_warnings() -> None:
    code = (
        'const a = { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Credentials": "false" };\n'
        'const b = { "Access-Control-Allow-Credentials": "true", nested: { "Access-Control-Allow-Origin": "*" } };\n'
    )
    assert [(line, severity) for line, _, severity, _ in findings(code)] == [
        (1, Severity.WARNING),
        (2, Severity.WARNING),
    ]


def test_fixture_severities() -> None:
    root = (FIXTURES / RULE).resolve()
    errors = {
        (Path(f.path).relative_to(root).as_posix(), f.location.line)
        for f in run_rule_on_tree(RULE, root)
        if f.severity is Severity.ERROR
    }
    assert errors == {
        ("app/api/account/route.ts", 8),
        ("app/api/account/route.ts", 26),
        ("lib/cors.js", 4),
        ("lib/cors.js", 36),
        ("lib/cors.js", 51),
        ("pages/api/legacy.ts", 13),
        ("next.config.mjs", 18),
    }
