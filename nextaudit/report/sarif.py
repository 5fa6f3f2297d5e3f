"""`--format sarif`: one SARIF 2.1.0 run that GitHub code scanning ingests as is.

What GitHub relies on, and where it comes from here:
- `tool.driver.rules`: every enabled rule (not only those that fired) so that alerts
  show the rule's help; `ruleIndex` in each result points into that list.
- one location per result, its URI relative to the repository root with
  `uriBaseId: %SRCROOT%` (defined in `originalUriBaseIds`), a full region whose
  columns count Unicode code points (`run.columnKind`).
- `partialFingerprints.primaryLocationLineHash`, GitHub's own line hash, so that the
  upload action does not have to read the sources again (it may not have them).
- `results: []` on a clean run, so that fixed alerts close.
- `automationDetails.id`, the analysis category, so that several nextaudit runs on
  one repository (a monorepo's apps) do not close each other's alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from nextaudit.findings import Severity
from nextaudit.report.common import (
    INFORMATION_URI,
    TOOL_NAME,
    all_findings,
    default_level,
    help_uri,
    repo_path,
    rules_for,
    tool_version,
)
from nextaudit.report.fingerprints import STABLE_KEY, LineHashCache, stable_fingerprints
from nextaudit.report.indented_json import dumps_indented
from nextaudit.report.uri import artifact_uri, file_uri

if TYPE_CHECKING:
    from nextaudit.findings import Finding, Notice
    from nextaudit.registry import Rule
    from nextaudit.results import RunResult

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
DEFAULT_CATEGORY = "nextaudit"
MAX_DESCRIPTION = 1024  # GitHub truncates longer rule descriptions
MAX_TAGS = 10
MAX_RESULTS = 25_000  # GitHub rejects runs with more results than this
PROBLEM_SEVERITY = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.NOTE: "recommendation",
}

Json = dict[str, object]


def render_sarif(result: RunResult) -> str:
    return dumps_indented(sarif_log(result)) + "\n"


def sarif_log(result: RunResult) -> Json:
    rules = rules_for(result)
    index = {rule.id: i for i, rule in enumerate(rules)}
    results, omitted = _results(result, index)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": _driver(result, rules)},
                "automationDetails": {"id": automation_id(result.category)},
                "originalUriBaseIds": {
                    SRCROOT: {"uri": file_uri(result.repo_root, directory=True)}
                },
                "invocations": [_invocation(result, omitted)],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def automation_id(category: str | None) -> str:
    """GitHub reads everything before the last `/` as the analysis category; a given
    category gets the trailing slash the upload action would add."""
    category = (category or DEFAULT_CATEGORY).strip() or DEFAULT_CATEGORY
    return category if category.endswith("/") else category + "/"


# --- tool.driver -------------------------------------------------------------------
def _driver(result: RunResult, rules: list[Rule]) -> Json:
    version = tool_version()
    return {
        "name": TOOL_NAME,
        "version": version,
        "semanticVersion": version,
        "informationUri": INFORMATION_URI,
        "rules": [_rule_descriptor(result, rule) for rule in rules],
    }


def _rule_descriptor(result: RunResult, rule: Rule) -> Json:
    level = default_level(result, rule)
    properties: Json = {
        "tags": rule_tags(rule),
        "precision": rule.precision,
        "problem.severity": PROBLEM_SEVERITY[level],
    }
    if rule.security_severity is not None:
        properties["security-severity"] = security_severity(rule.security_severity)
    return {
        "id": rule.id,
        "name": pascal_case(rule.id),
        "shortDescription": {"text": _truncate(_sentence(rule.title))},
        "fullDescription": {"text": _truncate(_sentence(_full_description(rule)))},
        "help": {"text": help_text(rule), "markdown": help_markdown(rule)},
        "helpUri": help_uri(rule.id),
        "defaultConfiguration": {"level": level.label},
        "properties": properties,
    }


def pascal_case(rule_id: str) -> str:
    """SARIF's `name` is a readable identifier distinct from the id: NoExplicitAny."""
    return "".join(part.capitalize() for part in rule_id.split("-"))


def rule_tags(rule: Rule) -> list[str]:
    """The rule's tags, with `security` and the CWE tag first for security rules (GitHub
    only shows `security-severity` for rules tagged `security`), at most 10."""
    tags: list[str] = []
    if rule.is_security:
        tags.append("security")
        if rule.cwe is not None:
            tags.append(f"external/cwe/cwe-{rule.cwe}")
    tags.extend(tag for tag in rule.tags if tag not in tags)
    return tags[:MAX_TAGS]


def security_severity(value: str) -> str:
    """GitHub wants a string holding a number in 0.1..10.0, written with one decimal."""
    number = min(10.0, max(0.1, float(value)))
    return f"{number:.1f}"


def _full_description(rule: Rule) -> str:
    what = " ".join(rule.docs.get("what", "").split())
    return what or rule.title


def _sentence(text: str) -> str:
    """Descriptions are sentences (the SARIF multitool asks for the final period)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _truncate(text: str, limit: int = MAX_DESCRIPTION) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def help_text(rule: Rule) -> str:
    docs = rule.docs
    parts = [rule.title]
    for heading, key in (("", "what"), ("Why: ", "why")):
        if docs.get(key):
            parts.append(heading + " ".join(docs[key].split()))
    if docs.get("example"):
        parts.append("Flagged:\n" + docs["example"].rstrip())
    if docs.get("use-instead"):
        parts.append("Use instead:\n" + docs["use-instead"].rstrip())
    if rule.checklist:
        parts.append("Checklist: " + rule.checklist)
    return "\n\n".join(parts)


def help_markdown(rule: Rule) -> str:
    docs = rule.docs
    parts = [f"**{rule.title}**"]
    if docs.get("what"):
        parts.append(" ".join(docs["what"].split()))
    if docs.get("why"):
        parts.append("### Why\n\n" + " ".join(docs["why"].split()))
    if docs.get("example"):
        parts.append("### Flagged\n\n" + _code_block(docs["example"]))
    if docs.get("use-instead"):
        parts.append("### Use instead\n\n" + _code_block(docs["use-instead"]))
    if rule.options:
        lines = [
            f"- `{spec.name}` ({spec.type}, default `{_yaml_scalar(spec.default)}`): "
            + " ".join(spec.description.split())
            for spec in rule.options.values()
        ]
        parts.append("### Options\n\n" + "\n".join(lines))
    if rule.checklist:
        parts.append(f"Checklist: {rule.checklist}")
    return "\n\n".join(parts)


def _code_block(code: str) -> str:
    fence = "```"
    while fence in code:  # a fence longer than any run of backticks inside
        fence += "`"
    return f"{fence}ts\n{code.rstrip()}\n{fence}"


def _yaml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


# --- results -----------------------------------------------------------------------
def _results(result: RunResult, rule_index: Mapping[str, int]) -> tuple[list[Json], int]:
    """The results and how many were left out to stay within GitHub's limit (the most
    severe are kept)."""
    everything = all_findings(result)
    fingerprints = stable_fingerprints(everything, lambda path: repo_path(result, path))
    active = {id(f) for f in result.findings}
    chosen = [
        (finding, fingerprint)
        for finding, fingerprint in zip(everything, fingerprints, strict=True)
        if id(finding) in active or result.show_suppressed
    ]
    omitted = max(0, len(chosen) - MAX_RESULTS)
    if omitted:
        by_severity = sorted(chosen, key=lambda pair: -pair[0].severity)[:MAX_RESULTS]
        kept = {id(f) for f, _ in by_severity}
        chosen = [pair for pair in chosen if id(pair[0]) in kept]
    hashes = LineHashCache()
    return [
        _result(result, finding, fingerprint, rule_index, hashes, id(finding) not in active)
        for finding, fingerprint in chosen
    ], omitted


def _result(
    result: RunResult,
    finding: Finding,
    fingerprint: str,
    rule_index: Mapping[str, int],
    hashes: LineHashCache,
    suppressed: bool,
) -> Json:
    loc = finding.location
    out: Json = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index[finding.rule_id],
        "level": finding.severity.label,
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact_location(result, finding.path),
                    "region": {
                        "startLine": loc.line,
                        "startColumn": loc.column,
                        "endLine": loc.end_line,
                        "endColumn": loc.end_column,
                    },
                }
            }
        ],
    }
    line_hash = hashes.hash_of(finding.path, loc.line)
    if line_hash is not None:
        out["partialFingerprints"] = {"primaryLocationLineHash": line_hash}
    out["fingerprints"] = {STABLE_KEY: fingerprint}
    if suppressed:
        out["suppressions"] = [_suppression(finding)]
    return out


def _artifact_location(result: RunResult, path: str) -> Json:
    uri, relative = artifact_uri(path, result.repo_root)
    return {"uri": uri, "uriBaseId": SRCROOT} if relative else {"uri": uri}


def _suppression(finding: Finding) -> Json:
    """A baseline entry is an `external` suppression; a comment in the code `inSource`."""
    reason = finding.suppressed_by or ""
    kind = "external" if reason.startswith("baseline") else "inSource"
    return {"kind": kind, "justification": reason} if reason else {"kind": kind}


# --- invocation --------------------------------------------------------------------
def _invocation(result: RunResult, omitted: int) -> Json:
    out: Json = {
        "executionSuccessful": not result.fatal,
        "workingDirectory": {"uri": file_uri(result.cwd, directory=True)},
    }
    notifications = [_notification(result, notice) for notice in result.notices]
    if omitted:
        notifications.append(
            {
                "level": "warning",
                "message": {
                    "text": f"{omitted} results were left out of this SARIF file to stay "
                    f"within GitHub's limit of {MAX_RESULTS} results per run."
                },
                "descriptor": {"id": "results-truncated"},
            }
        )
    if notifications:
        out["toolExecutionNotifications"] = notifications
    return out


def _notification(result: RunResult, notice: Notice) -> Json:
    out: Json = {
        "level": "error" if notice.fatal else "warning",
        "message": {"text": _sentence(notice.message)},
        "descriptor": {"id": notice.kind},
    }
    if notice.path:
        out["locations"] = [
            {"physicalLocation": {"artifactLocation": _artifact_location(result, notice.path)}}
        ]
    return out
