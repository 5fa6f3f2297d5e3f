"""The text report: the plain line format and summary, and the terminal code frames."""

from __future__ import annotations

import re
from pathlib import Path

from test_report_app import report_app_result, strip_ansi

from nextaudit.findings import Finding, Location, Notice, Severity
from nextaudit.registry import default_registry
from nextaudit.report import render
from nextaudit.results import RunResult


def result_for(root: Path, findings: list[Finding], **extra: object) -> RunResult:
    rule = default_registry()["no-explicit-any"]
    fields: dict[str, object] = {
        "findings": findings,
        "notices": [],
        "files_scanned": 3,
        "rules": [rule],
        "severities": {rule.id: rule.severity},
        "repo_root": root,
        "cwd": root,
        **extra,
    }
    return RunResult(**fields)  # type: ignore[arg-type]


def any_at(path: Path, line: int, column: int, width: int = 3, **extra: object) -> Finding:
    fields: dict[str, object] = {
        "rule_id": "no-explicit-any",
        "severity": Severity.ERROR,
        "message": "Unexpected `any`",
        "path": path.as_posix(),
        "location": Location(line, column, line, column + width),
        "snippet": "any",
        **extra,
    }
    return Finding(**fields)  # type: ignore[arg-type]


LINE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|note) \[(?P<rule>[a-z0-9-]+)\] (?P<msg>.+)$"
)


def test_plain_lines_follow_the_documented_format() -> None:
    result = report_app_result()
    output = render("text", result)
    finding_lines = [line for line in output.splitlines() if LINE.match(line)]
    assert len(finding_lines) == len(result.findings) + len(result.suppressed)
    assert "app/api/users/[id]/route.ts:18:16: error [no-explicit-any] Unexpected `any`" in output
    assert "\x1b" not in output
    assert str(result.cwd) not in output


def test_plain_output_is_grouped_by_file_with_a_blank_line_between(tmp_path: Path) -> None:
    findings = [
        any_at(tmp_path / "a.ts", 1, 5),
        any_at(tmp_path / "a.ts", 7, 1),
        any_at(tmp_path / "b.ts", 2, 2),
    ]
    output = render("text", result_for(tmp_path, findings))
    assert output.splitlines()[:4] == [
        "a.ts:1:5: error [no-explicit-any] Unexpected `any`",
        "a.ts:7:1: error [no-explicit-any] Unexpected `any`",
        "",
        "b.ts:2:2: error [no-explicit-any] Unexpected `any`",
    ]


def test_paths_are_relative_to_cwd(tmp_path: Path) -> None:
    app = tmp_path / "apps" / "web"
    findings = [any_at(app / "route.ts", 1, 1), any_at(tmp_path / "lib" / "x.ts", 1, 1)]
    lines = render("text", result_for(tmp_path, findings, cwd=app)).splitlines()
    assert lines[0].startswith("route.ts:1:1: ")
    assert lines[2].startswith("../../lib/x.ts:1:1: ")


def test_summary_counts_rules_severities_and_files(tmp_path: Path) -> None:
    findings = [
        any_at(tmp_path / "a.ts", 1, 1),
        any_at(tmp_path / "a.ts", 2, 1, severity=Severity.WARNING),
        any_at(tmp_path / "b.ts", 1, 1, rule_id="syntax-error", severity=Severity.NOTE),
    ]
    summary = render("text", result_for(tmp_path, findings)).split("\n\n")[-1]
    assert summary.splitlines() == [
        "Found 3 findings (1 error, 1 warning, 1 note) in 2 files; 3 files scanned.",
        "  no-explicit-any  2",
        "  syntax-error     1",
    ]


def test_clean_summary(tmp_path: Path) -> None:
    assert (
        render("text", result_for(tmp_path, [], files_scanned=1))
        == "No findings; 1 file scanned.\n"
    )


def test_notices_are_only_counted_never_listed(tmp_path: Path) -> None:
    notices = [
        Notice(
            (tmp_path / "secret-name.ts").as_posix(), "could not read file: denied", "unreadable"
        ),
        Notice((tmp_path / "b.ts").as_posix(), "skipped: binary file", "binary"),
    ]
    output = render("text", result_for(tmp_path, [], notices=notices))
    assert "2 notices about files not analysed or rules that failed (listed on stderr)." in output
    assert "secret-name" not in output
    assert "could not read" not in output


def test_suppressed_and_baseline_lines(tmp_path: Path) -> None:
    hidden = any_at(tmp_path / "a.ts", 3, 1, suppressed_by="generated code")
    quiet = render("text", result_for(tmp_path, [], suppressed=[hidden], baseline_absorbed=4))
    assert "a.ts:3:1" not in quiet
    assert "1 finding suppressed." in quiet
    assert "Baseline: 4 known findings absorbed, 0 entries stale." in quiet
    shown = render("text", result_for(tmp_path, [], suppressed=[hidden], show_suppressed=True))
    assert (
        "a.ts:3:1: error [no-explicit-any] Unexpected `any` (suppressed: generated code)" in shown
    )
    assert "1 finding suppressed (listed above)." in shown
    assert "Baseline" not in shown


def test_messages_stay_on_one_line_and_cannot_drive_the_terminal(tmp_path: Path) -> None:
    finding = any_at(tmp_path / "a.ts", 1, 1, message="two\nlines \x1b[31mred\u202e")
    output = render("text", result_for(tmp_path, [finding]))
    assert (
        output.splitlines()[0] == "a.ts:1:1: error [no-explicit-any] two lines \ufffd[31mred\ufffd"
    )


# --- terminal ----------------------------------------------------------------------
def frame(output: str) -> list[str]:
    return strip_ansi(output).splitlines()


def test_terminal_output_has_colours_and_a_code_frame(tmp_path: Path) -> None:
    source = tmp_path / "a.ts"
    source.write_text("one\ntwo\nconst x: any = 1;\nfour\nfive\nsix\n", encoding="utf-8")
    output = render("text", result_for(tmp_path, [any_at(source, 3, 10)]), terminal=True)
    assert "\x1b[1;31merror\x1b[0m" in output
    assert frame(output)[:7] == [
        "a.ts:3:10: error [no-explicit-any] Unexpected `any`",
        "  1 │ one",
        "  2 │ two",
        "> 3 │ const x: any = 1;",
        "    │          ^^^",
        "  4 │ four",
        "  5 │ five",
    ]


def test_frame_carets_line_up_after_wide_characters_and_tabs(tmp_path: Path) -> None:
    source = tmp_path / "a.ts"
    source.write_text("\tconst s = '日本🚀'; let x: any;\n", encoding="utf-8")
    column = "\tconst s = '日本🚀'; let x: ".__len__() + 1
    output = frame(render("text", result_for(tmp_path, [any_at(source, 1, column)]), terminal=True))
    code, carets = output[1], output[2]
    from rich.cells import cell_len

    # `any` starts at the same screen cell as the carets.
    assert cell_len(code[: code.index("any")]) == cell_len(carets[: carets.index("^")])
    assert "\t" not in code


def test_frame_of_a_multi_line_span_marks_its_first_line(tmp_path: Path) -> None:
    source = tmp_path / "a.ts"
    source.write_text("const a = {\n  b: 1,\n};\n", encoding="utf-8")
    finding = any_at(source, 1, 11, snippet="{\n  b: 1,\n}")
    finding = Finding(
        finding.rule_id,
        finding.severity,
        finding.message,
        finding.path,
        Location(1, 11, 3, 2),
        finding.snippet,
    )
    lines = frame(render("text", result_for(tmp_path, [finding]), terminal=True))
    assert lines[1:5] == ["> 1 │ const a = {", "    │           ^", "  2 │   b: 1,", "  3 │ };"]


def test_frames_never_show_a_redacted_secret(tmp_path: Path) -> None:
    secret = "tok_live_0123456789abcdefghij"
    source = tmp_path / "keys.ts"
    source.write_text(f'let a: any;\nconst key = "{secret}";\nlet b: any;\n', encoding="utf-8")
    leak = Finding(
        "no-hardcoded-secret",
        Severity.ERROR,
        "Hardcoded secret",
        source.as_posix(),
        Location(2, 13, 2, 15 + len(secret)),
        snippet='"tok_…"',
    )
    result = result_for(tmp_path, [any_at(source, 1, 8), leak, any_at(source, 3, 8)])
    output = render("text", result, terminal=True)
    assert secret not in output
    assert "0123" not in output
    lines = frame(output)
    # In its own frame and as context of the neighbours' frames, the span shows the snippet.
    assert lines.count('  2 │ const key = "tok_…";') == 2
    assert '> 2 │ const key = "tok_…";' in lines
    assert "    │             ^^^^^^^" in lines


def test_a_redacted_secret_spanning_lines_is_hidden_on_every_line(tmp_path: Path) -> None:
    source = tmp_path / "pem.ts"
    source.write_text(
        "const k = `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----`;\n",
        encoding="utf-8",
    )
    leak = Finding(
        "no-hardcoded-secret",
        Severity.ERROR,
        "Hardcoded private key",
        source.as_posix(),
        Location(1, 11, 3, 27),
        snippet="`----…`",
    )
    output = render("text", result_for(tmp_path, [leak]), terminal=True)
    assert "MIIE" not in output
    assert "BEGIN" not in output
    assert "> 1 │ const k = `----…`" in frame(output)


def test_a_snippet_quoting_more_than_the_span_is_not_a_redaction(tmp_path: Path) -> None:
    source = tmp_path / "a.ts"
    source.write_text("let total = sum(items, 0;\n", encoding="utf-8")
    note = any_at(
        source, 1, 25, width=0, rule_id="syntax-error", snippet="let total = sum(items, 0;"
    )
    lines = frame(render("text", result_for(tmp_path, [note]), terminal=True))
    assert lines[1] == "> 1 │ let total = sum(items, 0;"


def test_control_characters_in_source_are_neutralised(tmp_path: Path) -> None:
    source = tmp_path / "a.ts"
    source.write_text("// \x1b]0;pwned\x07\nlet x: any;\n", encoding="utf-8")
    output = render("text", result_for(tmp_path, [any_at(source, 2, 8)]), terminal=True)
    assert "\x1b]0;" not in output
    assert "\x07" not in output
    assert "  1 │ // \ufffd]0;pwned\ufffd" in frame(output)


def test_long_lines_are_shifted_so_the_span_stays_visible(tmp_path: Path) -> None:
    source = tmp_path / "a.ts"
    prefix = "const veryLongName = someCall(" + "argument, " * 30
    source.write_text(prefix + "x as any);\n", encoding="utf-8")
    column = len(prefix) + 6
    lines = frame(
        render("text", result_for(tmp_path, [any_at(source, 1, column)]), terminal=True, width=80)
    )
    code, carets = lines[1], lines[2]
    assert code.startswith("> 1 │ …")
    assert "any" in code
    assert len(code) <= 80
    assert code.index("any") == carets.index("^")


def test_missing_file_means_no_frame(tmp_path: Path) -> None:
    output = frame(
        render("text", result_for(tmp_path, [any_at(tmp_path / "gone.ts", 1, 1)]), terminal=True)
    )
    assert output[:2] == ["gone.ts:1:1: error [no-explicit-any] Unexpected `any`", ""]


def test_terminal_width_is_respected(tmp_path: Path) -> None:
    source = tmp_path / "a.ts"
    source.write_text("let x: any = " + "1 + " * 60 + "1;\n", encoding="utf-8")
    lines = frame(
        render("text", result_for(tmp_path, [any_at(source, 1, 8)]), terminal=True, width=60)
    )
    assert all(len(line) <= 60 for line in lines[1:3])
    assert lines[1].endswith("…")
