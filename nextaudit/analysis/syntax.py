"""Node-level helpers: function kinds, string values, parentheses, names."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

import tree_sitter as ts

FUNCTION_TYPES = frozenset(
    {
        "function_declaration",
        "function_expression",
        "function",
        "arrow_function",
        "generator_function_declaration",
        "generator_function",
        "method_definition",
    }
)
FUNCTION_LITERAL_TYPES = frozenset(
    {"function_expression", "function", "arrow_function", "generator_function"}
)
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", re.DOTALL)


def unwrap(node: ts.Node) -> ts.Node:
    """Strip parentheses and TypeScript-only wrappers (`x as T`, `x!`, `<T>x`, `satisfies`)."""
    while True:
        if node.type in (
            "parenthesized_expression",
            "as_expression",
            "non_null_expression",
            "satisfies_expression",
            "type_assertion",
        ):
            # Comments can sit anywhere inside the parentheses: `(// why\n x)`.
            parts = [c for c in node.named_children if c.type != "comment"]
            if not parts:
                return node
            node = parts[-1] if node.type == "type_assertion" else parts[0]
        else:
            return node


# Nodes that only wrap an expression: parentheses and type assertions (what `outer`
# climbs through; `unwrap` sees through the same).
WRAPPERS = frozenset(
    {
        "parenthesized_expression",
        "as_expression",
        "non_null_expression",
        "satisfies_expression",
        "type_assertion",
    }
)


def outer(node: ts.Node) -> ts.Node:
    """The outermost node that only wraps `node` in parentheses or type assertions."""
    parent = parent_of(node)
    while parent is not None and parent.type in WRAPPERS:
        node = parent
        parent = parent_of(node)
    return node


# --- parents ---------------------------------------------------------------------------
# tree-sitter computes `Node.parent` by walking down from the root, so it costs O(depth)
# and climbing to the root costs O(depth^2): 10,000-deep nesting would take minutes.
# The engine binds the tree being analysed; the first climb from a node records the
# whole root-to-node path in one descent, and every later parent on it is a dict hit.
_bound_root: ts.Node | None = None
_parents: dict[int, ts.Node | None] = {}


_CHILD_WITH_DESCENDANT = hasattr(ts.Node, "child_with_descendant")


def bind_tree(root: ts.Node | None) -> None:
    """Make `parent_of` fast for nodes of the tree whose root is `root` (None unbinds)."""
    global _bound_root  # noqa: PLW0603 - one tree is analysed at a time per process
    _bound_root = root
    _parents.clear()


def parent_of(node: ts.Node) -> ts.Node | None:
    key = node.id
    if key in _parents:
        return _parents[key]
    path = _descend(_bound_root, node) if _bound_root is not None else None
    if path is None:
        return node.parent
    previous: ts.Node | None = None
    for step in path:
        _parents[step.id] = previous
        previous = step
    return _parents[key]


def _descend(root: ts.Node, node: ts.Node) -> list[ts.Node] | None:
    """Nodes from `root` down to `node` (both included), or None if `node` is not found
    (another tree, or an ambiguous zero-width node): callers fall back to `.parent`."""
    target_id, start, end = node.id, node.start_byte, node.end_byte
    if root.id == target_id:
        return [root]
    if not (root.start_byte <= start and end <= root.end_byte):
        return None
    if _CHILD_WITH_DESCENDANT:
        # tree-sitter >= 0.24 picks the child on the path in C: about twice as fast as
        # the cursor below (same paths on 81k nodes of the benchmark corpus).
        path = [root]
        current: ts.Node | None = root
        while current is not None and current.id != target_id:
            current = current.child_with_descendant(node)
            if current is not None:
                path.append(current)
        return path if current is not None else None
    path = [root]
    cursor = root.walk()
    while True:
        if cursor.goto_first_child_for_byte(start) is None and not cursor.goto_first_child():
            return None
        while True:
            child = cursor.node
            if child is None:
                return None
            if child.id == target_id:
                path.append(child)
                return path
            if (
                child.start_byte <= start
                and end <= child.end_byte
                and child.end_byte > child.start_byte
            ):
                break
            if child.start_byte > start or not cursor.goto_next_sibling():
                return None
        path.append(child)


def _unescape(raw: str) -> str:
    def replace(match: re.Match[str]) -> str:
        body = match.group(1)
        if body.startswith("u{"):
            return chr(int(body[2:-1], 16))
        if body[0] in "ux" and len(body) > 1:
            return chr(int(body[1:], 16))
        return codecs.decode("\\" + body, "unicode_escape") if body in "nrtbfv0" else body

    return _ESCAPE.sub(replace, raw)


def string_value(node: ts.Node) -> str | None:
    """The value of a string literal or a template literal without substitutions."""
    if node.type == "string":
        parts = []
        for child in node.named_children:
            text = (child.text or b"").decode("utf-8", errors="replace")
            parts.append(_unescape(text) if child.type == "escape_sequence" else text)
        return "".join(parts)
    if node.type == "template_string":
        parts = []
        for child in node.named_children:
            if child.type == "template_substitution":
                return None
            text = (child.text or b"").decode("utf-8", errors="replace")
            parts.append(_unescape(text) if child.type == "escape_sequence" else text)
        return "".join(parts)
    return None


def text(node: ts.Node | None) -> str:
    # `Node.text` copies the node's bytes on every access: read it once (118k calls a
    # 5k-file run).
    raw = node.text if node is not None else None
    return "" if raw is None else raw.decode("utf-8", errors="replace")


def member_chain(node: ts.Node) -> list[str] | None:
    """`a.b.c` -> ["a", "b", "c"]; `a["b"]` -> ["a", "b"]; None for anything dynamic."""
    names: list[str] = []
    current = unwrap(node)
    while True:
        if current.type == "member_expression":
            prop = current.child_by_field_name("property")
            obj = current.child_by_field_name("object")
            if prop is None or obj is None:
                return None
            names.append(text(prop))
            current = unwrap(obj)
        elif current.type == "subscript_expression":
            index = current.child_by_field_name("index")
            obj = current.child_by_field_name("object")
            value = string_value(index) if index is not None else None
            if value is None or obj is None:
                return None
            names.append(value)
            current = unwrap(obj)
        elif current.type in ("identifier", "this", "super"):
            names.append(text(current))
            return names[::-1]
        else:
            return None


def callee(call: ts.Node) -> ts.Node | None:
    """A call's callee, unwrapped. tree-sitter-typescript parses `await f<T>(x)` as a
    call whose function is `await f`; the callee is then `f` (the await belongs to the
    whole call, which callers find by looking at the call's parent as usual)."""
    function = call.child_by_field_name("function")
    if function is None:
        return None
    function = unwrap(function)
    if function.type == "await_expression" and call.child_by_field_name("type_arguments"):
        inner = [c for c in function.named_children if c.type != "comment"]
        if inner:
            function = unwrap(inner[0])
    return function


def callee_name(call: ts.Node) -> str | None:
    """Last name of a call's callee: `a.b.c()` -> "c", `f()` -> "f"."""
    function = callee(call)
    if function is None:
        return None
    if function.type == "identifier":
        return text(function)
    if function.type == "member_expression":
        return text(function.child_by_field_name("property"))
    return None


def call_arguments(call: ts.Node) -> list[ts.Node]:
    args = call.child_by_field_name("arguments")
    if args is None or args.type != "arguments":
        return []
    return [a for a in args.named_children if a.type != "comment"]


def function_parameters(function: ts.Node) -> list[ts.Node]:
    """The parameter nodes of a function (arrow `x => ...` included), comments skipped."""
    single = function.child_by_field_name("parameter")
    if single is not None:
        return [single]
    params = function.child_by_field_name("parameters")
    if params is None:
        return []
    return [p for p in params.named_children if p.type != "comment"]


def parameter_pattern(param: ts.Node) -> ts.Node:
    """The binding pattern of a parameter (`{ params }: Props` -> the object pattern)."""
    if param.type in ("required_parameter", "optional_parameter"):
        pattern = param.child_by_field_name("pattern")
        if pattern is not None:
            return pattern
    if param.type == "assignment_pattern":
        left = param.child_by_field_name("left")
        if left is not None:
            return left
    return param


def function_body(function: ts.Node) -> ts.Node | None:
    return function.child_by_field_name("body")


def descendants(node: ts.Node) -> Iterator[ts.Node]:
    """Every descendant in source order, iteratively (deep trees must not recurse)."""
    cursor = node.walk()
    depth = 0
    visited_children = False
    while True:
        if not visited_children:
            if depth > 0:
                current = cursor.node
                if current is not None:
                    yield current
            if cursor.goto_first_child():
                depth += 1
                continue
        if depth == 0:
            return
        if cursor.goto_next_sibling():
            visited_children = False
            continue
        cursor.goto_parent()
        depth -= 1
        visited_children = True


def is_function(node: ts.Node) -> bool:
    return node.type in FUNCTION_TYPES


def ancestors(node: ts.Node) -> Iterator[ts.Node]:
    current = parent_of(node)
    while current is not None:
        yield current
        current = parent_of(current)


def enclosing_function(node: ts.Node) -> ts.Node | None:
    for ancestor in ancestors(node):
        if ancestor.type in FUNCTION_TYPES:
            return ancestor
    return None
