"""prisma-query-in-loop: a Prisma query repeated per element of a loop or array callback
(the N+1 pattern), unless the repeated calls are batched into one `$transaction([...])`.

Pre-filters: a Prisma call spells, as written, the name of its client (the last name of
its receiver, one of option `clients`) and of its operation, so a file whose bytes hold
no client name or no operation name has no Prisma call and is skipped unparsed. And a
call is only reported inside what `iteration_context` recognises: a loop statement,
whose keyword (`for`, `while`, `do`) is a token of its own, or a callback of an
iteration method (`.map`, `.forEach`, ...), whose name is the text of a property name,
its bytes. Either is a whole name as written (the lexer takes the longest name it can,
so no byte that could continue a name follows it) and is followed by more code (a
body, the callback), so a file whose bytes hold none of these words followed by a byte
that continues no name has no loop and no iteration callback, and is skipped unparsed.
(A byte outside ASCII or a backslash may continue an identifier, `for\u0061`: the
filter lets those through, which is only ever looser.)

The same words, looked up in the tree, give the loop bodies and iteration calls'
arguments of the file (`_repeated_spans`): only the Prisma calls in those are found
and placed (`prisma_calls_in`); the rest of the file is not searched.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Protocol, cast

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import identifiers_named
from nextaudit.analysis.flow import ITERATION_METHODS, LOOP_TYPES, Iteration, iteration_context
from nextaudit.analysis.prisma import (
    PrismaCall,
    client_name_bytes,
    is_transaction_call,
    prisma_call_clauses,
    prisma_callee,
    prisma_calls,
    prisma_calls_in,
)
from nextaudit.analysis.syntax import (
    FUNCTION_TYPES,
    WRAPPERS,
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

# The keyword each loop statement of `flow.LOOP_TYPES` starts with (`for...of`,
# `for...in` and `for await...of` are `for_in_statement`s; a test checks that every
# loop type has one).
_LOOP_KEYWORDS = {
    "for_statement": "for",
    "for_in_statement": "for",
    "while_statement": "while",
    "do_statement": "do",
}
# A loop keyword or an iteration method's name, then a byte that continues no name
# (`\x24` is `$`; written so, the pattern joins the prefilter's one-pass RE2 scan). A
# word at the very end of the file is followed by no body or callback, so it needs none.
_LOOP_WORDS = frozenset(word.encode("ascii") for word in _LOOP_KEYWORDS.values())
_ITERATION_WORDS = re.compile(
    rb"(?:"
    + b"|".join(
        re.escape(word.encode("ascii"))
        for word in sorted({*_LOOP_KEYWORDS.values(), *ITERATION_METHODS})
    )
    + rb")[^A-Za-z0-9_\x24]"
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
    arrays = _Arrays(source)
    for call in _transaction_calls(source):
        arguments = call_arguments(call)
        if not arguments:
            continue
        scope = _outermost_function(call) or source.root
        seen: set[str] = set()
        pending = list(_element_names(arguments[0]))
        while pending:
            name = pending.pop()
            if name in seen:
                continue
            seen.add(name)
            scopes.setdefault(name, []).append(scope)
            array = arrays.get(name)
            if array is not None:
                pending.extend(_element_names(array))
    return scopes


class _Arrays:
    """The array literal each name is declared with (`const all = [...a, ...b]`): the
    value of the last `variable_declarator` of that name whose value is an array, in
    source order (as a dict built from every declarator would keep it). Found from the
    name's occurrences in the bytes (`identifiers_named`), for the few names handed to
    `$transaction`, not by a query over every declarator of the file."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.found: dict[str, ts.Node | None] = {}
        self.all: dict[str, ts.Node] | None = None

    def get(self, name: str) -> ts.Node | None:
        if not prefilter.ENABLED:  # the query, as before (test_prefilter compares)
            if self.all is None:
                self.all = {
                    text(match["name"][0]): match["value"][0]
                    for match in self.source.matches(_DECLARATORS)
                    if unwrap(match["value"][0]).type == "array"
                }
            return self.all.get(name)
        if name not in self.found:
            self.found[name] = self._declared(name)
        return self.found[name]

    def _declared(self, name: str) -> ts.Node | None:
        array = None
        for node in identifiers_named(self.source, name):
            declarator = node.parent
            if declarator is None or declarator.type != "variable_declarator":
                continue
            value = declarator.child_by_field_name("value")
            if (
                value is not None
                and declarator.child_by_field_name("name") == node
                and unwrap(value).type == "array"
            ):
                array = value
        return array


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


@functools.cache
def _iteration_finder() -> _Finder:
    """`_ITERATION_WORDS` compiled by RE2 (bytes, not UTF-8), which reads it as `re` does."""
    import re2

    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    return cast(_Finder, re2.compile(_ITERATION_WORDS.pattern, options))


class _Finder(Protocol):
    def finditer(self, content: bytes, pos: int, endpos: int) -> Iterator[_Span]: ...


class _Span(Protocol):
    def span(self) -> tuple[int, int]: ...


def _repeated_spans(source: SourceFile, end: int | None = None) -> list[tuple[int, int]]:
    """Byte ranges that hold every node `iteration_context` can place in a loop or an
    iteration callback: the body of each loop statement, and what follows the callee
    of each call of an iteration method (its arguments), each found from its word in
    the bytes (`_ITERATION_WORDS`), looked up in the tree in C. A loop's keyword is a
    child of the loop statement; a method's name is the property of the member
    expression that the call's callee unwraps to (`flow._callback_call`).

    With `end`, only the words (and the byte after each) before byte `end`: the spans
    of the others start at or after it."""
    content = source.content
    root = source.root
    spans: list[tuple[int, int]] = []
    stop_at = len(content) if end is None else end
    for match in _iteration_finder().finditer(content, 0, stop_at):
        start, stop = match.span()
        stop -= 1  # the byte after the word
        word = content[start:stop]
        if word in _LOOP_WORDS:
            token = root.descendant_for_byte_range(start, stop)
            loop = token.parent if token is not None and token.start_byte == start else None
            if loop is not None and loop.type in LOOP_TYPES:
                body = loop.child_by_field_name("body")  # what `iteration_context` asks
                if body is not None:
                    spans.append((body.start_byte, body.end_byte))
            continue
        name = root.named_descendant_for_byte_range(start, stop)
        if name is None or name.start_byte != start or name.type != "property_identifier":
            continue
        member = name.parent
        if member is None or member.type != "member_expression":
            continue
        function = member
        call = member.parent
        while call is not None and call.type in WRAPPERS:  # what `unwrap` sees through
            function, call = call, call.parent
        if call is not None and call.type == "call_expression":
            spans.append((function.end_byte, call.end_byte))
    return spans


def spans_naming_a_client(
    content: bytes, spans: list[tuple[int, int]], clients: tuple[bytes, ...]
) -> list[tuple[int, int]]:
    """The spans of `_repeated_spans` whose bytes hold a client's name: only those can
    hold a Prisma call. Each span is the range of one node (a loop body, an argument
    list), so a call whose operation name lies in it lies in it whole (a node holding
    both the name and bytes outside the span would hold the whole span, which ends
    before the name). And a call's client, the last name of its receiver, is spelled
    in the call's bytes (a name's text is its bytes, escapes included). About 1 span
    in 40 holds one: the rest spare `prisma_calls_in` an RE2 search each (a few C-level
    `bytes.find`s instead; loops, not `any()` of a generator, which costs more than
    the searches)."""
    kept: list[tuple[int, int]] = []
    find = content.find
    for span in spans:
        start, stop = span
        for name in clients:
            if find(name, start, stop) != -1:
                kept.append(span)
                break
    return kept


def _end_of_last(content: bytes, names: tuple[bytes, ...]) -> int:
    """Where the last occurrence of any of `names` in `content` ends (0: none). A span
    that holds a name (`spans_naming_a_client`) starts before this, and so does the
    word it is found from: the words after it, about a third, need no search nor
    lookup."""
    end = 0
    for name in names:
        at = content.rfind(name)
        if at != -1 and at + len(name) > end:
            end = at + len(name)
    return end


def needs(options: Mapping[str, object]) -> prefilter.Needs:
    """A Prisma call through a client of the options, and a loop keyword or an
    iteration method's name (module docstring): the engine skips other files."""
    return _needs(tuple(str(name) for name in cast(list[object], options["clients"])))


@functools.lru_cache(maxsize=64)
def _needs(clients: tuple[str, ...]) -> prefilter.Needs:
    """Built once per option value: the check asks it of every file it is handed."""
    return prefilter.needs(*prisma_call_clauses(clients), prefilter.has_match(_ITERATION_WORDS))


def check(source: SourceFile, ctx: RuleContext) -> None:
    clients = ctx.list_option("clients")
    # No client or no operation spelled in the bytes: no Prisma call; no loop keyword
    # and no iteration method's name: nothing repeats (module docstring). Asked as the
    # engine asks it, from the file's one scan.
    if not _needs(tuple(clients)).met_by(source):
        return
    if prefilter.ENABLED:
        # Only the calls in loop bodies and iteration calls' arguments can repeat: the
        # rest of the file is neither searched nor climbed from (`_repeated_spans`).
        content = source.content
        names = client_name_bytes(clients)
        spans = spans_naming_a_client(
            content, _repeated_spans(source, _end_of_last(content, names)), names
        )
        calls = prisma_calls_in(source, spans, clients) if spans else []
    else:
        calls = prisma_calls(source, clients)
    batched: dict[str, list[ts.Node]] | None = None  # computed once, for the first call in a loop
    for found in calls:
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
