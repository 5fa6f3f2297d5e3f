"""The result cache: hits give the same findings, any relevant change invalidates,
an unchanged file is not even read, a corrupt cache is ignored and rebuilt, and the
directory ignores itself."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from nextaudit import cache as cache_module
from nextaudit import engine, runner
from nextaudit.cache import FORMAT
from nextaudit.config import CliRules, load_config
from nextaudit.registry import default_registry
from nextaudit.runner import RunOptions, run


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def analyse(root: Path, cache: Path, cli: CliRules | None = None, *paths: Path):  # type: ignore[no-untyped-def]
    config_path = root / ".nextaudit.yml"
    config = load_config(
        config_path if config_path.exists() else None, default_registry(), root, cli
    )
    return run(config, list(paths) or [root], RunOptions(cwd=root, repo_root=root, cache_dir=cache))


def summary(result) -> list[tuple[str, int, int, str, str]]:  # type: ignore[no-untyped-def]
    return [
        (Path(f.path).name, f.location.line, f.location.column, f.rule_id, f.message)
        for f in result.findings
    ]


def index_file(cache: Path) -> Path:
    return cache / f"v{FORMAT}" / "files.json"


def stored(cache: Path) -> dict[str, list[object]]:
    """The index's entries, by the files' names relative to the test's tmp_path."""
    data = json.loads(index_file(cache).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data["entries"]  # type: ignore[no-any-return]


def names(cache: Path) -> list[str]:
    return sorted(Path(path).name for path in stored(cache))


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust stamps however recent: files a test has just written would otherwise be
    hashed again on every run for RACY_NS."""
    monkeypatch.setattr(cache_module, "RACY_NS", 0)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files whose bytes the engine read."""
    seen: list[str] = []
    original = engine._read_source

    def counting(path: str, max_file_size: int):  # type: ignore[no-untyped-def]
        seen.append(Path(path).name)
        return original(path, max_file_size)

    monkeypatch.setattr(engine, "_read_source", counting)
    return seen


def refuse_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    import nextaudit.source as source_module

    def no_parse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a warm run must not parse")

    monkeypatch.setattr(source_module.SourceFile, "from_bytes", no_parse)


def test_warm_run_gives_identical_findings_without_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    assert names(cache) == ["a.ts", "route.ts"]
    assert sorted(p.name for p in cache.rglob("*") if p.is_file() and "project" not in p.parts) == [
        ".gitignore",
        "CACHEDIR.TAG",
        "files.json",
    ]  # one index, no file per source
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (cache / "CACHEDIR.TAG").is_file()
    refuse_parsing(monkeypatch)
    warm = analyse(root, cache)
    assert summary(warm) == summary(cold) and warm.files_scanned == 2
    assert [f.location.line for f in warm.suppressed] == [3]


def test_an_unchanged_file_is_not_read_again(
    tmp_path: Path, trusted: None, reads: list[str]
) -> None:
    root = tmp_path / "proj"
    write(root / "a.ts", "export let a: any;\n")
    write(root / "b.ts", "export const b = 1;\n")
    cache = tmp_path / "cache"
    cold = analyse(root, cache)
    assert reads == ["a.ts", "b.ts"]
    reads.clear()
    assert summary(analyse(root, cache)) == summary(cold)
    assert reads == []


def test_a_touched_file_is_hashed_again_and_still_a_hit(
    tmp_path: Path, trusted: None, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "proj"
    a = write(root / "a.ts", "export let a: any;\n")
    write(root / "b.ts", "export const b = 1;\n")
    cache = tmp_path / "cache"
    cold = analyse(root, cache)
    before = stored(cache)
    stat = a.stat()
    os.utime(a, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    reads.clear()
    refuse_parsing(monkeypatch)
    assert summary(analyse(root, cache)) == summary(cold)
    assert reads == ["a.ts"]  # read and hashed, not parsed: the bytes are the same
    after = stored(cache)
    [a_key] = [p for p in after if p.endswith("/a.ts")]
    assert after[a_key][0] == before[a_key][0] and after[a_key][1] != before[a_key][1]


def test_same_size_edit_with_the_old_modification_time_is_seen(
    tmp_path: Path, trusted: None
) -> None:
    """Tools that keep modification times (cp -p, tar, rsync -t) can put other bytes
    of the same size under the same mtime; the change time still moves."""
    root = tmp_path / "proj"
    a = write(root / "a.ts", "export let a: any;\n")
    cache = tmp_path / "cache"
    assert [f.rule_id for f in analyse(root, cache).findings] == ["no-explicit-any"]
    stat = a.stat()
    deadline = time.monotonic() + 3  # file systems with 1-2 s change times
    while a.stat().st_ctime_ns == stat.st_ctime_ns and time.monotonic() < deadline:
        time.sleep(0.05)  # past the timestamp tick
        a.write_text("export let a: 123;\n", encoding="utf-8")
        os.utime(a, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert a.stat().st_ctime_ns != stat.st_ctime_ns
    assert a.stat().st_size == stat.st_size and a.stat().st_mtime_ns == stat.st_mtime_ns
    assert analyse(root, cache).findings == []


def test_recently_changed_files_get_no_stamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "proj"
    write(root / "new.ts", "export const n = 1;\n")
    old = write(root / "old.ts", "export const o = 1;\n")
    stat = old.stat()
    changed = max(stat.st_mtime_ns, stat.st_ctime_ns)
    # The run sees the files a moment after they were written, however slow the
    # machine (the change time cannot be set back, so the clock is set forward).
    written = max(changed, (root / "new.ts").stat().st_ctime_ns)
    monkeypatch.setattr(runner.time, "time_ns", lambda: written + 1_000_000)
    cache = tmp_path / "cache"
    analyse(root, cache)
    assert [entry[1] for entry in stored(cache).values()] == [None, None]
    racy = cache_module.RACY_NS
    assert cache_module.stamp_of(stat, changed + racy - 1) is None
    assert cache_module.stamp_of(stat, changed + racy + 1) == (
        stat.st_size,
        stat.st_mtime_ns,
        stat.st_ctime_ns,
        stat.st_ino,
    )


def test_a_lowered_max_file_size_is_not_answered_from_a_stamp(
    tmp_path: Path, trusted: None
) -> None:
    root = tmp_path / "proj"
    write(root / "a.ts", "export let a: any;\n" + "// padding\n" * 20)
    cache = tmp_path / "cache"
    assert [f.rule_id for f in analyse(root, cache).findings] == ["no-explicit-any"]
    write(root / ".nextaudit.yml", "max-file-size: 64\n")
    result = analyse(root, cache)
    assert result.findings == []
    assert [n.kind for n in result.notices] == ["file-too-large"]


def test_edit_invalidates_only_that_file(tmp_path: Path, trusted: None, reads: list[str]) -> None:
    root = tmp_path / "proj"
    a = write(root / "a.ts", "export let a: any;\n")
    write(root / "b.ts", "export let b: any;\n")
    cache = tmp_path / "cache"
    analyse(root, cache)
    before = stored(cache)
    a.write_text("export let a: unknown;\n")
    reads.clear()
    result = analyse(root, cache)
    assert summary(result) == [("b.ts", 1, 15, "no-explicit-any", result.findings[0].message)]
    assert reads == ["a.ts"]
    after = stored(cache)
    assert sorted(Path(p).name for p in after if after[p] != before[p]) == ["a.ts"]


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
    assert "no-hardcoded-secret" in [f.rule_id for f in analyse(root, cache).findings]
    text = index_file(cache).read_text()
    assert "no-hardcoded-secret" in text and secret not in text


def test_concurrent_runs_leave_a_whole_index(tmp_path: Path) -> None:
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
    assert len(stored(cache)) == 30  # complete JSON, every file
    assert not list(cache.rglob(".tmp-*"))
    assert len(summary(analyse(root, cache))) == 30


def _tree(root: Path) -> None:
    write(root / "lib" / "a.ts", "export let a: any;\n")
    write(root / "lib" / "b.ts", "export const b = 1;\n")
    write(root / "app" / "api" / "x" / "route.ts", "export async function GET() { return 1 }\n")


def test_a_warm_run_that_changes_nothing_writes_nothing(tmp_path: Path, trusted: None) -> None:
    root, cache = tmp_path / "proj", tmp_path / "cache"
    _tree(root)
    analyse(root, cache)
    index = index_file(cache)
    before = (index.stat().st_ino, index.stat().st_mtime_ns, index.read_bytes())
    analyse(root, cache)
    assert (index.stat().st_ino, index.stat().st_mtime_ns, index.read_bytes()) == before


def test_entries_outside_the_run_are_kept_and_deleted_files_dropped(tmp_path: Path) -> None:
    root, cache = tmp_path / "proj", tmp_path / "cache"
    _tree(root)
    analyse(root, cache)
    assert names(cache) == ["a.ts", "b.ts", "route.ts"]
    (root / "lib" / "b.ts").unlink()
    write(root / "lib" / "c.ts", "export const c = 1;\n")
    analyse(root, cache, None, root / "lib")  # a run on one folder
    assert names(cache) == ["a.ts", "c.ts", "route.ts"]  # app/ kept, b.ts gone
    analyse(root, cache, None, root / "lib" / "a.ts")  # on one file
    assert names(cache) == ["a.ts", "c.ts", "route.ts"]


def test_an_ignored_file_is_dropped_from_the_index(tmp_path: Path) -> None:
    root, cache = tmp_path / "proj", tmp_path / "cache"
    _tree(root)
    analyse(root, cache)
    write(root / ".nextaudit.yml", "exclude:\n  - lib/b.ts\n")
    analyse(root, cache)
    assert names(cache) == ["a.ts", "route.ts"]


def test_a_corrupt_or_foreign_index_is_ignored_and_rewritten(tmp_path: Path) -> None:
    root, cache = tmp_path / "proj", tmp_path / "cache"
    _tree(root)
    cold = analyse(root, cache)
    index = index_file(cache)
    version = json.loads(index.read_text())["version"]
    good = stored(cache)
    some_path = next(iter(good))
    for broken in (
        "",
        "{not json",
        index.read_text()[:40],  # truncated
        "\x00\xff",
        "[1, 2]",
        '{"version": "0.0.0-other", "entries": {}}',
        json.dumps({"version": version, "entries": []}),
        json.dumps({"version": version, "entries": {p: "garbage" for p in good}}),
        json.dumps({"version": version, "entries": {p: [1, 2, 3] for p in good}}),
        json.dumps(
            {"version": version, "entries": {p: [*e[:3], 0, "", None, {}] for p, e in good.items()}}
        ),
        json.dumps(
            {"version": version, "entries": {p: [*e[:3], [], [], [], []] for p, e in good.items()}}
        ),
        json.dumps(
            {"version": version, "entries": {p: [*e[:3], 5, 6, 7, 8] for p, e in good.items()}}
        ),
        json.dumps(
            {
                "version": version,
                "entries": {
                    p: [*e[:3], [["x", "bad", "m", [1], ""]], [], [], {}] for p, e in good.items()
                },
            }
        ),
        json.dumps(
            {"version": version, "entries": {some_path: [None, [1, 2, 3, 4], None, [], [], [], {}]}}
        ),
    ):
        index.write_text(broken, encoding="utf-8")
        assert summary(analyse(root, cache)) == summary(cold), broken
        # ... and the run wrote a sound index again
        assert stored(cache) == good
