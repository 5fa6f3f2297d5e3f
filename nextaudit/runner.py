"""One run: discover files, analyse them (in parallel), run project rules, apply
suppressions and the baseline, and hand a RunResult to the reporters.

The output order never depends on scheduling: files are analysed in sorted order and
results are merged in that order, so `--jobs 1` and `--jobs 8` print the same bytes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from nextaudit import baseline as baseline_mod
from nextaudit.cache import (
    Cache,
    ProjectCache,
    Stamp,
    file_digest,
    project_key,
    settings_digest,
    stamp_of,
    tree_digest,
)
from nextaudit.config import Config
from nextaudit.context import ProjectContext
from nextaudit.discovery import Discovery, discover, posix_path
from nextaudit.engine import (
    NO_COLLECTING,
    CollectPlan,
    FileResult,
    RuleSetting,
    cache_for,
    cached_result,
    read_and_analyze,
)
from nextaudit.findings import Finding, Notice, Severity, sort_findings
from nextaudit.project import LOCKFILES, Project, TextFile, is_project_input
from nextaudit.registry import Registry, default_registry
from nextaudit.results import RunResult, relative_posix
from nextaudit.suppressions import UNUSED, Suppression, apply_suppressions, text_suppressions

# Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 24
# Files analysed in the parent before the worker processes fork (see analyse_files).
WARM_UP_FILES = 16
# Files looked up in the cache before deciding whether the parent looks up the rest.
CACHE_PROBE = 64


class Profile(NamedTuple):
    """What a file's analysis shares with every file of its kind (the same effective
    rules): one object per kind, which every FileTask of that kind holds."""

    settings: tuple[RuleSetting, ...]
    max_file_size: int
    verbose: bool
    cache_dir: str | None = None
    settings_hash: str = ""
    collect: CollectPlan = NO_COLLECTING  # project rules with a per-file collector


class FileTask(NamedTuple):
    """One file to analyse (a named tuple: one is made per file)."""

    path: str
    rel_path: str
    profile: Profile
    stamp: Stamp | None = None  # cache.stamp_of the file, when it is trusted


@dataclass
class RunOptions:
    jobs: int = 1
    verbose: bool = False
    repo_root: Path | None = None
    cwd: Path | None = None
    only_files: set[Path] | None = None  # --changed-since
    baseline: Path | None = None
    update_baseline: bool = False
    show_suppressed: bool = False
    cache_dir: Path | None = None
    progress: bool = False
    extra: dict[str, object] = field(default_factory=dict)


def run_task(task: FileTask) -> FileResult:
    return _analyse(task.path, task.rel_path, task.profile, task.stamp)


def _analyse(path: str, rel_path: str, profile: Profile, stamp: Stamp | None) -> FileResult:
    return read_and_analyze(
        path,
        rel_path,
        profile.settings,
        profile.max_file_size,
        verbose=profile.verbose,
        cache_dir=profile.cache_dir,
        settings_hash=profile.settings_hash,
        collect=profile.collect,
        stamp=stamp,
    )


def usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


# (path, rel_path, stamp, profile number): a FileTask as sent to a worker.
_SentTask = tuple[str, str, "Stamp | None", int]

# The profiles of this worker's run (set by _worker_init).
_PROFILES: list[Profile] = []


def _send(tasks: Sequence[FileTask]) -> tuple[list[_SentTask], tuple[Profile, ...]]:
    """Tasks as sent to workers, and the profiles they name by number.

    Each worker gets the profiles once, when it starts, not with every chunk of
    tasks: its checks, option maps and what rules derive from their options are kept
    by the identity of these objects, so a fresh copy per chunk would rebuild them
    all (about 0.6 ms per chunk), and pickling them again costs besides.
    """
    numbers: dict[int, int] = {}
    profiles: list[Profile] = []
    sent: list[_SentTask] = []
    for task in tasks:
        number = numbers.get(id(task.profile))
        if number is None:
            number = numbers[id(task.profile)] = len(profiles)
            profiles.append(task.profile)
        sent.append((task.path, task.rel_path, task.stamp, number))
    return sent, tuple(profiles)


def _worker_init(profiles: tuple[Profile, ...]) -> None:
    _PROFILES[:] = profiles
    # Ctrl-C is the parent's to handle: it stops the pool and exits 130. Workers
    # ignoring SIGINT keeps their tracebacks off the user's terminal.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_sent_task(sent: _SentTask) -> FileResult:
    """run_task in a worker, for a task as _send sent it."""
    path, rel_path, stamp, number = sent
    return _analyse(path, rel_path, _PROFILES[number], stamp)


def analyse_files(
    tasks: Sequence[FileTask],
    jobs: int,
    meanwhile: Callable[[], None] | None = None,
) -> Iterator[FileResult]:
    """Results in the order of `tasks`, whatever the number of worker processes.

    `meanwhile` runs in this process while the workers analyse (or after the files,
    without workers): project rules fill what would be idle time here.

    A worker that dies (killed, out of memory, a crash in native code) is reported as
    a fatal notice for the files it did not finish; the run never hangs on it.
    """
    if jobs <= 1 or len(tasks) < PARALLEL_THRESHOLD:
        yield from map(run_task, tasks)
        if meanwhile is not None:
            meanwhile()
        return
    answered = _answer_from_cache(tasks)
    pending = [index for index in range(len(tasks)) if index not in answered]
    if len(pending) < PARALLEL_THRESHOLD:
        for index, task in enumerate(tasks):
            yield answered[index] if index in answered else run_task(task)
        if meanwhile is not None:
            meanwhile()
        return
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # A few files are analysed here, before the workers start: they compile the
    # rules' queries and settle the query plan (about half a second of work), and
    # forked workers inherit both instead of each paying for them again. They are
    # taken across the whole list, not the first ones: sorted paths put alike files
    # together (a folder of tests first), and the plan must suit every kind of file.
    warm_up = set(pending[:: max(1, len(pending) // WARM_UP_FILES)][:WARM_UP_FILES])
    for index in sorted(warm_up):
        answered[index] = run_task(tasks[index])
    rest, profiles = _send([tasks[index] for index in pending if index not in warm_up])
    chunksize = max(1, min(32, len(rest) // (jobs * 8)))
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init, initargs=(profiles,))
    position = 0  # the next task to yield
    try:
        results = pool.map(_run_sent_task, rest, chunksize=chunksize)
        if meanwhile is not None:
            meanwhile()
        while position < len(tasks):
            result = answered.get(position)
            if result is None:
                result = next(results)
            position += 1
            yield result
    except BrokenProcessPool:
        for index in range(position, len(tasks)):
            task = tasks[index]
            yield answered.get(index) or FileResult(
                task.path,
                notices=[
                    Notice(
                        task.path,
                        "not analysed: a worker process died (run with --jobs 1 to find the file)",
                        "worker-died",
                        fatal=True,
                    )
                ],
                analysed=False,
            )
    except BaseException:
        # Ctrl-C (or an error here): the workers' current chunks are not wanted, and
        # waiting for them can take as long as a chunk of big files does.
        _stop_workers(pool)
        raise
    finally:
        # On Ctrl-C or an error, do not wait for queued work.
        pool.shutdown(wait=True, cancel_futures=True)


def _write_cache_index(
    cache_dir: str,
    results: Mapping[str, FileResult],
    discovered: frozenset[str],
    walked: Sequence[Path],
) -> None:
    """Store this run's file results in the cache's index (see cache.Cache), with the
    entries of files this run did not look at (a run on another folder), except
    those under a walked folder that the walk no longer finds (deleted or ignored)."""
    cache = cache_for(cache_dir)
    folders = tuple(w.as_posix().rstrip("/") + "/" for w in walked)
    entries = {
        path: stored
        for path, stored in cache.entries().items()
        if path not in results and (path in discovered or not path.startswith(folders))
    }
    for path, result in results.items():
        record = result.cache_record
        if record is not None:
            entries[path] = Cache.stored_entry(
                record, result.findings, result.notices, result.suppressions, result.facts
            )
    cache.write_entries(dict(sorted(entries.items())))


def _stop_workers(pool: object) -> None:
    """Terminate a ProcessPoolExecutor's workers (it has no public way to do it)."""
    processes = getattr(pool, "_processes", None) or {}
    for process in list(processes.values()):
        process.terminate()


def _answer_from_cache(tasks: Sequence[FileTask]) -> dict[int, FileResult]:
    """Results the cache holds, looked up here: files it answers need no worker, and
    a warm run needs no worker process at all. When the first files mostly miss (a
    cold cache, or none), the rest are left to the workers, which look them up
    themselves, so a cold run does not read every file twice."""
    if not tasks or tasks[0].profile.cache_dir is None:
        return {}
    answered: dict[int, FileResult] = {}
    for index, task in enumerate(tasks):
        if index == CACHE_PROBE and len(answered) < CACHE_PROBE // 2:
            break
        profile = task.profile
        assert profile.cache_dir is not None
        hit = cached_result(
            task.path,
            task.rel_path,
            profile.max_file_size,
            profile.cache_dir,
            profile.settings_hash,
            task.stamp,
        )
        if hit is not None:
            answered[index] = hit
    return answered


def run_project_rule(
    project: Project, setting: RuleSetting, registry: Registry | None = None
) -> list[Finding]:
    registry = registry or default_registry()
    rule = registry[setting.rule_id]
    ctx = ProjectContext(rule, setting.severity, setting.options_map)
    registry.project_check(rule.id)(project, ctx)
    return sort_findings(ctx.findings)


@dataclass
class _ProjectOutcome:
    findings: list[Finding] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    ran: set[str] = field(default_factory=set)
    suppressions: dict[str, list[Suppression]] = field(default_factory=dict)


@dataclass
class _ProjectRoot:
    """One scanned root's Project, and its rule results in the cache (if any)."""

    project: Project
    stored: _ProjectRuleStore | None


def _project_root(
    root: Path,
    discovery: Discovery,
    config: Config,
    cache_dir: Path | None,
    stats: Mapping[str, os.stat_result | None],
) -> _ProjectRoot:
    files, excluded = discovery.paths, config.path_filter
    if cache_dir is None:
        return _ProjectRoot(
            Project.build(root, files, excluded=excluded, discovered=discovery), None
        )
    recording = _RecordingProject.build(root, files, excluded=excluded, discovered=discovery)
    assert isinstance(recording, _RecordingProject)  # build() makes a `cls`
    return _ProjectRoot(recording, _ProjectRuleStore(recording, cache_dir, stats))


def _run_project_rules(
    where: _ProjectRoot,
    config: Config,
    settings: Sequence[RuleSetting],
    outcome: _ProjectOutcome,
) -> None:
    """Project rules over one root; with a cache, a rule whose inputs are unchanged
    since an earlier run is answered from it (see cache.project_key)."""
    project, stored = where.project, where.stored
    root = project.root
    for setting in settings:
        cached = stored.get(setting) if stored is not None else None
        if cached is not None:
            outcome.ran.add(setting.rule_id)
            outcome.findings.extend(cached)
            continue
        try:
            found = run_project_rule(project, setting, config.registry)
        except Exception as exc:  # one broken rule must not stop the run
            from nextaudit.analysis.secrets import redact_secrets

            # One line, as for file rules; an exception's text may quote a key.
            reason = redact_secrets(f"{type(exc).__name__}: {exc}".splitlines()[0])
            outcome.notices.append(
                Notice(
                    root.as_posix(),
                    f"rule {setting.rule_id} crashed: {reason}",
                    "rule-crash",
                    fatal=True,
                )
            )
            continue
        outcome.ran.add(setting.rule_id)
        outcome.findings.extend(found)
        if stored is not None:
            stored.put(setting, found)


def _input_suppressions(project: Project, outcome: _ProjectOutcome) -> None:
    """Suppression comments in the project's inputs (package.json files...)."""
    for input_path in project.inputs():
        key = input_path.as_posix()
        if key in outcome.suppressions:
            continue
        text_file = project.read(input_path)
        if text_file is not None:
            found_here = text_suppressions(key, text_file.text)
            if found_here:
                outcome.suppressions[key] = found_here


@dataclass
class _RecordingProject(Project):
    """A Project that notes the files its rules read besides the analysed sources
    (a document such as readme/structure.md), with their digests at that moment."""

    read_files: dict[Path, str] = field(default_factory=dict)

    @functools.cached_property
    def _sources(self) -> frozenset[str]:
        return frozenset(self.source_names())

    def _note(self, path: Path) -> None:
        if path not in self.read_files and os.fspath(path) not in self._sources:
            self.read_files[path] = file_digest(path)

    def read(self, path: Path) -> TextFile | None:
        self._note(path)
        return super().read(path)

    def first_line(self, path: Path) -> str | None:
        self._note(path)
        return super().first_line(path)

    def source_bytes(self, path: Path) -> bytes | None:
        self._note(path)
        return super().source_bytes(path)


class _ProjectRuleStore:
    """Project-rule results in the cache, keyed by everything a rule may read."""

    def __init__(
        self,
        project: _RecordingProject,
        cache_dir: Path,
        stats: Mapping[str, os.stat_result | None],
    ) -> None:
        self.project = project
        self.cache = ProjectCache(Cache(cache_dir))
        self.root = project.root.as_posix()
        sources = [_stat_entry(name, stats) for name in project.source_names()]
        inputs = [(p.as_posix(), file_digest(p)) for p in project.inputs()]
        self.tree = tree_digest(sources, inputs)

    def _key(self, setting: RuleSetting) -> str:
        return project_key(setting, self.root, self.tree)

    def get(self, setting: RuleSetting) -> list[Finding] | None:
        return self.cache.get(self._key(setting))

    def put(self, setting: RuleSetting, found: list[Finding]) -> None:
        # Everything read so far, not only by this rule: a fact one rule computed
        # (and the Project kept) may have been read for the next one.
        self.cache.put(self._key(setting), self.project.read_files, found)


def _stat_entry(name: str, stats: Mapping[str, os.stat_result | None]) -> tuple[str, int, int]:
    posix = posix_path(name)
    stat = stats[posix] if posix in stats else _stats([name])[posix]
    if stat is None:
        return (posix, -1, -1)
    return (posix, stat.st_size, stat.st_mtime_ns)


def _stats(paths: Sequence[str]) -> dict[str, os.stat_result | None]:
    """Each file's stat (None when it cannot be had), by POSIX path."""
    found: dict[str, os.stat_result | None] = {}
    stat = os.stat
    for path in paths:
        try:
            found[posix_path(path)] = stat(path)
        except OSError:
            found[posix_path(path)] = None
    return found


class _Lines:
    """Line text of analysed files, read on demand (baseline identities)."""

    def __init__(self) -> None:
        self._files: dict[str, list[str]] = {}

    def __call__(self, path: str, line: int) -> str:
        lines = self._files.get(path)
        if lines is None:
            try:
                with open(path, "rb") as handle:
                    raw = handle.read()
                from nextaudit.source import decode_source, normalise_newlines

                lines = normalise_newlines(decode_source(raw)[0]).split("\n")
            except OSError:
                lines = []
            self._files[path] = lines
        return lines[line - 1] if 0 < line <= len(lines) else ""


def run(config: Config, paths: Sequence[Path], options: RunOptions | None = None) -> RunResult:
    options = options or RunOptions()
    cwd = options.cwd or Path.cwd()
    repo_root = options.repo_root or cwd
    project_settings = config.project_settings()
    # Project inputs (package.json, lockfiles, Prisma schemas) are found by the same
    # walk as the sources, not by a second one.
    discovery = discover(
        paths,
        config.root,
        excluded=config.path_filter,
        also=is_project_input if project_settings else None,
    )
    files = discovery.paths
    if options.only_files is not None:
        files = [
            f
            for f in files
            if Path(os.path.realpath(f)) in options.only_files or Path(f) in options.only_files
        ]
    if not (project_settings and _project_inputs_changed(options.only_files, files)):
        project_settings = []
    # Project rules with a per-file part: it runs with the file rules, on the tree the
    # workers parse anyway, and these rules run once every file is done.
    collecting = tuple(
        s for s in project_settings if config.registry.fact_collector(s.rule_id) is not None
    )
    roots = _project_roots(paths) if project_settings else []
    collect = CollectPlan(collecting, tuple(r.as_posix() for r in roots))
    tasks = []
    rel_paths: dict[str, str] = {}
    cache_dir = options.cache_dir.as_posix() if options.cache_dir is not None else None
    # With a cache, every file's stat: its stamp spares reading an unchanged file, and
    # the project rules' cache keys hold sizes and modification times.
    stats: dict[str, os.stat_result | None] = {}
    if cache_dir is not None:
        cache_for.cache_clear()  # read the index afresh: another run may have written it
        stats = _stats(files)
    profiles: dict[int, Profile] = {}  # by id() of the shared settings tuple
    now_ns = time.time_ns()
    # As relative_posix says, by string: discovered paths are absolute and normal.
    root_prefix = config.root.as_posix().rstrip("/") + "/"
    absolute_root = config.root.is_absolute()
    for path in files:
        posix = posix_path(path)
        if absolute_root and posix.startswith(root_prefix):
            rel = posix[len(root_prefix) :]
        else:
            rel = relative_posix(path, config.root)
        rel_paths[posix] = rel
        settings = config.file_settings(rel)
        profile = profiles.get(id(settings))
        if profile is None:
            digest = settings_digest((*settings, collect)) if cache_dir is not None else ""
            profile = profiles[id(settings)] = Profile(
                settings, config.max_file_size, options.verbose, cache_dir, digest, collect
            )
        stamp = None
        if cache_dir is not None:
            stat = stats[posix]
            stamp = stamp_of(stat, now_ns) if stat is not None else None
        tasks.append(FileTask(posix, rel, profile, stamp))
    findings: list[Finding] = []
    notices: list[Notice] = [Notice(p, m, "unreadable") for p, m in discovery.notes]
    suppressions: dict[str, list[Suppression]] = {}
    analysed = 0
    project = _ProjectOutcome()
    project_roots: list[_ProjectRoot] = []
    facts: dict[str, dict[str, object]] = {}
    cache_results: dict[str, FileResult] = {}

    def project_rules_meanwhile() -> None:
        """The project rules that need nothing from the files, while workers work."""
        for root in roots:
            where = _project_root(root, discovery, config, options.cache_dir, stats)
            project_roots.append(where)
            alone = [s for s in project_settings if s not in collecting]
            _run_project_rules(where, config, alone, project)
            _input_suppressions(where.project, project)

    with _progress(len(tasks), options.progress) as advance:
        for result in analyse_files(tasks, options.jobs, meanwhile=project_rules_meanwhile):
            findings.extend(result.findings)
            notices.extend(result.notices)
            analysed += result.analysed
            if result.suppressions:
                suppressions[result.path] = result.suppressions
            if result.facts:
                facts[result.path] = result.facts
            if cache_dir is not None:
                cache_results[result.path] = result
            advance()
    if cache_dir is not None:
        discovered = frozenset(map(posix_path, discovery.paths))
        _write_cache_index(cache_dir, cache_results, discovered, discovery.walked)
    for where in project_roots:
        where.project.facts = facts
        _run_project_rules(where, config, collecting, project)

    findings.extend(project.findings)
    notices.extend(project.notices)
    project_ran = project.ran
    for key, found_here in project.suppressions.items():
        suppressions.setdefault(key, found_here)

    findings = _dedupe(findings)
    enabled_for: dict[str, set[str]] = {}
    unused_severity: dict[str, Severity] = {}
    for file_path in suppressions:
        rel = rel_paths.get(file_path) or relative_posix(file_path, config.root)
        effective = config.effective(rel)
        enabled_for[file_path] = {
            rule_id
            for rule_id in effective
            if config.registry[rule_id].kind == "file" or rule_id in project_ran
        }
        if UNUSED in effective:
            unused_severity[file_path] = effective[UNUSED].severity
    applied = apply_suppressions(
        sort_findings(findings),
        suppressions,
        set(config.registry.ids()),
        enabled_for,
        unused_severity,
    )
    active = sort_findings(applied.active + applied.unused)

    absorbed = stale = 0
    if options.baseline is not None:

        def relative(path: str) -> str:
            return relative_posix(path, repo_root)

        pairs = baseline_mod.identities(active, relative, _Lines())
        if options.update_baseline:
            from nextaudit.report.atomic import write_atomic

            write_atomic(options.baseline, baseline_mod.render(pairs))
        else:
            outcome = baseline_mod.filter_new(pairs, baseline_mod.load(options.baseline))
            active, absorbed, stale = outcome.new, outcome.absorbed, outcome.stale

    enabled = config.enabled_rules()
    base_effective = config.effective()
    return RunResult(
        findings=active,
        notices=sorted(notices, key=lambda n: (n.path, n.kind, n.message)),
        files_scanned=analysed,
        rules=enabled,
        severities={
            r.id: base_effective[r.id].severity if r.id in base_effective else r.severity
            for r in enabled
        },
        repo_root=repo_root,
        cwd=cwd,
        suppressed=sort_findings(applied.suppressed),
        show_suppressed=options.show_suppressed,
        baseline_absorbed=absorbed,
        baseline_stale=stale,
        disabled_rules=[r for r in config.registry if r not in enabled and r.kind != "tool"],
    )


@contextlib.contextmanager
def _progress(total: int, wanted: bool) -> Iterator[Callable[[], None]]:
    """A Rich progress bar on stderr, only when asked (the CLI asks on a terminal).
    It appears after about a second, so quick runs print nothing extra."""
    if not wanted or total == 0:
        yield lambda: None
        return
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    console = Console(stderr=True)
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task_id = progress.add_task("analysing", total=total)
    start = time.monotonic()
    started = False

    def advance() -> None:
        nonlocal started
        progress.advance(task_id)
        if not started and time.monotonic() - start > 1.0:
            progress.start()
            started = True

    try:
        yield advance
    finally:
        if started:
            progress.stop()


PROJECT_INPUT_NAMES = frozenset({"package.json", "structure.md", *LOCKFILES})


def _project_inputs_changed(only_files: set[Path] | None, analysed: Sequence[str]) -> bool:
    """Project rules run on a full run, or when one of their inputs changed: a manifest,
    a lockfile, a Prisma schema, the structure doc, or a source file they read."""
    if only_files is None:
        return True
    return bool(analysed) or any(
        p.name in PROJECT_INPUT_NAMES or p.suffix == ".prisma" for p in only_files
    )


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
