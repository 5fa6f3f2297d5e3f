"""RunResult: everything a reporter needs, produced once per run by the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nextaudit.findings import Finding, Notice, Severity
from nextaudit.registry import Rule


@dataclass
class RunResult:
    """`findings` are the active ones (not suppressed, not in the baseline), sorted.

    `rules` are the enabled rules in id order with `severities` their effective
    default level; `repo_root` is the git root (else the current directory) that SARIF
    URIs are relative to; `cwd` is what text/json paths are relative to.
    """

    findings: list[Finding]
    notices: list[Notice]
    files_scanned: int
    rules: list[Rule]
    severities: dict[str, Severity]
    repo_root: Path
    cwd: Path
    suppressed: list[Finding] = field(default_factory=list)
    show_suppressed: bool = False
    baseline_absorbed: int = 0
    baseline_stale: int = 0
    category: str | None = None
    disabled_rules: list[Rule] = field(default_factory=list)

    @property
    def fatal(self) -> bool:
        return any(n.fatal for n in self.notices)

    def counts_by_rule(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.rule_id] = counts.get(finding.rule_id, 0) + 1
        return dict(sorted(counts.items()))

    def display_path(self, path: str) -> str:
        """`path` relative to the current directory when below it, else absolute."""
        return relative_posix(Path(path), self.cwd)


def relative_posix(path: Path, base: Path) -> str:
    # By string first: this runs for every file and finding, and Path.relative_to
    # costs 15 us. Both sides are normalised Paths, so a path below `base` starts
    # with its POSIX form and a slash.
    text, prefix = path.as_posix(), base.as_posix()
    if path.is_absolute() and base.is_absolute():
        if text == prefix:
            return "."
        if not prefix.endswith("/"):
            prefix += "/"
        if text.startswith(prefix):
            return text[len(prefix) :]
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        import os

        try:
            return Path(os.path.relpath(path, base)).as_posix()
        except ValueError:  # another drive on Windows
            return path.as_posix()
