"""`--format checklist`: parsing the standards and each item's status."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SHARED
from test_report_app import DISABLED_RULE, report_app_result, strip_ansi, synthetic_rule

from nextaudit.findings import Finding, Location, Notice, Severity
from nextaudit.report import render
from nextaudit.report.checklist import (
    ChecklistItem,
    default_checklist_text,
    item_statuses,
    parse_checklist,
    render_checklist,
)
from nextaudit.results import RunResult

CHECKLIST = """\
# Team rules

Intro paragraph with a [bracket] that is not an item.

## Code
- Typed: never `any`; narrow
  external data. [rule-a]
- Async: await things. [rule-b, rule-c]
  ```ts
  - not an item [rule-z]
  ```
- Done by people: review by hand.

## Empty section

## Other
- Uses `app/[id]/route.ts` paths. [rule-d]
* Star bullet [rule-e].
"""


def test_parse_sections_items_and_rule_ids() -> None:
    checklist = parse_checklist(CHECKLIST)
    assert checklist.title == "Team rules"
    assert [s.title for s in checklist.sections] == ["Code", "Other"]
    assert checklist.sections[0].items == (
        ChecklistItem("Typed: never `any`; narrow external data.", ("rule-a",)),
        ChecklistItem("Async: await things.", ("rule-b", "rule-c")),
        ChecklistItem("Done by people", ()),
    )
    assert checklist.sections[1].items == (
        ChecklistItem("Uses `app/[id]/route.ts` paths.", ("rule-d",)),
        ChecklistItem("Star bullet", ("rule-e",)),
    )


def test_shipped_checklist_is_the_team_standards() -> None:
    shared = SHARED / "standards" / "backend-standards.md"
    if not shared.exists():
        pytest.skip("../shared/standards is absent")
    assert default_checklist_text() == shared.read_text(encoding="utf-8")


def test_shipped_checklist_parses_into_its_sections() -> None:
    checklist = parse_checklist(default_checklist_text())
    assert [s.title for s in checklist.sections] == [
        "Code standards",
        "API design",
        "Database",
        "Security checklist",
        "Performance checklist",
        "Project conventions",
    ]
    items = {i.text: i.rule_ids for s in checklist.sections for i in s.items}
    assert items["Transactions and data integrity"] == ()
    assert ("await-route-params", "await-request-apis") in items.values()
    assert all("review by hand" not in text for text in items)


def _finding(rule_id: str, line: int, severity: Severity = Severity.ERROR) -> Finding:
    return Finding(
        rule_id, severity, f"{rule_id} message", f"/repo/src/f{line}.ts", Location(line, 2, line, 3)
    )


def _result(
    findings: list[Finding], enabled: list[str], disabled: list[str], **extra: object
) -> RunResult:
    rules = [synthetic_rule(r, Severity.ERROR) for r in enabled]
    fields: dict[str, object] = {
        "findings": findings,
        "notices": [],
        "files_scanned": 4,
        "rules": rules,
        "severities": {r.id: r.severity for r in rules},
        "repo_root": Path("/repo"),
        "cwd": Path("/repo"),
        "disabled_rules": [synthetic_rule(r, Severity.WARNING, enabled=False) for r in disabled],
        **extra,
    }
    return RunResult(**fields)  # type: ignore[arg-type]


def test_statuses() -> None:
    result = _result(
        [_finding("rule-a", 1), _finding("rule-c", 2)],
        enabled=["rule-a", "rule-c", "rule-d"],
        disabled=["rule-b", "rule-e"],
    )
    statuses = item_statuses(result, parse_checklist(CHECKLIST))
    code, other = statuses
    assert [(s.kind, s.label) for s in code] == [
        ("failed", "1 finding"),
        ("failed", "1 finding"),
        ("manual", "review by hand"),
    ]
    assert code[1].notes == ["rule disabled: rule-b"]
    assert [(s.kind, s.label) for s in other] == [
        ("passed", "passed"),
        ("disabled", "rule disabled"),
    ]


def test_rules_this_version_lacks_mean_review_by_hand() -> None:
    result = _result([], enabled=["rule-b"], disabled=[])
    code = item_statuses(result, parse_checklist(CHECKLIST))[0]
    assert code[0].kind == "manual"
    assert code[0].notes == ["no rule yet: rule-a"]
    assert code[1].kind == "passed"
    assert code[1].notes == ["no rule yet: rule-c"]


def test_markdown_lists_the_top_three_locations_most_severe_first() -> None:
    findings = [
        _finding("rule-a", 1, Severity.NOTE),
        _finding("rule-a", 2, Severity.WARNING),
        _finding("rule-a", 3),
        _finding("rule-a", 4, Severity.NOTE),
        _finding("rule-a", 5),
    ]
    result = _result(findings, enabled=["rule-a"], disabled=[])
    markdown = render_checklist(result, checklist_text=CHECKLIST)
    lines = markdown.splitlines()
    start = lines.index("- ❌ **5 findings**: Typed: never `any`; narrow external data. (`rule-a`)")
    assert lines[start + 1 : start + 5] == [
        "  - `src/f3.ts:3:2` rule-a message",
        "  - `src/f5.ts:5:2` rule-a message",
        "  - `src/f2.ts:2:2` rule-a message",
        "  - … and 2 more",
    ]


def test_markdown_head_and_other_badges() -> None:
    result = _result(
        [_finding("rule-x", 1)],
        enabled=["rule-d"],
        disabled=["rule-e"],
        notices=[Notice("/repo/a.ts", "could not read file", "unreadable")],
    )
    markdown = render_checklist(result, checklist_text=CHECKLIST)
    assert markdown.startswith("# Team rules\n\nnextaudit ")
    assert "4 files scanned · 1 finding · 1 file notice (not every file was analysed)" in markdown
    assert "0 failing · 1 passed · 1 rule disabled · 3 review by hand" in markdown
    assert "- ✅ **passed**: Uses `app/[id]/route.ts` paths. (`rule-d`)" in markdown
    assert "- \N{HEAVY MINUS SIGN} **rule disabled**: Star bullet (`rule-e`)" in markdown
    assert "- 👀 **review by hand**: Done by people" in markdown
    assert "## Not on the checklist\n\n- `src/f1.ts:1:2` `rule-x` rule-x message" in markdown


def test_multi_rule_items_name_the_rule_of_each_location() -> None:
    result = _result([_finding("rule-c", 7)], enabled=["rule-b", "rule-c"], disabled=[])
    markdown = render_checklist(result, checklist_text=CHECKLIST)
    assert "  - `src/f7.ts:7:2` `rule-c` rule-c message" in markdown


def test_report_app_checklist_uses_the_team_standards() -> None:
    result = report_app_result()
    markdown = render("checklist", result)
    assert "## Security checklist" in markdown
    assert "- ❌ **1 finding**: Secrets are never hardcoded. (`no-hardcoded-secret`)" in markdown
    assert "- \N{HEAVY MINUS SIGN} **rule disabled**: Error handling: try/catch" in markdown
    assert f"never swallow an error. (`{DISABLED_RULE.id}`)" in markdown
    assert "nxa_live" not in markdown


def test_terminal_rendering_is_rich_with_the_same_statuses() -> None:
    result = _result([_finding("rule-a", 1)], enabled=["rule-a", "rule-d"], disabled=["rule-e"])
    output = render_checklist(result, terminal=True, width=80, checklist_text=CHECKLIST)
    assert "\x1b[" in output
    plain = strip_ansi(output)
    assert "✘ 1 finding" in plain
    assert "✔ passed" in plain
    assert "\N{EN DASH} rule disabled" in plain
    assert "? review by hand" in plain
    assert "src/f1.ts:1:2 rule-a message" in plain
    # Code spans lose their backticks on a terminal.
    assert "never any; narrow" in plain
    assert all(len(line) <= 80 for line in plain.splitlines())
