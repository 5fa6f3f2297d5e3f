"""Golden files: every format rendered from the analysis of tests/fixtures/report-app/.

The RunResult is built here, not by the CLI: the engine runs a fixed set of rules
over the fixture files (so new rules landing elsewhere do not change the goldens), and
a few findings of rules that are specified but may not exist yet (a redacted secret,
a multi-line span, a disabled rule) are added by hand with their rule metadata.

Outputs must not depend on the machine: the fixture's absolute location is replaced
by a placeholder and the version is pinned. To refresh the goldens deliberately after
an intended change, run

    NEXTAUDIT_UPDATE_GOLDEN=1 python -m pytest tests/test_report_app.py

and review the diff of tests/golden/.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

import nextaudit
from nextaudit.discovery import discover
from nextaudit.engine import RuleSetting, analyze_source
from nextaudit.findings import Finding, Location, Notice, Severity, sort_findings
from nextaudit.registry import Rule, default_registry
from nextaudit.report import FORMATS, render
from nextaudit.report.uri import file_uri
from nextaudit.results import RunResult
from nextaudit.source import SourceFile

APP = FIXTURES / "report-app"
GOLDEN = ROOT / "tests" / "golden" / "report-app"
ENGINE_RULES = ("no-explicit-any", "syntax-error")
PINNED_VERSION = "0.0.0-golden"
SECRET = "nxa_live_4f9c2b7e81d04a6fb3c5e2d1a9f07b6c"
SUPPRESSED_AT = ("lib/users.ts", 4)


def synthetic_rule(rule_id: str, severity: Severity, **extra: object) -> Rule:
    """Metadata for a rule of RULES.md that this test must not wait for."""
    fields: dict[str, object] = {
        "id": rule_id,
        "title": f"Synthetic {rule_id}",
        "checklist": "",
        "severity": severity,
        "message": "",
        "kind": "file",
        "tags": ("code-standards",),
        "options": {},
        "docs": {
            "what": f"What {rule_id} flags.",
            "why": "Why it matters.",
            "example": "const flagged = 1;",
            "use-instead": "const fine = 1;",
        },
        "valid": (),
        "invalid": (),
        **extra,
    }
    return Rule(**fields)  # type: ignore[arg-type]


SECRET_RULE = synthetic_rule(
    "no-hardcoded-secret",
    Severity.ERROR,
    title="Never hardcode a secret",
    tags=("security", "secrets"),
    security_severity="9.0",
    cwe=798,
)
ENV_RULE = synthetic_rule(
    "no-module-level-env", Severity.WARNING, title="Read environment variables inside factories"
)
DISABLED_RULE = synthetic_rule("no-empty-catch", Severity.WARNING, enabled=False)


def engine_findings(root: Path, rule_ids: tuple[str, ...]) -> tuple[list[Finding], int]:
    registry = default_registry()
    settings = [
        RuleSetting(r, registry[r].severity, tuple(sorted(registry[r].default_options().items())))
        for r in rule_ids
    ]
    files = discover([root], root).files
    findings: list[Finding] = []
    for path in files:
        source = SourceFile.from_bytes(
            path.as_posix(), path.relative_to(root).as_posix(), path.read_bytes()
        )
        findings.extend(analyze_source(source, settings, registry).findings)
    return sort_findings(findings), len(files)


def hand_made_findings(root: Path) -> list[Finding]:
    config = (root / "lib" / "config.ts").as_posix()
    secret_column = 21
    return [
        Finding(
            rule_id="no-hardcoded-secret",
            severity=Severity.ERROR,
            message="Hardcoded secret (nxa_…): load it from the environment",
            path=config,
            location=Location(2, secret_column, 2, secret_column + len(SECRET) + 2),
            snippet='"nxa_…"',
        ),
        Finding(
            rule_id="no-module-level-env",
            severity=Severity.WARNING,
            message="`process.env.REGION` is read at module level",
            path=config,
            location=Location(6, 3, 7, 38),
            snippet='region:\n    process.env.REGION ?? "eu-west-1"',
        ),
    ]


def report_app_result(root: Path = APP) -> RunResult:
    registry = default_registry()
    findings, scanned = engine_findings(root, ENGINE_RULES)
    findings = sort_findings([*findings, *hand_made_findings(root)])
    suppress_path = (root / SUPPRESSED_AT[0]).as_posix()
    suppressed = [
        dataclasses.replace(f, suppressed_by="the legacy SDK ships no types")
        for f in findings
        if f.path == suppress_path and f.location.line == SUPPRESSED_AT[1]
    ]
    assert suppressed, "the fixture's suppressed `any` moved"
    active = [f for f in findings if f not in suppressed]
    rules = sorted(
        [*(registry[r] for r in ENGINE_RULES), SECRET_RULE, ENV_RULE], key=lambda r: r.id
    )
    return RunResult(
        findings=active,
        notices=[
            Notice(
                (root / "lib" / "locked.ts").as_posix(),
                "could not read file: Permission denied",
                "unreadable",
            )
        ],
        files_scanned=scanned + 1,
        rules=rules,
        severities={rule.id: rule.severity for rule in rules},
        repo_root=root,
        cwd=root,
        suppressed=suppressed,
        show_suppressed=True,
        baseline_absorbed=2,
        baseline_stale=1,
        disabled_rules=[DISABLED_RULE],
    )


def clean_result(root: Path = APP) -> RunResult:
    registry = default_registry()
    rules = [registry[r] for r in ENGINE_RULES]
    return RunResult(
        findings=[],
        notices=[],
        files_scanned=9,
        rules=rules,
        severities={rule.id: rule.severity for rule in rules},
        repo_root=root,
        cwd=root,
        category="backend",
    )


def normalise(text: str, root: Path = APP) -> str:
    """Machine-independent: the fixture's absolute path becomes a placeholder."""
    for absolute, placeholder in (
        (file_uri(root, directory=True), "file:///REPORT-APP/"),
        (root.as_posix(), "/REPORT-APP"),
    ):
        text = text.replace(absolute, placeholder)
    return text


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("NEXTAUDIT_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
        return
    if not path.exists():
        pytest.fail(f"missing golden {path}; create it with NEXTAUDIT_UPDATE_GOLDEN=1")
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{name} differs from its golden; if the change is intended, refresh with "
        "NEXTAUDIT_UPDATE_GOLDEN=1 and review the diff"
    )


@pytest.fixture(autouse=True)
def pinned_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nextaudit, "__version__", PINNED_VERSION)


GOLDEN_NAMES = {
    "text": "text.txt",
    "json": "report.json",
    "sarif": "report.sarif",
    "github": "github.txt",
    "checklist": "checklist.md",
}


def rendered(fmt: str, result: RunResult, terminal: bool = False) -> str:
    output = render(fmt, result, terminal=terminal)
    if fmt == "sarif":
        from test_report_sarif import validate_sarif

        validate_sarif(output)
    return output


@pytest.mark.parametrize("fmt", FORMATS)
def test_golden_plain(fmt: str) -> None:
    check_golden(GOLDEN_NAMES[fmt], normalise(rendered(fmt, report_app_result())))


@pytest.mark.parametrize("fmt", ["text", "checklist"])
def test_golden_terminal(fmt: str) -> None:
    """Compared without the colour codes, whose exact bytes vary with Rich's version;
    test_report_text checks the colours themselves."""
    output = render(fmt, report_app_result(), terminal=True, width=100)
    assert "\x1b[" in output
    check_golden(f"{fmt}-terminal.txt", normalise(strip_ansi(output)))


def strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


@pytest.mark.parametrize("fmt", ["text", "sarif", "json"])
def test_golden_clean(fmt: str) -> None:
    check_golden(f"clean-{GOLDEN_NAMES[fmt]}", normalise(rendered(fmt, clean_result())))


def test_formats_are_byte_identical_across_runs() -> None:
    for fmt in FORMATS:
        assert render(fmt, report_app_result()) == render(fmt, report_app_result())


def test_the_secret_never_appears_in_any_format() -> None:
    result = report_app_result()
    for fmt in FORMATS:
        for terminal in (False, True):
            output = render(fmt, result, terminal=terminal)
            assert SECRET not in output, (fmt, terminal)
            assert SECRET[4:12] not in output, (fmt, terminal)
