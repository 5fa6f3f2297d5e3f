"""Which strings are AI model ids (RULES.md, no-hardcoded-model): a pure matcher.

The family table is written in the specification's own notation: `gpt-*` is a prefix
family, `davinci-002` an exact id. A prefix family matches a value that starts with
the prefix and goes on with zero or more id characters (`[A-Za-z0-9._:@/-]`), except
that a prefix ending in `-`, `.` or `/` needs at least one more character, so
`tts-1` and `command-r` match while `gpt-` alone does not. Matching is
case-insensitive and always on the whole value.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from nextaudit.analysis.prefilter import compile_re2, unescaped_bytes

# ASCII: with IGNORECASE alone, Python would also fold the Kelvin sign into `k` and
# the long s into `s`; model ids are plain ASCII.
FLAGS = re.IGNORECASE | re.ASCII
ID_CHARS = r"[A-Za-z0-9._:@/-]"
# Bedrock cross-region inference profiles put a geography before the provider
# (`us.anthropic.claude-...`, `eu.amazon.nova-...`, `global.anthropic.claude-...`).
BEDROCK_REGIONS = ("us", "us-gov", "eu", "apac", "global", "jp", "au", "ca")


@dataclass(frozen=True)
class Family:
    """One row of the table: `spec` in the specification's notation (trailing `*`
    for a prefix family), the provider it belongs to, and whether it is a Bedrock id
    (which may carry a cross-region prefix)."""

    provider: str
    spec: str
    bedrock: bool = False

    @property
    def pattern(self) -> str:
        return family_pattern(self.spec, self.bedrock)


def family_pattern(spec: str, bedrock: bool = False) -> str:
    """The regex source of one family (without anchors; callers use fullmatch)."""
    if spec.endswith("*"):
        prefix = spec[:-1]
        rest = ID_CHARS + ("+" if prefix.endswith(("-", ".", "/")) else "*")
        body = re.escape(prefix) + rest
    else:
        body = re.escape(spec)
    if bedrock:
        regions = "|".join(re.escape(region) for region in BEDROCK_REGIONS)
        body = rf"(?:(?:{regions})\.)?{body}"
    return body


def _families(provider: str, *specs: str, bedrock: bool = False) -> tuple[Family, ...]:
    return tuple(Family(provider, spec, bedrock) for spec in specs)


# Provider namespaces of `<provider>/<id>` ids (OpenRouter, Together, Groq, Vercel AI
# Gateway and friends).
PROVIDER_PREFIXES = (
    "openai",
    "anthropic",
    "google",
    "meta-llama",
    "mistralai",
    "x-ai",
    "xai",
    "deepseek",
    "cohere",
    "qwen",
    "groq",
    "perplexity",
)

FAMILIES: tuple[Family, ...] = (
    *_families(
        "OpenAI",
        "gpt-*",
        "chatgpt-*",
        "o1-*",
        "o3-*",
        "o4-*",
        "text-embedding-*",
        "text-davinci-*",
        "davinci-002",
        "babbage-002",
        "dall-e-*",
        "gpt-image-*",
        "whisper-1",
        "tts-1*",
        "omni-moderation-*",
        "text-moderation-*",
        "computer-use-preview*",
        "codex-mini*",
    ),
    *_families("Anthropic", "claude-*"),
    *_families(
        "Google",
        "gemini-*",
        "gemma-*",
        "text-embedding-00*",
        "embedding-001",
        "text-bison*",
        "chat-bison*",
    ),
    *_families(
        "Mistral",
        "mistral-*",
        "mixtral-*",
        "codestral-*",
        "ministral-*",
        "pixtral-*",
        "magistral-*",
        "devstral-*",
        "open-mistral-*",
        "open-mixtral-*",
    ),
    *_families("Meta", "llama-*", "llama3*", "llama2*"),
    *_families("xAI", "grok-*"),
    *_families("DeepSeek", "deepseek-*"),
    *_families(
        "Cohere", "command-r*", "command-a-*", "embed-english-*", "embed-multilingual-*", "rerank-*"
    ),
    *_families("Qwen", "qwen-*", "qwen2*", "qwen3*", "qwq-*"),
    *_families("provider-prefixed", *(f"{provider}/*" for provider in PROVIDER_PREFIXES)),
    # The specification names these Bedrock ids "such as"; the last rows are other
    # Bedrock model ids of the same providers, as unmistakable as the named ones.
    *_families(
        "Amazon Bedrock",
        "anthropic.claude-*",
        "amazon.titan-*",
        "amazon.nova-*",
        "meta.llama*",
        "cohere.command*",
        "mistral.mistral*",
        "cohere.embed-*",
        "cohere.rerank-*",
        "mistral.mixtral-*",
        "mistral.pixtral-*",
        "ai21.jamba-*",
        "deepseek.r1-*",
        "openai.gpt-oss-*",
        bedrock=True,
    ),
)


@functools.cache
def model_id_pattern() -> re.Pattern[str]:
    """Every family as one pattern (for fullmatch). Compiled when first used: a run
    whose files quote nothing shaped like an id never needs it (~4 ms)."""
    return re.compile("|".join(f"(?:{family.pattern})" for family in FAMILIES), FLAGS)


# Bare reasoning-model ids: models only where the surrounding name says so (the
# check decides that); on their own they are too short to mean anything.
BARE_REASONING_ID: re.Pattern[str] = re.compile(r"o[134]", FLAGS)


def is_model_id(value: str) -> bool:
    """True when the whole of `value` is an id of a built-in family."""
    return model_id_pattern().fullmatch(value) is not None


def is_bare_reasoning_id(value: str) -> bool:
    """`o1`, `o3` or `o4` (any case) and nothing else."""
    return BARE_REASONING_ID.fullmatch(value) is not None


def family_of(value: str) -> Family | None:
    """The first family of the table that matches the whole of `value`."""
    for family in FAMILIES:
        if re.fullmatch(family.pattern, value, FLAGS):
            return family
    return None


# --- byte pre-filter -----------------------------------------------------------------
#
# A literal whose value is an id, written without escapes, shows in the file's bytes as
# a quote (`"`, `'` or a backtick) followed by the id; every id starts with its
# family's literal prefix (after a region for a Bedrock row), a bare reasoning id with
# itself. Python's `re` tries the branches of an alternation one by one, so the
# prefixes are factored into a trie; and a pattern that starts with one literal byte is
# searched for with a fast scan, so the quotes are folded into `"` and the letters into
# lower case (ASCII only, as FLAGS) before the search.

_Trie = dict[str, "_Trie"]
_FOLD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ'`", b"abcdefghijklmnopqrstuvwxyz" + b'""')


def id_starts() -> list[str]:
    """What every id of the table starts with: each family's literal prefix, with each
    Bedrock region in front of the Bedrock rows, and the bare reasoning ids."""
    starts = {"o1", "o3", "o4"}
    for family in FAMILIES:
        prefix = family.spec.removesuffix("*").lower()
        starts.add(prefix)
        if family.bedrock:
            starts.update(f"{region}.{prefix}" for region in BEDROCK_REGIONS)
    return sorted(starts)


def _trie_pattern(words: list[str], between: str = "", any_case: bool = False) -> str:
    """A regex matching a string that starts with one of `words`: with `between` (a
    pattern) allowed between every two letters, and letters in either case when
    `any_case`."""
    tree: _Trie = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}  # a word ends here
    return _branches(tree, between, any_case)


def _branches(node: _Trie, between: str, any_case: bool) -> str:
    if "" in node:
        return ""  # a shorter word already matches: the longer ones add nothing
    branches = []
    for char, child in sorted(node.items()):
        rest = _branches(child, between, any_case)
        spelled = f"[{char}{char.upper()}]" if any_case and char.isalpha() else re.escape(char)
        branches.append(spelled + (between + rest if rest else ""))
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


@functools.cache
def _quoted_id_start() -> re.Pattern[bytes]:
    # Compiled when first used (only `may_quote_model_id`, the reference that tests
    # hold the check's filter to): it takes milliseconds.
    return re.compile(b'"' + _trie_pattern(id_starts()).encode("ascii"))


# What a backslash that drops out of a literal's value may leave between two of its
# letters in the bytes: backslashes (`"g\\pt"`), with line breaks after them (line
# continuations). A superset of what prefilter.unescaped_bytes removes, as one class:
# the pattern below must stay small enough for a DFA.
_DROPPED = r"[\\\r\n\xe2\x80\xa8\xa9]*"

# Only the first letters of each id start are spelled: enough to tell ids from other
# strings (8 let through the same files as whole starts on both benchmark corpora), and
# the pattern stays a fifth of the size, which the shared scan recompiles a few times
# a run (1.5 ms, not 8).
_SPELLED_START = 8

# `may_quote_model_id` as one search of the raw bytes, for `prefilter.lacks_match`
# (which answers it from the one scan of the file that the byte filters share): a
# quote, then the start of an id in any case, with what a dropped backslash leaves
# allowed between its letters. Letters are spelled as classes (`[gG]`), not with
# IGNORECASE, so that RE2 and `re` read the pattern alike. Files where an escape could
# spell a letter are let through apart (`prefilter.may_hide_text`). Every file
# `may_quote_model_id` lets through, this does (tests/test_model_ids.py).
#
# Kept as its source: `re` takes 10-15 ms to compile it, every run, and it need not.
# The scan answers it as a byte question (prefilter.has_pattern), and the check finds
# its matches with RE2 (`quoted_id_text_re2`), which compiles it in ~1.5 ms and finds
# the same ones as `re` (tests/test_model_ids.py).
QUOTED_ID_TEXT: bytes = (
    "[\"'`]"
    + _DROPPED
    + _trie_pattern(
        sorted({start[:_SPELLED_START] for start in id_starts()}), _DROPPED, any_case=True
    )
).encode("ascii")


@functools.cache
def quoted_id_text_re2() -> Any:
    """`QUOTED_ID_TEXT` compiled by RE2 (bytes, as `re` reads it): `finditer` gives the
    matches `quoted_id_text()` gives."""
    return compile_re2(QUOTED_ID_TEXT)


# Escapes that can spell a letter in a literal (prefilter.may_hide_text's pattern): a
# file holding one is let through, whatever its bytes show.
LETTER_ESCAPE: re.Pattern[bytes] = re.compile(rb"\\(?:[xu]|[0-7])")


def may_quote_model_id(content: bytes) -> bool:
    """False only when no string literal in `content` can have a built-in id or a bare
    reasoning id as its whole value: no quote is followed by the start of one (in any
    case), in the bytes or in the bytes without their backslashes, and no escape
    could spell one."""
    quoted_id_start = _quoted_id_start()
    if quoted_id_start.search(content.translate(_FOLD)) is not None:
        return True
    if b"\\" not in content:
        return False
    # Escapes: read the bytes as a literal's value may (None: one could spell anything).
    read = unescaped_bytes(content)
    return read is None or quoted_id_start.search(read.translate(_FOLD)) is not None
