"""route-exports: a route file exports only HTTP method handlers and segment config,
and does not share its folder with a page."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import pattern_names
from nextaudit.analysis.imports import import_bindings
from nextaudit.analysis.nextjs import (
    HTTP_METHODS,
    SEGMENT_CONFIG,
    Export,
    exports,
    is_route_file,
    local_declarations,
    top_level_statements,
)
from nextaudit.analysis.syntax import ancestors, string_value, text
from nextaudit.context import RuleContext
from nextaudit.findings import Location
from nextaudit.nextjs_roles import ROUTE_EXTENSIONS, Role
from nextaudit.source import SourceFile

ALLOWED = frozenset(HTTP_METHODS) | frozenset(SEGMENT_CONFIG)
_UPPER_METHODS = {method.upper(): method for method in HTTP_METHODS}
PAGE_FILES = tuple(sorted("page" + ext for ext in ROUTE_EXTENSIONS))

# Declarations that leave nothing behind at runtime: Next.js only sees value exports.
_TYPE_ONLY_DECLARATIONS = frozenset({"type_alias_declaration", "interface_declaration"})
_VARIABLE_DECLARATIONS = frozenset({"lexical_declaration", "variable_declaration"})

DEFAULT_EXPORT = (
    "`export default` in a route file: Next.js only calls the named HTTP method exports "
    "(GET, POST, ...); export the handler as one of them"
)
STAR_EXPORT = (
    "`export {name}` re-exports a whole module from a route file: export only HTTP method "
    "handlers and route segment config, by name"
)
WRONG_CASE = "`{name}` is not an HTTP method export: handler names are upper case (`{method}`)"
BESIDE_PAGE = (
    "Route file beside `{page}` in the same folder: a segment is either a page or a "
    "route handler; move the handler to its own folder (e.g. under `app/api/`)"
)


@dataclass(frozen=True)
class RuntimeExport:
    name: str
    node: ts.Node


def _has_type_keyword(node: ts.Node) -> bool:
    return any(child.type == "type" for child in node.children)


def _is_type_import(local: ts.Node) -> bool:
    """`import type { A }`, `import type A from`, `import { type A }`."""
    for ancestor in ancestors(local):
        if ancestor.type in ("import_specifier", "import_statement") and _has_type_keyword(
            ancestor
        ):
            return True
        if ancestor.type == "import_statement":
            return False
    return False


def _local_type_names(source: SourceFile) -> frozenset[str]:
    """Names that are only types in this module: local type aliases and interfaces and
    type-only imports, unless a value of the same name exists (declaration merging)."""
    names: set[str] = set()
    for statement in top_level_statements(source):
        declaration = statement
        if statement.type == "export_statement":
            declaration = statement.child_by_field_name("declaration") or statement
        if declaration.type in _TYPE_ONLY_DECLARATIONS:
            names.add(text(declaration.child_by_field_name("name")))
    values = set(local_declarations(source))
    for binding in import_bindings(source):
        if _is_type_import(binding.node):
            names.add(binding.local)
        else:
            values.add(binding.local)
    return frozenset(names - values)


def _is_type_only(export: Export, type_names: Callable[[], frozenset[str]]) -> bool:
    """`export type { A }`, `export { type A }`, `export type A = ...`, `export interface`,
    and `export { A }` of a local type or a type-only import."""
    if _has_type_keyword(export.statement):
        return True
    specifier = export.node.parent
    if specifier is not None and specifier.type == "export_specifier":
        if _has_type_keyword(specifier):
            return True
        local = specifier.child_by_field_name("name")
        has_source = export.statement.child_by_field_name("source") is not None
        return not has_source and local is not None and text(local) in type_names()
    return export.value is not None and export.value.type in _TYPE_ONLY_DECLARATIONS


def _exports_missed_by_nextjs_exports(statement: ts.Node) -> Iterator[RuntimeExport]:
    """`export const { GET, POST } = handlers` (destructuring) and `export namespace N`,
    which `nextjs.exports` leaves out; `declare` forms have no runtime value."""
    declaration = statement.child_by_field_name("declaration")
    if declaration is None:
        return
    if declaration.type in ("internal_module", "module"):
        ident = declaration.child_by_field_name("name")
        if ident is not None:
            yield RuntimeExport(text(ident), ident)
    elif declaration.type in _VARIABLE_DECLARATIONS:
        for declarator in declaration.named_children:
            pattern = declarator.child_by_field_name("name")
            if pattern is not None and pattern.type != "identifier":
                for bound, node in pattern_names(pattern):
                    yield RuntimeExport(bound, node)


def runtime_exports(source: SourceFile) -> list[RuntimeExport]:
    """Every value the module exports at runtime, in source order."""
    found: list[RuntimeExport] = []
    star_statements: set[int] = set()
    computed: list[frozenset[str]] = []

    def type_names() -> frozenset[str]:
        # Asked of few exports (`export { A }`); a closure is cheaper to build per
        # file than `functools.cache`.
        if not computed:
            computed.append(_local_type_names(source))
        return computed[0]

    for export in exports(source):
        if _is_type_only(export, type_names):
            continue
        if export.name == "*":
            # `export * as ns from` comes back twice (as `* as ns` and as the statement).
            if export.statement.id in star_statements:
                continue
            star_statements.add(export.statement.id)
        # `export { handler as "GET" }`: a string name is the string's value.
        name = string_value(export.node) if export.node.type == "string" else None
        found.append(RuntimeExport(name or export.name, export.node))
    for statement in top_level_statements(source):
        if statement.type == "export_statement":
            found.extend(_exports_missed_by_nextjs_exports(statement))
    return sorted(found, key=lambda export: export.node.start_byte)


def _report_export(source: SourceFile, ctx: RuleContext, export: RuntimeExport) -> None:
    if export.name == "default":
        ctx.report(export.node, message=DEFAULT_EXPORT)
    elif export.name == "*":
        ctx.report(export.node, message=STAR_EXPORT.format(name=source.node_text(export.node)))
    elif export.name.upper() in _UPPER_METHODS:
        method = _UPPER_METHODS[export.name.upper()]
        ctx.report(export.node, message=WRONG_CASE.format(name=export.name, method=method))
    else:
        ctx.report(export.node, name=export.name)


def _page_beside(source: SourceFile) -> str | None:
    """The page file in the route file's own folder, if any. Next.js refuses a segment
    that has both, and only the file system can tell: one cheap listdir per route."""
    try:
        siblings = set(os.listdir(os.path.dirname(source.path)))
    except OSError:
        return None
    return next((name for name in PAGE_FILES if name in siblings), None)


NEEDS = prefilter.needs(roles=[Role.ROUTE])  # the engine skips the check on other files


def check(source: SourceFile, ctx: RuleContext) -> None:
    if not is_route_file(source):
        return
    found = runtime_exports(source)
    for export in found:
        if export.name not in ALLOWED:
            _report_export(source, ctx, export)
    page = _page_beside(source)
    if page is None:
        return
    message = BESIDE_PAGE.format(page=page)
    if found:
        # On the first export, where a reader of the route file looks first.
        ctx.report(found[0].node, message=message)
    else:
        ctx.report_location(Location(1, 1, 1, 1), message=message)
