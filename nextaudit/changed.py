"""`--changed-since REF`: the files a pull request touches, from git."""

from __future__ import annotations

import subprocess
from pathlib import Path


class ChangedFilesError(Exception):
    pass


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="surrogateescape",
            check=False,
            timeout=120,
        )
    except FileNotFoundError:
        raise ChangedFilesError("--changed-since needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise ChangedFilesError(f"git {' '.join(args)} timed out") from None
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise ChangedFilesError(f"git {args[0]}: {reason}")
    return done.stdout


def changed_files(ref: str, cwd: Path) -> tuple[Path, set[Path]]:
    """(git root, files changed between the merge base of `ref` and the working tree,
    plus untracked files that are not ignored). Deleted files are left out."""
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    except ChangedFilesError:
        raise ChangedFilesError("--changed-since works only inside a git repository") from None
    try:
        base = _git(["merge-base", ref, "HEAD"], cwd).strip()
    except ChangedFilesError as exc:
        raise ChangedFilesError(
            f"--changed-since {ref}: cannot find a merge base ({exc})"
        ) from None
    diff = _git(["diff", "--name-only", "-z", "--no-renames", base], top)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    names = [n for n in (diff + untracked).split("\0") if n]
    files = {top / name for name in names}
    return top, {f for f in files if f.exists()}
