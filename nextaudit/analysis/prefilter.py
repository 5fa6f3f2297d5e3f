"""Byte pre-filters: a check returns at once when the file's bytes cannot hold what it
looks for.

Most files break no rule, and most rules look for something a file's bytes must
contain: `process.env` needs `env`, an empty catch needs `catch`, a logged secret needs
a logger's name. Testing the bytes (a C-level `in` or one regex search) costs
microseconds; asking the tree costs a walk over every node, about a quarter of the
parse. A filter must be *necessary*, never a guess: if the check could report
anything in a file, the filter lets the file through. `tests/test_prefilter.py` runs
every rule over every fixture with the filters on and off and demands the same
findings; `ENABLED = False` turns them all off (that test's switch).

Escapes: a string's value is not its bytes. `\\u0067`, `\\x67` and `\\147` spell any
letter (`may_hide_text`); a backslash before a character that starts no escape drops
out (`"g\\pt"` is "gpt"), and so does a backslash before a line break. A filter on
text a string literal may hold uses `lacks_text` / `lacks_text_match`, which allow
for all three.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from nextaudit.source import SourceFile

ENABLED = True

# Escapes that can spell a letter inside a string or template literal: \x67, \u0067,
# \u{67}, and legacy octal \147. (Identifiers can hold \u escapes too.)
_LETTER_ESCAPE = re.compile(rb"\\(?:[xu]|[0-7])")


def lacks(source: SourceFile, *needles: bytes) -> bool:
    """True when filtering is on and none of `needles` occurs in the file's bytes."""
    if not ENABLED:
        return False
    content = source.content
    return not any(needle in content for needle in needles)


def lacks_any(source: SourceFile, needles: Iterable[str]) -> bool:
    """`lacks` for names from options (strings); an empty list lacks nothing."""
    if not ENABLED:
        return False
    content = source.content
    found_any_needle = False
    for needle in needles:
        found_any_needle = True
        if needle.encode("utf-8") in content:
            return False
    return found_any_needle


def lacks_match(source: SourceFile, pattern: re.Pattern[bytes]) -> bool:
    """True when filtering is on and `pattern` matches nowhere in the file's bytes."""
    return ENABLED and pattern.search(source.content) is None


def lacks_text(source: SourceFile, *needles: bytes) -> bool:
    """`lacks` for text that may sit in a string literal's value (a module name, a
    quoted key): none of `needles` in the bytes, nor in the bytes as escapes that
    only drop a backslash read them, and no escape that can spell a letter."""
    if not lacks(source, *needles):
        return False
    read = unescaped(source)
    if read is None:
        return False
    return not any(needle in read for needle in needles)


def lacks_text_match(source: SourceFile, pattern: re.Pattern[bytes]) -> bool:
    """`lacks_match` for text that may sit in a string literal's value (`lacks_text`)."""
    if not lacks_match(source, pattern):
        return False
    read = unescaped(source)
    return read is not None and pattern.search(read) is None


def unescaped(source: SourceFile) -> bytes | None:
    """`unescaped_bytes` of the file, once per file: most files hold a backslash
    (`"\\n"`), and several rules ask."""
    return source.memo("prefilter.unescaped", _unescaped_content)


def _unescaped_content(source: SourceFile) -> bytes | None:
    return unescaped_bytes(source.content)


def unescaped_bytes(content: bytes) -> bytes | None:
    """The bytes with every backslash that could drop out of a string's value
    dropped (with the line break after it: a line continuation), so that every text
    a literal's value holds shows in them; None when an escape could spell any letter,
    and no reading of the bytes is safe."""
    if b"\\" not in content:
        return content
    if _LETTER_ESCAPE.search(content) is not None:
        return None
    for continuation in (b"\\\r\n", b"\\\n", "\\\u2028".encode(), "\\\u2029".encode()):
        content = content.replace(continuation, b"")
    return content.replace(b"\\", b"")


def may_hide_text(source: SourceFile) -> bool:
    """Whether an escape in the file could spell, in a literal's value, text that its
    bytes do not show (so a filter on that text must let the file through)."""
    return _LETTER_ESCAPE.search(source.content) is not None
