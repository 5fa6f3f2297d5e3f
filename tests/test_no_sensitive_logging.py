"""no-sensitive-logging: where findings land and what their messages say."""

from __future__ import annotations

from rule_harness import run_rule_on_source

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
