"""Annotated fixtures: the exact set of (file, line) a rule flags, both ways.

Each directory `tests/fixtures/<rule-id>/` (default options) or
`tests/fixtures/<rule-id>--<case>/` (options from its `.nextaudit.yml`) is a small
project tree; `// ruleid: <id>` marks the next line as one that must be flagged,
`// ok: <id>` one that must not be.

Files that cannot carry a comment (`package.json` and other JSON, lockfiles, binary
files) list their expected findings in the tree's `expected.yml` instead:
`findings: [{file: apps/web/package.json, line: 3}, ...]`. Those pairs join the
annotated ones, and the same exact-set comparison covers both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from annotations import annotations
from conftest import FIXTURES
from rule_harness import run_rule_on_tree

from nextaudit.registry import default_registry

ANNOTATED_SUFFIXES = {
    ".ts",
    ".tsx",
    ".mts",
    ".cts",
    ".js",
    ".jsx",
    ".mjs",
    ".cjs",
    ".json",
    ".prisma",
    ".md",
    ".lock",
    ".lockb",
    ".yaml",
}


def listed_findings(root: Path) -> set[tuple[str, int]]:
    """(file, line) pairs of the tree's `expected.yml`, for files without comments."""
    listing = root / "expected.yml"
    if not listing.is_file():
        return set()
    data = yaml.safe_load(listing.read_text(encoding="utf-8")) or {}
    pairs = {(str(item["file"]), int(item["line"])) for item in data.get("findings") or []}
    missing = sorted(file for file, _ in pairs if not (root / file).is_file())
    assert not missing, f"{listing} names files that do not exist: {missing}"
    return pairs


def fixture_roots() -> list[tuple[str, Path]]:
    registry = default_registry()
    roots = []
    for directory in sorted(FIXTURES.iterdir()):
        rule_id = directory.name.split("--")[0]
        if directory.is_dir() and rule_id in registry:
            roots.append((rule_id, directory))
    return roots


@pytest.mark.parametrize(
    ("rule_id", "root"), fixture_roots(), ids=[r.name for _, r in fixture_roots()]
)
def test_fixture_tree(rule_id: str, root: Path) -> None:
    expected: set[tuple[str, int]] = set()
    clean: set[tuple[str, int]] = set()
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in ANNOTATED_SUFFIXES:
            rel = path.relative_to(root).as_posix()
            want, ok = annotations(path)
            expected |= {(rel, line) for line, rid in want if rid == rule_id}
            clean |= {(rel, line) for line, rid in ok if rid == rule_id}
    expected |= listed_findings(root)
    assert expected, f"{root} has no `ruleid: {rule_id}` annotation nor expected.yml"
    findings = run_rule_on_tree(rule_id, root)
    actual = {(Path(f.path).relative_to(root).as_posix(), f.location.line) for f in findings}
    assert all(f.rule_id == rule_id for f in findings)
    missed = sorted(expected - actual)
    unexpected = sorted(actual - expected)
    assert not missed and not unexpected, f"missed={missed} unexpected={unexpected}"
    assert not (clean & actual), sorted(clean & actual)


def test_every_checkable_rule_has_fixtures() -> None:
    covered = {rule_id for rule_id, _ in fixture_roots()}
    missing = [r.id for r in default_registry().checkable() if r.id not in covered]
    assert not missing, f"rules without annotated fixtures: {missing}"
