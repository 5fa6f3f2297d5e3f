"""write_atomic: readers see the old report or the whole new one, never a part."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from nextaudit.report.atomic import write_atomic


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_writes_utf8_bytes_exactly(tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    write_atomic(target, "a\nb\r\nnaïve ✓\n")
    assert target.read_bytes() == "a\nb\r\nnaïve ✓\n".encode()
    assert leftovers(tmp_path) == []


def test_replaces_an_existing_report_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_new_file_gets_umask_permissions_not_private_ones(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "r.txt", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.txt").stat().st_mode) == 0o644


def test_creates_missing_parent_directories(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "ci" / "nextaudit.sarif"
    write_atomic(str(target), "{}")
    assert target.read_text(encoding="utf-8") == "{}"


def test_interrupted_write_leaves_the_old_report_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.md"
    target.write_text("previous complete report", encoding="utf-8")

    def interrupted(src: str, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "half")
    assert target.read_text(encoding="utf-8") == "previous complete report"
    assert leftovers(tmp_path) == []


def test_failed_encoding_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "lone surrogate \ud800")
    assert not target.exists()
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_a_symlinked_report_keeps_its_link(tmp_path: Path) -> None:
    real = tmp_path / "real.sarif"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.sarif"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "new"


def test_temp_file_is_created_beside_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    original = os.replace

    def spy(src: str, dst: str) -> None:
        seen.append(src)
        original(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_atomic(tmp_path / "r.json", "{}")
    (temp,) = seen
    assert Path(temp).parent == tmp_path
    assert Path(temp).name.startswith(".r.json.")
