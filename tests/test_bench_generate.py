"""bench/generate.py: the same arguments always give the same tree, byte for byte."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

GENERATOR = Path(__file__).resolve().parent.parent / "bench" / "generate.py"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_same_files_count_gives_a_byte_identical_tree(tmp_path: Path) -> None:
    generate = load_generator()
    first, second = tmp_path / "one", tmp_path / "two"
    assert generate.generate(50, first) == 50
    assert generate.generate(50, second) == 50
    files = tree(first)
    assert len(files) == 50
    assert files == tree(second)
    names = set(files)
    assert "package.json" in names and "readme/structure.md" in names
    assert "prisma/schema.prisma" in names
    assert any(n.endswith("/route.ts") for n in names)


def test_another_seed_gives_another_tree(tmp_path: Path) -> None:
    generate = load_generator()
    generate.generate(50, tmp_path / "a")
    generate.generate(50, tmp_path / "b", seed="another")
    assert tree(tmp_path / "a") != tree(tmp_path / "b")


def test_refuses_to_empty_a_directory_it_did_not_write(tmp_path: Path) -> None:
    generate = load_generator()
    keep = tmp_path / "mine" / "notes.txt"
    keep.parent.mkdir()
    keep.write_text("precious", encoding="utf-8")
    with pytest.raises(SystemExit):
        generate.generate(50, keep.parent)
    assert keep.read_text(encoding="utf-8") == "precious"
