"""relative_posix answers by string where it can, exactly as Path.relative_to would."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nextaudit.results import relative_posix


def _by_pathlib(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return Path(os.path.relpath(path, base)).as_posix()


@pytest.mark.parametrize(
    ("path", "base", "expected"),
    [
        ("/repo/app/api/route.ts", "/repo", "app/api/route.ts"),
        ("/repo", "/repo", "."),
        ("/repo/a.ts", "/", "repo/a.ts"),
        ("/repo-two/a.ts", "/repo", "../repo-two/a.ts"),  # a shared prefix, not a parent
        ("/other/a.ts", "/repo/sub", "../../other/a.ts"),
        ("/repo//app/./x.ts", "/repo/", "app/x.ts"),  # Path normalises both sides
        ("app/x.ts", ".", "app/x.ts"),  # relative paths take the pathlib road
        ("/repo/app/", "/repo", "app"),  # a string that Path would write otherwise
        ("/repo/app/.", "/repo", "app"),
        ("/repo/./app", "/repo", "app"),
    ],
)
def test_relative_posix_agrees_with_pathlib(path: str, base: str, expected: str) -> None:
    assert relative_posix(Path(path), Path(base)) == expected
    assert relative_posix(path, Path(base)) == expected  # as a string, normal or not
    assert _by_pathlib(Path(path), Path(base)) == expected
