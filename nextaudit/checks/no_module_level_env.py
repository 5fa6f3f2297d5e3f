"""no-module-level-env: reads of `process.env` that run when the module is imported.

Every expression that evaluates to the environment object is followed to its one use:
`process.env` itself (also `process["env"]`, `globalThis.process.env`, `process` imported
from `node:process`), and every reference to an alias of it (`const env = process.env`,
`const { env } = process`, `import { env } from "node:process"`). An alias is not a read;
its references are classified like `process.env` itself, so aliases of aliases work too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter as ts

from nextaudit.analysis.bindings import is_shadowed
from nextaudit.analysis.imports import import_bindings
from nextaudit.analysis.paths import glob_match
from nextaudit.analysis.scopes import is_module_level, runtime_function
from nextaudit.analysis.syntax import (
    FUNCTION_TYPES,
    ancestors,
    call_arguments,
    member_chain,
    outer,
    string_value,
    text,
    unwrap,
)
from nextaudit.context import RuleContext
from nextaudit.source import SourceFile

SYNC_MESSAGE = (
    "Reads {name} in a function that is not async: read environment variables inside an"
    " async factory function instead"
)
PROCESS_MODULES = frozenset({"process", "node:process"})
# `globalThis.process.env` and Node's older `global.process.env` name the same object.
_GLOBAL_OBJECTS = frozenset({"globalThis", "global"})
# Calls whose first argument is written to, not read: `Object.assign(process.env, defaults)`.
_WRITING_CALLS = frozenset(
    {
        ("Object", "assign"),
        ("Object", "defineProperty"),
        ("Object", "defineProperties"),
        ("Reflect", "set"),
        ("Reflect", "defineProperty"),
        ("Reflect", "deleteProperty"),
    }
)
# Where a member expression is an assignment target (`({ a: process.env.X } = o)`).
_PATTERN_PARENTS = frozenset(
    {"pair_pattern", "array_pattern", "rest_pattern", "assignment_pattern"}
)
# Operators that only test the object: `process.env && ...` (on the left), comparisons.
_TESTS = frozenset({"&&", "==", "===", "!=", "!=="})
_SCOPE_BLOCKS = frozenset({"statement_block", "program", "switch_case"})
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")

# `process.env` and `process["env"]`; the object and the index are checked in Python.
_ENV_OBJECTS = """
(member_expression property: (property_identifier) @prop (#eq? @prop "env")) @env
(subscript_expression index: [(string) (template_string)]) @env
"""
# Every name a declaration, parameter or pattern binds. `is_shadowed` climbs the tree
# through `.parent`, which is slow in deep trees, so it only runs for a name the file
# binds somewhere else as well (`process` as a loop variable, `env` as a parameter).
_BINDINGS = """
(variable_declarator name: (identifier) @name)
(required_parameter pattern: (identifier) @name)
(optional_parameter pattern: (identifier) @name)
(arrow_function parameter: (identifier) @name)
(pair_pattern value: (identifier) @name)
(array_pattern (identifier) @name)
(assignment_pattern left: (identifier) @name)
(rest_pattern (identifier) @name)
(shorthand_property_identifier_pattern) @name
(catch_clause parameter: (identifier) @name)
(for_in_statement left: (identifier) @name)
(function_declaration name: (identifier) @name)
(generator_function_declaration name: (identifier) @name)
(function_expression name: (identifier) @name)
(generator_function name: (identifier) @name)
(class_declaration name: (type_identifier) @name)
"""
# `const { env } = process`, `const { env: { A } } = process`: filtered in Python.
_PROCESS_PATTERNS = """
(variable_declarator
  name: (object_pattern) @pattern
  value: [(identifier) (member_expression) (parenthesized_expression)
          (as_expression) (non_null_expression)] @value)
"""


@dataclass(frozen=True)
class _Read:
    """A read of the environment: `at` is where to report it, `names` the variables
    read (None for one that cannot be known), `label` how the message names them."""

    at: ts.Node
    names: tuple[str | None, ...]
    label: str


@dataclass(frozen=True)
class _Alias:
    """A binding that now holds the environment object (not itself a read)."""

    binding: ts.Node


@dataclass(frozen=True)
class _Names:
    """Names that matter in one file: those bound to the `process` object, and every
    binding of each declared name (to know when shadowing must be checked)."""

    process: frozenset[str]
    bindings: dict[str, list[ts.Node]]

    def rebound(self, name: str, besides: ts.Node | None = None) -> bool:
        """Whether `name` is declared somewhere other than at `besides`."""
        return any(node != besides for node in self.bindings.get(name, ()))


# --- naming what is read ---------------------------------------------------------------


def _label(name: str) -> str:
    if _IDENTIFIER.fullmatch(name):
        return f"`process.env.{name}`"
    return f"`process.env[{json.dumps(name)}]`"


def _dynamic_label(index: ts.Node) -> str:
    return f"`process.env[{' '.join(text(index).split())}]`"  # one line in a message


_WHOLE = "the whole `process.env`"


def _join(labels: list[str]) -> str:
    if len(labels) < 2:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _key_name(key: ts.Node) -> str | None:
    """The name a property key spells: `A`, `"A"`, `1`, `["A"]`; None for `[expr]`."""
    if key.type in ("property_identifier", "number"):
        return text(key)
    if key.type == "computed_property_name":
        inner = next((c for c in key.named_children if c.type != "comment"), None)
        return string_value(unwrap(inner)) if inner is not None else None
    return string_value(key)


def _pattern_read(at: ts.Node, pattern: ts.Node) -> _Read:
    """`{ A, B: b, C = 1, ["D"]: d, ...rest }` read from the environment object."""
    if pattern.type != "object_pattern":
        return _Read(at, (None,), _WHOLE)
    names: list[str | None] = []
    labels: list[str] = []
    for prop in pattern.named_children:
        if prop.type == "shorthand_property_identifier_pattern":
            names.append(text(prop))
            labels.append(_label(text(prop)))
        elif prop.type == "object_assignment_pattern":
            left = prop.child_by_field_name("left")
            names.append(text(left))
            labels.append(_label(text(left)))
        elif prop.type == "pair_pattern":
            key = prop.child_by_field_name("key")
            name = _key_name(key) if key is not None else None
            names.append(name)
            labels.append(_label(name) if name is not None else _dynamic_label(key or prop))
        elif prop.type == "rest_pattern":
            names.append(None)
            labels.append("the rest of `process.env`")
    return _Read(at, tuple(names), _join(labels))


def _access_read(at: ts.Node, access: ts.Node) -> _Read:
    """`process.env.X`, `process.env["X"]`, `process.env[key]`."""
    if access.type == "member_expression":
        name = text(access.child_by_field_name("property"))
        return _Read(at, (name,), _label(name))
    index = access.child_by_field_name("index")
    if index is None:
        return _Read(at, (None,), _WHOLE)
    value = string_value(unwrap(index))
    if value is None and unwrap(index).type == "number":
        value = text(unwrap(index))
    if value is None:
        return _Read(at, (None,), _dynamic_label(index))
    return _Read(at, (value,), _label(value))


# --- what one use of the environment object does ----------------------------------------


def _operator(node: ts.Node) -> str:
    return text(node.child_by_field_name("operator"))


def _is_write_target(access: ts.Node) -> bool:
    """`process.env.X = v`, `delete process.env.X`, `[process.env.X] = list`.

    Only a plain `=` writes without reading: `process.env.X ??= v`, `+=` and `++` read
    the current value first, so they stay reads.
    """
    wrapper = outer(access)
    parent = wrapper.parent
    if parent is None:
        return False
    if parent.type == "assignment_expression":
        return parent.child_by_field_name("left") == wrapper
    if parent.type == "unary_expression":
        return _operator(parent) == "delete"
    if parent.type in ("for_in_statement",):
        return parent.child_by_field_name("left") == wrapper
    if parent.type == "pair_pattern":
        return parent.child_by_field_name("value") == wrapper
    return parent.type in _PATTERN_PARENTS


def _is_written_by_call(wrapper: ts.Node) -> bool:
    """`Object.assign(process.env, defaults)` and the like write to the object."""
    arguments = wrapper.parent
    call = arguments.parent if arguments is not None else None
    if call is None or arguments is None or call.type != "call_expression":
        return False
    function = call.child_by_field_name("function")
    chain = member_chain(function) if function is not None else None
    args = call_arguments(call)
    return chain is not None and tuple(chain) in _WRITING_CALLS and args[:1] == [wrapper]


def _in_type_position(node: ts.Node) -> bool:
    """`typeof process.env`, `typeof process.env.X`, `typeof env` in a type."""
    current = node
    parent = current.parent
    while (
        parent is not None
        and parent.type in ("member_expression", "subscript_expression")
        and parent.child_by_field_name("object") == current
    ):
        current = parent
        parent = current.parent
    return parent is not None and parent.type == "type_query"


def _value_position(node: ts.Node) -> ts.Node:
    """The outermost expression whose value may still be the environment object itself:
    `process.env ?? {}`, `cond ? process.env : {}`, `isServer && process.env` (so
    `const env = process.env || {}` is an alias like `const env = process.env`)."""
    wrapper = outer(node)
    while (parent := wrapper.parent) is not None:
        if parent.type == "binary_expression":
            operator = _operator(parent)
            passes = operator in ("||", "??") or (
                operator == "&&" and parent.child_by_field_name("right") == wrapper
            )
        elif parent.type == "ternary_expression":
            passes = parent.child_by_field_name("condition") != wrapper
        else:
            passes = False
        if not passes:
            return wrapper
        wrapper = outer(parent)
    return wrapper


def _classify(node: ts.Node) -> _Read | _Alias | None:
    """What the expression `node`, which evaluates to the environment object, does
    with it: a read, a new alias, or neither (a write, a type, storing the reference)."""
    if _in_type_position(node):
        return None
    wrapper = _value_position(node)
    parent = wrapper.parent
    if parent is None:
        return None
    kind = parent.type
    if kind == "binary_expression" and _operator(parent) in _TESTS:
        return None  # `process.env && ...`, `env === undefined`: no variable is read
    if kind in ("member_expression", "subscript_expression"):
        if parent.child_by_field_name("object") != wrapper:
            return _Read(node, (None,), _WHOLE)  # `obj[process.env]`: a whole read
        return None if _is_write_target(parent) else _access_read(node, parent)
    if kind == "variable_declarator" and parent.child_by_field_name("value") == wrapper:
        target = parent.child_by_field_name("name")
        if target is None:
            return None
        return _Alias(target) if target.type == "identifier" else _pattern_read(node, target)
    if kind == "assignment_expression":
        target = parent.child_by_field_name("left")
        if target is None or target == wrapper:
            return None  # `process.env = {...}` replaces the object
        if target.type in ("object_pattern", "array_pattern"):
            return _pattern_read(node, target)
        return None  # `holder.env = process.env` stores the reference, like an alias
    if kind == "unary_expression" and _operator(parent) in ("delete", "typeof", "!"):
        return None  # `typeof process.env`, `!process.env` read no variable
    if kind == "binary_expression" and _operator(parent) == "in":
        return _in_read(node, parent, wrapper)
    if kind in ("export_statement", "export_specifier"):
        return None  # `export default env` / `export { env }` pass the reference on
    if kind == "arguments" and _is_written_by_call(wrapper):
        return None
    # Passed to a call, spread, put in an object or array, compared, returned...
    return _Read(node, (None,), _WHOLE)


def _in_read(node: ts.Node, binary: ts.Node, wrapper: ts.Node) -> _Read:
    """`"X" in process.env` reads whether X is set."""
    left = binary.child_by_field_name("left")
    if binary.child_by_field_name("right") != wrapper or left is None:
        return _Read(node, (None,), _WHOLE)
    name = string_value(unwrap(left))
    if name is None:
        return _Read(node, (None,), _dynamic_label(left))
    return _Read(node, (name,), _label(name))


# --- finding every expression that holds the environment object -------------------------


def _file_names(source: SourceFile) -> tuple[_Names, list[ts.Node]]:
    """(the names of this file, bindings of `env` imported from `process`)."""
    process = {"process"}
    env_bindings: list[ts.Node] = []
    for binding in import_bindings(source):
        if binding.module not in PROCESS_MODULES:
            continue
        if binding.imported in ("*", "default"):
            process.add(binding.local)
        elif binding.imported == "env":
            env_bindings.append(binding.node)
    bindings: dict[str, list[ts.Node]] = {}
    for node in source.nodes(_BINDINGS, "name"):
        bindings.setdefault(text(node), []).append(node)
    return _Names(frozenset(process), bindings), env_bindings


def _is_process_object(node: ts.Node, names: _Names) -> bool:
    node = unwrap(node)
    if node.type == "identifier":
        name = text(node)
        # `for (const process of running) process.env` is some other object.
        return name in names.process and not (names.rebound(name) and is_shadowed(node, name))
    if node.type == "member_expression":
        owner = node.child_by_field_name("object")
        return (
            text(node.child_by_field_name("property")) == "process"
            and owner is not None
            and unwrap(owner).type == "identifier"
            and text(unwrap(owner)) in _GLOBAL_OBJECTS
        )
    return False


def _env_expressions(source: SourceFile, names: _Names) -> Iterator[ts.Node]:
    for node in source.nodes(_ENV_OBJECTS, "env"):
        if node.type == "subscript_expression":
            index = node.child_by_field_name("index")
            if index is None or string_value(index) != "env":
                continue
        owner = node.child_by_field_name("object")
        if owner is not None and _is_process_object(owner, names):
            yield node


def _destructured_from_process(source: SourceFile, names: _Names) -> Iterator[_Read | _Alias]:
    """`const { env } = process` (an alias) and `const { env: { A } } = process` (a read
    of A, reported on the `env` key)."""
    for match in source.matches(_PROCESS_PATTERNS):
        pattern, value = match["pattern"][0], match["value"][0]
        if not _is_process_object(value, names):
            continue
        for prop in pattern.named_children:
            if prop.type == "shorthand_property_identifier_pattern" and text(prop) == "env":
                yield _Alias(prop)
            elif prop.type == "object_assignment_pattern":
                left = prop.child_by_field_name("left")
                if left is not None and text(left) == "env":
                    yield _Alias(left)
            elif prop.type == "pair_pattern":
                key = prop.child_by_field_name("key")
                target = prop.child_by_field_name("value")
                if key is None or target is None or _key_name(key) != "env":
                    continue
                if target.type == "assignment_pattern":
                    target = target.child_by_field_name("left") or target
                if target.type == "identifier":
                    yield _Alias(target)
                else:
                    yield _pattern_read(key, target)


def _declaration_scope(binding: ts.Node) -> ts.Node:
    """The block whose statements can see `binding` (the program for imports)."""
    last = binding
    for ancestor in ancestors(binding):
        if ancestor.type in _SCOPE_BLOCKS:
            return ancestor
        last = ancestor
    return last


def _references(source: SourceFile, binding: ts.Node, names: _Names) -> list[ts.Node]:
    """Uses of the name `binding` declares, within its scope and not shadowed there."""
    name = text(binding)
    if not _IDENTIFIER.fullmatch(name):
        return []  # unicode escapes in a name: rare, and unsafe inside a query string
    scope = _declaration_scope(binding)
    rebound = names.rebound(name, besides=binding)
    query = (
        f'((identifier) @ref (#eq? @ref "{name}"))\n'
        f'((shorthand_property_identifier) @ref (#eq? @ref "{name}"))'
    )
    return [
        ref
        for ref in source.nodes(query, "ref", scope)
        if ref != binding
        and (ref.parent is None or ref.parent.type not in ("import_specifier", "export_specifier"))
        and not (rebound and is_shadowed(ref, name, scope))
    ]


def _env_reads(source: SourceFile) -> list[_Read]:
    """Every read of the environment in the file, each expression once."""
    names, env_imports = _file_names(source)
    reads: list[_Read] = []
    pending: list[ts.Node] = list(env_imports)  # alias bindings to follow
    for found in _destructured_from_process(source, names):
        if isinstance(found, _Read):
            reads.append(found)
        else:
            pending.append(found.binding)
    uses: list[ts.Node] = list(_env_expressions(source, names))
    followed: set[tuple[int, int]] = set()
    seen: set[tuple[int, int]] = set()
    while uses or pending:
        while pending:
            binding = pending.pop()
            if (binding.start_byte, binding.end_byte) not in followed:
                followed.add((binding.start_byte, binding.end_byte))
                uses.extend(_references(source, binding, names))
        if not uses:
            break
        use = uses.pop()
        if (use.start_byte, use.end_byte) in seen:
            continue
        seen.add((use.start_byte, use.end_byte))
        outcome = _classify(use)
        if isinstance(outcome, _Read):
            reads.append(outcome)
        elif isinstance(outcome, _Alias):
            pending.append(outcome.binding)
    return sorted(reads, key=lambda read: read.at.start_byte)


# --- when a read runs --------------------------------------------------------------------


def _parameter_decorator(node: ts.Node) -> ts.Node | None:
    """The parameter decorator (`m(@Inject(process.env.X) x)`) whose arguments hold
    `node`, unless a function literal in between defers it."""
    for ancestor in ancestors(node):
        if ancestor.type in FUNCTION_TYPES:
            return None
        if ancestor.type == "decorator":
            parent = ancestor.parent
            is_parameter = parent is not None and parent.type in (
                "required_parameter",
                "optional_parameter",
            )
            return ancestor if is_parameter else None
    return None


def _runs_at_import(node: ts.Node) -> bool:
    """Module level (RULES.md Terms). Decorator arguments count wherever the decorator
    sits: a parameter decorator is evaluated when its class is defined, so it runs at
    import when the decorated method's class does."""
    if is_module_level(node):
        return True
    decorator = _parameter_decorator(node)
    if decorator is None:
        return False
    method = next((a for a in ancestors(decorator) if a.type in FUNCTION_TYPES), None)
    return method is not None and is_module_level(method)


def _is_async(function: ts.Node) -> bool:
    return any(child.type == "async" for child in function.children)


def check(source: SourceFile, ctx: RuleContext) -> None:
    # A declaration file holds no code that runs, and `allow-files` names the modules
    # (a validated `env.ts`) that are the one place the environment may be read.
    if source.is_declaration_file or glob_match(source.rel_path, ctx.list_option("allow-files")):
        return
    allowed = frozenset(ctx.list_option("allow"))
    require_async = ctx.bool_option("require-async-factory")
    for read in _env_reads(source):
        if all(name in allowed for name in read.names):
            continue
        if _runs_at_import(read.at):
            ctx.report(read.at, name=read.label)
        elif require_async:
            # The innermost function decides: a sync callback inside an async factory
            # still runs whenever it is called, not when the factory is awaited.
            function = runtime_function(read.at)
            if function is not None and not _is_async(function):
                ctx.report(read.at, message=SYNC_MESSAGE, name=read.label)
