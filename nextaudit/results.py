"""RunResult: everything a reporter needs, produced once per run by the engine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from nextaudit.discovery import posix_path
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
        return relative_posix(path, self.cwd)


def relative_posix(path: Path | str, base: Path) -> str:
    """`path` relative to `base`, in POSIX form (`path` may be a string: the run's
    paths are kept as strings, and making a Path costs microseconds per finding)."""
    # By string first: this runs for every file and finding, and Path.relative_to
    # costs 15 us. Both sides normalised, a path below `base` starts with its POSIX
    # form and a slash; a string is taken as it is only when it is normal.
    if isinstance(path, str):
        text = posix_path(path)
        if not _normal_absolute(text):
            return relative_posix(Path(path), base)
    else:
        if not path.is_absolute():
            return _relative_by_path(path, base)
        text = path.as_posix()
    prefix = base.as_posix()
    if base.is_absolute():
        if text == prefix:
            return "."
        if not prefix.endswith("/"):
            prefix += "/"
        if text.startswith(prefix):
            return text[len(prefix) :]
    return _relative_by_path(Path(path), base)


def _normal_absolute(text: str) -> bool:
    """An absolute POSIX path as Path would write it (no `//`, `.` parts, final `/`)."""
    return (
        os.path.isabs(text)
        and "//" not in text
        and "/./" not in text
        and not text.endswith(("/", "/."))
    )


def _relative_by_path(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        try:
            return Path(os.path.relpath(path, base)).as_posix()
        except ValueError:  # another drive on Windows
            return path.as_posix()
