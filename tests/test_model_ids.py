"""The model-id matcher of no-hardcoded-model (nextaudit/analysis/model_ids.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rule_harness import run_rule_on_source

from nextaudit.analysis import prefilter
from nextaudit.analysis.model_ids import (
    BARE_REASONING_ID,
    FAMILIES,
    FLAGS,
    PROVIDER_PREFIXES,
    QUOTED_ID_TEXT,
    family_of,
    is_bare_reasoning_id,
    is_model_id,
    may_quote_model_id,
    model_id_pattern,
    quoted_id_text_re2,
)
from nextaudit.registry import default_registry
from nextaudit.source import SourceFile

FIXTURES = Path(__file__).parent / "fixtures"
# The check's pattern as `re` reads it: what RE2's matches are held to.
QUOTED_ID_RE = re.compile(QUOTED_ID_TEXT)

# Every family of RULES.md: (family spec, an id it matches, a near miss it must not).
FAMILY_CASES: list[tuple[str, str, str]] = [
    # OpenAI
    ("gpt-*", "gpt-4o-mini-2024-07-18", "gpt-"),
    ("chatgpt-*", "chatgpt-4o-latest", "chatgpt"),
    ("o1-*", "o1-preview", "o1-"),
    ("o3-*", "o3-mini", "o3-"),
    ("o4-*", "o4-mini-2025-04-16", "o4-"),
    ("text-embedding-*", "text-embedding-3-small", "text-embedding"),
    ("text-davinci-*", "text-davinci-003", "text-davinci-"),
    ("davinci-002", "davinci-002", "davinci-003"),
    ("babbage-002", "babbage-002", "babbage-002x"),
    ("dall-e-*", "dall-e-3", "dall-e"),
    ("gpt-image-*", "gpt-image-1", "image-1"),
    ("whisper-1", "whisper-1", "whisper-1-large"),
    ("tts-1*", "tts-1", "tts-"),
    ("tts-1*", "tts-1-hd", "tts-2"),
    ("omni-moderation-*", "omni-moderation-latest", "omni-moderation-"),
    ("text-moderation-*", "text-moderation-stable", "text-moderation"),
    ("computer-use-preview*", "computer-use-preview", "computer-use"),
    ("computer-use-preview*", "computer-use-preview-2025-03-11", "computer-use-previews!"),
    ("codex-mini*", "codex-mini-latest", "codex-max"),
    # Anthropic
    ("claude-*", "claude-3-5-sonnet-20241022", "claude"),
    # Google
    ("gemini-*", "gemini-2.5-flash", "gemini"),
    ("gemma-*", "gemma-3-27b-it", "gemma"),
    ("text-embedding-00*", "text-embedding-004", "text-embedding-"),
    ("embedding-001", "embedding-001", "embedding-002"),
    ("text-bison*", "text-bison@001", "text-bis"),
    ("chat-bison*", "chat-bison", "chat-bi"),
    # Mistral
    ("mistral-*", "mistral-large-latest", "mistral"),
    ("mixtral-*", "mixtral-8x7b-32768", "mixtral"),
    ("codestral-*", "codestral-2501", "codestral-"),
    ("ministral-*", "ministral-8b-latest", "ministral"),
    ("pixtral-*", "pixtral-12b-2409", "pixtral"),
    ("magistral-*", "magistral-medium-2506", "magistral-"),
    ("devstral-*", "devstral-small-2505", "devstral"),
    ("open-mistral-*", "open-mistral-nemo", "open-mistral-"),
    ("open-mixtral-*", "open-mixtral-8x22b", "open-mixtral"),
    # Meta
    ("llama-*", "llama-3.3-70b-versatile", "llama"),
    ("llama3*", "llama3", "llama4"),
    ("llama3*", "llama3.1:8b", "llama 3"),
    ("llama2*", "llama2-70b-4096", "llama-"),
    # xAI
    ("grok-*", "grok-4", "grok"),
    # DeepSeek
    ("deepseek-*", "deepseek-reasoner", "deepseek"),
    # Cohere
    ("command-r*", "command-r", "command"),
    ("command-r*", "command-r-plus-08-2024", "command-"),
    ("command-a-*", "command-a-03-2025", "command-a-"),
    ("embed-english-*", "embed-english-v3.0", "embed-english"),
    ("embed-multilingual-*", "embed-multilingual-light-v3.0", "embed-multilingual-"),
    ("rerank-*", "rerank-v3.5", "rerank"),
    # Qwen
    ("qwen-*", "qwen-max", "qwen"),
    ("qwen2*", "qwen2.5-72b-instruct", "qwen1.5"),
    ("qwen3*", "qwen3", "qwen4"),
    ("qwq-*", "qwq-32b", "qwq"),
    # Provider-prefixed
    ("openai/*", "openai/gpt-4.1", "openai/"),
    ("anthropic/*", "anthropic/claude-sonnet-4", "anthropic"),
    ("google/*", "google/gemini-2.5-pro", "google/"),
    ("meta-llama/*", "meta-llama/llama-3.1-405b-instruct", "meta-llama/"),
    ("mistralai/*", "mistralai/mistral-small-3.1", "mistralai"),
    ("x-ai/*", "x-ai/grok-3-mini", "x-ai/"),
    ("xai/*", "xai/grok-4", "xai"),
    ("deepseek/*", "deepseek/deepseek-r1:free", "deepseek/"),
    ("cohere/*", "cohere/command-a", "cohere/"),
    ("qwen/*", "qwen/qwen3-235b-a22b", "qwen/"),
    ("groq/*", "groq/llama-3.1-8b-instant", "groq/"),
    ("perplexity/*", "perplexity/sonar-pro", "perplexity/"),
    # Bedrock
    ("anthropic.claude-*", "anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic.claude-"),
    ("anthropic.claude-*", "us.anthropic.claude-sonnet-4-20250514-v1:0", "zz.anthropic.claude"),
    ("anthropic.claude-*", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic."),
    ("amazon.titan-*", "amazon.titan-embed-text-v2:0", "amazon.titan"),
    ("amazon.nova-*", "eu.amazon.nova-pro-v1:0", "amazon.nova-"),
    ("meta.llama*", "meta.llama3-70b-instruct-v1:0", "meta.lama3"),
    ("cohere.command*", "cohere.command-r-plus-v1:0", "cohere.comand"),
    ("mistral.mistral*", "mistral.mistral-large-2407-v1:0", "mistral.mixtra"),
]

# Strings that look a little like model ids but are not.
NOT_MODEL_IDS = [
    "",
    "gpt",
    "gpt-",
    "o1",
    "o3",
    "o4",
    "o2-mini",
    "claude",
    "llama",
    "command",
    "text-embedding",
    "embedding",
    "gpt 4o",
    " gpt-4o",
    "gpt-4o ",
    "use gpt-4o",
    "gpt-4o!",
    "gpt-4o\n",
    "https://api.openai.com/v1",
    "/api/gpt-4o",
    "@ai-sdk/openai",
    "openai",
    "anthropic-version",
    "x-ai",
    "text-sm font-medium",
    "my-gpt-4o",
    "gpt_4o",
    "gpt-4o+mini",
    "gpt-\u212a",  # Kelvin sign: folds to k only without re.ASCII
]


@pytest.mark.parametrize(("spec", "positive", "negative"), FAMILY_CASES)
def test_family_matches_its_ids_and_not_the_near_miss(
    spec: str, positive: str, negative: str
) -> None:
    assert is_model_id(positive), positive
    assert not is_model_id(negative), negative
    # The row itself, not just some other family, must take the positive.
    (family,) = [f for f in FAMILIES if f.spec == spec]
    assert re.fullmatch(family.pattern, positive, FLAGS)
    assert not re.fullmatch(family.pattern, negative, FLAGS)


@pytest.mark.parametrize(("spec", "positive", "negative"), FAMILY_CASES)
def test_family_case_insensitive(spec: str, positive: str, negative: str) -> None:
    assert is_model_id(positive.upper())
    assert is_model_id(positive.title())
    assert not is_model_id(negative.upper())


def test_every_family_of_the_table_has_a_case() -> None:
    tested = {spec for spec, _, _ in FAMILY_CASES}
    specified = {family.spec for family in FAMILIES if not family.bedrock}
    specified |= {"anthropic.claude-*", "amazon.titan-*", "amazon.nova-*"}
    specified |= {"meta.llama*", "cohere.command*", "mistral.mistral*"}
    assert specified - tested == set()
    assert {f"{p}/*" for p in PROVIDER_PREFIXES} <= tested


@pytest.mark.parametrize("value", NOT_MODEL_IDS)
def test_not_model_ids(value: str) -> None:
    assert not is_model_id(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Prefix ending in `-`, `.` or `/` needs one more character.
        ("gpt-", False),
        ("gpt-4", True),
        ("dall-e-", False),
        ("dall-e-2", True),
        ("openai/", False),
        ("openai/o", True),
        ("anthropic.claude-", False),
        ("anthropic.claude-x", True),
        # Any other prefix may stand alone ...
        ("tts-1", True),
        ("command-r", True),
        ("llama3", True),
        ("meta.llama", True),
        ("codex-mini", True),
        # ... and goes on with the id characters only.
        ("tts-1-hd", True),
        ("command-r7b-12-2024", True),
        ("llama3.2:3b-instruct-q4_K_M", True),
        ("gpt-4o@2024", True),
        ("gpt-4o/variant", True),
        ("tts-1 hd", False),
        ("command-r+", False),
        ("llama3?", False),
    ],
)
def test_prefix_rule(value: str, expected: bool) -> None:
    assert is_model_id(value) is expected


def test_whole_string_only() -> None:
    assert is_model_id("gpt-4o")
    assert not is_model_id("model gpt-4o")
    assert not is_model_id("gpt-4o, claude-3")
    assert not is_model_id('"gpt-4o"')


@pytest.mark.parametrize(
    "value", ["us.anthropic.claude-3-haiku", "apac.amazon.nova-lite-v1:0", "us-gov.meta.llama3"]
)
def test_bedrock_cross_region_prefixes(value: str) -> None:
    assert is_model_id(value)
    family = family_of(value)
    assert family is not None
    assert family.bedrock


@pytest.mark.parametrize(
    ("value", "expected"),
    [("o1", True), ("O3", True), ("o4", True), ("o2", False), ("o1-mini", False), ("o", False)],
)
def test_bare_reasoning_ids(value: str, expected: bool) -> None:
    assert is_bare_reasoning_id(value) is expected


def test_family_of_names_the_provider() -> None:
    family = family_of("claude-opus-4-1")
    assert family is not None
    assert (family.provider, family.spec) == ("Anthropic", "claude-*")
    assert family_of("gpt-") is None


# --- the rule around the matcher: location and message ---------------------------------


def test_finding_is_on_the_literal_and_names_the_value() -> None:
    code = 'export const run = () => call({ stream: true, model: "GPT-4o" });\n'
    findings = run_rule_on_source("no-hardcoded-model", code, "app/api/chat/route.ts")
    assert [(f.rule_id, f.location.line, f.location.column) for f in findings] == [
        ("no-hardcoded-model", 1, 54)
    ]
    assert findings[0].location.end_column == 62
    assert "`GPT-4o`" in findings[0].message
    assert "lib/ai-models.ts" in findings[0].message


def test_escaped_literal_is_matched_on_its_value() -> None:
    code = 'const m = "gpt\\u002d4o";\nconst n = "o\\x31";\nconst model = "o\\x31";\n'
    findings = run_rule_on_source("no-hardcoded-model", code, "lib/chat.ts")
    assert [(f.location.line, f.message) for f in findings] == [
        (1, "Hardcoded AI model id `gpt-4o`: import it from `lib/ai-models.ts` instead"),
        (3, "Hardcoded AI model id `o1`: import it from `lib/ai-models.ts` instead"),
    ]


@pytest.mark.parametrize(
    ("rel_path", "flagged"),
    [
        ("lib/ai-models.ts", False),
        ("src/lib/ai-models.ts", False),
        ("lib/ai-models/openai.ts", False),
        ("apps/web/lib/ai-models/nested/anthropic.ts", False),
        ("lib/ai-models.tsx", True),
        ("lib/ai-models-old.ts", True),
        ("mylib/ai-models.ts", True),
        ("lib/ai-models.test.ts", True),
    ],
)
def test_default_models_module(rel_path: str, flagged: bool) -> None:
    findings = run_rule_on_source("no-hardcoded-model", 'const m = "gpt-4o";\n', rel_path)
    assert bool(findings) is flagged


def test_deep_nesting_does_not_recurse() -> None:
    depth = 10_000
    code = (
        f'const f = {"(" * depth}"gpt-4o"{")" * depth};\n'
        f'const g = {"{a: " * depth}"claude-3"{"}" * depth};\n'
        f'const models = {"[" * 3}"o1"{"]" * 3};\n'
    )
    findings = run_rule_on_source("no-hardcoded-model", code, "lib/deep.ts")
    assert [(f.location.line, f.location.column) for f in findings] == [
        (1, depth + 11),
        (2, 4 * depth + 11),
        (3, 19),
    ]


# --- the byte pre-filter ---------------------------------------------------------------


@given(
    value=st.one_of(
        st.from_regex(model_id_pattern(), fullmatch=True),
        st.from_regex(BARE_REASONING_ID, fullmatch=True),
    ),
    quote=st.sampled_from("\"'`"),
    before=st.sampled_from(["", "const m = ", "x("]),
)
def test_prefilter_lets_every_quoted_id_through(value: str, quote: str, before: str) -> None:
    assert may_quote_model_id(f"{before}{quote}{value}{quote}".encode())
    assert _scan_may_quote(f"{before}{quote}{value}{quote}".encode())


def _scan_may_quote(code: bytes) -> bool:
    """The check's filter: `QUOTED_ID_TEXT` in the bytes, or an escape that could
    spell a letter (no-hardcoded-model asks the shared scan of the bytes)."""
    source = SourceFile.from_bytes("/v/a.ts", "a.ts", code)
    return prefilter.may_hide_text(source) or QUOTED_ID_RE.search(source.content) is not None


_PIECES = ["\\", "\r", "\n", "\r\n", "\u2028", '"', "'", "`", " ", "x", "\\n"]
_ID_PIECES = ["gpt-", "o1", "O3", "claude-", "us.", "anthropic.", "g", "pt", "-", "4"]


@given(st.lists(st.sampled_from(_PIECES + _ID_PIECES), max_size=12).map("".join))
def test_the_scan_pattern_lets_through_every_file_may_quote_model_id_does(code: str) -> None:
    # Whatever escapes and line continuations sit between an id's letters.
    source = SourceFile.from_bytes("/v/a.ts", "a.ts", code.encode())
    assert not may_quote_model_id(source.content) or _scan_may_quote(code.encode()), code


def _matches_both_ways(code: bytes) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    by_re = [m.span() for m in QUOTED_ID_RE.finditer(code)]
    by_re2 = [m.span() for m in quoted_id_text_re2().finditer(code)]
    return by_re, by_re2


@given(st.lists(st.sampled_from([*_PIECES, *_ID_PIECES, "\xe2", "\u2029", "CLAUDE"]), max_size=16))
def test_re2_finds_the_matches_re_finds(pieces: list[str]) -> None:
    # The check looks for candidate literals with RE2 (it compiles the big pattern
    # in a fraction of re's time): same matches, same order, on any bytes.
    code = "".join(pieces).encode("utf-8", errors="surrogatepass")
    by_re, by_re2 = _matches_both_ways(code)
    assert by_re == by_re2


def test_re2_finds_the_matches_re_finds_in_every_fixture() -> None:
    found = 0
    for path in sorted(FIXTURES.rglob("*")):
        if path.suffix in {".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts"}:
            by_re, by_re2 = _matches_both_ways(path.read_bytes())
            assert by_re == by_re2, path
            found += len(by_re)
    assert found > 20  # the fixtures quote many ids: the comparison compared something


@pytest.mark.parametrize(("spec", "positive", "negative"), FAMILY_CASES)
def test_prefilter_lets_every_family_through_in_any_case(
    spec: str, positive: str, negative: str
) -> None:
    for value in (positive, positive.upper(), positive.title()):
        assert may_quote_model_id(f"call('{value}')".encode()), value
        assert _scan_may_quote(f"call('{value}')".encode()), value


@pytest.mark.parametrize(
    "code",
    [
        'const m = "g\\pt-4o";',  # identity escape: `\p` is `p`
        'const m = "\\u{67}pt-4o";',
        'const m = "\\u0067pt-4o";',
        'const m = "\\x67pt-4o";',
        'const m = "o\\1-mini";',  # an octal escape spells its digit
        'const m = "gpt\\-4o";',
        'const m = "gp\\\nt-4o";',  # a line continuation
        "const m = `C\\\r\nLAUDE-3`;",
        'const model = "\\x6f1";',
    ],
)
def test_prefilter_lets_escapes_that_may_spell_an_id_through(code: str) -> None:
    assert may_quote_model_id(code.encode())
    assert _scan_may_quote(code.encode())


@pytest.mark.parametrize(
    "code",
    [
        "",
        "const answer = 42;",
        "// gpt-4o in a comment is not a literal",
        'const s = "Try gpt-4o";',
        # Escapes that spell no id: read without their backslashes, the bytes show none.
        "const version = /^v\\d+\\.\\d+\\/[\\w-]+$/;",
        'const path = "C:\\\\models\\\\gpt";',
        'const s = "text-sm";\nconst t = "line\\n";',
        "const gpt4o = model;",
    ],
)
def test_prefilter_skips_files_without_an_id(code: str) -> None:
    assert not may_quote_model_id(code.encode())
    assert not _scan_may_quote(code.encode())


@pytest.mark.parametrize(
    ("patterns", "code", "flagged"),
    [
        # The pattern's own search over the text finds the value.
        (["azure-[a-z]+"], 'const d = "azure-east";', True),
        (["azure-[a-z]+"], 'const d = "my-azure-east";', False),
        (["azure-[a-z]+"], "const d = azureEast;", False),
        # Word boundaries agree between the value and the text around it.
        (["\\bedge-\\w+"], "const d = 'edge-one';", True),
        # Anchors never match inside the text: such patterns let every file through.
        (["^deploy-[a-z]+$"], 'const d = "deploy-east";', True),
        (["\\Adeploy-[a-z]+\\z"], 'const d = "deploy-east";', True),
        # An escape may spell any character of a user pattern's value.
        (["team\\tmodel"], 'const d = "team\\tmodel";', True),
        (["team model"], 'const d = "team\\x20model";', True),
    ],
)
def test_extra_patterns_reach_the_check_through_the_prefilter(
    patterns: list[str], code: str, flagged: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = {"extra-patterns": patterns}
    filtered = run_rule_on_source("no-hardcoded-model", code, "lib/deploy.ts", options)
    monkeypatch.setattr(prefilter, "ENABLED", False)
    unfiltered = run_rule_on_source("no-hardcoded-model", code, "lib/deploy.ts", options)
    assert filtered == unfiltered
    assert bool(filtered) is flagged


def test_needs_lets_user_patterns_decide() -> None:
    # A user pattern may match any literal: the engine must call the check on every file.
    registry = default_registry()
    assert registry.file_needs("no-hardcoded-model", {"extra-patterns": ["azure-.*"]}) is None
    built_in = registry.file_needs("no-hardcoded-model", {})
    assert built_in is not None
    for code, met in [
        (b'const m = "gpt-4o";', True),
        (b'const m = "g\\\npt-4o";', True),  # a line continuation between letters
        (b'const m = "\\x67pt-4o";', True),
        (b"const answer = 42; // gpt-4o", False),
    ]:
        assert built_in.met_by(SourceFile.from_bytes("/v/a.ts", "a.ts", code)) is met, code
