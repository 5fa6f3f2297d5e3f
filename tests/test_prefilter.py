"""Byte pre-filters change what a run costs, never what it finds.

Every file rule runs over every fixture tree (with that tree's options for the rule)
and over every documented example, once with the filters on and once off; the
findings must be the same. Fuzzed mutations of the fixtures go through the same
comparison. A file with nothing any rule looks for must cost no tree walk at all.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rule_harness import fixture_options, setting

from nextaudit.analysis import prefilter
from nextaudit.discovery import discover
from nextaudit.engine import RuleSetting, analyze_source, settings_from
from nextaudit.registry import default_registry
from nextaudit.source import SourceFile

FILE_RULES = sorted(r.id for r in default_registry() if r.kind == "file")
Outcome = list[tuple[object, ...]]


def _outcome(sources: list[tuple[str, str, bytes]], settings_: list[RuleSetting]) -> Outcome:
    out: Outcome = []
    for path, rel, raw in sources:
        result = analyze_source(SourceFile.from_bytes(path, rel, raw), settings_)
        out += [
            (f.path, f.rule_id, f.location, f.message, f.severity, f.snippet)
            for f in result.findings
        ]
        out += [(n.path, n.kind, n.message) for n in result.notices]
    return out


def _both_ways(
    sources: list[tuple[str, str, bytes]],
    settings_: list[RuleSetting],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Outcome, Outcome]:
    monkeypatch.setattr(prefilter, "ENABLED", False)
    unfiltered = _outcome(sources, settings_)
    monkeypatch.setattr(prefilter, "ENABLED", True)
    return _outcome(sources, settings_), unfiltered


@functools.cache
def _tree_sources(root: Path) -> list[tuple[str, str, bytes]]:
    return [
        (p.as_posix(), p.relative_to(root).as_posix(), p.read_bytes())
        for p in discover([root], root).files
    ]


def _fixture_trees() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir())


@pytest.mark.parametrize("root", _fixture_trees(), ids=lambda p: p.name)
def test_every_rule_finds_the_same_with_and_without_filters(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_ = [setting(rule_id, fixture_options(root, rule_id)) for rule_id in FILE_RULES]
    filtered, unfiltered = _both_ways(_tree_sources(root), settings_, monkeypatch)
    assert filtered == unfiltered


def _examples() -> Iterator[tuple[str, int, str, str, dict[str, object]]]:
    for rule in default_registry():
        if rule.kind != "file":
            continue
        for kind, examples in (("valid", rule.valid), ("invalid", rule.invalid)):
            for index, example in enumerate(examples):
                yield rule.id, index, kind, example.path, dict(example.options)


@pytest.mark.parametrize(
    ("rule_id", "index", "kind", "path", "options"),
    list(_examples()),
    ids=lambda v: str(v) if isinstance(v, (str, int)) else "",
)
def test_documented_examples_find_the_same_with_and_without_filters(
    rule_id: str,
    index: int,
    kind: str,
    path: str,
    options: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rule = default_registry()[rule_id]
    example = (rule.valid if kind == "valid" else rule.invalid)[index]
    sources = [("/virtual/" + path, path, example.code.encode("utf-8"))]
    filtered, unfiltered = _both_ways(sources, [setting(rule_id, options)], monkeypatch)
    assert filtered == unfiltered


@functools.cache
def _fixture_files() -> list[bytes]:
    return [raw for root in _fixture_trees() for _p, _r, raw in _tree_sources(root)]


@st.composite
def _mutated(draw: Callable[..., Any]) -> bytes:
    """A fixture with one of its lines copied elsewhere or a piece cut out: a cheap way
    to put code the rules look for in places and shapes no fixture has."""
    data: bytes = draw(st.sampled_from(_fixture_files()))
    lines = data.splitlines(keepends=True) or [b""]
    first = draw(st.integers(0, len(lines) - 1))
    last = draw(st.integers(first, min(len(lines), first + 5)))
    piece = b"".join(lines[first:last])
    target = draw(st.integers(0, len(lines)))
    if draw(st.booleans()):
        return b"".join(lines[:target]) + piece + b"".join(lines[target:])
    return b"".join(lines[:first]) + b"".join(lines[last:])


ROLES = ("lib/util.ts", "app/api/items/[id]/route.ts", "app/shop/[slug]/page.tsx", "x.js")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=_mutated(), rel=st.sampled_from(ROLES))
def test_mutated_fixtures_find_the_same_with_and_without_filters(
    data: bytes, rel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_ = settings_from(default_registry())
    filtered, unfiltered = _both_ways([("/virtual/" + rel, rel, data)], settings_, monkeypatch)
    assert filtered == unfiltered


QUIET_FILES = {
    "components/counter.tsx": (
        '"use client";\nimport { useState } from "react";\n\n'
        "export function Counter({ start }: { start: number }) {\n"
        "  const [n, setN] = useState(start);\n"
        "  return <button onClick={() => setN(n + 1)}>{n}</button>;\n}\n"
    ),
    "lib/math.ts": (
        'import { clamp } from "./clamp";\n\n'
        "export function average(values: readonly number[]): number {\n"
        "  if (values.length === 0) return 0;\n"
        "  return clamp(values.reduce((a, b) => a + b, 0) / values.length, 0, 100);\n}\n"
    ),
    "app/about/page.tsx": (
        "export default function About() {\n  return <main>About us</main>;\n}\n"
    ),
}


@pytest.mark.parametrize("rel", sorted(QUIET_FILES))
def test_a_file_with_nothing_to_look_at_costs_no_tree_walk(rel: str) -> None:
    """Every default rule over a file that holds nothing any rule looks for: no rule
    asks for a whole-tree query, so the only pass over the tree was the parse."""
    source = SourceFile.from_bytes("/virtual/" + rel, rel, QUIET_FILES[rel].encode())
    result = analyze_source(source, settings_from(default_registry()))
    assert result.findings == []
    assert not source._asked, sorted(source._asked or ())


@pytest.mark.parametrize(
    ("code", "lacking"),
    [
        ('const m = "gpt-4o";', False),
        ('const m = "g\\pt-4o";', False),  # a backslash before `p` drops out
        ('const m = "gp\\\nt-4o";', False),  # a line continuation
        ('const m = "gp\\\r\nt-4o";', False),
        ('const m = "\\x67pt-4o";', False),  # escapes that spell letters: anything goes
        ('const m = "\\u0067pt-4o";', False),
        ('const m = "\\u{67}pt-4o";', False),
        ('const m = "\\147pt-4o";', False),
        ("const m = `g\\pt-4o`;", False),
        ('const m = "claude";', True),
        ('const m = /\\d+\\s*pt/.test(x) ? "g" : "t";', True),  # no spelling escape
        ('const m = "g\\npt";', True),  # "g", a line break, "pt"
    ],
)
def test_lacks_text_allows_for_escapes(code: str, lacking: bool) -> None:
    source = SourceFile.from_bytes("/v/a.ts", "a.ts", code.encode())
    assert prefilter.lacks_text(source, b"gpt") is lacking
    assert prefilter.lacks_text_match(source, re.compile(rb"gpt-\d")) is (
        lacking or "4o" not in code
    )


def test_filters_off_lack_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    source = SourceFile.from_bytes("/v/a.ts", "a.ts", b"const a = 1;")
    assert prefilter.lacks(source, b"catch")
    assert prefilter.lacks_text(source, b"catch")
    monkeypatch.setattr(prefilter, "ENABLED", False)
    assert not prefilter.lacks(source, b"catch")
    assert not prefilter.lacks_text(source, b"catch")
    assert not prefilter.lacks_match(source, re.compile(rb"catch"))
    assert not prefilter.lacks_text_match(source, re.compile(rb"catch"))
    assert not prefilter.lacks_any(source, ["catch"])


SPELLED = [
    ("no-module-level-env", "lib/env2.ts", 'export const key = process["\\env"].API_KEY;\n'),
    (
        "await-request-apis",
        "app/api/a/route.ts",
        'import { cookies } from "next/h\\eaders";\n'
        "export async function GET() {\n  return Response.json(cookies().get('a'));\n}\n",
    ),
    (
        "await-route-params",
        "app/shop/[slug]/page.tsx",
        "export default function Page(props: { params: Promise<{ slug: string }> }) {\n"
        '  return <p>{props["p\\arams"].slug}</p>;\n}\n',
    ),
]


@pytest.mark.parametrize(("rule_id", "rel", "code"), SPELLED, ids=[s[1] for s in SPELLED])
def test_text_spelled_by_escapes_is_still_found(
    rule_id: str, rel: str, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backslash that drops out inside the string that holds what a filter looks
    for: the file must get through the filter. (Line continuations are allowed for
    by the filters too, though string_value does not read them as the language does.)"""
    sources = [("/virtual/" + rel, rel, code.encode())]
    filtered, unfiltered = _both_ways(sources, [setting(rule_id, {})], monkeypatch)
    assert unfiltered, "the rule reports this file when nothing filters it"
    assert filtered == unfiltered
