"""The reporters' entry point: formats, dispatch, and a cheap import."""

from __future__ import annotations

import subprocess
import sys

import pytest
from test_report_app import clean_result

from nextaudit.report import FORMATS, render


def test_formats() -> None:
    assert FORMATS == ("text", "json", "sarif", "github", "checklist")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders_text_ending_in_a_newline(fmt: str) -> None:
    output = render(fmt, clean_result())
    assert output == "" or output.endswith("\n")


def test_unknown_format_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'; expected one of text, json"):
        render("xml", clean_result())


def test_machine_formats_ignore_terminal() -> None:
    for fmt in ("json", "sarif", "github"):
        assert render(fmt, clean_result(), terminal=True) == render(fmt, clean_result())


def test_importing_the_package_stays_light() -> None:
    code = (
        "import sys, nextaudit.report;"
        "heavy = [m for m in ('rich', 'json', 'hashlib', 'nextaudit.report.sarif',"
        " 'nextaudit.report.text', 'nextaudit.registry') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
