"""validate-request-input: request bodies that never meet a validator, and request
bodies written straight into Prisma (mass assignment).

For each route handler the request parameter is followed (aliases, `req.clone()`,
same-file helpers it is passed to) to its body reads, `.json()` / `.formData()` /
`.text()`. Each read's value is then followed with `analysis.dataflow.trace` through
the handler: it is validated when the value, or anything derived from it, reaches an
argument of a validator call, or of a same-file function whose parameter does.
Separately, the read value as a whole (not a field of it) is followed to the `data`
of a Prisma write: that is flagged whether or not the body was validated.

Pre-filter: every finding starts at a body read, a member call whose property is
spelled `json`, `formData` or `text` (a whole word, as names are): a route file
without one of those words has nothing to report.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import identifiers_named, pattern_names
from nextaudit.analysis.dataflow import ValueFlow, called_function, parameter_bindings, trace
from nextaudit.analysis.flow import handlers
from nextaudit.analysis.imports import import_bindings
from nextaudit.analysis.prisma import PrismaCall, prisma_calls
from nextaudit.analysis.syntax import (
    FUNCTION_LITERAL_TYPES,
    call_arguments,
    function_parameters,
    member_chain,
    outer,
    parameter_pattern,
    parent_of,
    string_value,
    text,
    unwrap,
)
from nextaudit.context import RuleContext
from nextaudit.nextjs_roles import Role
from nextaudit.source import SourceFile

_LINE_BREAK = re.compile(r"\s*\n\s*")
READ_METHODS = frozenset({"json", "formData", "text"})
# A read's property name, as a whole word (`\b`: a name is never part of a longer one).
_READ_WORDS = re.compile(rb"\b(?:json|formData|text)\b")
# Prisma writes and the keys of their argument that take a whole record.
WRITE_KEYS: dict[str, tuple[str, ...]] = {
    "create": ("data",),
    "createMany": ("data",),
    "createManyAndReturn": ("data",),
    "update": ("data",),
    "updateMany": ("data",),
    "upsert": ("create", "update"),
}
REQUEST_NAMES = frozenset({"req", "request"})
# `req.json().catch(() => ({}))` is still the body; `req.clone()` still the request.
BODY_IDENTITY_METHODS = frozenset({"catch", "finally"})
REQUEST_IDENTITY_METHODS = frozenset({"clone"})
# How far same-file helpers are followed (handler -> helper -> helper -> helper).
MAX_DEPTH = 3
MASS_ASSIGNMENT = (
    "Request body passed straight into Prisma `{operation}` as `{key}` (mass assignment): "
    "validate it and pass only the fields the client may set"
)


@dataclass(frozen=True)
class CalleePattern:
    """One entry of a callee list: `name` (a plain function call `name(...)`),
    `*.name` (a method `name` on any receiver) or `a.b.name` (that exact member
    chain). Names are fnmatch globs (`validate*`), case-sensitive."""

    receiver: str | None
    name: str

    @classmethod
    def parse(cls, entry: str) -> CalleePattern:
        receiver, dot, name = entry.strip().rpartition(".")
        return cls(receiver if dot else None, name)

    def matches(self, call: ts.Node, imported: Callable[[str], str]) -> bool:
        """`imported(local)` is the name a local name was imported as (itself if it
        was not renamed); it is asked only when the local name does not match."""
        callee = call.child_by_field_name("function")
        return callee is not None and self.matches_callee(_Callee(unwrap(callee)), imported)

    def matches_callee(self, callee: _Callee, imported: Callable[[str], str]) -> bool:
        """`matches` for a call's callee, read once for every pattern of a list."""
        if callee.kind == "identifier":
            if self.receiver is not None:
                return False
            local = callee.name
            if fnmatchcase(local, self.name):
                return True
            return fnmatchcase(imported(local), self.name)  # `import { parse as p }`
        if callee.kind != "member_expression" or self.receiver is None:
            return False
        if not fnmatchcase(callee.name, self.name):
            return False
        if self.receiver == "*":
            return True
        chain = callee.receiver_chain
        return chain is not None and fnmatchcase(chain, self.receiver)


class _Callee:
    """What callee patterns ask of an (unwrapped) callee, each part read once."""

    def __init__(self, node: ts.Node) -> None:
        self.node = node
        self.kind = node.type

    @functools.cached_property
    def name(self) -> str:
        """The name of an identifier, the property of a member access."""
        if self.kind == "identifier":
            return text(self.node)
        return text(self.node.child_by_field_name("property"))

    @functools.cached_property
    def receiver_chain(self) -> str | None:
        receiver = self.node.child_by_field_name("object")
        chain = member_chain(receiver) if receiver is not None else None
        return ".".join(chain) if chain is not None else None


@dataclass(frozen=True)
class HelperBody:
    """What a same-file helper that receives the request hands back of its body:
    an unvalidated value, and/or the whole body object (validated or not)."""

    unvalidated: bool = False
    whole: bool = False


@dataclass(frozen=True)
class BodyRead:
    """A body read: `req.json()`, or a call of a helper that returns the body."""

    node: ts.Node
    whole: bool = True
    prevalidated: bool = False


def _request_bindings(function: ts.Node) -> list[ts.Node]:
    """The handler's request: its first parameter, or `req` / `request` destructured
    from it (`async ({ req, user }) => ...` under a wrapper)."""
    params = function_parameters(function)
    if not params:
        return []
    # Most handlers take a plain `(req: Request)`: its name is the whole answer (what
    # the general path below finds, without its generators).
    pattern = parameter_pattern(params[0])
    if pattern.type == "identifier":
        return [pattern]
    # `parameter_bindings(function, 0)`, from the parameters read once: the first one
    # that is not a TypeScript `this` parameter.
    first = next((p for p in params if parameter_pattern(p).type != "this"), None)
    bound = [node for _name, node in pattern_names(first)] if first is not None else []
    if pattern.type == "assignment_pattern":
        return bound
    return [node for node in bound if text(node) in REQUEST_NAMES]


def _body_read(expression: ts.Node) -> ts.Node | None:
    """The `X.json()` / `X.formData()` / `X.text()` call when `expression` is X."""
    member = parent_of(expression)
    if member is None or member.type != "member_expression":
        return None
    if member.child_by_field_name("object") != expression:
        return None
    if text(member.child_by_field_name("property")) not in READ_METHODS:
        return None
    call = parent_of(member)
    if call is None or call.type != "call_expression":
        return None
    return call if call.child_by_field_name("function") == member else None


_FUNCTION_DECLARATIONS = frozenset({"function_declaration", "generator_function_declaration"})


def _names_function(identifier: ts.Node) -> bool:
    """`identifier` is the name of a function declaration, or of a variable declared
    with a function literal (`const f = async (x) => ...`)."""
    parent = parent_of(identifier)
    if parent is None or parent.child_by_field_name("name") != identifier:
        return False
    if parent.type in _FUNCTION_DECLARATIONS:
        return True
    if parent.type != "variable_declarator":
        return False
    value = parent.child_by_field_name("value")
    return value is not None and unwrap(value).type in FUNCTION_LITERAL_TYPES


def _key_name(pair: ts.Node) -> str | None:
    key = pair.child_by_field_name("key")
    if key is None:
        return None
    if key.type == "property_identifier":
        return text(key)
    return string_value(key)


_Matcher = Callable[[str], "re.Match[str] | None"]


def _glob_matcher(globs: list[str]) -> _Matcher | None:
    """One regex that matches a name when `fnmatchcase(name, glob)` holds for any of
    `globs` (None for no globs): each `translate`d glob is anchored (`\\Z`) and uses
    group names of its own, so their alternation is what `any(fnmatchcase(...))` is."""
    if not globs:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(glob)})" for glob in globs)).match


class CalleeList:
    """An option's callee patterns, compiled: `matches(callee, imported)` is
    `any(p.matches_callee(callee, imported) for p in patterns)`, with the names of all
    the patterns of a kind tried by one regex instead of one `fnmatchcase` each (a
    validator list has ten patterns, and every call a body value reaches asks it)."""

    def __init__(self, patterns: tuple[CalleePattern, ...]) -> None:
        self.patterns = patterns
        self.plain = _glob_matcher([p.name for p in patterns if p.receiver is None])
        self.any_receiver = _glob_matcher([p.name for p in patterns if p.receiver == "*"])
        chained = [p for p in patterns if p.receiver is not None and p.receiver != "*"]
        self.chained_names = _glob_matcher([p.name for p in chained])
        self.chained = tuple(
            (
                re.compile(fnmatch.translate(p.receiver or "")).match,
                re.compile(fnmatch.translate(p.name)).match,
            )
            for p in chained
        )

    def matches(self, callee: _Callee, imported: Callable[[str], str]) -> bool:
        kind = callee.kind
        if kind == "identifier":
            plain = self.plain
            if plain is None:
                return False
            local = callee.name
            # `imported` is asked only when the local name matches no pattern.
            return plain(local) is not None or plain(imported(local)) is not None
        if kind != "member_expression":
            return False
        if self.any_receiver is None and self.chained_names is None:
            return False
        name = callee.name
        if self.any_receiver is not None and self.any_receiver(name) is not None:
            return True
        if self.chained_names is None or self.chained_names(name) is None:
            return False
        chain = callee.receiver_chain
        return chain is not None and any(
            receiver(chain) is not None and method(name) is not None
            for receiver, method in self.chained
        )


@functools.lru_cache(maxsize=64)
def _callee_patterns(entries: tuple[str, ...]) -> CalleeList:
    """An option's callee patterns, parsed and compiled once per distinct list."""
    return CalleeList(tuple(CalleePattern.parse(entry) for entry in entries))


def _validator_lists(ctx: RuleContext) -> tuple[CalleeList, CalleeList]:
    """(validators, non-validators) of the rule's options (`ctx.derived` keeps them:
    they are not read and converted again for each file)."""
    return (
        _callee_patterns(tuple(ctx.list_option("validators"))),
        _callee_patterns(tuple(ctx.list_option("non-validators"))),
    )


class _Analysis:
    def __init__(self, source: SourceFile, ctx: RuleContext) -> None:
        self.source = source
        self.ctx = ctx
        self.validators, self.non_validators = ctx.derived(_validator_lists)
        self.scopes: dict[tuple[int, str], ts.Node | None] = {}
        self.function_names: dict[str, bool] = {}
        self.validating_params: dict[tuple[ts.Node, int], bool] = {}
        self.helpers: dict[tuple[ts.Node, int], HelperBody] = {}
        self.mass_helpers: set[tuple[ts.Node, int]] = set()
        self.unvalidated: dict[ts.Node, None] = {}
        self.mass: dict[ts.Node, tuple[str, str]] = {}

    # What follows is asked of few files (those whose body reaches a call or a write):
    # each is computed on first use.
    @functools.cached_property
    def writes(self) -> dict[ts.Node, PrismaCall]:
        """Prisma writes by call node (prisma_calls also sees `create<T>(...)`)."""
        return {
            found.call: found
            for found in prisma_calls(self.source, self.ctx.list_option("clients"))
            if found.operation in WRITE_KEYS
        }

    @functools.cached_property
    def imported(self) -> dict[str, str]:
        return {
            b.local: b.imported
            for b in import_bindings(self.source)
            if b.imported not in ("*", "default")
        }

    def imported_name(self, local: str) -> str:
        # The imports are read on the first plain call whose own name matches no
        # pattern: most body values only reach methods (`schema.parse(body)`).
        return self.imported.get(local, local)

    def declares_function(self, name: str) -> bool:
        """This file binds `name` to a function somewhere (at any depth)."""
        found = self.function_names.get(name)
        if found is None:
            found = any(_names_function(n) for n in identifiers_named(self.source, name))
            self.function_names[name] = found
        return found

    def local_function(self, call: ts.Node) -> ts.Node | None:
        """The same-file function a plain `f(...)` call invokes (see `called_function`);
        names the file never declares as a function are answered without climbing."""
        if call.type != "call_expression":
            return None
        callee = call.child_by_field_name("function")
        if callee is None:
            return None
        callee = unwrap(callee)
        # `called_function` follows plain names only.
        if callee.type != "identifier" or not self.declares_function(text(callee)):
            return None
        return called_function(call, self.scopes)

    # --- validators ---------------------------------------------------------------
    def is_validator(self, call: ts.Node) -> bool:
        function = call.child_by_field_name("function")
        if function is None:
            return False
        callee = _Callee(unwrap(function))
        imported = self.imported_name
        if self.non_validators.matches(callee, imported):
            return False
        return self.validators.matches(callee, imported)

    def validates(self, call: ts.Node, index: int, depth: int = 0) -> bool:
        """A validator call, or a same-file function whose `index`-th parameter flows
        into one (`const input = parseInput(body)`)."""
        if call.type != "call_expression":
            return False
        if self.is_validator(call):
            return True
        target = self.local_function(call)
        if target is None or depth >= MAX_DEPTH:
            return False
        key = (target, index)
        if key not in self.validating_params:
            self.validating_params[key] = False  # cycle guard while it is computed
            flow = trace(
                self.source,
                target,
                bindings=parameter_bindings(target, index),
                stop_at=lambda c, i: self.validates(c, i, depth + 1),
            )
            self.validating_params[key] = bool(flow.stopped)
        return self.validating_params[key]

    # --- requests and body reads --------------------------------------------------
    def inspect(self, function: ts.Node, request: list[ts.Node], depth: int) -> HelperBody:
        """Check every body read of `request` in `function`; say what it returns."""
        requests = trace(
            self.source,
            function,
            bindings=request,
            whole=True,
            identity_methods=REQUEST_IDENTITY_METHODS,
        )
        reads: list[BodyRead] = []
        for expression in requests.expressions:
            call = _body_read(expression)
            if call is not None:
                reads.append(BodyRead(call))
        for call, index in requests.arguments:
            helper = self.helper(call, index, depth)
            if helper.unvalidated or helper.whole:
                reads.append(BodyRead(call, helper.whole, prevalidated=not helper.unvalidated))
        returned = HelperBody()
        for body_read in sorted(reads, key=lambda r: r.node.start_byte):
            outcome = self.check_read(function, body_read, depth)
            returned = HelperBody(
                returned.unvalidated or outcome.unvalidated, returned.whole or outcome.whole
            )
        return returned

    def helper(self, call: ts.Node, index: int, depth: int) -> HelperBody:
        """A same-file function the request is passed to, e.g. `readBody(req)`."""
        target = self.local_function(call)
        if target is None or depth >= MAX_DEPTH:
            return HelperBody()
        key = (target, index)
        if key not in self.helpers:
            self.helpers[key] = HelperBody()  # cycle guard
            bindings = parameter_bindings(target, index)
            self.helpers[key] = self.inspect(target, bindings, depth + 1)
        return self.helpers[key]

    def check_read(self, function: ts.Node, read: BodyRead, depth: int) -> HelperBody:
        derived = trace(
            self.source,
            function,
            expressions=[read.node],
            stop_at=self.validates,
        )
        returned_unvalidated = False
        if not read.prevalidated and not derived.stopped:
            own = [r for r in derived.returns if r.function == function and not r.through_call]
            if depth > 0 and own:
                returned_unvalidated = True  # the caller's call is the read to judge
            elif derived.used:
                self.unvalidated[read.node] = None
        returned_whole = False
        if read.whole:
            whole = trace(
                self.source,
                function,
                expressions=[read.node],
                whole=True,
                identity_methods=BODY_IDENTITY_METHODS,
            )
            self.find_mass_assignment(whole, depth)
            returned_whole = depth > 0 and any(r.function == function for r in whole.returns)
        return HelperBody(returned_unvalidated, returned_whole)

    # --- mass assignment ----------------------------------------------------------
    def find_mass_assignment(self, whole: ValueFlow, depth: int) -> None:
        for expression in whole.expressions:
            found = self.write_value(expression)
            if found is not None:
                node, operation, key = found
                self.mass[node] = (operation, key)
        for call, index in whole.arguments:
            target = self.local_function(call)
            if target is None or depth >= MAX_DEPTH or (target, index) in self.mass_helpers:
                continue
            self.mass_helpers.add((target, index))
            flow = trace(
                self.source,
                target,
                bindings=parameter_bindings(target, index),
                whole=True,
                identity_methods=BODY_IDENTITY_METHODS,
            )
            self.find_mass_assignment(flow, depth + 1)

    def write_value(self, expression: ts.Node) -> tuple[ts.Node, str, str] | None:
        """(node to report, operation, key) when the whole body `expression` is a Prisma
        write's record: `data: body`, `data: { ...body }`, `{ data }`."""
        parent = parent_of(expression)
        if parent is None:
            return None
        if expression.type == "shorthand_property_identifier":
            operation = self.write_operation(parent, text(expression))
            return (expression, operation, text(expression)) if operation else None
        value = expression
        if parent.type == "spread_element":
            container = parent_of(parent)
            if container is None or container.type not in ("object", "array"):
                return None
            value = outer(container)
        pair = parent_of(value)
        if pair is None or pair.type != "pair" or pair.child_by_field_name("value") != value:
            return None
        key = _key_name(pair)
        record = parent_of(pair)
        operation = self.write_operation(record, key) if key and record is not None else None
        return (value, operation, key or "") if operation else None

    def write_operation(self, record: ts.Node, key: str) -> str | None:
        """The Prisma write whose first argument is the object `record` and takes a
        record under `key`, or None."""
        if record.type != "object":
            return None
        argument = outer(record)
        arguments = parent_of(argument)
        call = parent_of(arguments) if arguments is not None else None
        if arguments is None or arguments.type != "arguments" or call is None:
            return None
        if call.type != "call_expression" or call_arguments(call)[:1] != [argument]:
            return None
        found = self.writes.get(call)
        if found is None or key not in WRITE_KEYS.get(found.operation, ()):
            return None
        return found.operation


def _mentions(source: SourceFile, function: ts.Node, bindings: list[ts.Node]) -> bool:
    """Whether a name of `bindings` may be referred to in `function`: its bytes (as
    `names_in_scope` searches them) are there other than at the binding itself. When
    not, a trace of `bindings` through `function` finds no reference: nothing flows.
    (Many handlers never use the request they take.)"""
    content = source.content
    start, end = function.start_byte, function.end_byte
    for node in bindings:
        needle = text(node).encode("utf-8")
        if not needle:
            return True
        at = content.find(needle, start, end)
        if at != node.start_byte or content.find(needle, at + 1, end) != -1:
            return True
    return False


def _inside(node: ts.Node, container: ts.Node) -> bool:
    return container.start_byte <= node.start_byte and node.end_byte <= container.end_byte


# A route file whose bytes spell a way to read the request: the engine skips the check
# on other files.
NEEDS = prefilter.needs(prefilter.has_match(_READ_WORDS), roles=[Role.ROUTE])


def check(source: SourceFile, ctx: RuleContext) -> None:
    if not NEEDS.met_by(source):  # for callers other than the engine
        return
    route_handlers = handlers(source)
    if not route_handlers:
        return
    analysis: _Analysis | None = None
    for handler in route_handlers:
        function = handler.function
        if function is None:
            continue
        request = _request_bindings(function)
        if not _mentions(source, function, request):
            continue  # its trace would find nothing: no read, no call it is passed to
        if analysis is None:
            analysis = _Analysis(source, ctx)
        analysis.inspect(function, request, 0)
    if analysis is None:
        return
    for node, (operation, key) in sorted(analysis.mass.items(), key=lambda i: i[0].start_byte):
        ctx.report(node, message=MASS_ASSIGNMENT.format(operation=operation, key=key))
    for read in sorted(analysis.unvalidated, key=lambda n: n.start_byte):
        # `data: await req.json()` is one problem, reported once as mass assignment.
        if not any(_inside(read, node) for node in analysis.mass):
            ctx.report(read, read=_short(source.node_text(read)))


def _short(code: str) -> str:
    """The read as one short line: `req\n  .clone()\n  .json()` -> `req.clone().json()`."""
    single = " ".join(_LINE_BREAK.sub("", code).split())
    return single if len(single) <= 60 else single[:57] + "..."
