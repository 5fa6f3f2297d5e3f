"""The command line, through Typer's CliRunner and through real subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT
from typer.testing import CliRunner

from nextaudit import __version__
from nextaudit.cli import app

APP = FIXTURES / "sample-app"
runner = CliRunner()


def invoke(*args: str, cwd: Path | None = None):  # type: ignore[no-untyped-def]
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        return runner.invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"nextaudit {__version__}\n"


def test_findings_exit_1_and_plain_lines(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "a.ts", "export let a: any;\n")
    result = invoke("lib", cwd=tmp_path)
    assert result.exit_code == 1
    first = result.stdout.splitlines()[0]
    assert first == (
        "lib/a.ts:1:15: error [no-explicit-any] Unexpected `any`: use `unknown` and narrow it"
        " with a type guard or schema"
    )
    assert "\x1b[" not in result.stdout  # plain when piped


def test_no_path_means_current_directory(tmp_path: Path) -> None:
    write(tmp_path / "a.ts", "export let a: any;\n")
    result = invoke(cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stdout.startswith("a.ts:1:15: error [no-explicit-any]")


def test_clean_exit_0(tmp_path: Path) -> None:
    write(tmp_path / "a.ts", "export const a: unknown = 1;\n")
    result = invoke(str(tmp_path))
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("fail_on", "code"), [("error", 0), ("warning", 1), ("note", 1), ("never", 0)]
)
def test_fail_on(tmp_path: Path, fail_on: str, code: int) -> None:
    write(tmp_path / "a.ts", "try { f(); } catch {}\n")  # no-empty-catch is a warning
    result = invoke(str(tmp_path), "--fail-on", fail_on)
    assert result.exit_code == code


def test_missing_path_is_exit_2_one_line(tmp_path: Path) -> None:
    result = invoke(str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert result.stderr == f"nextaudit: error: path does not exist: {tmp_path / 'nope'}\n"


def test_bad_config_is_exit_2_naming_file_and_key(tmp_path: Path) -> None:
    write(tmp_path / ".nextaudit.yml", "rules:\n  no-explicit-anyy: off\n")
    write(tmp_path / "a.ts", "let a = 1;\n")
    result = invoke(".", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"nextaudit: error: {tmp_path / '.nextaudit.yml'}:2: rules.no-explicit-anyy: unknown rule id"
    )
    assert "Traceback" not in result.stderr


def test_config_options_apply(tmp_path: Path) -> None:
    write(tmp_path / ".nextaudit.yml", "rules:\n  no-explicit-any:\n    severity: note\n")
    write(tmp_path / "a.ts", "export let a: any;\n")
    result = invoke(".", cwd=tmp_path)
    assert result.exit_code == 0
    assert "a.ts:1:15: note [no-explicit-any]" in result.stdout


def test_explicit_config_and_no_config(tmp_path: Path) -> None:
    write(tmp_path / "custom.yml", "rules:\n  no-explicit-any: off\n")
    write(tmp_path / ".nextaudit.yml", "rules:\n  no-explicit-any: error\n")
    write(tmp_path / "a.ts", "export let a: any;\n")
    assert invoke(".", "--config", "custom.yml", cwd=tmp_path).exit_code == 0
    assert invoke(".", "--no-config", cwd=tmp_path).exit_code == 1
    missing = invoke(".", "--config", "nope.yml", cwd=tmp_path)
    assert missing.exit_code == 2
    assert "config file not found: nope.yml" in missing.stderr


def test_select_ignore_severity_flags(tmp_path: Path) -> None:
    write(tmp_path / "a.ts", "export let a: any;\ntry { f(); } catch {}\n")
    only_catch = invoke(".", "--select", "no-empty-catch", "--fail-on", "warning", cwd=tmp_path)
    assert "[no-explicit-any]" not in only_catch.stdout
    assert "[no-empty-catch]" in only_catch.stdout
    ignored = invoke(".", "--ignore", "no-explicit-any,no-empty-catch", cwd=tmp_path)
    assert ignored.exit_code == 0
    lowered = invoke(".", "--severity", "no-explicit-any=warning", cwd=tmp_path)
    assert lowered.exit_code == 0
    assert "a.ts:1:15: warning [no-explicit-any]" in lowered.stdout
    bad = invoke(".", "--severity", "no-explicit-any", cwd=tmp_path)
    assert bad.exit_code == 2
    unknown = invoke(".", "--select", "nope", cwd=tmp_path)
    assert unknown.exit_code == 2
    assert "--select: unknown rule id 'nope'" in unknown.stderr


def test_json_output_to_file(tmp_path: Path) -> None:
    write(tmp_path / "a.ts", "export let a: any;\n")
    out = tmp_path / "report.json"
    result = invoke(".", "-f", "json", "-o", str(out), cwd=tmp_path)
    assert result.exit_code == 1
    assert result.stdout == ""
    data = json.loads(out.read_text())
    finding = data["findings"][0]
    assert (finding["rule_id"], finding["path"], finding["start"], finding["end"]) == (
        "no-explicit-any",
        "a.ts",
        {"line": 1, "column": 15},
        {"line": 1, "column": 18},
    )


def test_several_formats_in_one_run(tmp_path: Path) -> None:
    write(tmp_path / "a.ts", "export let a: any;\n")
    result = invoke(
        ".",
        "--sarif-output",
        "out.sarif",
        "--checklist-output",
        "checklist.md",
        "--json-output",
        "out.json",
        cwd=tmp_path,
    )
    assert result.exit_code == 1
    assert result.stdout.startswith("a.ts:1:15: error [no-explicit-any]")
    sarif = json.loads((tmp_path / "out.sarif").read_text())
    assert sarif["runs"][0]["results"][0]["ruleId"] == "no-explicit-any"
    assert "no-explicit-any" in (tmp_path / "checklist.md").read_text()
    assert (
        json.loads((tmp_path / "out.json").read_text())["findings"][0]["rule_id"]
        == "no-explicit-any"
    )


def test_syntax_error_note_and_rules_still_run(tmp_path: Path) -> None:
    write(tmp_path / "a.ts", "export let a: any;\nfunction broken( {\n")
    result = invoke(".", "--fail-on", "note", cwd=tmp_path)
    assert result.exit_code == 1
    assert "a.ts:1:15: error [no-explicit-any]" in result.stdout
    assert "note [syntax-error] File did not parse cleanly" in result.stdout


def test_rules_command_lists_every_rule() -> None:
    result = invoke("rules")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["RULE", "SEVERITY", "ENABLED", "CHECKLIST"]
    listed = {line.split()[0] for line in lines[1:]}
    from nextaudit.registry import default_registry

    assert listed == {r.id for r in default_registry() if r.kind != "tool"}


def test_explain() -> None:
    result = invoke("explain", "no-explicit-any")
    assert result.exit_code == 0
    assert result.stdout.startswith("# no-explicit-any: Never use `any`\n")
    assert "## Use instead" in result.stdout
    missing = invoke("explain", "no-explicit-an")
    assert missing.exit_code == 2
    assert "did you mean 'no-explicit-any'?" in missing.stderr


def test_init_and_config_schema(tmp_path: Path) -> None:
    result = invoke("init", cwd=tmp_path)
    assert result.exit_code == 0
    assert (tmp_path / ".nextaudit.yml").is_file()
    again = invoke("init", cwd=tmp_path)
    assert again.exit_code == 2
    # the starter config is itself valid and changes nothing
    write(tmp_path / "a.ts", "export let a: any;\n")
    assert invoke(".", cwd=tmp_path).exit_code == 1
    schema = json.loads(invoke("config-schema").stdout)
    assert "no-explicit-any" in schema["properties"]["rules"]["properties"]


def test_starter_config_validates_against_the_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    invoke("init", cwd=tmp_path)
    schema = json.loads(invoke("config-schema").stdout)
    jsonschema.validate(yaml.safe_load((tmp_path / ".nextaudit.yml").read_text()), schema)


def _console_script() -> str | None:
    found = shutil.which("nextaudit")
    if found is None and os.environ.get("CI"):
        pytest.fail("the nextaudit console script is not installed (pip install .)")
    return found


def test_installed_console_script_runs_the_sample_app() -> None:
    script = _console_script()
    if script is None:
        pytest.skip("nextaudit is not installed in this environment")
    done = subprocess.run([script, str(APP)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 1, done.stderr
    assert "[no-explicit-any]" in done.stdout
    assert "files scanned" in done.stdout
    version = subprocess.run([script, "--version"], capture_output=True, text=True, check=False)
    assert version.stdout == f"nextaudit {__version__}\n"


def test_python_dash_m(tmp_path: Path) -> None:
    write(tmp_path / "a.ts", "export let a: any;\n")
    done = subprocess.run(
        [sys.executable, "-m", "nextaudit", "a.ts"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout.startswith("a.ts:1:15: error [no-explicit-any]")


def test_closed_stdout_ends_quietly(tmp_path: Path) -> None:
    for i in range(200):
        write(tmp_path / f"f{i:03}.ts", "export let a: any;\n" * 20)
    done = subprocess.run(
        f"{sys.executable} -m nextaudit . | head -1",
        shell=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert done.stdout.startswith("f000.ts:1:15")
    assert "Traceback" not in done.stderr
    assert "BrokenPipe" not in done.stderr


def test_the_program_ends_with_all_its_output_and_exit_code(tmp_path: Path) -> None:
    """Without worker processes, the program exits without tearing the interpreter
    down (see __main__): what it printed must all be out first, on stdout and
    stderr, with the CLI's exit code."""
    for i in range(150):
        write(tmp_path / f"f{i:03}.ts", "export let a: any;\n" * 20)
    write(tmp_path / "bad.ts", "export let b: any;\n" + "\x00" * 10)
    expected = invoke(".", "-f", "json", "--no-cache", cwd=tmp_path)
    assert len(expected.stdout) > 256 * 1024  # more than any pipe buffer holds
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CI", None)

    def program(*args: str, command: tuple[str, ...] = (sys.executable, "-m", "nextaudit")):
        return subprocess.run(
            [*command, *args], capture_output=True, text=True, cwd=tmp_path, env=env, check=False
        )

    for command in ((sys.executable, "-m", "nextaudit"), (sys.executable, "-c", _ENTRY_POINT)):
        for jobs in ("1", "2"):  # without worker processes, and with (a normal exit)
            done = program(".", "-f", "json", "--no-cache", "--jobs", jobs, command=command)
            assert done.returncode == expected.exit_code == 1
            assert done.stdout == expected.stdout
            assert done.stderr == expected.stderr != ""
    clean = program("--select", "no-empty-catch", ".")
    assert (clean.returncode, clean.stderr) == (0, expected.stderr)
    broken = program(".", "--select", "no-such-rule")
    assert broken.returncode == 2
    assert "no-such-rule" in broken.stderr


# How the installed `nextaudit` script starts: nextaudit.__main__.main().
_ENTRY_POINT = "import sys; sys.argv[0] = 'nextaudit'; from nextaudit.__main__ import main; main()"
