"""openai-responses-api: Chat Completions calls, where the Responses API is the standard.

Three shapes are flagged:
- `<any receiver>.chat.completions.create|stream|parse(...)` and every
  `<any receiver>.beta.chat.completions.<method>(...)`;
- legacy `<client>.completions.create(...)` when `<client>` is an OpenAI client (see
  `_OpenAIClients`: the legacy shape is shared with other SDKs, e.g. Anthropic's old
  Text Completions, so the receiver must be known);
- the Vercel AI SDK's `openai.chat(...)`, `openai` being the provider of
  `@ai-sdk/openai` or a provider made there with `createOpenAI(...)`.

Byte pre-filter: the first two shapes call a property spelled `completions` in the
bytes, the third a property spelled `chat` on a name imported from `@ai-sdk/openai`,
a module string the bytes show unless an escape spells part of it; a file without
these is skipped before the tree is asked (the import bindings included).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import NAME_BYTES, is_shadowed
from nextaudit.analysis.imports import import_bindings, names_imported_from
from nextaudit.analysis.syntax import callee_name, outer, text, unwrap
from nextaudit.context import RuleContext
from nextaudit.source import SourceFile

_COMPLETIONS_CALL = """
(call_expression
  function: (member_expression
    object: (member_expression
      property: (property_identifier) @completions (#eq? @completions "completions")) @target
    property: (property_identifier) @method)) @call
"""
_CHAT_CALL = """
(call_expression
  function: (member_expression
    object: (_) @provider
    property: (property_identifier) @chat (#eq? @chat "chat"))) @call
"""
_NEW = "(new_expression constructor: (_) @class) @new"
_TYPE_NAME = "(type_identifier) @type"
_VARIABLE_FROM_CALL = """
(variable_declarator
  name: (identifier) @name
  value: (call_expression function: (identifier) @factory))
"""

_COMPLETIONS = b"completions"
CHAT_METHODS = frozenset({"create", "stream", "parse"})
OPENAI_PACKAGE = "openai"
AI_SDK_PACKAGE = "@ai-sdk/openai"
_CLIENT_CLASSES = frozenset({"default", "OpenAI", "AzureOpenAI"})
# Type positions that may wrap the client class: `OpenAI | null`, `Promise<OpenAI>`.
_TYPE_WRAPPERS = frozenset(
    {"union_type", "parenthesized_type", "type_arguments", "generic_type", "readonly_type"}
)
_FUNCTION_LITERALS = frozenset({"arrow_function", "function_expression", "function"})

SDK_FIX = "call `client.responses.create(...)` (the Responses API) instead"
AI_SDK_FIX = "use `openai(...)` or `openai.responses(...)` (the Responses API) instead"


def _receiver(node: ts.Node) -> ts.Node:
    """Strip parentheses, type assertions and `await`: `(await getClient()).x`."""
    current = unwrap(node)
    while current.type == "await_expression" and current.named_child_count:
        current = unwrap(current.named_children[-1])
    return current


def _member(node: ts.Node, name: str) -> ts.Node | None:
    """The object of `node` when `node` is `<object>.<name>`."""
    if node.type != "member_expression":
        return None
    prop = node.child_by_field_name("property")
    return node.child_by_field_name("object") if text(prop) == name else None


def _last_name(node: ts.Node) -> str | None:
    """The name a receiver is known by: `openai`, `this.openai`, `getOpenAI()`."""
    if node.type == "identifier":
        return text(node)
    if node.type == "member_expression":
        return text(node.child_by_field_name("property"))
    if node.type == "call_expression":
        return callee_name(node)
    return None


class _OpenAIClients:
    """What counts as an OpenAI client, for the legacy `.completions.create(...)`:
    a receiver whose name contains `openai` (`openai`, `this.openAIClient`,
    `getOpenAI()`); `new OpenAI(...)` itself; or a name this file binds to one: a
    variable, field, property or assignment target initialised with `new OpenAI(...)`
    or `new AzureOpenAI(...)` (the class imported from `openai`, renamed or through a
    namespace), a parameter, field or function return typed with that class, or a name
    imported from a local module whose path mentions openai (`@/lib/openai`)."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source

    @functools.cached_property
    def _classes(self) -> tuple[frozenset[str], frozenset[str]]:
        classes: set[str] = set()
        namespaces: set[str] = set()
        for binding in import_bindings(self.source):
            if binding.module != OPENAI_PACKAGE:
                continue
            if binding.imported == "*":
                namespaces.add(binding.local)
            elif binding.imported in _CLIENT_CLASSES:
                classes.add(binding.local)
        return frozenset(classes), frozenset(namespaces)

    def is_client_class(self, node: ts.Node) -> bool:
        """`OpenAI`, `AzureOpenAI` (as imported), `ns.OpenAI`, or a required module."""
        classes, namespaces = self._classes
        node = unwrap(node)
        if node.type == "identifier":
            # `const OpenAI = require("openai")` binds the module, which is the class.
            return text(node) in classes or text(node) in namespaces
        if node.type == "member_expression":
            obj = node.child_by_field_name("object")
            prop = text(node.child_by_field_name("property"))
            return obj is not None and text(unwrap(obj)) in namespaces and prop != "default"
        return False

    @functools.cached_property
    def names(self) -> frozenset[str]:
        found = set(self._constructed_names()) | set(self._typed_names())
        for binding in import_bindings(self.source):
            module = binding.module.lower()
            if "openai" in module and module not in (OPENAI_PACKAGE, AI_SDK_PACKAGE):
                found.add(binding.local)
        return frozenset(found)

    def _constructed_names(self) -> Iterator[str]:
        for match in self.source.matches(_NEW):
            if self.is_client_class(match["class"][0]):
                name = _bound_name(match["new"][0])
                if name is not None:
                    yield name

    def _typed_names(self) -> Iterator[str]:
        classes, _namespaces = self._classes
        if not classes:
            return
        for node in self.source.nodes(_TYPE_NAME, "type"):
            if text(node) in classes:
                name = _annotated_name(node)
                if name is not None:
                    yield name

    def is_client(self, receiver: ts.Node) -> bool:
        if receiver.type == "new_expression":
            ctor = receiver.child_by_field_name("constructor")
            return ctor is not None and self.is_client_class(ctor)
        name = _last_name(receiver)
        if name is None:
            return False
        return "openai" in name.lower() or name in self.names


def _bound_name(value: ts.Node) -> str | None:
    """The name a value is stored under: `const x = v`, `this.x = v`, `x = v` in a
    class body, `{ x: v }`; through `a ?? v` and `a || v`."""
    current = outer(value)
    parent = current.parent
    while parent is not None and parent.type == "binary_expression":
        operator = parent.child_by_field_name("operator")
        if text(operator) not in ("??", "||"):
            return None
        current = outer(parent)
        parent = current.parent
    if parent is None:
        return None
    if parent.type == "variable_declarator":
        name = parent.child_by_field_name("name")
        return text(name) if name is not None and name.type == "identifier" else None
    if parent.type in ("assignment_expression", "augmented_assignment_expression"):
        left = parent.child_by_field_name("left")
        return _last_name(unwrap(left)) if left is not None else None
    if parent.type in ("public_field_definition", "field_definition"):
        return text(parent.child_by_field_name("name") or parent.child_by_field_name("property"))
    if parent.type == "pair":
        key = parent.child_by_field_name("key")
        return text(key) if key is not None and key.type == "property_identifier" else None
    return None


def _annotated_name(type_name: ts.Node) -> str | None:
    """The name whose type annotation mentions the client class: parameters, variables,
    fields, and functions returning it (`function getClient(): Promise<OpenAI>`)."""
    annotation = type_name.parent
    while annotation is not None and annotation.type in _TYPE_WRAPPERS:
        annotation = annotation.parent
    if annotation is None or annotation.type != "type_annotation":
        return None
    owner = annotation.parent
    if owner is None:
        return None
    if owner.type in ("required_parameter", "optional_parameter"):
        pattern = owner.child_by_field_name("pattern")
        return text(pattern) if pattern is not None and pattern.type == "identifier" else None
    if owner.type in ("variable_declarator", "public_field_definition", "property_signature"):
        name = owner.child_by_field_name("name")
        return text(name) if name is not None else None
    if owner.type in ("function_declaration", "method_definition", "function_signature"):
        return text(owner.child_by_field_name("name"))
    if owner.type in _FUNCTION_LITERALS:
        return _bound_name(owner)
    return None


def _chat_completions_label(target: ts.Node, method: str) -> str | None:
    """`chat.completions.<m>` / `beta.chat.completions.<m>` when `target` is the
    `<receiver>.completions` of a Chat Completions call; None otherwise."""
    completions_of = _member(target, "completions")
    if completions_of is None:
        return None
    chat = unwrap(completions_of)
    chat_of = _member(chat, "chat")
    if chat_of is not None and _member(_receiver(chat_of), "beta") is not None:
        return f"beta.chat.completions.{method}"
    is_chat = chat_of is not None or (chat.type == "identifier" and text(chat) == "chat")
    if is_chat and method in CHAT_METHODS:
        return f"chat.completions.{method}"
    return None


def _report(
    source: SourceFile, ctx: RuleContext, call: ts.Node, label: str, api: str, fix: str
) -> None:
    function = call.child_by_field_name("function") or call
    ctx.report_location(
        source.span(call.start_point, function.end_point),
        snippet=source.node_text(call),
        call=label,
        api=api,
        fix=fix,
    )


def _short_callee(source: SourceFile, call: ts.Node, fallback: str) -> str:
    """The callee as written (`oai.chat`), when it is short enough for a message."""
    function = call.child_by_field_name("function")
    written = source.node_text(function) if function is not None else ""
    return written if written and "\n" not in written and len(written) <= 40 else fallback


def _completions_calls(source: SourceFile) -> list[tuple[ts.Node, ts.Node, ts.Node]]:
    """(`@call`, `@target`, `@method`) of each match of `_COMPLETIONS_CALL`, in source
    order.

    The query walks the whole tree; the property it names is spelled `completions` in
    the bytes (a name's text is its bytes), so the calls are found by climbing from
    the node at each occurrence of the word: the property of a member expression that
    is the object of the callee of a call. With filters off, the query
    (tests/test_prefilter.py compares both).
    """
    if not prefilter.ENABLED:
        return [
            (m["call"][0], m["target"][0], m["method"][0])
            for m in source.matches(_COMPLETIONS_CALL)
        ]
    content = source.content
    root = source.root
    size = len(_COMPLETIONS)
    found: list[tuple[ts.Node, ts.Node, ts.Node]] = []
    at = content.find(_COMPLETIONS)
    while at != -1:
        end = at + size
        if end < len(content) and content[end] in NAME_BYTES:
            at = content.find(_COMPLETIONS, end)
            continue
        prop = root.named_descendant_for_byte_range(at, end)
        at = content.find(_COMPLETIONS, end)
        if prop is None or prop.type != "property_identifier":
            continue
        if prop.start_byte != end - size or prop.end_byte != end:
            continue
        target = prop.parent
        if target is None or target.type != "member_expression":
            continue
        if target.child_by_field_name("property") != prop:
            continue
        function = target.parent
        if function is None or function.type != "member_expression":
            continue
        method = function.child_by_field_name("property")
        if function.child_by_field_name("object") != target or method is None:
            continue
        if method.type != "property_identifier":
            continue
        call = function.parent
        if call is None or call.type != "call_expression":
            continue
        if call.child_by_field_name("function") == function:
            found.append((call, target, method))
    return found


def _check_completions(source: SourceFile, ctx: RuleContext) -> None:
    clients = _OpenAIClients(source)
    for call, target, method_node in _completions_calls(source):
        method = text(method_node)
        label = _chat_completions_label(target, method)
        if label is not None:
            _report(source, ctx, call, label, "Chat Completions", SDK_FIX)
            continue
        receiver = target.child_by_field_name("object")
        if method == "create" and receiver is not None and clients.is_client(_receiver(receiver)):
            _report(source, ctx, call, "completions.create", "legacy Completions", SDK_FIX)


def _ai_sdk_providers(source: SourceFile) -> tuple[set[str], set[str], set[str], set[str]]:
    """(imported `openai` names, namespaces of @ai-sdk/openai, `createOpenAI` names,
    variables assigned `createOpenAI(...)`)."""
    providers, namespaces = names_imported_from(source, AI_SDK_PACKAGE, "openai")
    factories, _ = names_imported_from(source, AI_SDK_PACKAGE, "createOpenAI")
    made: set[str] = set()
    if factories:
        for match in source.matches(_VARIABLE_FROM_CALL):
            if text(match["factory"][0]) in factories:
                made.add(text(match["name"][0]))
    return providers, namespaces, factories, made


def _check_ai_sdk_chat(source: SourceFile, ctx: RuleContext) -> None:
    providers, namespaces, factories, made = _ai_sdk_providers(source)
    if not (providers or namespaces or made):
        return
    for match in source.matches(_CHAT_CALL):
        call = match["call"][0]
        provider = _receiver(match["provider"][0])
        name = text(provider)
        if provider.type == "identifier":
            hit = name in made or (name in providers and not is_shadowed(call, name))
        elif provider.type == "member_expression":
            obj = provider.child_by_field_name("object")
            hit = _member(provider, "openai") is not None and text(obj) in namespaces
        elif provider.type == "call_expression":
            hit = callee_name(provider) in factories
        else:
            hit = False
        if hit:
            label = _short_callee(source, call, "openai.chat")
            _report(source, ctx, call, label, "Chat Completions", AI_SDK_FIX)


# `completions`, or `chat` and the AI SDK's module name (module docstring), as clauses
# that must all hold; the engine skips the check on other files.
NEEDS = prefilter.needs(
    prefilter.either(prefilter.has(b"completions"), prefilter.has(b"chat")),
    prefilter.either(prefilter.has(b"completions"), prefilter.has_text(AI_SDK_PACKAGE.encode())),
)


def check(source: SourceFile, ctx: RuleContext) -> None:
    if not prefilter.lacks(source, b"completions"):
        _check_completions(source, ctx)
    if not prefilter.lacks(source, b"chat") and not prefilter.lacks_text(
        source, AI_SDK_PACKAGE.encode()
    ):
        _check_ai_sdk_chat(source, ctx)
