"""error-response-status: an error response in a route file that goes out as 200 OK.

Pre-filter: a response is built from `Response` or `NextResponse` (a renamed import
still names `NextResponse`, unless escapes spell it in a string), so a route file whose
bytes hold no `Response` has none;
the responses are then found from the class names' occurrences, not by a query over
the whole tree.
"""

from __future__ import annotations

import enum
import re

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import NAME_BYTES, identifiers_named, keywords
from nextaudit.analysis.imports import names_imported_from
from nextaudit.analysis.prefilter import lacks_text_match
from nextaudit.analysis.syntax import (
    FUNCTION_TYPES,
    call_arguments,
    member_chain,
    outer,
    string_value,
    text,
    unwrap,
)
from nextaudit.context import RuleContext
from nextaudit.nextjs_roles import Role
from nextaudit.source import SourceFile

_RESPONSE_CLASSES = frozenset({"Response", "NextResponse"})
# `NextResponse` bound to another name: `import { NextResponse as R }` (the name may be
# a string), `const { NextResponse: R } = require(...)`. Either way the name is
# followed, after its closing quote and any spaces (non-ASCII ones included) or
# comments, by `as` or `:`. A file without that reads its imports for nothing.
_RENAMING = re.compile(rb"NextResponse[\"'`]?[\s\x80-\xff]*(?:as|[:/])")
_RENAMED = b"NextResponse"
# The bytes that can follow `NextResponse` in a `_RENAMING` match: a quote, a space
# (`\s`, or any non-ASCII byte), or the start of `as`, `:`, `/`.
_RENAMING_NEXT = frozenset(b"\"'` \t\n\r\f\va:/") | frozenset(range(0x80, 0x100))


def _spells_renaming(content: bytes) -> bool:
    """`_RENAMING.search(content) is not None`, with the name found by `bytes.find`
    (several times cheaper than the regex's own scan of a whole file) and the pattern
    tried only where the byte after it can continue a match (`NextResponse.json`
    cannot). The name has no border with itself: matches of it never overlap."""
    at = content.find(_RENAMED)
    while at != -1:
        stop = at + len(_RENAMED)
        if (
            stop < len(content)
            and content[stop] in _RENAMING_NEXT
            and _RENAMING.match(content, at) is not None
        ):
            return True
        at = content.find(_RENAMED, stop)
    return False


# `Response` ends `NextResponse` too: one search finds both names.
_RESPONSE_BYTES = b"Response"
_NEXT = b"Next"
_CATCH = b"catch"
_NOT_AN_ERROR = frozenset({"null", "undefined", "false"})
# Walking up from a `return` to its catch clause stops at these: the return belongs to
# a function of its own, or to a class body, not to the catch block.
_BOUNDARIES = FUNCTION_TYPES | {"class_body", "class_static_block", "program"}

NO_STATUS = (
    "`{response}` {reason} passes no status, so the failure goes out as 200 OK: pass an "
    "error status, e.g. `{{ status: 500 }}`"
)
SUCCESS_STATUS = (
    "`{response}` with an `error` body sets `status: {status}`, so the failure goes out as "
    "a success: use an error status (4xx or 5xx)"
)


class Status(enum.Enum):
    MISSING = "missing"  # no init, or an init object literal without `status`
    UNKNOWN = "unknown"  # a variable, a call, a spread: it may well carry a status
    GIVEN = "given"


def _response_classes(source: SourceFile) -> set[str]:
    # Without a backslash the unescaped bytes are the bytes: `lacks_match` (a search
    # of them: `\s` keeps the pattern out of the shared scan) says it all, and
    # `lacks_text_match` would search them a second time.
    content = source.content
    if b"\\" not in content:
        if prefilter.ENABLED and not _spells_renaming(content):  # `lacks_match`
            return set(_RESPONSE_CLASSES)
    elif lacks_text_match(source, _RENAMING):
        return set(_RESPONSE_CLASSES)
    renamed, _namespaces = names_imported_from(source, "next/server", "NextResponse")
    return set(_RESPONSE_CLASSES) | renamed


def _property_key(node: ts.Node) -> str | None:
    if node.type == "shorthand_property_identifier":
        return text(node)
    if node.type == "pair":
        key = node.child_by_field_name("key")
        if key is None:
            return None
        if key.type == "string":
            return string_value(key)
        return text(key) if key.type == "property_identifier" else None
    return None


def _object_literal(node: ts.Node | None) -> ts.Node | None:
    """The object literal a response body is, also through `JSON.stringify({...})`."""
    if node is None:
        return None
    node = unwrap(node)
    if node.type == "call_expression":
        function = node.child_by_field_name("function")
        args = call_arguments(node)
        if function is not None and member_chain(function) == ["JSON", "stringify"] and args:
            node = unwrap(args[0])
    return node if node.type == "object" else None


def _has_error_key(body: ts.Node | None) -> bool:
    """`{ error: ... }`, `{ "error": ... }`, `{ error }`; `error: null` (a success shape
    such as `{ data, error: null }`) does not count."""
    literal = _object_literal(body)
    if literal is None:
        return False
    for prop in literal.named_children:
        if _property_key(prop) != "error":
            continue
        value = prop.child_by_field_name("value") if prop.type == "pair" else None
        if value is None or text(unwrap(value)) not in _NOT_AN_ERROR:
            return True
    return False


def _may_spell_error(source: SourceFile, body: ts.Node) -> bool:
    """An `error` key is spelled in the body's bytes, or in an escape (`"\\u0065rror"`):
    most responses are successes, and their bodies need not be walked."""
    content = source.content
    start, end = body.start_byte, body.end_byte
    return content.find(b"error", start, end) != -1 or content.find(b"\\", start, end) != -1


def _status(init: ts.Node | None) -> tuple[Status, ts.Node | None]:
    if init is None:
        return Status.MISSING, None
    init = unwrap(init)
    if init.type != "object":
        return Status.UNKNOWN, None
    for prop in init.named_children:
        if prop.type == "spread_element":
            return Status.UNKNOWN, None
        if _property_key(prop) == "status":
            return Status.GIVEN, prop.child_by_field_name("value")
    return Status.MISSING, None


def _success_code(value: ts.Node | None) -> int | None:
    """The literal 2xx code of `status: 200`, if that is what the init says."""
    if value is None or unwrap(value).type != "number":
        return None
    try:
        code = int(text(unwrap(value)), 0)
    except ValueError:
        return None
    return code if 200 <= code <= 299 else None


def _returned_value(node: ts.Node) -> ts.Node | None:
    """The `return` statement that returns `node` directly (or as one branch of a
    conditional expression)."""
    current = outer(node)
    while current.parent is not None and current.parent.type == "ternary_expression":
        if current == current.parent.child_by_field_name("condition"):
            return None
        current = outer(current.parent)
    parent = current.parent
    return parent if parent is not None and parent.type == "return_statement" else None


def _returned_from_catch(node: ts.Node) -> bool:
    """`catch (e) { ... return X }`, through nested blocks, ifs, loops and switches; not
    from a nested function, nor from the body of a `try` nested in the catch (that is
    the recovery's success path)."""
    statement = _returned_value(node)
    if statement is None:
        return False
    child = statement
    ancestor = statement.parent
    while ancestor is not None and ancestor.type not in _BOUNDARIES:
        if ancestor.type == "catch_clause":
            return True
        if ancestor.type == "try_statement" and child == ancestor.child_by_field_name("body"):
            return False
        child, ancestor = ancestor, ancestor.parent
    return False


def catch_spans(source: SourceFile) -> list[tuple[int, int]] | None:
    """(start, end) of every catch clause, found at the `catch` keywords in the bytes;
    None when the tree has errors (error recovery may insert a clause whose keyword is
    missing, spelled nowhere). A response outside all of them is returned from none,
    and `_returned_from_catch` need not climb from it."""
    root = source.root
    if root.has_error:
        return None
    spans: list[tuple[int, int]] = []
    for keyword in keywords(source, _CATCH):
        clause = keyword.parent
        if clause is not None and clause.type == "catch_clause":
            spans.append((clause.start_byte, clause.end_byte))
    return spans


def _in_spans(node: ts.Node, spans: list[tuple[int, int]]) -> bool:
    start, end = node.start_byte, node.end_byte
    return any(low <= start and end <= high for low, high in spans)


def _describe(response: ts.Node, class_name: str) -> str:
    return (
        f"new {class_name}(...)" if response.type == "new_expression" else f"{class_name}.json(...)"
    )


def _response_of(class_node: ts.Node) -> ts.Node | None:
    """The `X.json(...)` call or `new X(...)` expression whose class is the identifier
    `class_node` (written as such: no parentheses, no cast)."""
    # Two steps up at most: `Node.parent` (one walk down, in C) is cheaper here than
    # `parent_of`, which records the whole path from the root in Python.
    parent = class_node.parent
    if parent is None:
        return None
    kind = parent.type
    if kind == "new_expression":
        return parent if parent.child_by_field_name("constructor") == class_node else None
    if kind != "member_expression" or parent.child_by_field_name("object") != class_node:
        return None
    method = parent.child_by_field_name("property")
    if method is None or method.type != "property_identifier" or text(method) != "json":
        return None
    call = parent.parent
    if call is None or call.type != "call_expression":
        return None
    return call if call.child_by_field_name("function") == parent else None


def _class_nodes(
    source: SourceFile, responses: list[tuple[ts.Node, str]] | None = None
) -> list[tuple[ts.Node, str]]:
    """(identifier, name) of every identifier spelled `Response` or `NextResponse`: what
    `identifiers_named` finds for each name, with one search for the two. Given
    `responses`, an identifier whose response `_spelled_response` finds is not listed:
    (response, name) is added to `responses` instead (as `_response_of` would find)."""
    content = source.content
    root = source.root
    size = len(_RESPONSE_BYTES)
    found: list[tuple[ts.Node, str]] = []
    at = content.find(_RESPONSE_BYTES)
    while at != -1:
        stop = at + size
        if stop >= len(content) or content[stop] not in NAME_BYTES:
            if responses is not None:
                # The name starts at `at`, or 4 bytes before (`Next`), after no name byte.
                # (A negative start would make `startswith` look at the file's end.)
                spelled_next = at >= len(_NEXT) and content.startswith(_NEXT, at - len(_NEXT))
                start = at - len(_NEXT) if spelled_next else at
                if start == 0 or content[start - 1] not in NAME_BYTES:
                    response = _spelled_response(source, start, stop)
                    if response is not None:
                        responses.append((response, "Response" if start == at else "NextResponse"))
                        at = content.find(_RESPONSE_BYTES, at + 1)
                        continue
            leaf = root.named_descendant_for_byte_range(at, stop)
            if leaf is not None and leaf.end_byte == stop and leaf.type == "identifier":
                start = leaf.start_byte
                if start == at:
                    found.append((leaf, "Response"))
                elif start == at - len(_NEXT) and content[start:at] == _NEXT:
                    found.append((leaf, "NextResponse"))
        at = content.find(_RESPONSE_BYTES, at + 1)
    return found


_JSON_CALL = b".json("
_NEW = b"new "


def _spelled_response(source: SourceFile, start: int, stop: int) -> ts.Node | None:
    """`_response_of` for the identifier [start, stop) in the common spellings
    `X.json(` and `new X(`, found with one descent from the root (not a descent to the
    identifier and one to each parent): the node around the spelled bytes is the call
    (or `new`), and its parts are checked to be exactly the identifier, `.json` and
    the arguments. None when anything differs: the general way then answers."""
    content = source.content
    root = source.root
    if content.startswith(_JSON_CALL, stop):
        call = root.named_descendant_for_byte_range(start, stop + len(_JSON_CALL))
        if call is None or call.type != "call_expression":
            return None
        member = call.child_by_field_name("function")
        if member is None or member.type != "member_expression":
            return None
        if member.start_byte != start or member.end_byte != stop + len(_JSON_CALL) - 1:
            return None
        method = member.child_by_field_name("property")
        if method is None or method.type != "property_identifier":
            return None
        constructor = member.child_by_field_name("object")
    elif (
        start >= len(_NEW)
        and content.startswith(_NEW, start - len(_NEW))
        and content.startswith(b"(", stop)
    ):
        call = root.named_descendant_for_byte_range(start - len(_NEW), stop + 1)
        if call is None or call.type != "new_expression":
            return None
        constructor = call.child_by_field_name("constructor")
    else:
        return None
    if constructor is None or constructor.type != "identifier":
        return None
    if constructor.start_byte != start or constructor.end_byte != stop:
        return None
    return call


def _responses(source: SourceFile, classes: set[str]) -> list[tuple[ts.Node, str]]:
    """(response, class name) of every `X.json(...)` and `new X(...)` with X one of
    `classes`, in source order."""
    found: list[tuple[ts.Node, str]] = []
    named = _class_nodes(source, found)
    for class_name in classes - _RESPONSE_CLASSES:
        named.extend((node, class_name) for node in identifiers_named(source, class_name))
    for class_node, class_name in named:
        response = _response_of(class_node)
        if response is not None:
            found.append((response, class_name))
    return sorted(found, key=lambda pair: (pair[0].start_byte, pair[0].end_byte))


# A route file whose bytes (or string values) spell `Response`: the engine skips the
# check on other files.
NEEDS = prefilter.needs(prefilter.has_text(b"Response"), roles=[Role.ROUTE])


def check(source: SourceFile, ctx: RuleContext) -> None:
    if not NEEDS.met_by(source):  # for callers other than the engine
        return
    classes = _response_classes(source)
    spans: list[tuple[int, int]] | None = None
    spans_read = False
    for response, class_name in _responses(source, classes):
        args = call_arguments(response)
        error_body = bool(args) and _may_spell_error(source, args[0]) and _has_error_key(args[0])
        if not error_body:
            if not spans_read:  # read once, on the first response without an error body
                spans, spans_read = catch_spans(source), True
            if spans is not None and not _in_spans(response, spans):
                continue
            if not _returned_from_catch(response):
                continue
        status, value = _status(args[1] if len(args) > 1 else None)
        described = _describe(response, class_name)
        if status is Status.MISSING:
            reason = "with an `error` body" if error_body else "returned from a catch block"
            ctx.report(response, message=NO_STATUS.format(response=described, reason=reason))
        elif status is Status.GIVEN and error_body:
            code = _success_code(value)
            if code is not None:
                ctx.report(response, message=SUCCESS_STATUS.format(response=described, status=code))
