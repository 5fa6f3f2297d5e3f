"""Project: facts about the scanned tree that project-level rules read.

Built once per run from the scanned root: the `package.json` directories and their
lockfiles, Prisma schema files, and documents such as `readme/structure.md`. Rules
read these through the Project, never by walking the disk themselves. Every fact that
points into a file carries a real 1-based line and column, so findings on JSON, lockfiles
and Markdown land where an editor shows them.
"""

from __future__ import annotations

import bisect
import functools
import json
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import overload

from nextaudit.discovery import Discovery, discover, posix_path
from nextaudit.findings import Location
from nextaudit.results import relative_posix
from nextaudit.source import SourceFile, decode_source, normalise_newlines

LOCKFILES = (
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "bun.lock",
    "bun.lockb",
    "pnpm-lock.yaml",
)
# Sources larger than this are skipped by project rules, as the engine skips them.
MAX_SOURCE_BYTES = 4 * 1024 * 1024


class _NotCollected:
    """The answer of `Project.collected` for a file whose facts nobody collected."""

    def __repr__(self) -> str:
        return "NOT_COLLECTED"


NOT_COLLECTED = _NotCollected()


@dataclass
class TextFile:
    """A non-source file as an editor shows it: BOM dropped, lone CRs made line breaks
    (offsets unchanged), so `position()` agrees with the lines a user sees."""

    path: Path
    text: str

    @functools.cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @functools.cached_property
    def _line_starts(self) -> list[int]:
        starts = [0]
        find = self.text.find
        pos = find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        return starts

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset; columns count code points."""
        row = bisect.bisect_right(self._line_starts, offset) - 1
        return row + 1, offset - self._line_starts[row] + 1

    def span(self, start: int, end: int) -> Location:
        return Location(*self.position(start), *self.position(end))

    def line_text(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""


# --- package.json --------------------------------------------------------------------


@dataclass(frozen=True)
class JsonEntry:
    """A `"key": "string value"` member of a JSON object. `location` runs from the
    key's opening quote to the end of the value when both are on one line, else to the
    end of the key (a finding belongs on the line of the key)."""

    key: str
    value: str
    location: Location


@dataclass(frozen=True)
class PackageJson:
    """What project rules read from one `package.json`. JSON.parse semantics: when a
    key is repeated the last one wins, for `scripts` itself as for each script."""

    path: Path
    text: TextFile
    package_manager: JsonEntry | None
    scripts: tuple[JsonEntry, ...]


# Strings (with escapes), comments (not JSON, but tolerated rather than misread),
# punctuation, and bare literals (numbers, true, false, null, or garbage).
_JSON_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>"(?:[^"\\\n]|\\.)*")
    | (?P<punct>[{}\[\]:,])
    | (?P<bare>[^\s{}\[\]:,"/]+|/)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass
class _Token:
    kind: str
    start: int
    end: int
    raw: str


def _json_tokens(text: str) -> Iterator[_Token]:
    pos = 0
    while pos < len(text):
        match = _JSON_TOKEN.match(text, pos)
        if match is None:  # an unterminated string: nothing after it can be trusted
            return
        kind = match.lastgroup or "bare"
        if kind not in ("space", "comment"):
            yield _Token(kind, match.start(), match.end(), match.group())
        pos = match.end()


def _json_string(raw: str) -> str:
    try:
        value = json.loads(raw)
    except ValueError:
        return raw[1:-1]
    return value if isinstance(value, str) else raw[1:-1]


@dataclass
class _Frame:
    """One open JSON container while scanning: its key path from the top-level object,
    and for objects the key whose value comes next."""

    is_object: bool
    path: tuple[str, ...]
    key: _Token | None = None
    expecting_key: bool = True


def _entry(text: TextFile, key: _Token, value: _Token) -> JsonEntry:
    key_line, _ = text.position(key.start)
    value_line, _ = text.position(value.start)
    end = value.end if value_line == key_line else key.end
    return JsonEntry(_json_string(key.raw), _json_string(value.raw), text.span(key.start, end))


def parse_package_json(path: Path, text: TextFile) -> PackageJson:
    """Locate `packageManager` and the `scripts` entries by scanning tokens (the json
    module gives no positions). Iterative, so nesting depth cannot hurt; tolerant of
    broken JSON (it reports what it could read)."""
    package_manager: JsonEntry | None = None
    scripts: dict[str, JsonEntry] = {}
    stack: list[_Frame] = []
    for token in _json_tokens(text.text):
        frame = stack[-1] if stack else None
        if token.raw in ("}", "]"):
            if stack:
                stack.pop()
            continue
        if token.raw == ",":
            if frame is not None and frame.is_object:
                frame.expecting_key, frame.key = True, None
            continue
        if token.raw == ":":
            if frame is not None and frame.is_object:
                frame.expecting_key = False
            continue
        if frame is not None and frame.is_object and frame.expecting_key:
            frame.key = token if token.kind == "string" else None
            continue
        # A value: of the top-level document, of an object member, or of an array item.
        key = frame.key.raw if frame is not None and frame.key is not None else None
        name = _json_string(key) if key is not None else None
        if frame is not None and frame.path == () and frame.is_object and name is not None:
            if name == "packageManager":
                package_manager = (
                    _entry(text, frame.key, token) if token.kind == "string" and frame.key else None
                )
            elif name == "scripts":
                scripts = {}  # a repeated `scripts` replaces the earlier one
        is_scripts = frame is not None and frame.path == ("scripts",) and frame.is_object
        if is_scripts and frame is not None and frame.key is not None and token.kind == "string":
            entry = _entry(text, frame.key, token)
            scripts.pop(entry.key, None)  # keep source order of the winning duplicate
            scripts[entry.key] = entry
        if token.raw in ("{", "["):
            if frame is None:
                key_path: tuple[str, ...] = ()
            elif name is not None and frame.is_object:
                key_path = (*frame.path, name)
            else:
                key_path = (*frame.path, "[]")
            stack.append(_Frame(token.raw == "{", key_path))
    return PackageJson(path, text, package_manager, tuple(scripts.values()))


# --- Prisma --------------------------------------------------------------------------

_PRISMA_BLOCK = re.compile(r"\b(model|enum|view|type|generator|datasource)\s+([A-Za-z_]\w*)\s*\{")


_PRISMA_NOISE = re.compile(r'"(?:[^"\\\n]|\\.)*"?|//[^\n]*|/\*.*?(?:\*/|\Z)', re.DOTALL)


def _blank_comments_and_strings(text: str) -> str:
    """`//` and `/* */` comments and strings become spaces (newlines kept), so braces
    and keywords in them cannot be mistaken for schema structure."""
    return _PRISMA_NOISE.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def prisma_model_names(schema_text: str) -> list[str]:
    """Names of the `model` blocks of a Prisma schema, in order. Only top-level blocks
    count: an `enum` (or view, type, generator, datasource) body is skipped whole, so a
    value named `model` inside it cannot be read as a model."""
    text = _blank_comments_and_strings(schema_text)
    names: list[str] = []
    pos = 0
    while True:
        match = _PRISMA_BLOCK.search(text, pos)
        if match is None:
            return names
        if match.group(1) == "model":
            names.append(match.group(2))
        depth, pos = 1, match.end()
        while pos < len(text) and depth:
            if text[pos] == "{":
                depth += 1
            elif text[pos] == "}":
                depth -= 1
            pos += 1


def is_prisma_schema(rel_path: str) -> bool:
    """`schema.prisma` anywhere, or any `.prisma` file below a `prisma/schema/` folder
    (Prisma's multi-file schema layout)."""
    path = PurePosixPath(rel_path)
    if path.suffix != ".prisma":
        return False
    if path.name == "schema.prisma":
        return True
    parts = path.parts[:-1]
    return any(parts[i : i + 2] == ("prisma", "schema") for i in range(len(parts) - 1))


# --- the project ---------------------------------------------------------------------


_NO_FACTS: Mapping[str, object] = {}


class PathList(Sequence[Path]):
    """Paths made from their strings when first asked for: a run keeps every source
    file as a string (a Path costs 3-6 us to make), and only project rules that run
    (not those answered from the cache) need them as Paths."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = names
        self._paths: list[Path] | None = None

    def _made(self) -> list[Path]:
        if self._paths is None:
            self._paths = [Path(name) for name in self.names]
        return self._paths

    @overload
    def __getitem__(self, index: int) -> Path: ...
    @overload
    def __getitem__(self, index: slice) -> list[Path]: ...
    def __getitem__(self, index: int | slice) -> Path | list[Path]:
        return self._made()[index]

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[Path]:
        return iter(self._made())


def is_project_input(name: str) -> bool:
    return name == "package.json" or name in LOCKFILES or name.endswith(".prisma")


@dataclass
class Project:
    """`root` is the scanned directory; `source_files` the analysed sources below it.

    `package_dirs` are the directories holding a `package.json`; `prisma_schemas` the
    Prisma schema files (see `is_prisma_schema`). The tree is walked as discovery walks
    it: `.gitignore` honoured, `node_modules`, `.next`, `dist`... skipped.
    """

    root: Path
    source_files: Sequence[Path]
    package_dirs: list[Path] = field(default_factory=list)
    prisma_schemas: list[Path] = field(default_factory=list)
    # What project rules' collectors returned for each analysed file: absolute POSIX
    # path -> rule id -> facts (see registry.FactCollector and `collected`).
    facts: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        root: Path,
        source_files: Sequence[Path] | Sequence[str],
        *,
        excluded: Callable[[Path, bool], bool] | None = None,
        discovered: Discovery | None = None,
    ) -> Project:
        """`discovered`: the run's discovery, made with `also=is_project_input`; when it
        walked `root`, its `others` are this project's inputs and no second walk is
        needed."""
        root = Path(os.path.abspath(root))
        # Several roots may share one discovery: keep this root's sources only. (By
        # string prefix: `root in p.parents` builds every parent Path of every file.)
        top = str(root)
        prefix = top.rstrip(os.sep) + os.sep
        names = [os.fspath(p) for p in source_files]
        project = cls(root, PathList([n for n in names if n == top or n.startswith(prefix)]))
        if discovered is not None and root in discovered.walked:
            found = [p for p in discovered.others if str(p).startswith(prefix)]
        else:
            found = discover([root], root, excluded=excluded, wanted=is_project_input).files
        package_dirs = {p.parent for p in found if p.name == "package.json"}
        project.package_dirs = sorted(package_dirs)
        project.prisma_schemas = sorted(p for p in found if is_prisma_schema(project.relative(p)))
        return project

    # --- files ---------------------------------------------------------------------
    def source_names(self) -> Sequence[str]:
        """`source_files` as strings (without making Paths, when it holds strings)."""
        files = self.source_files
        return files.names if isinstance(files, PathList) else [os.fspath(p) for p in files]

    def relative(self, path: Path | str) -> str:
        """POSIX path of `path` (a Path or a name from `source_names`) relative to the
        root (what globs are matched against)."""
        return relative_posix(path, self.root)  # by string when it can: once per file

    def read(self, path: Path) -> TextFile | None:
        """A text file of the project, or None when it cannot be read."""
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        text, _encoding = decode_source(raw)
        return TextFile(path, normalise_newlines(text))

    def document(self, rel_path: str) -> TextFile | None:
        """A document named relative to the root (`readme/structure.md`), if it exists."""
        path = self.root / rel_path
        return self.read(path) if path.is_file() else None

    def source_bytes(self, path: Path) -> bytes | None:
        """A source file's bytes; None when unreadable, too large or binary (the files
        the engine skips too)."""
        try:
            if path.stat().st_size > MAX_SOURCE_BYTES:
                return None
            raw = path.read_bytes()
        except OSError:
            return None
        if b"\0" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            return None
        return raw

    def collected(self, rule_id: str, path: Path | str) -> object:
        """What `rule_id`'s collector returned for `path` (a Path or a name from
        `source_names`) while the file was analysed in this run, or NOT_COLLECTED (the
        file was not analysed: `--changed-since`, a crash) and the rule works it out
        itself."""
        key = posix_path(path) if isinstance(path, str) else path.as_posix()
        return self.facts.get(key, _NO_FACTS).get(rule_id, NOT_COLLECTED)

    def parse(self, path: Path, raw: bytes | None = None) -> SourceFile | None:
        """A source file parsed as the engine parses it (from `raw` when already read)."""
        raw = raw if raw is not None else self.source_bytes(path)
        if raw is None:
            return None
        return SourceFile.from_bytes(path.as_posix(), self.relative(path), raw)

    # --- package.json and lockfiles ------------------------------------------------
    def package_json(self, directory: Path) -> PackageJson | None:
        return self._package_jsons.get(directory)

    @functools.cached_property
    def _package_jsons(self) -> dict[Path, PackageJson]:
        out: dict[Path, PackageJson] = {}
        for directory in self.package_dirs:
            path = directory / "package.json"
            text = self.read(path)
            if text is not None:
                out[directory] = parse_package_json(path, text)
        return out

    def first_line(self, path: Path) -> str | None:
        """The first line of a (possibly huge) text file; None when it is binary or
        unreadable. Reads only the head: lockfiles run to megabytes."""
        try:
            with path.open("rb") as handle:
                head = handle.read(8192)
        except OSError:
            return None
        if b"\0" in head:
            return None
        text, _encoding = decode_source(head)
        return normalise_newlines(text).split("\n", 1)[0].rstrip("\r")

    def lockfiles(self, directory: Path) -> list[Path]:
        """The lockfiles (any package manager's) beside a `package.json`."""
        return [directory / name for name in LOCKFILES if (directory / name).is_file()]

    # --- Prisma --------------------------------------------------------------------
    @functools.cached_property
    def prisma_models(self) -> frozenset[str]:
        """Model names of every Prisma schema in the tree (`enum`s and comments aside)."""
        names: set[str] = set()
        for schema in self.prisma_schemas:
            text = self.read(schema)
            if text is not None:
                names.update(prisma_model_names(text.text))
        return frozenset(names)

    def inputs(self) -> list[Path]:
        """Every non-source file project rules may read (for cache invalidation)."""
        found: list[Path] = []
        for directory in self.package_dirs:
            found.append(directory / "package.json")
            found.extend(self.lockfiles(directory))
        found.extend(self.prisma_schemas)
        return sorted(found)
