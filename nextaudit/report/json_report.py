"""`--format json`: the versioned JSON document described in docs/json-schema.md.

Keys come out in the documented order (dicts are built in that order and never
sorted); bump `SCHEMA_VERSION` for any change that is not a pure addition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nextaudit.report.common import (
    TOOL_NAME,
    all_findings,
    default_level,
    help_uri,
    repo_path,
    rules_for,
    severity_counts,
    tool_version,
)
from nextaudit.report.fingerprints import stable_fingerprints

if TYPE_CHECKING:
    from nextaudit.findings import Finding, Notice
    from nextaudit.registry import Rule
    from nextaudit.results import RunResult

SCHEMA_VERSION = 1

JsonObject = dict[str, object]


def render_json(result: RunResult) -> str:
    from nextaudit.report.indented_json import dumps_indented

    return dumps_indented(json_document(result)) + "\n"


def json_document(result: RunResult) -> JsonObject:
    everything = all_findings(result)
    fingerprints = dict(
        zip(
            (id(f) for f in everything),
            stable_fingerprints(everything, lambda path: repo_path(result, path)),
            strict=True,
        )
    )
    suppressed = sorted(result.suppressed, key=lambda f: f.sort_key)
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version()},
        "findings": [_finding(result, f, fingerprints[id(f)]) for f in result.findings],
        "suppressed": [
            {**_finding(result, f, fingerprints[id(f)]), "suppressed_by": f.suppressed_by or ""}
            for f in (suppressed if result.show_suppressed else [])
        ],
        "notices": [_notice(result, n) for n in result.notices],
        "rules": [_rule(result, rule) for rule in rules_for(result)],
        "summary": _summary(result),
    }


def _finding(result: RunResult, finding: Finding, fingerprint: str) -> JsonObject:
    loc = finding.location
    return {
        "rule_id": finding.rule_id,
        "severity": finding.severity.label,
        "message": finding.message,
        "path": result.display_path(finding.path),
        "start": {"line": loc.line, "column": loc.column},
        "end": {"line": loc.end_line, "column": loc.end_column},
        "snippet": finding.snippet,
        "fingerprint": fingerprint,
    }


def _notice(result: RunResult, notice: Notice) -> JsonObject:
    return {
        "path": result.display_path(notice.path) if notice.path else "",
        "kind": notice.kind,
        "message": notice.message,
        "fatal": notice.fatal,
    }


def _rule(result: RunResult, rule: Rule) -> JsonObject:
    return {
        "id": rule.id,
        "title": rule.title,
        "severity": default_level(result, rule).label,
        "checklist": rule.checklist,
        "tags": list(rule.tags),
        "precision": rule.precision,
        "security_severity": rule.security_severity,
        "cwe": rule.cwe,
        "help_uri": help_uri(rule.id),
    }


def _summary(result: RunResult) -> JsonObject:
    return {
        "files_scanned": result.files_scanned,
        "findings": len(result.findings),
        "by_severity": severity_counts(result.findings),
        "by_rule": result.counts_by_rule(),
        "notices": len(result.notices),
        "suppressed": len(result.suppressed),
        "baseline": {"absorbed": result.baseline_absorbed, "stale": result.baseline_stale},
        "execution_successful": not result.fatal,
    }
