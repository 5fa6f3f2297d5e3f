"""Whole-tree queries run batched (one multi-pattern query per file) must give every
rule exactly what the pattern gives alone: same matches, same order, same captures."""

from __future__ import annotations

from pathlib import Path

import pytest
import tree_sitter as ts

from nextaudit import source as source_mod
from nextaudit.discovery import discover
from nextaudit.engine import analyze_source, settings_from
from nextaudit.registry import default_registry
from nextaudit.source import QueryPlan, SourceFile, compiled_query

FIXTURES = Path(__file__).parent / "fixtures"


class _BatchEverything(QueryPlan):
    """Batches every pattern asked for so far, re-planning at every file."""

    def file_started(self) -> None:
        self.files += 1
        wanted = frozenset(self.uses)
        if wanted != self.batched:
            self.batched = wanted
            self._queries.clear()


class _NeverBatch(QueryPlan):
    CHECKPOINTS = frozenset()


def _fixture_sources() -> list[SourceFile]:
    files = discover([FIXTURES], FIXTURES).files
    return [
        SourceFile.from_bytes(p.as_posix(), p.relative_to(FIXTURES).as_posix(), p.read_bytes())
        for p in files
    ]


def _findings(plan: QueryPlan, monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    monkeypatch.setattr(source_mod, "QUERY_PLAN", plan)
    settings = settings_from(default_registry())
    out: list[tuple[object, ...]] = []
    for source in _fixture_sources():
        result = analyze_source(source, settings)
        out += [(f.path, f.rule_id, f.location, f.message) for f in result.findings]
        out += [(n.path, n.kind, n.message) for n in result.notices]
    return out


def test_rules_find_the_same_with_and_without_batching(monkeypatch: pytest.MonkeyPatch) -> None:
    alone = _findings(_NeverBatch(), monkeypatch)
    together = _findings(_BatchEverything(), monkeypatch)
    assert alone, "the fixtures hold findings"
    assert together == alone


Shape = list[list[tuple[str, list[tuple[int, int, str, int]]]]]


def _shape(matches: list[dict[str, list[ts.Node]]]) -> Shape:
    """Matches as comparable values: capture names and node identities, in order."""
    return [
        [
            (name, [(n.start_byte, n.end_byte, n.type, n.id) for n in nodes])
            for name, nodes in sorted(match.items())
        ]
        for match in matches
    ]


def test_each_pattern_matches_alone_and_in_the_batch_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = _BatchEverything()
    _findings(plan, monkeypatch)  # learn every pattern the rules ask for
    patterns = sorted(plan.uses)
    # The rules ask for few whole-tree patterns now (most nodes are found from the
    # bytes); the comparison is worth something only if it saw several.
    assert len(patterns) >= 6, patterns
    plan.batched = frozenset(patterns)
    plan._queries.clear()
    checked = 0
    for source in _fixture_sources():
        query, owners = plan.combined(source.grammar)
        batched: dict[str, list[dict[str, list[ts.Node]]]] = {}
        for index, captured in ts.QueryCursor(query).matches(source.root):
            batched.setdefault(owners[index], []).append(captured)
        for pattern in sorted(set(owners)):
            cursor = ts.QueryCursor(compiled_query(source.grammar, pattern))
            alone = [captured for _index, captured in cursor.matches(source.root)]
            assert _shape(batched.get(pattern, [])) == _shape(alone), (source.path, pattern)
            checked += 1
    assert checked > 100
