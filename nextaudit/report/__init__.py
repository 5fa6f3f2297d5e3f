"""Reporters: a RunResult in, the text of one output format out. Reporters never
analyse and never write files (see `atomic.write_atomic` for that).

    from nextaudit.report import FORMATS, render
    text = render("sarif", result)

Each format's module is imported only when it is rendered, so importing this package
stays cheap (no Rich, json or hashlib until needed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nextaudit.results import RunResult

FORMATS = ("text", "json", "sarif", "github", "checklist")


def render(fmt: str, result: RunResult, terminal: bool = False, width: int = 100) -> str:
    """The report of `result` in format `fmt` (one of FORMATS), ending in a newline
    unless it is empty. `terminal` asks for colour and code frames where the format
    has them (text, checklist); machine formats ignore it."""
    if fmt == "text":
        from nextaudit.report.text import render_text

        return render_text(result, terminal=terminal, width=width)
    if fmt == "json":
        from nextaudit.report.json_report import render_json

        return render_json(result)
    if fmt == "sarif":
        from nextaudit.report.sarif import render_sarif

        return render_sarif(result)
    if fmt == "github":
        from nextaudit.report.github import render_github

        return render_github(result)
    if fmt == "checklist":
        from nextaudit.report.checklist import render_checklist

        return render_checklist(result, terminal=terminal, width=width)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
