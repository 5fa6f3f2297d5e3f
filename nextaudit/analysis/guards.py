"""Guards: does a route handler call one of a set of functions, or is it wrapped by one?

Shared by route-auth-required (auth functions and wrappers) and route-rate-limited
(limiters). A handler is guarded when

- a call in its body, or in a same-file function it calls (transitively), names a guard;
- a call wrapping the exported handler names one (`withAuth(async (req) => ...)`, the
  curried `withAuth(opts)(handler)`, a `compose(withAuth, ...)(handler)` argument), or is
  a same-file function whose own body reaches a guard call;
- (for rules that ask) a `middleware` file of the app calls one.

Name patterns are option strings: `auth` (an exact name), `with*Auth*` (an `fnmatch`
glob, case-sensitive), `*.auth.getUser` / `*.limit` (a member call: `*` stands for any
receiver, however computed, so `(await createClient()).auth.getUser()` matches).
"""

from __future__ import annotations

import fnmatch
import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

import tree_sitter as ts

from nextaudit.analysis.bindings import word_starts
from nextaudit.analysis.flow import RouteHandler, calls_in, same_file_function
from nextaudit.analysis.imports import import_bindings
from nextaudit.analysis.syntax import (
    call_arguments,
    function_body,
    string_value,
    text,
    unwrap,
)
from nextaudit.source import SourceFile

CalleePath = tuple[str | None, ...]
"""The names along a callee: `a.b.f` -> ("a", "b", "f"); None where a receiver is not a
name (`(await c()).auth.getUser` -> (None, "auth", "getUser"))."""

_CALLS = "(call_expression) @call"
_NAME_NODES = frozenset({"identifier", "this", "super"})
_PROPERTY_NODES = frozenset({"property_identifier", "private_property_identifier"})
MIDDLEWARE_STEMS = ("middleware", "proxy")  # Next.js 16 renames middleware.ts to proxy.ts
MIDDLEWARE_EXTENSIONS = (".ts", ".js", ".mts", ".mjs")
# A handler that only forwards the request may pass it to a response constructor:
# that is building a reply, not delegating the work.
_RESPONSE_CLASSES = frozenset({"Response", "NextResponse"})
# How many of a body's first calls `reaches_guard` tries before listing them all.
_LEADING_CALLS = 4
# How many functions `reaches_guard` follows from a handler (`flow.reachable_functions`'
# bound, which it must keep to find what it finds).
_MAX_REACHABLE = 64
_GLOB_CHARACTERS = frozenset("*?[")
_MAX_VERDICTS = 8192  # paths remembered per Guards (a bound, not a working size)


def reference_path(node: ts.Node) -> CalleePath | None:
    """The names along an identifier or member access; None for anything else."""
    names: list[str | None] = []
    current = unwrap(node)
    while True:
        if current.type in _NAME_NODES:
            names.append(text(current))
            break
        if current.type == "member_expression":
            prop = current.child_by_field_name("property")
            obj = current.child_by_field_name("object")
            if prop is None or obj is None or prop.type not in _PROPERTY_NODES:
                return None
            names.append(text(prop))
            current = unwrap(obj)
            continue
        if current.type == "subscript_expression":
            index = current.child_by_field_name("index")
            obj = current.child_by_field_name("object")
            value = string_value(index) if index is not None else None
            if value is None or obj is None:
                if not names:
                    return None
                names.append(None)
                break
            names.append(value)
            current = unwrap(obj)
            continue
        if not names:
            return None
        names.append(None)  # a computed receiver: a call, `await`, `new`, a literal
        break
    return tuple(reversed(names))


def callee_path(call: ts.Node) -> CalleePath | None:
    callee = call.child_by_field_name("function")
    if callee is None:
        return None
    callee = unwrap(callee)
    # tree-sitter-typescript parses `await f<T>(x)` as a call of `await f`.
    if callee.type == "await_expression" and call.child_by_field_name("type_arguments"):
        callee = callee.named_children[-1] if callee.named_child_count else callee
    return reference_path(callee)


# What opens a call's arguments, and the node it opens: `f(x)` and the tagged
# template `` f`x` ``, the two shapes of a `call_expression`.
_OPENED = {b"(": "arguments", b"`": "template_string"}
# A member callee spelled as plain ASCII names joined by dots (anything else, such as
# spaces, comments, escapes, other letters or `?.`, takes the general way).
_PLAIN_CALLEE = re.compile(rb"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*")


def calls_opened_by(source: SourceFile, body: ts.Node, opener: bytes) -> Iterator[ts.Node]:
    """The calls in `body` (itself included) whose arguments `opener` opens, in the
    order of their openers: the call behind each `(` (or backtick) of the body's bytes.

    The smallest named node at an opener is what it opens (the token itself is
    anonymous): a `(` in a string, a comment, a regex or a parenthesised expression
    opens no `arguments`, and the closing backtick of a template does not start it.
    The smallest named node from the byte before the opener to the end of what it
    opens is then the call, if that ends the call (`arguments` is a call's last
    child); a template that is itself called (`` `x`(y) ``) starts its call and ends
    before it. Two lookups down from `body`, in C, where `Node.parent` would walk down
    from the root, twice per call.
    """
    opened_type = _OPENED[opener]
    content = source.content
    end = body.end_byte
    at = content.find(opener, body.start_byte, end)
    while at != -1:
        opened = body.named_descendant_for_byte_range(at, at + 1)
        if opened is not None and opened.type == opened_type and opened.start_byte == at:
            opened_end = opened.end_byte
            call = body.named_descendant_for_byte_range(max(at - 1, 0), opened_end)
            if (
                call is not None
                and call.type == "call_expression"
                and call.end_byte == opened_end
                and call.start_byte != at
            ):
                yield call
        at = content.find(opener, at + 1, end)


def calls_from_bytes(source: SourceFile, body: ts.Node) -> list[ts.Node]:
    """The calls in `body` (itself included) in source order, as the query
    `(call_expression) @call` run on `body` lists them: every call opens its arguments
    with a `(` or, tagged, a template's backtick (for a body without syntax errors)."""
    calls = [*calls_opened_by(source, body, b"("), *calls_opened_by(source, body, b"`")]
    calls.sort(key=_source_order)
    return calls


def _source_order(node: ts.Node) -> tuple[int, int]:
    # The order `SourceFile.nodes` sorts captures in: `a(b)(c)` lists `a(b)` first.
    return node.start_byte, node.end_byte


def _dotted_match(path: CalleePath, pattern: tuple[str, ...]) -> bool:
    """`("*", "auth", "getUser")` matches a path ending in auth.getUser with at least one
    receiver before it; a pattern without a leading `*` matches the whole path."""
    if pattern[0] == "*":
        tail = pattern[1:]
        if len(path) <= len(tail):
            return False
        segments = path[len(path) - len(tail) :]
    else:
        if len(path) != len(pattern):
            return False
        tail, segments = pattern, path
    return all(
        s is not None and (fnmatchcase(s, p) if is_glob(p) else s == p)
        for s, p in zip(segments, tail, strict=True)
    )


def is_glob(pattern: str) -> bool:
    """`pattern` has a character that `fnmatch` reads as a glob: without one, it
    matches only the name it spells."""
    return not _GLOB_CHARACTERS.isdisjoint(pattern)


@dataclass(frozen=True)
class NamePatterns:
    """Callee name patterns of one option: `plain` ones name a function, `dotted` ones a
    member call."""

    plain: tuple[str, ...] = ()
    dotted: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def parse(cls, patterns: Iterable[str]) -> NamePatterns:
        plain: list[str] = []
        dotted: list[tuple[str, ...]] = []
        for raw in patterns:
            pattern = raw.strip()
            if not pattern:
                continue
            if "." in pattern:
                dotted.append(tuple(pattern.split(".")))
            else:
                plain.append(pattern)
        return cls(tuple(plain), tuple(dotted))

    def name_matches(self, name: str | None) -> bool:
        if name is None:
            return False
        if name in self._exact_names:
            return True
        regex = self._glob_regex
        return regex is not None and regex.match(name) is not None

    @functools.cached_property
    def _exact_names(self) -> frozenset[str]:
        # A pattern without a glob character matches its own name only: a set answers
        # those, and most configured names are such (compiling their regexes costs
        # ~3M instructions, once per process, for the default auth functions).
        return frozenset(p for p in self.plain if not is_glob(p))

    @functools.cached_property
    def _glob_regex(self) -> re.Pattern[str] | None:
        # `fnmatchcase` against each glob is one regex match each (every call of an
        # unguarded handler asks): one alternation of the same regexes answers them
        # all at once.
        globs = [p for p in self.plain if is_glob(p)]
        if not globs:
            return None
        return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in globs))

    def path_matches(self, path: CalleePath) -> bool:
        if len(path) == 1:
            return self.name_matches(path[0])
        return any(_dotted_match(path, pattern) for pattern in self.dotted)


def _never(_node: ts.Node) -> bool:
    return False


def _no_name(_path: CalleePath) -> bool:
    return False


@dataclass(frozen=True)
class Guards:
    """What guards a handler.

    `functions`: plain patterns match a plain call (`auth()`), dotted ones a member call
    (`supabase.auth.getUser()`); a plain pattern does not match a method (`db.getUser()`
    is not `getUser()`). `wrappers`: plain patterns match the function or the method
    name (`withAuth(h)`, `api.withAuth(h)`). Both lists count wherever a call appears:
    in the body, in same-file functions it calls, around the export. `name_hint` and
    `call_hint` are a rule's extra evidence (e.g. any callee naming `auth`), judged on
    the callee's names and on the call itself.
    """

    functions: NamePatterns
    wrappers: NamePatterns = field(default_factory=NamePatterns)
    name_hint: Callable[[CalleePath], bool] = _no_name
    call_hint: Callable[[ts.Node], bool] = _never
    # The callee names (`syntax.callee_name`) of the only calls `call_hint` can say yes
    # to, when it says so (None: any call): the others are not asked, and most calls
    # are others (`req.json()`, `NextResponse.json()`), known from their callee path.
    call_hint_names: frozenset[str] | None = None
    # Verdicts by path: a rule's guards are built once per configuration, and the same
    # callees (`NextResponse.json`, `req.json`, `prisma.user.findMany`) come back in
    # file after file; each asks the patterns and the name hint's regexes.
    _verdicts: dict[CalleePath, bool] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def path_guards(self, path: CalleePath) -> bool:
        verdicts = self._verdicts
        found = verdicts.get(path)
        if found is None:
            if len(verdicts) >= _MAX_VERDICTS:
                verdicts.clear()
            found = verdicts[path] = self._path_guards(path)
        return found

    def _path_guards(self, path: CalleePath) -> bool:
        if self.functions.path_matches(path) or self.wrappers.path_matches(path):
            return True
        if len(path) > 1 and self.wrappers.name_matches(path[-1]):
            return True
        return self.name_hint(path)


def _aliases(source: SourceFile) -> tuple[dict[str, str], frozenset[str]]:
    """(local name -> imported name for renamed named imports, namespace import names)."""
    renamed: dict[str, str] = {}
    namespaces: set[str] = set()
    for binding in import_bindings(source):
        if binding.imported == "*":
            namespaces.add(binding.local)
        elif binding.imported not in ("default", binding.local) and binding.imported:
            renamed[binding.local] = binding.imported
    return renamed, frozenset(namespaces)


# Bytes that may sit between `as` and the name it gives (spaces on one line), and the
# bytes after it that may hide that name from a look at the bytes alone: a comment, a
# line break (after a line comment), an escape, another whitespace or letter.
_SAME_LINE_SPACES = frozenset(b" \t\x0b\x0c")
_HIDING_BYTES = frozenset(b"/\r\n\\") | frozenset(range(0x80, 0x100))
_ASCII_NAME = re.compile(rb"[A-Za-z_$][\w$]*")


def alias_names(source: SourceFile) -> frozenset[str] | None:
    """Every name that an import may bind under another name than the one it imports,
    read from the bytes: the names right after each `as` (in casts and exports too);
    None when the bytes cannot tell (a `require`, which binds without `as`, an `as`
    before a comment, a line break or a name beyond ASCII, or syntax errors).

    `_aliases` finds renamed and namespace imports in `import_bindings`, whose
    `import { a as b }` and `import * as b` spell `as` right before the name `b`; a
    name not in this set is neither, and the imports need not be read for it.
    """
    content = source.content
    if source.root.has_error or next(word_starts(content, b"require"), None) is not None:
        return None
    names: set[str] = set()
    size = len(content)
    for at in word_starts(content, b"as"):
        after = at + 2
        while after < size and content[after] in _SAME_LINE_SPACES:
            after += 1
        if after == size:
            continue
        if content[after] in _HIDING_BYTES:
            return None
        name = _ASCII_NAME.match(content, after)
        if name is None:
            continue  # `as {`, `as (`, `as "`...: no name follows
        end = name.end()
        if end < size and content[end] in _HIDING_BYTES:
            return None  # the name goes on beyond ASCII, or through an escape
        names.add(name.group().decode("ascii"))
    return frozenset(names)


def extends_default(configured: Iterable[str], default: object) -> bool:
    """A list option still holds every default name (left alone, or extended): rules
    add their heuristic evidence only then, so a replaced list is taken literally."""
    defaults = {str(v) for v in default} if isinstance(default, list) else set()
    return defaults <= set(configured)


class GuardMatcher:
    """Guards applied to one file (import aliases resolved once, when first needed)."""

    def __init__(self, source: SourceFile, guards: Guards) -> None:
        self.source = source
        self.guards = guards

    @functools.cached_property
    def _import_aliases(self) -> tuple[dict[str, str], frozenset[str]]:
        # Most handlers are guarded by their first call, spelled as the guard's own
        # name: the file's imports are read only when a spelling needs them.
        return _aliases(self.source)

    @property
    def renamed(self) -> dict[str, str]:
        return self._import_aliases[0]

    @property
    def namespaces(self) -> frozenset[str]:
        return self._import_aliases[1]

    def _spellings(self, path: CalleePath) -> Iterator[CalleePath]:
        """The path as written, then as imported: `import { auth as a }` makes `a()`
        also `auth()`; `import * as ns` makes `ns.f()` also `f()`."""
        yield path
        head = path[0]
        if head is None:
            return
        renamed, namespaces = self._import_aliases
        if head in renamed:
            yield (renamed[head], *path[1:])
        if head in namespaces and len(path) > 1:
            yield path[1:]

    def is_guard_path(self, path: CalleePath) -> bool:
        if self.guards.path_guards(path):
            return True
        # Only a name that an import may rename has other spellings: reading the
        # file's imports is dear, and most names, such as `NextResponse`, `req` or
        # `prisma`, never follow an `as`.
        head = path[0]
        if head is None or (self._alias_names is not None and head not in self._alias_names):
            return False
        return any(self.guards.path_guards(p) for p in self._spellings(path))

    @functools.cached_property
    def _alias_names(self) -> frozenset[str] | None:
        return alias_names(self.source)

    def is_guard_call(self, call: ts.Node) -> bool:
        path = self._callee_path(call)
        if path is not None:
            if self.is_guard_path(path):
                return True
            hinted = self.guards.call_hint_names
            # A callee with a name has it last on its path (`a.b.get` -> "get").
            if hinted is not None and path[-1] not in hinted:
                return False
        return self.guards.call_hint(call)

    def _callee_path(self, call: ts.Node) -> CalleePath | None:
        """`callee_path(call)`, read from the bytes of the call's first child (its
        function) when that is a name, or plain names joined by dots (`auth()`,
        `prisma.user.findMany({...})`): most calls are such, and reading the path
        through the tree costs a field lookup per name. The tree is asked only
        whether the first of the dotted names is a name (`import.meta.x()` and
        `true.valueOf()` have no name there)."""
        function = call.child(0)
        kind = function.type if function is not None else None
        if function is not None and kind == "identifier":
            return (self.source.node_text(function),)
        if function is not None and kind == "member_expression":
            start = function.start_byte
            spelled = self.source.content[start : function.end_byte]
            if _PLAIN_CALLEE.fullmatch(spelled):
                head_end = start + spelled.find(b".")
                head = function.named_descendant_for_byte_range(start, head_end)
                if (
                    head is not None
                    and head.start_byte == start
                    and head.end_byte == head_end
                    and head.type in _NAME_NODES
                ):
                    return tuple(spelled.decode("ascii").split("."))
        return callee_path(call)

    def reaches_guard(self, function: ts.Node) -> bool:
        """A guard call in `function` or in a same-file function it calls."""
        if self._leading_call_guards(function):
            return True
        return any(
            self.is_guard_call(c)
            for f in self._reachable_functions(function)
            for c in self._calls(f)
        )

    def _calls(self, function: ts.Node) -> list[ts.Node]:
        """`calls_in(function)`, found from the bytes (see `calls_from_bytes`): the
        `(call_expression)` query it runs costs ~25M instructions to compile, once per
        process, and no other rule of a default run needs it. A body with syntax errors
        is left to the query: what error recovery builds is whatever the query says."""
        body = function_body(function)
        if body is None:
            return []
        if body.has_error:
            return calls_in(function, self.source)
        return self.source.memo(f"guards.calls:{body.id}", lambda s: calls_from_bytes(s, body))

    def _reachable_functions(self, function: ts.Node) -> list[ts.Node]:
        """`flow.reachable_functions(function)`, from the calls of `_calls`: the same
        breadth-first walk over calls in the same order, so the same functions, the
        same first `_MAX_REACHABLE` of them (memoised per function, as it is)."""
        key = f"guards.reachable:{function.id}"
        return self.source.memo(key, lambda _s: self._walk_reachable(function))

    def _walk_reachable(self, function: ts.Node) -> list[ts.Node]:
        seen: list[ts.Node] = [function]
        queue = [function]
        while queue and len(seen) < _MAX_REACHABLE:
            current = queue.pop(0)
            for call in self._calls(current):
                target = same_file_function(self.source, call)
                if target is not None and target not in seen:
                    seen.append(target)
                    queue.append(target)
        return seen

    def _leading_call_guards(self, function: ts.Node) -> bool:
        """One of the first calls of `function`'s body, found from the bytes, is a guard.

        Most handlers check the caller first (`const session = await auth()`): looking
        at the call behind each of the first few `(` of the body answers them without
        listing every call of the body and of the functions it reaches. A call found so
        is one of `calls_in(function)` (a `(` inside the body opens the arguments of a
        call inside it), so a True here is the answer the walk over every call would
        give; anything else is left to it.
        """
        body = function_body(function)
        if body is None:
            return False
        leading = itertools.islice(calls_opened_by(self.source, body, b"("), _LEADING_CALLS)
        return any(self.is_guard_call(call) for call in leading)

    def wrapper_guards(self, wrapper: ts.Node) -> bool:
        """A call wrapping the exported handler guards it: by its name, the name of the
        call it is curried from (`withRole("admin")(h)`), a function reference passed
        to that (`compose(withAuth, withLog)(h)`), or a same-file wrapper's own body."""
        chain = [wrapper]
        callee = wrapper.child_by_field_name("function")
        while callee is not None and unwrap(callee).type == "call_expression":
            inner = unwrap(callee)
            chain.append(inner)
            callee = inner.child_by_field_name("function")
        for call in chain:
            if self.is_guard_call(call):
                return True
            target = same_file_function(self.source, call)
            if target is not None and self.reaches_guard(target):
                return True
        for inner in chain[1:]:
            for argument in call_arguments(inner):
                path = reference_path(argument)
                if path is not None and self.is_guard_path(path):
                    return True
        return False

    def is_guarded(self, handler: RouteHandler) -> bool:
        if any(self.wrapper_guards(w) for w in handler.wrappers):
            return True
        return handler.function is not None and self.reaches_guard(handler.function)

    def any_call_guards(self) -> bool:
        """Some call anywhere in the file is a guard (used for middleware files)."""
        return any(self.is_guard_call(c) for c in self.source.nodes(_CALLS, "call"))


# --- handlers with nothing to check ----------------------------------------------------


def _sole_returned_call(function: ts.Node) -> ts.Node | None:
    """The call a function's whole body returns: `(req) => f(req)`, `{ return await f(req) }`."""
    body = function_body(function)
    if body is None:
        return None
    value: ts.Node | None = body
    if body.type == "statement_block":
        statements = [c for c in body.named_children if c.type != "comment"]
        if len(statements) != 1 or statements[0].type != "return_statement":
            return None
        value = next((c for c in statements[0].named_children if c.type != "comment"), None)
    if value is None:
        return None
    value = unwrap(value)
    if value.type == "await_expression" and value.named_child_count:
        value = unwrap(value.named_children[0])
    return value if value.type == "call_expression" else None


def _is_identifier(node: ts.Node, name: str) -> bool:
    return node.type == "identifier" and text(node) == name


def _passes_name(argument: ts.Node, name: str) -> bool:
    """`f(req)`, `f({ req })`, `f({ request: req })`."""
    argument = unwrap(argument)
    if argument.type == "identifier":
        return _is_identifier(argument, name)
    if argument.type != "object":
        return False
    for prop in argument.named_children:
        if prop.type == "shorthand_property_identifier" and text(prop) == name:
            return True
        if prop.type == "pair":
            value = prop.child_by_field_name("value")
            if value is not None and _is_identifier(unwrap(value), name):
                return True
    return False


def delegates_elsewhere(handler: RouteHandler, source: SourceFile) -> bool:
    """The handler's whole body hands its request to a function of another module
    (`(req) => fetchRequestHandler({ req, router })`, `{ return handle(req) }`): the
    checks happen there, out of sight, so there is nothing here to judge."""
    if handler.function is None or handler.request is None:
        return False
    call = _sole_returned_call(handler.function)
    if call is None or same_file_function(source, call) is not None:
        return False
    path = callee_path(call)
    if path is not None and path[0] in _RESPONSE_CLASSES:
        return False
    return any(_passes_name(a, handler.request) for a in call_arguments(call))


_REFERENCES = """
(identifier) @ref
(shorthand_property_identifier) @ref
"""
_REFERENCE_TYPES = frozenset({"identifier", "shorthand_property_identifier"})
# Names a constant response may use: the response classes and what is always global.
_CONSTANT_NAMES = _RESPONSE_CLASSES | {"undefined", "Headers", "JSON"}


def returns_constant(handler: RouteHandler, source: SourceFile) -> bool:
    """The handler's body refers to nothing but the response classes: it returns the
    same literal response to everyone (`new Response(null, { status: 204 })`,
    `Response.json({ status: "ok" })`) and reads or changes nothing."""
    if handler.function is None:
        return False
    body = function_body(handler.function)
    if body is None:
        return False
    if body.has_error:
        # Error recovery may insert MISSING names, which the query captures in some
        # places and not in others: ask it.
        return all(text(n) in _CONSTANT_NAMES for n in source.nodes(_REFERENCES, "ref", body))
    return refers_only_to(body, _CONSTANT_NAMES)


def refers_only_to(node: ts.Node, names: frozenset[str]) -> bool:
    """Every identifier and shorthand property in `node` (itself included) is one of
    `names`: what `source.nodes(_REFERENCES, "ref", node)` lists, walked here instead.
    Compiling that query costs ~25M instructions, once per process, where this walk
    stops at the first other name, a few nodes into almost every handler."""
    cursor = node.walk()
    while True:
        current = cursor.node
        if current is not None and current.type in _REFERENCE_TYPES and text(current) not in names:
            return False
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():  # back at `node`: a cursor stays inside it
                return True


# --- middleware -------------------------------------------------------------------------


def _app_parent_directories(source: SourceFile) -> list[Path]:
    """The directories holding an `app` directory above the file (the project root, or
    `src/` when the app lives in `src/app`), found on disk from the file's own path."""
    parts = PurePosixPath(source.rel_path).parts
    parents = Path(source.path).parents
    found: list[Path] = []
    for index, part in enumerate(parts[:-1]):
        level = len(parts) - 1 - index
        if part == "app" and level < len(parents):
            found.append(parents[level])
    return found


def middleware_directories(source: SourceFile) -> list[Path]:
    """Where the app's `middleware` file may live: beside the `app` directory, in its
    `src/`, or above `src/` (Next.js reads it from the root or `src/`)."""
    out: list[Path] = []
    for directory in _app_parent_directories(source):
        candidates = [directory, directory / "src"]
        if directory.name == "src":
            candidates.append(directory.parent)
        for candidate in candidates:
            if candidate not in out:
                out.append(candidate)
    return out


@functools.lru_cache(maxsize=256)
def _directory_middleware_guards(directory: str, guards: Guards) -> bool:
    # Every route file of an app asks about the same one or two directories: read and
    # parse each middleware file once per process.
    for stem in MIDDLEWARE_STEMS:
        for extension in MIDDLEWARE_EXTENSIONS:
            path = Path(directory) / (stem + extension)
            try:
                raw = path.read_bytes()
            except OSError:
                continue
            middleware = SourceFile.from_bytes(path.as_posix(), path.name, raw)
            if GuardMatcher(middleware, guards).any_call_guards():
                return True
    return False


def middleware_guards(source: SourceFile, guards: Guards) -> bool:
    """A `middleware` (or `proxy`) file of the app the route file belongs to calls a guard."""
    return any(
        _directory_middleware_guards(d.as_posix(), guards) for d in middleware_directories(source)
    )


# --- route scope ------------------------------------------------------------------------


_APP_API = "/app/api/"


def is_api_route(rel_path: str) -> bool:
    """A file below `app/api/` (also `src/app/api/`, `apps/web/app/api/`); route groups
    `(name)` between them do not count, as they are not part of the URL."""
    if "api" not in rel_path:  # most files: no need to split the path
        return False
    # Most route files the rules ask about spell `app/api/` whole, with a segment after
    # it: then `app` and `api` are consecutive parts, `api` not the file's name.
    if rel_path.startswith(_APP_API[1:]):
        after = rel_path[len(_APP_API) - 1 :]
    else:
        found = rel_path.find(_APP_API)
        after = rel_path[found + len(_APP_API) :] if found != -1 else ""
    if after.strip("/."):
        return True
    # `PurePosixPath(rel_path).parts[:-1]`, without building a path: empty and `.`
    # segments drop out, as they do there.
    segments = [p for p in rel_path.split("/") if p and p != "."]
    parts = [p for p in segments[:-1] if not (p.startswith("(") and p.endswith(")"))]
    return any(a == "app" and b == "api" for a, b in itertools.pairwise(parts))


def nothing_to_judge(handler: RouteHandler, source: SourceFile) -> bool:
    """A handler implemented elsewhere (`export { GET } from "./x"`, a handler passed in
    from an import), forwarding its request to an imported function, or returning a
    constant reply has no body here that could need a guard."""
    return (
        handler.function is None
        or delegates_elsewhere(handler, source)
        or returns_constant(handler, source)
    )
