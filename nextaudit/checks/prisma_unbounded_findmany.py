"""prisma-unbounded-findmany: `findMany()` / `findMany({...})` without a `take`.

Pre-filter: such a call spells, as written, `findMany` and the name of its client (the
last name of its receiver, one of option `clients`), so a file whose bytes lack either
has none and is skipped unparsed.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import cast

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.prisma import (
    prisma_call_clauses,
    prisma_calls_where,
)
from nextaudit.analysis.syntax import call_arguments, string_value, text, unwrap
from nextaudit.context import RuleContext
from nextaudit.source import SourceFile

_FIND_MANY = "findMany"
_OPERATIONS = frozenset({_FIND_MANY})


def _key_name(key: ts.Node) -> str | None:
    """`take`, `"take"`, `'take'`; None for a computed key (`[k]`), which could be any."""
    if key.type in ("property_identifier", "identifier"):
        return text(key)
    return string_value(key)


def _is_undefined(value: ts.Node) -> bool:
    value = unwrap(value)
    return value.type == "undefined" or (value.type == "identifier" and text(value) == "undefined")


def _selects_listed_ids(value: ts.Node) -> bool:
    """`where: { id: { in: ids } }`: at most one row per listed id, already bounded."""
    where = unwrap(value)
    if where.type != "object":
        return False
    for entry in where.named_children:
        if entry.type != "pair" or _key_name(entry.child_by_field_name("key") or entry) != "id":
            continue
        filter_value = unwrap(entry.child_by_field_name("value") or entry)
        if filter_value.type == "object" and any(
            part.type == "pair" and _key_name(part.child_by_field_name("key") or part) == "in"
            for part in filter_value.named_children
        ):
            return True
    return False


def _is_shorthand_take(entry: ts.Node) -> bool:
    return entry.type == "shorthand_property_identifier" and text(entry) == "take"


def _bounded(arguments: ts.Node) -> bool:
    """Whether the object literal may limit the rows. Later entries override earlier
    ones, so the last entry that can set `take` decides; a spread or a computed key might
    carry a `take` and counts as bounded (precision first); a `where` on listed ids
    bounds it wherever it stands. Read from the last entry back: most calls end with
    their `take`, and the other entries then need no look."""
    entries = arguments.named_children
    for entry in reversed(entries):
        verdict = _sets_take(entry)
        if verdict is not None:
            if verdict:
                return True
            break
    return any(_where_selects_listed_ids(entry) for entry in entries)


def _sets_take(entry: ts.Node) -> bool | None:
    """Whether the entry bounds the rows through `take` (a spread or a computed key may
    carry one); None when it cannot set `take`."""
    kind = entry.type
    if kind == "spread_element" or _is_shorthand_take(entry):
        return True
    if kind != "pair":
        return None
    key = entry.child_by_field_name("key")
    name = _key_name(key) if key is not None else None
    if name is None:
        return True
    if name != "take":
        return None
    value = entry.child_by_field_name("value")
    return None if value is None else not _is_undefined(value)


def _where_selects_listed_ids(entry: ts.Node) -> bool:
    if entry.type != "pair":
        return False
    key = entry.child_by_field_name("key")
    value = entry.child_by_field_name("value")
    name = _key_name(key) if key is not None else None
    return name == "where" and value is not None and _selects_listed_ids(value)


def _unbounded(call: ts.Node) -> bool:
    arguments = call.child_by_field_name("arguments")
    if arguments is None or arguments.type != "arguments":
        return False  # a tagged template: not a real findMany call
    args = call_arguments(call)
    if not args:
        return True
    first = unwrap(args[0])
    # A variable, a call or a conditional may well carry a `take`: only a literal
    # object can be read.
    return first.type == "object" and not _bounded(first)


def needs(options: Mapping[str, object]) -> prefilter.Needs:
    """`findMany` and a client of the options in the bytes: the engine skips other
    files."""
    return _needs(tuple(str(name) for name in cast(list[object], options["clients"])))


@functools.lru_cache(maxsize=64)
def _needs(clients: tuple[str, ...]) -> prefilter.Needs:
    """Built once per option value: the check asks it of every file it is handed."""
    return prefilter.needs(*prisma_call_clauses(clients, _OPERATIONS))


def check(source: SourceFile, ctx: RuleContext) -> None:
    clients = ctx.list_option("clients")
    # No `findMany` or no client spelled in the bytes: no such call (module docstring).
    # (`lacks_prisma_calls` as the engine asks it, from the file's one scan.)
    if not _needs(tuple(clients)).met_by(source):
        return
    # Only `findMany` calls: prisma-query-in-loop looks only inside loops, so no other
    # rule usually asks for every operation first, and asking for all of them would
    # look up every `create`, `update`, `count`... of the file in the tree. Most have
    # a `take`: whether a call is bounded is asked before its client is read.
    for found in prisma_calls_where(source, _unbounded, clients, _OPERATIONS):
        ctx.report(found.call, query=f"{found.client}.{found.model}.findMany")
