"""glob_match (nextaudit/analysis/paths.py): one joined regex per glob list gives what
pathspec's GitIgnoreSpec gives, negated globs and odd paths included."""

from __future__ import annotations

import pathspec
from hypothesis import given, settings
from hypothesis import strategies as st

from nextaudit.analysis.paths import glob_match, glob_matcher

_GLOB_PIECES = ["**/", "lib", "/", "**", "*", "env.ts", "*.ts", "src", "!", "?", "[a-z]", "\\#"]
_PATH_PIECES = ["lib", "src", "app", "env.ts", "a.ts", "/", "./", "x", "a b", "ü", "#"]


def _pathspec(rel_path: str, globs: list[str]) -> bool:
    kept = [glob.removeprefix("./") for glob in globs if glob.strip()]
    if not kept:
        return False
    return pathspec.GitIgnoreSpec.from_lines(kept).match_file(rel_path.removeprefix("./"))


@settings(max_examples=300, deadline=None)
@given(
    globs=st.lists(
        st.lists(st.sampled_from(_GLOB_PIECES), min_size=1, max_size=5).map("".join), max_size=3
    ),
    path=st.lists(st.sampled_from(_PATH_PIECES), min_size=1, max_size=6).map("".join),
)
def test_glob_match_is_pathspecs(globs: list[str], path: str) -> None:
    try:
        expected = _pathspec(path, globs)
    except Exception:  # a glob pathspec rejects: rejected the same way
        return
    assert glob_match(path, globs) is expected, (globs, path)
    assert glob_matcher(globs)(path) is expected, (globs, path)


def test_glob_match_examples() -> None:
    assert glob_match("apps/web/lib/db.ts", ["**/lib/**"])
    assert not glob_match("apps/web/app/page.tsx", ["**/lib/**"])
    assert glob_match("./lib/env.ts", ["lib/env.ts"])
    assert not glob_match("lib/generated/x.ts", ["**/lib/**", "!**/lib/generated/**"])
    assert glob_match("lib/x.ts", ["**/lib/**", "!**/lib/generated/**"])
    assert not glob_match("lib/x.ts", ["", "  "])


def test_leading_slashes_and_dots_as_pathspec_drops_them() -> None:
    for path in [
        "lib/a.ts",
        "./lib/a.ts",
        "/lib/a.ts",
        ".//lib/a.ts",
        "././lib/a.ts",
        "//lib/a.ts",
    ]:
        for globs in (["lib/**"], ["**/lib/**"], ["lib/**", "!lib/b.ts"], ["a.ts"]):
            assert glob_match(path, globs) is _pathspec(path, globs), (path, globs)
