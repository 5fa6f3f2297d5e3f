"""structure-doc: exported functions (under `lib/` by default) whose name the project's
structure document (`readme/structure.md`) never mentions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import tree_sitter as ts

from nextaudit.analysis.nextjs import Export, exports, local_declarations
from nextaudit.analysis.paths import glob_match
from nextaudit.analysis.syntax import FUNCTION_LITERAL_TYPES, text, unwrap
from nextaudit.context import ProjectContext
from nextaudit.project import Project
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


def _matching_sources(project: Project, globs: list[str]) -> Iterator[SourceFile]:
    for path in project.source_files:
        if not glob_match(project.relative(path), globs):
            continue
        if path.name.endswith((".d.ts", ".d.mts", ".d.cts")):
            continue  # declarations export no function bodies
        raw = project.source_bytes(path)
        if raw is None or b"export" not in raw:
            continue
        source = project.parse(path, raw)
        if source is not None:
            yield source


def check_project(project: Project, ctx: ProjectContext) -> None:
    doc_name = ctx.str_option("doc")
    document = project.document(doc_name)
    if document is None:
        return
    mentioned = set(_IDENTIFIER.findall(document.text))
    for source in _matching_sources(project, ctx.list_option("files")):
        for function in exported_functions(source):
            if function.names & mentioned:
                continue
            location = source.location(function.node)
            ctx.report_at(
                source.path,
                location,
                snippet=source.line_text(location.line).strip(),
                name=text(function.node),
                doc=doc_name,
            )
