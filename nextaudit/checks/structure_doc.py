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

from nextaudit.analysis.nextjs import Export, exports, local_declarations
from nextaudit.analysis.paths import glob_match
from nextaudit.analysis.secrets import redact_secrets
from nextaudit.analysis.syntax import FUNCTION_LITERAL_TYPES, text, unwrap
from nextaudit.context import CollectContext, ProjectContext
from nextaudit.findings import Location
from nextaudit.project import NOT_COLLECTED, Project
from nextaudit.source import SourceFile

FUNCTION_DECLARATIONS = frozenset({"function_declaration", "generator_function_declaration"})
# JavaScript identifiers may hold `$`: `$fetch` is one word, `fetch` inside it is not.
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


@dataclass
class ExportedFunction:
    """A function of this file that is exported, under one or more names. `node` is
    where the finding goes: the function's own name."""

    node: ts.Node
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


def _exported_name_node(export: Export, source: SourceFile) -> ts.Node | None:
    """The function an export names, as the node of its own name; None when the export
    is not a function of this file (a value, a class, a re-export, an anonymous
    default)."""
    value = export.value
    if value is None:
        return None
    if export.name == "default" and unwrap(value).type == "identifier":
        return _local_function(source, unwrap(value))  # `export default helper`
    return _function_name_node(value)


def exported_functions(source: SourceFile) -> list[ExportedFunction]:
    """Every function the module exports, once each, with every name it goes by
    (`export { send, send as notify }` is one function known as send and notify)."""
    found: dict[int, ExportedFunction] = {}
    for export in exports(source):
        node = _exported_name_node(export, source)
        if node is None:
            continue
        entry = found.setdefault(node.start_byte, ExportedFunction(node))
        entry.names.add(text(node))
        if export.name not in ("default", "*"):
            entry.names.add(export.name)
    return sorted(found.values(), key=lambda f: f.node.start_byte)


# One exported function as collected: [names it goes by (sorted), its own name,
# [line, column, end line, end column] of that name, the text of its line].
Collected = list[object]


def _is_declaration_file(name: str) -> bool:
    return name.endswith((".d.ts", ".d.mts", ".d.cts"))  # no function bodies


def _describe(source: SourceFile) -> list[Collected]:
    out: list[Collected] = []
    for function in exported_functions(source):
        location = source.location(function.node)
        out.append(
            [
                sorted(function.names),
                text(function.node),
                [location.line, location.column, location.end_line, location.end_column],
                # Facts are cached as they are: a key on the line must not be.
                redact_secrets(source.line_text_at(function.node.start_byte).strip()),
            ]
        )
    return out


def collect(source: SourceFile, ctx: CollectContext) -> list[Collected] | None:
    """The file's exported functions, when the rule looks at this file."""
    globs = ctx.list_option("files")
    if not any(glob_match(path, globs) for path in ctx.project_paths(source)):
        return None
    if _is_declaration_file(source.rel_path.rpartition("/")[2]):
        return None
    if b"export" not in source.content:
        return []
    return _describe(source)


def _functions_of(project: Project, path: Path, rule_id: str) -> list[Collected]:
    found = project.collected(rule_id, path)
    if found is not NOT_COLLECTED:
        # None: the collector saw the file outside every root's `files` globs, and
        # the caller only asks about files inside them. Never for this root, then.
        return cast(list[Collected], found or [])
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
    globs = ctx.list_option("files")
    for path in project.source_files:
        if not glob_match(project.relative(path), globs):
            continue
        for names, name, span, line_text in _functions_of(project, path, ctx.rule.id):
            if mentioned.intersection(cast(list[str], names)):
                continue
            ctx.report_at(
                path.as_posix(),
                Location(*cast(list[int], span)),
                snippet=str(line_text),
                name=name,
                doc=doc_name,
            )
