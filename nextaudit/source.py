"""SourceFile: one analysed file, read and parsed once, shared by every rule."""

from __future__ import annotations

import bisect
import codecs
import functools
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar, cast

import tree_sitter as ts

from nextaudit import nextjs_roles
from nextaudit.findings import Location

T = TypeVar("T")

TS_EXTENSIONS = frozenset({".ts", ".mts", ".cts"})
TSX_EXTENSIONS = frozenset({".tsx", ".jsx", ".js", ".mjs", ".cjs"})
SOURCE_EXTENSIONS = TS_EXTENSIONS | TSX_EXTENSIONS


@functools.cache
def language(name: str) -> ts.Language:
    import tree_sitter_typescript as tst

    if name == "tsx":
        return ts.Language(tst.language_tsx())
    return ts.Language(tst.language_typescript())


@functools.cache
def _parser(name: str) -> ts.Parser:
    return ts.Parser(language(name))


@functools.cache
def compiled_query(grammar: str, pattern: str) -> ts.Query:
    query: ts.Query = ts.Query(language(grammar), pattern)
    return query


class QueryPlan:
    """Which whole-tree patterns run together, as one multi-pattern query (per process).

    A query walks the whole tree whatever it looks for, and a walk costs about a third
    of the parse. Rules ask each file for a dozen patterns, most of them in every file:
    those run as one query, one walk per file, and each pattern's matches are picked
    out of it by pattern index (tree-sitter matches every pattern of a query exactly
    as it would alone, in the same order). Patterns few files ask for (route-file
    rules, say) still run alone, on the files that ask. The plan follows what the
    rules asked so far (re-planned at a few checkpoints), so it changes what a run
    costs, never what it finds.
    """

    CHECKPOINTS = frozenset({8, 32, 128, 512, 2048, 8192})
    # Batch a pattern once half the files asked for it; drop it below a quarter (the
    # gap keeps a pattern near the line from recompiling the batch at each checkpoint).
    JOIN, LEAVE = 0.5, 0.25
    MAX_TRACKED = 512  # patterns built per file (from options, say) must not pile up

    def __init__(self) -> None:
        self.files = 0
        self.uses: dict[str, int] = {}
        self.batched: frozenset[str] = frozenset()
        self._queries: dict[str, tuple[ts.Query, list[str]]] = {}

    def file_started(self) -> None:
        self.files += 1
        if self.files in self.CHECKPOINTS:
            self._replan()

    def _replan(self) -> None:
        wanted = frozenset(
            pattern
            for pattern, uses in self.uses.items()
            if uses >= self.files * (self.LEAVE if pattern in self.batched else self.JOIN)
        )
        if wanted != self.batched:
            self.batched = wanted
            self._queries.clear()

    def asked(self, pattern: str) -> None:
        if pattern in self.uses:
            self.uses[pattern] += 1
        elif len(self.uses) < self.MAX_TRACKED:
            self.uses[pattern] = 1

    def combined(self, grammar: str) -> tuple[ts.Query, list[str]]:
        """The batched patterns as one query, and the pattern each index belongs to."""
        found = self._queries.get(grammar)
        if found is None:
            found = self._queries[grammar] = _combine(grammar, sorted(self.batched))
        return found


def _combine(grammar: str, patterns: list[str]) -> tuple[ts.Query, list[str]]:
    try:
        return _compile_together(grammar, patterns)
    except ValueError:  # tree_sitter.QueryError
        pass
    # A pattern that does not compile for this grammar (a JSX node type in a .ts
    # file) stays out, and fails as before when a rule runs it alone.
    valid = []
    for pattern in patterns:
        try:
            compiled_query(grammar, pattern)
        except ValueError:
            continue
        valid.append(pattern)
    return _compile_together(grammar, valid)


def _compile_together(grammar: str, patterns: list[str]) -> tuple[ts.Query, list[str]]:
    starts: list[int] = []
    source = b""
    for pattern in patterns:
        starts.append(len(source))
        source += pattern.encode("utf-8") + b"\n"
    query = ts.Query(language(grammar), source.decode("utf-8"))
    owners = [
        patterns[bisect.bisect_right(starts, query.start_byte_for_pattern(index)) - 1]
        for index in range(query.pattern_count)
    ]
    return query, owners


QUERY_PLAN = QueryPlan()


def grammar_for(path: str) -> str:
    """TSX grammar for .tsx and every JavaScript flavour (JSX may appear in .js)."""
    name = path.rpartition("/")[2]
    stem, dot, extension = name.rpartition(".")
    suffix = "." + extension.lower() if dot and stem else ""  # PurePosixPath's suffix
    return "tsx" if suffix in TSX_EXTENSIONS else "typescript"


def decode_source(raw: bytes) -> tuple[str, str]:
    """Return (text, encoding note). Never raises: undecodable bytes become U+FFFD.

    A UTF-8 BOM is dropped (editors do not count it as a column); UTF-16 with a BOM
    is decoded as such. Anything else is UTF-8, with replacement characters where it
    is not valid, so positions still line up with what an editor shows. The note ends
    in `-replaced` whenever a replacement was made, whatever the encoding.
    """
    if raw.startswith(codecs.BOM_UTF8):
        return _decode(raw[len(codecs.BOM_UTF8) :], "utf-8", "utf-8-sig")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(raw, "utf-16", "utf-16")
    return _decode(raw, "utf-8", "utf-8")


def _decode(raw: bytes, codec: str, note: str) -> tuple[str, str]:
    try:
        return raw.decode(codec), note
    except UnicodeDecodeError:
        return raw.decode(codec, errors="replace"), note + "-replaced"


def normalise_newlines(text: str) -> str:
    """Turn lone CRs into LFs so tree-sitter rows match the lines editors show.

    CRLF stays as it is (tree-sitter counts it as one line break); replacing a lone CR
    by LF keeps every offset unchanged.
    """
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\0\x01").replace("\r", "\n").replace("\0\x01", "\r\n")


@dataclass
class SourceFile:
    """A parsed file. `path` is absolute (POSIX); `rel_path` is relative to the project
    root and is what globs and Next.js roles are matched against."""

    path: str
    rel_path: str
    text: str
    content: bytes
    tree: ts.Tree
    grammar: str
    encoding: str = "utf-8"
    _line_starts: list[int] | None = field(default=None, repr=False)
    # Results of queries over the whole tree, by pattern: several rules (and shared
    # helpers such as import_bindings) ask for the same pattern in one file, and every
    # run of a query is a walk over the whole tree.
    _root_captures: dict[str, dict[str, list[ts.Node]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _root_matches: dict[str, list[dict[str, list[ts.Node]]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    _asked: set[str] | None = field(default=None, repr=False, compare=False)
    _memo: dict[str, object] = field(default_factory=dict, repr=False, compare=False)
    _batch_ran: bool = field(default=False, repr=False, compare=False)

    @classmethod
    def from_bytes(cls, path: str, rel_path: str, raw: bytes) -> SourceFile:
        text, encoding = decode_source(raw)
        text = normalise_newlines(text)
        content = text.encode("utf-8", errors="surrogatepass")
        grammar = grammar_for(path)
        tree = _parser(grammar).parse(content)
        return cls(path, rel_path, text, content, tree, grammar, encoding)

    # --- roles ---------------------------------------------------------------------
    @functools.cached_property
    def role(self) -> nextjs_roles.Role:
        return nextjs_roles.role_of(self.rel_path)

    @property
    def is_route_file(self) -> bool:
        return self.role is nextjs_roles.Role.ROUTE

    @property
    def is_page_like(self) -> bool:
        return self.role in (nextjs_roles.Role.PAGE, nextjs_roles.Role.LAYOUT)

    @functools.cached_property
    def is_declaration_file(self) -> bool:
        # Cached, and by string: rules ask it about four times per file.
        name = self.rel_path.rpartition("/")[2].lower()
        return name.endswith((".d.ts", ".d.mts", ".d.cts"))

    def memo(self, key: str, compute: Callable[[SourceFile], T]) -> T:
        """`compute(self)`, computed once per file: for analyses that several rules
        ask of the same file (import bindings, say). Callers must not mutate it."""
        if key not in self._memo:
            self._memo[key] = compute(self)
        return cast(T, self._memo[key])

    # --- tree access ---------------------------------------------------------------
    @property
    def root(self) -> ts.Node:
        return self.tree.root_node

    def node_text(self, node: ts.Node) -> str:
        return self.content[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    def captures(self, pattern: str, node: ts.Node | None = None) -> dict[str, list[ts.Node]]:
        """Run a tree-sitter query (compiled once per process); lists in source order.
        Over the whole tree it runs once per file; callers get their own lists."""
        root = self.root
        if node is not None and node != root:
            return self._run_captures(pattern, node)
        found = self._root_captures.get(pattern)
        if found is None:
            batched = self._batched_matches(pattern)
            if batched is not None:
                found = _captures_of(batched)
            else:
                found = self._run_captures(pattern, root)
            self._root_captures[pattern] = found
        return {name: list(nodes) for name, nodes in found.items()}

    def _run_captures(self, pattern: str, node: ts.Node) -> dict[str, list[ts.Node]]:
        cursor = ts.QueryCursor(compiled_query(self.grammar, pattern))
        found = cursor.captures(node)
        return {name: sorted(nodes, key=_start) for name, nodes in found.items()}

    def nodes(self, pattern: str, capture: str, node: ts.Node | None = None) -> list[ts.Node]:
        return self.captures(pattern, node).get(capture, [])

    def matches(
        self, pattern: str, node: ts.Node | None = None
    ) -> Iterator[dict[str, list[ts.Node]]]:
        root = self.root
        if node is not None and node != root:
            yield from self._run_matches(pattern, node)
            return
        found = self._batched_matches(pattern)
        if found is None:
            found = self._root_matches[pattern] = self._run_matches(pattern, root)
        for captured in found:
            yield {name: list(nodes) for name, nodes in captured.items()}

    def _run_matches(self, pattern: str, node: ts.Node) -> list[dict[str, list[ts.Node]]]:
        cursor = ts.QueryCursor(compiled_query(self.grammar, pattern))
        return [captured for _index, captured in cursor.matches(node)]

    def _batched_matches(self, pattern: str) -> list[dict[str, list[ts.Node]]] | None:
        """Whole-tree matches of `pattern` if known, running the batch when it holds
        the pattern; None when the pattern has to run alone."""
        plan = QUERY_PLAN
        if self._asked is None:
            self._asked = set()
            plan.file_started()
        if pattern not in self._asked:
            self._asked.add(pattern)
            plan.asked(pattern)
        found = self._root_matches.get(pattern)
        if found is not None or pattern not in plan.batched or self._batch_ran:
            return found
        self._batch_ran = True
        query, owners = plan.combined(self.grammar)
        groups: dict[str, list[dict[str, list[ts.Node]]]] = {owner: [] for owner in owners}
        for index, captured in ts.QueryCursor(query).matches(self.root):
            groups[owners[index]].append(captured)
        for owner, matched in groups.items():
            self._root_matches.setdefault(owner, matched)
        return self._root_matches.get(pattern)

    # --- positions -----------------------------------------------------------------
    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self.content.find
            pos = find(b"\n")
            while pos != -1:
                starts.append(pos + 1)
                pos = find(b"\n", pos + 1)
            self._line_starts = starts
        return self._line_starts

    def line_count(self) -> int:
        return len(self.line_starts)

    def line_bytes(self, line: int) -> bytes:
        """The bytes of 1-based `line`, without its line break."""
        starts = self.line_starts
        start = starts[line - 1]
        end = starts[line] if line < len(starts) else len(self.content)
        return self.content[start:end].rstrip(b"\r\n")

    def line_text(self, line: int) -> str:
        return self.line_bytes(line).decode("utf-8", errors="replace")

    def line_text_at(self, offset: int) -> str:
        """The text of the line holding byte `offset`, without its line break: what
        `line_text` gives for that line, without building the table of line starts."""
        content = self.content
        start = content.rfind(b"\n", 0, offset) + 1
        end = content.find(b"\n", offset)
        line = content[start : end if end != -1 else len(content)]
        return line.rstrip(b"\r\n").decode("utf-8", errors="replace")

    @functools.cached_property
    def is_ascii(self) -> bool:
        return self.content.isascii()

    def column(self, row: int, byte_column: int) -> int:
        """1-based column in Unicode code points for a 0-based row and byte column."""
        if self.is_ascii:  # most files: no need for the table of line starts
            return byte_column + 1
        return self.column_at(self.line_starts[row] + byte_column, byte_column)

    def location(self, node: ts.Node) -> Location:
        # A point's column is in bytes, so the line starts at offset - column: no
        # need for the table of line starts.
        start, end = node.start_point, node.end_point
        return Location(
            start.row + 1,
            self.column_at(node.start_byte, start.column),
            end.row + 1,
            self.column_at(node.end_byte, end.column),
        )

    def column_at(self, offset: int, byte_column: int) -> int:
        """1-based column in code points of byte `offset`, `byte_column` bytes into
        its line (no table of line starts needed)."""
        if self.is_ascii:
            return byte_column + 1
        prefix = self.content[offset - byte_column : offset]
        if prefix.isascii():
            return byte_column + 1
        return len(prefix.decode("utf-8", errors="replace")) + 1

    def span(self, start: ts.Point, end: ts.Point) -> Location:
        return Location(
            start.row + 1,
            self.column(start.row, start.column),
            end.row + 1,
            self.column(end.row, end.column),
        )

    def location_of_bytes(self, start_byte: int, end_byte: int) -> Location:
        return Location(*self._point(start_byte), *self._point(end_byte))

    def _point(self, offset: int) -> tuple[int, int]:
        row = bisect.bisect_right(self.line_starts, offset) - 1
        return row + 1, self.column(row, offset - self.line_starts[row])


# (start_byte, end_byte) of a node, as a C-level key: sorting captures calls it for
# every captured node, hundreds of thousands of times in a run.
_start: Callable[[ts.Node], tuple[int, int]] = operator.attrgetter("start_byte", "end_byte")


def _captures_of(matches: list[dict[str, list[ts.Node]]]) -> dict[str, list[ts.Node]]:
    """What `QueryCursor.captures` returns, from the matches of the same query."""
    found: dict[str, list[ts.Node]] = {}
    for captured in matches:
        for name, nodes in captured.items():
            bucket = found.get(name)
            if bucket is None:
                found[name] = list(nodes)
            else:
                bucket.extend(nodes)
    for nodes in found.values():
        nodes.sort(key=_start)
    return found
