"""Lexical scoping, just enough to tell when an inner declaration shadows a name;
and the nodes that spell a name, found from the bytes."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator

import tree_sitter as ts

from nextaudit.analysis.syntax import (
    FUNCTION_TYPES,
    descendants,
    function_parameters,
    parameter_pattern,
    parent_of,
    text,
)
from nextaudit.source import SourceFile

_DECLARATIONS = ("lexical_declaration", "variable_declaration")
_IDENTIFIER = frozenset({"identifier"})
# ASCII bytes that continue a name: the lexer takes the longest name it can, so a name
# is never followed by one. (Nothing is assumed of the byte before: error recovery can
# start a name right after a number, as in `10px`.)
NAME_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
_NAME_START_BYTES = NAME_BYTES - frozenset(b"0123456789")


def identifiers_named(
    source: SourceFile,
    name: str,
    within: ts.Node | None = None,
    types: Collection[str] = _IDENTIFIER,
    *,
    ending: Callable[[bytes, int], bool] | None = None,
) -> list[ts.Node]:
    """The nodes of `types` (leaf name nodes: `identifier`, `property_identifier`...)
    whose text is `name`, inside `within` (the whole file by default), in source order:
    what the query `((identifier) @ref (#eq? @ref "name"))` captures. With `ending`,
    only those for which `ending(content, end_byte)` holds: a caller that wants names
    followed by certain bytes spares the tree lookup of the others.

    A query walks every node of the tree it runs on; a name is rare in a file's bytes,
    and the node at each occurrence is found in O(depth), in C. (The file's bytes are
    its decoded text encoded again, so a name's text and bytes always match.) The empty
    name of a missing node has no bytes to search: then every node is visited, and as
    the query, the MISSING nodes that error recovery inserts are not captured (a name
    of no bytes is only ever one of those).
    """
    needle = name.encode("utf-8")
    root = source.root
    node = within if within is not None else root
    if not needle:
        return [
            n for n in _descendants_of_types(node, types) if not n.is_missing and text(n) == name
        ]
    content = source.content
    end = node.end_byte
    size = len(needle)
    found: list[ts.Node] = []
    start = content.find(needle, node.start_byte, end)
    while start != -1:
        stop = start + size
        if (stop >= len(content) or content[stop] not in NAME_BYTES) and (
            ending is None or ending(content, stop)
        ):
            leaf = root.named_descendant_for_byte_range(start, stop)
            if (
                leaf is not None
                and leaf.start_byte == start
                and leaf.end_byte == stop
                and leaf.type in types
            ):
                found.append(leaf)
        start = content.find(needle, start + 1, end)
    return found


def keywords(source: SourceFile, word: bytes) -> list[ts.Node]:
    """The keyword tokens spelled `word` (`import`, `catch`...), in source order: the
    anonymous node exactly at each occurrence of the word in the bytes (a name such as
    `imports`, or the word in a string or comment, is another node)."""
    root = source.root
    token_type = word.decode("ascii")
    found: list[ts.Node] = []
    for at in word_starts(source.content, word):
        end = at + len(word)
        token = root.descendant_for_byte_range(at, end)
        if (
            token is not None
            and not token.is_named
            and token.type == token_type
            and token.start_byte == at
            and token.end_byte == end
        ):
            found.append(token)
    return found


def word_starts(content: bytes, word: bytes) -> Iterator[int]:
    """Where `word` occurs in the bytes other than inside a longer name: the lexer
    reads names greedily, so a name byte after the word (`types`), or a name that
    runs into it from a letter, `_` or `$` (`contentType`), makes it part of another
    name, never a keyword token. A run of name bytes that starts with a digit may be a
    number (`10nimport`, `0xffcatch` in broken code lex as a number and the word), so
    the word is kept there."""
    at = content.find(word)
    size = len(content)
    while at != -1:
        end = at + len(word)
        if not (end < size and content[end] in NAME_BYTES) and not _name_runs_into(content, at):
            yield at
        at = content.find(word, end)


def _name_runs_into(content: bytes, at: int) -> bool:
    """Whether a name (not a number) runs up to byte `at` (exclusive)."""
    start = at
    while start and content[start - 1] in NAME_BYTES:
        start -= 1
    return start < at and content[start] in _NAME_START_BYTES


def _descendants_of_types(node: ts.Node, types: Collection[str]) -> Iterator[ts.Node]:
    if node.type in types:
        yield node
    for descendant in descendants(node):
        if descendant.type in types:
            yield descendant


def pattern_names(pattern: ts.Node) -> Iterator[tuple[str, ts.Node]]:
    """Names bound by a binding pattern (`a`, `{ a, b: c, ...d }`, `[e = 1]`)."""
    stack = [pattern]
    while stack:
        node = stack.pop()
        kind = node.type
        if kind in ("identifier", "shorthand_property_identifier_pattern"):
            yield text(node), node
        elif kind == "pair_pattern":
            value = node.child_by_field_name("value")
            if value is not None:
                stack.append(value)
        elif kind in ("assignment_pattern", "object_assignment_pattern"):
            left = node.child_by_field_name("left")
            if left is not None:
                stack.append(left)
        elif kind in ("required_parameter", "optional_parameter"):
            stack.append(parameter_pattern(node))
        elif kind in ("object_pattern", "array_pattern", "rest_pattern"):
            stack.extend(reversed(node.named_children))


def declared_in_statements(block: ts.Node, name: str) -> ts.Node | None:
    """A declaration of `name` directly among `block`'s statements (not nested blocks)."""
    for child in block.named_children:
        statement = child
        if child.type == "export_statement":
            inner = child.child_by_field_name("declaration")
            if inner is None:
                continue
            statement = inner
        if statement.type in _DECLARATIONS:
            for declarator in statement.named_children:
                if declarator.type != "variable_declarator":
                    continue
                pattern = declarator.child_by_field_name("name")
                if pattern is None:
                    continue
                for bound, node in pattern_names(pattern):
                    if bound == name:
                        return node
        elif statement.type in (
            "function_declaration",
            "generator_function_declaration",
            "class_declaration",
            "abstract_class_declaration",
        ):
            ident = statement.child_by_field_name("name")
            if ident is not None and text(ident) == name:
                return ident
    return None


def scope_declares(scope: ts.Node, name: str) -> bool:
    kind = scope.type
    if kind in FUNCTION_TYPES:
        for param in function_parameters(scope):
            if any(bound == name for bound, _ in pattern_names(param)):
                return True
        if kind in ("function_expression", "function", "generator_function"):
            own = scope.child_by_field_name("name")
            if own is not None and text(own) == name:
                return True
        return False
    if kind in ("statement_block", "class_static_block", "switch_body"):
        return declared_in_statements(scope, name) is not None
    if kind in ("for_in_statement", "for_statement"):
        left = scope.child_by_field_name("left") or scope.child_by_field_name("initializer")
        if left is not None and kind == "for_in_statement" and _declares_loop_variable(scope):
            # `for (const x of xs)`: the grammar puts the bare pattern in `left`, with
            # the `const`/`let`/`var` keyword as an anonymous sibling.
            return any(bound == name for bound, _ in pattern_names(left))
        return (
            left is not None
            and left.type in _DECLARATIONS
            and declared_in_statements_of(left, name)
        )
    if kind == "catch_clause":
        caught = scope.child_by_field_name("parameter")
        return caught is not None and any(b == name for b, _ in pattern_names(caught))
    return False


def _declares_loop_variable(loop: ts.Node) -> bool:
    """`for (const|let|var x in/of ...)`, as opposed to `for (x in ...)`."""
    return any(not c.is_named and c.type in ("const", "let", "var") for c in loop.children)


def declared_in_statements_of(declaration: ts.Node, name: str) -> bool:
    for declarator in declaration.named_children:
        pattern = declarator.child_by_field_name("name")
        if pattern is not None and any(b == name for b, _ in pattern_names(pattern)):
            return True
    return False


def is_shadowed(
    node: ts.Node,
    name: str,
    stop: ts.Node | None = None,
    declares: dict[tuple[int, str], bool] | None = None,
) -> bool:
    """True when a scope between `node` and `stop` (exclusive; the program when None)
    declares `name` again, so `node`'s `name` is not the outer binding. Callers asking
    about many references in the same scopes pass one `declares` dict for them all:
    each scope is then searched once per name."""
    current = parent_of(node)
    while current is not None and current != stop:
        kind = current.type
        if kind == "program":
            break
        if kind not in DECLARING_SCOPES:
            pass  # `scope_declares` is False for it: no call, no cache entry
        elif declares is None:
            if scope_declares(current, name):
                return True
        else:
            key = (current.id, name)
            found = declares.get(key)
            if found is None:
                found = declares[key] = scope_declares(current, name)
            if found:
                return True
        current = parent_of(current)
    return False


_BLOCK_SCOPES = frozenset({"statement_block", "class_static_block", "switch_body", "program"})
# The node types `scope_declares` can answer True for (it answers False for any other
# node): the others are passed over without a call (most ancestors are expressions
# and statements).
DECLARING_SCOPES = FUNCTION_TYPES | {
    "statement_block",
    "class_static_block",
    "switch_body",
    "for_in_statement",
    "for_statement",
    "catch_clause",
}
_STATEMENT_SCOPES = frozenset({"statement_block", "class_static_block", "switch_body"})


def declaring_scope(node: ts.Node, name: str) -> ts.Node | None:
    """The nearest scope around `node` (a function, block, loop, catch clause or the
    program) that declares `name`; None when `name` is not declared in the file (a
    global or an import binding)."""
    return _declaration(node, name)[0]


def _declaration(node: ts.Node, name: str) -> tuple[ts.Node | None, ts.Node | None]:
    """(`declaring_scope`, and for a block scope the node that declares `name` there,
    as `declared_in_statements` finds it): `const_value` then need not search the
    block's statements again."""
    current = parent_of(node)
    while current is not None:
        kind = current.type
        if kind == "program" or kind in _STATEMENT_SCOPES:
            bound = declared_in_statements(current, name)
            if bound is not None:
                return current, bound
            if kind == "program":
                return None, None
        elif kind in DECLARING_SCOPES and scope_declares(current, name):
            return current, None
        current = parent_of(current)
    return None, None


def const_value(node: ts.Node, name: str) -> ts.Node | None:
    """The initializer of the `const` that `name` refers to at `node`
    (`const name = <value>`), when it is declared with a plain identifier in an
    enclosing block or at the top of the module; None for parameters, `let`/`var`
    (they may be reassigned), destructuring, imports and globals."""
    scope, bound = _declaration(node, name)
    if scope is None or scope.type not in _BLOCK_SCOPES:
        return None
    declarator = bound.parent if bound is not None else None
    if declarator is None or declarator.type != "variable_declarator":
        return None
    if declarator.child_by_field_name("name") != bound:
        return None
    declaration = declarator.parent
    if declaration is None or declaration.type != "lexical_declaration":
        return None
    if not any(not c.is_named and c.type == "const" for c in declaration.children):
        return None
    return declarator.child_by_field_name("value")
