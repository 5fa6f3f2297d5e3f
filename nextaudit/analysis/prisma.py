"""Recognising Prisma calls: `<client>.<model>.<op>(...)` and `<client>.$queryRaw...`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import tree_sitter as ts

from nextaudit.analysis.syntax import text, unwrap
from nextaudit.source import SourceFile

MODEL_METHODS = frozenset(
    {
        "findUnique",
        "findUniqueOrThrow",
        "findFirst",
        "findFirstOrThrow",
        "findMany",
        "create",
        "createMany",
        "createManyAndReturn",
        "update",
        "updateMany",
        "upsert",
        "delete",
        "deleteMany",
        "count",
        "aggregate",
        "groupBy",
    }
)
RAW_METHODS = frozenset({"$queryRaw", "$executeRaw", "$queryRawUnsafe", "$executeRawUnsafe"})
DEFAULT_CLIENTS = ("prisma", "db", "tx")


@dataclass(frozen=True)
class PrismaCall:
    call: ts.Node
    client: str
    model: str  # "" for $queryRaw-style calls
    operation: str


def _last_name(node: ts.Node) -> str | None:
    node = unwrap(node)
    if node.type == "identifier":
        return text(node)
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return text(prop) if prop is not None else None
    if node.type == "call_expression":  # getPrisma().user.findMany()
        callee = node.child_by_field_name("function")
        return _last_name(callee) if callee is not None else None
    return None


def prisma_call(call: ts.Node, clients: Collection[str] = DEFAULT_CLIENTS) -> PrismaCall | None:
    """The Prisma call `call` is (a call or a tagged template), or None."""
    callee = call.child_by_field_name("function")
    if callee is None:
        return None
    callee = unwrap(callee)
    if callee.type != "member_expression":
        return None
    return _member_call(call, callee, clients)


def _member_call(call: ts.Node, callee: ts.Node, clients: Collection[str]) -> PrismaCall | None:
    """`call` through its member-expression callee `<receiver>.<op>`."""
    op_node = callee.child_by_field_name("property")
    receiver = callee.child_by_field_name("object")
    if op_node is None or receiver is None:
        return None
    operation = text(op_node)
    receiver = unwrap(receiver)
    if operation in RAW_METHODS:
        client = _last_name(receiver)
        if client is None or client not in clients:
            return None
        return PrismaCall(call, client, "", operation)
    if operation not in MODEL_METHODS or receiver.type != "member_expression":
        return None
    model_node = receiver.child_by_field_name("property")
    client_node = receiver.child_by_field_name("object")
    if model_node is None or client_node is None:
        return None
    client = _last_name(client_node)
    if client not in clients:
        return None
    return PrismaCall(call, client or "", text(model_node), operation)


# Every `<x>.<op>(...)` / `<x>.<op>`...`` whose op is a Prisma method: the query narrows
# the file's calls to a handful in C, `prisma_call` then checks the receiver. Its second
# pattern catches what tree-sitter-typescript makes of explicit type arguments on these
# calls: `await prisma.user.findMany<T>(...)` becomes a call whose callee is
# `await prisma.user.findMany`, and the tagged template `prisma.$queryRaw<Row[]>`...``
# a call whose callee is `prisma.$queryRaw<Row[]>` wrapped in a zero-width `!`. Both
# are common in Prisma code. One query, so the tree is walked once.
_CANDIDATES = (
    "(call_expression function: (member_expression property: (property_identifier) @op"
    " (#any-of? @op " + " ".join(f'"{m}"' for m in sorted(MODEL_METHODS | RAW_METHODS)) + ")))"
    " @call\n"
    "(call_expression function: [(await_expression) (non_null_expression)]) @call"
)


def prisma_callee(call: ts.Node) -> ts.Node | None:
    """The `<receiver>.<op>` member expression `call` invokes, also through the
    misparsed generic forms above (`await x.op<T>()`, `x.op<T>`...``)."""
    callee = call.child_by_field_name("function")
    if callee is None:
        return None
    callee = unwrap(callee)
    if callee.type == "instantiation_expression" and callee.named_children:
        callee = unwrap(callee.named_children[0])
    if callee.type == "await_expression" and callee.named_children:
        callee = unwrap(callee.named_children[-1])
    return callee if callee.type == "member_expression" else None


def prisma_calls(
    source: SourceFile, clients: Collection[str] = DEFAULT_CLIENTS
) -> list[PrismaCall]:
    """Every Prisma call of the file (see `prisma_call`), in source order, including
    calls with explicit type arguments that the grammar misparses."""
    found: list[PrismaCall] = []
    for call in source.nodes(_CANDIDATES, "call"):
        callee = prisma_callee(call)
        found_call = _member_call(call, callee, clients) if callee is not None else None
        if found_call is not None:
            found.append(found_call)
    return found


def is_transaction_call(call: ts.Node) -> bool:
    """`<anything>.$transaction(...)`: Prisma's batch (array) or interactive transaction."""
    callee = prisma_callee(call)
    if callee is None:
        return False
    return text(callee.child_by_field_name("property")) == "$transaction"
