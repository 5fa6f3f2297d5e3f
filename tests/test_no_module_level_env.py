"""no-module-level-env: what fixtures cannot say (columns, messages, one finding per
destructuring) and the shared `glob_match` helper its `allow-files` option uses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rule_harness import run_rule_on_source

from nextaudit.analysis.paths import glob_match
from nextaudit.context import RuleContext
from nextaudit.findings import Finding
from nextaudit.registry import default_registry
from nextaudit.source import SourceFile

RULE = "no-module-level-env"
ADVICE = "read environment variables inside an async factory function instead"


def findings(code: str, options: dict[str, object] | None = None) -> list[Finding]:
    return run_rule_on_source(RULE, code, "lib/config.ts", options)


def test_finding_is_on_the_process_env_expression() -> None:
    [finding] = findings("export const key = process.env.OPENAI_API_KEY;\n")
    location = finding.location
    assert finding.rule_id == RULE
    assert (location.line, location.column, location.end_line, location.end_column) == (
        1,
        20,
        1,
        31,
    )
    assert finding.snippet == "process.env"
    assert finding.message == f"Reads `process.env.OPENAI_API_KEY` at module level: {ADVICE}"


def test_process_subscript_env_is_located_on_that_expression() -> None:
    [finding] = findings('const url = process["env"].DATABASE_URL;\n')
    assert (finding.location.column, finding.location.end_column) == (13, 27)
    assert finding.snippet == 'process["env"]'
    assert "`process.env.DATABASE_URL`" in finding.message


def test_destructuring_of_several_names_is_one_finding_naming_them_all() -> None:
    code = "const {\n  DATABASE_URL,\n  DIRECT_URL: direct,\n} = process.env;\n"
    [finding] = findings(code)
    assert (finding.location.line, finding.location.column) == (4, 5)
    assert finding.message == (
        f"Reads `process.env.DATABASE_URL` and `process.env.DIRECT_URL` at module level: {ADVICE}"
    )


@pytest.mark.parametrize(
    ("code", "named"),
    [
        ("const v = process.env[key];", "`process.env[key]`"),
        ('const v = process.env["my-flag"];', '`process.env["my-flag"]`'),
        ("configure(process.env);", "the whole `process.env`"),
        ("const { A, ...rest } = process.env;", "`process.env.A` and the rest of `process.env`"),
        ('const v = "CI" in process.env;', "`process.env.CI`"),
    ],
)
def test_message_names_what_is_read(code: str, named: str) -> None:
    [finding] = findings(code + "\n")
    assert finding.message == f"Reads {named} at module level: {ADVICE}"


def test_read_through_an_alias_is_located_on_the_alias() -> None:
    code = "const { env: vars } = process;\nexport const region = vars.AWS_REGION;\n"
    [finding] = findings(code)
    assert (finding.location.line, finding.location.column, finding.location.end_column) == (
        2,
        23,
        27,
    )
    assert finding.snippet == "vars"
    assert "`process.env.AWS_REGION`" in finding.message


def test_require_async_factory_names_the_sync_function_problem() -> None:
    code = "export function url() {\n  return process.env.DATABASE_URL;\n}\n"
    assert findings(code) == []
    [finding] = findings(code, {"require-async-factory": True})
    assert (finding.location.line, finding.location.column) == (2, 10)
    assert finding.message == (
        "Reads `process.env.DATABASE_URL` in a function that is not async: "
        "read environment variables inside an async factory function instead"
    )


def test_deep_nesting_does_not_recurse() -> None:
    depth = 3000
    code = "const a = " + "[" * depth + "process.env.DEEP" + "]" * depth + ";\n"
    code += "function f() {\n" * depth + "process.env.INNER;\n" + "}\n" * depth
    [finding] = findings(code)
    assert finding.location.line == 1


@pytest.mark.parametrize(
    ("path", "globs", "expected"),
    [
        ("src/env.ts", ["src/env.ts"], True),
        ("src/lib/env.ts", ["src/env.ts"], False),  # a glob with a slash is anchored
        ("packages/web/env.ts", ["env.ts"], True),  # a bare name matches at any depth
        ("lib/ai-models.ts", ["**/lib/ai-models.ts"], True),  # `**/` may match nothing
        ("apps/api/lib/ai-models.ts", ["**/lib/ai-models.ts"], True),
        ("lib/ai-models/openai.ts", ["**/lib/ai-models/**"], True),
        ("config/env/server.ts", ["config/"], True),  # a directory covers its contents
        ("next.config.mjs", ["*.config.mjs"], True),
        ("lib/env.ts", ["lib/*.ts", "!lib/env.ts"], False),  # a later `!` takes it back
        ("./src/env.ts", ["src/env.ts"], True),
        ("src/env.ts", [], False),
        ("src/env.ts", [""], False),
    ],
)
def test_glob_match(path: str, globs: list[str], expected: bool) -> None:
    assert glob_match(path, globs) is expected


# --- the pre-filter ----------------------------------------------------------------------
def run_without_tree(code: str, monkeypatch: pytest.MonkeyPatch) -> list[Finding]:
    """The check on `code` with the tree out of reach: it must not ask for it."""
    source = SourceFile.from_bytes("/virtual/lib/config.ts", "lib/config.ts", code.encode())
    monkeypatch.setattr(source, "tree", None)  # any use of the tree now raises
    rule = default_registry()[RULE]
    ctx = RuleContext(rule, rule.severity, {}, source)
    default_registry().file_check(RULE)(source, ctx)
    return ctx.findings


@pytest.mark.parametrize(
    "code",
    [
        "export const port = Number(config.port);\n",
        "const env = loadConfig();\nexport const port = env.PORT;\n",  # no `process`
        "export const args = process.argv.slice(2);\n",  # no `env`
        # A backslash, but none that could spell either word.
        'export const sep = "\\n";\nexport const p = process.argv;\n',
    ],
)
def test_files_without_env_and_process_never_reach_the_tree(
    code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_without_tree(code, monkeypatch) == []


@pytest.mark.parametrize(
    "code",
    [
        'export const a = process["\\u0065nv"].A;\n',  # the key spelled with escapes
        'export const a = process["\\x65nv"].A;\n',
        'const { "\\u{65}nv": e } = process;\nexport const a = e.A;\n',
        'import p from "node:pro\\cess";\nexport const a = p.env.A;\n',  # `\c` is a `c`
        'import { env as e } from "pro\\cess";\nexport const a = e.A;\n',
    ],
)
def test_escapes_that_spell_env_or_process_get_through_the_filter(code: str) -> None:
    [finding] = findings(code)
    assert finding.message.startswith("Reads `process.env.A` at module level")


@pytest.mark.parametrize(
    "at",
    ["@", "@/* c */ ", "@// c\n", "@ /* c */", "@\n"],
    ids=["bare", "block-comment", "line-comment", "space", "newline"],
)
def test_parameter_decorators_are_found_whatever_follows_the_at(at: str) -> None:
    """`_runs_at_import` skips the search for decorators only in files whose bytes hold
    no `@` that can start one (the `@/` of an import alias cannot)."""
    code = (
        'import { Inject } from "@/lib/di";\n'
        "export class Store {\n"
        f"  constructor({at}Inject(process.env.URL) private readonly url: string) {{}}\n"
        "}\n"
    )
    assert [f.snippet for f in findings(code)] == ["process.env"]


def test_decorators_are_not_looked_for_after_an_import_alias_only() -> None:
    from nextaudit.checks.no_module_level_env import _DECORATOR_START

    assert _DECORATOR_START.search(b'import x from "@/lib/x"; "@/a"') is None
    for spelled in (b"@x", b"@/*", b"@//", b"@ ", b"@\n", b"@", b"a@b.c"):
        assert _DECORATOR_START.search(spelled) is not None, spelled


# --- `_declarations` skips names a `.` follows ------------------------------------------


def _declared(source: SourceFile, name: str) -> list[tuple[int, int]]:
    from nextaudit.analysis.syntax import bind_tree
    from nextaudit.checks.no_module_level_env import _declarations

    bind_tree(source.root)
    try:
        return [(node.start_byte, node.end_byte) for node in _declarations(source, name)]
    finally:
        bind_tree(None)


def _declared_both_ways(
    source: SourceFile, name: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    from nextaudit.checks import no_module_level_env

    fast = _declared(source, name)
    with monkeypatch.context() as patched:
        patched.setattr(no_module_level_env, "_not_before_dot", lambda content, end: True)
        slow = _declared(source, name)
    return fast, slow


def test_declarations_on_the_fixtures_are_found_without_the_dot_shortcut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from conftest import FIXTURES

    from nextaudit.discovery import discover

    checked = 0
    for root in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for path in discover([root], root).files:
            source = SourceFile.from_bytes(path.as_posix(), path.name, path.read_bytes())
            for name in ("process", "env", "config", "e"):
                fast, slow = _declared_both_ways(source, name, monkeypatch)
                assert fast == slow, (path, name)
                checked += len(fast)
    assert checked


_BINDINGS = st.tuples(
    st.sampled_from(["const ", "let ", "function f(", "(", "[", "{ ", "catch (", "for (const "]),
    st.sampled_from(["process", "env", "{ env }", "...process", "process = 1"]),
    st.sampled_from([".", ". ", ".5", "...", "", " ", ",", ")", "]", "}", " of x)", "=>", ": T"]),
    st.sampled_from(["env", "x", "", "1", "{}", "process.env.A"]),
    st.sampled_from([";", "\n", ") {}", "}", ", ", ""]),
).map("".join)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_BINDINGS, max_size=6))
def test_declarations_are_found_without_the_dot_shortcut_on_any_tree(parts: list[str]) -> None:
    source = SourceFile.from_bytes("/v/a.ts", "a.ts", "".join(parts).encode())
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in ("process", "env"):
            fast, slow = _declared_both_ways(source, name, monkeypatch)
            assert fast == slow, name
