"""`--format github`: workflow commands and their escaping."""

from __future__ import annotations

from pathlib import Path

import pytest

from nextaudit.findings import Finding, Location, Notice, Severity
from nextaudit.registry import default_registry
from nextaudit.report import render
from nextaudit.report.github import escape_data, escape_property, workflow_command
from nextaudit.results import RunResult


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain", "plain"),
        ("100%", "100%25"),
        ("%0A is not a newline", "%250A is not a newline"),
        ("two\nlines", "two%0Alines"),
        ("crlf\r\nend", "crlf%0D%0Aend"),
        ("a: b, c", "a: b, c"),  # data keeps `:` and `,`
        ("`any` → unknown", "`any` → unknown"),
    ],
)
def test_escape_data(text: str, escaped: str) -> None:
    assert escape_data(text) == escaped


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("app/route.ts", "app/route.ts"),
        ("a:b", "a%3Ab"),
        ("a,b", "a%2Cb"),
        ("100%,\n:", "100%25%2C%0A%3A"),
        ("lib/my dir/#1.ts", "lib/my dir/#1.ts"),
    ],
)
def test_escape_property(text: str, escaped: str) -> None:
    assert escape_property(text) == escaped


def test_workflow_command_shape() -> None:
    assert (
        workflow_command("warning", [("file", "a,b.ts"), ("line", 3)], "50% done\nnext")
        == "::warning file=a%2Cb.ts,line=3::50%25 done%0Anext"
    )


def result_for(root: Path, findings: list[Finding], **extra: object) -> RunResult:
    rule = default_registry()["no-explicit-any"]
    return RunResult(
        findings=findings,
        notices=extra.pop("notices", []),  # type: ignore[arg-type]
        files_scanned=1,
        rules=[rule],
        severities={rule.id: rule.severity},
        repo_root=root,
        cwd=extra.pop("cwd", root),  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


def test_one_command_per_finding_with_severity_command(tmp_path: Path) -> None:
    findings = [
        Finding(
            "no-explicit-any",
            Severity.ERROR,
            "e",
            (tmp_path / "a.ts").as_posix(),
            Location(1, 2, 1, 5),
        ),
        Finding(
            "no-explicit-any",
            Severity.WARNING,
            "w",
            (tmp_path / "a.ts").as_posix(),
            Location(2, 1, 2, 3),
        ),
        Finding(
            "no-explicit-any",
            Severity.NOTE,
            "n",
            (tmp_path / "b.ts").as_posix(),
            Location(3, 1, 3, 9),
        ),
    ]
    assert render("github", result_for(tmp_path, findings)).splitlines() == [
        "::error file=a.ts,line=1,col=2,endLine=1,endColumn=5,title=nextaudit [no-explicit-any]::e",
        "::warning file=a.ts,line=2,col=1,endLine=2,endColumn=3,title=nextaudit [no-explicit-any]::w",
        "::notice file=b.ts,line=3,col=1,endLine=3,endColumn=9,title=nextaudit [no-explicit-any]::n",
    ]


def test_multi_line_range_has_no_columns(tmp_path: Path) -> None:
    finding = Finding(
        "no-explicit-any", Severity.ERROR, "m", (tmp_path / "a.ts").as_posix(), Location(4, 7, 9, 2)
    )
    (line,) = render("github", result_for(tmp_path, [finding])).splitlines()
    assert line == "::error file=a.ts,line=4,endLine=9,title=nextaudit [no-explicit-any]::m"


def test_paths_are_relative_to_the_repository_root_not_cwd(tmp_path: Path) -> None:
    app = tmp_path / "apps" / "web"
    finding = Finding(
        "no-explicit-any", Severity.ERROR, "x", (app / "route.ts").as_posix(), Location(1, 1, 1, 2)
    )
    output = render("github", result_for(tmp_path, [finding], cwd=app))
    assert output.startswith("::error file=apps/web/route.ts,")


def test_message_and_path_are_escaped(tmp_path: Path) -> None:
    finding = Finding(
        "no-explicit-any",
        Severity.ERROR,
        "100% wrong,\nreally: yes",
        (tmp_path / "a,b:c%.ts").as_posix(),
        Location(1, 1, 1, 2),
    )
    (line,) = render("github", result_for(tmp_path, [finding])).splitlines()
    assert line.startswith("::error file=a%2Cb%3Ac%25.ts,line=1,")
    assert line.endswith("::100%25 wrong,%0Areally: yes")


def test_notices_become_annotations_and_suppressed_findings_do_not(tmp_path: Path) -> None:
    hidden = Finding(
        "no-explicit-any",
        Severity.ERROR,
        "x",
        (tmp_path / "a.ts").as_posix(),
        Location(1, 1, 1, 2),
        suppressed_by="ok",
    )
    notices = [
        Notice((tmp_path / "big.ts").as_posix(), "skipped: too large", "file-too-large"),
        Notice((tmp_path / "c.ts").as_posix(), "rule x crashed: boom", "rule-crash", fatal=True),
    ]
    output = render(
        "github",
        result_for(tmp_path, [], suppressed=[hidden], show_suppressed=True, notices=notices),
    )
    assert output.splitlines() == [
        "::warning file=big.ts,title=nextaudit (file-too-large)::skipped: too large",
        "::error file=c.ts,title=nextaudit (rule-crash)::rule x crashed: boom",
    ]


def test_clean_run_prints_nothing(tmp_path: Path) -> None:
    assert render("github", result_for(tmp_path, [])) == ""
