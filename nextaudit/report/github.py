"""`--format github`: GitHub Actions workflow commands, one per finding, which the
runner turns into annotations on the pull request's diff.

Paths are relative to the repository root (the runner resolves them against the
checkout). The runner shows at most 10 error and 10 warning annotations per step and
50 per job; SARIF through code scanning is the complete record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nextaudit.findings import Severity
from nextaudit.report.common import TOOL_NAME, repo_path

if TYPE_CHECKING:
    from nextaudit.findings import Finding, Notice
    from nextaudit.results import RunResult

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(text: str) -> str:
    """The message part of a workflow command: `%`, CR and LF are escaped (the `%`
    first, so that the escapes themselves survive)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as data, plus `:` and `,` which would end the value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, properties: list[tuple[str, object]], message: str) -> str:
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{command} {rendered}::{escape_data(message)}"


def render_github(result: RunResult) -> str:
    lines = [_finding_command(result, finding) for finding in result.findings]
    lines.extend(_notice_command(result, notice) for notice in result.notices)
    return "".join(line + "\n" for line in lines)


def _finding_command(result: RunResult, finding: Finding) -> str:
    loc = finding.location
    properties: list[tuple[str, object]] = [
        ("file", repo_path(result, finding.path)),
        ("line", loc.line),
    ]
    # GitHub takes columns only for a single-line range; with several lines it would
    # reject the annotation's columns, so they are left out.
    if loc.line == loc.end_line:
        properties.append(("col", loc.column))
    properties.append(("endLine", loc.end_line))
    if loc.line == loc.end_line:
        properties.append(("endColumn", loc.end_column))
    properties.append(("title", f"{TOOL_NAME} [{finding.rule_id}]"))
    return workflow_command(COMMAND[finding.severity], properties, finding.message)


def _notice_command(result: RunResult, notice: Notice) -> str:
    """Files nextaudit could not analyse are annotated too, so a pull request cannot
    pass silently because its worst file was skipped."""
    properties: list[tuple[str, object]] = []
    if notice.path:
        properties.append(("file", repo_path(result, notice.path)))
    properties.append(("title", f"{TOOL_NAME} ({notice.kind})"))
    return workflow_command("error" if notice.fatal else "warning", properties, notice.message)
