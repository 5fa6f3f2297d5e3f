"""Run one rule over a fixture tree or a code snippet, as the engine would."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

import yaml

from nextaudit.discovery import discover
from nextaudit.engine import RuleSetting, analyze_source
from nextaudit.findings import Finding
from nextaudit.project import Project
from nextaudit.registry import default_registry
from nextaudit.runner import run_project_rule
from nextaudit.source import SourceFile

T = TypeVar("T")


def fixture_options(root: Path, rule_id: str) -> dict[str, object]:
    config = root / ".nextaudit.yml"
    if not config.is_file():
        return {}
    data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    entry = (data.get("rules") or {}).get(rule_id) or {}
    return dict(entry.get("options") or {})


def setting(rule_id: str, options: Mapping[str, object]) -> RuleSetting:
    rule = default_registry()[rule_id]
    merged = {**rule.default_options(), **options}
    return RuleSetting(rule_id, rule.severity, tuple(sorted(merged.items())))


def run_rule_on_source(
    rule_id: str, code: str, rel_path: str, options: Mapping[str, object] | None = None
) -> list[Finding]:
    source = SourceFile.from_bytes("/virtual/" + rel_path, rel_path, code.encode("utf-8"))
    return analyze_source(source, [setting(rule_id, options or {})]).findings


def run_rule_on_tree(rule_id: str, root: Path) -> list[Finding]:
    """All findings of `rule_id` for the fixture tree `root` (paths relative to it)."""
    options = fixture_options(root, rule_id)
    rule = default_registry()[rule_id]
    if rule.kind == "project":
        project = Project.build(root, discover([root], root).files)
        return run_project_rule(project, setting(rule_id, options))
    findings: list[Finding] = []
    for path in discover([root], root).files:
        raw = path.read_bytes()
        rel = path.relative_to(root).as_posix()
        source = SourceFile.from_bytes(path.as_posix(), rel, raw)
        result = analyze_source(source, [setting(rule_id, options)])
        assert not result.notices, result.notices
        findings.extend(result.findings)
    return findings


def fixture_trees() -> list[Path]:
    """Every fixture tree under tests/fixtures, sorted."""
    fixtures = Path(__file__).parent / "fixtures"
    return sorted(p for p in fixtures.iterdir() if p.is_dir())


def parsed_fixture_files(root: Path) -> Iterator[tuple[str, SourceFile]]:
    """(path relative to `root`, parsed file) for every source file of a fixture tree."""
    for path in discover([root], root).files:
        rel = path.relative_to(root).as_posix()
        yield rel, SourceFile.from_bytes(path.as_posix(), rel, path.read_bytes())


def with_and_without_filters(compute: Callable[[], T]) -> tuple[T, T]:
    """`compute()` with the byte pre-filters on, then off (the whole-tree queries
    some rules keep for that case run then): both answers, to compare."""
    from nextaudit.analysis import prefilter

    fast = compute()
    prefilter.ENABLED = False
    try:
        slow = compute()
    finally:
        prefilter.ENABLED = True
    return fast, slow
