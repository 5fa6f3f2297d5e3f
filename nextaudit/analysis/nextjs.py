"""Next.js App Router structure: route handlers, page components, metadata functions."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import NamedTuple

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.prefilter import lacks_match
from nextaudit.analysis.syntax import (
    FUNCTION_LITERAL_TYPES,
    call_arguments,
    string_value,
    text,
    unwrap,
)
from nextaudit.nextjs_roles import PAGE_NAMES
from nextaudit.source import SourceFile

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
# A handler is an export named after a method, and an export's name is its text: a
# file whose bytes spell no method name has no handler.
_HTTP_METHOD_BYTES = re.compile("|".join(HTTP_METHODS).encode("ascii"))
# The stems of page-like files (`layout` is one, though its role has a name of its own).
_PAGE_LIKE_STEMS = PAGE_NAMES | {"layout"}
SEGMENT_CONFIG = (
    "dynamic",
    "dynamicParams",
    "revalidate",
    "fetchCache",
    "runtime",
    "preferredRegion",
    "maxDuration",
    "generateStaticParams",
)
METADATA_FUNCTIONS = ("generateMetadata", "generateViewport")


class Export(NamedTuple):
    """One exported name of a module. `node` is where to report it (the name);
    `value` the exported declaration or expression, when there is one in this file.
    (A NamedTuple, not a frozen dataclass: as immutable, built several times faster,
    and every route and page file builds a few.)"""

    name: str
    node: ts.Node
    value: ts.Node | None
    statement: ts.Node


class Handler(NamedTuple):
    """A route handler (or a page/metadata function): `function` is the innermost
    function literal or declaration that implements it, when it can be found.
    (A NamedTuple, as `Export` is.)"""

    name: str
    name_node: ts.Node
    function: ts.Node | None
    wrappers: tuple[ts.Node, ...] = ()


def is_route_file(source: SourceFile) -> bool:
    """`source.is_route_file`, answered from the file name first: a route file is named
    `route.<ext>`, and the name test spares most files `role_of`'s PurePosixPath."""
    return source.rel_path.rpartition("/")[2].startswith("route.") and source.is_route_file


def is_page_like(source: SourceFile) -> bool:
    """`source.is_page_like`, answered from the file name first (`page.tsx`,
    `layout.tsx`...: the name before its first dot is a page-like stem)."""
    name = source.rel_path.rpartition("/")[2]
    return name.partition(".")[0] in _PAGE_LIKE_STEMS and source.is_page_like


def lacks_handlers(source: SourceFile) -> bool:
    """The file's bytes spell no HTTP method name, so it exports no route handler."""
    return lacks_match(source, _HTTP_METHOD_BYTES)


def spells_a_handler() -> prefilter.Clause:
    """A `prefilter.needs` clause: the bytes spell an HTTP method name, as every route
    handler's export does."""
    return prefilter.has_match(_HTTP_METHOD_BYTES)


def top_level_statements(source: SourceFile) -> list[ts.Node]:
    return list(source.memo("nextjs.top_level_statements", _top_level_statements))


def _top_level_statements(source: SourceFile) -> list[ts.Node]:
    return [n for n in source.root.named_children if n.type != "comment"]


def _declared_value(statement: ts.Node) -> Iterator[tuple[str, ts.Node, ts.Node | None]]:
    """(name, name node, value) for each name a declaration statement binds."""
    kind = statement.type
    if kind in (
        "function_declaration",
        "generator_function_declaration",
        "class_declaration",
        "abstract_class_declaration",
    ):
        ident = statement.child_by_field_name("name")
        if ident is not None:
            yield text(ident), ident, statement
    elif kind in ("lexical_declaration", "variable_declaration"):
        for declarator in statement.named_children:
            if declarator.type != "variable_declarator":
                continue
            ident = declarator.child_by_field_name("name")
            if ident is not None and ident.type == "identifier":
                yield text(ident), ident, declarator.child_by_field_name("value")


def local_declarations(source: SourceFile) -> Mapping[str, ts.Node | None]:
    """Top-level names of this module and their values (first declaration wins).
    Computed once per file (exports and handlers ask it for every name they resolve)."""
    return source.memo("nextjs.local_declarations", _local_declarations)


def _local_declarations(source: SourceFile) -> dict[str, ts.Node | None]:
    found: dict[str, ts.Node | None] = {}
    for statement in source.memo("nextjs.top_level_statements", _top_level_statements):
        inner = statement
        if statement.type == "export_statement":
            declaration = statement.child_by_field_name("declaration")
            if declaration is None:
                continue
            inner = declaration
        for name, _node, value in _declared_value(inner):
            found.setdefault(name, value)
    return found


def exports(source: SourceFile) -> list[Export]:
    """Every export of the module, in source order (re-exports included, with no value).
    Computed once per file: the route and page rules all ask for it."""
    return list(source.memo("nextjs.exports", _exports))


def _exports(source: SourceFile) -> list[Export]:
    out: list[Export] = []
    content = source.content
    for statement in source.memo("nextjs.top_level_statements", _top_level_statements):
        if statement.type != "export_statement":
            continue
        declaration = statement.child_by_field_name("declaration")
        # The `default` keyword comes before the declaration (`export default function`):
        # bytes that do not spell it there spare the look at each child.
        if declaration is not None and (
            content.find(b"default", statement.start_byte, declaration.start_byte) == -1
        ):
            default_node = None
        else:
            default_node = next((c for c in statement.children if c.type == "default"), None)
        if default_node is not None:
            value = declaration or statement.child_by_field_name("value")
            out.append(Export("default", default_node, value, statement))
            continue
        if declaration is not None:
            for name, node, value in _declared_value(declaration):
                out.append(Export(name, node, value, statement))
            if declaration.type in (
                "type_alias_declaration",
                "interface_declaration",
                "enum_declaration",
            ):
                ident = declaration.child_by_field_name("name")
                if ident is not None:
                    out.append(Export(text(ident), ident, declaration, statement))
            continue
        has_source = statement.child_by_field_name("source") is not None
        for clause in statement.named_children:
            if clause.type == "export_clause":
                for spec in clause.named_children:
                    if spec.type != "export_specifier":
                        continue
                    local = spec.child_by_field_name("name")
                    alias = spec.child_by_field_name("alias") or local
                    if local is None or alias is None:
                        continue
                    value = None if has_source else local_declarations(source).get(text(local))
                    out.append(Export(text(alias), alias, value, statement))
            elif clause.type == "namespace_export":
                out.append(Export("*", clause, None, statement))
        if has_source and not any(
            c.type in ("export_clause", "namespace_export") for c in statement.named_children
        ):
            star = next((c for c in statement.children if c.type == "*"), statement)
            out.append(Export("*", star, None, statement))
    return out


def innermost_function(
    value: ts.Node | None, source: SourceFile, depth: int = 0
) -> tuple[ts.Node | None, tuple[ts.Node, ...]]:
    """Resolve an exported value to the function that implements it.

    A function literal or declaration is itself; `withX(withY(async () => ...))` is the
    innermost function literal among the call arguments (the wrapping calls are
    returned too); an identifier is the same-file function it names.
    """
    wrappers: list[ts.Node] = []
    current = value
    while current is not None and depth < 16:
        depth += 1
        current = unwrap(current)
        if current.type in FUNCTION_LITERAL_TYPES or current.type in (
            "function_declaration",
            "generator_function_declaration",
        ):
            return current, tuple(wrappers)
        if current.type == "call_expression":
            wrappers.append(current)
            args = call_arguments(current)
            literal = next(
                (a for a in args if unwrap(a).type in FUNCTION_LITERAL_TYPES | {"call_expression"}),
                None,
            )
            if literal is None:
                literal = next((a for a in args if unwrap(a).type == "identifier"), None)
            current = literal
            continue
        if current.type == "identifier":
            target = local_declarations(source).get(text(current))
            if target is None or target == current:
                return None, tuple(wrappers)
            current = target
            continue
        return None, tuple(wrappers)
    return None, tuple(wrappers)


def route_handlers(source: SourceFile) -> list[Handler]:
    """The HTTP method handlers a route file exports (computed once per file)."""
    return list(source.memo("nextjs.route_handlers", _route_handlers))


def _route_handlers(source: SourceFile) -> list[Handler]:
    handlers: list[Handler] = []
    for export in source.memo("nextjs.exports", _exports):
        if export.name in HTTP_METHODS:
            function, wrappers = innermost_function(export.value, source)
            handlers.append(Handler(export.name, export.node, function, wrappers))
    return handlers


def page_component(source: SourceFile) -> Handler | None:
    """The default export of a page-like file: `export default function Page(...)`,
    `export default Page`, `export default withX(Page)`."""
    for export in exports(source):
        if export.name == "default":
            function, wrappers = innermost_function(export.value, source)
            return Handler("default", export.node, function, wrappers)
    return None


def metadata_functions(source: SourceFile) -> list[Handler]:
    """`generateMetadata` / `generateViewport` exported from a page or layout file."""
    out: list[Handler] = []
    for export in exports(source):
        if export.name in METADATA_FUNCTIONS:
            function, wrappers = innermost_function(export.value, source)
            out.append(Handler(export.name, export.node, function, wrappers))
    return out


def directives(source: SourceFile) -> list[str]:
    """The directive prologue of the module: `'use client'`, `"use server"`, ...

    Only string statements at the very top count (comments may come between them);
    a string statement after any other statement is an ordinary expression.
    """
    out: list[str] = []
    for statement in top_level_statements(source):
        if statement.type != "expression_statement" or statement.named_child_count != 1:
            break
        expression = statement.named_children[0]
        if expression.type != "string":
            break
        out.append(string_value(expression) or "")
    return out


def is_client_module(source: SourceFile) -> bool:
    """A module marked `'use client'` (a React client component boundary)."""
    return "use client" in directives(source)
