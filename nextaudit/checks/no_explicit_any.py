"""no-explicit-any: every `any` keyword in a type position.

Byte pre-filter: the keyword's node is spelled `any` in the file's bytes (an escaped
spelling is an identifier, not the keyword), so the nodes are found at the occurrences
of that word (a file without one has none), instead of by a query over the whole tree.
"""

from __future__ import annotations

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import NAME_BYTES
from nextaudit.context import RuleContext
from nextaudit.source import SourceFile

# `any` only ever parses as a predefined_type in a type position; identifiers,
# properties and strings spelled "any" are other node types.
_ANY = '((predefined_type) @any (#eq? @any "any"))'
_KEYWORD = b"any"
# Bytes after which `any` cannot start a token: the lexer reads a name as long as it
# goes (`company`, `$any`, `_any` are one name). Not `n` nor `N`: `n` ends a BigInt
# (`10nany` lexes as `10n` and `any`), nor digits (`10any`, in error recovery).
_INSIDE_A_NAME = frozenset(b"abcdefghijklmopqrstuvwxyzABCDEFGHIJKLMOPQRSTUVWXYZ_$")
_ARRAY_GENERICS = frozenset({"Array", "ReadonlyArray"})


def _is_rest_array_element(node: ts.Node) -> bool:
    """`...args: any[]`, `readonly any[]`, `Array<any>`, `ReadonlyArray<any>`."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "array_type":
        container = parent
        if container.parent is not None and container.parent.type == "readonly_type":
            container = container.parent
    elif parent.type == "type_arguments" and parent.named_child_count == 1:
        generic = parent.parent
        name = generic.child_by_field_name("name") if generic is not None else None
        if generic is None or generic.type != "generic_type" or name is None:
            return False
        if (name.text or b"").decode() not in _ARRAY_GENERICS:
            return False
        container = generic
    else:
        return False
    annotation = container.parent
    if annotation is None or annotation.type != "type_annotation":
        return False
    parameter = annotation.parent
    if parameter is None or parameter.type not in ("required_parameter", "optional_parameter"):
        return False
    pattern = parameter.child_by_field_name("pattern")
    return pattern is not None and pattern.type == "rest_pattern"


def any_keywords(source: SourceFile) -> list[ts.Node]:
    """What `_ANY` captures, in source order: the `predefined_type` node at each
    occurrence of `any` in the bytes that can be a token of its own (O(depth) each, in
    C, where the query walks every node of the tree; 4 in 5 occurrences are inside a
    word such as `many` and need no lookup). The query runs when the pre-filters are
    off (tests/test_prefilter.py compares both)."""
    if not prefilter.ENABLED:
        return source.nodes(_ANY, "any")
    content = source.content
    root = source.root
    found: list[ts.Node] = []
    at = content.find(_KEYWORD)
    while at != -1:
        end = at + 3
        if (end >= len(content) or content[end] not in NAME_BYTES) and (
            at == 0 or content[at - 1] not in _INSIDE_A_NAME
        ):
            node = root.named_descendant_for_byte_range(at, end)
            if (
                node is not None
                and node.type == "predefined_type"
                and node.start_byte == at
                and node.end_byte == end
            ):
                found.append(node)
        at = content.find(_KEYWORD, at + 1)
    return found


# The keyword spelled in the bytes (module docstring); the engine skips the check on
# other files.
NEEDS = prefilter.needs(prefilter.has(_KEYWORD))


def check(source: SourceFile, ctx: RuleContext) -> None:
    ignore_rest_args = ctx.bool_option("ignore-rest-args")
    for node in any_keywords(source):
        if ignore_rest_args and _is_rest_array_element(node):
            continue
        ctx.report(node)
