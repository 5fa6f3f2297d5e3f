"""Import statements found from the bytes are exactly those the tree-sitter pattern
finds, in the same order, on every fixture and on fuzzed code."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st

from nextaudit.analysis.imports import _has_require_word, import_bindings, import_statements
from nextaudit.discovery import discover
from nextaudit.source import SourceFile

PATTERN = "(import_statement source: (string) @source) @import"


def _by_query(source: SourceFile) -> list[tuple[int, int]]:
    return [(n.start_byte, n.end_byte) for n in source.nodes(PATTERN, "import")]


def _by_bytes(source: SourceFile) -> list[tuple[int, int]]:
    return [(n.start_byte, n.end_byte) for n in import_statements(source)]


def test_every_fixture_file_gives_the_same_statements() -> None:
    files = discover([FIXTURES], FIXTURES).files
    seen = 0
    for path in files:
        source = SourceFile.from_bytes(path.as_posix(), path.name, path.read_bytes())
        assert _by_bytes(source) == _by_query(source), path
        seen += len(_by_bytes(source))
    assert seen > 100


def test_odd_imports() -> None:
    code = (
        'import a from "x";\nimport type { B } from "y";\nconst z = import("q");\n'
        'import.meta.url; import c = require("d");\nimport "side-effect";\n'
        'declare module "m" { import e from "f"; }\nconst imports = "import g from \'h\'";\n'
        '/* import h from "i" */ import{j}from"k"\n'
    )
    source = SourceFile.from_bytes("/v/a.d.ts", "a.d.ts", code.encode())
    assert _by_bytes(source) == _by_query(source)
    assert [b.module for b in import_bindings(source)] == ["x", "y", "f", "k"]
    assert [b.local for b in import_bindings(source)] == ["a", "B", "e", "j"]


PIECES = [
    'import a from "x";',
    "import ",
    "{ b as c }",
    ' from "y"',
    "import(",
    ")",
    "declare module 'm' {",
    "}",
    "const d = require('e');",
    "/*",
    "*/",
    '"',
    "`${",
    "\n",
    "function f() {",
    "<div>",
    "import * as ns from 'z';",
]


@st.composite
def _soup(draw: Callable[..., Any]) -> str:
    return "".join(draw(st.lists(st.sampled_from(PIECES), max_size=30)))


@settings(max_examples=200, deadline=None)
@given(code=_soup(), name=st.sampled_from(["a.ts", "b.tsx", "c.js"]))
def test_fuzzed_code_gives_the_same_statements(code: str, name: str) -> None:
    source = SourceFile.from_bytes("/v/" + name, name, code.encode())
    assert _by_bytes(source) == _by_query(source)


def test_require_bindings_only_where_the_whole_word_is() -> None:
    code = (
        "const requireUser = () => 1;\nconst $require = 2;\n"
        'const { a, b: c } = require("m");\nconst d = require("n");\n'
    )
    source = SourceFile.from_bytes("/v/a.js", "a.js", code.encode())
    assert [(b.local, b.imported, b.module) for b in import_bindings(source)] == [
        ("a", "a", "m"),
        ("c", "b", "m"),
        ("d", "*", "n"),
    ]
    lookalikes = SourceFile.from_bytes("/v/b.js", "b.js", b"requireUser(); $require(); x.require_")
    assert import_bindings(lookalikes) == []


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [b"require", b"requir", b"e", b"r", b"$", b"_", b"1", b"a", b" ", b"(", b"\xc3\xa9"]
        ),
        max_size=12,
    ).map(b"".join)
)
def test_the_require_word_search_agrees_with_the_lookaround_regex(content: bytes) -> None:
    reference = re.compile(rb"(?<![\w$])require(?![\w$])")
    assert _has_require_word(content) is (reference.search(content) is not None)
