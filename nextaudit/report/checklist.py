"""`--format checklist`: the team's written standards, item by item, with what this run
says about each: passed, N findings (with the first locations), rule disabled, or
review by hand.

The checklist is Markdown (`nextaudit/data/backend-standards.md` by default): `## `
headings are sections, top-level `- ` bullets (with indented continuation lines) are
items, and rule ids in brackets at the end of an item name the rules that decide it.
An item without rule ids, or whose rules this version of nextaudit does not have, is
for a human to review.

Output is GitHub-flavoured Markdown (for `$GITHUB_STEP_SUMMARY` and pull-request
comments) or, on a terminal, Rich.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nextaudit.report.common import one_line, plural, tool_version

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

    from nextaudit.findings import Finding
    from nextaudit.results import RunResult

TOP_LOCATIONS = 3
DEFAULT_CHECKLIST = "backend-standards.md"
_RULE_IDS = re.compile(r"\s*\[\s*([a-z][a-z0-9-]*(?:\s*,\s*[a-z][a-z0-9-]*)*)\s*\]\s*\.?\s*$")
_BY_HAND = re.compile(r"\s*[:.,;-]?\s*review(ed)? by hand\.?\s*$", re.IGNORECASE)

FAILED, PASSED, DISABLED, MANUAL = "failed", "passed", "disabled", "manual"
MARKDOWN_BADGE = {FAILED: "❌", PASSED: "✅", DISABLED: "\N{HEAVY MINUS SIGN}", MANUAL: "👀"}
RICH_BADGE = {
    FAILED: ("✘", "bold red"),
    PASSED: ("✔", "bold green"),
    DISABLED: ("\N{EN DASH}", "dim"),
    MANUAL: ("?", "bold yellow"),
}


@dataclass(frozen=True)
class ChecklistItem:
    text: str
    rule_ids: tuple[str, ...]


@dataclass(frozen=True)
class ChecklistSection:
    title: str
    items: tuple[ChecklistItem, ...]


@dataclass(frozen=True)
class Checklist:
    title: str
    sections: tuple[ChecklistSection, ...]


@dataclass
class ItemStatus:
    item: ChecklistItem
    kind: str
    findings: list[Finding] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        if self.kind == FAILED:
            return plural(len(self.findings), "finding")
        return {PASSED: "passed", DISABLED: "rule disabled", MANUAL: "review by hand"}[self.kind]

    @property
    def notes(self) -> list[str]:
        """Why a status is partial: rules of the item that did not run."""
        out = []
        if self.disabled and self.kind != DISABLED:
            out.append(f"{_rules_word(self.disabled)} disabled: {', '.join(self.disabled)}")
        if self.unavailable:
            out.append(f"no {_rules_word(self.unavailable)} yet: {', '.join(self.unavailable)}")
        return out


def _rules_word(ids: list[str]) -> str:
    return "rule" if len(ids) == 1 else "rules"


# --- parsing -----------------------------------------------------------------------
def default_checklist_text() -> str:
    from importlib import resources

    return (resources.files("nextaudit") / "data" / DEFAULT_CHECKLIST).read_text(encoding="utf-8")


def parse_checklist(markdown: str) -> Checklist:
    title = ""
    sections: list[tuple[str, list[list[str]]]] = []
    in_fence = False
    item: list[str] | None = None
    for raw in markdown.splitlines():
        stripped = raw.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if not stripped:
            item = None
        elif raw.startswith("# ") and not title:
            title = stripped[2:].strip()
        elif raw.startswith("## "):
            sections.append((stripped[3:].strip(), []))
            item = None
        elif raw.startswith(("- ", "* ")) and sections:
            item = [stripped[2:]]
            sections[-1][1].append(item)
        elif raw[:1].isspace() and item is not None:
            item.append(stripped)
    return Checklist(
        title or "Checklist",
        tuple(
            ChecklistSection(name, tuple(_item(" ".join(lines)) for lines in items))
            for name, items in sections
            if items
        ),
    )


def _item(text: str) -> ChecklistItem:
    text = " ".join(text.split())
    match = _RULE_IDS.search(text)
    if match is None:
        return ChecklistItem(_BY_HAND.sub("", text) or text, ())
    ids = tuple(part.strip() for part in match.group(1).split(","))
    return ChecklistItem(text[: match.start()].rstrip(), ids)


# --- status ------------------------------------------------------------------------
def item_statuses(result: RunResult, checklist: Checklist) -> list[list[ItemStatus]]:
    enabled = {rule.id for rule in result.rules}
    disabled = {rule.id for rule in result.disabled_rules} - enabled
    return [
        [_status(result, item, enabled, disabled) for item in section.items]
        for section in checklist.sections
    ]


def _status(
    result: RunResult, item: ChecklistItem, enabled: set[str], disabled: set[str]
) -> ItemStatus:
    ran = [rule_id for rule_id in item.rule_ids if rule_id in enabled]
    status = ItemStatus(
        item,
        MANUAL,
        findings=[f for f in result.findings if f.rule_id in item.rule_ids],
        disabled=[rule_id for rule_id in item.rule_ids if rule_id in disabled],
        unavailable=[r for r in item.rule_ids if r not in enabled and r not in disabled],
    )
    if status.findings:
        status.kind = FAILED
    elif ran:
        status.kind = PASSED
    elif status.disabled:
        status.kind = DISABLED
    return status


def top_findings(findings: list[Finding]) -> list[Finding]:
    """The most severe first, then in source order."""
    return sorted(findings, key=lambda f: (-f.severity, f.sort_key))[:TOP_LOCATIONS]


def off_checklist(result: RunResult, checklist: Checklist) -> list[Finding]:
    """Findings of rules no item names (tool findings such as syntax errors)."""
    named = {rule_id for s in checklist.sections for i in s.items for rule_id in i.rule_ids}
    return [f for f in result.findings if f.rule_id not in named]


def _tally(statuses: list[list[ItemStatus]]) -> dict[str, int]:
    counts = {FAILED: 0, PASSED: 0, DISABLED: 0, MANUAL: 0}
    for section in statuses:
        for status in section:
            counts[status.kind] += 1
    return counts


def _tally_text(counts: dict[str, int]) -> str:
    return (
        f"{counts[FAILED]} failing · {counts[PASSED]} passed · "
        f"{counts[DISABLED]} rule disabled · {counts[MANUAL]} review by hand"
    )


def _run_text(result: RunResult) -> str:
    parts = [
        f"nextaudit {tool_version()}",
        f"{plural(result.files_scanned, 'file')} scanned",
        plural(len(result.findings), "finding"),
    ]
    if result.notices:
        parts.append(f"{plural(len(result.notices), 'file notice')} (not every file was analysed)")
    return " · ".join(parts)


# --- rendering ---------------------------------------------------------------------
def render_checklist(
    result: RunResult,
    terminal: bool = False,
    width: int = 100,
    checklist_text: str | None = None,
) -> str:
    checklist = parse_checklist(
        checklist_text if checklist_text is not None else default_checklist_text()
    )
    statuses = item_statuses(result, checklist)
    if terminal:
        return _render_rich(result, checklist, statuses, width)
    return _render_markdown(result, checklist, statuses)


def _location(result: RunResult, finding: Finding) -> str:
    loc = finding.location
    return f"{one_line(result.display_path(finding.path))}:{loc.line}:{loc.column}"


def _markdown_code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if fence == "`" else f"{fence} {text} {fence}"


def _render_markdown(
    result: RunResult, checklist: Checklist, statuses: list[list[ItemStatus]]
) -> str:
    lines = [f"# {checklist.title}", "", _run_text(result), "", _tally_text(_tally(statuses))]
    for section, section_statuses in zip(checklist.sections, statuses, strict=True):
        lines += ["", f"## {section.title}", ""]
        for status in section_statuses:
            lines.extend(_markdown_item(result, status))
    extra = off_checklist(result, checklist)
    if extra:
        lines += ["", "## Not on the checklist", ""]
        lines += _markdown_findings(result, extra, with_rule=True)
    return "\n".join(lines) + "\n"


def _markdown_item(result: RunResult, status: ItemStatus) -> list[str]:
    rules = ", ".join(_markdown_code(rule_id) for rule_id in status.item.rule_ids)
    head = f"- {MARKDOWN_BADGE[status.kind]} **{status.label}**: {status.item.text}"
    if rules:
        head += f" ({rules})"
    lines = [head]
    lines += [f"  - _{note}_" for note in status.notes]
    if status.findings:
        lines += _markdown_findings(
            result, status.findings, with_rule=len(status.item.rule_ids) > 1, indent="  "
        )
    return lines


def _markdown_findings(
    result: RunResult, findings: list[Finding], with_rule: bool, indent: str = ""
) -> list[str]:
    lines = []
    for finding in top_findings(findings):
        rule = f" {_markdown_code(finding.rule_id)}" if with_rule else ""
        lines.append(
            f"{indent}- {_markdown_code(_location(result, finding))}{rule} "
            f"{one_line(finding.message)}"
        )
    if len(findings) > TOP_LOCATIONS:
        lines.append(f"{indent}- … and {len(findings) - TOP_LOCATIONS} more")
    return lines


def _render_rich(
    result: RunResult, checklist: Checklist, statuses: list[list[ItemStatus]], width: int
) -> str:
    from io import StringIO

    from rich.console import Console
    from rich.text import Text

    buffer = StringIO()
    console = Console(
        file=buffer,
        force_terminal=True,
        width=width,
        color_system="standard",
        highlight=False,
        emoji=False,
        markup=False,
        legacy_windows=False,
    )
    console.print(Text(checklist.title, style="bold underline"))
    console.print(Text(_run_text(result), style="dim"))
    console.print(Text(_tally_text(_tally(statuses))))
    for section, section_statuses in zip(checklist.sections, statuses, strict=True):
        console.print()
        console.print(Text(section.title, style="bold"))
        console.print(_rich_section(result, section_statuses))
    extra = off_checklist(result, checklist)
    if extra:
        console.print()
        console.print(Text("Not on the checklist", style="bold"))
        grid = _grid()
        for line in _rich_findings(result, extra, with_rule=True):
            grid.add_row("", "", line)
        console.print(grid)
    return buffer.getvalue()


def _grid() -> Table:
    """Badge, status and text columns, so that long items wrap under their own text."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def _rich_section(result: RunResult, statuses: list[ItemStatus]) -> Table:
    from rich.text import Text

    grid = _grid()
    for status in statuses:
        badge, style = RICH_BADGE[status.kind]
        text = _inline_code(status.item.text)
        if status.item.rule_ids:
            text.append(f" [{', '.join(status.item.rule_ids)}]", style="magenta")
        grid.add_row(Text(f" {badge}", style=style), Text(status.label, style=style), text)
        for note in status.notes:
            grid.add_row("", "", Text(note, style="dim"))
        for line in _rich_findings(result, status.findings, len(status.item.rule_ids) > 1):
            grid.add_row("", "", line)
    return grid


def _rich_findings(result: RunResult, findings: list[Finding], with_rule: bool) -> list[Text]:
    from rich.text import Text

    lines = []
    for finding in top_findings(findings):
        line = Text.assemble("  ", (_location(result, finding), "bold"))
        if with_rule:
            line.append(f" [{finding.rule_id}]", style="magenta")
        line.append(" " + one_line(finding.message))
        lines.append(line)
    if len(findings) > TOP_LOCATIONS:
        lines.append(Text(f"  … and {len(findings) - TOP_LOCATIONS} more", style="dim"))
    return lines


def _inline_code(text: str) -> Text:
    """Markdown `code` spans shown in cyan without their backticks."""
    from rich.text import Text

    out = Text()
    for index, part in enumerate(text.split("`")):
        out.append(part, style="cyan" if index % 2 else "")
    return out
