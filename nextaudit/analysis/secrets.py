"""High-confidence secret formats, as a pure text matcher, and the redaction every
output must apply to them.

`find_secret(text)` finds the first key in a piece of text (a string literal's value);
`redact(value)` is the only form in which a secret may ever be shown; `redact_secrets`
rewrites any text (a snippet, a message) so that no key in it survives whole.

A key may sit anywhere in the text (`"Bearer sk-..."`, a URL's query string) but must
start a token: the character before it, if any, is not a letter or a digit, so
`risk-assessment-...` never yields `sk-...`, nor `TASKIA...` an `AKIA` key.

Obvious placeholders are not keys: a body made of one repeated character
(`sk-xxxxxxxx...`), a run of six or more `x`, the words `your`, `placeholder`,
`replace`, `changeme`, `redacted`, `*` masks, a key cut short by `...`/`…`, or one
written between `<` and `>`. A body that reads like a kebab-case phrase (separators,
no digit, no capital: `sk-learn-pipeline-configuration`) is prose, not a key.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from nextaudit.analysis.prefilter import unescaped_bytes

# Rules whose findings locate a secret: reporters must never show the source text of
# their span (code frames mask it; the finding's snippet is already redacted).
SECRET_RULES = frozenset({"no-hardcoded-secret"})

SHOWN_CHARACTERS = 4
ELLIPSIS = "…"

# A key starts a token: nothing alphanumeric right before it.
_START = r"(?<![A-Za-z0-9])"
# ... and ends one (for formats whose body is plain alphanumerics).
_END = r"(?![A-Za-z0-9])"


@dataclass(frozen=True)
class KeyFormat:
    """One key format: `marker` is a plain substring every key of the format contains
    (a cheap test before the regex runs); the regex's `body` group is what follows the
    fixed prefix, the part placeholders are judged on."""

    kind: str
    marker: str
    regex: str

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        # Compiled when a text first shows the marker: most runs meet none, and the
        # fifteen patterns take milliseconds to compile.
        return re.compile(self.regex)


def _format(kind: str, marker: str, regex: str) -> KeyFormat:
    return KeyFormat(kind, marker, regex)


# Lengths: real keys are longer than these minimums; the minimums are what RULES.md
# names (`sk-` + 20, `AIza` + 35, `AKIA` + 16) or a margin below the real length that
# still rules out words (GitHub classic tokens have 36 characters after the prefix,
# 30 are required; fine-grained ones 82, 22 are required; Stripe keys 24 or 99, 16 are
# required; Slack tokens are dozens long, 10 are required).
KEY_FORMATS: tuple[KeyFormat, ...] = (
    _format("Anthropic API key", "sk-ant-", _START + r"sk-ant-(?P<body>[A-Za-z0-9_-]{20,})"),
    _format("OpenAI project API key", "sk-proj-", _START + r"sk-proj-(?P<body>[A-Za-z0-9_-]{20,})"),
    # `sk-ant-` and `sk-proj-` keys count their 20 characters after their own prefix.
    _format("OpenAI API key", "sk-", _START + r"sk-(?!ant-|proj-)(?P<body>[A-Za-z0-9_-]{20,})"),
    _format(
        "GitHub personal access token", "ghp_", _START + r"ghp_(?P<body>[A-Za-z0-9]{30,})" + _END
    ),
    _format("GitHub OAuth token", "gho_", _START + r"gho_(?P<body>[A-Za-z0-9]{30,})" + _END),
    _format(
        "GitHub app installation token", "ghs_", _START + r"ghs_(?P<body>[A-Za-z0-9]{30,})" + _END
    ),
    _format(
        "GitHub user-to-server token", "ghu_", _START + r"ghu_(?P<body>[A-Za-z0-9]{30,})" + _END
    ),
    _format("GitHub refresh token", "ghr_", _START + r"ghr_(?P<body>[A-Za-z0-9]{30,})" + _END),
    _format(
        "GitHub fine-grained personal access token",
        "github_pat_",
        _START + r"github_pat_(?P<body>[A-Za-z0-9_]{22,})" + _END,
    ),
    _format("AWS access key ID", "AKIA", _START + r"AKIA(?P<body>[0-9A-Z]{16})" + _END),
    _format("Stripe live secret key", "sk_live_", _START + r"sk_live_(?P<body>[A-Za-z0-9]{16,})"),
    _format(
        "Stripe live restricted key", "rk_live_", _START + r"rk_live_(?P<body>[A-Za-z0-9]{16,})"
    ),
    _format("Slack token", "xox", _START + r"xox[abpr]-(?P<body>[A-Za-z0-9-]{10,})"),
    _format("Google API key", "AIza", _START + r"AIza(?P<body>[0-9A-Za-z_-]{35})(?![0-9A-Za-z_-])"),
    # The header alone (`"-----BEGIN PRIVATE KEY-----\n" + body`, `.replace(header, "")`)
    # is code that handles a key, not a key: some key material must follow it, after
    # line breaks (real or written `\n`) and the `Proc-Type:`/`DEK-Info:` headers of
    # encrypted keys.
    _format(
        "PEM private key",
        "PRIVATE KEY-----",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"
        r"(?:\s|\\[nr])*(?:[A-Za-z-]+:[^\n\\]*(?:\s|\\[nr])+)*"
        r"(?P<body>[A-Za-z0-9+/=]{4,}(?:(?:\s|\\[nr])+[A-Za-z0-9+/=]+)*)"
        r"(?:(?:\s|\\[nr])*-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)?",
    ),
)

# Every format's marker, as one search: texts without any skip the fifteen tests.
_ANY_MARKER = re.compile("|".join(re.escape(key_format.marker) for key_format in KEY_FORMATS))
_PLACEHOLDER_WORDS = re.compile(r"your|placeholder|replace|changeme|redacted|x{6,}", re.IGNORECASE)
_SEPARATORS = re.compile(r"[-_]")
_MASKS_AFTER = ("...", ELLIPSIS, "*", ">")


@dataclass(frozen=True)
class SecretMatch:
    """A key found in a text: its kind and where it is in that text."""

    kind: str
    start: int
    end: int
    value: str

    @property
    def redacted(self) -> str:
        return redact(self.value)


def redact(value: str) -> str:
    """At most the first 4 characters of `value`, then `…`; never more than half of a
    short value."""
    shown = min(SHOWN_CHARACTERS, len(value) // 2)
    return value[:shown] + ELLIPSIS


def find_secrets(text: str) -> list[SecretMatch]:
    """Every key in `text`, in order of position (overlaps resolved to the earliest)."""
    if _ANY_MARKER.search(text) is None:
        return []  # most texts (every snippet and message is redacted) hold no marker
    found: list[SecretMatch] = []
    for key_format in KEY_FORMATS:
        if key_format.marker not in text:
            continue
        for match in key_format.pattern.finditer(text):
            if not _is_placeholder(text, match):
                found.append(SecretMatch(key_format.kind, match.start(), match.end(), match[0]))
    found.sort(key=lambda m: (m.start, -m.end))
    kept: list[SecretMatch] = []
    for secret in found:
        if not kept or secret.start >= kept[-1].end:
            kept.append(secret)
    return kept


def find_secret(text: str) -> SecretMatch | None:
    """The first key in `text`, or None."""
    secrets = find_secrets(text)
    return secrets[0] if secrets else None


def redact_secrets(text: str) -> str:
    """`text` with every key in it replaced by its redacted form (for any output that
    quotes source text a secret may sit in)."""
    secrets = find_secrets(text)
    if not secrets:
        return text
    parts: list[str] = []
    position = 0
    for secret in secrets:
        parts.append(text[position : secret.start])
        parts.append(secret.redacted)
        position = secret.end
    parts.append(text[position:])
    return "".join(parts)


def _is_placeholder(text: str, match: re.Match[str]) -> bool:
    body = match["body"]
    letters = _SEPARATORS.sub("", body)
    if len(set(letters.lower())) <= 1 or _PLACEHOLDER_WORDS.search(body):
        return True
    if _reads_like_a_phrase(body):
        return True
    before = text[match.start() - 1 : match.start()]
    return before == "<" or text.startswith(_MASKS_AFTER, match.end())


def _reads_like_a_phrase(body: str) -> bool:
    """`learn-pipeline-configuration`: separated lowercase words. Random key bodies
    always hold digits or capitals."""
    return (
        _SEPARATORS.search(body) is not None
        and not any(c.isdigit() for c in body)
        and not any(c.isupper() for c in body)
    )


# --- byte pre-filter -------------------------------------------------------------------
#
# Every key holds its format's marker. Testing fifteen markers costs fifteen scans of
# the file; these few patterns cover them all (a test checks it), and each starts with
# one literal byte, which Python's `re` finds with its fastest scan.
_MARKER_SEARCHES: tuple[re.Pattern[bytes], ...] = (
    re.compile(rb"k(?:-|_live_)"),  # sk-, sk-ant-, sk-proj-, sk_live_, rk_live_
    re.compile(rb"h(?:[psuor]_|ub_pat_)"),  # ghp_ gho_ ghs_ ghu_ ghr_, github_pat_
    re.compile(rb"A(?:KIA|Iza)"),
    re.compile(rb"x(?:ox)"),
    re.compile(rb"P(?:RIVATE KEY-----)"),
)
# Each marker, and whether a key must start a token there: the character before such
# a marker may not be a letter or a digit (`task-list` holds `sk-`, and no key).
_MARKERS: tuple[tuple[bytes, bool], ...] = tuple(
    (key_format.marker.encode("ascii"), key_format.regex.startswith(_START))
    for key_format in KEY_FORMATS
)


# What a backslash that drops out of a literal's value may leave between two of its
# characters in the bytes: backslashes (`"s\\k-..."`), with line breaks after them (line
# continuations). A superset of what prefilter.unescaped_bytes removes, as one class.
_DROPPED = r"[\\\r\n\xe2\x80\xa8\xa9]*"
# Right before a key that starts a token in a literal's value, the bytes show a
# character that is not a letter or a digit (a quote, a space, a dropped backslash or
# line break), or an escape such as `\\n`, or nothing (the start of the file).
_TOKEN_START = r"(?:^|[^A-Za-z0-9]|\\[A-Za-z0-9])"


def _spelled(marker: str) -> str:
    return _DROPPED.join(re.escape(char) for char in marker)


# `may_hold_secret` as one search of the raw bytes, for `prefilter.lacks_match` (which
# answers it from the one scan of the file that the byte filters share): a marker,
# with what a dropped backslash leaves allowed between its characters, where a key of
# its format can start. Files where an escape could spell a character are let through
# apart (`prefilter.may_hide_text`); the check then reads every literal's value.
# Kept as its source, not compiled by `re` (milliseconds, every run): the scan answers
# it (prefilter.has_pattern).
MARKERS_TEXT: bytes = "|".join(
    (_TOKEN_START + _DROPPED if at_token_start else "") + _spelled(marker.decode("ascii"))
    for marker, at_token_start in sorted(set(_MARKERS))
).encode("ascii")


# Escapes that can spell a character in a literal (prefilter.may_hide_text's pattern).
LETTER_ESCAPE: re.Pattern[bytes] = re.compile(rb"\\(?:[xu]|[0-7])")


def may_hold_secret(content: bytes) -> bool:
    """False only when no string literal of a file with these bytes can hold a key:
    no marker occurs in them where a key can start (nor in them without their
    backslashes), and no escape could spell one."""
    if b"\\" in content:
        # Escapes: read the bytes as a literal's value may (prefilter.unescaped_bytes;
        # None when an escape could spell any character). An escape may also stand
        # before a key (`"\nsk-..."`): its value starts a token there and its bytes do
        # not, so any marker counts.
        read = unescaped_bytes(content)
        if read is None:
            return True
        return _shows_a_marker(read) and any(m in read for m, _ in _MARKERS)
    if not _shows_a_marker(content):
        return False
    # Without escapes a literal's value is the stretch of bytes between its quotes.
    return any(_occurs(content, marker, at_token_start) for marker, at_token_start in _MARKERS)


def _shows_a_marker(content: bytes) -> bool:
    """A quick test that every marker passes."""
    return any(pattern.search(content) is not None for pattern in _MARKER_SEARCHES)


def _occurs(content: bytes, marker: bytes, at_token_start: bool) -> bool:
    at = content.find(marker)
    while at != -1:
        if not at_token_start or at == 0 or not content[at - 1 : at].isalnum():
            return True
        at = content.find(marker, at + 1)
    return False
