"""no-explicit-any: every `any` keyword in a type position.

Byte pre-filter: the keyword's node is spelled `any` in the file's bytes (an escaped
spelling is an identifier, not the keyword), so the nodes are found at the occurrences
of that word (a file without one has none), instead of by a query over the whole tree.
"""

from __future__ import annotations

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import identifiers_named
from nextaudit.context import RuleContext
from nextaudit.source import SourceFile

# `any` only ever parses as a predefined_type in a type position; identifiers,
# properties and strings spelled "any" are other node types.
_ANY = '((predefined_type) @any (#eq? @any "any"))'
_PREDEFINED_TYPE = frozenset({"predefined_type"})
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
    occurrence of `any` in the bytes (O(depth) each, in C, where the query walks every
    node of the tree). The query runs when the pre-filters are off."""
    if not prefilter.ENABLED:
        return source.nodes(_ANY, "any")
    return identifiers_named(source, "any", types=_PREDEFINED_TYPE)


# The keyword spelled in the bytes (module docstring); the engine skips the check on
# other files.
NEEDS = prefilter.needs(prefilter.has(b"any"))


def check(source: SourceFile, ctx: RuleContext) -> None:
    ignore_rest_args = ctx.bool_option("ignore-rest-args")
    for node in any_keywords(source):
        if ignore_rest_args and _is_rest_array_element(node):
            continue
        ctx.report(node)
