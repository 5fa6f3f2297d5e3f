"""Paths -> the source files to analyse.

Honours `.gitignore` files (gitignore semantics via pathspec, nested files relative to
their own directory), always skips dependency and build folders, and follows a symlink
only when its target stays inside the scanned root and was not visited before.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from nextaudit.source import SOURCE_EXTENSIONS

ALWAYS_SKIPPED = frozenset({"node_modules", ".next", "dist", "build", "out", "coverage", ".git"})


class DiscoveryError(Exception):
    """A path given on the command line does not exist."""


@dataclass
class Discovery:
    # The files to analyse: absolute, as the OS names them, sorted by POSIX form.
    # Strings: a Path costs 3-6 us to make, and a run needs few of them (`files`).
    paths: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    # Files the `also` test picked in the same walk (project inputs: package.json...),
    # and the directories walked, whose trees `others` then covers.
    others: list[Path] = field(default_factory=list)
    walked: list[Path] = field(default_factory=list)

    @functools.cached_property
    def files(self) -> list[Path]:
        """`paths` as Paths."""
        return [Path(path) for path in self.paths]


@dataclass(frozen=True)
class _Ignore:
    prefix: str  # the .gitignore's directory, as a POSIX path ending in "/"
    spec: pathspec.GitIgnoreSpec

    def in_folder(self, posix_folder: str) -> Callable[[str, bool], bool] | None:
        """`matches` for the entries of one folder (by name), or None when this file
        cannot match them: the prefix is tested once per folder, not per entry."""
        if not posix_folder.startswith(self.prefix):
            return None
        rel_folder = posix_folder[len(self.prefix) :]
        match_file = self.spec.match_file

        def matches(name: str, is_dir: bool) -> bool:
            return bool(match_file(rel_folder + name + "/" if is_dir else rel_folder + name))

        return matches


def _load_gitignore(directory: Path) -> _Ignore | None:
    candidate = directory / ".gitignore"
    try:
        lines = candidate.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    prefix = directory.as_posix().rstrip("/") + "/"
    return _Ignore(prefix, pathspec.GitIgnoreSpec.from_lines(lines))


def find_git_root(start: Path) -> Path | None:
    current = start if start.is_dir() else start.parent
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _inherited_ignores(directory: Path) -> list[_Ignore]:
    """`.gitignore` files of the ancestors of `directory`, up to its git root."""
    git_root = find_git_root(directory)
    if git_root is None:
        return []
    chain = [directory, *directory.parents]
    chain = chain[: chain.index(git_root) + 1] if git_root in chain else [directory]
    ignores = [_load_gitignore(d) for d in reversed(chain[1:])]
    return [i for i in ignores if i is not None]


def _ignored_here(name: str, is_dir: bool, ignored_here: list[Callable[[str, bool], bool]]) -> bool:
    """Whether a `.gitignore` of the folder or above ignores its entry `name`
    (`ignored_here`: their `in_folder` matchers). Later (deeper) files win; pathspec's
    GitIgnoreSpec handles negation within a file."""
    for matches in ignored_here:  # noqa: SIM110 - a loop: a generator costs more here
        if matches(name, is_dir):
            return True
    return False


def is_source_file(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in SOURCE_EXTENSIONS


def discover(
    paths: Iterable[Path],
    root: Path | None = None,
    *,
    excluded: Callable[[Path, bool], bool] | None = None,
    wanted: Callable[[str], bool] = is_source_file,
    also: Callable[[str], bool] | None = None,
) -> Discovery:
    """Sorted, de-duplicated source files under `paths`. Explicit file arguments are
    always analysed; `excluded(path, is_dir)` adds config excludes. Files whose name
    passes `also` (and not `wanted`) are listed in `others`, found by the same walk."""
    result = Discovery()
    seen_files: set[str] = set()
    for given in paths:
        if not given.exists() and not given.is_symlink():
            raise DiscoveryError(f"path does not exist: {given}")
        absolute = Path(os.path.abspath(given))
        if absolute.is_file():
            if not _utf8_name(absolute.name):
                result.notes.append(_undecodable_name_note(absolute, "file"))
                continue
            real = os.path.realpath(absolute)
            if real not in seen_files:
                seen_files.add(real)
                result.paths.append(os.fspath(absolute))
            continue
        if not absolute.is_dir():  # a FIFO, a device, a socket: never opened (a FIFO blocks)
            result.notes.append((absolute.as_posix(), "skipped: not a regular file or a directory"))
            continue
        result.walked.append(absolute)
        _walk(absolute, result, seen_files, excluded, wanted, also)
    result.paths.sort(key=None if os.sep == "/" else posix_path)
    result.others.sort(key=lambda p: p.as_posix())
    return result


def _walk(
    top: Path,
    result: Discovery,
    seen_files: set[str],
    excluded: Callable[[Path, bool], bool] | None,
    wanted: Callable[[str], bool],
    also: Callable[[str], bool] | None,
) -> None:
    real_top = os.path.realpath(top)
    visited_dirs = {real_top}
    base_ignores = _inherited_ignores(top)
    # The walk runs on strings: a Path costs 3-6 us to make, about as much as the
    # rest of an entry's work, so only the files kept become Paths (and every entry
    # only when there is an `excluded` to ask: Config.path_filter). Each folder
    # travels with its real path: an entry that is not a symlink is then
    # real_dir/name, and os.path.realpath (an lstat per path component) is only
    # needed for symlinks.
    sep = os.sep
    stack: list[tuple[str, str, list[_Ignore]]] = [(os.fspath(top), real_top, base_ignores)]
    while stack:
        directory, real_dir, ignores = stack.pop()
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=_name)
        except OSError as exc:
            shown = Path(directory).as_posix()
            result.notes.append((shown, f"cannot read directory: {exc.strerror}"))
            continue
        if any(entry.name == ".gitignore" for entry in entries):
            own = _load_gitignore(Path(directory))
            if own is not None:
                ignores = [*ignores, own]
        subdirs: list[tuple[str, str]] = []
        folder = directory.rstrip(sep) + sep
        real_folder = real_dir.rstrip(sep) + sep
        posix_folder = folder if sep == "/" else folder.replace(sep, "/")
        ignored_here = [m for m in (i.in_folder(posix_folder) for i in ignores) if m is not None]
        for entry in entries:
            name = entry.name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir()  # follows symlinks
                is_file = entry.is_file()
            except OSError:
                continue
            # Most entries of a tree are neither wanted files nor folders worth entering.
            if is_dir:
                wanted_file = False
            elif is_file and wanted(name):
                wanted_file = True
            elif is_file and also is not None and also(name):
                wanted_file = False
            else:
                continue
            if not _utf8_name(name):
                # Such a name cannot be matched against globs nor written into a UTF-8
                # report, so the file (or folder) is skipped, and the run says so.
                if is_dir or wanted_file:
                    result.notes.append(
                        _undecodable_name_note(
                            Path(folder + name), "directory" if is_dir else "file"
                        )
                    )
                continue
            if is_dir and name in ALWAYS_SKIPPED:
                continue
            if ignored_here and _ignored_here(name, is_dir, ignored_here):
                continue
            path = folder + name
            if excluded is not None and excluded(Path(path), is_dir):
                continue
            real = os.path.realpath(path) if is_link else real_folder + name
            if is_link and not _inside(real, real_top):
                continue
            if is_dir:
                if real in visited_dirs:
                    continue  # a symlink cycle or a second way into the same folder
                visited_dirs.add(real)
                subdirs.append((path, real))
            elif real not in seen_files:
                seen_files.add(real)
                if wanted_file:
                    result.paths.append(path)
                else:
                    result.others.append(Path(path))
        stack.extend((d, real, ignores) for d, real in reversed(subdirs))


def posix_path(path: str) -> str:
    """An OS path string in POSIX form (itself where the separator is `/`)."""
    return path if os.sep == "/" else path.replace(os.sep, "/")


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _utf8_name(name: str) -> bool:
    """False for a name holding bytes that are not UTF-8 (Python keeps them as lone
    surrogates, which no UTF-8 output can hold)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _undecodable_name_note(path: Path, what: str) -> tuple[str, str]:
    shown = os.fsencode(path).decode("utf-8", errors="backslashreplace")
    return shown, f"skipped: the {what} name is not valid UTF-8"


def _inside(real: str, real_top: str) -> bool:
    return real == real_top or real.startswith(real_top.rstrip(os.sep) + os.sep)
