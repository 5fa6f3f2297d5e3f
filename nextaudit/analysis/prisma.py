"""Recognising Prisma calls: `<client>.<model>.<op>(...)` and `<client>.$queryRaw...`."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Protocol, cast

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import NAME_BYTES
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


def client_name_bytes(clients: Collection[str]) -> tuple[bytes, ...]:
    """The names of `clients` as the bytes a file spells them with: a Prisma call
    through one of them holds its name's bytes (see `lacks_prisma_calls`)."""
    return _encoded(tuple(clients))


class _Finder(Protocol):
    """What `_names_finder` compiles to (RE2 has no type stubs)."""

    def finditer(self, content: bytes, pos: int, endpos: int) -> Iterator[_Span]: ...


class _Span(Protocol):
    def span(self) -> tuple[int, int]: ...


@functools.cache
def _names_finder(operations: frozenset[str]) -> _Finder:
    """The names of `operations` as written, each where the bytes hold it whole: the
    longest first at each place, and not before a letter, digit or `_` (`createdAt`
    is no `create`). RE2 finds them in one pass at DFA speed. A `$` after a name is
    a word boundary to it though it continues the name: such a place is only looked
    up in the tree for nothing (see `_names_in`)."""
    import re2

    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1  # bytes, not UTF-8
    names = sorted((name.encode("utf-8") for name in operations), key=lambda n: (-len(n), n))
    alternatives = b"|".join(re.escape(name) for name in names)
    return cast(_Finder, re2.compile(b"(?:" + alternatives + rb")\b", options))


def _name_spans(
    operations: frozenset[str], content: bytes, start: int, stop: int
) -> list[tuple[int, int]]:
    """Where, between bytes `start` and `stop`, the bytes hold one of `operations`
    whole (`_names_finder`). One name (`findMany`) is found faster by `bytes.find`,
    which skips ahead in C, than through RE2's per-match Python wrapper."""
    if len(operations) != 1:
        return [match.span() for match in _names_finder(operations).finditer(content, start, stop)]
    name = _encoded(tuple(operations))[0]
    spans: list[tuple[int, int]] = []
    at = content.find(name, start, stop)
    while at != -1:
        end = at + len(name)
        if end == len(content) or content[end] not in NAME_BYTES:
            spans.append((at, end))
        at = content.find(name, end, stop)
    return spans


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
    if not names:  # said here, not left to how `lacks` reads an empty list of needles
        return prefilter.ENABLED
    if len(words) <= len(names):  # the shorter list of needles first
        return prefilter.lacks(source, *words) or prefilter.lacks(source, *names)
    return prefilter.lacks(source, *names) or prefilter.lacks(source, *words)


def prisma_call_clauses(
    clients: Collection[str] = DEFAULT_CLIENTS,
    operations: frozenset[str] = OPERATIONS,
) -> tuple[prefilter.Clause, ...]:
    """`lacks_prisma_calls` as `prefilter.needs` clauses: a client's name and an
    operation's word in the bytes (no client at all: a clause nothing meets)."""
    names = _encoded(tuple(clients))
    if not names:
        return ((),)
    return (prefilter.has(*operation_words(operations)), prefilter.has(*names))


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


def prisma_calls_in(
    source: SourceFile,
    spans: Collection[tuple[int, int]],
    clients: Collection[str] = DEFAULT_CLIENTS,
    operations: frozenset[str] = OPERATIONS,
) -> list[PrismaCall]:
    """The calls of `prisma_calls` whose operation name lies in one of `spans` (byte
    ranges, start inclusive, end exclusive), in source order: for a rule that only
    asks about calls in a few places, the bytes of the rest of the file are not
    searched (and not memoised: other rules ask for the whole file)."""
    names = tuple(clients)
    if not prefilter.ENABLED:
        return [
            found
            for found in prisma_calls(source, names, operations)
            if any(start <= _operation_start(found) < stop for start, stop in spans)
        ]
    merged: list[list[int]] = []  # overlapping spans as one: each name found once, whole
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    found: list[PrismaCall] = []
    for start, stop in merged:
        found += _calls_named(_operation_names(source, operations, start, stop), names)
    found.sort(key=lambda found_call: (found_call.call.start_byte, found_call.call.end_byte))
    return found


def _operation_start(found: PrismaCall) -> int:
    callee = prisma_callee(found.call)
    operation = callee.child_by_field_name("property") if callee is not None else None
    return operation.start_byte if operation is not None else found.call.start_byte


def _find_prisma_calls(
    source: SourceFile, clients: tuple[str, ...], operations: frozenset[str]
) -> list[PrismaCall]:
    if not prefilter.ENABLED:
        return _query_prisma_calls(source, clients, operations)
    found = _calls_named(_operation_names(source, operations), clients)
    found.sort(key=lambda found_call: (found_call.call.start_byte, found_call.call.end_byte))
    return found


def prisma_calls_where(
    source: SourceFile,
    keep: Callable[[ts.Node], bool],
    clients: Collection[str] = DEFAULT_CLIENTS,
    operations: frozenset[str] = OPERATIONS,
) -> list[PrismaCall]:
    """The calls of `prisma_calls` whose call node `keep` accepts, in source order.
    `keep` is asked before the receiver is read for a client and a model: a rule that
    reports few calls (a `findMany` without `take`) spares that reading for the rest.
    Not memoised (`keep` is the caller's)."""
    names = tuple(clients)
    if not prefilter.ENABLED:
        return [found for found in prisma_calls(source, names, operations) if keep(found.call)]
    found = _calls_named(_operation_names(source, operations), names, keep)
    found.sort(key=lambda found_call: (found_call.call.start_byte, found_call.call.end_byte))
    return found


def _calls_named(
    operation_names: list[ts.Node],
    clients: Collection[str],
    keep: Callable[[ts.Node], bool] | None = None,
) -> list[PrismaCall]:
    """The Prisma calls whose operation is one of `operation_names` (property names).
    Two or three steps up from each: `.parent` in C, not `parent_of`, whose first
    climb from a node records the whole path from the root (worth it only for
    callers that climb on; `iteration_context` records its own)."""
    found: list[PrismaCall] = []
    for name in operation_names:
        callee = name.parent
        if callee is None or callee.type != "member_expression":
            continue
        call = callee.parent
        # Most calls are `<x>.<op>(...)` itself: `_call_of`'s answer, without its checks
        # (`prisma_callee` of such a call is its callee).
        if (
            call is None
            or call.type != "call_expression"
            or call.child_by_field_name("function") != callee
        ):
            call = _call_of(callee)
        if call is None or (keep is not None and not keep(call)):
            continue
        found_call = _member_call(call, callee, clients)
        if found_call is not None:
            found.append(found_call)
    return found


def _operation_names(
    source: SourceFile, operations: frozenset[str], start: int = 0, stop: int | None = None
) -> list[ts.Node]:
    """The property names spelling one of `operations` between bytes `start` and
    `stop`, in source order, looked up in the tree at each place the bytes hold one
    whole (O(depth) each, in C): a query would walk every node of the file. A name is
    a token, so its node starts and ends exactly there; the lexer takes the longest
    name it can, so a name is never followed by a byte that could continue it."""
    content = source.content
    root = source.root
    found: list[ts.Node] = []
    end = len(content) if stop is None else stop
    for first, last in _name_spans(operations, content, start, end):
        node = root.named_descendant_for_byte_range(first, last)
        if (
            node is not None
            and node.start_byte == first
            and node.end_byte == last
            and node.type == "property_identifier"
        ):
            found.append(node)
    return found


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
    parent = callee.parent
    while parent is not None and parent.type in _CALLEE_WRAPPERS:
        function, parent = parent, parent.parent
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
