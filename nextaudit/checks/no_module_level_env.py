"""no-module-level-env: reads of `process.env` that run when the module is imported.

Every expression that evaluates to the environment object is followed to its one use:
`process.env` itself (also `process["env"]`, `globalThis.process.env`, `process` imported
from `node:process`), and every reference to an alias of it (`const env = process.env`,
`const { env } = process`, `import { env } from "node:process"`). An alias is not a read;
its references are classified like `process.env` itself, so aliases of aliases work too.

Pre-filter: the environment object is always reached through the name `env` (a property,
a destructured key, an import) taken from something named `process` (the global, or a
module `process` / `node:process`), so a file whose bytes lack either word, and hold no
escape that could spell it inside a string (`process["\\u0065nv"]`), is skipped unparsed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import identifiers_named, is_shadowed
from nextaudit.analysis.imports import import_bindings
from nextaudit.analysis.paths import glob_match
from nextaudit.analysis.scopes import is_module_level, runtime_function
from nextaudit.analysis.syntax import (
    FUNCTION_TYPES,
    WRAPPERS,
    ancestors,
    call_arguments,
    member_chain,
    outer,
    parent_of,
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
# Escapes that can spell a letter in a string (prefilter.may_hide_text's).
_LETTER_ESCAPE = re.compile(rb"\\(?:[xu]|[0-7])")

# `process.env`, `process["env"]`, and `const { env } = process` / `const { env: { A } }
# = process` (the object and the index or key are checked in Python). One query, so the
# tree is walked once; it only runs when an escape could spell `env` (`_env_sources`).
_ENV_SOURCES = """
(member_expression property: (property_identifier) @prop (#eq? @prop "env")) @env
(subscript_expression index: [(string) (template_string)]) @env
(variable_declarator
  name: (object_pattern) @pattern
  value: [(identifier) (member_expression) (parenthesized_expression)
          (as_expression) (non_null_expression)] @value)
"""
# Where an identifier (or the like) declares a name, as (parent type, field); None for
# any child. `is_shadowed` climbs the tree through `.parent`, which is slow in deep
# trees, so it only runs for a name the file binds somewhere else as well (`process` as
# a loop variable, `env` as a parameter).
_BINDING_PLACES: dict[str, dict[str, str | None]] = {
    "identifier": {
        "variable_declarator": "name",
        "required_parameter": "pattern",
        "optional_parameter": "pattern",
        "arrow_function": "parameter",
        "pair_pattern": "value",
        "array_pattern": None,
        "assignment_pattern": "left",
        "rest_pattern": None,
        "catch_clause": "parameter",
        "for_in_statement": "left",
        "function_declaration": "name",
        "generator_function_declaration": "name",
        "function_expression": "name",
        "generator_function": "name",
    },
    "type_identifier": {"class_declaration": "name"},
}
_DECLARED_TYPES = frozenset({*_BINDING_PLACES, "shorthand_property_identifier_pattern"})
_REFERENCE_TYPES = frozenset({"identifier", "shorthand_property_identifier"})
# The values `_ENV_SOURCES` accepts for a destructuring, and what `unwrap` looks through.
_PATTERN_VALUES = frozenset(
    {"identifier", "member_expression", "parenthesized_expression"}
    | {"as_expression", "non_null_expression"}
)


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


class _Names:
    """Names that matter in one file: those bound to the `process` object, and where
    each name the file asks about is declared (to know when shadowing must be checked)."""

    def __init__(self, source: SourceFile, process: frozenset[str]) -> None:
        self.source = source
        self.process = process
        self._bindings: dict[str, list[ts.Node]] = {}

    def rebound(self, name: str, besides: ts.Node | None = None) -> bool:
        """Whether `name` is declared somewhere other than at `besides`."""
        bindings = self._bindings.get(name)
        if bindings is None:
            bindings = self._bindings[name] = _declarations(self.source, name)
        return any(node != besides for node in bindings)


def _declarations(source: SourceFile, name: str) -> list[ts.Node]:
    """Every node that declares `name` (a variable, parameter, pattern element, catch or
    loop variable, function or class name)."""
    found: list[ts.Node] = []
    # Most occurrences are `process.env` itself: in a tree without errors a name that
    # a `.` follows at once is an object, never in one of `_BINDING_PLACES` (each is
    # followed by `=`, `:`, `,`, a bracket, `=>`, `in`/`of` or an extra), so it needs
    # no lookup (and no climb from the root to its parent).
    ending = None if source.root.has_error else _not_before_dot
    for token in identifiers_named(source, name, types=_DECLARED_TYPES, ending=ending):
        if token.type == "shorthand_property_identifier_pattern":
            found.append(token)
            continue
        places = _BINDING_PLACES.get(token.type)
        parent = parent_of(token)
        if places is None or parent is None or parent.type not in places:
            continue
        field = places[parent.type]
        if field is None or token in parent.children_by_field_name(field):
            found.append(token)
    return found


def _not_before_dot(content: bytes, end: int) -> bool:
    return content[end : end + 1] != b"."


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
    parent = parent_of(wrapper)
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
    arguments = parent_of(wrapper)
    call = parent_of(arguments) if arguments is not None else None
    if call is None or arguments is None or call.type != "call_expression":
        return False
    function = call.child_by_field_name("function")
    chain = member_chain(function) if function is not None else None
    args = call_arguments(call)
    return chain is not None and tuple(chain) in _WRITING_CALLS and args[:1] == [wrapper]


def _in_type_position(node: ts.Node) -> bool:
    """`typeof process.env`, `typeof process.env.X`, `typeof env` in a type."""
    current = node
    parent = parent_of(current)
    while (
        parent is not None
        and parent.type in ("member_expression", "subscript_expression")
        and parent.child_by_field_name("object") == current
    ):
        current = parent
        parent = parent_of(current)
    return parent is not None and parent.type == "type_query"


def _value_position(node: ts.Node) -> ts.Node:
    """The outermost expression whose value may still be the environment object itself:
    `process.env ?? {}`, `cond ? process.env : {}`, `isServer && process.env` (so
    `const env = process.env || {}` is an alias like `const env = process.env`)."""
    wrapper = outer(node)
    while (parent := parent_of(wrapper)) is not None:
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
    parent = parent_of(wrapper)
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


# A module string that names `process` ends with it (`"node:process"`).
_PROCESS_MODULE_END = prefilter.has_text(b'process"', b"process'", b"process`")


def _file_names(source: SourceFile) -> tuple[_Names, list[ts.Node]]:
    """(the names of this file, bindings of `env` imported from `process`)."""
    process = {"process"}
    env_bindings: list[ts.Node] = []
    # Most files read the global `process` and import nothing from the module; its name
    # ends a module string (`"node:process"`), so the bytes (escapes allowed for) tell
    # when the file's imports need not be listed (no other rule asks for most of these
    # files' imports: 404 of 480 on the 5k corpus).
    if prefilter.lacks_clause(source, _PROCESS_MODULE_END):
        return _Names(source, frozenset(process)), env_bindings
    for binding in import_bindings(source):
        if binding.module not in PROCESS_MODULES:
            continue
        if binding.imported in ("*", "default"):
            process.add(binding.local)
        elif binding.imported == "env":
            env_bindings.append(binding.node)
    return _Names(source, frozenset(process)), env_bindings


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


def _env_expressions(candidates: list[ts.Node], names: _Names) -> Iterator[ts.Node]:
    """`process.env` and `process["env"]` among `candidates` (see `_env_sources`)."""
    for node in candidates:
        if node.type == "subscript_expression":
            index = node.child_by_field_name("index")
            if index is None or string_value(index) != "env":
                continue
        owner = node.child_by_field_name("object")
        if owner is not None and _is_process_object(owner, names):
            yield node


def _span(node: ts.Node) -> tuple[int, int]:
    return node.start_byte, node.end_byte


def _destructured_from_process(
    candidates: list[tuple[ts.Node, ts.Node]], names: _Names
) -> Iterator[_Read | _Alias]:
    """`const { env } = process` (an alias) and `const { env: { A } } = process` (a read
    of A, reported on the `env` key), among (pattern, value) `candidates`."""
    for pattern, value in candidates:
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


_Sources = tuple[list[ts.Node], list[tuple[ts.Node, ts.Node]]]


def _env_sources(source: SourceFile) -> _Sources:
    """The nodes `_ENV_SOURCES` matches, as (`@env` nodes in source order, (`@pattern`,
    `@value`) pairs of the declarations that destructure an object): those that can
    name `env`, which the callers then look for.

    Found from the bytes (a name's text is its bytes, and a string can only hide the
    word behind `\\x`, `\\u` or octal escapes): each occurrence of the word, and each
    such escape (the string it sits in may spell `env`), is looked up in the tree
    instead of walking all of it. The callers only keep what names `env` (a name
    spelled with an escape never does: its text is not `env`), so the nodes found at
    the escapes do not need to be all the query would find. With filters off, the
    query: tests/test_prefilter.py then checks that both find the same.
    """
    if not prefilter.ENABLED:
        matches = list(source.matches(_ENV_SOURCES))
        expressions = sorted((m["env"][0] for m in matches if "env" in m), key=_span)
        return expressions, [(m["pattern"][0], m["value"][0]) for m in matches if "pattern" in m]
    content = source.content
    root = source.root
    found: dict[tuple[int, int], ts.Node] = {}
    patterns: dict[tuple[int, int, int, int], tuple[ts.Node, ts.Node]] = {}
    start = content.find(b"env")
    while start != -1:
        node = root.descendant_for_byte_range(start, start + len(b"env"))
        if node is not None:
            _env_occurrence(node, found, patterns)
        start = content.find(b"env", start + 1)
    if prefilter.may_hide_text(source):
        for escape in _LETTER_ESCAPE.finditer(content):
            node = root.descendant_for_byte_range(escape.start(), escape.end())
            if node is not None:
                _env_occurrence(node, found, patterns)
    return [found[span] for span in sorted(found)], [patterns[key] for key in sorted(patterns)]


def _env_occurrence(
    node: ts.Node,
    found: dict[tuple[int, int], ts.Node],
    patterns: dict[tuple[int, int, int, int], tuple[ts.Node, ts.Node]],
) -> None:
    """Record what `_ENV_SOURCES` would match around `node`, the smallest node holding
    one occurrence of `env`: the member or subscript expression it names, or the
    destructuring whose key it is (a destructured name, a key, a string key)."""
    if node.type in ("string_fragment", "escape_sequence"):
        node = parent_of(node) or node
    kind = node.type
    parent = parent_of(node)
    if parent is None:
        return
    prop: ts.Node | None = None
    if kind == "property_identifier":
        if parent.type == "member_expression" and node in parent.children_by_field_name("property"):
            if text(node) == "env":
                found[_span(parent)] = parent
            return
        prop = parent if parent.type == "pair_pattern" else None
    elif kind in ("string", "template_string"):
        if parent.type == "subscript_expression" and node in parent.children_by_field_name("index"):
            found[_span(parent)] = parent
            return
        while parent is not None and parent.type in WRAPPERS:  # `{ [("env")]: e }`
            parent = parent_of(parent)
        if parent is not None and parent.type == "computed_property_name":
            parent = parent_of(parent)
        prop = parent if parent is not None and parent.type == "pair_pattern" else None
    elif kind == "shorthand_property_identifier_pattern":
        prop = parent if parent.type == "object_assignment_pattern" else node
    pattern = parent_of(prop) if prop is not None else None
    declarator = parent_of(pattern) if pattern is not None else None
    if (
        pattern is None
        or declarator is None
        or pattern.type != "object_pattern"
        or declarator.type != "variable_declarator"
        or pattern not in declarator.children_by_field_name("name")
    ):
        return
    for value in declarator.children_by_field_name("value"):
        if value.type in _PATTERN_VALUES:
            patterns[_span(pattern) + _span(value)] = (pattern, value)


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
    found: list[ts.Node] = []
    for ref in identifiers_named(source, name, scope, _REFERENCE_TYPES):
        if ref == binding:
            continue
        parent = parent_of(ref)  # recorded for `_classify`, which climbs from it next
        if parent is not None and parent.type in ("import_specifier", "export_specifier"):
            continue
        if not (rebound and is_shadowed(ref, name, scope)):
            found.append(ref)
    return found


def _env_reads(source: SourceFile) -> list[_Read]:
    """Every read of the environment in the file, each expression once."""
    names, env_imports = _file_names(source)
    expressions, patterns = _env_sources(source)
    reads: list[_Read] = []
    pending: list[ts.Node] = list(env_imports)  # alias bindings to follow
    for found in _destructured_from_process(patterns, names):
        if isinstance(found, _Read):
            reads.append(found)
        else:
            pending.append(found.binding)
    uses: list[ts.Node] = list(_env_expressions(expressions, names))
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
            parent = parent_of(ancestor)
            is_parameter = parent is not None and parent.type in (
                "required_parameter",
                "optional_parameter",
            )
            return ancestor if is_parameter else None
    return None


# Where a decorator may start: an `@`, but not the `@/` of an import alias
# (`"@/lib/env"`, in nearly every Next.js file) unless a comment may follow it.
_DECORATOR_START = re.compile(rb"@(?!/[^/*])")


def _runs_at_import(node: ts.Node, decorated: bool = True) -> bool:
    """Module level (RULES.md Terms). Decorator arguments count wherever the decorator
    sits: a parameter decorator is evaluated when its class is defined, so it runs at
    import when the decorated method's class does. (`decorated` False: the bytes hold
    no `_DECORATOR_START`, so the file has no decorator to look for.)"""
    if is_module_level(node):
        return True
    if not decorated:
        return False
    decorator = _parameter_decorator(node)
    if decorator is None:
        return False
    method = next((a for a in ancestors(decorator) if a.type in FUNCTION_TYPES), None)
    return method is not None and is_module_level(method)


def _is_async(function: ts.Node) -> bool:
    return any(child.type == "async" for child in function.children)


# What a file must hold to reach the environment object (module docstring): both names,
# either of which may sit in a string (`process["env"]`, a module name `"pro\\cess"`, a
# key split by a line continuation), so escapes are allowed for. The engine skips the
# check on other files.
NEEDS = prefilter.needs(prefilter.has_text(b"env"), prefilter.has_text(b"process"))


def _lacks_env(source: SourceFile) -> bool:
    """Whether the file fails `NEEDS` (for callers other than the engine)."""
    return not NEEDS.met_by(source)


def check(source: SourceFile, ctx: RuleContext) -> None:
    # No `env` taken from a `process` in the bytes: nothing to read. (The engine asks
    # `NEEDS` before calling; from the scan of the bytes, asking again costs nothing.)
    if _lacks_env(source):
        return
    # A declaration file holds no code that runs, and `allow-files` names the modules
    # (a validated `env.ts`) that are the one place the environment may be read.
    if source.is_declaration_file or glob_match(source.rel_path, ctx.list_option("allow-files")):
        return
    allowed = frozenset(ctx.list_option("allow"))
    require_async = ctx.bool_option("require-async-factory")
    decorated = _DECORATOR_START.search(source.content) is not None
    for read in _env_reads(source):
        if all(name in allowed for name in read.names):
            continue
        if _runs_at_import(read.at, decorated):
            ctx.report(read.at, name=read.label)
        elif require_async:
            # The innermost function decides: a sync callback inside an async factory
            # still runs whenever it is called, not when the factory is awaited.
            function = runtime_function(read.at)
            if function is not None and not _is_async(function):
                ctx.report(read.at, message=SYNC_MESSAGE, name=read.label)
