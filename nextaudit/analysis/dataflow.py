"""Local def-use tracking: where one value flows inside a function body.

`trace()` starts from expressions (e.g. an `await req.json()` call) and/or binding
identifiers (e.g. a parameter) and follows the value upward through the expressions
that carry it and across the variables it is bound to, within one scope. It never
follows a value into another function through a call (callers do that with
`parameter_bindings()` when they know the callee), and it walks parent links and
query results only, never recursing over the tree.

Two modes:
- *derived* (default): anything computed from the value carries it: `body.email`,
  `body["x"]`, `form.get("f")`, `{ ...body, id }`, `[body]`, `body ?? {}`,
  `` `${body.x}` ``, `f(body)` (a call's result when the value is a direct argument),
  destructured names (`const { a, ...r } = body`), `for (const x of body.items)`, and
  the first parameter of a callback passed to a method of the value
  (`body.items.map((item) => ...)`, `req.json().then((data) => ...)`);
- *whole*: only what is still the same object: parentheses, casts, `await`,
  `body ?? {}`, ternary branches, methods listed in `identity_methods`
  (`.catch()`, `.clone()`), plain aliases (`const b = body`, `b = body`) and the rest of
  an object destructuring (`const { id, ...rest } = body`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

import tree_sitter as ts

from nextaudit.analysis.bindings import (
    DECLARING_SCOPES,
    NAME_BYTES,
    declared_in_statements,
    identifiers_named,
    is_shadowed,
    pattern_names,
    scope_declares,
)
from nextaudit.analysis.syntax import (
    FUNCTION_LITERAL_TYPES,
    FUNCTION_TYPES,
    call_arguments,
    enclosing_function,
    function_parameters,
    member_chain,
    parameter_pattern,
    parent_of,
    text,
    unwrap,
)
from nextaudit.source import SourceFile

# Nodes that hand their operand's value on unchanged.
_TRANSPARENT = frozenset(
    {
        "parenthesized_expression",
        "as_expression",
        "non_null_expression",
        "satisfies_expression",
        "type_assertion",
        "await_expression",
    }
)
_FALLBACK_OPERATORS = frozenset({"??", "||", "&&"})
_PATTERN_PARENTS = frozenset(
    {
        "object_pattern",
        "array_pattern",
        "rest_pattern",
        "pair_pattern",
        "required_parameter",
        "optional_parameter",
        "formal_parameters",
        "catch_clause",
        "import_specifier",
        "import_clause",
        "namespace_import",
        "function_declaration",
        "function_expression",
        "generator_function_declaration",
        "class_declaration",
        "method_definition",
    }
)
# Calls whose result is the argument's data itself, re-shaped (not a new value such as
# a Response): a value returned through them still counts as "the value".
DATA_PRESERVING_CALLS = frozenset(
    {"JSON.parse", "Object.fromEntries", "Object.assign", "structuredClone"}
)
_REFERENCE_TYPES = frozenset({"identifier", "shorthand_property_identifier"})
_REDUCERS = frozenset({"reduce", "reduceRight"})

StopAt = Callable[[ts.Node, int], bool]


@dataclass(frozen=True)
class Returned:
    """An expression carrying the value that `function` returns (a `return` argument
    or an arrow's expression body). `through_call` is True when the value got there as
    an argument of a call other than the DATA_PRESERVING_CALLS
    (`return NextResponse.json(body)`)."""

    node: ts.Node
    function: ts.Node | None
    through_call: bool


@dataclass
class ValueFlow:
    """What `trace()` found. `expressions` holds every expression node that carries
    the value (each step of each climb), `bindings` the identifiers bound to it,
    `arguments` each (call or `new`, argument index) it is passed to, directly or inside
    an object/array literal, `stopped` those of them where `stop_at` ended the flow,
    `returns` what the function returns of it; `used` says whether the value (or a
    variable bound to it) is read at all, as opposed to discarded or never referenced."""

    expressions: list[ts.Node] = field(default_factory=list)
    bindings: list[ts.Node] = field(default_factory=list)
    arguments: list[tuple[ts.Node, int]] = field(default_factory=list)
    stopped: list[tuple[ts.Node, int]] = field(default_factory=list)
    returns: list[Returned] = field(default_factory=list)
    used: bool = False

    def carries(self, node: ts.Node) -> bool:
        """True when `node` is one of the expressions that carry the value."""
        return node in set(self.expressions)


# Scopes `scope_declares` can answer True for, and the program.
_SCOPE_TYPES = DECLARING_SCOPES | {"program"}
_DIRECT_STEPS = 8
# Parents of an identifier that only use the name: it declares nothing there.
_USING_PARENTS = frozenset(
    {
        "call_expression",
        "member_expression",
        "subscript_expression",
        "arguments",
        "await_expression",
        "parenthesized_expression",
        "return_statement",
        "expression_statement",
        "binary_expression",
        "unary_expression",
        "ternary_expression",
        "template_substitution",
        "spread_element",
        "array",
        "pair",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
    }
)
# Named leaves spelled like a name that never declare it.
_NOT_DECLARING = frozenset({"property_identifier", "shorthand_property_identifier"})


def names_in_scope(
    source: SourceFile, name: str, scope: ts.Node, types: Collection[str]
) -> tuple[list[ts.Node], bool]:
    """`identifiers_named(source, name, scope, types)`, and whether a scope strictly
    inside `scope` may declare `name`: when it cannot (False), `is_shadowed(ref, name,
    scope)` is False for every reference inside `scope`, and need not climb from each.

    Both come from one pass over the occurrences of `name` in the scope's bytes. A
    declaration's name node is spelled `name`, and its nearest scope-like ancestor is
    the scope it declares into (only patterns, declarators and parameters lie
    between them): an occurrence whose node only uses the name (a call, a member
    read, a property name) declares nothing, and one whose nearest scope-like
    ancestor is `scope` itself declares nothing strictly inside it.
    """
    needle = name.encode("utf-8")
    if not needle:
        return identifiers_named(source, name, scope, types), True
    content = source.content
    root = source.root
    end = scope.end_byte
    size = len(needle)
    found: list[ts.Node] = []
    may_shadow = False
    at = content.find(needle, scope.start_byte, end)
    while at != -1:
        stop = at + size
        if stop >= len(content) or content[stop] not in NAME_BYTES:
            leaf = root.named_descendant_for_byte_range(at, stop)
            if leaf is not None and leaf.start_byte == at and leaf.end_byte == stop:
                kind = leaf.type
                if kind in types:
                    found.append(leaf)
                if not may_shadow and kind not in _NOT_DECLARING:
                    may_shadow = _may_declare_inside(leaf, scope)
        at = content.find(needle, at + 1, end)
    return found, may_shadow


def _may_declare_inside(node: ts.Node, scope: ts.Node) -> bool:
    """Whether the name node `node`, inside `scope`, may declare its name in a scope
    strictly inside `scope`."""
    parent = node.parent
    if node.type == "identifier" and parent is not None and parent.type in _USING_PARENTS:
        return False
    while parent is not None:
        if parent == scope:
            return False
        if parent.type in _SCOPE_TYPES:
            return True
        parent = parent.parent
    return True


def parameter_bindings(function: ts.Node, index: int) -> list[ts.Node]:
    """The name nodes bound by the `index`-th parameter of `function` (every name of a
    destructuring pattern; a TypeScript `this` parameter is not counted); empty when
    there is no such parameter."""
    params = [p for p in function_parameters(function) if parameter_pattern(p).type != "this"]
    if index >= len(params):
        return []
    return [node for _name, node in pattern_names(params[index])]


def called_function(
    call: ts.Node, cache: dict[tuple[int, str], ts.Node | None] | None = None
) -> ts.Node | None:
    """The function a plain `f(...)` call invokes when this file declares `f` in a scope
    around the call: a top-level or nested `function f` or `const f = (...) => ...`.
    None for methods, parameters, imports and anything else. Pass the same `cache` for
    the calls of one file: each scope is then searched once per name."""
    callee = call.child_by_field_name("function")
    if callee is None or unwrap(callee).type != "identifier":
        return None
    name = text(unwrap(callee))
    climbed: list[ts.Node] = []
    found: ts.Node | None = None
    current = parent_of(call)
    while current is not None:
        key = (current.id, name)
        if cache is not None and key in cache:
            found = cache[key]
            break
        climbed.append(current)
        if current.type in ("statement_block", "program"):
            declared = declared_in_statements(current, name)
            if declared is not None:
                found = _declared_function(declared)
                break
        elif _declares_non_function(current, name):
            break  # a parameter, caught error or loop variable: any function at all
        current = parent_of(current)
    if cache is not None:
        for scope in climbed:
            cache[(scope.id, name)] = found
    return found


def _declares_non_function(scope: ts.Node, name: str) -> bool:
    kind = scope.type
    if kind in FUNCTION_TYPES or kind in ("catch_clause", "for_in_statement"):
        return scope_declares(scope, name)
    return False


def _declared_function(name: ts.Node) -> ts.Node | None:
    declaration = parent_of(name)
    if declaration is None:
        return None
    if declaration.type in ("function_declaration", "generator_function_declaration"):
        return declaration
    if (
        declaration.type == "variable_declarator"
        and declaration.child_by_field_name("name") == name
    ):
        value = declaration.child_by_field_name("value")
        if value is not None and unwrap(value).type in FUNCTION_LITERAL_TYPES:
            return unwrap(value)
    return None


def argument_index(arguments: ts.Node, node: ts.Node) -> int:
    """Position of `node` (a direct child) among a call's arguments, comments skipped."""
    index = 0
    for child in arguments.named_children:
        if child == node:
            return index
        if child.type != "comment":
            index += 1
    return -1


def _call_path(call: ts.Node) -> str:
    callee = call.child_by_field_name("function") or call.child_by_field_name("constructor")
    chain = member_chain(callee) if callee is not None else None
    return ".".join(chain) if chain else ""


def _member_root(member: ts.Node) -> ts.Node | None:
    """`a.b.c` -> the identifier `a` (None when the chain starts with anything else)."""
    current = unwrap(member)
    while current.type in ("member_expression", "subscript_expression"):
        inner = current.child_by_field_name("object")
        if inner is None:
            return None
        current = unwrap(inner)
    return current if current.type == "identifier" else None


def _is_binding_position(ref: ts.Node) -> bool:
    """True when the identifier declares or overwrites a name rather than reading it."""
    parent = parent_of(ref)
    if parent is None:
        return True
    kind = parent.type
    if kind in _PATTERN_PARENTS:
        return True
    if kind == "variable_declarator":
        return parent.child_by_field_name("name") == ref
    if kind in ("assignment_pattern", "object_assignment_pattern"):
        return parent.child_by_field_name("left") == ref
    if kind in ("assignment_expression", "for_in_statement"):
        return parent.child_by_field_name("left") == ref
    if kind == "arrow_function":
        return parent.child_by_field_name("parameter") == ref
    return False


def _declaring_scope(binding: ts.Node, name: str, limit: ts.Node) -> ts.Node:
    """The nearest scope around `binding` that declares `name`, never beyond `limit`."""
    # A binding is mostly a parameter a few steps below `limit`: `Node.parent` (a walk
    # down in C) takes those steps for less than `parent_of` records the whole path
    # from the root; further up, `parent_of` keeps a deep climb linear.
    current = binding.parent
    steps = 0
    while current is not None:
        # `limit` is the answer whether or not it declares `name` (most bindings are its
        # parameters): it is not asked.
        if current == limit:
            break
        if current.type in DECLARING_SCOPES and scope_declares(current, name):
            return current
        steps += 1
        current = current.parent if steps < _DIRECT_STEPS else parent_of(current)
    return limit


class _Tracer:
    def __init__(
        self,
        source: SourceFile,
        scope: ts.Node,
        *,
        whole: bool,
        identity_methods: Collection[str],
        stop_at: StopAt | None,
    ) -> None:
        self.source = source
        self.scope = scope
        self.whole = whole
        self.identity_methods = identity_methods
        self.stop_at = stop_at
        self.flow = ValueFlow()
        # node -> through_call of its best visit (False beats True)
        self.visited: dict[ts.Node, bool] = {}
        self.work: list[tuple[ts.Node, bool, bool]] = []  # (node, is_binding, through_call)
        self.references: dict[tuple[int, str], tuple[list[ts.Node], bool]] = {}
        self.declares: dict[tuple[int, str], bool] = {}  # is_shadowed's memo

    def push(self, node: ts.Node, *, binding: bool, through_call: bool) -> None:
        seen = self.visited.get(node)
        if seen is not None and (seen is False or through_call):
            return
        self.visited[node] = through_call
        self.work.append((node, binding, through_call))

    def run(self) -> ValueFlow:
        while self.work:
            node, binding, through_call = self.work.pop()
            if binding:
                self.flow.bindings.append(node)
                for ref in self.references_of(node):
                    self.push(ref, binding=False, through_call=through_call)
            else:
                self.climb(node, through_call)
        self.flow.expressions.sort(key=lambda n: n.start_byte)
        return self.flow

    # --- bindings -----------------------------------------------------------------
    def references_of(self, binding: ts.Node) -> list[ts.Node]:
        name = text(binding)
        scope = _declaring_scope(binding, name, self.scope)
        found = []
        refs, may_shadow = self.identifiers_in(scope, name)
        for ref in refs:
            if ref == binding or _is_binding_position(ref):
                continue
            if not may_shadow or not is_shadowed(ref, name, scope, self.declares):
                found.append(ref)
        return found

    def identifiers_in(self, scope: ts.Node, name: str) -> tuple[list[ts.Node], bool]:
        """The identifiers (and `{ name }` shorthands) spelled `name` in `scope`, and
        whether a scope inside it may declare `name` (`names_in_scope`)."""
        key = (scope.id, name)
        cached = self.references.get(key)
        if cached is None:
            cached = names_in_scope(self.source, name, scope, _REFERENCE_TYPES)
            self.references[key] = cached
        return cached

    def bind_pattern(self, pattern: ts.Node, through_call: bool) -> None:
        pattern = unwrap(pattern)
        if pattern.type == "identifier":
            self.push(pattern, binding=True, through_call=through_call)
            return
        if self.whole:
            # Only the rest of an object destructuring is still (most of) the object.
            if pattern.type == "object_pattern":
                for child in pattern.named_children:
                    if child.type == "rest_pattern":
                        self.bind_pattern(child.named_children[0], through_call)
            return
        if pattern.type == "member_expression":  # `input.data = body`: `input` carries it
            root = _member_root(pattern)
            if root is not None:
                self.push(root, binding=True, through_call=through_call)
            return
        for _name, node in pattern_names(pattern):
            self.push(node, binding=True, through_call=through_call)

    def bind_callback_parameters(self, call: ts.Node, method: str, through_call: bool) -> None:
        """`items.map((item) => ...)`: the callback's element parameter carries the value."""
        for argument in call_arguments(call):
            callback = unwrap(argument)
            if callback.type not in FUNCTION_LITERAL_TYPES:
                continue
            indexes = (0, 1) if method in _REDUCERS else (0,)
            for index in indexes:
                if method in _REDUCERS and index == 0:
                    continue  # the accumulator is not an element
                for node in parameter_bindings(callback, index):
                    self.push(node, binding=True, through_call=through_call)

    # --- expressions --------------------------------------------------------------
    def climb(self, node: ts.Node, through_call: bool) -> None:
        current = node
        while True:
            self.flow.expressions.append(current)
            step = self.step(current, through_call)
            if step is None:
                return
            current, through_call = step
            seen = self.visited.get(current)
            if seen is not None and (seen is False or through_call):
                return
            self.visited[current] = through_call

    def step(self, node: ts.Node, through_call: bool) -> tuple[ts.Node, bool] | None:
        """The next expression up that carries the value, or None (recording why)."""
        parent = parent_of(node)
        if parent is None:
            return None
        kind = parent.type
        if kind in _TRANSPARENT:
            return parent, through_call
        if kind == "binary_expression":
            operator = parent.child_by_field_name("operator")
            if operator is not None and text(operator) in _FALLBACK_OPERATORS:
                return parent, through_call
            self.flow.used = True
            return None
        if kind == "ternary_expression":
            self.flow.used = True
            if parent.child_by_field_name("condition") == node:
                return None
            return parent, through_call
        if kind in ("member_expression", "subscript_expression"):
            return self.member_step(node, parent, through_call)
        if kind == "arguments":
            return self.argument_step(node, parent, through_call)
        if kind == "call_expression" and parent.child_by_field_name("function") == node:
            self.flow.used = True  # the value is called: `body()`
            return None if self.whole else (parent, through_call)
        if kind == "variable_declarator" and parent.child_by_field_name("value") == node:
            name = parent.child_by_field_name("name")
            if name is not None:
                self.bind_pattern(name, through_call)
            return None
        if kind == "assignment_expression" and parent.child_by_field_name("right") == node:
            left = parent.child_by_field_name("left")
            if left is not None:
                self.bind_pattern(left, through_call)
            return None
        if kind == "for_in_statement" and parent.child_by_field_name("right") == node:
            self.flow.used = True
            left = parent.child_by_field_name("left")
            if left is not None and not self.whole:
                self.bind_pattern(left, through_call)
            return None
        if kind == "return_statement" or (
            kind == "arrow_function" and parent.child_by_field_name("body") == node
        ):
            self.flow.used = True
            function = parent if kind == "arrow_function" else enclosing_function(parent)
            self.flow.returns.append(Returned(node, function, through_call))
            return None
        if kind == "expression_statement":
            return None  # the value is discarded
        self.flow.used = True
        if self.whole:
            return None
        if kind in ("pair", "spread_element"):
            container = parent_of(parent)
            if container is None or (
                kind == "pair" and parent.child_by_field_name("value") != node
            ):
                return None
            if container.type == "arguments":
                return self.argument_step(parent, container, through_call)
            return container, through_call
        if kind in ("object", "array", "template_string", "sequence_expression"):
            return parent, through_call
        template = parent_of(parent) if kind == "template_substitution" else None
        return (template, through_call) if template is not None else None

    def member_step(
        self, node: ts.Node, member: ts.Node, through_call: bool
    ) -> tuple[ts.Node, bool] | None:
        self.flow.used = True
        if member.child_by_field_name("object") != node:
            return None  # `x[body.key]`: the index does not make `x` the value
        call = parent_of(member)
        is_method = (
            call is not None
            and call.type == "call_expression"
            and call.child_by_field_name("function") == member
        )
        method = text(member.child_by_field_name("property"))
        if self.whole:
            if is_method and call is not None and method in self.identity_methods:
                return call, through_call
            return None
        if is_method and call is not None:
            self.bind_callback_parameters(call, method, through_call)
            return call, through_call
        return member, through_call

    def argument_step(
        self, node: ts.Node, arguments: ts.Node, through_call: bool
    ) -> tuple[ts.Node, bool] | None:
        self.flow.used = True
        call = parent_of(arguments)
        if call is None or call.type not in ("call_expression", "new_expression"):
            return None
        index = argument_index(arguments, node)
        self.flow.arguments.append((call, index))
        if self.stop_at is not None and self.stop_at(call, index):
            self.flow.stopped.append((call, index))
            return None
        if self.whole:
            return None
        direct = node.type not in ("pair", "spread_element")
        if not direct:
            return None
        return call, through_call or _call_path(call) not in DATA_PRESERVING_CALLS


def trace(
    source: SourceFile,
    scope: ts.Node,
    *,
    expressions: Iterable[ts.Node] = (),
    bindings: Iterable[ts.Node] = (),
    whole: bool = False,
    identity_methods: Collection[str] = (),
    stop_at: StopAt | None = None,
) -> ValueFlow:
    """Follow a value from `expressions` (nodes that evaluate to it) and `bindings`
    (identifiers bound to it) through `scope` (usually the function around them).

    `stop_at(call, index)` is asked whenever the value reaches argument `index` of a
    call; when it answers True the flow ends there (a sanitizer, a validator) and the
    call is listed in `stopped`.
    """
    tracer = _Tracer(source, scope, whole=whole, identity_methods=identity_methods, stop_at=stop_at)
    for node in expressions:
        tracer.push(node, binding=False, through_call=False)
    for node in bindings:
        tracer.push(node, binding=True, through_call=False)
    return tracer.run()
