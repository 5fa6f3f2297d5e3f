"""When code runs: at module import ("module level") or later, inside a function."""

from __future__ import annotations

import tree_sitter as ts

from nextaudit.analysis.syntax import FUNCTION_TYPES, ancestors, outer, parent_of


def is_iife(function: ts.Node) -> bool:
    """`(function () {...})()`, `(() => {...})()`, `(async () => {...})()`."""
    wrapper = outer(function)
    # `parent_of`: callers climb from inside the function, so the path is recorded
    # and this is a dict hit (`.parent` walks down from the root).
    parent = parent_of(wrapper)
    return (
        parent is not None
        and parent.type == "call_expression"
        and parent.child_by_field_name("function") == wrapper
    )


def _is_static_member(member: ts.Node) -> bool:
    return any(child.type == "static" for child in member.children)


def is_module_level(node: ts.Node) -> bool:
    """True when `node` runs as the module is imported (see RULES.md, Terms).

    Top-level statements, `export default <expr>`, class static fields and static
    blocks, decorator arguments, and the bodies of immediately-invoked functions at
    module level run at import time. Function, method, getter, constructor and arrow
    bodies, instance field initializers and default parameter values do not.
    """
    child = node
    # Lazily: most answers come at the first function, not at the root.
    for ancestor in ancestors(node):
        kind = ancestor.type
        if kind in FUNCTION_TYPES:
            if child.type == "decorator":
                pass  # a method's decorator arguments run when the class is defined
            elif kind == "method_definition" or not is_iife(ancestor):
                return False
            # An IIFE's parameters' defaults are evaluated at the call, its body runs now.
        elif kind in ("public_field_definition", "field_definition"):
            value = ancestor.child_by_field_name("value")
            if value is not None and child == value and not _is_static_member(ancestor):
                return False
        elif kind == "class_static_block":
            pass
        child = ancestor
    return True


def runtime_function(node: ts.Node) -> ts.Node | None:
    """The innermost function whose body contains `node` and that is not a module-level
    IIFE, i.e. the function that decides when `node` runs; None at module level."""
    child = node
    for ancestor in ancestors(node):
        if ancestor.type in FUNCTION_TYPES:
            if child.type == "decorator":
                pass
            elif ancestor.type == "method_definition" or not is_iife(ancestor):
                return ancestor
        elif ancestor.type in ("public_field_definition", "field_definition"):
            value = ancestor.child_by_field_name("value")
            if value is not None and child == value and not _is_static_member(ancestor):
                return ancestor
        child = ancestor
    return None
