"""`--format json`: the versioned schema of docs/json-schema.md."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from conftest import ROOT
from test_report_app import report_app_result

from nextaudit.findings import Finding, Location, Notice, Severity
from nextaudit.registry import default_registry
from nextaudit.report import render
from nextaudit.results import RunResult

DOC = ROOT / "docs" / "json-schema.md"


def document(result: RunResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(render("json", result))
    return data


def test_top_level_keys_in_documented_order() -> None:
    data = document(report_app_result())
    assert list(data) == [
        "version",
        "tool",
        "findings",
        "suppressed",
        "notices",
        "rules",
        "summary",
    ]
    assert data["version"] == 1
    assert data["tool"]["name"] == "nextaudit"


def test_finding_fields_are_one_based_and_relative_to_cwd() -> None:
    data = document(report_app_result())
    first = next(f for f in data["findings"] if f["path"] == "app/api/users/[id]/route.ts")
    assert list(first) == [
        "rule_id",
        "severity",
        "message",
        "path",
        "start",
        "end",
        "snippet",
        "fingerprint",
    ]
    assert first["rule_id"] == "no-explicit-any"
    assert first["severity"] == "error"
    assert first["start"] == {"line": 18, "column": 16}
    assert first["end"] == {"line": 18, "column": 19}
    assert re.fullmatch(r"[0-9a-f]{64}", first["fingerprint"])


def test_secret_finding_carries_only_its_redacted_snippet() -> None:
    data = document(report_app_result())
    secret = next(f for f in data["findings"] if f["rule_id"] == "no-hardcoded-secret")
    assert secret["snippet"] == '"nxa_…"'
    assert "nxa_live" not in json.dumps(data)


def test_suppressed_only_listed_on_request_but_always_counted(tmp_path: Path) -> None:
    rule = default_registry()["no-explicit-any"]
    hidden = Finding(
        rule.id,
        Severity.ERROR,
        "m",
        (tmp_path / "a.ts").as_posix(),
        Location(1, 1, 1, 2),
        "x",
        suppressed_by="reason",
    )
    base = {
        "findings": [],
        "notices": [],
        "files_scanned": 1,
        "rules": [rule],
        "severities": {rule.id: rule.severity},
        "repo_root": tmp_path,
        "cwd": tmp_path,
        "suppressed": [hidden],
    }
    quiet = document(RunResult(**base))  # type: ignore[arg-type]
    assert quiet["suppressed"] == []
    assert quiet["summary"]["suppressed"] == 1
    shown = document(RunResult(**base, show_suppressed=True))  # type: ignore[arg-type]
    assert shown["suppressed"][0]["suppressed_by"] == "reason"
    assert shown["suppressed"][0]["path"] == "a.ts"


def test_summary_block() -> None:
    result = report_app_result()
    summary = document(result)["summary"]
    assert summary == {
        "files_scanned": result.files_scanned,
        "findings": len(result.findings),
        "by_severity": {"error": 6, "warning": 1, "note": 1},
        "by_rule": {
            "no-explicit-any": 5,
            "no-hardcoded-secret": 1,
            "no-module-level-env": 1,
            "syntax-error": 1,
        },
        "notices": 1,
        "suppressed": 1,
        "baseline": {"absorbed": 2, "stale": 1},
        "execution_successful": True,
    }


def test_rules_block_has_metadata_for_every_enabled_rule() -> None:
    rules = document(report_app_result())["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    secret = next(r for r in rules if r["id"] == "no-hardcoded-secret")
    assert secret["security_severity"] == "9.0"
    assert secret["cwe"] == 798
    assert secret["help_uri"].endswith("/docs/rules/no-hardcoded-secret.md")


def test_fatal_notice(tmp_path: Path) -> None:
    rule = default_registry()["no-explicit-any"]
    crash = Notice((tmp_path / "x.ts").as_posix(), "rule y crashed", "rule-crash", fatal=True)
    result = RunResult([], [crash], 1, [rule], {}, tmp_path, tmp_path)
    data = document(result)
    assert data["notices"] == [
        {"path": "x.ts", "kind": "rule-crash", "message": "rule y crashed", "fatal": True}
    ]
    assert data["summary"]["execution_successful"] is False


def _keys(value: object) -> set[str]:
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.update(k for k in item if not re.fullmatch(r"[a-z]+(-[a-z0-9]+)+", k))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def test_every_key_is_documented() -> None:
    """docs/json-schema.md stays in step with the output (rule ids as keys excepted)."""
    result = report_app_result()
    documented = set(re.findall(r"`([a-z_]+)`", DOC.read_text(encoding="utf-8")))
    missing = _keys(document(result)) - documented
    assert not missing, f"keys missing from {DOC.name}: {sorted(missing)}"
