"""await-route-params: synchronous use of the Next.js 15 `params` / `searchParams` promises.

Where the promises come from (RULES.md): the second parameter of a route handler, the
first parameter of a page-like file's default export, and the first parameter of
`generateMetadata` / `generateViewport` in page and layout files. From there the check
follows the names that hold a promise (`{ params }`, `const p = ctx.params`,
`const { params } = props`) or the props object itself (`props`, `ctx`), and reports
each use that needs the resolved value: a member read, a destructuring, an enumeration.
Awaiting, `.then()`, `use()`, returning or passing the promise along are fine.
"""

from __future__ import annotations

from typing import NamedTuple

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import is_shadowed, pattern_names
from nextaudit.analysis.dataflow import names_in_scope
from nextaudit.analysis.nextjs import (
    Handler,
    is_client_module,
    is_page_like,
    is_route_file,
    lacks_handlers,
    metadata_functions,
    page_component,
    route_handlers,
)
from nextaudit.analysis.prefilter import lacks_text
from nextaudit.analysis.syntax import (
    WRAPPERS,
    function_parameters,
    member_chain,
    outer,
    parameter_pattern,
    string_value,
    text,
    unwrap,
)
from nextaudit.context import RuleContext
from nextaudit.nextjs_roles import Role
from nextaudit.source import SourceFile

PARAMS = frozenset({"params"})
PARAMS_AND_SEARCH_PARAMS = frozenset({"params", "searchParams"})
# Methods of the promise itself: calling them is asynchronous use.
PROMISE_METHODS = frozenset({"then", "catch", "finally"})
# Calls that read the keys or values of their argument right away.
ENUMERATING_CALLS = frozenset(
    {
        "Object.keys",
        "Object.values",
        "Object.entries",
        "Object.getOwnPropertyNames",
        "Reflect.ownKeys",
        "JSON.stringify",
    }
)
# Next.js reads `generateMetadata` / `generateViewport` from these files only.
METADATA_FILES = frozenset({"page", "layout"})
_DECLARATIONS = ("lexical_declaration", "variable_declaration")
_IDENTIFIER = frozenset({"identifier"})
_DIRECT_STEPS = 4  # parent steps taken with `Node.parent` before `outer` takes over
_PATTERNS = ("object_pattern", "array_pattern")
# A promise name longer than this is shown by its key (`params`) in the message.
_MAX_SHOWN = 40


class _Source(NamedTuple):
    """A parameter that receives the props (or route context) holding the promises.
    (These records are NamedTuples: as immutable as frozen dataclasses, and several
    times cheaper to build; a run builds thousands.)"""

    function: ts.Node
    parameter: ts.Node
    keys: frozenset[str]


class _Binding(NamedTuple):
    """A name in `scope`, from byte `after` on, bound to a promise (`is_promise`) or to
    the props object that holds the promises under `keys`."""

    name: str
    scope: ts.Node
    after: int
    is_promise: bool


class _Access(NamedTuple):
    node: ts.Node
    promise: str
    use: str


def _nth_parameter(function: ts.Node | None, index: int) -> ts.Node | None:
    if function is None:
        return None
    params = [p for p in function_parameters(function) if not _is_this_parameter(p)]
    return params[index] if index < len(params) else None


def _is_this_parameter(param: ts.Node) -> bool:
    """TypeScript's `function f(this: Window, ...)` declares no real parameter."""
    pattern = parameter_pattern(param)
    return pattern.type == "this"


def _stem(source: SourceFile) -> str:
    """`PurePosixPath(rel_path).stem`, without building a path (asked twice per file)."""
    name = source.rel_path.rpartition("/")[2]
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _page_keys(source: SourceFile) -> frozenset[str]:
    """Only `page.*` files receive `searchParams`; layouts, `default`, `template` and
    the image files get `params` alone."""
    return PARAMS_AND_SEARCH_PARAMS if _stem(source) == "page" else PARAMS


def _sources(source: SourceFile) -> list[_Source]:
    found: list[tuple[Handler, int, frozenset[str]]] = []
    if source.is_route_file:
        found.extend((h, 1, PARAMS) for h in route_handlers(source))
    if source.is_page_like:
        keys = _page_keys(source)
        page = page_component(source)
        if page is not None:
            found.append((page, 0, keys))
        if _stem(source) in METADATA_FILES:
            found.extend((m, 0, keys) for m in metadata_functions(source))
    out: dict[tuple[int, int], _Source] = {}
    for handler, index, keys in found:
        parameter = _nth_parameter(handler.function, index)
        if handler.function is None or parameter is None:
            continue
        # `export { handler as GET, handler as POST }` is one function, checked once.
        key = (handler.function.start_byte, handler.function.end_byte)
        out.setdefault(key, _Source(handler.function, parameter_pattern(parameter), keys))
    return list(out.values())


def _promise_label(node: ts.Node, fallback: str) -> str:
    shown = text(node)
    if member_chain(node) is None or len(shown) > _MAX_SHOWN or "\n" in shown:
        return fallback
    return shown


def _property_key(node: ts.Node | None) -> str | None:
    """The key of a pair pattern or member: `params`, `"params"`, `["params"]`."""
    if node is None:
        return None
    if node.type in ("property_identifier", "shorthand_property_identifier_pattern"):
        return text(node)
    if node.type == "computed_property_name" and node.named_child_count == 1:
        return string_value(unwrap(node.named_children[0]))
    return string_value(unwrap(node))


def _destructured_names(pattern: ts.Node) -> str:
    names = [f"`{name}`" for name, _ in pattern_names(pattern)]
    return "destructuring " + ", ".join(names) if names else "destructuring it"


class _Tracker:
    """Follows one source parameter through its function; collects the accesses."""

    def __init__(self, source: SourceFile, origin: _Source) -> None:
        self.source = source
        self.keys = origin.keys
        self.origin = origin
        self.pending: list[_Binding] = []
        self.seen: set[tuple[str, int, int]] = set()
        self.accesses: list[_Access] = []
        self.declares: dict[tuple[int, str], bool] = {}  # is_shadowed's memo

    def run(self) -> list[_Access]:
        self.bind_parameter()
        while self.pending:
            binding = self.pending.pop()
            for ref in self.references(binding):
                if binding.is_promise:
                    self.on_promise(ref, binding.name)
                else:
                    self.on_props(ref)
        return self.accesses

    # --- bindings ------------------------------------------------------------------
    def bind(self, name: str, scope: ts.Node, after: int, *, is_promise: bool) -> None:
        key = (name, scope.start_byte, after)
        if key not in self.seen:
            self.seen.add(key)
            self.pending.append(_Binding(name, scope, after, is_promise))

    def bind_parameter(self) -> None:
        pattern = self.origin.parameter
        function = self.origin.function
        if pattern.type == "identifier":
            self.bind(text(pattern), function, pattern.end_byte, is_promise=False)
        elif pattern.type == "object_pattern":
            self.bind_props_pattern(pattern, function, pattern.end_byte)

    def bind_props_pattern(self, pattern: ts.Node, scope: ts.Node, after: int) -> None:
        """`{ params, searchParams: sp, params: { id } }` taken out of the props."""
        for prop in pattern.named_children:
            if prop.type == "shorthand_property_identifier_pattern":
                if text(prop) in self.keys:
                    self.bind(text(prop), scope, after, is_promise=True)
            elif prop.type == "object_assignment_pattern":  # `{ params = fallback }`
                left = prop.child_by_field_name("left")
                if left is not None and text(left) in self.keys:
                    self.bind(text(left), scope, after, is_promise=True)
            elif prop.type == "pair_pattern":
                key = _property_key(prop.child_by_field_name("key"))
                value = prop.child_by_field_name("value")
                if key in self.keys and value is not None:
                    self.bind_pair_value(key, prop, value, scope, after)

    def bind_pair_value(
        self, key: str, pair: ts.Node, value: ts.Node, scope: ts.Node, after: int
    ) -> None:
        if value.type == "assignment_pattern":  # `params: p = fallback`
            left = value.child_by_field_name("left")
            if left is None:
                return
            value = left
        if value.type == "identifier":
            self.bind(text(value), scope, after, is_promise=True)
        elif value.type in _PATTERNS:
            # `{ params: { id } }`: the promise is destructured as if it were the object.
            self.report(pair, key, _destructured_names(value))

    def references(self, binding: _Binding) -> list[ts.Node]:
        refs, may_shadow = names_in_scope(self.source, binding.name, binding.scope, _IDENTIFIER)
        live = [
            ref
            for ref in refs
            if ref.start_byte >= binding.after
            and not (may_shadow and is_shadowed(ref, binding.name, binding.scope, self.declares))
        ]
        # After `params = await params` the name holds something else: stop there.
        ends = [ref for ref in live if _is_assignment_target(ref)]
        if ends:
            end = ends[0].parent.end_byte if ends[0].parent is not None else ends[0].end_byte
            live = [ref for ref in live if ref.start_byte < end and ref not in ends]
        return live

    # --- uses ----------------------------------------------------------------------
    def on_props(self, ref: ts.Node) -> None:
        """A use of the props object: `props.params`, `const { params } = ctx`, `c = ctx`."""
        wrapper, parent = _outer_and_parent(ref)
        if parent is None:
            return
        if parent.type == "member_expression" and parent.child_by_field_name("object") == wrapper:
            if text(parent.child_by_field_name("property")) in self.keys:
                self.on_promise(parent, text(parent.child_by_field_name("property")))
        elif (
            parent.type == "subscript_expression"
            and parent.child_by_field_name("object") == wrapper
        ):
            key = _property_key(parent.child_by_field_name("index"))
            if key in self.keys:
                self.on_promise(parent, key)
        elif (
            parent.type == "variable_declarator" and parent.child_by_field_name("value") == wrapper
        ):
            scope = _declaration_scope(parent)
            name = parent.child_by_field_name("name")
            if scope is None or name is None:
                return
            if name.type == "identifier":  # `const c = ctx`: another name for the props
                self.bind(text(name), scope, parent.end_byte, is_promise=False)
            elif name.type == "object_pattern":
                self.bind_props_pattern(name, scope, parent.end_byte)

    def on_promise(self, expression: ts.Node, key: str) -> None:
        """A use of an expression that evaluates to the promise itself (shown as `key`
        when its own text is not a short name)."""
        wrapper, parent = _outer_and_parent(expression)
        if parent is None:
            return
        kind = parent.type
        if kind in ("member_expression", "subscript_expression"):
            if parent.child_by_field_name("object") == wrapper and not _in_type(parent):
                self.on_member(parent, expression, key)
        elif kind == "variable_declarator":
            if parent.child_by_field_name("value") == wrapper:
                self.on_declarator(parent, expression, key)
        else:
            use = _synchronous_use(parent, wrapper)
            if use is not None:
                self.report(expression, _promise_label(expression, key), use)

    def on_member(self, member: ts.Node, expression: ts.Node, key: str) -> None:
        prop = _member_key(member)
        if member.type == "member_expression" and prop in PROMISE_METHODS:
            return
        self.report(member, _promise_label(expression, key), f"reading `{prop}`")

    def on_declarator(self, declarator: ts.Node, expression: ts.Node, key: str) -> None:
        name = declarator.child_by_field_name("name")
        if name is None:
            return
        if name.type in _PATTERNS:
            self.report(expression, _promise_label(expression, key), _destructured_names(name))
        elif name.type == "identifier":  # `const p = context.params`: an alias
            scope = _declaration_scope(declarator)
            if scope is not None:
                self.bind(text(name), scope, declarator.end_byte, is_promise=True)

    def report(self, node: ts.Node, promise: str, use: str) -> None:
        self.accesses.append(_Access(node, promise, use))


def _outer_and_parent(node: ts.Node) -> tuple[ts.Node, ts.Node | None]:
    """(`outer(node)`, its parent), climbing with `Node.parent`: a use is a step or two
    above a reference, and `parent_of` would record the whole path from the root.
    (Past a few wrappers, `outer` takes over: it keeps a deep climb linear.)"""
    parent = node.parent
    for _step in range(_DIRECT_STEPS):
        if parent is None or parent.type not in WRAPPERS:
            return node, parent
        node = parent
        parent = node.parent
    node = outer(node)
    return node, node.parent


def _member_key(member: ts.Node) -> str:
    """`params.id` -> "id"; `params["id"]` -> "id"; `params[key]` -> "[key]"."""
    if member.type == "member_expression":
        return text(member.child_by_field_name("property"))
    index = member.child_by_field_name("index")
    value = string_value(unwrap(index)) if index is not None else None
    return value if value is not None else f"[{text(index)}]"


def _synchronous_use(parent: ts.Node, wrapper: ts.Node) -> str | None:
    """How `parent` uses the promise `wrapper` synchronously, if it does (besides member
    reads and declarations): destructuring assignment, spreading, enumeration."""
    kind = parent.type
    if kind == "assignment_expression" and parent.child_by_field_name("right") == wrapper:
        left = parent.child_by_field_name("left")
        return _destructured_names(left) if left is not None and left.type in _PATTERNS else None
    if kind == "spread_element":
        return "spreading it"
    if kind == "arguments":
        return _enumerating_call(parent, wrapper)
    if kind == "for_in_statement" and parent.child_by_field_name("right") == wrapper:
        loop = "for...of" if any(c.type == "of" for c in parent.children) else "for...in"
        return f"enumerating it with `{loop}`"
    if kind == "binary_expression" and parent.child_by_field_name("right") == wrapper:
        return "testing a key of it with `in`" if _operator(parent) == "in" else None
    return None


def _operator(binary: ts.Node) -> str:
    operator = binary.child_by_field_name("operator")
    return operator.type if operator is not None else ""


def _enumerating_call(arguments: ts.Node, wrapper: ts.Node) -> str | None:
    """`Object.keys(params)`, `JSON.stringify(params)`, `Object.assign({}, params)`."""
    call = arguments.parent
    if call is None or call.type != "call_expression":
        return None
    callee = call.child_by_field_name("function")
    chain = member_chain(callee) if callee is not None else None
    name = ".".join(chain) if chain else ""
    if name in ENUMERATING_CALLS:
        return f"passing it to `{name}`"
    if name == "Object.assign" and arguments.named_children[0] != wrapper:
        return "copying it with `Object.assign`"
    return None


def _is_assignment_target(ref: ts.Node) -> bool:
    parent = ref.parent
    return (
        parent is not None
        and parent.type in ("assignment_expression", "augmented_assignment_expression")
        and parent.child_by_field_name("left") == ref
    )


def _declaration_scope(declarator: ts.Node) -> ts.Node | None:
    """The block a `const`/`let`/`var` declarator's name lives in."""
    declaration = declarator.parent
    if declaration is None or declaration.type not in _DECLARATIONS:
        return None
    return declaration.parent


def _in_type(node: ts.Node) -> bool:
    """`typeof params.id` in a type annotation reads nothing at run time."""
    parent = node.parent
    return parent is not None and parent.type == "type_query"


def _fix(source: SourceFile) -> str:
    if is_client_module(source):
        return "unwrap it with React `use()` (a client component cannot `await`)"
    return "`await` it"


# Every finding reads a promise found under the key `params` or `searchParams` (both
# end in `arams`), in a route file, a page or a layout: the engine skips the check on
# other files.
NEEDS = prefilter.needs(prefilter.has_text(b"arams"), roles=[Role.ROUTE, Role.PAGE, Role.LAYOUT])


def check(source: SourceFile, ctx: RuleContext) -> None:
    route = is_route_file(source)
    if not (route or is_page_like(source)) or source.is_declaration_file:
        return
    # Every finding reads a promise found under the key `params` or `searchParams`
    # (both end in `arams`); only a string key (`props["p\x61rams"]`) can spell it
    # otherwise. A route file's promises come from its handlers alone.
    if lacks_text(source, b"arams") or (route and lacks_handlers(source)):
        return
    reported: set[tuple[int, int]] = set()
    accesses = [a for origin in _sources(source) for a in _Tracker(source, origin).run()]
    if not accesses:
        return
    fix = _fix(source)  # the directives are read only where there is something to report
    for access in sorted(accesses, key=lambda a: (a.node.start_byte, a.node.end_byte)):
        key = (access.node.start_byte, access.node.end_byte)
        if key in reported:
            continue
        reported.add(key)
        ctx.report(access.node, promise=access.promise, fix=fix, use=access.use)
