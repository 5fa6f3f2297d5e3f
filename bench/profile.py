#!/usr/bin/env python3
"""Where the time of a full run goes, phase by phase and rule by rule, in-process.

    python bench/profile.py /tmp/bench-5k            # every file
    python bench/profile.py /tmp/bench-5k --step 4   # every 4th file (quicker)

The phases of `nextaudit --jobs 1` are timed separately, with CPU time (so other
load on the machine disturbs them less): discovery, read + parse (the floor), each
file rule, suppressions, the per-file halves of project rules, each project rule.
Times are exclusive: the tree walks of whole-tree queries (the batched one and
single patterns) and query compilation are shown on their own lines, not in the
rule that happened to ask first. For a call-level profile of the real CLI use
pyinstrument or cProfile (README).
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
from nextaudit.analysis.prefilter import Needs  # noqa: E402
from nextaudit.analysis.syntax import bind_tree  # noqa: E402
from nextaudit.config import find_config, load_config, project_root  # noqa: E402
from nextaudit.context import CollectContext, RuleContext  # noqa: E402
from nextaudit.discovery import discover, find_git_root  # noqa: E402
from nextaudit.engine import (  # noqa: E402
    SYNTAX_ERROR,
    RuleSetting,
    syntax_error_finding,
)
from nextaudit.project import Project  # noqa: E402
from nextaudit.registry import Registry, default_registry  # noqa: E402
from nextaudit.runner import run_project_rule  # noqa: E402
from nextaudit.suppressions import source_suppressions  # noqa: E402

T = TypeVar("T")


class Clock:
    """CPU seconds by label, exclusive: time spent in a nested `time()` (a query
    compiled or a tree walked while a rule runs) counts for the inner label only."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}
        self._nested: list[float] = []  # per open call: time taken by calls inside it

    def time(self, label: str, work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        start = time.process_time()
        self._nested.append(0.0)
        try:
            return work(*args, **kwargs)
        finally:
            elapsed = time.process_time() - start
            inner = self._nested.pop()
            self.spent[label] = self.spent.get(label, 0.0) + elapsed - inner
            if self._nested:
                self._nested[-1] += elapsed


def count_walks(clock: Clock) -> None:
    """Time the tree walks of whole-tree queries, batched and single, apart from the
    rules that ask for them (the first rule to ask a file runs the walk)."""
    source_file = source_mod.SourceFile
    batched = source_file._batched_matches
    run_matches = source_file._run_matches
    run_captures = source_file._run_captures

    def timed_batched(self: Any, pattern: str) -> Any:
        return clock.time("(batched whole-tree query)", batched, self, pattern)

    def timed_matches(self: Any, pattern: str, node: Any) -> Any:
        label = "(single-pattern walks)" if node == self.root else "(subtree queries)"
        return clock.time(label, run_matches, self, pattern, node)

    def timed_captures(self: Any, pattern: str, node: Any) -> Any:
        label = "(single-pattern walks)" if node == self.root else "(subtree queries)"
        return clock.time(label, run_captures, self, pattern, node)

    source_file._batched_matches = timed_batched  # type: ignore[method-assign]
    source_file._run_matches = timed_matches  # type: ignore[method-assign]
    source_file._run_captures = timed_captures  # type: ignore[method-assign]


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


# What each setting's rule needs of a file (the setting is kept: its id stays unique).
_NEEDS: dict[int, tuple[RuleSetting, Needs | None]] = {}


def run_check(source: source_mod.SourceFile, setting: RuleSetting, registry: Registry) -> None:
    """One rule over one file, as the engine runs it, without the engine's once-per-file
    work (binding the tree, sorting findings) that timing analyze_source per rule
    would add to every rule."""
    if setting.rule_id == SYNTAX_ERROR:
        syntax_error_finding(source, setting.severity)
        return
    rule = registry[setting.rule_id]
    if rule.kind != "file":
        return
    needs = _NEEDS.get(id(setting))
    if needs is None:
        needs = _NEEDS[id(setting)] = (setting, registry.file_needs(rule.id, setting.options_map))
    if needs[1] is not None and not needs[1].met_by(source):
        return  # the engine skips the check on such a file, as here
    ctx = RuleContext(rule, setting.severity, setting.options_map, source)
    bind_tree(source.root)
    try:
        registry.file_check(rule.id)(source, ctx)
    finally:
        bind_tree(None)


def run_collector(
    source: source_mod.SourceFile, setting: RuleSetting, registry: Registry, root: Path
) -> object:
    """A project rule's per-file half, without the engine's once-per-file work."""
    rule = registry[setting.rule_id]
    collector = registry.fact_collector(rule.id)
    assert collector is not None
    ctx = CollectContext(rule, setting.severity, setting.options_map, (root.as_posix(),))
    return collector(source, ctx)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("target", type=Path)
    parser.add_argument("--step", type=int, default=1, help="every STEP-th file only")
    args = parser.parse_args(argv)
    target = args.target.resolve()
    os.chdir(target)
    clock = Clock()
    count_compiles(clock)
    count_walks(clock)

    registry = default_registry()
    config_path = find_config(target, find_git_root(target))
    root = config_path.parent if config_path else project_root([target])
    config = load_config(config_path, registry, root)
    found = clock.time("discovery", discover, [target], config.root, excluded=config.path_filter)
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
        for setting in config.file_settings(rel):
            clock.time(setting.rule_id, run_check, source, setting, registry)
        clock.time("(suppressions)", source_suppressions, source)
        for setting in collecting:  # a project rule's per-file half, as the engine runs it
            label = f"{setting.rule_id} (collect)"
            found = clock.time(label, run_collector, source, setting, registry, target)
            facts.setdefault(source.path, {})[setting.rule_id] = found

    # Project rules see the chosen files only, so that --step scales them too.
    build = Project.build
    project = clock.time("(project: build)", build, target, chosen, excluded=config.path_filter)
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
