"""The result cache: hits give the same findings, any relevant change invalidates,
a corrupt cache is ignored and rebuilt, and the directory ignores itself."""

from __future__ import annotations

import json
import os
from pathlib import Path

from nextaudit.config import CliRules, load_config
from nextaudit.registry import default_registry
from nextaudit.runner import RunOptions, run


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def analyse(root: Path, cache: Path, cli: CliRules | None = None):  # type: ignore[no-untyped-def]
    config_path = root / ".nextaudit.yml"
    config = load_config(
        config_path if config_path.exists() else None, default_registry(), root, cli
    )
    return run(config, [root], RunOptions(cwd=root, repo_root=root, cache_dir=cache))


def summary(result) -> list[tuple[str, int, int, str, str]]:  # type: ignore[no-untyped-def]
    return [
        (Path(f.path).name, f.location.line, f.location.column, f.rule_id, f.message)
        for f in result.findings
    ]


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("v*/*/*.json"))


def test_warm_run_gives_identical_findings_without_parsing(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "proj"
    write(
        root / "lib" / "a.ts",
        "export let a: any;\n// nextaudit-ignore: no-explicit-any\nlet b: any;\n",
    )
    write(
        root / "app" / "api" / "x" / "route.ts",
        "export async function GET(r: Request, { params }) { return params.id }\n",
    )
    cache = tmp_path / "cache"
    cold = analyse(root, cache)
    assert len(entries(cache)) == 2
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (cache / "CACHEDIR.TAG").is_file()

    import nextaudit.source as source_module

    def no_parse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a warm run must not parse")

    monkeypatch.setattr(source_module.SourceFile, "from_bytes", no_parse)
    warm = analyse(root, cache)
    assert summary(warm) == summary(cold)
    assert [f.location.line for f in warm.suppressed] == [3]


def test_edit_invalidates_only_that_file(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    a = write(root / "a.ts", "export let a: any;\n")
    write(root / "b.ts", "export let b: any;\n")
    cache = tmp_path / "cache"
    analyse(root, cache)
    before = set(entries(cache))
    a.write_text("export let a: unknown;\n")
    result = analyse(root, cache)
    assert summary(result) == [("b.ts", 1, 15, "no-explicit-any", result.findings[0].message)]
    assert len(set(entries(cache)) - before) == 1


def test_config_change_invalidates(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root / "a.ts", "export let a: any;\n")
    cache = tmp_path / "cache"
    assert analyse(root, cache).findings[0].severity.label == "error"
    write(root / ".nextaudit.yml", "rules:\n  no-explicit-any: warning\n")
    assert analyse(root, cache).findings[0].severity.label == "warning"
    ignored = analyse(root, cache, CliRules(ignore=("no-explicit-any",)))
    assert ignored.findings == []


def test_page_appearing_beside_a_route_invalidates_the_route(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(
        root / "app" / "x" / "route.ts",
        "export async function GET() { return new Response('ok'); }\n",
    )
    cache = tmp_path / "cache"
    assert [f.rule_id for f in analyse(root, cache).findings] == []
    write(root / "app" / "x" / "page.tsx", "export default function Page() { return null; }\n")
    assert "route-exports" in [f.rule_id for f in analyse(root, cache).findings]


def test_corrupt_and_truncated_entries_are_rebuilt(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root / "a.ts", "export let a: any;\n")
    cache = tmp_path / "cache"
    expected = summary(analyse(root, cache))
    for garbage in (
        b"",
        b"{",
        b"\x00\xff",
        json.dumps({"key": "other"}).encode(),
        b'{"key": 1, "findings": 5}',
    ):
        for entry in entries(cache):
            entry.write_bytes(garbage)
        assert summary(analyse(root, cache)) == expected
    # the entry was rewritten whole
    assert json.loads(entries(cache)[0].read_text())["findings"]


def test_unwritable_cache_directory_does_not_fail_the_run(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    write(root / "a.ts", "export let a: any;\n")
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache directory should be")
    result = analyse(root, blocker)
    assert [f.rule_id for f in result.findings] == ["no-explicit-any"]
    assert result.notices == []


def test_cache_entries_hold_no_secret_in_full(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    secret = "sk-proj-" + "FAKEFAKEFAKE" * 4
    write(root / "a.ts", f'export const k = "{secret}";\n')
    cache = tmp_path / "cache"
    analyse(root, cache)
    for entry in entries(cache):
        text = entry.read_text()
        if "no-hardcoded-secret" in text:
            assert secret not in text


def test_concurrent_writers_leave_only_whole_entries(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    for i in range(30):
        write(root / f"f{i}.ts", f"export let v{i}: any;\n")
    cache = tmp_path / "cache"
    import multiprocessing

    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    processes = [context.Process(target=analyse, args=(root, cache)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    for entry in entries(cache):
        json.loads(entry.read_text())  # every entry is complete JSON
    assert not list(cache.glob("v*/*/.tmp-*"))
    assert len(summary(analyse(root, cache))) == 30


def _index(cache: Path) -> dict[str, object]:
    data = json.loads((cache / "v2" / "index.json").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data["entries"]  # type: ignore[no-any-return]


def _tree(root: Path) -> None:
    write(root / "lib" / "a.ts", "export let a: any;\n")
    write(root / "lib" / "b.ts", "export const b = 1;\n")
    write(root / "app" / "api" / "x" / "route.ts", "export async function GET() { return 1 }\n")


def test_a_warm_run_reads_the_index_not_one_file_per_source(tmp_path: Path) -> None:
    root, cache = tmp_path / "proj", tmp_path / "cache"
    _tree(root)
    cold = analyse(root, cache)
    assert len(_index(cache)) == 3 == len(entries(cache))
    for entry in entries(cache):  # the index alone must answer
        entry.unlink()
    warm = analyse(root, cache)
    assert summary(warm) == summary(cold) and warm.files_scanned == 3
    assert entries(cache) == []  # nothing was analysed again


def test_an_edit_updates_the_index(tmp_path: Path) -> None:
    root, cache = tmp_path / "proj", tmp_path / "cache"
    _tree(root)
    analyse(root, cache)
    before = set(_index(cache))
    write(root / "lib" / "b.ts", "export const b: any = 1;\n")
    edited = analyse(root, cache)
    assert [(name, line) for name, line, *_ in summary(edited)] == [("a.ts", 1), ("b.ts", 1)]
    after = set(_index(cache))
    assert len(after) == 3 and len(after - before) == 1


def test_a_corrupt_or_foreign_index_is_ignored(tmp_path: Path) -> None:
    root, cache = tmp_path / "proj", tmp_path / "cache"
    _tree(root)
    cold = analyse(root, cache)
    index = cache / "v2" / "index.json"
    for broken in (
        "{not json",
        '{"version": "0.0.0-other", "entries": {}}',
        json.dumps({"version": json.loads(index.read_text())["version"], "entries": []}),
        json.dumps(
            {
                "version": json.loads(index.read_text())["version"],
                "entries": {key: {"findings": "garbage"} for key in _index(cache)},
            }
        ),
    ):
        index.write_text(broken, encoding="utf-8")
        assert summary(analyse(root, cache)) == summary(cold)
        # ... and the run wrote a sound index again
        assert set(_index(cache)) == {p.stem for p in entries(cache)}
        assert all(
            isinstance(e, dict) and isinstance(e["findings"], list) for e in _index(cache).values()
        )
