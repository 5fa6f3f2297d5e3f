"""no-unsafe-raw-sql: SQL text built at run time and handed to a raw-SQL API.

Three shapes, each on any receiver (`prisma.`, `tx.`, `this.db.`, `getPrisma().`):
- `$queryRawUnsafe(sql, ...)` / `$executeRawUnsafe(sql, ...)` whose `sql` is not constant;
- `Prisma.raw(x)` / `sql.raw(x)` whose `x` is not constant;
- `$queryRaw(x)` / `$executeRaw(x)` called with parentheses (not as a tagged template)
  whose `x` is neither constant nor a parameterised `Prisma.sql` query.

"Constant" is decided by a small evaluator over the argument: literals, literal-only
templates and `+` chains, `?:` between constants, numeric coercions, and names and
same-file functions that only ever produce such values.

Pre-filter: each shape names its method as written (`$queryRaw...`, `$executeRaw...`,
`.raw`: the text of an identifier is its bytes, an escape in it is no longer that name),
so a file whose bytes hold neither `Raw` nor `raw` is skipped unparsed; in the others
the calls are found from the tokens that spell the methods, not by walking the tree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import (
    declared_in_statements,
    declaring_scope,
    identifiers_named,
)
from nextaudit.analysis.flow import owning_function
from nextaudit.analysis.imports import import_bindings
from nextaudit.analysis.syntax import (
    FUNCTION_TYPES,
    call_arguments,
    function_body,
    function_parameters,
    member_chain,
    parameter_pattern,
    parent_of,
    text,
    unwrap,
)
from nextaudit.context import RuleContext
from nextaudit.source import SourceFile

# `$queryRaw(...)`, `x.$executeRawUnsafe(...)`, `await x.$queryRaw<T>(...)` (tree-sitter
# parses the last as a call of `await x.$queryRaw`), and the same with `.raw(...)`.
_PRISMA_RAW_METHODS = frozenset(
    {"$queryRaw", "$executeRaw", "$queryRawUnsafe", "$executeRawUnsafe"}
)
_METHOD_NAMES = frozenset({"identifier", "property_identifier"})
_PROPERTY_NAMES = frozenset({"property_identifier"})
_RAW_HELPER = "raw"
_RAW_HELPERS = frozenset({_RAW_HELPER})
# With filters off, the calls are found by walking the tree with these queries, as they
# were before they were found from the bytes; tests/test_prefilter.py runs the rule both
# ways and demands the same findings.
_PRISMA_RAW_CALLS = """
(call_expression
  function: [
    (member_expression property: (property_identifier) @method)
    (identifier) @method
    (await_expression (member_expression property: (property_identifier) @method))
  ]
  (#match? @method "^[$](queryRaw|executeRaw)(Unsafe)?$")) @call
"""
_RAW_HELPER_CALLS = """
(call_expression
  function: [
    (member_expression property: (property_identifier) @method)
    (await_expression (member_expression property: (property_identifier) @method))
  ]
  (#eq? @method "raw")) @call
"""
_ASSIGNMENTS = """
[
  (assignment_expression left: (identifier) @name right: (_) @value)
  (augmented_assignment_expression left: (identifier) @name right: (_) @value)
]
"""
_RETURNS = "(return_statement (_) @value)"

_UNSAFE_METHODS = frozenset({"$queryRawUnsafe", "$executeRawUnsafe"})
# Types that only ever hold a parameterised query (or the strings of a tagged
# template, forwarded by a wrapper `(strings: TemplateStringsArray, ...values)`).
_SQL_TYPES = frozenset({"Prisma.Sql", "Sql", "TemplateStringsArray"})
_NULLISH_TYPES = frozenset({"undefined", "null"})
# Calls whose result is a number: `LIMIT ${Number(limit)}` cannot carry SQL.
_NUMERIC_FUNCTIONS = frozenset({"Number", "parseInt", "parseFloat"})
_NUMERIC_NAMESPACES = frozenset({"Math", "Number"})
# Operators whose result is a number or a boolean whatever their operands hold.
_NUMBER_OR_BOOLEAN_OPERATORS = frozenset(
    {"-", "*", "/", "%", "**", "&", "|", "^", "<<", ">>", ">>>"}
    | {"<", ">", "<=", ">=", "==", "===", "!=", "!==", "in", "instanceof"}
)
_PRISMA_SQL_HELPERS = frozenset({"sql", "join", "raw"})
# How many expressions the evaluator looks at for one argument before giving up
# (and reporting): names that lead to names that lead to calls...
_BUDGET = 256

_UNSAFE_MESSAGE = (
    "`{method}` runs {argument} as SQL text: any input that reaches it can rewrite the"
    " query (SQL injection). Keep the text constant and pass values as parameters: the"
    " tagged template $queryRaw`... ${{value}}` or Prisma.sql, or $1, $2 placeholders"
    " with the values as further arguments"
)
_RAW_HELPER_MESSAGE = (
    "`{method}(...)` pastes {argument} into the SQL verbatim: any input that reaches it"
    " can rewrite the query (SQL injection). Pass values as parameters of a"
    " Prisma.sql`... ${{value}}` query and choose identifiers from a fixed list of literals"
)
_CALLED_MESSAGE = (
    "`{method}(...)` is called as a function with {argument}, which is not a"
    " parameterised query: any input in it can rewrite the query (SQL injection). Write"
    " it as a tagged template, {method}`... ${{value}}` without parentheses, or pass a"
    " Prisma.sql`...` query"
)


# A method of the rule spelled in the bytes (module docstring; `Raw` is in both Prisma
# words); the engine skips the check on other files.
NEEDS = prefilter.needs(prefilter.has(b"Raw", _RAW_HELPER.encode()))


def check(source: SourceFile, ctx: RuleContext) -> None:
    if not NEEDS.met_by(source):  # for callers other than the engine
        return
    evaluator = _Evaluator(source)
    if prefilter.ENABLED:
        raw_calls = _calls_of(source, _PRISMA_RAW_METHODS, bare=True)
        helper_calls = _calls_of(source, _RAW_HELPERS, bare=False)
    else:
        raw_calls = source.nodes(_PRISMA_RAW_CALLS, "call")
        helper_calls = source.nodes(_RAW_HELPER_CALLS, "call")
    for call in raw_calls:
        _check_prisma_raw_call(ctx, evaluator, call)
    for call in helper_calls:
        _check_raw_helper_call(ctx, evaluator, call)


def _calls_of(source: SourceFile, methods: frozenset[str], *, bare: bool) -> list[ts.Node]:
    """Calls of `methods`, in source order: `x.m(...)`, `await x.m<T>(...)` (a call of
    `await x.m` to tree-sitter), and with `bare` also `m(...)`. Found from the names
    that spell the methods (`identifiers_named`), not by walking the tree."""
    kinds = _METHOD_NAMES if bare else _PROPERTY_NAMES
    calls: list[ts.Node] = []
    for method in sorted(methods):
        for name in identifiers_named(source, method, types=kinds):
            call = _call_of_method(name)
            if call is not None:
                calls.append(call)
    return sorted(calls, key=lambda call: (call.start_byte, call.end_byte))


def _call_of_method(method: ts.Node) -> ts.Node | None:
    """The call whose callee names `method` as one of the shapes of `_calls_of`."""
    parent = parent_of(method)
    if parent is None:
        return None
    if method.type == "identifier":  # `$queryRaw(...)`
        called = parent if parent.type == "call_expression" else None
        return called if called is not None and _is_callee(called, method) else None
    if parent.type != "member_expression" or method not in parent.children_by_field_name(
        "property"
    ):
        return None
    function = parent
    holder = parent_of(parent)
    if holder is not None and holder.type == "await_expression":
        function, holder = holder, parent_of(holder)
    if holder is None or holder.type != "call_expression" or not _is_callee(holder, function):
        return None
    return holder


def _is_callee(call: ts.Node, node: ts.Node) -> bool:
    return node in call.children_by_field_name("function")


def _check_prisma_raw_call(ctx: RuleContext, evaluator: _Evaluator, call: ts.Node) -> None:
    if _is_tagged_template(call):
        # $queryRaw`... ${x}` sends `x` as a bind parameter: the safe form.
        return
    method = _method_name(call)
    if method in _UNSAFE_METHODS:
        _report_unless(ctx, call, evaluator.is_constant, _UNSAFE_MESSAGE, method)
    else:
        _report_unless(ctx, call, evaluator.is_parameterised, _CALLED_MESSAGE, method)


def _check_raw_helper_call(ctx: RuleContext, evaluator: _Evaluator, call: ts.Node) -> None:
    if _is_tagged_template(call):
        return
    callee = _callee(call)
    receiver = callee.child_by_field_name("object")
    if receiver is None:
        return
    name = evaluator.raw_helper_receiver(receiver)
    if name is not None:
        _report_unless(ctx, call, evaluator.is_constant, _RAW_HELPER_MESSAGE, f"{name}.raw")


def _report_unless(
    ctx: RuleContext,
    call: ts.Node,
    is_safe: Callable[[ts.Node], bool],
    message: str,
    method: str,
) -> None:
    arguments = call_arguments(call)
    if not arguments:
        ctx.report(call, message=message, method=method, argument="no SQL text at all")
        return
    first = arguments[0]
    if first.type != "spread_element" and is_safe(first):
        return
    ctx.report(first, message=message, method=method, argument=_describe(first))


def _is_tagged_template(call: ts.Node) -> bool:
    arguments = call.child_by_field_name("arguments")
    return arguments is not None and arguments.type == "template_string"


def _callee(call: ts.Node) -> ts.Node:
    """The called expression. tree-sitter parses `await x.m<T>(...)` as a call of
    `await x.m` (the type arguments bind first): the `await` is looked through."""
    callee = unwrap(call.child_by_field_name("function") or call)
    if callee.type == "await_expression" and callee.named_child_count:
        callee = unwrap(callee.named_children[-1])
    return callee


def _method_name(call: ts.Node) -> str:
    callee = _callee(call)
    if callee.type == "member_expression":
        return text(callee.child_by_field_name("property"))
    return text(callee)


def _describe(argument: ts.Node) -> str:
    """How the message names what was passed."""
    node = unwrap(argument)
    kind = node.type
    if kind == "spread_element":
        return "spread arguments"
    if kind == "template_string":
        return "a template literal with `${}` substitutions"
    if kind == "binary_expression" and text(node.child_by_field_name("operator")) == "+":
        return "a string concatenation"
    if kind == "identifier":
        return f"the variable `{text(node)}`"
    if kind in ("call_expression", "await_expression"):
        return "the result of a call"
    if kind in ("member_expression", "subscript_expression"):
        return "a property value"
    if kind == "ternary_expression":
        return "a conditional expression"
    return "a value computed at run time"


@dataclass(frozen=True)
class _Writes:
    """What a name may hold: the values written to it, and whether its declared type
    is a parameterised query."""

    values: tuple[ts.Node, ...]
    sql_typed: bool


class _Evaluator:
    """Decides whether an expression is constant SQL text (or, for `$queryRaw(...)`,
    a parameterised query), following names and same-file functions."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self._prisma_names: set[str] | None = None
        self._sql_names: set[str] | None = None

    # --- names that mean Prisma / sql, imports renamed or not ------------------------
    def _load_names(self) -> tuple[set[str], set[str]]:
        if self._prisma_names is None or self._sql_names is None:
            prisma = {"Prisma"}
            sql = {"sql"}
            for binding in import_bindings(self.source):
                if binding.imported == "Prisma":
                    prisma.add(binding.local)
                elif binding.imported in ("sql", "sqltag"):
                    sql.add(binding.local)
            self._prisma_names, self._sql_names = prisma, sql
        return self._prisma_names, self._sql_names

    def raw_helper_receiver(self, receiver: ts.Node) -> str | None:
        """`Prisma` / `sql` (or a renamed import of either, or `ns.Prisma`) as written."""
        chain = member_chain(receiver)
        if not chain:
            return None
        prisma, sql = self._load_names()
        last = chain[-1]
        if len(chain) == 1 and (last in prisma or last in sql):
            return last
        if len(chain) > 1 and last in ("Prisma", "sql"):
            return ".".join(chain)
        return None

    def _is_sql_tag(self, tag: ts.Node) -> bool:
        """`Prisma.sql`, `sql`, `ns.Prisma.sql`, or their renamed imports."""
        chain = member_chain(tag)
        if not chain:
            return False
        prisma, sql = self._load_names()
        if len(chain) == 1:
            return chain[0] in sql
        return chain[-1] == "sql" and (chain[-2] in prisma or chain[-2] == "Prisma")

    def _is_prisma_helper(self, callee: ts.Node) -> bool:
        """`Prisma.join(...)`, `Prisma.raw(...)` (checked on its own), `Prisma.sql(...)`."""
        chain = member_chain(callee)
        if not chain or len(chain) < 2 or chain[-1] not in _PRISMA_SQL_HELPERS:
            return False
        prisma, _sql = self._load_names()
        return chain[-2] in prisma or chain[-2] == "Prisma"

    def _is_prisma_empty(self, node: ts.Node) -> bool:
        chain = member_chain(node)
        prisma, _sql = self._load_names()
        return (
            chain is not None and len(chain) >= 2 and chain[-1] == "empty" and (chain[-2] in prisma)
        )

    # --- the evaluation ------------------------------------------------------------
    def is_constant(self, node: ts.Node) -> bool:
        return self._evaluate(node, allow_sql=False)

    def is_parameterised(self, node: ts.Node) -> bool:
        return self._evaluate(node, allow_sql=True)

    def _evaluate(self, node: ts.Node, *, allow_sql: bool) -> bool:
        """True when every value `node` can take is safe; a worklist, not recursion."""
        pending = [node]
        seen: set[int] = set()
        budget = _BUDGET
        while pending:
            current = unwrap(pending.pop())
            if current.id in seen:
                continue
            seen.add(current.id)
            budget -= 1
            if budget < 0:
                return False
            verdict = self._step(current, allow_sql)
            if verdict is None:
                return False
            pending.extend(verdict)
        return True

    def _step(self, node: ts.Node, allow_sql: bool) -> list[ts.Node] | None:
        """The expressions `node` is safe if all are safe ([] = safe), None = unsafe."""
        kind = node.type
        if kind in ("string", "number", "true", "false", "null", "undefined"):
            return []
        if kind == "template_string":
            return [
                part
                for sub in node.named_children
                if sub.type == "template_substitution"
                for part in sub.named_children
                if part.type != "comment"
            ]
        if kind == "binary_expression":
            operator = text(node.child_by_field_name("operator"))
            if operator in _NUMBER_OR_BOOLEAN_OPERATORS:
                return []
            if operator not in ("+", "??", "||", "&&"):
                return None
            return _present(node.child_by_field_name("left"), node.child_by_field_name("right"))
        if kind == "ternary_expression":
            return _present(
                node.child_by_field_name("consequence"), node.child_by_field_name("alternative")
            )
        if kind == "unary_expression":
            operator = text(node.child_by_field_name("operator"))
            return [] if operator in ("+", "-", "~", "!", "typeof") else None
        if kind == "await_expression":
            return [c for c in node.named_children if c.type != "comment"]
        if kind == "identifier":
            return self._name_values(node, allow_sql)
        if kind == "call_expression":
            return self._call_values(node, allow_sql)
        if kind == "member_expression" and allow_sql and self._is_prisma_empty(node):
            return []
        return None

    def _call_values(self, call: ts.Node, allow_sql: bool) -> list[ts.Node] | None:
        callee = _callee(call)
        if _is_tagged_template(call):
            return [] if allow_sql and self._is_sql_tag(callee) else None
        if allow_sql and self._is_prisma_helper(callee):
            return []
        if _is_numeric_call(callee):
            return []
        if callee.type != "identifier":
            return None
        function = self._function_named(callee)
        if function is None:
            return None
        return self._return_values(function, allow_sql)

    # --- names -----------------------------------------------------------------------
    def _name_values(self, name: ts.Node, allow_sql: bool) -> list[ts.Node] | None:
        writes = self._writes(name)
        if writes is None:
            return None
        if writes.sql_typed and allow_sql:
            return []
        return list(writes.values) if writes.values else None

    def _writes(self, name: ts.Node) -> _Writes | None:
        """Every value written to the variable `name` refers to, or None when that
        cannot be known (a parameter, an import, a destructuring, a global)."""
        identifier = text(name)
        scope = declaring_scope(name, identifier)
        if scope is None:
            return None
        if scope.type in FUNCTION_TYPES:
            parameter = _parameter_named(scope, identifier)
            if parameter is None:
                return None
            return _Writes((), _has_sql_type(parameter))
        bound = declared_in_statements(scope, identifier)
        declarator = bound.parent if bound is not None else None
        if declarator is None or declarator.type != "variable_declarator":
            return None
        if declarator.child_by_field_name("name") != bound:
            return None
        values = [declarator.child_by_field_name("value")]
        values += self._assigned_values(scope, identifier)
        return _Writes(tuple(v for v in values if v is not None), _has_sql_type(declarator))

    def _assigned_values(self, scope: ts.Node, identifier: str) -> list[ts.Node]:
        found: list[ts.Node] = []
        for match in self.source.matches(_ASSIGNMENTS, scope):
            names, values = match.get("name", []), match.get("value", [])
            if names and values and text(names[0]) == identifier:
                found.append(values[0])
        return found

    def _function_named(self, callee: ts.Node) -> ts.Node | None:
        """The function a plain call `f(...)` invokes, declared in this file in scope."""
        identifier = text(callee)
        scope = declaring_scope(callee, identifier)
        if scope is None or scope.type in FUNCTION_TYPES:
            return None
        bound = declared_in_statements(scope, identifier)
        declaration = bound.parent if bound is not None else None
        if declaration is None:
            return None
        if declaration.type == "variable_declarator":
            value = declaration.child_by_field_name("value")
            declaration = unwrap(value) if value is not None else None
        return (
            declaration if declaration is not None and declaration.type in FUNCTION_TYPES else None
        )

    def _return_values(self, function: ts.Node, allow_sql: bool) -> list[ts.Node] | None:
        if allow_sql and _has_sql_type(function, field="return_type"):
            return []
        body = function_body(function)
        if body is None:
            return None
        if body.type != "statement_block":
            return [body]  # an arrow's expression body
        values = [
            value
            for value in self.source.nodes(_RETURNS, "value", body)
            if owning_function(value) == function
        ]
        return values or None


def _present(*nodes: ts.Node | None) -> list[ts.Node] | None:
    found = [n for n in nodes if n is not None]
    return found if len(found) == len(nodes) else None


def _is_numeric_call(callee: ts.Node) -> bool:
    """`Number(x)`, `parseInt(x)`, `Math.floor(x)`, `Number.parseInt(x)`."""
    chain = member_chain(callee)
    if not chain:
        return False
    if len(chain) == 1:
        return chain[0] in _NUMERIC_FUNCTIONS
    return len(chain) == 2 and chain[0] in _NUMERIC_NAMESPACES


def _parameter_named(function: ts.Node, name: str) -> ts.Node | None:
    for parameter in function_parameters(function):
        pattern = parameter_pattern(parameter)
        if pattern.type == "identifier" and text(pattern) == name:
            return parameter
    return None


def _has_sql_type(node: ts.Node, field: str = "type") -> bool:
    """Annotated `Prisma.Sql`, `Sql` or `TemplateStringsArray` (maybe `| undefined`)."""
    annotation = node.child_by_field_name(field)
    if annotation is None or annotation.type != "type_annotation":
        return False
    written = "".join(text(annotation).lstrip(":").split())
    parts = set(written.split("|"))
    return bool(parts & _SQL_TYPES) and parts <= _SQL_TYPES | _NULLISH_TYPES
