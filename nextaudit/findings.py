"""The values every stage passes along: severities, locations and findings."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """Finding severities, ordered so that comparisons mean "at least as severe"."""

    NOTE = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}") from None


SEVERITY_NAMES = ("error", "warning", "note")


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based region; `end_column` is exclusive. Columns count Unicode code points."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Finding:
    """One violation of one rule at one place.

    `path` is the absolute POSIX path of the file; reporters make it relative to
    whatever base their format wants. `snippet` is the flagged source text as it may
    be shown (rules that flag secrets store a redacted form here), and `fingerprint_text`
    is the normalised text that identifies the finding across unrelated edits.
    """

    rule_id: str
    severity: Severity
    message: str
    path: str
    location: Location
    snippet: str = ""
    suppressed_by: str | None = field(default=None, compare=False)

    @property
    def sort_key(self) -> tuple[str, int, int, str, int, int, str]:
        loc = self.location
        return (
            self.path,
            loc.line,
            loc.column,
            self.rule_id,
            loc.end_line,
            loc.end_column,
            self.message,
        )


@dataclass(frozen=True)
class Notice:
    """Something the tool could not do with a file (unreadable, too large, rule crash).

    Notices are not findings of a rule: they become SARIF `toolExecutionNotifications`
    and stderr lines. `fatal` notices (an exception inside a rule) make the run exit 2.
    """

    path: str
    message: str
    kind: str
    fatal: bool = False
    detail: str = ""


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: f.sort_key)
