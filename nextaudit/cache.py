"""The result cache: `.nextaudit_cache/` at the project root.

An entry holds one file's findings, notices, suppressions and the facts project rules
collected from it (registry.FactCollector), keyed by a hash of the
file's bytes, nextaudit's version, the file's project-relative path (roles come from
it), the effective rules and options for that file (the collecting project rules'
included), and the few facts outside the file
that file rules read (the names of the files beside a route file). Entries are JSON,
never pickle: a cache directory is writable by whoever can write the repository, and
loading it must never run code. Each entry is written to a temporary file and renamed,
so concurrent runs never see half an entry; an entry that does not load (corrupt,
truncated, other version) is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import cast

from nextaudit import __version__
from nextaudit.findings import Finding, Location, Notice, Severity
from nextaudit.suppressions import Suppression

CACHE_DIR_NAME = ".nextaudit_cache"
FORMAT = 2  # 2: entries hold the facts project rules collected per file
_GITIGNORE = "# Automatically created by nextaudit.\n*\n"
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by nextaudit.\n"
)


def settings_digest(settings: Sequence[object]) -> str:
    return hashlib.sha256(repr(tuple(settings)).encode("utf-8")).hexdigest()


def entry_key(raw: bytes, rel_path: str, settings_hash: str, context: str) -> str:
    digest = hashlib.sha256()
    for part in (__version__, str(FORMAT), rel_path, settings_hash, context):
        digest.update(part.encode("utf-8", errors="surrogateescape"))
        digest.update(b"\0")
    digest.update(raw)
    return digest.hexdigest()


def file_context(path: str, is_route: bool) -> str:
    """Facts outside the file that file rules depend on: a route file's neighbours
    (route-exports flags a route beside a page)."""
    if not is_route:
        return ""
    try:
        return "\n".join(sorted(os.listdir(os.path.dirname(path))))
    except OSError:
        return ""


# --- project rules ----------------------------------------------------------------------
# A project rule reads the whole tree, so its entry is keyed by the rule's settings,
# the scanned root, every source file under it (path, size, modification time: the
# metadata ESLint's and Ruff's caches use, since hashing every file's bytes would cost
# as much as the rules save) and the bytes of the project inputs (package.json files,
# lockfiles, Prisma schemas). The other files the rule read (a document such as
# readme/structure.md) are listed in the entry with their own digests and checked on
# every hit.


def project_key(
    setting: object,
    root: str,
    sources: Sequence[tuple[str, int, int]],
    inputs: Sequence[tuple[str, str]],
) -> str:
    digest = hashlib.sha256()
    for part in (__version__, str(FORMAT), "project", repr(setting), root):
        digest.update(part.encode("utf-8", errors="surrogateescape"))
        digest.update(b"\0")
    for entry in (*sources, *inputs):
        digest.update(repr(entry).encode("utf-8", errors="surrogateescape"))
        digest.update(b"\0")
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """The bytes of a small input file, or "missing" (its absence is a fact too)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


class ProjectCache:
    """Findings of project rules, one entry per rule (see `project_key`)."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def _entry_path(self, key: str) -> Path:
        return self.cache.directory / f"v{FORMAT}" / "project" / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[Finding] | None:
        try:
            with open(self._entry_path(key), encoding="utf-8") as handle:
                data = json.load(handle)
            if data.get("key") != key:
                return None
            for path, digest in data["read"]:
                if file_digest(Path(path)) != digest:
                    return None  # the document (or another input) changed
            return [_finding(f[1:], str(f[0])) for f in data["findings"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
            return None  # missing, corrupt or from another format: rebuild

    def put(self, key: str, read: Mapping[Path, str], findings: Sequence[Finding]) -> None:
        """`read`: the other files the rule read, with their digests when it read them."""
        document = {
            "key": key,
            "read": [[p.as_posix(), read[p]] for p in sorted(read)],
            "findings": [[f.path, *_finding_json(f)] for f in findings],
        }
        self.cache.write_entry(self._entry_path(key), document)


# Folders this process created or found (each run writes thousands of entries into
# 256 shards: one makedirs per shard, not per entry), and a counter for the names of
# temporary files (pid + counter is unique; O_EXCL guards against a leftover).
_READY_FOLDERS: set[str] = set()
_TEMPORARY_NAMES = itertools.count()


Entry = tuple[list[Finding], list[Notice], list[Suppression], dict[str, object]]


class Cache:
    """File entries, one JSON file each (written by whichever process analysed the
    file), plus an index: every entry of the last run in one file, written by the
    parent at the end of a run, so a warm run reads one file instead of one per
    source. An entry missing from the index (another run's settings, a file the
    last run did not see) is read from its own file; a corrupt index is ignored."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        # Entry paths by string concatenation: a warm run builds one per file.
        self._entries = os.path.join(os.fspath(directory), f"v{FORMAT}") + os.sep
        self._index: dict[str, object] | None = None
        self._index_damaged = False  # an indexed entry did not read: rewrite the index

    def _entry_path(self, key: str) -> str:
        return f"{self._entries}{key[:2]}{os.sep}{key}.json"

    @property
    def index_path(self) -> str:
        return f"{self._entries}index.json"

    def index(self) -> dict[str, object]:
        """The entries of the last run's index, by key (empty when there is none)."""
        if self._index is None:
            self._index = {}
            try:
                with open(self.index_path, encoding="utf-8") as handle:
                    data = json.load(handle)
                if isinstance(data, dict) and data.get("version") == __version__:
                    entries = data.get("entries")
                    if isinstance(entries, dict):
                        self._index = entries
            except (OSError, ValueError):
                pass  # missing or corrupt: entries are read from their own files
        return self._index

    def index_holds(self, keys: Collection[str]) -> bool:
        """Whether the index holds exactly these entries, all readable (a warm run
        that changed nothing then writes nothing)."""
        return not self._index_damaged and set(keys) == self.index().keys()

    def write_index(self, entries: Mapping[str, object]) -> None:
        """Replace the index with `entries` (key -> document)."""
        document = {"version": __version__, "entries": dict(entries)}
        self.write_entry(self.index_path, document)
        self._index, self._index_damaged = dict(entries), False

    def get(self, key: str, path: str) -> Entry | None:
        indexed = self.index().get(key)
        if indexed is not None:
            found = _decoded(indexed, path) if isinstance(indexed, dict) else None
            if found is not None:
                return found
            self._index_damaged = True
        try:
            with open(self._entry_path(key), encoding="utf-8") as handle:
                data = json.load(handle)
            if data.get("key") != key:
                return None
        except (OSError, ValueError, AttributeError):
            return None  # missing, corrupt or from another format: rebuild
        return _decoded(data, path)

    @staticmethod
    def document(
        findings: Sequence[Finding],
        notices: Sequence[Notice],
        suppressions: Sequence[Suppression],
        facts: Mapping[str, object] | None = None,
    ) -> dict[str, object]:
        """An entry as stored (its key aside)."""
        return {
            "findings": [_finding_json(f) for f in findings],
            "notices": [[n.message, n.kind, n.fatal] for n in notices if not n.fatal],
            "suppressions": [_suppression_json(s) for s in suppressions],
            "facts": dict(facts or {}),
        }

    def put(
        self,
        key: str,
        findings: Sequence[Finding],
        notices: Sequence[Notice],
        suppressions: Sequence[Suppression],
        facts: Mapping[str, object] | None = None,
    ) -> None:
        document = {"key": key, **self.document(findings, notices, suppressions, facts)}
        self.write_entry(self._entry_path(key), document)

    def write_entry(self, target: str | Path, document: object) -> None:
        """Write one entry atomically (a temporary file, then a rename), or not at all."""
        text = json.dumps(document, separators=(",", ":"))
        folder = os.path.dirname(target)
        for _attempt in range(2):
            try:
                self._write(folder, target, text)
                return
            except FileNotFoundError:
                # The cache was removed under us (a `rm -rf`, another tool's clean):
                # forget which folders exist and make them again, once.
                _READY_FOLDERS.discard(folder)
                _READY_FOLDERS.discard(os.fspath(self.directory))
            except OSError:
                return  # a read-only checkout or a full disk: the run goes on uncached

    def _write(self, folder: str, target: str | Path, text: str) -> None:
        self._prepare()
        if folder not in _READY_FOLDERS:
            os.makedirs(folder, exist_ok=True)
            _READY_FOLDERS.add(folder)
        temporary = os.path.join(folder, f".tmp-{os.getpid()}-{next(_TEMPORARY_NAMES)}.json")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def _prepare(self) -> None:
        directory = os.fspath(self.directory)
        if directory in _READY_FOLDERS:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, text in ((".gitignore", _GITIGNORE), ("CACHEDIR.TAG", _CACHEDIR_TAG)):
            marker = self.directory / name
            if not marker.exists():
                with contextlib.suppress(OSError):
                    marker.write_text(text, encoding="utf-8")
        _READY_FOLDERS.add(directory)


def _decoded(data: Mapping[str, object], path: str) -> Entry | None:
    """An entry's findings, notices, suppressions and facts, or None when it does not
    read as one (corrupt, another format): then the file is analysed again."""
    try:
        return (
            [_finding(f, path) for f in cast(list[list[object]], data["findings"])],
            [_notice(n, path) for n in cast(list[list[object]], data["notices"])],
            [_suppression(x, path) for x in cast(list[list[object]], data["suppressions"])],
            dict(cast(dict[str, object], data["facts"])),
        )
    except (ValueError, KeyError, TypeError, AttributeError, AssertionError):
        return None


def _location_json(loc: Location) -> list[int]:
    return [loc.line, loc.column, loc.end_line, loc.end_column]


def _finding_json(finding: Finding) -> list[object]:
    return [
        finding.rule_id,
        int(finding.severity),
        finding.message,
        _location_json(finding.location),
        finding.snippet,
    ]


def _finding(data: list[object], path: str) -> Finding:
    rule_id, severity, message, loc, snippet = data
    assert isinstance(loc, list)
    return Finding(
        str(rule_id),
        Severity(int(str(severity))),
        str(message),
        path,
        Location(*map(int, loc)),
        str(snippet),
    )


def _notice(data: list[object], path: str) -> Notice:
    message, kind, fatal = data
    return Notice(path, str(message), str(kind), bool(fatal))


def _suppression_json(s: Suppression) -> list[object]:
    return [
        _location_json(s.location),
        list(s.rule_ids),
        s.reason,
        s.whole_file,
        sorted(s.lines),
        s.problem,
    ]


def _suppression(data: list[object], path: str) -> Suppression:
    loc, ids, reason, whole_file, lines, problem = data
    assert isinstance(loc, list) and isinstance(ids, list) and isinstance(lines, list)
    return Suppression(
        path,
        Location(*map(int, loc)),
        tuple(str(i) for i in ids),
        str(reason),
        bool(whole_file),
        frozenset(int(n) for n in lines),
        str(problem),
    )
