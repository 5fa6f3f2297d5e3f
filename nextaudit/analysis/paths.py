"""Matching a file's project-relative path against the globs of a `glob-list` option."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import pathspec


@functools.lru_cache(maxsize=256)
def _spec(globs: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    # Options hold the same few lists for every file of a run: compile each list once.
    return pathspec.GitIgnoreSpec.from_lines(glob.removeprefix("./") for glob in globs)


def glob_match(rel_path: str, globs: Iterable[str]) -> bool:
    """True when `rel_path` (POSIX, relative to the project root) matches `globs`.

    The globs have `.gitignore` semantics, which users already know: a glob without a
    slash matches a file name at any depth (`env.ts`, `*.config.ts`); one with a slash
    is anchored at the project root (`lib/env.ts`, `src/env/**`); `**/` stands for any
    number of directories, none included (`**/lib/env.ts` matches `lib/env.ts`); a
    trailing `/` matches everything below a directory; a later `!glob` takes a match
    back. An empty list matches nothing.
    """
    key = tuple(g for g in globs if g.strip())
    if not key:
        return False
    return _spec(key).match_file(rel_path.removeprefix("./"))
