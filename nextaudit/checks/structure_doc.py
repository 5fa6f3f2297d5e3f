"""structure-doc: exported functions (under `lib/` by default) whose name the project's
structure document (`readme/structure.md`) never mentions.

The per-file half (`collect`: each matching file's exported functions, their names,
position and line) runs while the file is analysed, on the tree the engine parsed
anyway; the project half compares those names with the document. Files the run did
not analyse (`--changed-since`) are parsed here instead, with the same result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import NAME_BYTES
from nextaudit.analysis.nextjs import local_declarations, top_level_statements
from nextaudit.analysis.paths import glob_matcher
from nextaudit.analysis.syntax import FUNCTION_LITERAL_TYPES, text, unwrap
from nextaudit.context import CollectContext, ProjectContext
from nextaudit.findings import Location
from nextaudit.project import NOT_COLLECTED, Project
from nextaudit.source import SourceFile

FUNCTION_DECLARATIONS = frozenset({"function_declaration", "generator_function_declaration"})
_VARIABLE_DECLARATIONS = frozenset({"lexical_declaration", "variable_declaration"})
# JavaScript identifiers may hold `$`: `$fetch` is one word, `fetch` inside it is not.
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


@dataclass
class ExportedFunction:
    """A function of this file that is exported, under one or more names. The finding
    goes on the function's own name: `name`, at bytes `start` to `end` of 0-based
    line `row`."""

    start: int
    end: int
    row: int
    name: str
    names: set[str] = field(default_factory=set)


def _function_name_node(value: ts.Node | None) -> ts.Node | None:
    """The name to report for a local value that is a function, else None:
    `function f() {}` -> `f`; `const f = () => {}` (or a function expression, through
    parentheses, `as`, `satisfies`) -> the variable `f`."""
    if value is None:
        return None
    if value.type in FUNCTION_DECLARATIONS:
        return value.child_by_field_name("name")
    if unwrap(value).type in FUNCTION_LITERAL_TYPES:
        declarator = value.parent
        if declarator is not None and declarator.type == "variable_declarator":
            name = declarator.child_by_field_name("name")
            if name is not None and name.type == "identifier":
                return name
    return None


def _local_function(source: SourceFile, identifier: ts.Node) -> ts.Node | None:
    return _function_name_node(local_declarations(source).get(text(identifier)))


def _exported_name_node(name: str, value: ts.Node | None, source: SourceFile) -> ts.Node | None:
    """The function an export (`name`, and its `value` in this file, as
    `nextjs.exports` gives them) names, as the node of its own name; None when the
    export is not a function of this file (a value, a class, a re-export, an anonymous
    default)."""
    if value is None:
        return None
    if name == "default" and unwrap(value).type == "identifier":
        return _local_function(source, unwrap(value))  # `export default helper`
    return _function_name_node(value)


# The word after `export` in the bytes, or the character there when it is no word.
_AFTER_EXPORT = re.compile(rb"[ \t\r\n]*([A-Za-z]+|.?)", re.DOTALL)
# Words after which an export statement declares no function of this module: classes,
# interfaces, enums, `declare`d things, namespaces, `export import A = B.C`, `export =`,
# `export as namespace`, `export * from`. (`type` is not one: `export type { f }`
# exports a function f as a type, which `nextjs.exports` still lists.)
_NO_FUNCTION_AFTER = frozenset(
    {b"class", b"abstract", b"interface", b"enum", b"declare", b"namespace", b"module"}
    | {b"import", b"as", b"=", b"*"}
)


def _export_statements(source: SourceFile) -> list[tuple[ts.Node, bytes, int]]:
    """The module's top-level `export` statements that may export a function, in
    source order, each with the word after its keyword (b"" when unknown, or when the
    file did not parse cleanly) and the keyword's offset.

    Each starts with the keyword `export` (an escaped keyword is no keyword), so they
    are found at its occurrences in the bytes, after a look at the word that follows
    (`export interface` needs no tree): the keyword's token is a child of the
    statement, itself a child of the root (one in an ERROR node is not a top-level
    statement, as in `nextjs.top_level_statements`; a statement found twice, in
    broken code, is one function once in `exported_functions`). With the pre-filters off, the
    top-level statements are listed instead (tests/test_collected_facts.py compares
    both)."""
    if not prefilter.ENABLED:
        return [
            (s, b"", s.start_byte)
            for s in top_level_statements(source)
            if s.type == "export_statement"
        ]
    content = source.content
    root = source.root
    root_id = root.id
    # In broken code, error recovery may hang anything on a statement (`@d export = h;
    # function f() {}` exports f): the word after the keyword tells nothing there.
    trusted = not root.has_error
    found: list[tuple[ts.Node, bytes, int]] = []
    at = content.find(b"export")
    while at != -1:
        end = at + 6
        after = _AFTER_EXPORT.match(content, end) if trusted else None
        word = after.group(1) if after is not None else b""
        if word in _NO_FUNCTION_AFTER or (end < len(content) and content[end] in NAME_BYTES):
            at = content.find(b"export", end)
            continue
        # The smallest named node holding the word: the statement itself when the word
        # is its keyword (its only token spelled so), else a string, a comment, a name.
        statement = root.named_descendant_for_byte_range(at, end)
        if statement is not None and statement.type == "export_statement":
            parent = statement.parent
            if parent is not None and parent.id == root_id:
                found.append((statement, word, at))
        at = content.find(b"export", end)
    return found


def _exported_values(
    statement: ts.Node, word: bytes, source: SourceFile
) -> list[tuple[str, ts.Node | None]]:
    """(exported name, its value in this file) for the exports of one statement that
    can be functions: what `nextjs.exports` gives for it, less the exports that are
    never functions (classes, types, interfaces, enums, re-exports, `export *`).
    `word` follows the keyword: when it is a word other than `default`, the statement
    has no `default` token, and its children need not be listed to know it."""
    declaration = statement.child_by_field_name("declaration")
    may_be_default = word == b"default" or not word.isalpha()
    if may_be_default and any(child.type == "default" for child in statement.children):
        return [("default", declaration or statement.child_by_field_name("value"))]
    if declaration is not None:
        kind = declaration.type
        if kind in FUNCTION_DECLARATIONS:
            ident = declaration.child_by_field_name("name")
            return [(text(ident), declaration)] if ident is not None else []
        if kind not in _VARIABLE_DECLARATIONS:
            return []
        out: list[tuple[str, ts.Node | None]] = []
        for declarator in declaration.named_children:
            if declarator.type != "variable_declarator":
                continue
            ident = declarator.child_by_field_name("name")
            if ident is not None and ident.type == "identifier":
                out.append((text(ident), declarator.child_by_field_name("value")))
        return out
    if statement.child_by_field_name("source") is not None:
        return []  # a re-export: its functions are the other module's
    out = []
    for clause in statement.named_children:
        if clause.type != "export_clause":
            continue
        for spec in clause.named_children:
            if spec.type != "export_specifier":
                continue
            local = spec.child_by_field_name("name")
            alias = spec.child_by_field_name("alias") or local
            if local is not None and alias is not None:
                out.append((text(alias), local_declarations(source).get(text(local))))
    return out


# `export function name(` (`async`, `*`, `<T>` allowed) as plain bytes: ASCII
# whitespace between, no line break after `async` (where one would end a statement).
_FUNCTION_AFTER_EXPORT = re.compile(
    rb"[ \t\r\n]+(?:async[ \t]+)?function[ \t\r\n]*\*?[ \t\r\n]*"
    rb"([A-Za-z_$][A-Za-z0-9_$]*)[ \t\r\n]*[(<]"
)
# (start, end, row, text) of a function's own name, and a name it is exported under.
_Entry = tuple[int, int, int, str, str]


def _statement_functions(
    statement: ts.Node, word: bytes, at: int, source: SourceFile
) -> list[_Entry]:
    """The functions one export statement exports, as `_exported_values` and
    `_exported_name_node` find them. The commonest, `export [async] function f(`,
    spelled so in a file without errors (`word` is b"" otherwise), needs one look at
    the declaration's type (an overload `export function f(): T;` is no function),
    its name read from the bytes."""
    if word in (b"function", b"async") and statement.start_byte == at:
        spelled = _FUNCTION_AFTER_EXPORT.match(source.content, at + 6)
        if spelled is not None:
            # The keyword, then the declaration: nothing between but whitespace.
            declaration = statement.child(1)
            if declaration is not None and declaration.type in FUNCTION_DECLARATIONS:
                start, end = spelled.span(1)
                # Rows count line feeds, as tree-sitter's points do.
                row = statement.start_point.row + source.content.count(b"\n", at, start)
                name = spelled.group(1).decode()
                return [(start, end, row, name, name)]
    out = []
    for name, value in _exported_values(statement, word, source):
        node = _exported_name_node(name, value, source)
        if node is not None:
            row = node.start_point.row
            out.append((node.start_byte, node.end_byte, row, text(node), name))
    return out


def exported_functions(source: SourceFile) -> list[ExportedFunction]:
    """Every function the module exports, once each, with every name it goes by
    (`export { send, send as notify }` is one function known as send and notify)."""
    found: dict[int, ExportedFunction] = {}
    for statement, word, at in _export_statements(source):
        for start, end, row, own, name in _statement_functions(statement, word, at, source):
            entry = found.get(start)
            if entry is None:
                entry = found[start] = ExportedFunction(start, end, row, own, {own})
            if name not in ("default", "*"):
                entry.names.add(name)
    return sorted(found.values(), key=lambda f: f.start)


# One exported function as collected: [names it goes by (sorted), its own name,
# [line, column, end line, end column] of that name, the text of its line].
Collected = list[object]


def _is_declaration_file(name: str) -> bool:
    return name.endswith((".d.ts", ".d.mts", ".d.cts"))  # no function bodies


def _redacted(line: str) -> str:
    # Imported when first needed: the key patterns take ~10 ms to compile, and a warm
    # run imports this module (for its collector) without describing any file.
    from nextaudit.analysis.secrets import redact_secrets

    return redact_secrets(line)


def _describe(source: SourceFile) -> list[Collected]:
    """What `collect` keeps of each exported function: positions as
    `source.location` gives them, computed from the name's bytes (a name is one line;
    columns count code points)."""
    out: list[Collected] = []
    content = source.content
    for function in exported_functions(source):
        start, end, row = function.start, function.end, function.row
        line_start = content.rfind(b"\n", 0, start) + 1
        column = source.column_at(start, start - line_start)
        end_column = source.column_at(end, end - line_start)
        out.append(
            [
                sorted(function.names),
                function.name,
                [row + 1, column, row + 1, end_column],
                # Facts are cached as they are: a key on the line must not be.
                _redacted(source.line_text_at(start).strip()),
            ]
        )
    return out


def collect(source: SourceFile, ctx: CollectContext) -> list[Collected] | None:
    """The file's exported functions, when the rule looks at this file."""
    matches = ctx.glob_option("files")
    for path in ctx.project_paths(source):
        if matches(path):
            break
    else:
        return None
    if _is_declaration_file(source.rel_path.rpartition("/")[2]):
        return None
    if b"export" not in source.content:
        return []
    return _describe(source)


def _parsed_functions(project: Project, path: Path) -> list[Collected]:
    """`collect`'s list for a file the run analysed without the collector."""
    if _is_declaration_file(path.name):
        return []
    raw = project.source_bytes(path)
    if raw is None or b"export" not in raw:
        return []
    source = project.parse(path, raw)
    return _describe(source) if source is not None else []


def check_project(project: Project, ctx: ProjectContext) -> None:
    doc_name = ctx.str_option("doc")
    document = project.document(doc_name)
    if document is None:
        return
    mentioned = set(_IDENTIFIER.findall(document.text))
    matches = glob_matcher(ctx.list_option("files"))
    rule_id = ctx.rule.id
    # By name: a Path is made only for a file with something to report or to parse.
    for name in project.source_names():
        found = project.collected(rule_id, name)
        # Asked first, as it settles most files without a path relative to the root:
        # None, the collector saw the file outside every scanned root's `files` globs
        # (this root's among them); [], no exported function.
        if found is not NOT_COLLECTED and not found:
            continue
        if not matches(project.relative(name)):
            continue
        functions = (
            cast(list[Collected], found)
            if found is not NOT_COLLECTED
            else _parsed_functions(project, Path(name))
        )
        for names, function_name, span, line_text in functions:
            if mentioned.intersection(cast(list[str], names)):
                continue
            ctx.report_at(
                Path(name).as_posix(),
                Location(*cast(list[int], span)),
                snippet=str(line_text),
                name=function_name,
                doc=doc_name,
            )
