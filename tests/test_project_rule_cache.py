"""Project rules answered from the cache: the same findings as a fresh run, and a
fresh run again as soon as anything they read changes (a source file, a manifest,
a lockfile, the Prisma schema, the structure document), or the entry is corrupt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nextaudit import runner
from nextaudit.config import load_config
from nextaudit.registry import default_registry
from nextaudit.results import RunResult
from nextaudit.runner import RunOptions, run

PROJECT_RULES = ("pnpm-only", "prisma-generated-types", "structure-doc")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_tree(root: Path) -> None:
    write(root / "package.json", '{\n  "name": "app",\n  "packageManager": "pnpm@9.1.0"\n}\n')
    write(root / "prisma" / "schema.prisma", "model Invoice {\n  id String @id\n}\n")
    write(root / "readme" / "structure.md", "# Structure\n\n- `formatTotal()`\n")
    write(
        root / "lib" / "money.ts",
        "export function formatTotal(cents: number) {\n  return (cents / 100).toFixed(2);\n}\n",
    )
    write(root / "types" / "invoice.ts", "export interface InvoiceRow {\n  id: string;\n}\n")


def analyse(root: Path, cache: Path) -> RunResult:
    config = load_config(None, default_registry(), root)
    return run(config, [root], RunOptions(cwd=root, repo_root=root, cache_dir=cache))


def project_findings(result: RunResult) -> list[tuple[str, str, int, str]]:
    return [
        (f.rule_id, Path(f.path).name, f.location.line, f.message)
        for f in result.findings
        if f.rule_id in PROJECT_RULES
    ]


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The project rules that actually ran (were not answered from the cache)."""
    ran: list[str] = []
    original = runner.run_project_rule

    def counting(project, setting, registry=None):  # type: ignore[no-untyped-def]
        ran.append(setting.rule_id)
        return original(project, setting, registry)

    monkeypatch.setattr(runner, "run_project_rule", counting)
    return ran


def touch_later(path: Path, text: str) -> None:
    """Rewrite a file so its modification time moves on even on coarse clocks."""
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def test_a_warm_run_answers_project_rules_from_the_cache(
    tmp_path: Path, counted: list[str]
) -> None:
    root, cache = tmp_path / "app", tmp_path / "cache"
    make_tree(root)
    write(root / "lib" / "dates.ts", "export function formatDay(d: Date) {\n  return d;\n}\n")
    cold = analyse(root, cache)
    assert sorted(counted) == sorted(PROJECT_RULES)
    assert project_findings(cold) == [
        (
            "structure-doc",
            "dates.ts",
            1,
            cold.findings[0].message,
        )
    ]
    counted.clear()
    warm = analyse(root, cache)
    assert counted == []
    assert warm.findings == cold.findings


def test_documenting_the_function_reruns_structure_doc(tmp_path: Path, counted: list[str]) -> None:
    root, cache = tmp_path / "app", tmp_path / "cache"
    make_tree(root)
    write(root / "lib" / "dates.ts", "export function formatDay(d: Date) {\n  return d;\n}\n")
    assert [f[0] for f in project_findings(analyse(root, cache))] == ["structure-doc"]
    counted.clear()
    write(root / "readme" / "structure.md", "# Structure\n\n- `formatTotal()`\n- `formatDay()`\n")
    assert project_findings(analyse(root, cache)) == []
    assert counted == ["structure-doc"]


def test_a_new_exported_function_is_seen(tmp_path: Path, counted: list[str]) -> None:
    root, cache = tmp_path / "app", tmp_path / "cache"
    make_tree(root)
    assert project_findings(analyse(root, cache)) == []
    counted.clear()
    money = root / "lib" / "money.ts"
    touch_later(money, money.read_text() + "export function roundUp(n: number) {\n  return n;\n}\n")
    assert [(f[0], f[1], f[2]) for f in project_findings(analyse(root, cache))] == [
        ("structure-doc", "money.ts", 4)
    ]
    assert sorted(counted) == sorted(PROJECT_RULES)


def test_a_model_twin_and_a_new_schema_model_are_seen(tmp_path: Path) -> None:
    root, cache = tmp_path / "app", tmp_path / "cache"
    make_tree(root)
    write(root / "types" / "user.ts", "export interface User {\n  id: string;\n}\n")
    assert project_findings(analyse(root, cache)) == []
    schema = root / "prisma" / "schema.prisma"
    write(schema, schema.read_text() + "\nmodel User {\n  id String @id\n}\n")
    assert [(f[0], f[1], f[2]) for f in project_findings(analyse(root, cache))] == [
        ("prisma-generated-types", "user.ts", 1)
    ]


def test_a_new_lockfile_and_an_edited_manifest_are_seen(tmp_path: Path) -> None:
    root, cache = tmp_path / "app", tmp_path / "cache"
    make_tree(root)
    assert project_findings(analyse(root, cache)) == []
    write(root / "yarn.lock", "# yarn lockfile v1\n")
    assert [(f[0], f[1]) for f in project_findings(analyse(root, cache))] == [
        ("pnpm-only", "yarn.lock")
    ]
    (root / "yarn.lock").unlink()
    write(root / "package.json", '{\n  "name": "app",\n  "packageManager": "npm@10.0.0"\n}\n')
    assert [(f[0], f[1], f[2]) for f in project_findings(analyse(root, cache))] == [
        ("pnpm-only", "package.json", 3)
    ]


def test_a_corrupt_project_entry_is_ignored_and_rebuilt(tmp_path: Path, counted: list[str]) -> None:
    root, cache = tmp_path / "app", tmp_path / "cache"
    make_tree(root)
    write(root / "lib" / "dates.ts", "export function formatDay(d: Date) {\n  return d;\n}\n")
    cold = analyse(root, cache)
    entries = sorted(cache.glob("v*/project/*/*.json"))
    assert len(entries) == len(PROJECT_RULES)
    for index, entry in enumerate(entries):
        entry.write_text(["", "{", '{"key": 1}'][index % 3], encoding="utf-8")
    counted.clear()
    again = analyse(root, cache)
    assert again.findings == cold.findings
    assert sorted(counted) == sorted(PROJECT_RULES)
    counted.clear()
    assert analyse(root, cache).findings == cold.findings
    assert counted == []
