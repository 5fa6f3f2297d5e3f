"""Inline suppressions: comment nodes only, line / next-line / file scope, unused ones."""

from __future__ import annotations

from pathlib import Path

from nextaudit.config import CliRules, load_config
from nextaudit.registry import default_registry
from nextaudit.runner import RunOptions, run
from nextaudit.suppressions import parse_directive


def run_on(tmp_path: Path, files: dict[str, str], select: tuple[str, ...] = ("no-explicit-any",)):  # type: ignore[no-untyped-def]
    for name, text in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    config = load_config(None, default_registry(), tmp_path, CliRules(select=select))
    return run(config, [tmp_path], RunOptions(cwd=tmp_path, repo_root=tmp_path))


def lines(findings, rule: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [f.location.line for f in findings if f.rule_id == rule]


def test_parse_directive_forms() -> None:
    assert parse_directive(
        "// nextaudit-ignore: no-explicit-any, no-empty-catch -- legacy API"
    ) == (
        False,
        ("no-explicit-any", "no-empty-catch"),
        "legacy API",
        "",
    )
    assert parse_directive("/* nextaudit-ignore-file: no-explicit-any */") == (
        True,
        ("no-explicit-any",),
        "",
        "",
    )
    assert parse_directive("{/* nextaudit-ignore: no-hardcoded-model */}")[1] == (
        "no-hardcoded-model",
    )
    assert (
        parse_directive("// nextaudit-ignore")[3]
        == "a rule id is required (no blanket suppressions)"
    )
    assert parse_directive("// just a comment") is None


def test_end_of_line_and_next_line(tmp_path: Path) -> None:
    result = run_on(
        tmp_path,
        {
            "a.ts": (
                "let a: any; // nextaudit-ignore: no-explicit-any -- legacy\n"
                "// nextaudit-ignore: no-explicit-any\n"
                "\n"
                "// an unrelated comment between\n"
                "let b: any;\n"
                "let c: any;\n"
            )
        },
    )
    assert lines(result.findings, "no-explicit-any") == [6]
    assert sorted(f.location.line for f in result.suppressed) == [1, 5]
    assert result.suppressed[0].suppressed_by == "legacy"
    assert lines(result.findings, "unused-suppression") == []


def test_suppression_text_inside_strings_and_templates_does_not_suppress(tmp_path: Path) -> None:
    result = run_on(
        tmp_path,
        {
            "a.ts": (
                'let a: any = "// nextaudit-ignore: no-explicit-any";\n'
                "let b: any = `\n"
                "// nextaudit-ignore: no-explicit-any\n"
                "`; let c: any;\n"
            )
        },
    )
    assert lines(result.findings, "no-explicit-any") == [1, 2, 4]
    assert result.suppressed == []


def test_file_level_suppression_only_in_leading_comments(tmp_path: Path) -> None:
    result = run_on(
        tmp_path,
        {
            "a.ts": "'use client';\n// nextaudit-ignore-file: no-explicit-any\nlet a: any;\nlet b: any;\n",
            "b.ts": "let a: any;\n// nextaudit-ignore-file: no-explicit-any\nlet b: any;\n",
        },
    )
    a = str(tmp_path / "a.ts")
    b = str(tmp_path / "b.ts")
    assert [f.location.line for f in result.findings if f.path == a] == []
    b_findings = [(f.rule_id, f.location.line) for f in result.findings if f.path == b]
    assert b_findings == [
        ("no-explicit-any", 1),
        ("unused-suppression", 2),
        ("no-explicit-any", 3),
    ]
    message = next(f.message for f in result.findings if f.rule_id == "unused-suppression")
    assert (
        message
        == "`nextaudit-ignore-file`: nextaudit-ignore-file must be among the file's leading comments"
    )


def test_jsx_comment_suppresses_next_line(tmp_path: Path) -> None:
    result = run_on(
        tmp_path,
        {
            "app/page.tsx": (
                "export default function Page() {\n"
                "  return (\n"
                "    <div>\n"
                "      {/* nextaudit-ignore: no-hardcoded-model -- demo label */}\n"
                '      <Model id="gpt-4o" />\n'
                '      <Model id="gpt-4o-mini" />\n'
                "    </div>\n"
                "  );\n"
                "}\n"
            )
        },
        select=("no-hardcoded-model",),
    )
    assert lines(result.findings, "no-hardcoded-model") == [6]
    assert [f.location.line for f in result.suppressed] == [5]


def test_unused_unknown_and_blanket_suppressions_are_reported(tmp_path: Path) -> None:
    result = run_on(
        tmp_path,
        {
            "a.ts": (
                "let a = 1; // nextaudit-ignore: no-explicit-any\n"
                "let b = 2; // nextaudit-ignore: no-such-rule\n"
                "let c = 3; // nextaudit-ignore\n"
                "let d = 4; // nextaudit-ignore: no-empty-catch\n"
            )
        },
    )
    unused = [
        (f.location.line, f.location.column, f.message)
        for f in result.findings
        if f.rule_id == "unused-suppression"
    ]
    assert unused == [
        (1, 12, "`nextaudit-ignore: no-explicit-any` suppressed nothing; remove it"),
        (2, 12, "`nextaudit-ignore` names unknown rule id 'no-such-rule'"),
        (3, 12, "`nextaudit-ignore`: a rule id is required (no blanket suppressions)"),
    ]  # line 4: no-empty-catch did not run (not selected), so it is not judged unused
    assert all(
        f.severity.label == "note" for f in result.findings if f.rule_id == "unused-suppression"
    )


def test_suppressed_findings_are_counted(tmp_path: Path) -> None:
    result = run_on(tmp_path, {"a.ts": "let a: any; // nextaudit-ignore: no-explicit-any\n"})
    assert result.findings == []
    assert len(result.suppressed) == 1
