"""Import bindings of a module: which local names come from which package export."""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from nextaudit.analysis.bindings import NAME_BYTES, keywords
from nextaudit.analysis.syntax import string_value, text
from nextaudit.source import SourceFile

_REQUIRES = """
(variable_declarator
  name: (_) @pattern
  value: (call_expression
    function: (identifier) @fn (#eq? @fn "require")
    arguments: (arguments . (string) @source))) @decl
"""


_REQUIRE = b"require"


@dataclass(frozen=True)
class ImportBinding:
    """`local` is bound to `imported` of `module`; `imported` is "*" for a namespace
    (`import * as h`, `const h = require(...)`) and "default" for a default import."""

    local: str
    imported: str
    module: str
    node: ts.Node


def import_bindings(source: SourceFile) -> list[ImportBinding]:
    # Six rules ask each file for its imports: collect them once per file.
    return list(source.memo("import_bindings", _collect_import_bindings))


def import_statements(source: SourceFile) -> list[ts.Node]:
    """Every `import ... from "m"` statement, in source order: the nodes the pattern
    `(import_statement source: (string))` matches, found from the bytes instead.

    Nearly every file imports something, and a query walks the whole tree (a quarter
    of the parse); an import statement starts with the keyword `import`, so looking up
    the node at each occurrence of that word (O(depth) each, in C) finds them all,
    wherever error recovery or `declare module` blocks put them.
    """
    found: list[ts.Node] = []
    for keyword in keywords(source, b"import"):
        statement = keyword.parent
        if statement is None or statement.type != "import_statement":
            continue
        module = statement.child_by_field_name("source")
        if statement.start_byte == keyword.start_byte and module and module.type == "string":
            found.append(statement)
    return found


def _collect_import_bindings(source: SourceFile) -> list[ImportBinding]:
    bindings: list[ImportBinding] = []
    for statement in import_statements(source):
        source_node = statement.child_by_field_name("source")
        module = string_value(source_node) if source_node is not None else None
        if module is None:
            continue
        for clause in statement.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                if part.type == "identifier":
                    bindings.append(ImportBinding(text(part), "default", module, part))
                elif part.type == "namespace_import":
                    for ident in part.named_children:
                        if ident.type == "identifier":
                            bindings.append(ImportBinding(text(ident), "*", module, ident))
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        if spec.type != "import_specifier":
                            continue
                        name = spec.child_by_field_name("name")
                        alias = spec.child_by_field_name("alias") or name
                        if name is None or alias is None:
                            continue
                        imported = string_value(name) if name.type == "string" else text(name)
                        bindings.append(ImportBinding(text(alias), imported or "", module, alias))
    # `require` is rare in TypeScript: its whole-tree query runs only where the word is
    # (the whole word: `requireUser` is in most route files). The query compares the
    # node's raw text, so an escaped `\u0072equire` is no match either way.
    content = source.content
    if not _has_require_word(content):
        return bindings
    for match in source.matches(_REQUIRES):
        module = string_value(match["source"][0]) or ""
        pattern = match["pattern"][0]
        if pattern.type == "identifier":
            bindings.append(ImportBinding(text(pattern), "*", module, pattern))
        elif pattern.type == "object_pattern":
            for prop in pattern.named_children:
                if prop.type == "shorthand_property_identifier_pattern":
                    bindings.append(ImportBinding(text(prop), text(prop), module, prop))
                elif prop.type == "pair_pattern":
                    key = prop.child_by_field_name("key")
                    value = prop.child_by_field_name("value")
                    if key is not None and value is not None and value.type == "identifier":
                        bindings.append(ImportBinding(text(value), text(key), module, value))
    return bindings


def names_imported_from(source: SourceFile, module: str, export: str) -> tuple[set[str], set[str]]:
    """(local names bound to `export` of `module`, local namespace names of `module`)."""
    direct: set[str] = set()
    namespaces: set[str] = set()
    for binding in import_bindings(source):
        if binding.module != module:
            continue
        if binding.imported == export:
            direct.add(binding.local)
        elif binding.imported == "*":
            namespaces.add(binding.local)
    return direct, namespaces


def _has_require_word(content: bytes) -> bool:
    """`require` as a whole word (no name byte, `$` included, on either side): a
    find loop, not a lookbehind regex, which `re` tries at every byte (82 us per
    route file against ~3 us)."""
    at = content.find(_REQUIRE)
    while at != -1:
        end = at + len(_REQUIRE)
        if (at == 0 or content[at - 1] not in NAME_BYTES) and (
            end == len(content) or content[end] not in NAME_BYTES
        ):
            return True
        at = content.find(_REQUIRE, end)
    return False
