"""The result cache: `.nextaudit_cache/` at the project root.

A file's entry holds its findings, notices, suppressions and the facts project rules
collected from it (registry.FactCollector), under a key made of a hash of the file's
bytes, nextaudit's version, the file's project-relative path (roles come from it), the
effective rules and options for that file (the collecting project rules' included),
and the few facts outside the file that file rules read (the names of the files beside
a route file).

All file entries live in one file, `v3/files.json`, written by the parent process at
the end of a run: a cold run creates one file instead of one per source (thousands of
file creations cost more than a tenth of the analysis), and a warm run reads one.
Beside each entry the index keeps the file's stat stamp (size, modification and change
times, inode) when its bytes were hashed, as git's index does: a file whose stamp is
unchanged is not read again. A stamp is only kept for a file last modified more than
RACY_NS before it was looked at, so that an edit within the file system's timestamp
granularity cannot leave a stamp unchanged over new bytes.

Entries are JSON, never pickle: a cache directory is writable by whoever can write the
repository, and loading it must never run code. Files are written to a temporary file
and renamed, so concurrent runs never see half an index (the last one to finish wins,
and the other's results are analysed again next time); an index or entry that does not
load (corrupt, truncated, another version) is ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, cast

from nextaudit import __version__
from nextaudit.findings import Finding, Location, Notice, Severity
from nextaudit.suppressions import Suppression

CACHE_DIR_NAME = ".nextaudit_cache"
# 2: entries hold the facts project rules collected per file; 3: one index of file
# entries with stat stamps, no file per entry.
FORMAT = 3
_GITIGNORE = "# Automatically created by nextaudit.\n*\n"
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by nextaudit.\n"
)
# A stamp is trusted only for files last modified this long before they were looked
# at: two seconds covers the coarsest timestamps in use (FAT), and a file edited that
# recently is simply hashed again next time.
RACY_NS = 2_000_000_000

# (size, mtime_ns, ctime_ns, inode): what changes when a file's bytes may have.
Stamp = tuple[int, int, int, int]


def stamp_of(stat: os.stat_result, now_ns: int) -> Stamp | None:
    """The file's stamp, or None when it changed too recently to be trusted."""
    if stat.st_mtime_ns > now_ns - RACY_NS or stat.st_ctime_ns > now_ns - RACY_NS:
        return None
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def blob_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def settings_digest(settings: Sequence[object]) -> str:
    return hashlib.sha256(repr(tuple(settings)).encode("utf-8")).hexdigest()


def entry_key(blob: str, rel_path: str, settings_hash: str, context: str) -> str:
    """`blob`: the digest of the file's bytes (blob_digest)."""
    # One join and one update: a warm run computes this for every file.
    text = f"{_KEY_PREFIX}{rel_path}\0{settings_hash}\0{context}\0{blob}\0"
    return hashlib.sha256(text.encode("utf-8", errors="surrogateescape")).hexdigest()


_KEY_PREFIX = f"{__version__}\0{FORMAT}\0"


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


def project_key(setting: object, root: str, tree: str) -> str:
    """`tree`: tree_digest of the sources and inputs, shared by every project rule."""
    text = f"{_KEY_PREFIX}project\0{setting!r}\0{root}\0{tree}\0"
    return hashlib.sha256(text.encode("utf-8", errors="surrogateescape")).hexdigest()


def tree_digest(sources: Sequence[tuple[str, int, int]], inputs: Sequence[tuple[str, str]]) -> str:
    """The sources' (path, size, mtime) and the inputs' (path, digest), hashed."""
    text = "\0".join(map(repr, (*sources, *inputs)))
    return hashlib.sha256(text.encode("utf-8", errors="surrogateescape")).hexdigest()


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


# Folders this process created or found, and a counter for the names of temporary
# files (pid + counter is unique; O_EXCL guards against a leftover).
_READY_FOLDERS: set[str] = set()
_TEMPORARY_NAMES = itertools.count()


Entry = tuple[list[Finding], list[Notice], list[Suppression], dict[str, object]]
# A file's entry as the index stores it:
# [blob digest, stamp or null, key, findings, notices, suppressions, facts].
StoredEntry = list[object]


class Record(NamedTuple):
    """Where a file's result sits in the cache: its bytes' digest, its stamp when
    trusted, its key, and the stored entry when the result came from the index.
    (A named tuple: one is made per file of a warm run, and frozen dataclasses are
    several times slower to make.)"""

    blob: str
    stamp: Stamp | None
    key: str
    stored: StoredEntry | None = None


class Cache:
    """The index of file entries (see the module docstring) and the directory's upkeep.
    One object per process and directory (engine.cache_for): it keeps the loaded index."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._entries: dict[str, StoredEntry] | None = None

    @property
    def index_path(self) -> str:
        return os.path.join(os.fspath(self.directory), f"v{FORMAT}", "files.json")

    def entries(self) -> dict[str, StoredEntry]:
        """The stored entries by file path (empty when there is no readable index)."""
        if self._entries is None:
            self._entries = {}
            try:
                with open(self.index_path, encoding="utf-8") as handle:
                    data = json.load(handle)
                if isinstance(data, dict) and data.get("version") == __version__:
                    entries = data.get("entries")
                    if isinstance(entries, dict):
                        self._entries = entries
            except (OSError, ValueError):
                pass  # missing or corrupt: every file is analysed again
        return self._entries

    def _stored(self, path: str) -> StoredEntry | None:
        """The file's stored entry when it has an entry's shape."""
        stored = self.entries().get(path)
        return stored if isinstance(stored, list) and len(stored) == 7 else None

    def known_blob(self, path: str, stamp: Stamp | None) -> str | None:
        """The digest of the file's bytes when its stamp is the stored one."""
        stored = self._stored(path)
        if stamp is None or stored is None:
            return None
        known = stored[1]
        if not isinstance(known, list) or tuple(known) != stamp:
            return None
        blob = stored[0]
        return blob if isinstance(blob, str) else None

    def get(self, path: str, key: str) -> tuple[Entry, StoredEntry] | None:
        """The file's entry under `key`, or None (missing, stale, corrupt)."""
        stored = self._stored(path)
        if stored is None or stored[2] != key:
            return None
        found = _decoded(stored, path)
        return None if found is None else (found, stored)

    @staticmethod
    def stored_entry(
        record: Record,
        findings: Sequence[Finding],
        notices: Sequence[Notice],
        suppressions: Sequence[Suppression],
        facts: Mapping[str, object] | None = None,
    ) -> StoredEntry:
        """The entry to store for a result (the stored one again when it came from it)."""
        stamp = list(record.stamp) if record.stamp is not None else None
        if record.stored is not None:
            if record.stored[1] == stamp:
                return record.stored
            return [record.blob, stamp, *record.stored[2:]]
        return [
            record.blob,
            stamp,
            record.key,
            [_finding_json(f) for f in findings],
            [[n.message, n.kind, n.fatal] for n in notices if not n.fatal],
            [_suppression_json(s) for s in suppressions],
            dict(facts or {}),
        ]

    def write_entries(self, entries: Mapping[str, StoredEntry]) -> None:
        """Replace the index with `entries`, unless it holds exactly these already
        (a warm run that changed nothing writes nothing)."""
        if entries == self.entries():
            return
        self.write_entry(self.index_path, {"version": __version__, "entries": dict(entries)})
        self._entries = dict(entries)

    def write_entry(self, target: str | Path, document: object) -> None:
        """Write one file atomically (a temporary file, then a rename), or not at all."""
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


def _decoded(stored: StoredEntry, path: str) -> Entry | None:
    """A stored entry's findings, notices, suppressions and facts, or None when it
    does not read as one (corrupt, another format): then the file is analysed again."""
    findings, notices, suppressions, facts = stored[3:]
    if type(facts) is not dict:
        return None
    if findings == notices == suppressions == []:
        return [], [], [], dict(facts)  # most files: a warm run decodes thousands
    try:
        return (
            [_finding(f, path) for f in cast(list[list[object]], findings)],
            [_notice(n, path) for n in cast(list[list[object]], notices)],
            [_suppression(x, path) for x in cast(list[list[object]], suppressions)],
            dict(facts),
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
