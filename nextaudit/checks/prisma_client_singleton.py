"""prisma-client-singleton: `new PrismaClient()` that is not a process-wide singleton.

At module level the module must cache the client on `globalThis`/`global` (the
standard Next.js pattern), else every hot reload opens another pool. Inside a function
the new client must be stored where the next call finds it: on a `globalThis`/`global`
member, in a module-level variable (or a member of one, or `this.x` in a static method),
directly or through a local variable or a same-file factory whose call is stored so.

Pre-filter: every form this rule knows (`new PrismaClient`, `new X.PrismaClient`, an
import or require renaming it) spells the name `PrismaClient`, so a file whose bytes do
not is skipped unparsed, unless an escape could spell it in an imported name
(`import { "Prisma\\u0043lient" as PC }`, or `"Prisma\\Client"`: a backslash before a
letter that starts no escape sequence just drops out).

What the rule asks of a file (the `new` of a constructor name, the aliases of the
global object, the calls of a name, the global members a client is stored in or
falls back on) all spell a name it knows, so it is found at those names' bytes
(`_NamedFacts`), not by a query over every node of the file.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import declared_in_statements, identifiers_named, is_shadowed
from nextaudit.analysis.imports import import_bindings
from nextaudit.analysis.scopes import is_iife, runtime_function
from nextaudit.analysis.syntax import (
    FUNCTION_TYPES,
    ancestors,
    call_arguments,
    function_body,
    outer,
    text,
    unwrap,
)
from nextaudit.context import RuleContext
from nextaudit.source import SourceFile

CONSTRUCTOR = "PrismaClient"
_CONSTRUCTOR_BYTES = CONSTRUCTOR.encode("utf-8")
GLOBAL_OBJECTS = frozenset({"globalThis", "global"})
# How many factory hops (`create()` returning the client, called from `get()`, ...)
# are followed before giving up; real singletons use one, rarely two.
MAX_DEPTH = 4

# What the rule asks of a file, as one query (one walk, and one compilation instead of
# six: compiling a pattern costs milliseconds, a good part of a run that has only a few
# files to look at): `new X()`, `const x = value`, `f()`, `x = value` (also `x ??= value`),
# `a ?? b` / `a || b` and `c ? a : b`. Each match is told apart by its capture names, or
# for the last two by its node type.
_FACTS = """
(new_expression constructor: (_) @ctor) @new
(variable_declarator name: (identifier) @name value: (_) @value) @decl
(call_expression function: (identifier) @fn) @call
[(assignment_expression left: (_) @left right: (_) @right)
 (augmented_assignment_expression left: (_) @left right: (_) @right)] @assign
(binary_expression left: (_) @left operator: ["??" "||"] right: (_) @right) @either
(ternary_expression consequence: (_) @left alternative: (_) @right) @either
"""
_ASSIGNMENT_TYPES = ("assignment_expression", "augmented_assignment_expression")
_IDENTIFIER_TYPE = frozenset({"identifier"})
_CONSTRUCTOR_TYPES = frozenset({"identifier", "property_identifier"})
_MODULE_LEVEL = (
    "at module level is not cached on `globalThis`, so every hot reload opens another"
    " connection pool"
)
_PER_CALL = "inside a function opens another connection pool on every call"


Match = dict[str, list[ts.Node]]


@dataclass
class _Facts:
    """The matches of `_FACTS` in one file, by pattern, each list in the order the
    pattern's own query would give (calls in source order)."""

    news: list[Match] = field(default_factory=list)
    declarators: list[Match] = field(default_factory=list)
    calls: list[ts.Node] = field(default_factory=list)
    assignments: list[Match] = field(default_factory=list)
    fallbacks: list[Match] = field(default_factory=list)
    ternaries: list[Match] = field(default_factory=list)

    @classmethod
    def of(cls, source: SourceFile) -> _Facts:
        facts = cls()
        for match in source.matches(_FACTS):
            if "new" in match:
                facts.news.append(match)
            elif "decl" in match:
                facts.declarators.append(match)
            elif "call" in match:
                facts.calls.append(match["call"][0])
            elif "assign" in match:
                facts.assignments.append(match)
            elif match["either"][0].type == "binary_expression":
                facts.fallbacks.append(match)
            else:
                facts.ternaries.append(match)
        facts.calls.sort(key=lambda call: (call.start_byte, call.end_byte))
        return facts

    def calls_named(self, source: SourceFile, name: str) -> list[ts.Node]:
        """The calls `name(...)` of the file, in source order."""
        return [call for call in self.calls if _callee_text(call) == name]


class _NamedFacts(_Facts):
    """What the rule asks of `_FACTS`, found from the names' bytes instead of by a
    query over every node (and without compiling it, ~20 ms per grammar and process):
    a `new` of a constructor name, a declarator holding `globalThis`/`global`, a call
    of a name, and a global member as a side of an assignment, a `??`/`||` or a
    ternary all spell a name the rule knows. Each name's nodes are looked up where
    its bytes are (`identifiers_named`) and the query's shape is checked from there
    up. The query still runs with the filters off (test_prefilter compares)."""

    def calls_named(self, source: SourceFile, name: str) -> list[ts.Node]:
        calls = []
        for identifier in identifiers_named(source, name):
            call = identifier.parent
            if (
                call is not None
                and call.type == "call_expression"
                and call.child_by_field_name("function") == identifier
            ):
                calls.append(call)
        return calls


def _unwrapped_to(node: ts.Node) -> ts.Node:
    """The outermost wrapper (`outer`) that `unwrap` takes back down to `node`."""
    wrapper = outer(node)
    return wrapper if unwrap(wrapper) == node else node


def _named_news(source: SourceFile, names: frozenset[str]) -> list[Match]:
    """The `new` expressions whose constructor `_is_client_constructor` accepts: an
    identifier in `names`, or a member expression whose property is `PrismaClient`."""
    found: dict[int, Match] = {}
    for name in names:
        types = _CONSTRUCTOR_TYPES if name == CONSTRUCTOR else _IDENTIFIER_TYPE
        for named in identifiers_named(source, name, types=types):
            node = named
            if named.type == "property_identifier":  # `new Prisma.PrismaClient()`
                member = named.parent
                if member is None or member.type != "member_expression":
                    continue
                node = member
            constructor = _unwrapped_to(node)
            new = constructor.parent
            if (
                new is not None
                and new.type == "new_expression"
                and new.child_by_field_name("constructor") == constructor
            ):
                found[new.start_byte] = {"new": [new], "ctor": [constructor]}
    return [found[start] for start in sorted(found)]


def _named_global_aliases(source: SourceFile) -> frozenset[str]:
    """`_global_aliases`, from the declarators whose value is a global object's name."""
    names = set(GLOBAL_OBJECTS)
    for global_name in GLOBAL_OBJECTS:
        for identifier in identifiers_named(source, global_name):
            value = _unwrapped_to(identifier)
            declarator = value.parent
            if declarator is None or declarator.type != "variable_declarator":
                continue
            name = declarator.child_by_field_name("name")
            if (
                name is not None
                and name.type == "identifier"
                and declarator.child_by_field_name("value") == value
                and runtime_function(declarator) is None
            ):
                names.add(text(name))
    return frozenset(names)


def _global_member_sides(
    source: SourceFile, globals_: frozenset[str]
) -> Iterator[tuple[ts.Node, ts.Node]]:
    """(a global member, the other side) for each assignment to a global member and
    each `??`/`||` or ternary with one as a side: what `find_cache` looks for among
    the query's matches, found by climbing from each global name's identifiers
    through the member and subscript expressions it is the root of."""
    for global_name in sorted(globals_):
        for identifier in identifiers_named(source, global_name):
            node = identifier
            while True:
                wrapper = _unwrapped_to(node)
                member = wrapper.parent
                if (
                    member is None
                    or member.type not in ("member_expression", "subscript_expression")
                    or member.child_by_field_name("object") != wrapper
                ):
                    break
                node = member
                side = _unwrapped_to(member)
                parent = side.parent
                if parent is None:
                    continue
                kind = parent.type
                if kind in _ASSIGNMENT_TYPES:
                    right = parent.child_by_field_name("right")
                    if parent.child_by_field_name("left") == side and right is not None:
                        yield side, right
                elif kind == "binary_expression" and _operator(parent) in ("??", "||"):
                    yield from _sides(parent, side, "left", "right")
                elif kind == "ternary_expression":
                    yield from _sides(parent, side, "consequence", "alternative")


def _sides(
    parent: ts.Node, side: ts.Node, first: str, second: str
) -> Iterator[tuple[ts.Node, ts.Node]]:
    """(`side`, the other one) when `side` is one of the two fields (both present)."""
    one = parent.child_by_field_name(first)
    other = parent.child_by_field_name(second)
    if one is not None and other is not None and side in (one, other):
        yield side, other if side == one else one


@dataclass
class _Module:
    """What one file says about its Prisma clients."""

    source: SourceFile
    facts: _Facts
    globals: frozenset[str]
    news: list[ts.Node]
    client_names: set[str] = field(default_factory=set)
    caches: bool = False

    # --- where values go -------------------------------------------------------------
    def is_global_member(self, node: ts.Node) -> bool:
        """`globalThis.prisma`, `(global as any).prisma`, `globalForPrisma["db"]`."""
        root, steps = _member_root(node)
        return steps > 0 and root.type == "identifier" and text(root) in self.globals

    def climb(self, node: ts.Node) -> tuple[ts.Node, bool]:
        """The outermost expression that still is `node`'s value (through parentheses,
        casts, `await`, `.$extends(...)`, `??`/`||` and ternary branches), and whether
        one of those falls back to a `globalThis`/`global` member (`g.prisma ?? value`)."""
        current = node
        falls_back = False
        while True:
            current = outer(current)
            parent = current.parent
            if parent is None:
                break
            if parent.type == "binary_expression" and _operator(parent) in ("??", "||"):
                falls_back |= self.is_global_member(_other_side(parent, current, "left", "right"))
            elif parent.type == "ternary_expression":
                if parent.child_by_field_name("condition") == current:
                    break
                branch = _other_side(parent, current, "consequence", "alternative")
                falls_back |= self.is_global_member(branch)
            elif parent.type == "await_expression":
                pass
            elif _is_extends_receiver(parent, current):
                parent = parent.parent or parent
            else:
                break
            current = parent
        return current, falls_back

    def involves_client(self, expression: ts.Node) -> bool:
        """Whether `expression` evaluates to a Prisma client of this file: a
        `new PrismaClient()`, a variable or factory call known to hold one, a name in
        option `clients`, possibly behind `await`, `??`, `||`, `?:` or `.$extends()`."""
        stack = [expression]
        while stack:
            node = unwrap(stack.pop())
            kind = node.type
            if kind == "identifier" and text(node) in self.client_names:
                return True
            if kind == "new_expression" and node in self.news:
                return True
            if kind == "await_expression":
                stack.extend(node.named_children[-1:])
            elif kind == "binary_expression" and _operator(node) in ("??", "||"):
                stack.extend(_fields(node, "left", "right"))
            elif kind == "ternary_expression":
                stack.extend(_fields(node, "consequence", "alternative"))
            elif kind in _ASSIGNMENT_TYPES:
                stack.extend(_fields(node, "right"))
            elif kind == "call_expression":
                callee = node.child_by_field_name("function")
                if callee is not None:
                    callee = unwrap(callee)
                    if callee.type == "identifier":
                        stack.append(callee)
                    elif _is_extends_callee(callee):
                        stack.extend(_fields(callee, "object"))
                # A wrapper around a new client (`withMetrics(new PrismaClient())`).
                stack.extend(a for a in call_arguments(node) if unwrap(a).type == "new_expression")
        return False

    def is_module_storage(self, target: ts.Node) -> bool:
        """A place that outlives the call: a module-level variable, a member of a
        module-level binding (`cache.client`, `Database.instance`), `this.x` in a static
        method or block."""
        root, _steps = _member_root(target)
        if root.type == "this":
            return _in_static_context(root)
        return root.type == "identifier" and _is_module_binding(self.source, root)

    # --- judging one `new PrismaClient()` --------------------------------------------
    def is_stored(self, node: ts.Node, depth: int = 0) -> bool:
        """Whether the client `node` evaluates to is kept for the next call."""
        if depth > MAX_DEPTH:
            return False
        if runtime_function(node) is None:
            return self.caches  # a factory called at module level
        value, falls_back = self.climb(node)
        if falls_back:
            return True
        parent = value.parent
        if parent is None:
            return False
        if parent.type in _ASSIGNMENT_TYPES and parent.child_by_field_name("right") == value:
            left = unwrap(parent.child_by_field_name("left") or value)
            if self.is_global_member(left) or self.is_module_storage(left):
                return True
            return left.type == "identifier" and self.local_is_stored(left, depth)
        if parent.type == "variable_declarator" and parent.child_by_field_name("value") == value:
            name = parent.child_by_field_name("name")
            return name is not None and self.local_is_stored(name, depth)
        function = _returning_function(value)
        return function is not None and self.factory_is_stored(function, depth)

    def local_is_stored(self, variable: ts.Node, depth: int) -> bool:
        """A local variable holding the client: is it stored, or returned, later on?"""
        function = runtime_function(variable)
        if function is None:
            return False
        body = function_body(function)
        if body is None:
            return False
        name = text(variable)
        for use in identifiers_named(self.source, name, body):
            if use == variable:
                continue
            value, falls_back = self.climb(use)
            parent = value.parent
            if falls_back:
                return True
            if parent is None:
                continue
            if parent.type in _ASSIGNMENT_TYPES and parent.child_by_field_name("right") == value:
                left = unwrap(parent.child_by_field_name("left") or value)
                if self.is_global_member(left) or self.is_module_storage(left):
                    return True
            returned_by = _returning_function(value)
            if returned_by == function and self.factory_is_stored(function, depth + 1):
                return True
        return False

    def factory_is_stored(self, function: ts.Node, depth: int) -> bool:
        """A function that returns a new client is fine when its result is stored:
        an IIFE's call, the calls of a same-file named factory, or a helper that takes
        the factory as an argument at module level (`remember("db", () => new ...)`
        memoises it, typically on globalThis)."""
        wrapper = outer(function)
        parent = wrapper.parent
        if is_iife(function) and parent is not None:
            return self.is_stored(parent, depth + 1)
        name = _function_name(function)
        if name is None:
            if parent is not None and parent.type == "arguments" and parent.parent is not None:
                helper_call = parent.parent
                return runtime_function(helper_call) is None or self.is_stored(
                    helper_call, depth + 1
                )
            return False
        return self.calls_are_stored(name, depth + 1)

    def calls_are_stored(self, name: str, depth: int) -> bool:
        """`name` is called in this file, and every call keeps its result: one call
        from a request handler is enough to create a client per request."""
        calls = self.facts.calls_named(self.source, name)
        return bool(calls) and all(self.is_stored(call, depth) for call in calls)

    def runs_once(self, function: ts.Node | None) -> bool:
        """A named function whose every same-file call is itself cached
        (`const client = globalThis.db || getClient()`): whatever it creates, it
        creates once, like a replica client built beside the cached one."""
        name = _function_name(function) if function is not None else None
        return name is not None and self.calls_are_stored(name, 1)

    # --- the module's facts --------------------------------------------------------
    def collect_client_names(self, clients: Collection[str]) -> None:
        """Names that hold or build a client: option `clients`, variables a client is
        assigned to, and named functions that create one (a factory, or a builder that
        wires a replica into the client it returns), followed through their calls."""
        self.client_names.update(clients)
        producers = list(self.news)
        for _ in range(MAX_DEPTH):
            next_producers: list[ts.Node] = []
            for producer in producers:
                value, _falls_back = self.climb(producer)
                holder = _holder_name(value)
                if holder is not None:
                    self.client_names.add(holder)
                for function in _enclosing_functions(producer):
                    builder = _function_name(function)
                    if builder is not None and builder not in self.client_names:
                        self.client_names.add(builder)
                        next_producers.extend(self.facts.calls_named(self.source, builder))
            producers = next_producers

    def find_cache(self) -> bool:
        """Does the module keep a client on `globalThis`/`global`: an assignment to a
        global member (`globalForPrisma.prisma = prisma`, `globalThis.prisma ??= new
        PrismaClient()`), or a `??`/`||`/ternary fallback between a global member and
        a client (`globalForPrisma.prisma ?? new PrismaClient()`)."""
        if isinstance(self.facts, _NamedFacts):
            return any(
                self.involves_client(other)
                for _member, other in _global_member_sides(self.source, self.globals)
            )
        for match in self.facts.assignments:
            if self.is_global_member(match["left"][0]) and self.involves_client(match["right"][0]):
                return True
        for matches in (self.facts.fallbacks, self.facts.ternaries):
            for match in matches:
                left, right = match["left"][0], match["right"][0]
                if self.is_global_member(left) and self.involves_client(right):
                    return True
                if self.is_global_member(right) and self.involves_client(left):
                    return True
        return False


# --- syntax helpers ------------------------------------------------------------------
def _fields(node: ts.Node, *names: str) -> list[ts.Node]:
    return [child for name in names if (child := node.child_by_field_name(name)) is not None]


def _operator(binary: ts.Node) -> str:
    return text(binary.child_by_field_name("operator"))


def _other_side(parent: ts.Node, child: ts.Node, first: str, second: str) -> ts.Node:
    one = parent.child_by_field_name(first)
    other = parent.child_by_field_name(second)
    if one is None or other is None:
        return child
    return other if one == child else one


def _is_extends_callee(callee: ts.Node) -> bool:
    return callee.type == "member_expression" and text(callee.child_by_field_name("property")) in (
        "$extends",
    )


def _is_extends_receiver(member: ts.Node, child: ts.Node) -> bool:
    """`child.$extends(...)`: the extended client is still the client."""
    call = member.parent
    return (
        _is_extends_callee(member)
        and member.child_by_field_name("object") == child
        and call is not None
        and call.type == "call_expression"
        and call.child_by_field_name("function") == member
    )


def _member_root(node: ts.Node) -> tuple[ts.Node, int]:
    """(`a` of `a.b["c"].d`, number of member steps), through parentheses and casts."""
    current = unwrap(node)
    steps = 0
    while current.type in ("member_expression", "subscript_expression"):
        obj = current.child_by_field_name("object")
        if obj is None:
            break
        current = unwrap(obj)
        steps += 1
    return current, steps


def _is_module_binding(source: SourceFile, identifier: ts.Node) -> bool:
    name = text(identifier)
    return declared_in_statements(source.root, name) is not None and not is_shadowed(
        identifier, name
    )


def _in_static_context(this: ts.Node) -> bool:
    """`this` is the class itself in a static method or static block."""
    for ancestor in ancestors(this):
        if ancestor.type == "class_static_block":
            return True
        if ancestor.type == "arrow_function":
            continue  # arrows keep the `this` of their surroundings
        if ancestor.type in FUNCTION_TYPES:
            return ancestor.type == "method_definition" and any(
                child.type == "static" for child in ancestor.children
            )
    return False


def _callee_text(call: ts.Node) -> str:
    return text(call.child_by_field_name("function"))


def _returning_function(value: ts.Node) -> ts.Node | None:
    """The function `value` is returned from (`return value`, `() => value`)."""
    parent = value.parent
    if parent is None:
        return None
    if parent.type == "return_statement":
        return runtime_function(parent) or _enclosing_function(parent)
    if parent.type == "arrow_function" and parent.child_by_field_name("body") == value:
        return parent
    return None


def _enclosing_function(node: ts.Node) -> ts.Node | None:
    return next(_enclosing_functions(node), None)


def _enclosing_functions(node: ts.Node) -> Iterator[ts.Node]:
    return (a for a in ancestors(node) if a.type in FUNCTION_TYPES)


def _function_name(function: ts.Node) -> str | None:
    """`function create()`, `const create = () => ...`, `create = function () {}`."""
    if function.type in ("function_declaration", "generator_function_declaration"):
        name = function.child_by_field_name("name")
        return text(name) if name is not None else None
    return _holder_name(outer(function))


def _holder_name(value: ts.Node) -> str | None:
    """The variable `value` is the initializer of, or is assigned to."""
    parent = value.parent
    if parent is None:
        return None
    target: ts.Node | None = None
    if parent.type == "variable_declarator" and parent.child_by_field_name("value") == value:
        target = parent.child_by_field_name("name")
    elif parent.type in _ASSIGNMENT_TYPES and parent.child_by_field_name("right") == value:
        target = parent.child_by_field_name("left")
    if target is None or unwrap(target).type != "identifier":
        return None
    return text(unwrap(target))


def _lacks_constructor(source: SourceFile) -> bool:
    """Whether no import, require or `new` in the file can name `PrismaClient`."""
    return prefilter.lacks_text(source, _CONSTRUCTOR_BYTES)


def _constructor_names(source: SourceFile) -> frozenset[str]:
    """`PrismaClient` and its local aliases, from `@prisma/client` or a custom output
    (`import { PrismaClient as PC } from "@/generated/prisma"`)."""
    aliases = {b.local for b in import_bindings(source) if b.imported == CONSTRUCTOR}
    return frozenset({CONSTRUCTOR, *aliases})


def _is_client_constructor(constructor: ts.Node, names: frozenset[str]) -> bool:
    constructor = unwrap(constructor)
    if constructor.type == "identifier":
        return text(constructor) in names
    if constructor.type == "member_expression":  # `new Prisma.PrismaClient()`
        return text(constructor.child_by_field_name("property")) == CONSTRUCTOR
    return False


def _global_aliases(facts: _Facts) -> frozenset[str]:
    """Module-level names for the global object:
    `const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient }`."""
    names = set(GLOBAL_OBJECTS)
    for match in facts.declarators:
        value = unwrap(match["value"][0])
        if (
            value.type == "identifier"
            and text(value) in GLOBAL_OBJECTS
            and runtime_function(match["decl"][0]) is None
        ):
            names.add(text(match["name"][0]))
    return frozenset(names)


def _analyse(source: SourceFile, clients: Collection[str]) -> _Module | None:
    names = _constructor_names(source)
    if prefilter.ENABLED:
        facts: _Facts = _NamedFacts(news=_named_news(source, names))
    else:
        facts = _Facts.of(source)
    news = [
        match["new"][0] for match in facts.news if _is_client_constructor(match["ctor"][0], names)
    ]
    if not news:
        return None
    aliases = (
        _named_global_aliases(source) if isinstance(facts, _NamedFacts) else _global_aliases(facts)
    )
    module = _Module(source, facts, aliases, news)
    module.collect_client_names(clients)
    module.caches = module.find_cache()
    return module


# No `PrismaClient` spelled in the bytes (or a string's value): no client to judge
# (module docstring); the engine skips such files.
NEEDS = prefilter.needs(prefilter.has_text(_CONSTRUCTOR_BYTES))


def check(source: SourceFile, ctx: RuleContext) -> None:
    # No `PrismaClient` spelled in the bytes: no client to judge (module docstring). The
    # bytes first: the file's name costs more to look at, and most files stop here.
    if _lacks_constructor(source) or source.is_declaration_file:
        return
    module = _analyse(source, ctx.list_option("clients"))
    if module is None:
        return
    for new in module.news:
        constructor = text(unwrap(new.child_by_field_name("constructor") or new))
        if runtime_function(new) is None:
            if not module.caches:
                ctx.report(new, name=constructor, problem=_MODULE_LEVEL)
        elif not (module.is_stored(new) or module.runs_once(runtime_function(new))):
            ctx.report(new, name=constructor, problem=_PER_CALL)
