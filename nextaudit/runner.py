"""One run: discover files, analyse them (in parallel), run project rules, collect.

The output order never depends on scheduling: files are analysed in sorted order and
results are merged in that order, so `--jobs 1` and `--jobs 8` print the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from nextaudit.config import Config
from nextaudit.context import ProjectContext
from nextaudit.discovery import discover
from nextaudit.engine import FileResult, RuleSetting, read_and_analyze
from nextaudit.findings import Finding, Notice, sort_findings
from nextaudit.project import Project
from nextaudit.registry import Registry, default_registry
from nextaudit.results import RunResult, relative_posix

# Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 24


@dataclass(frozen=True)
class FileTask:
    path: str
    rel_path: str
    settings: tuple[RuleSetting, ...]
    max_file_size: int
    verbose: bool


def run_task(task: FileTask) -> FileResult:
    return read_and_analyze(
        task.path, task.rel_path, task.settings, task.max_file_size, verbose=task.verbose
    )


def usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def analyse_files(tasks: Sequence[FileTask], jobs: int) -> Iterator[FileResult]:
    """Results in the order of `tasks`, whatever the number of worker processes."""
    if jobs <= 1 or len(tasks) < PARALLEL_THRESHOLD:
        yield from map(run_task, tasks)
        return
    from concurrent.futures import ProcessPoolExecutor

    chunksize = max(1, min(64, len(tasks) // (jobs * 8)))
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(run_task, tasks, chunksize=chunksize)


def run_project_rule(
    project: Project, setting: RuleSetting, registry: Registry | None = None
) -> list[Finding]:
    registry = registry or default_registry()
    rule = registry[setting.rule_id]
    ctx = ProjectContext(rule, setting.severity, setting.options_map)
    registry.project_check(rule.id)(project, ctx)
    return sort_findings(ctx.findings)


def run(
    config: Config,
    paths: Sequence[Path],
    *,
    jobs: int = 1,
    verbose: bool = False,
    repo_root: Path | None = None,
    cwd: Path | None = None,
) -> RunResult:
    cwd = cwd or Path.cwd()
    discovery = discover(paths, config.root, excluded=config.is_excluded)
    tasks = []
    for path in discovery.files:
        rel = relative_posix(path, config.root)
        tasks.append(
            FileTask(path.as_posix(), rel, config.file_settings(rel), config.max_file_size, verbose)
        )
    findings: list[Finding] = []
    notices: list[Notice] = [Notice(p, m, "unreadable") for p, m in discovery.notes]
    analysed = 0
    for result in analyse_files(tasks, jobs):
        findings.extend(result.findings)
        notices.extend(result.notices)
        analysed += result.analysed
    project_settings = config.project_settings()
    if project_settings:
        for root in _project_roots(paths):
            project = Project.build(root, discovery.files)
            for setting in project_settings:
                try:
                    findings.extend(run_project_rule(project, setting, config.registry))
                except Exception as exc:  # one broken rule must not stop the run
                    notices.append(
                        Notice(
                            root.as_posix(),
                            f"rule {setting.rule_id} crashed: {type(exc).__name__}: {exc}",
                            "rule-crash",
                            fatal=True,
                        )
                    )
    enabled = config.enabled_rules()
    return RunResult(
        findings=sort_findings(_dedupe(findings)),
        notices=sorted(notices, key=lambda n: (n.path, n.kind, n.message)),
        files_scanned=analysed,
        rules=enabled,
        severities={r.id: config.effective().get(r.id, _default(r)).severity for r in enabled},
        repo_root=repo_root or cwd,
        cwd=cwd,
        disabled_rules=[r for r in config.registry if r not in enabled and r.kind != "tool"],
    )


def _default(rule: object) -> RuleSetting:
    from nextaudit.registry import Rule

    assert isinstance(rule, Rule)
    return RuleSetting(rule.id, rule.severity)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Two roots can overlap (`nextaudit . app`): report each finding once."""
    seen: set[tuple[object, ...]] = set()
    out = []
    for finding in findings:
        key = finding.sort_key
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def _project_roots(paths: Sequence[Path]) -> list[Path]:
    roots: list[Path] = []
    for path in paths:
        absolute = Path(os.path.abspath(path))
        root = absolute if absolute.is_dir() else absolute.parent
        if not any(root == r or r in root.parents for r in roots):
            roots = [r for r in roots if root not in r.parents]
            roots.append(root)
    return sorted(roots)
