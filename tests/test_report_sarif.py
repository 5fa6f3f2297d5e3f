"""SARIF: what GitHub code scanning needs, and schema validity of every log produced."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SHARED
from test_report_app import (
    APP,
    DISABLED_RULE,
    SECRET_RULE,
    clean_result,
    report_app_result,
    synthetic_rule,
)

from nextaudit.findings import Finding, Location, Notice, Severity
from nextaudit.registry import default_registry
from nextaudit.report import render, sarif
from nextaudit.report.fingerprints import line_hashes
from nextaudit.results import RunResult

SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"
POLICY = SHARED / "schemas" / "sarif-multitool-github.config.xml"


@functools.cache
def _validator() -> Any:
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    checker = jsonschema.FormatChecker()
    # Without rfc3987 (or rfc3986-validator) jsonschema silently skips uri checks.
    assert "uri-reference" in checker.checkers, "install jsonschema[format]"
    return jsonschema.Draft4Validator(schema, format_checker=checker)


def validate_sarif(text: str) -> dict[str, Any]:
    """Parse and validate a SARIF log against the official schema with format checks."""
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA} is absent")
    log: dict[str, Any] = json.loads(text)
    errors = sorted(_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    return log


def sarif_of(result: RunResult) -> dict[str, Any]:
    return validate_sarif(render("sarif", result))


def run_of(result: RunResult) -> dict[str, Any]:
    run: dict[str, Any] = sarif_of(result)["runs"][0]
    return run


def finding(path: Path, line: int = 1, column: int = 1, end: int = 2, **extra: Any) -> Finding:
    fields: dict[str, Any] = {
        "rule_id": "no-explicit-any",
        "severity": Severity.ERROR,
        "message": "Unexpected `any`",
        "path": path.as_posix(),
        "location": Location(line, column, line, end),
        "snippet": "any",
        **extra,
    }
    return Finding(**fields)


def result_with(root: Path, findings: list[Finding], **extra: Any) -> RunResult:
    rules = [default_registry()["no-explicit-any"], default_registry()["syntax-error"]]
    fields: dict[str, Any] = {
        "findings": findings,
        "notices": [],
        "files_scanned": 1,
        "rules": rules,
        "severities": {r.id: r.severity for r in rules},
        "repo_root": root,
        "cwd": root,
        **extra,
    }
    return RunResult(**fields)


# --- the fixture app ---------------------------------------------------------------
def test_report_app_sarif_is_valid_and_complete() -> None:
    result = report_app_result()
    run = run_of(result)
    driver = run["tool"]["driver"]
    assert driver["name"] == "nextaudit"
    assert driver["semanticVersion"]
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == [r.id for r in result.rules]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file:///")
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is True
    assert invocation["workingDirectory"]["uri"].endswith("/")
    assert run["automationDetails"]["id"] == "nextaudit/"
    assert len(run["results"]) == len(result.findings) + len(result.suppressed)


def test_every_enabled_rule_has_full_metadata() -> None:
    for descriptor in run_of(report_app_result())["tool"]["driver"]["rules"]:
        for key in ("id", "name", "shortDescription", "fullDescription", "help", "helpUri"):
            assert descriptor[key], (descriptor["id"], key)
        assert len(descriptor["shortDescription"]["text"]) <= 1024
        assert len(descriptor["fullDescription"]["text"]) <= 1024
        assert descriptor["help"]["text"] and descriptor["help"]["markdown"]
        assert descriptor["defaultConfiguration"]["level"] in ("error", "warning", "note")
        properties = descriptor["properties"]
        assert 0 < len(properties["tags"]) <= 10
        assert properties["precision"] in ("very-high", "high", "medium", "low")
        assert properties["problem.severity"] in ("error", "warning", "recommendation")


def test_rules_that_did_not_fire_are_listed_too() -> None:
    run = run_of(clean_result())
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["no-explicit-any", "syntax-error"]
    assert run["results"] == []


def test_security_rule_carries_security_tag_severity_and_cwe() -> None:
    run = run_of(report_app_result())
    (descriptor,) = [r for r in run["tool"]["driver"]["rules"] if r["id"] == SECRET_RULE.id]
    assert descriptor["properties"]["tags"][:2] == ["security", "external/cwe/cwe-798"]
    assert descriptor["properties"]["security-severity"] == "9.0"
    plain = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "no-explicit-any")
    assert "security-severity" not in plain["properties"]
    assert "security" not in plain["properties"]["tags"]


def test_effective_severity_is_the_default_configuration() -> None:
    result = clean_result()
    result.severities["no-explicit-any"] = Severity.WARNING
    (descriptor,) = [
        r for r in run_of(result)["tool"]["driver"]["rules"] if r["id"] == "no-explicit-any"
    ]
    assert descriptor["defaultConfiguration"]["level"] == "warning"
    assert descriptor["properties"]["problem.severity"] == "warning"


def test_results_point_at_their_rule_and_location() -> None:
    result = report_app_result()
    run = run_of(result)
    rules = run["tool"]["driver"]["rules"]
    by_uri: dict[str, list[dict[str, int]]] = {}
    for item in run["results"]:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]
        assert item["level"] in ("error", "warning", "note")
        assert item["message"]["text"]
        (location,) = item["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        region = physical["region"]
        assert set(region) == {"startLine", "startColumn", "endLine", "endColumn"}
        by_uri.setdefault(physical["artifactLocation"]["uri"], []).append(region)
    assert by_uri["app/api/users/%5Bid%5D/route.ts"][0] == {
        "startLine": 18,
        "startColumn": 16,
        "endLine": 18,
        "endColumn": 19,
    }
    assert "lib/report%20helpers/format%20%231%20100%25.ts" in by_uri
    assert "app/(marketing)/pricing/page.tsx" in by_uri


def test_columns_count_code_points_after_an_emoji() -> None:
    run = run_of(report_app_result())
    (page,) = [
        r
        for r in run["results"]
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("page.tsx")
    ]
    region = page["locations"][0]["physicalLocation"]["region"]
    line = (APP / "app/(marketing)/pricing/page.tsx").read_text(encoding="utf-8").splitlines()[4]
    assert line[region["startColumn"] - 1 : region["endColumn"] - 1] == "any"


def test_primary_location_line_hash_is_githubs_hash_of_that_line() -> None:
    run = run_of(report_app_result())
    for item in run["results"]:
        physical = item["locations"][0]["physicalLocation"]
        from urllib.parse import unquote

        path = APP / unquote(physical["artifactLocation"]["uri"])
        expected = line_hashes(path.read_bytes().decode("utf-8"))[
            physical["region"]["startLine"] - 1
        ]
        assert item["partialFingerprints"]["primaryLocationLineHash"] == expected


def test_stable_fingerprint_survives_lines_added_above(tmp_path: Path) -> None:
    source = tmp_path / "a.ts"
    source.write_text("let a: any;\n", encoding="utf-8")
    before = run_of(result_with(tmp_path, [finding(source, 1, 8, 11)]))["results"][0]
    source.write_text("// header\n\nlet a: any;\n", encoding="utf-8")
    after = run_of(result_with(tmp_path, [finding(source, 3, 8, 11)]))["results"][0]
    assert before["fingerprints"] == after["fingerprints"]
    assert before["partialFingerprints"] == after["partialFingerprints"]


def test_unreadable_file_has_no_line_hash_but_a_stable_fingerprint(tmp_path: Path) -> None:
    gone = tmp_path / "deleted.ts"
    (item,) = run_of(result_with(tmp_path, [finding(gone)]))["results"]
    assert "partialFingerprints" not in item
    assert list(item["fingerprints"]) == ["nextaudit/v1"]


def test_identical_findings_get_distinct_fingerprints(tmp_path: Path) -> None:
    source = tmp_path / "a.ts"
    # Far enough from the end of the file, GitHub's 100-character windows of two equal
    # lines are equal too, and only the `:n` suffix tells them apart.
    source.write_text("let a: any;\n" * 20, encoding="utf-8")
    results = run_of(result_with(tmp_path, [finding(source, 1, 8, 11), finding(source, 2, 8, 11)]))[
        "results"
    ]
    assert results[0]["fingerprints"] != results[1]["fingerprints"]
    first, second = (r["partialFingerprints"]["primaryLocationLineHash"] for r in results)
    assert first.endswith(":1")
    assert second == first[:-2] + ":2"


# --- invocation, notices, category, suppressions -----------------------------------
def test_fatal_notice_makes_execution_unsuccessful(tmp_path: Path) -> None:
    crash = Notice(
        (tmp_path / "a.ts").as_posix(), "rule x crashed: KeyError: 1", "rule-crash", fatal=True
    )
    invocation = run_of(result_with(tmp_path, [], notices=[crash]))["invocations"][0]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["descriptor"]["id"] == "rule-crash"
    artifact = notification["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": "a.ts", "uriBaseId": "%SRCROOT%"}


def test_unreadable_file_is_a_warning_notification() -> None:
    (notification,) = run_of(report_app_result())["invocations"][0]["toolExecutionNotifications"]
    assert notification["level"] == "warning"
    assert notification["message"]["text"].startswith("could not read file")


def test_clean_run_has_no_notifications_key() -> None:
    invocation = run_of(clean_result())["invocations"][0]
    assert "toolExecutionNotifications" not in invocation
    assert invocation["executionSuccessful"] is True


@pytest.mark.parametrize(
    ("category", "expected"),
    [(None, "nextaudit/"), ("", "nextaudit/"), ("backend", "backend/"), ("apps/web/", "apps/web/")],
)
def test_automation_details_id(category: str | None, expected: str) -> None:
    result = dataclasses.replace(clean_result(), category=category)
    assert run_of(result)["automationDetails"]["id"] == expected


def test_suppressed_findings_only_on_request(tmp_path: Path) -> None:
    source = tmp_path / "a.ts"
    source.write_text("let a: any;\nlet b: any;\n", encoding="utf-8")
    active = finding(source, 1, 8, 11)
    hidden = finding(source, 2, 8, 11, suppressed_by="typed by hand later")
    baseline = finding(source, 2, 8, 11, suppressed_by="baseline")
    quiet = run_of(result_with(tmp_path, [active], suppressed=[hidden]))
    assert [
        r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in quiet["results"]
    ] == [1]
    assert "suppressions" not in quiet["results"][0]
    shown = run_of(result_with(tmp_path, [active], suppressed=[hidden], show_suppressed=True))
    assert shown["results"][1]["suppressions"] == [
        {"kind": "inSource", "justification": "typed by hand later"}
    ]
    assert "suppressions" not in shown["results"][0]
    # Showing suppressed findings does not change the fingerprint of the others.
    assert shown["results"][0]["fingerprints"] == quiet["results"][0]["fingerprints"]
    external = run_of(result_with(tmp_path, [], suppressed=[baseline], show_suppressed=True))
    assert external["results"][0]["suppressions"][0]["kind"] == "external"


def test_results_over_githubs_limit_keep_the_most_severe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sarif, "MAX_RESULTS", 2)
    source = tmp_path / "a.ts"
    source.write_text("x\n" * 5, encoding="utf-8")
    findings = [
        finding(source, 1, severity=Severity.NOTE),
        finding(source, 2),
        finding(source, 3, severity=Severity.WARNING),
        finding(source, 4),
    ]
    run = run_of(result_with(tmp_path, findings))
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in run["results"]]
    assert lines == [2, 4]
    (notification,) = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["descriptor"]["id"] == "results-truncated"
    assert "2 results" in notification["message"]["text"]


def test_finding_of_a_rule_missing_from_result_rules_still_has_a_descriptor(tmp_path: Path) -> None:
    source = tmp_path / "a.ts"
    source.write_text("x\n", encoding="utf-8")
    odd = finding(source, rule_id="made-up-rule", severity=Severity.WARNING)
    run = run_of(result_with(tmp_path, [odd]))
    item = run["results"][0]
    assert run["tool"]["driver"]["rules"][item["ruleIndex"]]["id"] == "made-up-rule"


def test_file_outside_the_repository_gets_an_absolute_file_uri(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    outside = tmp_path / "elsewhere" / "a b.ts"
    (item,) = run_of(result_with(repo, [finding(outside)]))["results"]
    artifact = item["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": outside.parent.as_uri() + "/a%20b.ts"}


def test_uri_is_relative_to_repo_root_not_cwd(tmp_path: Path) -> None:
    app = tmp_path / "apps" / "web"
    app.mkdir(parents=True)
    source = app / "route.ts"
    source.write_text("x\n", encoding="utf-8")
    run = run_of(result_with(tmp_path, [finding(source)], cwd=app))
    artifact = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact["uri"] == "apps/web/route.ts"
    assert run["invocations"][0]["workingDirectory"]["uri"] == app.as_uri() + "/"


def test_non_ascii_and_reserved_characters_in_paths_are_valid_uri_references(
    tmp_path: Path,
) -> None:
    names = ["naïve file.ts", "[...slug]/page.tsx", "100% #1?.ts", "日本/ルート.ts", "a+b:c.ts"]
    findings = [finding(tmp_path / name) for name in names]
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in run_of(result_with(tmp_path, findings))["results"]
    }
    assert uris == {
        "na%C3%AFve%20file.ts",
        "%5B...slug%5D/page.tsx",
        "100%25%20%231%3F.ts",
        "%E6%97%A5%E6%9C%AC/%E3%83%AB%E3%83%BC%E3%83%88.ts",
        "a%2Bb%3Ac.ts",
    }


def test_long_descriptions_are_truncated_and_tags_capped() -> None:
    rule = synthetic_rule(
        "wordy-rule",
        Severity.NOTE,
        title="T" * 2000,
        docs={"what": "w " * 1000, "why": "y", "example": "e", "use-instead": "u"},
        tags=tuple(f"tag-{i}" for i in range(15)),
        security_severity="12",
        cwe=89,
    )
    result = dataclasses.replace(clean_result(), rules=[rule], severities={})
    (descriptor,) = run_of(result)["tool"]["driver"]["rules"]
    assert len(descriptor["shortDescription"]["text"]) == 1024
    assert len(descriptor["fullDescription"]["text"]) <= 1024
    assert descriptor["properties"]["tags"][:2] == ["security", "external/cwe/cwe-89"]
    assert len(descriptor["properties"]["tags"]) == 10
    assert descriptor["properties"]["security-severity"] == "10.0"
    assert descriptor["defaultConfiguration"]["level"] == "note"
    assert descriptor["properties"]["problem.severity"] == "recommendation"


def test_disabled_rules_are_not_in_the_driver() -> None:
    ids = [r["id"] for r in run_of(report_app_result())["tool"]["driver"]["rules"]]
    assert DISABLED_RULE.id not in ids


def test_help_markdown_has_the_docs_sections() -> None:
    (descriptor,) = [
        r for r in run_of(clean_result())["tool"]["driver"]["rules"] if r["id"] == "no-explicit-any"
    ]
    markdown = descriptor["help"]["markdown"]
    for heading in (
        "### Why",
        "### Flagged",
        "### Use instead",
        "### Options",
        "`ignore-rest-args`",
    ):
        assert heading in markdown
    assert "```ts" in markdown
    assert descriptor["helpUri"].endswith("/docs/rules/no-explicit-any.md")


# --- Microsoft's SARIF multitool (opt-in: it needs an npm install) -----------------
def test_sarif_multitool_reports_no_errors(tmp_path: Path) -> None:
    """Runs when NEXTAUDIT_SARIF_MULTITOOL=1 (installs the multitool with npm) or when
    SARIF_MULTITOOL_PREFIX names an existing install; see .ci/sarif-multitool-check.sh."""
    wanted = os.environ.get("NEXTAUDIT_SARIF_MULTITOOL") == "1" or os.environ.get(
        "SARIF_MULTITOOL_PREFIX"
    )
    if not wanted:
        pytest.skip("set NEXTAUDIT_SARIF_MULTITOOL=1 to run the SARIF multitool")
    if not POLICY.exists() or shutil.which("npm") is None:
        pytest.skip("the multitool policy file or npm is missing")
    report = tmp_path / "report-app.sarif"
    report.write_text(render("sarif", report_app_result()), encoding="utf-8")
    clean = tmp_path / "clean.sarif"
    clean.write_text(render("sarif", clean_result()), encoding="utf-8")
    check = subprocess.run(
        [str(ROOT / ".ci" / "sarif-multitool-check.sh"), str(report), str(clean)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"{report}: 0 error(s)" in check.stdout
