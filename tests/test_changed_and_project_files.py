"""--changed-since (git), and suppressions / positions in non-TypeScript project files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nextaudit.cli import app

runner = CliRunner()
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def invoke(cwd: Path, *args: str):  # type: ignore[no-untyped-def]
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return runner.invoke(app, [*args, "--no-cache"], catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    write(tmp_path / "lib" / "old.ts", "export let old: any;\n")
    write(tmp_path / "lib" / "same.ts", "export let same: any;\n")
    write(tmp_path / ".gitignore", "ignored/\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "base")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    return tmp_path


def paths_in(stdout: str) -> list[str]:
    return sorted({line.split(":")[0] for line in stdout.splitlines() if ": error [" in line})


def test_only_changed_committed_staged_and_untracked_files(repo: Path) -> None:
    write(repo / "lib" / "old.ts", "export let old: any;\nexport let more: any;\n")
    git(repo, "commit", "-qam", "edit old")
    write(repo / "lib" / "staged.ts", "export let s: any;\n")
    git(repo, "add", "lib/staged.ts")
    write(repo / "lib" / "untracked.ts", "export let u: any;\n")
    write(repo / "ignored" / "x.ts", "export let i: any;\n")
    result = invoke(repo, ".", "--changed-since", "main")
    assert result.exit_code == 1
    assert paths_in(result.stdout) == ["lib/old.ts", "lib/staged.ts", "lib/untracked.ts"]


def test_nothing_changed_is_clean(repo: Path) -> None:
    result = invoke(repo, ".", "--changed-since", "main")
    assert result.exit_code == 0
    assert paths_in(result.stdout) == []


def test_project_rules_run_when_their_input_changed(repo: Path) -> None:
    write(repo / "package.json", '{\n  "name": "x",\n  "packageManager": "yarn@4.0.0"\n}\n')
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "pkg")
    result = invoke(repo, ".", "--changed-since", "main")
    assert "package.json:3:3: error [pnpm-only]" in result.stdout


def test_unknown_ref_and_outside_git_are_clear_errors(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    bad = invoke(repo, ".", "--changed-since", "no-such-branch")
    assert bad.exit_code == 2
    assert bad.stderr.startswith(
        "nextaudit: error: --changed-since no-such-branch: cannot find a merge base"
    )
    outside = tmp_path_factory.mktemp("nogit")
    write(outside / "a.ts", "export let a = 1;\n")
    result = invoke(outside, ".", "--changed-since", "main")
    assert result.exit_code == 2
    assert result.stderr == "nextaudit: error: --changed-since works only inside a git repository\n"


def test_prisma_and_markdown_suppressions(tmp_path: Path) -> None:
    write(
        tmp_path / "prisma" / "schema.prisma",
        "model User {\n  id Int @id\n}\nmodel Post {\n  id Int @id\n}\n",
    )
    write(
        tmp_path / "lib" / "types.ts",
        "// nextaudit-ignore: prisma-generated-types -- legacy DTO\n"
        "export interface User { id: number }\n"
        "export interface Post { id: number }\n",
    )
    result = invoke(tmp_path, ".", "--select", "prisma-generated-types", "--fail-on", "note")
    lines = [line for line in result.stdout.splitlines() if "[prisma-generated-types]" in line]
    assert [line.split(": ")[0] for line in lines] == ["lib/types.ts:3:18"]
    shown = invoke(tmp_path, ".", "--select", "prisma-generated-types", "--show-suppressed")
    assert "lib/types.ts:2:18" in shown.stdout
