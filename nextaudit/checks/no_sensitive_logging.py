"""no-sensitive-logging: console and logger calls whose arguments carry secrets or
credentials, the whole `process.env`, a handler's whole request or its headers, or the
`headers()` / `cookies()` result of `next/headers`.

Only what reaches the log line counts: an argument, an object literal's keys and
values, array elements, template substitutions, `+` operands, the fallback of `??` /
`||`, ternary branches, and the arguments of calls that only re-shape data
(`JSON.stringify`). Derived values (`!!token`, `token.length`, `mask(token)`,
`token.slice(0, 4)`) and the text of messages (`"token refreshed"`) do not.

Byte pre-filter: a logging call's receiver is an identifier spelled exactly as
`console` or a configured logger, so the file's bytes hold that name, not followed by
more of a name; outside route files (where the whole request needs no name) what it
logs must also show in the bytes: a name the default `sensitive` pattern matches,
`env`, or `next/headers`, unless an escape or a non-ASCII letter that folds to ASCII
spells it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, cast

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import (
    NAME_BYTES,
    const_value,
    declaring_scope,
    identifiers_named,
)
from nextaudit.analysis.flow import handlers
from nextaudit.analysis.imports import names_imported_from
from nextaudit.analysis.syntax import (
    FUNCTION_TYPES,
    call_arguments,
    function_parameters,
    member_chain,
    parameter_pattern,
    string_value,
    text,
    unwrap,
)
from nextaudit.context import RuleContext
from nextaudit.safe_regex import UserPattern, compile_option_regex
from nextaudit.source import SourceFile

CONSOLE = "console"
# Methods of arrays, maps and sets: `log.push(entry)` on an array called `log` is not
# a logging call.
_COLLECTION_METHODS = frozenset(
    {
        "push",
        "unshift",
        "concat",
        "splice",
        "slice",
        "join",
        "map",
        "filter",
        "forEach",
        "find",
        "reduce",
        "some",
        "every",
        "sort",
        "includes",
        "indexOf",
        "set",
        "get",
        "has",
        "add",
        "delete",
        "clear",
    }
)
# Calls whose result is their first argument's data, re-shaped for printing.
_RESHAPING_CALLS = frozenset(
    {
        "JSON.stringify",
        "String",
        "Object.fromEntries",
        "Object.entries",
        "Object.values",
        "Object.assign",
        "Array.from",
        "structuredClone",
        "util.inspect",
        "inspect",
    }
)
# `x.toString()`, `headers.entries()`, `cookieStore.getAll()`: the receiver's data.
_RESHAPING_METHODS = frozenset(
    {
        "toString",
        "toJSON",
        "valueOf",
        "entries",
        "values",
        "trim",
        "trimStart",
        "trimEnd",
        "toLowerCase",
        "toUpperCase",
    }
)
# `headers.get("authorization")`, `formData.get("password")`: reads one named entry.
_KEYED_READS = frozenset({"get", "getAll"})
_NUMERIC_PROPERTIES = frozenset({"length", "size", "count", "total"})
_CONSTANTS = frozenset({"undefined", "NaN", "Infinity"})
# Under a sensitive key, these calls hide the secret rather than carry it.
_REDACTING = re.compile(
    r"mask|redact|hash|obfuscat|truncat|saniti[sz]|scrub|censor|anonymi[sz]|digest|"
    r"fingerprint|slice|substr|"
    # names or facts, not values: `Object.keys(tokens)`, `Boolean(key)`, `k.startsWith(...)`
    r"^(?:keys|Boolean|Number|parseInt|parseFloat|has|includes|startsWith|endsWith|test)$|"
    r"^(?-i:(?:is|has)[A-Z])",
    re.IGNORECASE,
)
_LLM_USAGE = re.compile(r"usage|usage[-_]?metadata|\w*tokens?[-_]?details", re.IGNORECASE)
_LITERALS = frozenset({"string", "number", "true", "false", "null"})
# The parameter of a streaming callback is one generated LLM token, not a credential:
# LangChain's `handleLLMNewToken(token)`, `onToken(token)`.
_STREAMING_CALLBACKS = re.compile(r"handleLLMNewToken|on(?:New)?Token")
_NEXT_HEADERS_APIS = ("headers", "cookies")
_JS_REGEX_LITERAL = re.compile(r"/(.*)/([a-z]*)", re.DOTALL)


def _quoted(names: Sequence[str]) -> str:
    return " ".join('"' + n.replace("\\", "\\\\").replace('"', '\\"') + '"' for n in names)


def _logging_query(receivers: Sequence[str], bare: Sequence[str]) -> str:
    """Calls on a receiver whose last name is a logger (`console.log`, `logger.info`,
    `this.logger.warn`, `req.log.error`, `logger.child(...).info`, `pino().info`) and
    bare `log(...)`."""
    names = _quoted(receivers)
    query = f"""
(call_expression function: (member_expression
  object: (identifier) @receiver (#any-of? @receiver {names}))) @call
(call_expression function: (member_expression
  object: (member_expression property: (property_identifier) @receiver
    (#any-of? @receiver {names})))) @call
(call_expression function: (member_expression
  object: (call_expression function: (member_expression
    object: [(identifier) (member_expression property: (property_identifier))] @receiver
    (#any-of? @receiver {names}))))) @call
(call_expression function: (member_expression
  object: (call_expression function: (identifier) @receiver
    (#any-of? @receiver {names})))) @call
"""
    if bare:
        query += (
            "(call_expression function: (identifier) @receiver "
            f"(#any-of? @receiver {_quoted(bare)})) @call\n"
        )
    return query


def _receiver_name(receiver: ts.Node) -> str:
    if receiver.type == "member_expression":
        return text(receiver.child_by_field_name("property"))
    return text(receiver)


def _method(call: ts.Node) -> str | None:
    callee = call.child_by_field_name("function")
    if callee is None or callee.type != "member_expression":
        return None
    return text(callee.child_by_field_name("property"))


def _call_path(call: ts.Node) -> str:
    callee = call.child_by_field_name("function")
    chain = member_chain(callee) if callee is not None else None
    return ".".join(chain) if chain else ""


def _receiver(call: ts.Node) -> ts.Node | None:
    callee = call.child_by_field_name("function")
    if callee is None or unwrap(callee).type != "member_expression":
        return None
    return unwrap(callee).child_by_field_name("object")


def _callee_label(callee: ts.Node) -> str:
    """`logger.info`, `this.logger.warn`; a chained logger's inner arguments are
    elided: `logger.child(...).info`."""
    callee = unwrap(callee)
    obj = callee.child_by_field_name("object") if callee.type == "member_expression" else None
    inner = obj.child_by_field_name("function") if obj is not None else None
    if obj is not None and obj.type == "call_expression" and inner is not None:
        return f"{_short(inner, 30)}(...).{text(callee.child_by_field_name('property'))}"
    return _short(callee, 40)


def _short(node: ts.Node, limit: int = 60) -> str:
    flat = " ".join(text(node).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _defaults(ctx: RuleContext, option: str) -> tuple[object, ...]:
    defaults = ctx.rule.options[option].default
    return tuple(defaults) if isinstance(defaults, (list, tuple)) else ()


@dataclass(frozen=True)
class _Plan:
    """What the options make of every file: read once per options, not once per file
    (four list options and two pattern lists cost about 10 us a file)."""

    loggers: list[str]
    sensitive: tuple[UserPattern, ...]
    # `ignore-names` as (patterns, defaults), compiled by `ignored` when first needed:
    # the default list takes Python's `re` about 7 ms to compile (some 20M instructions,
    # once per process), and with the default `sensitive` a name that pattern does not
    # match needs no `ignore-names` (`is_sensitive_name`): most runs log no such name.
    ignored_options: tuple[tuple[str, ...], tuple[object, ...]]
    default_sensitive: bool  # `sensitive` is `[DEFAULT_SENSITIVE]` (the byte filter knows it)
    called: prefilter.Needs  # a logger's name (`needs`), asked again by the check

    @property
    def ignored(self) -> tuple[UserPattern, ...]:
        return _compiled(*self.ignored_options)


def _as_key(value: object) -> tuple[object, ...]:
    """A list option's value as `list_option` reads it, hashable."""
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


def _plan(ctx: RuleContext) -> _Plan:
    # Once per options mapping the engine made: it skips reading the options at all.
    return ctx.derived(_read_plan)


def _read_plan(ctx: RuleContext) -> _Plan:
    return _planned(
        _as_key(ctx.option("loggers")),
        _as_key(ctx.option("sensitive")),
        _as_key(ctx.option("ignore-names")),
        _defaults(ctx, "sensitive"),
        _defaults(ctx, "ignore-names"),
    )


@functools.lru_cache(maxsize=64)
def _planned(
    loggers: tuple[str, ...],
    sensitive: tuple[str, ...],
    ignored: tuple[str, ...],
    sensitive_defaults: tuple[object, ...],
    ignored_defaults: tuple[object, ...],
) -> _Plan:
    named = [name for name in loggers if name]
    return _Plan(
        named,
        _compiled(sensitive, sensitive_defaults),
        (ignored, ignored_defaults),
        list(sensitive) == [DEFAULT_SENSITIVE],
        prefilter.needs(prefilter.has_match(_receiver_names(tuple(named)))),
    )


@functools.cache
def _compiled(patterns: tuple[str, ...], defaults: tuple[object, ...]) -> tuple[UserPattern, ...]:
    """A regex-list option, searched case-insensitively (built-in defaults with `re`,
    user patterns with RE2); a JavaScript literal `/.../i`, as RULES.md writes the
    default, is accepted too. Compiled once per options, not once per file."""
    compiled = []
    for pattern in patterns:
        literal = _JS_REGEX_LITERAL.fullmatch(pattern)
        compiled.append(compile_option_regex(literal.group(1) if literal else pattern, defaults))
    return tuple(compiled)


class _Match(Protocol):
    def span(self) -> tuple[int, int]: ...


def _blank(pattern: UserPattern, name: str) -> str:
    """`name` with every match of `pattern` replaced by spaces (searched again after
    each blanking; an empty or all-blank match ends it)."""
    masked = name
    for _ in range(len(name) + 1):
        found = pattern.search(masked)
        if found is None:
            break
        start, end = cast(_Match, found).span()
        if not masked[start:end].strip():
            break
        masked = masked[:start] + " " * (end - start) + masked[end:]
    return masked


def _in_llm_usage(member: ts.Node) -> bool:
    """`result.usage.inputTokenDetails.cacheReadTokens`: a property read under an LLM
    usage object is a token count, whatever its own name."""
    chain = member_chain(member)
    return chain is not None and any(_LLM_USAGE.fullmatch(name) for name in chain[:-1])


def _property_key(pair: ts.Node) -> str | None:
    key = pair.child_by_field_name("key")
    if key is None:
        return None
    if key.type == "computed_property_name" and key.named_child_count == 1:
        key = key.named_children[0]
    if key.type in ("string", "template_string"):
        return string_value(key)
    if key.type == "property_identifier":
        return text(key)
    return None


def _operator(node: ts.Node) -> str:
    operator = node.child_by_field_name("operator")
    return operator.type if operator is not None else ""


def _reshaped(call: ts.Node) -> list[ts.Node]:
    """What a re-shaping call prints: `JSON.stringify(x)` -> x, `x.entries()` -> x."""
    args = call_arguments(call)
    if _call_path(call) in _RESHAPING_CALLS:
        return args[:1]
    receiver = _receiver(call)
    method = _method(unwrap(call))
    if receiver is not None and not args and (method in _RESHAPING_METHODS or method == "getAll"):
        return [receiver]
    return []


def logged_nodes(expression: ts.Node) -> Iterator[ts.Node]:
    """The nodes of an argument expression whose value reaches the log line, in source
    order: names, member and subscript reads, calls, and object pairs (for their key).
    An explicit stack, so deeply nested arguments cannot exhaust Python's recursion."""
    stack = [expression]
    while stack:
        node = unwrap(stack.pop())
        kind = node.type
        children: list[ts.Node | None] = []
        if kind in (
            "identifier",
            "shorthand_property_identifier",
            "member_expression",
            "subscript_expression",
            "call_expression",
            "pair",
        ):
            yield node
        if kind == "member_expression":
            # `cookieStore.get("token")?.value`: the entry read is what is logged.
            if text(node.child_by_field_name("property")) == "value":
                children = [node.child_by_field_name("object")]
        elif kind == "pair":
            children = [node.child_by_field_name("value")]
        elif kind == "call_expression":
            children = [*_reshaped(node)]
        elif kind in ("object", "array"):
            children = [c for c in node.named_children if c.type != "comment"]
        elif kind in ("spread_element", "await_expression"):
            children = [*node.named_children[:1]]
        elif kind == "template_string":
            children = [
                s.named_children[0]
                for s in node.named_children
                if s.type == "template_substitution" and s.named_child_count
            ]
        elif kind == "binary_expression":
            operator = _operator(node)
            if operator in ("+", "??", "||"):
                children = [node.child_by_field_name("left"), node.child_by_field_name("right")]
            elif operator == "&&":
                children = [node.child_by_field_name("right")]
        elif kind == "ternary_expression":
            children = [
                node.child_by_field_name("consequence"),
                node.child_by_field_name("alternative"),
            ]
        stack.extend(c for c in reversed(children) if c is not None)


# Verdicts of `is_sensitive_name` by name, for each plan (the same object for the same
# options: `_planned` caches them): a verdict depends on nothing but its patterns, and
# the same names (`error`, `input`, `token`) are logged in file after file. Keyed by
# the plan's id, not by its patterns: hashing a compiled pattern hashes its whole
# program (about 9 us a file for the default `ignore-names`). The entry keeps the plan,
# so its id cannot be reused while the entry lives, and is taken only for that very
# object (another plan, even with equal patterns, just starts a table of its own).
_VERDICTS: dict[int, tuple[_Plan, dict[str, bool]]] = {}
_MAX_VERDICTS = 1 << 16  # names from file contents must not pile up without end


def _verdicts(plan: _Plan) -> dict[str, bool]:
    entry = _VERDICTS.get(id(plan))
    if entry is not None and entry[0] is plan and len(entry[1]) <= _MAX_VERDICTS:
        return entry[1]
    if len(_VERDICTS) > 64:  # options are few per run; keep the table small
        _VERDICTS.clear()
    found: dict[str, bool] = {}
    _VERDICTS[id(plan)] = (plan, found)
    return found


class _Checker:
    def __init__(self, source: SourceFile, ctx: RuleContext, plan: _Plan | None = None) -> None:
        self.source = source
        plan = plan if plan is not None else _plan(ctx)
        self.plan = plan
        self.sensitive = plan.sensitive
        self.verdicts = _verdicts(plan)
        self._initialised: dict[str, bool] = {}

    def const_value(self, node: ts.Node, name: str) -> ts.Node | None:
        """`bindings.const_value`, without the climb through the scopes when the bytes
        show no `const` declarator of `name` with a value: most logged names (`error`,
        `input`) are parameters, imports or properties (`{ error: e }`, `(input: T)`)."""
        may = self._initialised.get(name)
        if may is None:
            # (`text` reads bytes that are no UTF-8, a lone surrogate, as U+FFFD: such
            # a name's bytes are not its text encoded.)
            content = self.source.content
            may = self._initialised[name] = (
                not self._clean_tree
                or "\ufffd" in name
                or any(
                    _may_follow_const(content, found.start())
                    for found in _initialiser_after(name).finditer(content)
                )
            )
        return const_value(node, name) if may else None

    @functools.cached_property
    def _clean_tree(self) -> bool:
        return not self.source.root.has_error

    # Read from the tree only when an argument needs them (most calls log no request
    # and no `headers()` result).
    @functools.cached_property
    def handler_functions(self) -> list[ts.Node]:
        return [h.function for h in handlers(self.source) if h.function is not None]

    @functools.cached_property
    def _next_headers_imports(self) -> tuple[dict[str, str], set[str]]:
        """(local name -> "headers" | "cookies", namespaces of `next/headers`)."""
        names: dict[str, str] = {}
        namespaces: set[str] = set()
        for api in _NEXT_HEADERS_APIS:
            direct, found = names_imported_from(self.source, "next/headers", api)
            names.update(dict.fromkeys(direct, api))
            namespaces |= found
        return names, namespaces

    @property
    def next_headers(self) -> dict[str, str]:
        return self._next_headers_imports[0]

    @property
    def next_headers_namespaces(self) -> set[str]:
        return self._next_headers_imports[1]

    # --- names -----------------------------------------------------------------
    def is_sensitive_name(self, name: str) -> bool:
        """`sensitive` searched in the name once every `ignore-names` match is blanked
        out (so `bypassToken` still counts after `bypass` is ignored). A name that a
        `sensitive` pattern matches in full is sensitive whatever `ignore-names` says
        (a user's `session[-_]?id` must not be cleared by the `...Id` default)."""
        verdict = self.verdicts.get(name)
        if verdict is None:
            if self.plan.default_sensitive and not any(p.search(name) for p in self.sensitive):
                # Blanking only turns characters into spaces, and every match of the
                # default pattern is letters, `-` and `_` (none folds to a space): a
                # match in the blanked name is one in the name itself. So a name it
                # does not match is not sensitive, whatever `ignore-names` blanks (and
                # those patterns need not even be compiled).
                verdict = False
            else:
                masked = name
                for pattern in self.plan.ignored:
                    masked = _blank(pattern, masked)
                verdict = any(p.fullmatch(name) or p.search(masked) for p in self.sensitive)
            self.verdicts[name] = verdict
        return verdict

    # --- what a name is bound to -------------------------------------------------
    def is_request(self, node: ts.Node) -> bool:
        """`node` names the request parameter (the first) of a route handler."""
        node = unwrap(node)
        if node.type not in ("identifier", "shorthand_property_identifier"):
            return False
        if not self.handler_functions:
            return False  # not a route file, or one without handlers
        name = text(node)
        scope = declaring_scope(node, name)
        if scope is None or scope not in self.handler_functions:
            return False
        params = function_parameters(scope)
        if not params:
            return False
        pattern = parameter_pattern(params[0])
        return pattern.type == "identifier" and text(pattern) == name

    def next_headers_api(self, call: ts.Node) -> str | None:
        """ "headers" / "cookies" for a call of that `next/headers` function."""
        callee = call.child_by_field_name("function")
        if callee is None:
            return None
        callee = unwrap(callee)
        if callee.type == "identifier":
            name = text(callee)
            api = self.next_headers.get(name)
            return api if api is not None and declaring_scope(callee, name) is None else None
        chain = member_chain(callee)
        if chain and len(chain) == 2 and chain[0] in self.next_headers_namespaces:
            return chain[1] if chain[1] in _NEXT_HEADERS_APIS else None
        return None

    def whole_object(self, node: ts.Node) -> str | None:
        """Why an expression is a whole sensitive object: `process.env`, the request,
        its headers, a `headers()` / `cookies()` result."""
        node = unwrap(node)
        if node.type == "await_expression" and node.named_child_count:
            node = unwrap(node.named_children[0])
        if node.type == "member_expression":
            if member_chain(node) == ["process", "env"]:
                return "the whole `process.env`"
            prop = text(node.child_by_field_name("property"))
            obj = node.child_by_field_name("object")
            if prop == "headers" and obj is not None and self.is_request(obj):
                return f"the request headers `{_short(node)}`"
        elif node.type == "call_expression":
            api = self.next_headers_api(node)
            if api is not None:
                return f"the `{api}()` result"
        elif self.is_request(node):
            return f"the whole request `{text(node)}`"
        return None

    def bound_value(self, node: ts.Node, follow: bool) -> str | None:
        """What a `const` the name refers to holds: a whole sensitive object
        (`const env = process.env`, `const h = await headers()`) or an object/array
        literal with sensitive parts (`const auth = { Authorization: key }`). One level
        only: a const of a const is not followed."""
        if not follow:
            return None
        name = text(node)
        value = self.const_value(node, name)
        if value is None:
            return None
        why = self.whole_object(value)
        if why is None and unwrap(value).type in ("object", "array"):
            found = self.first_sensitive_in(value, follow=False)
            why = found[1] if found is not None else None
        return f"`{name}`, which holds {why}" if why is not None else None

    def is_streaming_token(self, node: ts.Node) -> bool:
        """A parameter of `handleLLMNewToken(token)` or `onToken(token)`."""
        scope = declaring_scope(node, text(node))
        if scope is None or scope.type not in FUNCTION_TYPES:
            return False
        name = scope.child_by_field_name("name")
        holder = scope.parent
        if name is None and holder is not None:
            if holder.type == "pair":
                name = holder.child_by_field_name("key")
            elif holder.type == "variable_declarator":
                name = holder.child_by_field_name("name")
        return name is not None and _STREAMING_CALLBACKS.fullmatch(text(name)) is not None

    def is_constant(self, node: ts.Node) -> bool:
        """`undefined`, or a `const` of this file initialised with a literal
        (`const MISSING = "none"`): its value is in the source, not a runtime secret."""
        name = text(node)
        if name in _CONSTANTS:
            return True
        value = self.const_value(node, name)
        if value is None:
            return False
        value = unwrap(value)
        return value.type in _LITERALS or (
            value.type == "template_string" and string_value(value) is not None
        )

    # --- verdicts -----------------------------------------------------------------
    def keyed_read(self, call: ts.Node) -> str | None:
        """`x.get("authorization")`: the name of the entry read, when sensitive."""
        args = call_arguments(call)
        if _method(unwrap(call)) not in _KEYED_READS or not args:
            return None
        key = string_value(unwrap(args[0]))
        return key if key is not None and self.is_sensitive_name(key) else None

    def carries_data(self, value: ts.Node) -> bool:
        """Whether a value under a sensitive key is more than a constant or a derived
        fact: `password: "***"`, `token: !!token`, `apiKey: mask(key)` are not."""
        for node in logged_nodes(value):
            kind = node.type
            if kind in ("identifier", "shorthand_property_identifier"):
                if not self.is_constant(node):
                    return True
            elif kind == "member_expression":
                if text(node.child_by_field_name("property")) not in _NUMERIC_PROPERTIES:
                    return True
            elif kind == "subscript_expression":
                return True
            elif kind == "call_expression" and not _reshaped(node):
                callee = node.child_by_field_name("function")
                name = text(callee).rsplit(".", 1)[-1] if callee is not None else ""
                if not _REDACTING.search(name):
                    return True
        return False

    def why_sensitive(self, node: ts.Node, follow: bool = True) -> str | None:
        kind = node.type
        if kind in ("identifier", "shorthand_property_identifier"):
            # The cheap verdicts first: whether a name is a constant (which clears it)
            # takes a climb through the scopes, and most logged names are harmless.
            name = text(node)
            if self.is_sensitive_name(name):
                if self.is_constant(node) or self.is_streaming_token(node):
                    return None
                return f"`{name}`"
            why = self.whole_object(node) or self.bound_value(node, follow)
            return None if why is None or self.is_constant(node) else why
        if kind == "member_expression":
            prop = text(node.child_by_field_name("property"))
            if self.is_sensitive_name(prop.lstrip("#")) and not _in_llm_usage(node):
                return f"`{_short(node)}`"
            return self.whole_object(node)
        if kind == "subscript_expression":
            index = node.child_by_field_name("index")
            key = string_value(unwrap(index)) if index is not None else None
            if key is not None and self.is_sensitive_name(key):
                return f"`{_short(node)}`"
            return None
        if kind == "call_expression":
            if self.keyed_read(node) is not None:
                return f"`{_short(node)}`"
            return self.whole_object(node)
        if kind == "pair":
            key = _property_key(node)
            value = node.child_by_field_name("value")
            if key is not None and value is not None and self.is_sensitive_name(key):
                return f"the `{key}` key" if self.carries_data(value) else None
        return None

    def first_sensitive_in(
        self, expression: ts.Node, follow: bool = True
    ) -> tuple[ts.Node, str] | None:
        for node in logged_nodes(expression):
            why = self.why_sensitive(node, follow)
            if why is not None:
                return node, why
        return None

    def first_sensitive(self, call: ts.Node) -> tuple[ts.Node, str] | None:
        for argument in call_arguments(call):
            found = self.first_sensitive_in(argument)
            if found is not None:
                return found
        return None


def needs(options: Mapping[str, object]) -> prefilter.Needs:
    """A logger's name (a console, a logger of the options) in the bytes: the engine
    skips other files. The check asks the rest of `_may_log_sensitive_data`."""
    loggers = [str(name) for name in cast(list[object], options["loggers"]) if name]
    return prefilter.needs(prefilter.has_match(_receiver_names(tuple(loggers))))


def check(source: SourceFile, ctx: RuleContext) -> None:
    plan = _plan(ctx)
    loggers = plan.loggers
    if prefilter.ENABLED and not _may_log_sensitive_data(source, plan):
        return
    if source.is_declaration_file:
        return
    checker = _Checker(source, ctx, plan)
    if not checker.sensitive:
        return
    seen: set[tuple[int, int]] = set()
    for call, receiver_node in _logging_calls(source, loggers):
        if (call.start_byte, call.end_byte) in seen:
            continue
        seen.add((call.start_byte, call.end_byte))
        receiver = _receiver_name(receiver_node)
        if receiver != CONSOLE and _method(call) in _COLLECTION_METHODS:
            continue
        found = checker.first_sensitive(call)
        if found is None:
            continue
        node, why = found
        callee = call.child_by_field_name("function")
        label = _callee_label(callee) if callee is not None else "log"
        ctx.report(node, logger=label, what=why)


@functools.lru_cache(maxsize=1024)
def _initialiser_after(name: str) -> re.Pattern[bytes]:
    """Where a declarator `name = value` (or `name: T = value`, `name!: T = value`)
    may start: in a tree without errors, only extras can sit between the name and the
    `=` or `:` (ASCII or other whitespace, a comment, an HTML-like comment)."""
    spaces = rb"[ \t\n\r\v\f]*"
    return re.compile(re.escape(name.encode("utf-8")) + spaces + rb"[=:!/<\-\x80-\xff]")


_SPACES_IN_LINE = frozenset(b" \t\v\f")
_LINE_ENDS = frozenset(b"\r\n")
# What makes the text of a line a comment up to its end: what precedes a name on the
# next line may then be anything.
_LINE_COMMENTS = (b"//", b"<!--", b"-->")


def _may_follow_const(content: bytes, start: int) -> bool:
    """Whether the name at `start` may be a declarator's name in a `const`
    declaration: in a tree without errors only extras sit between it and the token
    before, the `const` keyword (`const name = ...`) or a `,` (`const a = 1, name =
    ...`). Extras this does not read backwards answer yes: a block comment (it ends
    with `/`), an HTML-like comment (`-->`), non-ASCII space, and a line comment on an
    earlier line (a line break after a line holding `//`, `<!--` or `-->`)."""
    at = start - 1
    while at >= 0:
        byte = content[at]
        if byte in _SPACES_IN_LINE:
            at -= 1
        elif byte in _LINE_ENDS:
            line_start = max(content.rfind(b"\n", 0, at), content.rfind(b"\r", 0, at)) + 1
            line = content[line_start:at]
            if any(comment in line for comment in _LINE_COMMENTS):
                return True
            at -= 1
        else:
            break
    if at < 0:
        return False  # the file's first token: nothing declares it
    byte = content[at]
    if byte in b",/>" or byte >= 0x80:
        return True
    return content.endswith(b"const", 0, at + 1) and (at < 5 or content[at - 5] not in NAME_BYTES)


def _logging_calls(source: SourceFile, loggers: list[str]) -> list[tuple[ts.Node, ts.Node]]:
    """(call, receiver) of each match of `_logging_query` (in no particular order: each
    call is judged on its own, and the engine sorts the findings).

    The query walks the whole tree (about a quarter of the parse) to find a few calls.
    A receiver is an identifier (or a member expression) whose text is a logger's name,
    so its node is looked up at each place the name's bytes occur (O(depth) in C), and
    the query's shapes are checked from there up. The query itself runs when the
    pre-filters are off (test_prefilter compares both ways, and so do this rule's tests
    on every fixture and on fuzzed snippets).
    """
    if not prefilter.ENABLED:
        query = _logging_query([CONSOLE, *loggers], loggers)
        return [(m["call"][0], m["receiver"][0]) for m in source.matches(query)]
    receivers = frozenset((CONSOLE, *loggers))
    bare = frozenset(loggers)
    # In a tree without errors only extras (whitespace, comments) sit between tokens,
    # so the byte after a receiver's name (and its spaces) tells whether anything can
    # follow it (`_may_be_called`); error recovery may put an ERROR node there.
    ending = _may_be_called if not source.root.has_error else None
    found: list[tuple[ts.Node, ts.Node]] = []
    for name in sorted(receivers | bare):
        for node in identifiers_named(source, name, types=_RECEIVER_TYPES, ending=ending):
            found.extend((call, node) for call in _calls_on(node, name in receivers, name in bare))
    return found


# What can follow a receiver in the shapes of `_logging_query` (after ASCII whitespace):
# `.` or `?.` of a member expression, `(`, `<T>(`, `?.(` or a template of a call; or
# an extra: a comment (`/`), an HTML-like comment (`<!--`, `-->`), non-ASCII space.
# Anything else (`console.log(` seen from `log`, `import { logger }`, `const log =`)
# ends the name's node where no call of it can be.
_AFTER_RECEIVER = frozenset(b"./?(<`-").union(range(0x80, 0x100))
_ASCII_SPACE = frozenset(b" \t\n\r\v\f")


def _may_be_called(content: bytes, end: int) -> bool:
    size = len(content)
    while end < size and content[end] in _ASCII_SPACE:
        end += 1
    return end < size and content[end] in _AFTER_RECEIVER


# What a @receiver of `_logging_query` can be: a name, a property name, or a member
# expression whose whole text is a logger's name (`a.logger`, in the chained shape).
_RECEIVER_TYPES = frozenset({"identifier", "property_identifier", "member_expression"})


def _calls_on(receiver: ts.Node, as_receiver: bool, as_bare: bool) -> list[ts.Node]:
    """The calls that the patterns of `_logging_query` match with `receiver` (whose
    text is a logger's name) as their @receiver."""
    calls: list[ts.Node | None] = []
    kind = receiver.type
    if kind == "identifier":
        # Its parent once (`.parent` walks down from the root): a call of it or a
        # member expression on it.
        parent = receiver.parent
        parent_kind = parent.type if parent is not None else ""
        called = _holder(receiver, "call_expression", "function", parent, parent_kind)
        if as_bare:
            calls.append(called)  # log(...)
        if as_receiver:
            member = _holder(receiver, "member_expression", "object", parent, parent_kind)
            method_call = _holder(member, "call_expression", "function")
            calls.append(method_call)  # logger.info(...)
            calls.append(_method_call(method_call))  # logger.child(...).info(...)
            calls.append(_method_call(called))  # pino().info(...)
    elif kind == "property_identifier" and as_receiver:
        # this.logger.info(...)
        calls.append(_method_call(_holder(receiver, "member_expression", "property")))
    elif kind == "member_expression" and as_receiver:
        # A name written `a.logger` is matched by the whole member expression, in the
        # chained shape only: a.logger.child(...).info(...)
        prop = receiver.child_by_field_name("property")
        if prop is not None and prop.type == "property_identifier":
            calls.append(_method_call(_method_call(receiver)))
    return [call for call in calls if call is not None]


def _holder(
    child: ts.Node | None,
    kind: str,
    field: str,
    parent: ts.Node | None = None,
    parent_kind: str | None = None,
) -> ts.Node | None:
    """The parent of `child` when it is a `kind` node holding `child` in `field`
    (`parent` and its type when the caller has them already)."""
    if parent_kind is None:
        parent = child.parent if child is not None else None
        parent_kind = parent.type if parent is not None else ""
    if parent is None or parent_kind != kind or parent.child_by_field_name(field) != child:
        return None
    return parent


def _method_call(obj: ts.Node | None) -> ts.Node | None:
    """The call `<obj>.<method>(...)`, when `obj` is the object of one."""
    return _holder(_holder(obj, "member_expression", "object"), "call_expression", "function")


# --- byte pre-filter -------------------------------------------------------------------

# The default `sensitive` pattern, and what every match of it holds (in lower case):
# one of the words, or `key` / `number` right after one of its heads (and a `-` or `_`
# between them, or not). The filter knows no other pattern: any other list lets every
# file with a logger through.
DEFAULT_SENSITIVE = (
    "pass(word)?|secret|token|api[-_]?key|authorization|cookie|credential|private[-_]?key|"
    "ssn|card[-_]?number"
)
# What every match of it holds, in any case: one of the words, or `key` / `number`
# right after one of its heads (with a `-` or `_` between them, or not). Python's `re`
# folds only ASCII letters in a bytes pattern, as `bytes.lower` does; the scan's RE2
# reading of it (Latin-1, no letter beyond 0xFF) folds the same ones.
_SENSITIVE_BYTES = re.compile(
    rb"pass|secret|token|authorization|cookie|credential|ssn|(?:api|private)[-_]?key|"
    rb"card[-_]?number",
    re.IGNORECASE,
)
# What else a logged argument may be, outside route files: `process.env` (whole, or
# through `const { env } = process`), a `headers()` / `cookies()` result of
# `next/headers`.
_OBJECT_NEEDLES = (b"env", b"next/headers")
# Non-ASCII letters that Python's case-insensitive matching takes for ASCII ones (the
# patterns run on names with `re.IGNORECASE`): the dotted capital I and the dotless i
# for i, the Kelvin sign for k, the long s for s; in UTF-8.
FOLDS_TO_ASCII = (b"\xc4\xb0", b"\xc4\xb1", b"\xe2\x84\xaa", b"\xc5\xbf")


@functools.cache
def _receiver_names(loggers: tuple[str, ...]) -> re.Pattern[bytes]:
    """`console` or a logger's name, then a byte that continues no name (`\\x24` is
    `$`; written so, the pattern joins the prefilter's one-pass RE2 scan). A name at
    the very end of the file is called by nothing, so it needs no byte after it."""
    names = sorted({name.encode("utf-8") for name in (CONSOLE, *loggers)})
    alternatives = b"|".join(re.escape(name) for name in names)
    return re.compile(b"(?:" + alternatives + rb")[^A-Za-z0-9_\x24]")


def _may_log_sensitive_data(source: SourceFile, plan: _Plan) -> bool:
    """False only when no call of the file can be reported (see the module docstring).
    Every question but the last is answered by the prefilter's one scan of the file."""
    # Each question as a `Needs` built once (`met_by` is `not lacks...`: the same
    # answers from the same scan, without building the question's key per file).
    if not plan.called.met_by(source):
        return False
    if source.is_route_file or not plan.default_sensitive:
        return True
    if _SHOWS_OBJECT.met_by(source):
        return True
    if _SHOWS_SENSITIVE.met_by(source):
        return True
    if _SHOWS_FOLDS.met_by(source):
        return True
    if not _SHOWS_BACKSLASH.met_by(source):
        return False
    # A string key or entry name may be escaped (`{ "\x74oken": t }`, `"to\ken"`).
    read = prefilter.unescaped(source)
    return read is None or _shows_logged_data(read)


_SHOWS_OBJECT = prefilter.needs(prefilter.has(*_OBJECT_NEEDLES))
_SHOWS_SENSITIVE = prefilter.needs(prefilter.has_match(_SENSITIVE_BYTES))
_SHOWS_FOLDS = prefilter.needs(prefilter.has(*FOLDS_TO_ASCII))
_SHOWS_BACKSLASH = prefilter.needs(prefilter.has(b"\\"))


def _shows_logged_data(content: bytes) -> bool:
    """Whether `content` shows `env`, `next/headers` or a default sensitive name."""
    if any(needle in content for needle in _OBJECT_NEEDLES):
        return True
    return may_hold_default_sensitive_name(content)


class _Searcher(Protocol):
    def search(self, content: bytes) -> object | None: ...


@functools.cache
def _sensitive_searcher() -> _Searcher:
    """`_SENSITIVE_BYTES` compiled by RE2: Python's `re` takes about 250 us to search a
    3 kB file for it case-insensitively, RE2 about 9. Read as bytes (Latin-1), RE2
    folds the case of the same letters (the pattern's are all ASCII, and no other
    Latin-1 letter folds into one)."""
    import re2

    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    options.case_sensitive = False
    return cast(_Searcher, re2.compile(_SENSITIVE_BYTES.pattern, options))


def may_hold_default_sensitive_name(content: bytes) -> bool:
    """Whether `content` may spell a name that `DEFAULT_SENSITIVE` matches, in any case
    (without escapes)."""
    if _sensitive_searcher().search(content) is not None:
        return True
    return not content.isascii() and any(letter in content for letter in FOLDS_TO_ASCII)
