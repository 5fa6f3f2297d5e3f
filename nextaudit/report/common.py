"""Small helpers every reporter shares: paths, rule lookup, counts and safe text."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from nextaudit.findings import Severity, sort_findings
from nextaudit.results import relative_posix

if TYPE_CHECKING:
    from nextaudit.findings import Finding
    from nextaudit.registry import Rule
    from nextaudit.results import RunResult

TOOL_NAME = "nextaudit"
INFORMATION_URI = "https://github.com/nextaudit/nextaudit"
RULE_DOCS_URI = INFORMATION_URI + "/blob/main/docs/rules/{id}.md"


def tool_version() -> str:
    import nextaudit

    return nextaudit.__version__


def help_uri(rule_id: str) -> str:
    return RULE_DOCS_URI.format(id=rule_id)


def repo_path(result: RunResult, path: str) -> str:
    """`path` relative to the repository root (POSIX), as annotations and SARIF want."""
    return relative_posix(path, result.repo_root)


def all_findings(result: RunResult) -> list[Finding]:
    """Active and suppressed findings together in source order: the population that
    occurrence indices (and so stable fingerprints) are counted in, whether or not the
    suppressed ones are shown."""
    return sort_findings([*result.findings, *result.suppressed])


def shown_findings(result: RunResult) -> list[Finding]:
    """What a report lists: the active findings, plus the suppressed ones on request."""
    return all_findings(result) if result.show_suppressed else list(result.findings)


def rules_for(result: RunResult) -> list[Rule]:
    """The enabled rules, then (defensively) any rule a finding names that is not
    among them, so that every result has rule metadata to point at."""
    rules = list(result.rules)
    known = {rule.id for rule in rules}
    for finding in all_findings(result):
        if finding.rule_id not in known:
            known.add(finding.rule_id)
            rules.append(_rule_by_id(finding.rule_id, finding.severity))
    return rules


def _rule_by_id(rule_id: str, severity: Severity) -> Rule:
    from nextaudit.registry import Rule, default_registry

    registry = default_registry()
    if rule_id in registry:
        return registry[rule_id]
    return Rule(
        id=rule_id,
        title=rule_id,
        checklist="",
        severity=severity,
        message="",
        kind="tool",
        tags=(),
        options={},
        docs={},
        valid=(),
        invalid=(),
    )


def default_level(result: RunResult, rule: Rule) -> Severity:
    return result.severities.get(rule.id, rule.severity)


def severity_counts(findings: list[Finding]) -> dict[str, int]:
    counts = {severity.label: 0 for severity in sorted(Severity, reverse=True)}
    for finding in findings:
        counts[finding.severity.label] += 1
    return counts


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


# Bidirectional controls reorder what a terminal shows ("Trojan Source"); a report
# shows them as U+FFFD so that what is displayed is what is in the file.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def safe_char(char: str) -> str:
    """One character as a terminal-bound report may print it: line breaks and tabs
    become a space, other control characters (an ESC would drive the terminal) and
    bidirectional controls become U+FFFD."""
    if char in "\r\n\t\u2028\u2029":
        return " "
    if char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
        return "\N{REPLACEMENT CHARACTER}"
    return char


def one_line(text: str) -> str:
    """`text` made safe for a one-line report (see `safe_char`)."""
    if text.isprintable():
        return text
    return "".join(safe_char(char) for char in text)
