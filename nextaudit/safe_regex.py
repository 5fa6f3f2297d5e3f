"""User-supplied regular expressions (config options such as `extra-patterns`).

They run on every string of every file, so a pattern with catastrophic backtracking
(`(a+)+$`) would hang the run with Python's `re`. They are compiled with RE2
(google-re2), whose matching time is linear in the input; RE2 rejects the few
features that make that impossible (backreferences, lookaround), and that rejection
is reported as a configuration error.
"""

from __future__ import annotations

import functools
from typing import Protocol


class UserRegexError(ValueError):
    pass


class UserPattern(Protocol):
    """What checks may call on a user pattern (the subset `re` and RE2 share)."""

    def search(self, text: str, /) -> object | None: ...

    def match(self, text: str, /) -> object | None: ...

    def fullmatch(self, text: str, /) -> object | None: ...


@functools.cache
def compile_builtin_regex(pattern: str, ignore_case: bool = True) -> UserPattern:
    """A pattern nextaudit ships as an option default: our own code, reviewed for
    backtracking, so it may use Python `re` features RE2 lacks (lookaround)."""
    import re

    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


def compile_option_regex(pattern: str, defaults: object) -> UserPattern:
    """A regex-list option entry: built-in defaults with `re`, anything else with RE2."""
    if isinstance(defaults, (list, tuple)) and pattern in defaults:
        return compile_builtin_regex(pattern)
    return compile_user_regex(pattern)


@functools.cache
def compile_user_regex(pattern: str, ignore_case: bool = True) -> UserPattern:
    """Compile with RE2 (case-insensitive by default, like the spec's patterns)."""
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print its own diagnostics to stderr
    options.case_sensitive = not ignore_case
    try:
        compiled: UserPattern = re2.compile(pattern, options)
    except re2.error as exc:
        reason = str(exc.args[0] if exc.args else exc)
        if reason.startswith("b'") or reason.startswith('b"'):
            reason = reason[2:-1]
        raise UserRegexError(
            f"invalid regular expression {pattern!r}: {reason}"
            " (nextaudit uses RE2: no backreferences or lookaround)"
        ) from None
    return compiled
