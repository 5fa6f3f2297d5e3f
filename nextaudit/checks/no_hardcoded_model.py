"""no-hardcoded-model: AI model ids written as string literals outside the models module.

Byte pre-filter: a literal whose value is an id shows in the file's bytes as a quote
followed by its family's prefix (in any case) unless an escape spells part of it, and a
value an `extra-patterns` regex matches is a stretch of the file's text where the
regex's own search finds it (unless an escape or an anchor is involved), so a file
without any of these cannot hold a finding and is skipped before the tree is asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.imports import import_bindings
from nextaudit.analysis.model_ids import (
    LETTER_ESCAPE,
    QUOTED_ID_TEXT,
    is_bare_reasoning_id,
    is_model_id,
    quoted_id_text_re2,
)
from nextaudit.analysis.paths import glob_match
from nextaudit.analysis.syntax import callee_name, member_chain, string_value, text
from nextaudit.context import RuleContext
from nextaudit.safe_regex import UserPattern
from nextaudit.source import SourceFile

# Plain strings and templates (those with substitutions have no single value and are
# skipped by `string_value`). JSX text and comments are other node types.
_STRINGS = "[(string) (template_string)] @string"

# Wrappers that hand a literal's value on unchanged to the slot that receives it:
# `model: ("o1" as const)`, `model={"o1"}`, `models: ["o1", "o3"]`.
_TRANSPARENT = frozenset(
    {
        "parenthesized_expression",
        "as_expression",
        "satisfies_expression",
        "non_null_expression",
        "type_assertion",
        "jsx_expression",
        "array",
    }
)
# `model: env.MODEL ?? "o3"`, `model || "o1"`, `flag && "o1"` (right side only).
_FALLBACK_OPERATORS = frozenset({"||", "??"})

# Calls whose first argument names a module, not a value.
_MODULE_LOADERS = frozenset(
    {
        ("require",),
        ("require", "resolve"),
        ("import", "meta", "resolve"),
        *(
            (runner, method)
            for runner in ("jest", "vi")
            for method in (
                "mock",
                "doMock",
                "unmock",
                "doUnmock",
                "requireActual",
                "requireMock",
                "importActual",
                "importMock",
                "createMockFromModule",
            )
        ),
    }
)
# A CSS class is never a model id even when it is spelled like one (`"claude-logo"`).
_CLASS_NAME_SLOTS = frozenset({"className", "class"})
_CLASS_NAME_HELPERS = frozenset(
    {"cn", "clsx", "classnames", "classNames", "cx", "twMerge", "twJoin"}
)
# Packages whose default export is a class-name helper (`import cx from "classnames"`).
_CLASS_NAME_PACKAGES = frozenset({"clsx", "classnames", "classnames/bind", "tailwind-merge"})
_SHOWN_LENGTH = 80
_MAX_WRAPPERS = 32
# What makes a user pattern's search in the file's text differ from its full match on a
# value: the value sits between quotes there, not at the start or end of a text. (Word
# boundaries agree: a quote, like the edge of a text, is not a word character.)
_ANCHORS = ("^", "$", "\\A", "\\z", "\\Z")


_QUOTED_ID = prefilter.has_pattern(QUOTED_ID_TEXT)

# A quote and the start of a built-in id, or an escape that could spell a letter (the
# module docstring); the engine skips the check on other files.
_BUILT_IN_NEEDS = prefilter.needs(prefilter.either(_QUOTED_ID, prefilter.has_match(LETTER_ESCAPE)))


def needs(options: Mapping[str, object]) -> prefilter.Needs | None:
    """`_BUILT_IN_NEEDS`, unless `extra-patterns` may match anything (then the check's
    own filter searches the text with them)."""
    return None if options.get("extra-patterns") else _BUILT_IN_NEEDS


def check(source: SourceFile, ctx: RuleContext) -> None:
    extra_sources = ctx.list_option("extra-patterns")
    extra = ctx.regex_option("extra-patterns") if extra_sources else []
    if not _may_hold_a_model_id(source, extra_sources, extra):
        return
    if glob_match(source.rel_path, ctx.list_option("models-module")):
        return
    ignore = ctx.regex_option("ignore-patterns")
    helpers = _ClassNameHelpers(source)
    for node in _candidate_strings(source, bool(extra)):
        value = string_value(node)
        if value is None or not _is_hardcoded_model(node, value, extra, helpers):
            continue
        if any(pattern.fullmatch(value) for pattern in ignore):
            continue
        ctx.report(node, value=_shown(value))


def _candidate_strings(source: SourceFile, extra: bool) -> list[ts.Node]:
    """The string and template literals that may be reported, in source order: every
    one (`_STRINGS`) with user patterns, escapes that could spell a letter, or the
    filters off; else those whose opening quote starts a match of `QUOTED_ID_TEXT` (a
    literal whose value is a built-in id or a bare reasoning id shows it there, see
    model_ids; a match holds no quote but its first, so matches never hide one
    another's quote), instead of every literal of the tree."""
    if extra or not prefilter.ENABLED or prefilter.may_hide_text(source):
        return source.nodes(_STRINGS, "string")
    root = source.root
    found: dict[int, ts.Node] = {}
    for match in quoted_id_text_re2().finditer(source.content):
        quote = root.descendant_for_byte_range(match.start(), match.start() + 1)
        literal = quote.parent if quote is not None and not quote.is_named else None
        if (
            literal is not None
            and literal.type in ("string", "template_string")
            and literal.start_byte == match.start()
        ):
            found[literal.start_byte] = literal
    return [found[start] for start in sorted(found)]


def _may_hold_a_model_id(
    source: SourceFile, extra_sources: Sequence[str], extra: Sequence[UserPattern]
) -> bool:
    """False only when no string literal of the file can be reported (see the module
    docstring): checked on the bytes, before any tree walk."""
    if not prefilter.ENABLED:
        return True
    # `may_quote_model_id` as the shared scan of the bytes answers it (model_ids).
    if prefilter.may_hide_text(source) or not prefilter.lacks_clause(source, _QUOTED_ID):
        return True
    if not extra:
        return False
    # A user pattern may match any character: any escape may spell part of a value.
    if b"\\" in source.content or any(a in p for p in extra_sources for a in _ANCHORS):
        return True
    # The value of a literal without escapes is a stretch of the text, between quotes.
    return any(pattern.search(source.text) is not None for pattern in extra)


def _is_hardcoded_model(
    node: ts.Node, value: str, extra: Sequence[UserPattern], helpers: _ClassNameHelpers
) -> bool:
    if is_model_id(value) or any(pattern.fullmatch(value) for pattern in extra):
        return not _is_module_specifier(node) and not _is_class_name(_value_position(node), helpers)
    if is_bare_reasoning_id(value):
        return any("model" in name.lower() for name in _slot_names(_value_position(node)))
    return False


def _shown(value: str) -> str:
    return value if len(value) <= _SHOWN_LENGTH else value[: _SHOWN_LENGTH - 1] + "…"


# --- where the literal sits ----------------------------------------------------------


def _value_position(node: ts.Node) -> ts.Node:
    """The outermost expression that passes the literal's value on unchanged.

    The climb is capped: tree-sitter finds a node's parent by walking down from the
    root, so climbing a 10,000-deep nest one step at a time would be quadratic, and no
    real code wraps a value in more than a handful of parentheses and arrays.
    """
    current = node
    for _ in range(_MAX_WRAPPERS):
        parent = current.parent
        if parent is None or not _passes_on(parent, current):
            return current
        current = parent
    return node


def _passes_on(parent: ts.Node, child: ts.Node) -> bool:
    if parent.type in _TRANSPARENT:
        return True
    if parent.type == "ternary_expression":
        return child != parent.child_by_field_name("condition")
    return parent.type == "binary_expression" and _passes_operand_on(parent, child)


def _passes_operand_on(binary: ts.Node, operand: ts.Node) -> bool:
    operator = text(binary.child_by_field_name("operator"))
    if operator in _FALLBACK_OPERATORS:
        return True
    return operator == "&&" and operand == binary.child_by_field_name("right")


def _slot_names(position: ts.Node) -> list[str]:
    """Names of the property, variable, parameter, JSX attribute or assignment target
    that receives the value at `position` (two for `{ model: m = "o1" }`)."""
    parent = position.parent
    if parent is None:
        return []
    kind = parent.type
    if kind == "jsx_attribute":
        first = parent.named_children[0] if parent.named_child_count else None
        return [text(first)] if first is not None and first != position else []
    if kind in ("assignment_expression", "augmented_assignment_expression", "assignment_pattern"):
        if position != parent.child_by_field_name("right"):
            return []
        names = _target_names(parent.child_by_field_name("left"))
        grand = parent.parent
        if kind == "assignment_pattern" and grand is not None and grand.type == "pair_pattern":
            names += _key_names(grand.child_by_field_name("key"))
        return names
    if kind == "object_assignment_pattern":
        if position != parent.child_by_field_name("right"):
            return []
        return _target_names(parent.child_by_field_name("left"))
    slots = {
        "pair": ("value", "key"),
        "variable_declarator": ("value", "name"),
        "public_field_definition": ("value", "name"),
        "enum_assignment": ("value", "name"),
        "required_parameter": ("value", "pattern"),
        "optional_parameter": ("value", "pattern"),
    }
    if kind not in slots:
        return []
    value_field, name_field = slots[kind]
    if position != parent.child_by_field_name(value_field):
        return []
    return _key_names(parent.child_by_field_name(name_field))


def _key_names(key: ts.Node | None) -> list[str]:
    """The name of a property key or declared identifier; [] for patterns."""
    if key is None:
        return []
    if key.type in ("string", "template_string"):
        value = string_value(key)
        return [value] if value is not None else []
    if key.type == "computed_property_name":
        inner = key.named_children[0] if key.named_child_count else None
        return _key_names(inner) if inner is not None and inner.type == "string" else []
    if key.type in (
        "identifier",
        "property_identifier",
        "private_property_identifier",
        "shorthand_property_identifier_pattern",
        "number",
    ):
        return [text(key)]
    return []


def _target_names(target: ts.Node | None) -> list[str]:
    """`model`, `this.model`, `config["model"]` -> ["model"]."""
    if target is None:
        return []
    if target.type == "member_expression":
        return _key_names(target.child_by_field_name("property"))
    if target.type == "subscript_expression":
        return _key_names(target.child_by_field_name("index"))
    return _key_names(target)


def _is_module_specifier(node: ts.Node) -> bool:
    """`import ... from "x"`, `export ... from "x"`, `import x = require("x")`,
    `declare module "x"`, `require("x")`, `import("x")`, `vi.mock("x")`."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type in ("import_statement", "export_statement"):
        return node == parent.child_by_field_name("source")
    if parent.type in ("import_require_clause", "module"):
        return True
    if parent.type != "arguments":
        return False
    first = next((arg for arg in parent.named_children if arg.type != "comment"), None)
    if first != node or parent.parent is None:
        return False
    callee = parent.parent.child_by_field_name("function")
    if callee is None:
        return False
    if callee.type == "import":
        return True
    return _loader_chain(callee) in _MODULE_LOADERS


def _loader_chain(callee: ts.Node) -> tuple[str, ...]:
    chain = member_chain(callee)
    if chain is not None:
        return tuple(chain)
    receiver = callee.child_by_field_name("object") if callee.type == "member_expression" else None
    if receiver is not None and receiver.type == "meta_property":
        # `import.meta` is a node of its own, which member_chain does not follow.
        return ("import", "meta", text(callee.child_by_field_name("property")))
    return ()


class _ClassNameHelpers:
    """Local names of class-name helpers, imports renamed or not; read from the
    imports only when a model-like string needs it (few files have one)."""

    def __init__(self, source: SourceFile) -> None:
        self._source = source
        self._names: frozenset[str] | None = None

    def __contains__(self, name: object) -> bool:
        if self._names is None:
            self._names = _CLASS_NAME_HELPERS | {
                binding.local
                for binding in import_bindings(self._source)
                if binding.imported in _CLASS_NAME_HELPERS
                or (binding.imported == "default" and binding.module in _CLASS_NAME_PACKAGES)
            }
        return name in self._names


def _is_class_name(position: ts.Node, helpers: _ClassNameHelpers) -> bool:
    """`className="claude-logo"`, `cn("gpt-badge", ...)`, `{ className: "..." }`."""
    if any(name in _CLASS_NAME_SLOTS for name in _slot_names(position)):
        return True
    parent = position.parent
    if parent is None or parent.type != "arguments" or parent.parent is None:
        return False
    return callee_name(parent.parent) in helpers
