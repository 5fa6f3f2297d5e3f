"""await-request-apis: `cookies()`, `headers()` and `draftMode()` from `next/headers`
used without `await` (in Next.js 15 they return Promises).

Pre-filter: every way to reach the APIs names the module in a string (`import`,
`require`), so a file whose bytes hold no `next/headers` (and no escape that could
spell it) is skipped; the calls are then found from the names bound to the module
(`_api_calls`) instead of from every call of the file.

A call is judged by the context its value flows into (`_use_of`): awaiting it, chaining
`.then`, handing it to React `use()` or to `Promise.all([...])`, or returning it is
fine; reading from it (`.get()`, `[...]`, destructuring, spreading, iterating) or
passing it to another function is not. A value stored in a variable is followed to
every later reference of that variable, and the call is flagged (once, at the call)
when any of those references is a synchronous use.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import identifiers_named, is_shadowed, scope_declares
from nextaudit.analysis.dataflow import names_in_scope
from nextaudit.analysis.imports import bindings_from
from nextaudit.analysis.syntax import (
    FUNCTION_TYPES,
    ancestors,
    function_body,
    outer,
    parent_of,
    string_value,
    text,
    unwrap,
)
from nextaudit.context import RuleContext
from nextaudit.source import SourceFile

MODULE = "next/headers"
REQUEST_APIS = frozenset({"cookies", "headers", "draftMode"})
# Methods of the Promise itself: chaining them handles the value asynchronously.
_PROMISE_METHODS = frozenset({"then", "catch", "finally"})
# `Promise.resolve(p)` is not in RULES.md's list but is as asynchronous as `.then`.
_PROMISE_COMBINATORS = frozenset({"all", "allSettled", "race", "any", "resolve"})
# Nodes that open a block scope for `const`/`let`; `var` is visible in its function.
_BLOCKS = frozenset({"program", "statement_block", "class_static_block", "switch_case"})
_DECLARING_BLOCKS = _BLOCKS | {"for_statement"}
_DIRECT_STEPS = 8
# Operators whose result may be the operand itself, so the operand's use is the result's.
_PASS_THROUGH_OPERATORS = {"||": ("left", "right"), "??": ("left", "right"), "&&": ("right",)}

_MEMBERS = frozenset({"member_expression", "subscript_expression"})
_REFERENCES = "[(identifier) (shorthand_property_identifier)] @ref"
_IDENTIFIER = frozenset({"identifier"})

UseKind = Literal["fine", "sync", "store"]


@dataclass(frozen=True)
class _Binding:
    """A local name for one request API (`export`) or for the module (`export == "*"`),
    visible inside `scope` (the program for `import`, the block of a nested `require`)."""

    local: str
    export: str
    scope: ts.Node


@dataclass(frozen=True)
class _Use:
    """Where a Promise ends up: `store` carries the declarator or assignment that keeps
    it in a variable, whose later references decide."""

    kind: UseKind
    holder: ts.Node | None = None


_FINE = _Use("fine")
_SYNC = _Use("sync")


def _enclosing_block(node: ts.Node) -> ts.Node:
    # An import's name is a few steps below the program: `Node.parent` (a walk down in
    # C) takes them for less than `parent_of`, which records the whole path in Python;
    # a deeper climb (a nested `require`) goes on with `ancestors`.
    current = node.parent
    for _step in range(_DIRECT_STEPS):
        if current is None:
            return node
        if current.type in _BLOCKS:
            return current
        current = current.parent
    if current is None:
        return node
    if current.type in _BLOCKS:
        return current
    return next((a for a in ancestors(current) if a.type in _BLOCKS), node)


def _request_bindings(source: SourceFile) -> dict[str, list[_Binding]]:
    """Local name -> its bindings to a `next/headers` request API or to the module."""
    out: dict[str, list[_Binding]] = {}
    # Only the module's bindings: not every import of the file.
    for binding in bindings_from(source, MODULE):
        # A default import of this CommonJS module is the module object, like `* as`.
        export = "*" if binding.imported == "default" else binding.imported
        if export != "*" and export not in REQUEST_APIS:
            continue
        scope = _enclosing_block(binding.node)
        out.setdefault(binding.local, []).append(_Binding(binding.local, export, scope))
    return out


def _resolve(
    name_node: ts.Node, bindings: dict[str, list[_Binding]], free: frozenset[str] = frozenset()
) -> _Binding | None:
    """The binding `name_node` refers to, unless an inner declaration shadows it.
    Names in `free` are declared by no scope below the program."""
    name = text(name_node)
    for binding in bindings.get(name, ()):
        scope = binding.scope
        if not scope.start_byte <= name_node.start_byte < scope.end_byte:
            continue
        if scope.type == "program" and name in free:
            return binding
        if not is_shadowed(name_node, name, scope if scope.type != "program" else None):
            return binding
    return None


def _is_require_of_module(node: ts.Node) -> bool:
    """`require("next/headers")`."""
    node = unwrap(node)
    if node.type != "call_expression":
        return False
    function = node.child_by_field_name("function")
    args = node.child_by_field_name("arguments")
    if function is None or text(function) != "require" or args is None:
        return False
    first = next((a for a in args.named_children if a.type != "comment"), None)
    return first is not None and string_value(first) == MODULE


def _member_parts(callee: ts.Node) -> tuple[ts.Node, str] | None:
    """(object, property name) of `a.b` or `a["b"]`."""
    obj = callee.child_by_field_name("object")
    if callee.type == "member_expression":
        prop = callee.child_by_field_name("property")
        name = text(prop) if prop is not None else None
    elif callee.type == "subscript_expression":
        index = callee.child_by_field_name("index")
        name = string_value(index) if index is not None else None
    else:
        return None
    if obj is None or name is None:
        return None
    return unwrap(obj), name


def _called_api(
    callee: ts.Node, bindings: dict[str, list[_Binding]], free: frozenset[str] = frozenset()
) -> str | None:
    """Which request API a callee names: `cookies`, `c` (renamed), `h.cookies`
    (namespace), `require("next/headers").cookies`; None for anything else."""
    callee = unwrap(callee)
    if callee.type == "identifier":
        binding = _resolve(callee, bindings, free)
        return binding.export if binding is not None and binding.export != "*" else None
    parts = _member_parts(callee)
    if parts is None or parts[1] not in REQUEST_APIS:
        return None
    obj, api = parts
    if obj.type == "identifier":
        binding = _resolve(obj, bindings, free)
        return api if binding is not None and binding.export == "*" else None
    return api if _is_require_of_module(obj) else None


def _is_promise_aware_call(call: ts.Node) -> bool:
    """React `use(p)` / `React.use(p)` and `Promise.all/allSettled/race/any/resolve`."""
    if call.type != "call_expression":
        return False  # `new X(p)`
    function = call.child_by_field_name("function")
    if function is None:
        return False
    function = unwrap(function)
    if function.type == "identifier":
        return text(function) == "use"
    parts = _member_parts(function)
    if parts is None:
        return False
    obj, name = parts
    if obj.type != "identifier":
        return False
    if name == "use":
        return True
    return text(obj) == "Promise" and name in _PROMISE_COMBINATORS


def _passes_through(parent: ts.Node, operand: ts.Node) -> bool:
    """`operand` may be the value of `parent` itself: a `?:` branch, or a side of
    `||`/`??` (or the right side of `&&`)."""
    if parent.type == "ternary_expression":
        return parent.child_by_field_name("condition") != operand
    if parent.type != "binary_expression":
        return False
    operator = parent.child_by_field_name("operator")
    sides = _PASS_THROUGH_OPERATORS.get(text(operator), ())
    return any(parent.child_by_field_name(side) == operand for side in sides)


def _is_for_await(loop: ts.Node) -> bool:
    return any(child.type == "await" for child in loop.children)


def _use_of(value: ts.Node) -> _Use:
    """How the value of expression `value` (a request-API call or a reference to a
    variable holding its Promise) is used. Climbs only through nodes that pass the value
    on unchanged: parentheses and type assertions, `?:` branches, `||`/`??`/`&&`, and
    object/array literals (a Promise stored in a literal is judged by where the literal
    goes: only passing it to a function counts, as in `fetch(url, { headers: headers() })`).
    """
    current = outer(value)
    in_literal = False
    while True:
        parent = current.parent
        if parent is None:
            return _FINE
        kind = parent.type
        if kind == "await_expression":
            return _FINE
        if _passes_through(parent, current):
            current = outer(parent)
        elif (kind == "pair" and parent.child_by_field_name("value") == current) or kind in (
            "object",
            "array",
        ):
            literal = parent.parent if kind == "pair" else parent
            if literal is None:
                return _FINE
            in_literal = True
            current = outer(literal)
        elif kind == "arguments":
            call = parent.parent
            return _FINE if call is not None and _is_promise_aware_call(call) else _SYNC
        elif in_literal:
            return _FINE  # kept in an object or array that is not handed to a function
        else:
            return _direct_use(parent, current)


def _direct_use(parent: ts.Node, child: ts.Node) -> _Use:
    """The use of `child` by `parent` when `parent` does not just pass it on."""
    kind = parent.type
    if kind in ("member_expression", "subscript_expression"):
        if parent.child_by_field_name("object") != child:
            return _FINE
        parts = _member_parts(parent)
        return _FINE if parts is not None and parts[1] in _PROMISE_METHODS else _SYNC
    if kind == "spread_element":
        return _SYNC
    if kind == "for_in_statement":
        is_iterated = parent.child_by_field_name("right") == child
        return _SYNC if is_iterated and not _is_for_await(parent) else _FINE
    if kind == "variable_declarator" and parent.child_by_field_name("value") == child:
        name = parent.child_by_field_name("name")
        if name is not None and name.type == "identifier":
            return _Use("store", parent)
        return _SYNC  # `const { get } = cookies()` destructures the Promise
    if kind == "assignment_expression" and parent.child_by_field_name("right") == child:
        left = parent.child_by_field_name("left")
        if left is not None and left.type == "identifier":
            return _Use("store", parent)
        if left is not None and left.type in ("object_pattern", "array_pattern"):
            return _SYNC
    # await, return, concise arrow bodies, statements on their own, `void`, JSX, class
    # fields, member assignments...: nothing is read from the Promise here.
    return _FINE


@dataclass(frozen=True)
class _Variable:
    """A variable holding the Promise: references are searched in `scope`; `declared_in`
    is the block whose declaration binds it (narrower than `scope` for a `var` in a
    nested block, which is visible in its whole function)."""

    name: str
    scope: ts.Node
    declared_in: ts.Node


def _declaring_block(declarator: ts.Node) -> ts.Node:
    """The block (or `for (...)` head) whose declaration binds `declarator`."""
    return next((a for a in ancestors(declarator) if a.type in _DECLARING_BLOCKS), declarator)


def _function_scope(node: ts.Node) -> ts.Node:
    """The body of the function `node` is in, or the program."""
    for ancestor in ancestors(node):
        if ancestor.type in FUNCTION_TYPES:
            return function_body(ancestor) or ancestor
    return _root(node)


def _holder_variable(holder: ts.Node) -> _Variable | None:
    """The variable a declarator or an assignment stores the Promise in."""
    if holder.type == "variable_declarator":
        name = holder.child_by_field_name("name")
        declaration = holder.parent
        if name is None or declaration is None:
            return None
        block = _declaring_block(holder)
        if declaration.type == "variable_declaration" and block.type != "for_statement":
            return _Variable(text(name), _function_scope(holder), block)  # `var`
        return _Variable(text(name), block, block)
    left = holder.child_by_field_name("left")
    if left is None:
        return None
    name_text = text(left)
    scope = next(
        (a for a in ancestors(holder) if a.type != "program" and scope_declares(a, name_text)),
        None,
    )
    scope = scope if scope is not None else _root(holder)
    return _Variable(name_text, scope, scope)


def _is_same_variable(reference: ts.Node, variable: _Variable) -> bool:
    """No declaration between `reference` and the one binding `variable` rebinds it."""
    block = variable.declared_in
    inside = block.start_byte <= reference.start_byte < block.end_byte
    stop = block if inside else variable.scope
    return not is_shadowed(reference, variable.name, stop if stop.type != "program" else None)


def _root(node: ts.Node) -> ts.Node:
    root = node
    for ancestor in ancestors(node):
        root = ancestor
    return root


def _is_reassignment(reference: ts.Node) -> ts.Node | None:
    parent = reference.parent
    if (
        parent is not None
        and parent.type == "assignment_expression"
        and parent.child_by_field_name("left") == reference
    ):
        return parent
    return None


def _later_references(source: SourceFile, holder: ts.Node) -> Iterator[ts.Node]:
    """References to the variable `holder` stores into, after it and until the variable
    is next assigned (a later `c = await c` stops the Promise being what `c` holds)."""
    variable = _holder_variable(holder)
    if variable is None:
        return
    cutoff: int | None = None
    for reference in source.nodes(_REFERENCES, "ref", variable.scope):
        if reference.start_byte < holder.end_byte or text(reference) != variable.name:
            continue
        if cutoff is not None and reference.start_byte >= cutoff:
            return
        if not _is_same_variable(reference, variable):
            continue
        assignment = _is_reassignment(reference)
        if assignment is not None:
            cutoff = assignment.end_byte
            continue
        yield reference


def _first_sync_reference(source: SourceFile, holder: ts.Node) -> ts.Node | None:
    """The first reference that uses the stored Promise synchronously, following
    aliases (`const d = c`)."""
    pending = [holder]
    seen: set[tuple[int, int]] = set()
    while pending:
        current = pending.pop()
        if (current.start_byte, current.end_byte) in seen:
            continue
        seen.add((current.start_byte, current.end_byte))
        for reference in _later_references(source, current):
            use = _use_of(reference)
            if use.kind == "sync":
                return reference
            if use.kind == "store" and use.holder is not None:
                pending.append(use.holder)
    return None


def _called(expression: ts.Node) -> tuple[ts.Node, ts.Node] | None:
    """(call, callee) when `expression`, wrapped or not, is the callee of a call."""
    callee = outer(expression)
    call = parent_of(callee)
    if (
        call is not None
        and call.type == "call_expression"
        and call.child_by_field_name("function") == callee
    ):
        return call, callee
    return None


def _member_called(receiver: ts.Node) -> tuple[ts.Node, ts.Node] | None:
    """(call, callee) of `receiver.x(...)` / `receiver["x"](...)`, receiver wrapped or not."""
    outer_receiver = outer(receiver)
    member = parent_of(outer_receiver)
    if member is None or member.type not in _MEMBERS:
        return None
    if member.child_by_field_name("object") != outer_receiver:
        return None
    return _called(member)


def _api_calls(
    source: SourceFile,
    bindings: dict[str, list[_Binding]],
    named: dict[str, list[ts.Node]] | None = None,
) -> list[tuple[ts.Node, ts.Node]]:
    """(call, callee) of every call `_called_api` could name an API: its callee, once
    unwrapped, is a name bound to the module, a member of one, or a member of a
    `require(...)` call; each of these has an identifier spelled as that name (or
    `require`) where the search starts. A superset: `_called_api` still judges each."""
    found: dict[int, tuple[ts.Node, ts.Node]] = {}
    for name in bindings:
        known = named.get(name) if named is not None else None
        # (`named` holds them when the caller found them already.)
        for identifier in known if known is not None else identifiers_named(source, name):
            for pair in (_called(identifier), _member_called(identifier)):
                if pair is not None:
                    found.setdefault(pair[0].id, pair)
    if b"require" in source.content:
        for identifier in identifiers_named(source, "require"):
            require = _called(identifier)
            pair = _member_called(require[0]) if require is not None else None
            if pair is not None:
                found.setdefault(pair[0].id, pair)
    return sorted(found.values(), key=lambda pair: pair[0].start_byte)


# Every way to reach the APIs spells the module name in a string: the engine skips
# the check on other files.
NEEDS = prefilter.needs(prefilter.has_text(MODULE.encode("ascii")))


def check(source: SourceFile, ctx: RuleContext) -> None:
    if not NEEDS.met_by(source):  # for callers other than the engine
        return
    bindings = _request_bindings(source)
    # One pass over each name's occurrences finds its identifiers and tells whether
    # any scope below the program can declare it (if none can, no reference to it is
    # shadowed, and `_resolve` need not ask every scope around each call).
    named: dict[str, list[ts.Node]] = {}
    undeclared: set[str] = set()
    for name in bindings:
        named[name], may_shadow = names_in_scope(source, name, source.root, _IDENTIFIER)
        if not may_shadow:
            undeclared.add(name)
    free = frozenset(undeclared)
    for call, callee in _api_calls(source, bindings, named):
        api = _called_api(callee, bindings, free)
        if api is None:
            continue
        use = _use_of(call)
        if use.kind == "sync":
            ctx.report(call, name=api, detail="")
        elif use.kind == "store" and use.holder is not None:
            reference = _first_sync_reference(source, use.holder)
            if reference is not None:
                line = reference.start_point.row + 1
                detail = f" (`{text(reference)}` is used without `await` on line {line})"
                ctx.report(call, name=api, detail=detail)
