"""cors-allow-any-origin: `Access-Control-Allow-Origin: *`, an error when
`Access-Control-Allow-Credentials: true` is set beside it.

A header is "set" in four shapes, each with its own notion of "beside it":
- object key `{ "Access-Control-Allow-Origin": "*" }`: the same object literal;
- setter call `res.headers.set("Access-Control-Allow-Origin", "*")`: a setter on the
  same receiver in the same function;
- tuple `new Headers([["Access-Control-Allow-Origin", "*"]])`: the same tuple list;
- key/value entry `{ key: "Access-Control-Allow-Origin", value: "*" }` (next.config
  `headers()`): the same `headers: [...]` array.

Byte pre-filter: a finding needs a string literal whose only part is the origin header's
name (no escape), which lower-cases to `access-control-allow-origin` only if its bytes do
(no non-ASCII letter lower-cases to one of the name's), so a file whose lower-cased
bytes lack that name has nothing to report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import const_value
from nextaudit.analysis.flow import owning_function
from nextaudit.analysis.syntax import call_arguments, string_value, text, unwrap
from nextaudit.context import RuleContext
from nextaudit.findings import Severity
from nextaudit.source import SourceFile

ORIGIN = "access-control-allow-origin"
CREDENTIALS = "access-control-allow-credentials"
# Both header names, in any case, as the whole text of a string literal.
_HEADER_NAMES = (
    "((string_fragment) @name "
    '(#match? @name "(?i)^\\\\s*access-control-allow-(origin|credentials)\\\\s*$"))'
)
# `headers.set`, `headers.append` (Fetch), `res.setHeader` (Node), `res.header` (Express).
_SETTERS = frozenset({"set", "append", "setHeader", "header"})
# The pre-filter's question: the name in any (ASCII) case, as `bytes.lower` reads it;
# a pattern, so that the scan of the bytes the filters share answers it.
_ORIGIN_ANY_CASE = re.compile(re.escape(ORIGIN.encode("ascii")), re.IGNORECASE)
_TEST_FILE_MARKERS = (".test.", ".spec.", "__tests__/", "__mocks__/")

WITH_CREDENTIALS = (
    "`Access-Control-Allow-Origin: *` together with `Access-Control-Allow-Credentials: "
    "true`: browsers refuse the pair, and the usual workaround (echoing the request's "
    "Origin) lets every website make requests with your users' cookies; allow an "
    "explicit list of trusted origins"
)


@dataclass(frozen=True)
class HeaderSetting:
    """One place that sets a CORS header: `group` identifies what counts as "set
    beside it" (an object, a receiver in a function, a tuple list, an entry list)."""

    header: str
    value: ts.Node
    group: tuple[object, ...]
    holder: ts.Node | None = None  # the object literal, for the object-key shape


def _string(node: ts.Node) -> str | None:
    """The literal string value of `node`, also through a `const` it names."""
    node = unwrap(node)
    if node.type == "identifier":
        bound = const_value(node, text(node))
        if bound is None:
            return None
        node = unwrap(bound)
    value = string_value(node)
    return value.strip() if value is not None else None


def _is_wildcard(value: ts.Node) -> bool:
    return _string(value) == "*"


def _is_true(value: ts.Node) -> bool:
    node = unwrap(value)
    if node.type == "true":
        return True
    word = _string(node)
    return word is not None and word.lower() == "true"


def _pair_key(pair: ts.Node) -> str | None:
    key = pair.child_by_field_name("key")
    if key is None:
        return None
    if key.type == "property_identifier":
        return text(key)
    return string_value(key) if key.type == "string" else None


def _sibling_value(obj: ts.Node, key: str) -> ts.Node | None:
    for child in obj.named_children:
        if child.type == "pair" and _pair_key(child) == key:
            return child.child_by_field_name("value")
    return None


def _as_object_key(string: ts.Node) -> HeaderSetting | None:
    """`{ "Access-Control-Allow-Origin": v }` and `{ ["Access-Control-Allow-Origin"]: v }`."""
    holder = string.parent
    if holder is not None and holder.type == "computed_property_name":
        key, holder = holder, holder.parent
    else:
        key = string
    if holder is None or holder.type != "pair" or holder.child_by_field_name("key") != key:
        return None
    value = holder.child_by_field_name("value")
    obj = holder.parent
    if value is None or obj is None:
        return None
    return HeaderSetting("", value, ("object", obj.id), obj)


def _as_setter_argument(string: ts.Node) -> HeaderSetting | None:
    """`x.set("Access-Control-Allow-Origin", v)` and the other setters."""
    arguments = string.parent
    call = arguments.parent if arguments is not None else None
    if call is None or arguments is None or call.type != "call_expression":
        return None
    args = call_arguments(call)
    callee = call.child_by_field_name("function")
    if len(args) < 2 or args[0] != string or callee is None:
        return None
    callee = unwrap(callee)
    if callee.type != "member_expression":
        return None
    if text(callee.child_by_field_name("property")) not in _SETTERS:
        return None
    receiver = " ".join(text(callee.child_by_field_name("object")).split())
    scope = owning_function(call)
    return HeaderSetting("", args[1], ("setter", scope.id if scope else None, receiver))


def _as_tuple(string: ts.Node) -> HeaderSetting | None:
    """`["Access-Control-Allow-Origin", v]`, an entry of `new Headers([...])`."""
    pair = string.parent
    if pair is None or pair.type != "array":
        return None
    items = [c for c in pair.named_children if c.type != "comment"]
    if len(items) != 2 or items[0] != string:
        return None
    outer = pair.parent
    group = outer if outer is not None and outer.type == "array" else pair
    return HeaderSetting("", items[1], ("tuples", group.id))


def _as_entry(string: ts.Node) -> HeaderSetting | None:
    """`{ key: "Access-Control-Allow-Origin", value: v }`, a next.config `headers()`
    entry (or any object of that shape)."""
    pair = string.parent
    if pair is None or pair.type != "pair" or pair.child_by_field_name("value") != string:
        return None
    obj = pair.parent
    if _pair_key(pair) != "key" or obj is None or obj.type != "object":
        return None
    value = _sibling_value(obj, "value")
    if value is None:
        return None
    outer = obj.parent
    group = outer if outer is not None and outer.type == "array" else obj
    return HeaderSetting("", value, ("entries", group.id))


def _settings(source: SourceFile) -> list[HeaderSetting]:
    found: list[HeaderSetting] = []
    for fragment in source.nodes(_HEADER_NAMES, "name"):
        string = fragment.parent
        if string is None or string.type not in ("string", "template_string"):
            continue
        if string.named_child_count != 1:
            continue
        header = text(fragment).strip().lower()
        for shape in (_as_object_key, _as_setter_argument, _as_tuple, _as_entry):
            setting = shape(string)
            if setting is not None:
                found.append(HeaderSetting(header, setting.value, setting.group, setting.holder))
                break
    return found


def _spread_objects(obj: ts.Node) -> list[ts.Node]:
    """The object literals spread into `obj` through a `const` of this file:
    `{ ...corsHeaders, "Access-Control-Allow-Credentials": "true" }`."""
    found = []
    for child in obj.named_children:
        if child.type != "spread_element" or not child.named_children:
            continue
        spread = unwrap(child.named_children[0])
        if spread.type != "identifier":
            continue
        value = const_value(spread, text(spread))
        if value is not None and unwrap(value).type == "object":
            found.append(unwrap(value))
    return found


def _credentialed_groups(settings: list[HeaderSetting]) -> set[tuple[object, ...]]:
    """Groups where credentials are allowed; an object literal and the `const` objects
    spread into it count as one object, both ways."""
    groups = {s.group for s in settings if s.header == CREDENTIALS and _is_true(s.value)}
    for setting in settings:
        if setting.holder is None:
            continue
        for spread in _spread_objects(setting.holder):
            spread_group = ("object", spread.id)
            if setting.group in groups:
                groups.add(spread_group)  # the wildcard sits in the spread const
            elif spread_group in groups:
                groups.add(setting.group)  # credentials come from the spread const
    return groups


def _is_test_file(rel_path: str) -> bool:
    path = "/" + PurePosixPath(rel_path).as_posix()
    return any(marker in path for marker in _TEST_FILE_MARKERS)


# The origin header's name in the bytes (module docstring); the engine skips the check
# on other files.
NEEDS = prefilter.needs(prefilter.has_match(_ORIGIN_ANY_CASE))


def check(source: SourceFile, ctx: RuleContext) -> None:
    if not NEEDS.met_by(source):  # for callers other than the engine
        return
    if source.is_declaration_file or _is_test_file(source.rel_path):
        return
    settings = _settings(source)
    credentialed = _credentialed_groups(settings)
    # The credentials case is raised to error, unless the user turned the whole rule
    # down to a note.
    raised = Severity.ERROR if ctx.severity >= Severity.WARNING else ctx.severity
    for setting in settings:
        if setting.header != ORIGIN or not _is_wildcard(setting.value):
            continue
        if setting.group in credentialed:
            ctx.report(setting.value, severity=raised, message=WITH_CREDENTIALS)
        else:
            ctx.report(setting.value)
