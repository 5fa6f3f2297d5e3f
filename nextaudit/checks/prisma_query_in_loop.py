"""prisma-query-in-loop: a Prisma query repeated per element of a loop or array callback
(the N+1 pattern), unless the repeated calls are batched into one `$transaction([...])`.

Pre-filter: a Prisma call spells, as written, the name of its client (the last name of
its receiver, one of option `clients`) and of its operation, so a file whose bytes hold
no client name or no operation name has no Prisma call and is skipped unparsed.
"""

from __future__ import annotations

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import identifiers_named
from nextaudit.analysis.flow import Iteration, iteration_context
from nextaudit.analysis.prisma import (
    PrismaCall,
    is_transaction_call,
    lacks_prisma_calls,
    prisma_callee,
    prisma_calls,
)
from nextaudit.analysis.syntax import (
    FUNCTION_TYPES,
    ancestors,
    call_arguments,
    callee_name,
    outer,
    parent_of,
    text,
    unwrap,
)
from nextaudit.context import RuleContext
from nextaudit.source import SourceFile

_DECLARATORS = "(variable_declarator name: (identifier) @name value: (_) @value)"
_TRANSACTION = "$transaction"
# With filters off, the calls are found with this query, as before they were found from
# the bytes; tests/test_prefilter.py runs the rule both ways and demands the same findings.
_TRANSACTIONS = (
    "(call_expression function: (member_expression property: (property_identifier) @p"
    ' (#eq? @p "$transaction"))) @call'
)

_IN_IDS = "{ where: { id: { in: ids } } }"
_READ_FIX = f"load them in one query with `findMany({_IN_IDS})` or `include` the relation"
_FIXES = {
    "findUnique": _READ_FIX,
    "findUniqueOrThrow": _READ_FIX,
    "findFirst": _READ_FIX,
    "findFirstOrThrow": _READ_FIX,
    "findMany": _READ_FIX,
    "count": "count them in one query with `groupBy` or `include: { _count: true }`",
    "aggregate": "aggregate them in one query with `groupBy`",
    "groupBy": "group them in one `groupBy` over all the keys",
    "create": "insert them in one query with `createMany` (or `createManyAndReturn`)",
    "createMany": "collect the rows and call `createMany` once",
    "createManyAndReturn": "collect the rows and call `createManyAndReturn` once",
    "update": f"use one `updateMany({_IN_IDS})`, or batch them in `$transaction([...])`",
    "upsert": "batch them in one `$transaction([...])`",
    "updateMany": f"merge the filters into one `updateMany({_IN_IDS})`",
    "delete": f"delete them in one query with `deleteMany({_IN_IDS})`",
    "deleteMany": f"merge the filters into one `deleteMany({_IN_IDS})`",
}
_RAW_FIX = f"fetch them in one query (`WHERE id IN (...)`) or with `findMany({_IN_IDS})`"


def _query_name(found: PrismaCall) -> str:
    if found.model:
        return f"{found.client}.{found.model}.{found.operation}"
    return f"{found.client}.{found.operation}"


def _loop_name(loop: ts.Node) -> str:
    if loop.type == "while_statement":
        return "`while` loop"
    if loop.type == "do_statement":
        return "`do...while` loop"
    if loop.type == "for_statement":
        return "`for` loop"
    tokens = {child.type for child in loop.children if not child.is_named}
    keyword = (
        "for await...of" if "await" in tokens else "for...in" if "in" in tokens else "for...of"
    )
    return f"`{keyword}` loop"


def _where(iteration: Iteration) -> str:
    if iteration.kind == "loop":
        return "inside a " + _loop_name(iteration.node)
    if iteration.in_promise_all:
        return f"inside `Promise.all(xs.{iteration.method}(...))`"
    return f"inside a `.{iteration.method}()` callback"


def _element_names(argument: ts.Node) -> set[str]:
    """`ops` -> {"ops"}; `[...deletes, ...creates, update]` -> all three names."""
    argument = unwrap(argument)
    if argument.type == "identifier":
        return {text(argument)}
    if argument.type != "array":
        return set()
    names: set[str] = set()
    for element in argument.named_children:
        spread = element.type == "spread_element" and element.named_children
        value = unwrap(element.named_children[0] if spread else element)
        if value.type == "identifier":
            names.add(text(value))
    return names


def _transaction_names(source: SourceFile) -> dict[str, list[ts.Node]]:
    """Variables whose calls end up in a `$transaction([...])`, each with the functions
    (or the program) that make the call: passed directly (`$transaction(ops)`,
    `$transaction([...ops, x])`) or through arrays built from them
    (`const all = [...deletes, ...creates]; $transaction(all)`)."""
    scopes: dict[str, list[ts.Node]] = {}
    arrays: dict[str, ts.Node] | None = None
    for call in _transaction_calls(source):
        arguments = call_arguments(call)
        if not arguments:
            continue
        scope = _outermost_function(call) or source.root
        if arrays is None:
            arrays = {
                text(match["name"][0]): match["value"][0]
                for match in source.matches(_DECLARATORS)
                if unwrap(match["value"][0]).type == "array"
            }
        seen: set[str] = set()
        pending = list(_element_names(arguments[0]))
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            scopes.setdefault(name, []).append(scope)
            if name in arrays:
                pending.extend(_element_names(arrays[name]))
    return scopes


def _transaction_calls(source: SourceFile) -> list[ts.Node]:
    """`<x>.$transaction(...)` calls, in source order: found from the names spelling
    `$transaction` (`identifiers_named`), not by walking the tree."""
    if not prefilter.ENABLED:
        return source.nodes(_TRANSACTIONS, "call")
    calls: list[ts.Node] = []
    for name in identifiers_named(source, _TRANSACTION, types=("property_identifier",)):
        member = parent_of(name)
        if member is None or member.type != "member_expression":
            continue
        if name not in member.children_by_field_name("property"):
            continue
        call = parent_of(member)
        if (
            call is not None
            and call.type == "call_expression"
            and member in call.children_by_field_name("function")
        ):
            calls.append(call)
    return sorted(calls, key=lambda call: (call.start_byte, call.end_byte))


def _outermost_function(node: ts.Node) -> ts.Node | None:
    """The top-level function around `node`: variables collected in it and handed to
    `$transaction` in a callback of it (`withRetry(() => prisma.$transaction(ops))`)
    are still the same variables; another top-level function's `ops` is not."""
    found = None
    for ancestor in ancestors(node):
        if ancestor.type in FUNCTION_TYPES:
            found = ancestor
    return found


def _handed_over(name: str | None, node: ts.Node, batched: dict[str, list[ts.Node]]) -> bool:
    """`name` goes to a `$transaction` in a function that also holds `node`."""
    if name is None:
        return False
    return any(
        scope.start_byte <= node.start_byte and node.end_byte <= scope.end_byte
        for scope in batched.get(name, ())
    )


def _pushed_into(call: ts.Node) -> str | None:
    """`ops.push(prisma.user.update(...))`: the name of the array collecting the calls."""
    args = outer(call).parent
    if args is None or args.type != "arguments":
        return None
    push = args.parent
    if push is None or push.type != "call_expression" or callee_name(push) != "push":
        return None
    callee = unwrap(push.child_by_field_name("function") or push)
    receiver = callee.child_by_field_name("object")
    if receiver is None or unwrap(receiver).type != "identifier":
        return None
    return text(unwrap(receiver))


def _collected_name(node: ts.Node) -> str | None:
    """`const ops = xs.map(...)` / `ops = xs.map(...)`: the variable holding the result."""
    parent = node.parent
    if parent is None:
        return None
    if parent.type == "variable_declarator" and parent.child_by_field_name("value") == node:
        name = parent.child_by_field_name("name")
        return text(name) if name is not None and name.type == "identifier" else None
    if parent.type == "assignment_expression" and parent.child_by_field_name("right") == node:
        left = parent.child_by_field_name("left")
        return (
            text(unwrap(left)) if left is not None and unwrap(left).type == "identifier" else None
        )
    return None


def _mapped_into_transaction(iteration_call: ts.Node, batched: dict[str, list[ts.Node]]) -> bool:
    """`$transaction(xs.map(...))`, `$transaction([...xs.map(...)])`, or the result of the
    `.map(...)` stored in a variable that is then handed to `$transaction`."""
    node = outer(iteration_call)
    while node.parent is not None and node.parent.type in ("spread_element", "array"):
        node = outer(node.parent)
    parent = node.parent
    if parent is not None and parent.type == "arguments":
        call = parent.parent
        return call is not None and call.type == "call_expression" and is_transaction_call(call)
    return _handed_over(_collected_name(node), node, batched)


def _is_batched(call: ts.Node, iteration: Iteration, batched: dict[str, list[ts.Node]]) -> bool:
    """Prisma's batching form: the repeated calls are not awaited one by one but handed,
    as lazy PrismaPromises, to a single `$transaction([...])`."""
    if _handed_over(_pushed_into(call), call, batched):
        return True
    return iteration.kind == "callback" and _mapped_into_transaction(iteration.node, batched)


def check(source: SourceFile, ctx: RuleContext) -> None:
    clients = ctx.list_option("clients")
    # No client or no operation spelled in the bytes: no Prisma call (module docstring).
    if lacks_prisma_calls(source, clients):
        return
    batched: dict[str, list[ts.Node]] | None = None  # computed once, for the first call in a loop
    for found in prisma_calls(source, clients):
        iteration = iteration_context(found.call)
        if iteration is None:
            continue
        if batched is None:
            batched = _transaction_names(source)
        if _is_batched(found.call, iteration, batched):
            continue
        callee = prisma_callee(found.call) or found.call
        ctx.report(
            callee,
            query=_query_name(found),
            where=_where(iteration),
            count="N parallel queries" if iteration.in_promise_all else "N queries (N+1)",
            fix=_FIXES.get(found.operation, _RAW_FIX),
        )
