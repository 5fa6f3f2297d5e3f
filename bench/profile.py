#!/usr/bin/env python3
"""Where the time of a full run goes, phase by phase and rule by rule, in-process.

    python bench/profile.py /tmp/bench-5k            # every file
    python bench/profile.py /tmp/bench-5k --step 4   # every 4th file (quicker)

The phases of `nextaudit --jobs 1` are timed separately, with CPU time (so other
load on the machine disturbs them less): discovery, read + parse (the floor), the
batched whole-tree query, each file rule, suppressions, each project rule, and the
compilation of tree-sitter queries. Each rule runs alone over each file after the
batched query has run, so its time is its own (the batch is shown on its own line).
For a call-level profile of the real CLI use pyinstrument or cProfile (README).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tree_sitter import Query

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import nextaudit.source as source_mod  # noqa: E402
from nextaudit.config import find_config, load_config, project_root  # noqa: E402
from nextaudit.discovery import discover, find_git_root  # noqa: E402
from nextaudit.engine import CollectPlan, analyze_source  # noqa: E402
from nextaudit.project import Project  # noqa: E402
from nextaudit.registry import default_registry  # noqa: E402
from nextaudit.runner import run_project_rule  # noqa: E402
from nextaudit.suppressions import source_suppressions  # noqa: E402

T = TypeVar("T")


class Clock:
    """CPU seconds by label."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def time(self, label: str, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        start = time.process_time()
        try:
            return work(*args, **kwargs)
        finally:
            self.spent[label] = self.spent.get(label, 0.0) + time.process_time() - start


def count_compiles(clock: Clock) -> None:
    """Time every tree-sitter query compilation (single patterns and batches)."""
    single = source_mod.compiled_query.__wrapped__
    together = source_mod._compile_together

    def timed_single(grammar: str, pattern: str) -> Query:
        return clock.time("(compile queries)", single, grammar, pattern)

    def timed_together(grammar: str, patterns: list[str]) -> tuple[Query, list[str]]:
        return clock.time("(compile queries)", together, grammar, patterns)

    source_mod.compiled_query = functools.cache(timed_single)
    source_mod._compile_together = timed_together


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("target", type=Path)
    parser.add_argument("--step", type=int, default=1, help="every STEP-th file only")
    args = parser.parse_args(argv)
    target = args.target.resolve()
    os.chdir(target)
    clock = Clock()
    count_compiles(clock)

    registry = default_registry()
    config_path = find_config(target, find_git_root(target))
    root = config_path.parent if config_path else project_root([target])
    config = load_config(config_path, registry, root)
    found = clock.time("discovery", discover, [target], config.root, excluded=config.is_excluded)
    files = found.files
    chosen = files[:: args.step]

    collecting = [
        s for s in config.project_settings() if registry.fact_collector(s.rule_id) is not None
    ]
    facts: dict[str, dict[str, object]] = {}
    for path in chosen:
        rel = os.path.relpath(path, config.root)
        raw = path.read_bytes()
        from_bytes = source_mod.SourceFile.from_bytes
        source = clock.time("read + parse (the floor)", from_bytes, path.as_posix(), rel, raw)
        batched = sorted(source_mod.QUERY_PLAN.batched)
        if batched:
            clock.time("(batched whole-tree query)", source.nodes, batched[0], "_")
        for setting in config.file_settings(rel):
            clock.time(setting.rule_id, analyze_source, source, [setting], registry)
        clock.time("(suppressions)", source_suppressions, source)
        for setting in collecting:  # a project rule's per-file half, as the engine runs it
            plan = CollectPlan((setting,), (target.as_posix(),))
            label = f"{setting.rule_id} (collect)"
            result = clock.time(label, analyze_source, source, [], registry, collect=plan)
            facts.setdefault(source.path, {}).update(result.facts)

    # Project rules see the chosen files only, so that --step scales them too.
    build = Project.build
    project = clock.time("(project: build)", build, target, chosen, excluded=config.is_excluded)
    project.facts = facts
    for setting in config.project_settings():
        clock.time(f"{setting.rule_id} (project)", run_project_rule, project, setting, registry)
    report(clock, len(chosen), len(files))
    return 0


def report(clock: Clock, analysed: int, discovered: int) -> None:
    parse = clock.spent["read + parse (the floor)"]
    total = sum(clock.spent.values())
    print(f"{analysed} of {discovered} files; CPU seconds, and as a multiple of the parse")
    for label, spent in sorted(clock.spent.items(), key=lambda item: -item[1]):
        print(f"  {label:<36} {spent:8.3f} s  {spent / parse:6.2f}x")
    print(f"  {'total':<36} {total:8.3f} s  {total / parse:6.2f}x")


if __name__ == "__main__":
    sys.exit(main())
