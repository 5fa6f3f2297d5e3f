"""Robustness: bad files, faults and hostile input never crash, hang or lie.

The committed corpus under tests/fixtures/nasty/ goes through the whole pipeline in
every format with exact expected notices and finding positions; the rest (deep
nesting, big bundles, unreadable paths, symlinks, crashing rules, dying workers,
Ctrl-C, a closed stdout) is generated here at test time, in temporary directories.

Hang guards are wall-clock bounds far above the normal run time: they catch a run that
never ends (or goes quadratic), they are not performance assertions.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from typer.testing import CliRunner

from nextaudit.cli import app
from nextaudit.config import load_config
from nextaudit.registry import default_registry
from nextaudit.report import FORMATS, render
from nextaudit.results import RunResult
from nextaudit.runner import RunOptions, run

NASTY = FIXTURES / "nasty"
SAMPLE_APP = FIXTURES / "sample-app"
HANG_GUARD = 60.0  # seconds; every case here normally takes well under a few


# --- helpers -----------------------------------------------------------------------
def cli(*args: str, cwd: Path):  # type: ignore[no-untyped-def]
    """nextaudit in-process (Typer's CliRunner), with stdout and stderr apart."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(app, [*args, "--no-cache"], catch_exceptions=False)
    finally:
        os.chdir(old)


def analyse(root: Path, max_file_size: int | None = None, jobs: int = 1) -> RunResult:
    """The whole pipeline in-process, as the CLI runs it, with the default config."""
    config = load_config(None, default_registry(), root)
    if max_file_size is not None:
        config.max_file_size = max_file_size
    return run(config, [root], RunOptions(jobs=jobs, cwd=root, repo_root=root))


def plain(text: str) -> str:
    """Terminal output without its colour codes."""
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def stderr_notices(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line and not line.startswith("nextaudit:")]


# --- regressions -------------------------------------------------------------------
def test_utf16_text_is_not_said_to_hold_nul_bytes(tmp_path: Path) -> None:
    """UTF-16 is full of NUL bytes by design: only a NUL in the decoded text counts."""
    source = "\ufeffexport let x: any;\n"
    (tmp_path / "le.ts").write_bytes(source.encode("utf-16-le"))
    (tmp_path / "be.ts").write_bytes(source.encode("utf-16-be"))
    (tmp_path / "nul.ts").write_bytes("\ufeffconst s = 'a\0b';\n".encode("utf-16-le"))
    result = analyse(tmp_path)
    assert [(Path(n.path).name, n.kind, n.message) for n in result.notices] == [
        ("nul.ts", "encoding", "contains NUL bytes")
    ]
    anys = [f for f in result.findings if f.rule_id == "no-explicit-any"]
    assert [(Path(f.path).name, f.location.line, f.location.column) for f in anys] == [
        ("be.ts", 1, 15),
        ("le.ts", 1, 15),
    ]


def _bytes_name(directory: Path, name: bytes) -> bytes:
    return os.fsencode(directory) + b"/" + name


def test_names_that_are_not_utf8_are_skipped_with_a_notice(tmp_path: Path) -> None:
    """Such a name cannot be matched against globs nor written into a UTF-8 report: it
    used to crash a rule (path globs) and every report writer."""
    tree, out = tmp_path / "tree", tmp_path / "out"
    tree.mkdir()
    try:
        with open(_bytes_name(tree, b"bad\xffname.ts"), "wb") as handle:
            handle.write(b"export let x: any;\n")
    except OSError:
        pytest.skip("this file system only takes UTF-8 names")
    os.mkdir(_bytes_name(tree, b"dir\xfe"))
    with open(_bytes_name(tree, b"dir\xfe/inside.ts"), "wb") as handle:
        handle.write(b"export let y: any;\n")
    (tree / "good.ts").write_text("export let z: any;\n", encoding="utf-8")
    expected = [
        "bad\\xffname.ts: unreadable: skipped: the file name is not valid UTF-8",
        "dir\\xfe: unreadable: skipped: the directory name is not valid UTF-8",
    ]
    for fmt in FORMATS:
        target = out / f"report.{fmt}"
        result = cli(".", "-f", fmt, "-o", str(target), cwd=tree)
        assert result.exit_code == 1, result.stderr
        assert stderr_notices(result.stderr) == expected
        target.read_bytes().decode("utf-8")  # strict: the report is valid UTF-8
    document = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [f["path"] for f in document["findings"]] == ["good.ts"]
    assert [n["path"] for n in document["notices"]] == ["bad\\xffname.ts", "dir\\xfe"]
    explicit = cli(os.fsdecode(_bytes_name(tree, b"bad\xffname.ts")), "-f", "json", cwd=tree)
    assert explicit.exit_code == 0
    assert stderr_notices(explicit.stderr) == [expected[0]]


def test_terminal_frames_of_a_minified_line_do_not_go_quadratic(tmp_path: Path) -> None:
    """Code frames on a terminal used to hand the whole line to Rich for each finding on
    it: a 300 KB bundle line with a thousand findings took minutes."""
    chunks = [f"/*{'x' * 280}*/ let a{i}: any;" for i in range(1000)]
    (tmp_path / "bundle.ts").write_text("".join(chunks) + "\n", encoding="utf-8")
    result = analyse(tmp_path)
    assert len(result.findings) == 1000
    started = time.monotonic()
    output = plain(render("text", result, terminal=True, width=100))
    assert time.monotonic() - started < HANG_GUARD
    last = result.findings[-1]
    header = f"bundle.ts:1:{last.location.column}: error [no-explicit-any]"
    frame = output.split(header, 1)[1].splitlines()
    assert frame[1].startswith("> 1 │ …") and frame[1].endswith("let a999: any;")
    assert frame[2].endswith("^^^")
    assert all(len(line) <= 100 for line in output.splitlines() if "│" in line)


def test_a_syntax_error_quoting_its_first_line_is_not_a_redaction(tmp_path: Path) -> None:
    """A syntax error's snippet is (a cut of) the line it starts on; when its span ran
    over several lines, frames used to show that snippet in place of the real code, as
    if it were a redacted secret."""
    (tmp_path / "a.ts").write_text(
        "class A {\n  m() {\n    let q: any = 1;\n  } } }\n  n(): any { return 1 }\n}\n",
        encoding="utf-8",
    )
    result = analyse(tmp_path)
    error = next(f for f in result.findings if f.rule_id == "syntax-error")
    assert error.location.line < error.location.end_line  # the case in point
    lines = plain(render("text", result, terminal=True)).splitlines()
    assert "  4 │   } } }" in lines
    assert "  5 │   n(): any { return 1 }" in lines


# --- secrets -----------------------------------------------------------------------
def fake_key() -> str:
    """An OpenAI-format key made up here (never a real one; built at run time so that
    the repository holds no key-shaped string)."""
    return "sk-" + "proj-" + "Q7xK2mP9vL4nR8tW1yZ5bC3dF6gH0jA"


def assert_not_shown(key: str, text: str) -> None:
    """Redaction shows at most the first 4 characters: no 8 of the rest may appear."""
    shown = [key[i : i + 8] for i in range(4, len(key) - 7) if key[i : i + 8] in text]
    assert not shown, f"the key shows: {shown[0]!r}"


def test_a_key_on_a_line_with_a_syntax_error_is_redacted(tmp_path: Path) -> None:
    """A syntax error quotes its line as the snippet: that used to carry the key whole
    into the JSON report, the cache and the fingerprints."""
    key = fake_key()
    (tmp_path / "a.ts").write_text(f'const k = "{key}"; const broken = (;\n', encoding="utf-8")
    for fmt in FORMATS:
        result = cli(".", "-f", fmt, "--select", "syntax-error", "--fail-on", "note", cwd=tmp_path)
        assert result.exit_code == 1, result.stderr
        assert "syntax-error" in result.stdout or "did not parse" in result.stdout
        assert_not_shown(key, result.stdout + result.stderr)
    document = json.loads(cli(".", "-f", "json", "--select", "syntax-error", cwd=tmp_path).stdout)
    assert document["findings"][0]["snippet"] == 'const k = "sk-p…"; const broken = (;'
    assert_not_shown(key, plain(render("text", analyse(tmp_path), terminal=True)))


# --- safety ------------------------------------------------------------------------
def nextaudit_process(*args: str, cwd: Path, **kwargs):  # type: ignore[no-untyped-def]
    """`python -m nextaudit` in a subprocess, as a CI job or a user runs it."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CI", None)
    return subprocess.run(
        [sys.executable, "-m", "nextaudit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=HANG_GUARD,
        **kwargs,
    )


def test_python_dash_m_never_imports_modules_of_the_analysed_tree(tmp_path: Path) -> None:
    """`python -m` puts the current directory first on sys.path: a `typer.py` in the
    analysed repository used to be imported (and run) in place of the real package."""
    tree, marker = tmp_path / "repo", tmp_path / "marker"
    tree.mkdir()
    payload = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    for module in ("typer", "yaml", "rich", "pathspec", "re2", "tree_sitter", "json", "hashlib"):
        (tree / f"{module}.py").write_text(payload, encoding="utf-8")
    (tree / "a.ts").write_text("export let x: any;\n", encoding="utf-8")
    for jobs in ("1", "2"):
        done = nextaudit_process(".", "--no-cache", "-f", "sarif", "--jobs", jobs, cwd=tree)
        assert done.returncode == 1, done.stderr
        assert not marker.exists(), marker.read_text()
