"""Recognising Prisma calls: `<client>.<model>.<op>(...)` and `<client>.$queryRaw...`."""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import NAME_BYTES
from nextaudit.analysis.syntax import parent_of, text, unwrap
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


OPERATIONS = MODEL_METHODS | RAW_METHODS
# What `prisma_callee` looks through between a call and its `<receiver>.<op>`.
_CALLEE_WRAPPERS = frozenset(
    {
        "parenthesized_expression",
        "as_expression",
        "non_null_expression",
        "satisfies_expression",
        "type_assertion",
        "instantiation_expression",
        "await_expression",
    }
)
# The callees a Prisma call may have as written: `<x>.<op>` itself, or what
# tree-sitter-typescript makes of explicit type arguments on these calls: `await
# prisma.user.findMany<T>(...)` becomes a call whose callee is `await
# prisma.user.findMany`, and the tagged template `prisma.$queryRaw<Row[]>`...`` a call
# whose callee is `prisma.$queryRaw<Row[]>` wrapped in a zero-width `!`. Both are
# common in Prisma code.
_CALLEE_TYPES = frozenset({"member_expression", "await_expression", "non_null_expression"})


@functools.cache
def operation_words(operations: frozenset[str] = OPERATIONS) -> tuple[bytes, ...]:
    """The fewest substrings that occur in every name of `operations` as written
    (`create` is in `createMany` too): a Prisma call of one of them spells one."""
    words: list[str] = []
    for name in sorted(operations, key=lambda name: (len(name), name)):
        if not any(word in name for word in words):
            words.append(name)
    return tuple(word.encode("utf-8") for word in words)


@functools.cache
def _encoded(names: tuple[str, ...]) -> tuple[bytes, ...]:
    """Names from options as the bytes a file spells them with (cached per options)."""
    return tuple(name.encode("utf-8", errors="surrogatepass") for name in names)


@functools.cache
def _spellings(
    operations: frozenset[str],
) -> tuple[tuple[bytes, tuple[tuple[int, bytes], ...]], ...]:
    """Each of `operation_words(operations)` with the operations it occurs in, as
    (where the word starts in the name, the name's bytes)."""
    return tuple(
        (
            word,
            tuple(
                (start, name)
                for name in sorted(name.encode("utf-8") for name in operations)
                for start in range(len(name) - len(word) + 1)
                if name.startswith(word, start)
            ),
        )
        for word in operation_words(operations)
    )


@functools.cache
def _memo_key(clients: tuple[str, ...], operations: frozenset[str]) -> str:
    return "prisma_calls\0" + "\0".join(clients) + "\0\0" + "\0".join(sorted(operations))


def lacks_prisma_calls(
    source: SourceFile,
    clients: Collection[str] = DEFAULT_CLIENTS,
    operations: frozenset[str] = OPERATIONS,
) -> bool:
    """Byte pre-filter: True when the file cannot hold a Prisma call of `operations`
    through `clients`. Such a call spells, as written, its operation (a property name)
    and its client (the last name of its receiver: an identifier or property name, or
    the callee of `getPrisma()`), and a name's text is its bytes, escapes included; so
    a file missing every client name or every operation has none. No client at all
    (an empty option) matches no call either."""
    words = operation_words(operations)
    names = _encoded(tuple(clients))
    if len(words) <= len(names):  # the shorter list of needles first
        return prefilter.lacks(source, *words) or prefilter.lacks(source, *names)
    return prefilter.lacks(source, *names) or prefilter.lacks(source, *words)


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
    source: SourceFile,
    clients: Collection[str] = DEFAULT_CLIENTS,
    operations: frozenset[str] = OPERATIONS,
) -> list[PrismaCall]:
    """Every Prisma call of the file (see `prisma_call`) whose operation is one of
    `operations`, in source order, including calls with explicit type arguments that
    the grammar misparses. Computed once per file for the same options (several rules
    ask); callers get their own list.

    Found from the bytes, not by walking the tree: the operation of a call is the text
    of a property name (its bytes), so each call is reached from a token that spells
    one (`operation_words`), up through the wrappers `prisma_callee` looks through.
    """
    names = tuple(clients)

    def find(source: SourceFile) -> list[PrismaCall]:
        return _find_prisma_calls(source, names, operations)

    return list(source.memo(_memo_key(names, operations), find))


def _find_prisma_calls(
    source: SourceFile, clients: tuple[str, ...], operations: frozenset[str]
) -> list[PrismaCall]:
    if not prefilter.ENABLED:
        return _query_prisma_calls(source, clients, operations)
    found: list[PrismaCall] = []
    for name in _operation_names(source, operations):
        callee = parent_of(name)
        if callee is None or callee.type != "member_expression":
            continue
        call = _call_of(callee)
        found_call = _member_call(call, callee, clients) if call is not None else None
        if found_call is not None:
            found.append(found_call)
    found.sort(key=lambda found_call: (found_call.call.start_byte, found_call.call.end_byte))
    return found


def _operation_names(source: SourceFile, operations: frozenset[str]) -> list[ts.Node]:
    """The property names spelling one of `operations`, in source order, looked up in
    the tree at each occurrence of their words (O(depth) each, in C): a query would
    walk every node of the file. An occurrence is only looked up where the bytes hold
    a whole name: the lexer takes the longest name it can, so a name is never followed
    by a byte that could continue it (`createdAt` is no `create`)."""
    content = source.content
    size = len(content)
    root = source.root
    found: dict[int, ts.Node] = {}
    for word, spellings in _spellings(operations):
        at = content.find(word)
        while at != -1:
            for offset, spelled in spellings:
                start = at - offset
                stop = start + len(spelled)
                if (
                    start >= 0
                    and content.startswith(spelled, start)
                    and (stop == size or content[stop] not in NAME_BYTES)
                ):
                    node = root.named_descendant_for_byte_range(start, stop)
                    if (
                        node is not None
                        and node.type == "property_identifier"
                        and node.start_byte == start
                        and node.end_byte == stop
                    ):
                        found[start] = node
            at = content.find(word, at + 1)
    return [found[start] for start in sorted(found)]


# With filters off, the calls are found as they were before `prisma_calls` read the
# bytes: every `<x>.<op>(...)` whose op is a Prisma method, and every call of an `await`
# or `!` expression (the misparsed generic forms above); `prisma_call` checks the rest.
# tests/test_prefilter.py runs the rules both ways and demands the same findings.
_CANDIDATES = (
    "(call_expression function: (member_expression property: (property_identifier) @op"
    " (#any-of? @op " + " ".join(f'"{m}"' for m in sorted(OPERATIONS)) + ")))"
    " @call\n"
    "(call_expression function: [(await_expression) (non_null_expression)]) @call"
)


def _query_prisma_calls(
    source: SourceFile, clients: tuple[str, ...], operations: frozenset[str]
) -> list[PrismaCall]:
    found: list[PrismaCall] = []
    for call in source.nodes(_CANDIDATES, "call"):
        callee = prisma_callee(call)
        found_call = _member_call(call, callee, clients) if callee is not None else None
        if found_call is not None and found_call.operation in operations:
            found.append(found_call)
    return found


def _call_of(callee: ts.Node) -> ts.Node | None:
    """The call whose `prisma_callee` is the member expression `callee`, if any, among
    the calls with a callee of `_CALLEE_TYPES`."""
    function = callee
    parent = parent_of(callee)
    while parent is not None and parent.type in _CALLEE_WRAPPERS:
        function, parent = parent, parent_of(parent)
    if (
        parent is None
        or parent.type != "call_expression"
        or function.type not in _CALLEE_TYPES
        or parent.child_by_field_name("function") != function
        or prisma_callee(parent) != callee
    ):
        return None
    return parent


def is_transaction_call(call: ts.Node) -> bool:
    """`<anything>.$transaction(...)`: Prisma's batch (array) or interactive transaction."""
    callee = prisma_callee(call)
    if callee is None:
        return False
    return text(callee.child_by_field_name("property")) == "$transaction"
