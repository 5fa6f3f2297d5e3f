"""The import shortcuts answer as the slow ways did.

- `import_bindings` (string values and names sliced from the bytes) gives what the
  query over import statements, read with `syntax.string_value` / `syntax.text`, gave;
- `bindings_from(source, m)` (the statements around the string `"m"` in the bytes) is
  `import_bindings(source)` filtered to module `m`, for every module a file imports.

Run over every fixture file, the oddities of `test_name_search`, the oddities below
and fuzzed files.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_name_search import _mutated, _parse, _sources

from nextaudit.analysis.imports import bindings_from, import_bindings
from nextaudit.analysis.syntax import string_value, text
from nextaudit.source import SourceFile

_STATEMENTS = "(import_statement source: (string) @source) @import"

ODDITIES = [
    'import a from "next/headers"; import { b as c, "d-e" as f } from \'next/headers\';',
    'import * as g from "next/headers"; import h, { i } from "next/server";',
    'import j from "next\\/headers"; import k from "next/headers\\u0020";',
    'import l from "next/headers; import m from \'next/headers";\nimport n from "x";',
    'declare module "next/headers" { import o from "next/headers"; }',
    'const p = "next/headers"; import("next/headers"); export { q } from "next/headers";',
    'import type { r } from "next/headers"; import { type s } from "next/headers";',
    'import t = require("next/headers"); const u = require("next/headers");',
    'import {v} from"next/headers"import w from "next/headers"',
    'import x from "next/headers" with { type: "next/headers" };',
    'import { "next/headers" as y } from "z"; import "next/headers";',
    'import a from "  next/headers  "; import b from "next/headersx"; import c from "anext/headers";',
    "import { a, } from 'next/headers'\nimport { /* c */ b } from 'next/headers'",
    'import d from `next/headers`; import { e as } from "next/headers"; import { from "next/headers"',
    'import f from "n\\\next/headers"; // \\',
    'import é from "next/headers"; import { ü as ö } from "é/next/headers";',
]


def _reference(source: SourceFile) -> list[tuple[str, str, str, int, int]]:
    """The import statements' bindings as the query and `syntax` read them."""
    out: list[tuple[str, str, str, int, int]] = []
    for statement in source.nodes(_STATEMENTS, "import"):
        source_node = statement.child_by_field_name("source")
        module = string_value(source_node) if source_node is not None else None
        if module is None:
            continue
        for clause in statement.named_children:
            if clause.type != "import_clause":
                continue
            for part in clause.named_children:
                found: list[tuple[str, str, object]] = []
                if part.type == "identifier":
                    found.append((text(part), "default", part))
                elif part.type == "namespace_import":
                    found.extend(
                        (text(i), "*", i) for i in part.named_children if i.type == "identifier"
                    )
                elif part.type == "named_imports":
                    for spec in part.named_children:
                        if spec.type != "import_specifier":
                            continue
                        name = spec.child_by_field_name("name")
                        alias = spec.child_by_field_name("alias") or name
                        if name is None or alias is None:
                            continue
                        imported = string_value(name) if name.type == "string" else text(name)
                        found.append((text(alias), imported or "", alias))
                for local, imported, node in found:
                    assert hasattr(node, "start_byte")
                    out.append((local, imported, module, node.start_byte, node.end_byte))  # type: ignore[attr-defined]
    return out


def _rows(source: SourceFile, module: str | None = None) -> list[tuple[str, str, str, int, int]]:
    bindings = import_bindings(source) if module is None else bindings_from(source, module)
    return [(b.local, b.imported, b.module, b.node.start_byte, b.node.end_byte) for b in bindings]


def _check(source: SourceFile) -> None:
    everything = _rows(source)
    if b"require" not in source.content:
        assert everything == _reference(source)
    modules = {row[2] for row in everything} | {"next/headers", "next/server"}
    for module in sorted(modules):
        expected = [row for row in everything if row[2] == module]
        assert _rows(source, module) == expected, module


def test_fixtures_and_oddities_answer_as_the_slow_ways() -> None:
    extra = [(f"import-oddity-{i}.ts", code.encode("utf-8")) for i, code in enumerate(ODDITIES)]
    seen = 0
    for _path, rel, raw in [*_sources(), *[(r, r, c) for r, c in extra]]:
        source = _parse(rel, raw)
        _check(source)
        seen += len(_rows(source, "next/headers"))
    assert seen > 20


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_mutated(), rel=st.sampled_from(["x.ts", "x.tsx", "x.js"]))
def test_mutated_files_answer_the_same(data: bytes, rel: str) -> None:
    _check(_parse(rel, data))


_PIECES = [
    "import ",
    "a",
    "{ b as c }",
    "* as d",
    " from ",
    '"next/headers"',
    "'next/headers'",
    '"next/',
    "headers",
    '"',
    "'",
    "\\",
    ";",
    "\n",
    "/*",
    "*/",
    "declare module 'm' {",
    "}",
    "type ",
    ", ",
]


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.sampled_from(_PIECES), max_size=24))
def test_import_soup_answers_the_same(pieces: list[str]) -> None:
    _check(_parse("soup.ts", "".join(pieces).encode("utf-8")))
