"""Baseline adoption: identities survive unrelated edits; new findings still fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nextaudit.baseline import BaselineError, load
from nextaudit.config import CliRules, load_config
from nextaudit.registry import default_registry
from nextaudit.runner import RunOptions, run

ORIGINAL = """export function a(x: any) {
  return x;
}

export function b(y: any) {
  return y;
}
"""


def run_with(tmp_path: Path, text: str, update: bool = False):  # type: ignore[no-untyped-def]
    (tmp_path / "lib").mkdir(exist_ok=True)
    (tmp_path / "lib" / "a.ts").write_text(text, encoding="utf-8")
    config = load_config(None, default_registry(), tmp_path, CliRules(select=("no-explicit-any",)))
    options = RunOptions(
        cwd=tmp_path,
        repo_root=tmp_path,
        baseline=tmp_path / "baseline.json",
        update_baseline=update,
    )
    return run(config, [tmp_path], options)


def test_update_then_clean(tmp_path: Path) -> None:
    result = run_with(tmp_path, ORIGINAL, update=True)
    assert len(result.findings) == 2
    document = json.loads((tmp_path / "baseline.json").read_text())
    assert document["version"] == 1
    assert [(e["path"], e["rule"], e["occurrence"]) for e in document["findings"]] == [
        ("lib/a.ts", "no-explicit-any", 0),
        ("lib/a.ts", "no-explicit-any", 0),
    ]
    again = run_with(tmp_path, ORIGINAL)
    assert again.findings == []
    assert (again.baseline_absorbed, again.baseline_stale) == (2, 0)


def test_still_matches_after_lines_inserted_above_and_functions_moved(tmp_path: Path) -> None:
    run_with(tmp_path, ORIGINAL, update=True)
    edited = (
        "// a new header\nimport { z } from 'zod';\n\n"
        + ORIGINAL.split("\n\n")[1]
        + "\n\n"
        + ORIGINAL.split("\n\n", maxsplit=1)[0]
        + "\n"
    )
    result = run_with(tmp_path, edited)
    assert result.findings == []
    assert result.baseline_absorbed == 2


def test_reformatting_the_flagged_line_keeps_identity(tmp_path: Path) -> None:
    run_with(tmp_path, ORIGINAL, update=True)
    result = run_with(tmp_path, ORIGINAL.replace("a(x: any)", "a( x :any )"))
    assert result.findings == []


def test_new_finding_is_reported_and_fixed_entries_are_stale(tmp_path: Path) -> None:
    run_with(tmp_path, ORIGINAL, update=True)
    changed = ORIGINAL.replace("b(y: any)", "b(y: unknown)") + "export const c: any = 1;\n"
    result = run_with(tmp_path, changed)
    assert [(f.rule_id, f.location.line) for f in result.findings] == [("no-explicit-any", 8)]
    assert (result.baseline_absorbed, result.baseline_stale) == (1, 1)


def test_identical_lines_are_told_apart_by_occurrence(tmp_path: Path) -> None:
    run_with(tmp_path, "let a: any;\n", update=True)
    result = run_with(tmp_path, "let a: any;\nlet a: any;\n")
    assert [f.location.line for f in result.findings] == [2]


def test_baseline_never_stores_source_text(tmp_path: Path) -> None:
    run_with(tmp_path, 'const key: any = "sk-live-secret-value";\n', update=True)
    assert "sk-live" not in (tmp_path / "baseline.json").read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "baseline file not found"),
        ("{", "baseline is not valid JSON"),
        ('{"version": 9, "findings": []}', "not a nextaudit baseline"),
        ('{"version": 1, "findings": [{"path": 1}]}', "findings[0] is malformed"),
    ],
)
def test_bad_baselines_are_clear_errors(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "b.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(BaselineError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load(path)
