"""no-sensitive-logging: where findings land and what their messages say."""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st
from rule_harness import run_rule_on_source

from nextaudit.analysis import prefilter
from nextaudit.checks.no_sensitive_logging import (
    _SENSITIVE_BYTES,
    DEFAULT_SENSITIVE,
    FOLDS_TO_ASCII,
    _logging_calls,
    may_hold_default_sensitive_name,
)
from nextaudit.discovery import discover
from nextaudit.registry import default_registry
from nextaudit.source import SourceFile

RULE = "no-sensitive-logging"
ADVICE = "never log secrets, credentials or whole requests; log an id or a redacted value instead"


def findings(
    code: str, path: str = "app/api/x/route.ts", options: dict[str, object] | None = None
) -> list[tuple[int, int, str]]:
    return [
        (f.location.line, f.location.column, f.message)
        for f in run_rule_on_source(RULE, code, path, options)
    ]


def test_reported_once_per_call_on_the_first_sensitive_argument() -> None:
    code = 'console.log("login", email, password, { token });\n'
    assert findings(code, "lib/a.ts") == [(1, 29, f"`console.log(...)` logs `password`: {ADVICE}")]


def test_message_names_the_whole_request_and_its_headers() -> None:
    code = (
        "export async function POST(req: Request) {\n"
        "  console.log(req);\n"
        "  logger.info({ h: req.headers });\n"
        "}\n"
    )
    assert findings(code) == [
        (2, 15, f"`console.log(...)` logs the whole request `req`: {ADVICE}"),
        (3, 20, f"`logger.info(...)` logs the request headers `req.headers`: {ADVICE}"),
    ]


def test_request_is_only_followed_in_route_files() -> None:
    code = "export async function POST(req: Request) {\n  console.log(req);\n}\n"
    assert findings(code, "lib/handlers.ts") == []


def test_keyed_values_and_chained_loggers_are_named() -> None:
    code = (
        'import { headers } from "next/headers";\n'
        "export async function f() {\n"
        "  logger.child({ svc }).warn({ authorization: auth });\n"
        "  const h = await headers();\n"
        "  this.logger.error(h);\n"
        "}\n"
    )
    assert findings(code, "lib/a.ts") == [
        (3, 32, f"`logger.child(...).warn(...)` logs the `authorization` key: {ADVICE}"),
        (5, 21, f"`this.logger.error(...)` logs `h`, which holds the `headers()` result: {ADVICE}"),
    ]


def test_process_env_whole_but_not_one_harmless_variable() -> None:
    code = "console.log(process.env.NODE_ENV);\nconsole.log(process.env);\n"
    assert findings(code, "lib/a.ts") == [
        (2, 13, f"`console.log(...)` logs the whole `process.env`: {ADVICE}")
    ]


def test_messages_and_derived_values_are_not_data() -> None:
    code = (
        'console.log("token refreshed", `password reset for ${user.email}`);\n'
        "console.log(!!token, typeof secret, apiKey ? 'set' : 'unset', token.length);\n"
        "console.log(mask(token), token.slice(0, 4), { password: '[redacted]' });\n"
    )
    assert findings(code, "lib/a.ts") == []


def test_llm_token_counts_are_not_credentials_by_default() -> None:
    code = 'console.log("Tokens used:", stats.total_tokens, { maxTokens, promptTokens });\n'
    assert findings(code, "lib/a.ts") == []
    flagged = findings(code, "lib/a.ts", {"ignore-names": []})
    assert [(line, column) for line, column, _ in flagged] == [(1, 29)]


def test_properties_of_an_llm_usage_object_are_counts_whatever_the_options() -> None:
    code = "console.log(result.usage.inputTokenDetails.cacheReadTokens, usageMetadata.x_token);\n"
    assert findings(code, "lib/a.ts", {"ignore-names": []}) == []


def test_a_deeply_nested_argument_does_not_recurse() -> None:
    depth = 3000
    code = "console.log(" + "[" * depth + "token" + "]" * depth + ");\n"
    [(line, column, _message)] = findings(code, "lib/a.ts")
    assert (line, column) == (1, 13 + depth)


# --- the byte pre-filter ---------------------------------------------------------------


def test_the_prefilter_knows_the_default_sensitive_pattern() -> None:
    # Any other list lets every file with a logger through: still right, but slow.
    assert default_registry()[RULE].options["sensitive"].default == [DEFAULT_SENSITIVE]


@given(name=st.from_regex(re.compile(DEFAULT_SENSITIVE, re.IGNORECASE)))
def test_every_default_sensitive_name_passes_the_prefilter(name: str) -> None:
    assert may_hold_default_sensitive_name(name.encode("utf-8", errors="surrogatepass"))


# Pieces of sensitive words in both cases, separators, and Latin-1 and other letters
# near ASCII ones (RE2 reads the bytes as Latin-1; Python's `re` folds only ASCII).
_PIECES = st.sampled_from(
    [
        "pa",
        "PA",
        "sS",
        "s",
        "word",
        "tOk",
        "en",
        "api",
        "Private",
        "-",
        "_",
        "k",
        "Key",
        "card",
        "NUMBER",
        "sSn",
        "cookie",
        "x",
        "\xc0",
        "\xe0",
        "\xdf",
        "\u017f",
        "\u212a",
        "\u0130",
        "\u0131",
        "secret",
        "AUTHORIZATION",
        "credential",
    ]
)


@given(pieces=st.lists(_PIECES, max_size=8))
def test_the_re2_search_of_sensitive_names_answers_as_re(pieces: list[str]) -> None:
    for content in ("".join(pieces).encode("utf-8"), "".join(pieces).encode("latin-1", "replace")):
        expected = _SENSITIVE_BYTES.search(content) is not None or (
            not content.isascii() and any(letter in content for letter in FOLDS_TO_ASCII)
        )
        assert may_hold_default_sensitive_name(content) is expected


@pytest.mark.parametrize(
    ("name", "held"),
    [
        ("apiKey", True),
        ("PRIVATE-KEY", True),
        ("private_key", True),
        ("card_number", True),
        ("cardNumber", True),
        ("pa\u017f\u017fword", True),  # the long s folds into s
        ("to\u212aen", True),  # the Kelvin sign folds into k
        ("keyof", False),
        ("monkey", False),
        ("phoneNumber", False),
        ("api key", False),
        ("api--key", False),
    ],
)
def test_default_sensitive_names_in_the_prefilter(name: str, held: bool) -> None:
    assert may_hold_default_sensitive_name(f"log({name});".encode()) is held
    assert bool(re.search(DEFAULT_SENSITIVE, name, re.IGNORECASE)) is held


@pytest.mark.parametrize(
    ("code", "path", "options", "flagged"),
    [
        # Loggers from the options, as whole names only.
        ("audit.info({ token });\n", "lib/a.ts", {"loggers": ["audit"]}, True),
        ("$log.warn(password);\n", "lib/a.ts", {"loggers": ["$log"]}, True),
        ("console.log(secret);\n", "lib/a.ts", {"loggers": []}, True),
        ("auditor.info({ token });\n", "lib/a.ts", {"loggers": ["audit"]}, False),
        ("logger.info({ token });\n", "lib/a.ts", {"loggers": ["audit"]}, False),
        # A user's own pattern can match anything: every file with a logger is read.
        ("console.log(sid);\n", "lib/a.ts", {"sensitive": ["^sid$"]}, True),
        ("console.log(sid);\n", "lib/a.ts", {"sensitive": ["/^SID$/i"]}, True),
        # In a route file the whole request needs no sensitive name.
        (
            "export async function POST(r: Request) {\n  log.info(r);\n}\n",
            "app/api/x/route.ts",
            {},
            True,
        ),
        # Outside one, the whole process environment.
        ("console.log(process.env);\n", "lib/a.ts", {}, True),
        # Error recovery starts a name right after a number: `1n` then `console`.
        ("1nconsole.log(token);\n", "lib/a.ts", {}, True),
        # A logger's name only as part of longer names.
        ("catalog.info(token);\nconsoles.log(token);\n", "lib/a.ts", {}, False),
        # A sensitive key spelled by escapes (the filter reads them too).
        ('console.log({ "to\\ken": t });\n', "lib/a.ts", {}, True),
        ('console.log({ "\\x74oken": t });\n', "lib/a.ts", {}, True),
        ('console.log({ "\\u0074oken": t });\n', "lib/a.ts", {}, True),
    ],
)
def test_prefilter_reads_the_options(
    code: str,
    path: str,
    options: dict[str, object],
    flagged: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    filtered = run_rule_on_source(RULE, code, path, options)
    monkeypatch.setattr(prefilter, "ENABLED", False)
    assert run_rule_on_source(RULE, code, path, options) == filtered
    assert bool(filtered) is flagged


def _fixture_sources() -> list[SourceFile]:
    return [
        SourceFile.from_bytes(path.as_posix(), path.relative_to(root).as_posix(), path.read_bytes())
        for root in sorted(p for p in FIXTURES.iterdir() if p.is_dir())
        for path in discover([root], root).files
    ]


@pytest.mark.parametrize(
    "loggers",
    [[], ["logger", "log"], ["pino", "audit", "Log"], ["this.logger", "$log", "child", "info"]],
    ids=str,
)
def test_calls_found_from_the_bytes_are_the_query_matches(
    loggers: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def found(source: SourceFile) -> list[tuple[int, int, int, int]]:
        return sorted(
            (call.start_byte, call.end_byte, receiver.start_byte, receiver.end_byte)
            for call, receiver in _logging_calls(source, loggers)
        )

    sources = _fixture_sources()
    fast = [found(source) for source in sources]
    monkeypatch.setattr(prefilter, "ENABLED", False)
    assert fast == [found(source) for source in sources]
    assert any(fast)


def _statement(parts: tuple[str, str, list[str], str]) -> str:
    before, name, chain, after = parts
    return before + name + "".join(chain) + after


# Receivers in call chains, with the wrappers and the broken syntax around them that
# change which node a name's bytes belong to.
_STATEMENTS = st.tuples(
    st.sampled_from(
        ["", "this.", "x.", "await ", "new ", "(", "`${", '"', "// ", ".", "1n", "0xab"]
    ),
    st.sampled_from(["logger", "log", "console", "$", "pino", "this.logger", "x"]),
    st.lists(
        st.sampled_from(
            [
                *[".info", ".child()", "()", "?.warn", "(token)", "[0]", "<T>", ")"],
                # What may sit between a receiver and what follows it (`_may_be_called`):
                # spaces, comments, a tagged template, and bytes that end the name.
                *[" .info", "/* c */.warn", "// c\n.info", "\n?.(x)", " `t`", "!.info"],
                *[" = 1", "\u00a0.info", "<!--\n.info", ", ", ": T"],
            ]
        ),
        max_size=4,
    ),
    st.sampled_from(["(token);", "(token)", ";", "\n", "", "{", "}`", "})"]),
).map(_statement)


@settings(max_examples=300, deadline=None)
@given(statements=st.lists(_STATEMENTS, max_size=8))
def test_calls_found_from_the_bytes_match_the_query_on_any_tree(statements: list[str]) -> None:
    """Error recovery included: many of these snippets do not parse cleanly."""
    source = SourceFile.from_bytes("/v/a.ts", "a.ts", "".join(statements).encode())
    loggers = ["logger", "log", "this.logger", "$"]
    fast = sorted((c.id, r.id) for c, r in _logging_calls(source, loggers))
    prefilter.ENABLED = False
    try:
        slow = sorted((c.id, r.id) for c, r in _logging_calls(source, loggers))
    finally:
        prefilter.ENABLED = True
    assert fast == slow


@settings(max_examples=200, deadline=None)
@given(
    statements=st.lists(_STATEMENTS, max_size=8),
    path=st.sampled_from(["lib/a.ts", "app/api/x/route.ts"]),
)
def test_the_rule_finds_the_same_with_and_without_the_prefilter(
    statements: list[str], path: str
) -> None:
    code = "".join(statements)
    filtered = run_rule_on_source(RULE, code, path)
    prefilter.ENABLED = False
    try:
        assert run_rule_on_source(RULE, code, path) == filtered
    finally:
        prefilter.ENABLED = True


# --- the const-value shortcut --------------------------------------------------------

# Declarators and names in the shapes the byte search must not miss (a type, a
# definite assignment, comments and odd spaces before the `=`), and broken code.
_CONST_ODDITIES = [
    "const a = 1, b: string = 'x', c!: T = y, d /* c */ = 2, e // c\n = 3; log(a, b, c, d, e);",
    "const f\u00a0= 1; const g <!-- x\n= 2; const h\n\n=\t4; log(f, g, h);",
    "function k(a) { const a2 = a; { const a = 3; log(a, a2); } } let l = 1; log(l, m);",
    "const { n } = o; const [p] = q; const r = () => 1; log(n, p, r, o, q);",
    "const s = = 1; const t 5 = 2; log(s, t); const = u; log(u);",
    "const caf\u00e9 = 1; log(caf\u00e9); const \\u0076 = 2; log(\\u0076, v);",
]


def _const_values(source: SourceFile, shortcut: bool) -> list[tuple[int, int] | None]:
    from nextaudit.analysis.bindings import const_value
    from nextaudit.analysis.syntax import bind_tree, descendants, text
    from nextaudit.checks.no_sensitive_logging import _Checker
    from nextaudit.context import RuleContext

    rule = default_registry()[RULE]
    options = {name: option.default for name, option in rule.options.items()}
    checker = _Checker(source, RuleContext(rule, rule.severity, options, source))
    bind_tree(source.root)
    try:
        found: list[tuple[int, int] | None] = []
        for node in descendants(source.root):
            if node.type != "identifier":
                continue
            name = text(node)
            value = checker.const_value(node, name) if shortcut else const_value(node, name)
            found.append((value.start_byte, value.end_byte) if value is not None else None)
        return found
    finally:
        bind_tree(None)


@pytest.mark.parametrize("code", _CONST_ODDITIES)
def test_const_values_found_with_the_byte_search_are_those_of_the_climb(code: str) -> None:
    source = SourceFile.from_bytes("/v/a.ts", "a.ts", code.encode())
    assert _const_values(source, True) == _const_values(source, False)


def test_const_values_on_the_fixtures_are_those_of_the_climb() -> None:
    checked = 0
    for source in _fixture_sources():
        fast = _const_values(source, True)
        assert fast == _const_values(source, False), source.path
        checked += sum(value is not None for value in fast)
    assert checked


_DECLARATIONS = st.tuples(
    st.sampled_from(["const ", "let ", "", "{ const ", "function f(", "(", "x."]),
    st.sampled_from(["a", "b", "token", "a, b", "{ a }", "a2"]),
    st.sampled_from([" = ", ": T = ", "!: T = ", " /* c */ = ", "\n= ", " ", "", " == ", "="]),
    st.sampled_from(["1", "a", "{ token }", "process.env", "", "() => a", "`t`"]),
    st.sampled_from([";", "\n", ") {", "}", ", ", ""]),
).map("".join)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_DECLARATIONS, max_size=6))
def test_const_values_found_with_the_byte_search_on_any_tree(parts: list[str]) -> None:
    code = "".join(parts) + "\nconsole.log(a, b, token, a2);"
    source = SourceFile.from_bytes("/v/a.ts", "a.ts", code.encode())
    assert _const_values(source, True) == _const_values(source, False)


def test_identifiers_named_ending_keeps_the_names_it_accepts() -> None:
    from nextaudit.analysis.bindings import identifiers_named

    def dot_after(content: bytes, end: int) -> bool:
        return content[end : end + 1] == b"."

    for source in _fixture_sources():
        for name in ("console", "log", "logger", "process"):
            every = identifiers_named(source, name, types=frozenset({"identifier"}))
            kept = [node for node in every if dot_after(source.content, node.end_byte)]
            assert kept == identifiers_named(
                source, name, types=frozenset({"identifier"}), ending=dot_after
            )
