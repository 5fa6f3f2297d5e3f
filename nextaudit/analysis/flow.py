"""Whole-handler reasoning shared by the security and performance rules.

- `handlers(source)`: a route file's handlers with their function, body and parameters;
- `calls_in(function)`: the calls a function body makes (optionally not descending
  into nested functions);
- `reachable_calls(function)`: those plus the calls of same-file functions it calls,
  transitively (bounded, cycle-safe);
- `iteration_context(node)`: the loop statement or iteration callback (`.map`,
  `.forEach`, ...) a node runs in, stopping at any other function boundary.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import tree_sitter as ts

from nextaudit.analysis.nextjs import (
    Handler,
    is_route_file,
    lacks_handlers,
    local_declarations,
    route_handlers,
)
from nextaudit.analysis.syntax import (
    FUNCTION_LITERAL_TYPES,
    FUNCTION_TYPES,
    call_arguments,
    callee_name,
    function_body,
    function_parameters,
    outer,
    parameter_pattern,
    parent_of,
    text,
    unwrap,
)
from nextaudit.source import SourceFile

LOOP_TYPES = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"})
ITERATION_METHODS = frozenset({"map", "forEach", "flatMap", "filter", "reduce", "some", "every"})
_CALLS = "(call_expression) @call"
_NEWS = "(new_expression) @new"


class RouteHandler(NamedTuple):
    """A route handler with what rules ask of it. `request` / `context` are the names
    of its first and second parameters when they are plain identifiers. (A NamedTuple,
    as `nextjs.Handler` is: immutable, and cheaper to build than a frozen dataclass.)"""

    handler: Handler
    function: ts.Node | None
    body: ts.Node | None
    request: str | None
    context: str | None

    @property
    def name(self) -> str:
        return self.handler.name

    @property
    def name_node(self) -> ts.Node:
        return self.handler.name_node

    @property
    def wrappers(self) -> tuple[ts.Node, ...]:
        return self.handler.wrappers


def _param_name(params: list[ts.Node], index: int) -> str | None:
    """The name of the `index`-th of a function's `params`, when it is a plain name."""
    if index >= len(params):
        return None
    pattern = parameter_pattern(params[index])
    return text(pattern) if pattern.type == "identifier" else None


def handlers(source: SourceFile) -> list[RouteHandler]:
    """The exported HTTP method handlers of a route file (empty for other files).
    Computed once per file: several route rules ask for them."""
    if not is_route_file(source) or lacks_handlers(source):
        return []
    return list(source.memo("flow.handlers", _handlers))


def _handlers(source: SourceFile) -> list[RouteHandler]:
    out: list[RouteHandler] = []
    for handler in route_handlers(source):
        function = handler.function
        if function is None:
            out.append(RouteHandler(handler, None, None, None, None))
            continue
        params = function_parameters(function)  # read once for both names
        out.append(
            RouteHandler(
                handler,
                function,
                function_body(function),
                _param_name(params, 0),
                _param_name(params, 1),
            )
        )
    return out


def owning_function(node: ts.Node) -> ts.Node | None:
    current = parent_of(node)
    while current is not None:
        if current.type in FUNCTION_TYPES:
            return current
        current = parent_of(current)
    return None


def calls_in(
    function: ts.Node, source: SourceFile, *, nested: bool = True, new: bool = False
) -> list[ts.Node]:
    """Call expressions (and `new` expressions when asked) in `function`'s body, in
    source order; with nested=False, calls inside inner functions are left out."""
    body = function_body(function)
    if body is None:
        return []
    # Memoised per body: the guards ask for the calls of a function once to find the
    # functions it reaches and again for the calls themselves, for each rule.
    found = source.memo(f"flow.calls:{body.id}", lambda s: s.nodes(_CALLS, "call", body))
    if new:
        found = sorted([*found, *source.nodes(_NEWS, "new", body)], key=lambda n: n.start_byte)
    if nested:
        return list(found)
    return [c for c in found if owning_function(c) == function]


def same_file_function(source: SourceFile, call: ts.Node) -> ts.Node | None:
    """The function of this file that a plain `f(...)` call invokes, if any."""
    callee = call.child_by_field_name("function")
    if callee is None:
        return None
    callee = unwrap(callee)
    if callee.type != "identifier":
        return None
    value = local_declarations(source).get(text(callee))
    if value is None:
        return None
    value = unwrap(value)
    if value.type in FUNCTION_LITERAL_TYPES or value.type in (
        "function_declaration",
        "generator_function_declaration",
    ):
        return value
    return None


def reachable_functions(
    function: ts.Node, source: SourceFile, max_functions: int = 64
) -> list[ts.Node]:
    """`function` and the same-file functions it calls, transitively, cycle-safe
    (memoised per function: route rules ask it of the same handlers)."""
    key = f"flow.reachable:{function.id}:{max_functions}"
    return list(source.memo(key, lambda s: _reachable_functions(function, s, max_functions)))


def _reachable_functions(
    function: ts.Node, source: SourceFile, max_functions: int
) -> list[ts.Node]:
    seen: list[ts.Node] = [function]
    queue = [function]
    while queue and len(seen) < max_functions:
        current = queue.pop(0)
        for call in calls_in(current, source):
            target = same_file_function(source, call)
            if target is not None and target not in seen:
                seen.append(target)
                queue.append(target)
    return seen


def reachable_calls(function: ts.Node, source: SourceFile) -> Iterator[ts.Node]:
    """Calls in `function` and in every same-file function it (transitively) calls."""
    for target in reachable_functions(function, source):
        yield from calls_in(target, source)


@dataclass(frozen=True)
class Iteration:
    """Where a node is repeated: a loop statement, or a callback passed to an array
    iteration method (`call` is then the `.map(...)` call)."""

    kind: str  # "loop" or "callback"
    node: ts.Node
    method: str = ""

    @property
    def in_promise_all(self) -> bool:
        """`Promise.all(xs.map(...))` (also allSettled): the calls run in parallel."""
        if self.kind != "callback":
            return False
        parent = outer(self.node).parent
        if parent is not None and parent.type == "arguments":
            call = parent.parent
            if call is not None and call.type == "call_expression":
                callee = call.child_by_field_name("function")
                return callee is not None and text(unwrap(callee)) in (
                    "Promise.all",
                    "Promise.allSettled",
                )
        return False


def _loop_body(loop: ts.Node) -> ts.Node | None:
    return loop.child_by_field_name("body")


def iteration_context(node: ts.Node) -> Iteration | None:
    """The innermost loop body or iteration callback `node` runs in, or None. Any other
    function boundary stops the search (the function may run once, or never)."""
    child = node
    current = parent_of(node)
    while current is not None:
        if current.type in LOOP_TYPES and _loop_body(current) == child:
            return Iteration("loop", current)
        if current.type in FUNCTION_TYPES:
            call = _callback_call(current)
            if call is None:
                return None
            return Iteration("callback", call, callee_name(call) or "")
        child = current
        current = parent_of(current)
    return None


def _callback_call(function: ts.Node) -> ts.Node | None:
    """The `xs.map(fn)` call when `function` is the callback of an iteration method."""
    wrapper = outer(function)
    args = wrapper.parent
    if args is None or args.type != "arguments":
        return None
    call = args.parent
    if call is None or call.type != "call_expression":
        return None
    callee = call.child_by_field_name("function")
    if callee is None or unwrap(callee).type != "member_expression":
        return None
    if callee_name(call) not in ITERATION_METHODS:
        return None
    return call if call_arguments(call)[:1] == [wrapper] else None
