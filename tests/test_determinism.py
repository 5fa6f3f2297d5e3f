"""Same input, byte-identical output: across --jobs, PYTHONHASHSEED and listing order."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

APP = FIXTURES / "sample-app"
FORMATS = ("text", "json", "sarif", "github", "checklist")


def nextaudit(*args: str, seed: str = "0", cwd: Path = ROOT) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    env.pop("CI", None)
    done = subprocess.run(
        [sys.executable, "-m", "nextaudit", *args, "--no-cache"],
        capture_output=True,
        cwd=cwd,
        env=env,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr.decode()
    return done.stdout


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough files that --jobs really uses a process pool."""
    root = tmp_path_factory.mktemp("many")
    sources = sorted(p for p in APP.rglob("*") if p.is_file())
    for copy in range(4):
        for path in sources:
            target = root / f"copy{copy}" / path.relative_to(APP)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    return root


@pytest.mark.parametrize("fmt", FORMATS)
def test_jobs_do_not_change_a_byte(big_tree: Path, fmt: str) -> None:
    one = nextaudit(".", "-f", fmt, "--jobs", "1", cwd=big_tree)
    two = nextaudit(".", "-f", fmt, "--jobs", "2", cwd=big_tree)
    assert one == two
    assert one  # there is output to compare


@pytest.mark.parametrize("fmt", ("text", "sarif"))
def test_hash_seed_does_not_change_a_byte(big_tree: Path, fmt: str) -> None:
    assert nextaudit(".", "-f", fmt, seed="1", cwd=big_tree) == nextaudit(
        ".", "-f", fmt, seed="12345", cwd=big_tree
    )


def test_directory_listing_order_does_not_matter(tmp_path: Path) -> None:
    """The same tree created in two different orders gives the same report."""
    sources = sorted((p for p in APP.rglob("*") if p.is_file()), key=lambda p: p.as_posix())
    first, second = tmp_path / "a" / "app", tmp_path / "b" / "app"
    for root, order in ((first, sources), (second, list(reversed(sources)))):
        for path in order:
            target = root / path.relative_to(APP)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    assert nextaudit("app", "-f", "json", cwd=first.parent) == nextaudit(
        "app", "-f", "json", cwd=second.parent
    )


def test_jobs_keep_each_files_own_settings(big_tree: Path, tmp_path: Path) -> None:
    """Workers get each kind of settings once and tasks name it by number: with
    overrides giving three kinds of files, every file still gets its own."""
    root = tmp_path / "tree"
    for path in sorted(p for p in big_tree.rglob("*") if p.is_file()):
        target = root / path.relative_to(big_tree)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    (root / ".nextaudit.yml").write_text(
        "overrides:\n"
        "  - files: ['copy1/**']\n"
        "    rules:\n"
        "      no-explicit-any: off\n"
        "  - files: ['copy2/**']\n"
        "    rules:\n"
        "      no-explicit-any: warning\n"
    )
    one = nextaudit(".", "-f", "json", "--jobs", "1", cwd=root)
    two = nextaudit(".", "-f", "json", "--jobs", "2", cwd=root)
    assert one == two
    import json

    severities: dict[str, set[str]] = {}
    for finding in json.loads(two)["findings"]:
        if finding["rule_id"] == "no-explicit-any":
            copy = finding["path"].split("/")[0]
            severities.setdefault(copy, set()).add(finding["severity"])
    assert severities == {"copy0": {"error"}, "copy2": {"warning"}, "copy3": {"error"}}
