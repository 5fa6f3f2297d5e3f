"""Recognising Prisma calls: `<client>.<model>.<op>(...)` and `<client>.$queryRaw...`."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import tree_sitter as ts

from nextaudit.analysis.syntax import text, unwrap

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
