"""Matching a file's project-relative path against the globs of a `glob-list` option."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable

import pathspec
from pathspec.util import NORMALIZE_PATH_SEPS, normalize_file

# pathspec's name for the group that marks a directory match: every pattern has it, so
# patterns joined into one regex must lose the name (the priority it feeds only matters
# when a negated glob competes).
_DIRECTORY_MARK = "(?P<ps_d>"


@functools.lru_cache(maxsize=256)
def _spec(globs: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    # Options hold the same few lists for every file of a run: compile each list once.
    return pathspec.GitIgnoreSpec.from_lines(glob.removeprefix("./") for glob in globs)


def _never(path: str) -> bool:
    return False


@functools.lru_cache(maxsize=256)
def _matcher(globs: tuple[str, ...]) -> Callable[[str], bool]:
    """`glob_match` for one list of globs, built once per list (a leading `./` of a
    path is dropped, as the globs' own).

    pathspec's matching goes through several layers per call (a few microseconds, and
    two rules ask it of every file). Without a negated glob, a path matches exactly
    when one pattern's regex finds it (pathspec's own `search` per pattern), so the
    regexes are joined into one; lists with a `!glob` keep pathspec's precedence.
    """
    kept = tuple(glob for glob in globs if glob.strip())
    if not kept:
        return _never
    spec = _spec(kept)
    regexes: list[str] = []
    for pattern in spec.patterns:
        if pattern.include is None:
            continue  # a comment or a blank line
        regex = getattr(pattern, "regex", None)
        if not pattern.include or not isinstance(regex, re.Pattern) or regex.flags & ~re.UNICODE:
            match_file = spec.match_file
            return lambda path: match_file(path.removeprefix("./"))
        regexes.append("(?:" + str(regex.pattern).replace(_DIRECTORY_MARK, "(?:") + ")")
    if not regexes:
        return _never
    search = re.compile("|".join(regexes)).search
    if NORMALIZE_PATH_SEPS:  # other separators than `/` (Windows): pathspec's way
        return lambda path: search(normalize_file(path.removeprefix("./"))) is not None

    def match(path: str) -> bool:
        path = path.removeprefix("./")
        # All `normalize_file` does with `/` the only separator, and only then.
        if path.startswith(("/", "./")):
            path = normalize_file(path)
        return search(path) is not None

    return match


def glob_match(rel_path: str, globs: Iterable[str]) -> bool:
    """True when `rel_path` (POSIX, relative to the project root) matches `globs`.

    The globs have `.gitignore` semantics, which users already know: a glob without a
    slash matches a file name at any depth (`env.ts`, `*.config.ts`); one with a slash
    is anchored at the project root (`lib/env.ts`, `src/env/**`); `**/` stands for any
    number of directories, none included (`**/lib/env.ts` matches `lib/env.ts`); a
    trailing `/` matches everything below a directory; a later `!glob` takes a match
    back. An empty list matches nothing.
    """
    return _matcher(tuple(globs))(rel_path)


def glob_matcher(globs: Iterable[str]) -> Callable[[str], bool]:
    """`glob_match` with these `globs`, for callers matching many paths against one
    list (built once per list)."""
    return _matcher(tuple(globs))
