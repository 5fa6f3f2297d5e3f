"""Import bindings of a module: which local names come from which package export."""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from nextaudit.analysis.bindings import NAME_BYTES, word_starts
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
_IMPORT = b"import"
_QUOTES = frozenset(b"\"'")


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
    # `keywords(source, b"import")` and each keyword's statement, in one loop: the
    # statement is checked first (most occurrences of the word are these keywords).
    root = source.root
    found: list[ts.Node] = []
    for at in word_starts(source.content, _IMPORT):
        token = root.descendant_for_byte_range(at, at + len(_IMPORT))
        statement = token.parent if token is not None else None
        if (
            statement is not None
            and statement.start_byte == at
            and statement.type == "import_statement"
            and token is not None
            and token.end_byte == at + len(_IMPORT)
            and not token.is_named
            and token.type == "import"
        ):
            module = statement.child_by_field_name("source")
            if module is not None and module.type == "string":
                found.append(statement)
    return found


def _text(content: bytes, node: ts.Node) -> str:
    """`syntax.text(node)`, sliced from the file's bytes (`Node.text` copies them
    through the tree: dearer, for the same bytes)."""
    return content[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def _string_value(content: bytes, node: ts.Node) -> str | None:
    """`syntax.string_value(node)` for a string node: without a backslash, its value is
    the bytes between its quotes (a string missing its closing quote, which error
    recovery makes, ends in another byte and takes the slow way)."""
    start, end = node.start_byte, node.end_byte
    if end - start >= 2 and content[start] in _QUOTES and content[end - 1] == content[start]:
        raw = content[start + 1 : end - 1]
        if b"\\" not in raw:
            return raw.decode("utf-8", errors="replace")
    return string_value(node)


def _collect_import_bindings(source: SourceFile) -> list[ImportBinding]:
    bindings: list[ImportBinding] = []
    content = source.content
    for statement in import_statements(source):
        source_node = statement.child_by_field_name("source")
        module = _string_value(content, source_node) if source_node is not None else None
        if module is not None:
            bindings.extend(_statement_bindings(content, statement, module))
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


def _statement_bindings(content: bytes, statement: ts.Node, module: str) -> list[ImportBinding]:
    """The bindings of one import statement of `module`, in source order."""
    bindings: list[ImportBinding] = []
    for clause in statement.named_children:
        if clause.type != "import_clause":
            continue
        for part in clause.named_children:
            kind = part.type
            if kind == "identifier":
                bindings.append(ImportBinding(_text(content, part), "default", module, part))
            elif kind == "namespace_import":
                for ident in part.named_children:
                    if ident.type == "identifier":
                        bindings.append(ImportBinding(_text(content, ident), "*", module, ident))
            elif kind == "named_imports":
                for spec in part.named_children:
                    if spec.type != "import_specifier":
                        continue
                    name = spec.child_by_field_name("name")
                    alias = spec.child_by_field_name("alias") or name
                    if name is None or alias is None:
                        continue
                    imported = (
                        _string_value(content, name)
                        if name.type == "string"
                        else _text(content, name)
                    )
                    local = _text(content, alias)
                    bindings.append(ImportBinding(local, imported or "", module, alias))
    return bindings


def bindings_from(source: SourceFile, module: str) -> list[ImportBinding]:
    """`[b for b in import_bindings(source) if b.module == module]` (computed once per
    file and module).

    Most rules that read imports want one module's (`next/headers`, `next/server`),
    and listing every import of a file costs ~60 us: without a backslash in the file
    (an escape could spell the name otherwise) nor a `require` (whose bindings come
    from a query), an import of `module` has the string `"module"` in the bytes, and
    the statement around each such string is all there is to read.
    """
    return list(source.memo(f"imports.from:{module}", lambda s: _bindings_from(s, module)))


def _bindings_from(source: SourceFile, module: str) -> list[ImportBinding]:
    content = source.content
    needle = module.encode("utf-8")
    if not needle or b"\\" in content or _has_require_word(content):
        return [b for b in import_bindings(source) if b.module == module]
    root = source.root
    size = len(needle)
    found: list[ImportBinding] = []
    at = content.find(needle)
    while at != -1:
        # Only a string that is the module's name, between matching quotes, can be
        # the source of one of its imports.
        quote = content[at - 1 : at] if at else b""
        if quote and quote[0] in _QUOTES and content[at + size : at + size + 1] == quote:
            string = root.named_descendant_for_byte_range(at - 1, at + size + 1)
            statement = string.parent if string is not None else None
            if (
                statement is not None
                and string is not None
                and string.start_byte == at - 1
                and string.end_byte == at + size + 1
                and string.type == "string"
                and statement.type == "import_statement"
                and statement.child_by_field_name("source") == string
            ):
                found.extend(_statement_bindings(content, statement, module))
        at = content.find(needle, at + 1)
    return found


def names_imported_from(source: SourceFile, module: str, export: str) -> tuple[set[str], set[str]]:
    """(local names bound to `export` of `module`, local namespace names of `module`)."""
    direct: set[str] = set()
    namespaces: set[str] = set()
    for binding in bindings_from(source, module):
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
