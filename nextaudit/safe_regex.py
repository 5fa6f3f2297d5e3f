"""User-supplied regular expressions (config options) compiled with a clear error."""

from __future__ import annotations

import functools
import re


class UserRegexError(ValueError):
    pass


@functools.cache
def compile_user_regex(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise UserRegexError(f"invalid regular expression {pattern!r}: {exc}") from None
