#!/usr/bin/env python3
"""Measure nextaudit against the parse floor, side by side on the same files.

    python bench/run.py --generate 5000             # a synthetic monorepo (bench/generate.py)
    python bench/run.py /path/to/a/repository       # any directory
    python bench/run.py --generate 20000 --json bench-20k.json

One invocation measures, each in a fresh process (so every peak RSS is its own):

- floor:   read + decode + tree-sitter parse of every file nextaudit would analyse,
           in one process, on one core (`SourceFile.from_bytes`, what the engine runs);
- jobs-1:  a full run, every default rule, `--jobs 1 --no-cache`;
- jobs-N:  the same with one worker per usable CPU;
- cold / warm: `--jobs N` with a fresh `--cache-dir`, then again with no file changed;
- version: `nextaudit --version` start-up (median of several);
- eslint:  optional, `@typescript-eslint/no-explicit-any` alone on the same files, when
           an ESLint with typescript-eslint is found (`--eslint-dir`, see README).

Wall time, CPU time (user + system, workers included) and peak RSS come from
`os.wait4` on each child: the kernel's own accounting of that process and the
processes it waited for, so no wrapper process and no polling skews them. Peak RSS is
the largest single process; for parallel runs the peak of the sum over the process
tree is sampled from /proc as well (Linux).

The CLI runs as a user runs it: in the target directory, on `.`. Reports go to a
temporary directory and the jobs-1 and jobs-N reports are compared byte for byte.
Nothing is written into the target (the cache lives in a temporary directory too).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent

# The targets of issue 7.
TARGETS = {
    "full_over_floor": 1.5,  # jobs-1 wall / floor wall, at most
    "speedup_2_cores": 1.6,  # jobs-1 wall / jobs-2 wall, at least
    "warm_over_cold": 0.15,  # warm wall / cold wall, at most
    "peak_rss_mb_20k": 400.0,  # at 20,000 files, at most
    "version_seconds": 0.25,  # at most
}


@dataclass
class Measurement:
    name: str
    argv: list[str]
    wall: float
    cpu: float
    peak_rss_mb: float
    tree_peak_rss_mb: float | None = None
    exit_code: int = 0
    detail: dict[str, object] = field(default_factory=dict)


# --- running and measuring one child --------------------------------------------------


def _maxrss_mb(value: int) -> float:
    # Linux reports kilobytes, macOS bytes.
    return value / (1024 * 1024) if sys.platform == "darwin" else value / 1024


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of `pid` and all its descendants, from /proc (Linux only)."""
    total = 0
    pending = [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * page
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as handle:
                pending.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return total / (1024 * 1024)


class _TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree every few milliseconds."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, _tree_rss_mb(self.pid))


def run_measured(
    name: str,
    argv: Sequence[str],
    cwd: Path,
    env: dict[str, str],
    stdout_path: Path | None = None,
    sample_tree: bool = False,
) -> Measurement:
    stdout_target = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL  # noqa: SIM115
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdout=stdout_target, stderr=stderr)
        sampler = None
        if sample_tree and Path("/proc").is_dir():
            sampler = _TreeSampler(proc.pid)
            sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if sampler is not None:
            sampler.done.set()
            sampler.join()
        if stdout_path:
            stdout_target.close()  # type: ignore[union-attr]
        stderr.seek(0)
        err = stderr.read().decode("utf-8", errors="replace")
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{name}: {' '.join(argv)} exited {proc.returncode}\n{err[-2000:]}")
    return Measurement(
        name,
        list(argv),
        wall,
        usage.ru_utime + usage.ru_stime,
        _maxrss_mb(usage.ru_maxrss),
        sampler.peak if sampler is not None else None,
        proc.returncode,
    )


def best_of(runs: list[Measurement]) -> Measurement:
    """The fastest run (the least disturbed by other load on the machine)."""
    best = min(runs, key=lambda m: m.wall)
    best.detail["runs_wall"] = [round(m.wall, 3) for m in runs]
    best.peak_rss_mb = max(m.peak_rss_mb for m in runs)
    return best


# --- the floor (runs in its own process: `run.py --floor DIR`) -------------------------


def floor_main(target: Path) -> int:
    """Discover as the CLI does, then read + decode + parse every file, one core."""
    sys.path.insert(0, str(REPO_ROOT))
    from nextaudit.config import find_config, load_config, project_root
    from nextaudit.discovery import discover, find_git_root
    from nextaudit.engine import looks_binary
    from nextaudit.registry import default_registry
    from nextaudit.source import SourceFile

    started = time.perf_counter()
    here = Path.cwd()
    first = Path(os.path.abspath(target))
    config_path = find_config(first, find_git_root(first))
    root = config_path.parent if config_path else project_root([target])
    config = load_config(config_path, default_registry(), root)
    files = discover([target], config.root, excluded=config.path_filter).files
    discovered = time.perf_counter()
    cpu_start = time.process_time()
    parsed = size = lines = 0
    for path in files:
        if path.stat().st_size > config.max_file_size:
            continue
        raw = path.read_bytes()
        if looks_binary(raw):
            continue
        source = SourceFile.from_bytes(path.as_posix(), os.path.relpath(path, here), raw)
        parsed += 1
        size += len(raw)
        lines += source.root.end_point.row + 1
    result = {
        "files": parsed,
        "bytes": size,
        "lines": lines,
        "discovery_seconds": discovered - started,
        "parse_seconds": time.perf_counter() - discovered,
        "parse_cpu_seconds": time.process_time() - cpu_start,
    }
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


# --- ESLint (optional) -------------------------------------------------------------------

_ESLINT_CONFIG = """\
import tseslint from "typescript-eslint";

export default [
  {
    files: ["**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs}"],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { ecmaFeatures: { jsx: true } },
    },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: { "@typescript-eslint/no-explicit-any": "error" },
  },
];
"""


def find_eslint(explicit: Path | None) -> Path | None:
    """A directory whose node_modules holds eslint and typescript-eslint."""
    candidates = [explicit] if explicit else []
    candidates += [Path(p) for p in os.environ.get("NEXTAUDIT_BENCH_ESLINT", "").split(":") if p]
    candidates.append(BENCH_DIR / ".eslint")
    for directory in candidates:
        if directory is None:
            continue
        modules = directory / "node_modules"
        if (modules / ".bin" / "eslint").exists() and (modules / "typescript-eslint").is_dir():
            return directory
    return None


def measure_eslint(eslint_dir: Path, target: Path, work: Path, env: dict[str, str]) -> Measurement:
    config = eslint_dir / "nextaudit-bench.eslint.config.mjs"
    config.write_text(_ESLINT_CONFIG, encoding="utf-8")
    argv = [
        str(eslint_dir / "node_modules" / ".bin" / "eslint"),
        "--config",
        str(config),
        "--no-warn-ignored",
        "--format",
        "json",
        "--output-file",
        str(work / "eslint.json"),
        ".",
    ]
    measured = run_measured("eslint", argv, target, env)
    try:
        report = json.loads((work / "eslint.json").read_text(encoding="utf-8"))
        measured.detail["files"] = len(report)
        measured.detail["no_explicit_any"] = sum(
            1
            for entry in report
            for message in entry["messages"]
            if message.get("ruleId") == "@typescript-eslint/no-explicit-any"
        )
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return measured


# --- the benchmark -----------------------------------------------------------------------


def usable_cpus() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def bench(args: argparse.Namespace) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="nextaudit-bench-"))
    try:
        return _bench(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _bench(args: argparse.Namespace, work: Path) -> dict[str, object]:
    target = prepare_target(args, work)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("CI", None)
    # Run as an installed nextaudit runs: from compiled bytecode (pip compiles it at
    # install time). Without this, PYTHONDONTWRITEBYTECODE=1 in the environment makes
    # every measured run compile nextaudit's 60-odd modules again (~0.2 s of CPU).
    # The bytecode goes to the scratch directory, not into the checkout.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    python = sys.executable
    subprocess.run(
        [python, "-m", "compileall", "-q", str(REPO_ROOT / "nextaudit")], env=env, check=True
    )
    cli = [python, "-m", "nextaudit"]
    jobs = args.jobs or usable_cpus()
    repeat = args.repeat

    say(f"target: {target}  (jobs-N = {jobs}, best of {repeat})")
    floor_cmd = [python, str(BENCH_DIR / "run.py"), "--floor", "."]

    def full(name: str, extra: list[str], report: str, sample: bool = False) -> Measurement:
        argv = [*cli, ".", *extra, "--no-progress", "-f", "json", "-o", str(work / report)]
        return run_measured(name, argv, target, env, sample_tree=sample)

    def floor() -> Measurement:
        measured = run_measured("floor", floor_cmd, target, env, work / "floor.json")
        measured.detail = json.loads((work / "floor.json").read_text(encoding="utf-8"))
        return measured

    # By role: with --jobs 1 (a one-CPU machine), jobs-N is named jobs-1 too.
    roles = ["floor", "jobs1", "jobsN", "cold", "warm"]
    parallel = ["--jobs", str(jobs)]
    compared: list[tuple[str, Callable[[], Measurement]]] = [
        ("floor", floor),
        ("jobs1", lambda: full("jobs-1", ["--jobs", "1", "--no-cache"], "jobs1.json")),
        ("jobsN", lambda: full(f"jobs-{jobs}", [*parallel, "--no-cache"], "jobsn.json", True)),
    ]
    # Round by round, every measurement once per round: on a shared machine the load
    # changes by the minute, and interleaving gives each measurement the same luck.
    # Every other round runs the compared three in reverse order (floor, jobs-1,
    # jobs-N, then jobs-N, jobs-1, floor), so a load that rises or falls through a
    # round favours neither side of a ratio.
    runs: dict[str, list[Measurement]] = {role: [] for role in roles}
    for index in range(repeat):
        for role, measure in compared if index % 2 == 0 else compared[::-1]:
            runs[role].append(measure())
        cached = [*parallel, "--cache-dir", str(work / f"cache-{index}")]
        runs["cold"].append(full("cold", cached, "cached.json", True))
        runs["warm"].append(full("warm", cached, "cached.json", True))
        say(
            f"round {index + 1}: "
            + ", ".join(f"{runs[role][-1].name} {runs[role][-1].wall:.2f} s" for role in roles)
        )
    floor_best, jobs1, jobsn, cold, warm = (best_of(runs[role]) for role in roles)
    facts = {k: float(v) for k, v in floor_best.detail.items() if isinstance(v, (int, float))}
    files = int(facts["files"])
    say(
        f"floor: {files} files, {facts['bytes'] / 1e6:.1f} MB, {int(facts['lines'])} lines: "
        f"parse {facts['parse_seconds']:.2f} s (discovery {facts['discovery_seconds']:.2f} s)"
    )
    identical = (work / "jobs1.json").read_bytes() == (work / "jobsn.json").read_bytes()
    cached_identical = (work / "cached.json").read_bytes() == (work / "jobs1.json").read_bytes()
    report = json.loads((work / "jobs1.json").read_text(encoding="utf-8"))
    findings = len(report["findings"])
    any_count = sum(1 for finding in report["findings"] if finding["rule_id"] == "no-explicit-any")
    suppressed = int(report["summary"].get("suppressed", 0))

    version_runs = [
        run_measured("version", [*cli, "--version"], target, env) for _ in range(args.version_runs)
    ]
    version = min(version_runs, key=lambda m: m.wall)
    version.wall = statistics.median(m.wall for m in version_runs)
    version.detail["runs_wall"] = [round(m.wall, 3) for m in version_runs]
    python_runs = [
        run_measured("python", [python, "-c", "pass"], target, env)
        for _ in range(args.version_runs)
    ]
    python_startup = statistics.median(m.wall for m in python_runs)
    say(f"version: {version.wall:.3f} s (bare python: {python_startup:.3f} s)")

    measurements = [floor_best, jobs1, jobsn, cold, warm, version]
    eslint_dir = None if args.no_eslint else find_eslint(args.eslint_dir)
    eslint = None
    if eslint_dir is not None:
        eslint = best_of(
            [measure_eslint(eslint_dir, target, work, env) for _ in range(max(1, repeat))]
        )
        measurements.append(eslint)
        say(
            f"eslint (no-explicit-any only): {eslint.wall:.2f} s, "
            f"{eslint.detail.get('files')} files, {eslint.detail.get('no_explicit_any')} "
            f"no-explicit-any (nextaudit: {any_count}, plus {suppressed} findings of any rule"
            " silenced by nextaudit-ignore comments, which ESLint does not read)"
        )
    elif not args.no_eslint:
        say("eslint: not found (see bench/README.md to set one up); skipped")

    floor_wall = facts["parse_seconds"]
    floor_cpu = facts["parse_cpu_seconds"]
    ratios: dict[str, float] = {
        "full_over_floor": ratio(jobs1.wall, floor_wall),
        "full_over_floor_cpu": ratio(jobs1.cpu, floor_cpu),
        "jobs1_over_jobsN": ratio(jobs1.wall, jobsn.wall),
        "warm_over_cold": ratio(warm.wall, cold.wall),
        "jobsN_over_floor": ratio(jobsn.wall, floor_wall),
    }
    # The same ratios within each round (same machine load), and their median.
    per_round = {
        "full_over_floor": [
            ratio(j.wall, float(str(f.detail["parse_seconds"])))
            for f, j in zip(runs["floor"], runs["jobs1"], strict=True)
        ],
        "jobs1_over_jobsN": [
            ratio(a.wall, b.wall) for a, b in zip(runs["jobs1"], runs["jobsN"], strict=True)
        ],
        "warm_over_cold": [
            ratio(w.wall, c.wall) for c, w in zip(runs["cold"], runs["warm"], strict=True)
        ],
    }
    for name, values in per_round.items():
        ratios[f"{name}_median_of_rounds"] = statistics.median(values)
    if eslint is not None:
        ratios["eslint_over_jobs1"] = ratio(eslint.wall, jobs1.wall)
        ratios["eslint_over_jobsN"] = ratio(eslint.wall, jobsn.wall)
    # The ratio targets are judged on the median of the rounds' own ratios: each is
    # measured side by side, under one load. The best-of ratios divide the best run of
    # one kind by the best of another, often from different rounds, so one quiet
    # moment for one side moves them (they are reported beside, in `ratios`).
    targets_met = {
        "full_over_floor <= 1.5": ratios["full_over_floor_median_of_rounds"]
        <= TARGETS["full_over_floor"],
        "warm_over_cold <= 0.15": ratios["warm_over_cold_median_of_rounds"]
        <= TARGETS["warm_over_cold"],
        "version <= 0.25 s": version.wall <= TARGETS["version_seconds"],
    }
    if jobs >= 2:
        targets_met[f"jobs1_over_jobs{jobs} >= 1.6"] = (
            ratios["jobs1_over_jobsN_median_of_rounds"] >= TARGETS["speedup_2_cores"]
        )
    peak = max(m.peak_rss_mb for m in (jobs1, jobsn, cold, warm))
    targets_met[
        "peak RSS <= 400 MB" + (" (target is set at 20k files)" if files < 20000 else "")
    ] = peak <= TARGETS["peak_rss_mb_20k"]
    return {
        "target": str(target),
        "generated": args.generate,
        "files": files,
        "bytes": int(facts["bytes"]),
        "lines": int(facts["lines"]),
        "findings": findings,
        "no_explicit_any": any_count,
        "jobs": jobs,
        "repeat": repeat,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "usable_cpus": usable_cpus(),
            "load_average_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        },
        "floor_seconds": floor_wall,
        "floor_cpu_seconds": floor_cpu,
        "discovery_seconds": facts["discovery_seconds"],
        "python_startup_seconds": python_startup,
        "reports_identical_jobs1_jobsN": identical,
        "reports_identical_cached": cached_identical,
        "measurements": [asdict(m) for m in measurements],
        "ratios": ratios,
        "ratios_by_round": per_round,
        "targets_met": targets_met,
    }


def prepare_target(args: argparse.Namespace, work: Path) -> Path:
    if args.generate:
        sys.path.insert(0, str(BENCH_DIR))
        import generate

        out = args.out or work / f"generated-{args.generate}"
        say(f"generating {args.generate} files in {out} ...")
        generate.generate(args.generate, out)
        return out.resolve()
    if args.target is None:
        raise SystemExit("give a directory or --generate N")
    target = Path(args.target).resolve()
    if not target.is_dir():
        raise SystemExit(f"not a directory: {target}")
    return target


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def print_summary(result: dict[str, object]) -> None:
    rows = result["measurements"]
    assert isinstance(rows, list)
    print()
    print(f"{'measurement':<14} {'wall s':>8} {'CPU s':>8} {'peak RSS MB':>12} {'tree RSS MB':>12}")
    for row in rows:
        tree = row["tree_peak_rss_mb"]
        wall, cpu = row["wall"], row["cpu"]
        if row["name"] == "floor":  # the parse loop alone, not the start-up and discovery
            wall, cpu = row["detail"]["parse_seconds"], row["detail"]["parse_cpu_seconds"]
        print(
            f"{row['name']:<14} {wall:>8.3f} {cpu:>8.2f} {row['peak_rss_mb']:>12.0f} "
            f"{'' if tree is None else f'{tree:.0f}':>12}"
        )
    print()
    ratios = result["ratios"]
    assert isinstance(ratios, dict)
    for name, value in ratios.items():
        print(f"{name:<36} {value:6.2f}")
    print()
    print(f"reports identical for --jobs 1 and --jobs N: {result['reports_identical_jobs1_jobsN']}")
    print(f"warm (cached) report identical:             {result['reports_identical_cached']}")
    targets = result["targets_met"]
    assert isinstance(targets, dict)
    print("(ratio targets judged on the median of the rounds' own ratios; best-of above)")
    for name, met in targets.items():
        print(f"target {name:<50} {'met' if met else 'NOT met'}")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="nextaudit benchmark (see bench/README.md)")
    parser.add_argument("target", nargs="?", help="directory to analyse")
    parser.add_argument("--generate", type=int, metavar="N", help="generate N files and use them")
    parser.add_argument("--out", type=Path, help="where --generate writes (default: temporary)")
    parser.add_argument("--jobs", type=int, help="jobs for the parallel runs (default: CPUs)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="interleaved rounds (targets: median of rounds)"
    )
    parser.add_argument("--version-runs", type=int, default=7, help="runs of --version")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--eslint-dir", type=Path, help="directory with node_modules/eslint")
    parser.add_argument("--no-eslint", action="store_true", help="do not look for ESLint")
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor:
        return floor_main(Path(args.target or "."))
    result = bench(args)
    print_summary(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
