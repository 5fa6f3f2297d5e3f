"""Run the enabled rules over files and collect findings in a deterministic order."""

from __future__ import annotations

import functools
import os
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import tree_sitter as ts

from nextaudit.analysis.syntax import bind_tree
from nextaudit.cache import Cache, Record, Stamp, blob_digest, entry_key, file_context
from nextaudit.context import CollectContext, RuleContext
from nextaudit.findings import Finding, Notice, Severity, sort_findings
from nextaudit.nextjs_roles import Role, role_of
from nextaudit.registry import FactCollector, FileCheck, Registry, Rule, default_registry
from nextaudit.source import SourceFile
from nextaudit.suppressions import Suppression, source_suppressions

if TYPE_CHECKING:
    from nextaudit.analysis.prefilter import Needs, NeedsTable

SYNTAX_ERROR = "syntax-error"


@dataclass(frozen=True)
class RuleSetting:
    """A rule as it applies to one file: its severity and effective options."""

    rule_id: str
    severity: Severity
    options: tuple[tuple[str, object], ...] = ()

    @property
    def options_map(self) -> dict[str, object]:
        return dict(self.options)


@dataclass(frozen=True)
class CollectPlan:
    """The project rules whose per-file collectors run with the file rules, and the
    scanned roots (absolute POSIX) their project checks will see."""

    settings: tuple[RuleSetting, ...] = ()
    roots: tuple[str, ...] = ()


NO_COLLECTING = CollectPlan()


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    analysed: bool = True
    suppressions: list[Suppression] = field(default_factory=list)
    # What project rules' collectors found in this file, by rule id (see
    # registry.FactCollector); a rule is absent when its collector did not run.
    facts: dict[str, object] = field(default_factory=dict)
    # Where the result sits in the cache, when it was read from it or may be stored
    # in it (the parent writes the index at the end of a run).
    cache_record: Record | None = None


def first_syntax_error(tree: ts.Tree) -> ts.Node | None:
    """The first ERROR or MISSING node in source order, found without recursion."""
    node = tree.root_node
    if not node.has_error:
        return None
    while True:
        for child in node.children:
            if child.is_error or child.is_missing:
                return child
            if child.has_error:
                node = child
                break
        else:
            return node if node.is_error or node.is_missing else None


def syntax_error_finding(source: SourceFile, severity: Severity = Severity.NOTE) -> Finding | None:
    error = first_syntax_error(source.tree)
    if error is None:
        return None
    location = source.location(error)
    what = f"missing {error.type!r}" if error.is_missing else "unexpected syntax"
    return Finding(
        rule_id=SYNTAX_ERROR,
        severity=severity,
        message=(
            f"File did not parse cleanly ({what} at {location.line}:{location.column});"
            " rules ran on the parts that parsed"
        ),
        path=source.path,
        location=location,
        # The line may hold a key: redact before cutting, or a cut key would not be
        # recognised and its first characters would show.
        snippet=_redact(source.line_text(location.line).strip())[:120],
    )


def analyze_source(
    source: SourceFile,
    settings: Sequence[RuleSetting],
    registry: Registry | None = None,
    verbose: bool = False,
    collect: CollectPlan = NO_COLLECTING,
) -> FileResult:
    """Every file rule in `settings` over one parsed file, and the per-file collectors
    of the project rules in `collect`; a crashing rule becomes a fatal Notice and the
    other rules still run."""
    registry = registry or default_registry()
    result = FileResult(source.path)
    bind_tree(source.root)
    try:
        _run_rules(source, settings, registry, verbose, result)
        _collect_facts(source, collect, registry, verbose, result)
    finally:
        bind_tree(None)
    result.findings = sort_findings(result.findings)
    return result


def _run_rules(
    source: SourceFile,
    settings: Sequence[RuleSetting],
    registry: Registry,
    verbose: bool,
    result: FileResult,
) -> None:
    bound, table = _bound_checks(settings, registry)
    # Which checks the file meets the needs of, all at once (see NeedsTable).
    met = table.met(source)
    for (setting, rule, check, options, _needs), needs_met in zip(bound, met, strict=True):
        if rule is None or check is None:  # syntax-error
            finding = syntax_error_finding(source, setting.severity)
            if finding is not None:
                result.findings.append(finding)
            continue
        if not needs_met:
            continue  # the file cannot hold what the rule reports
        ctx = RuleContext(rule, setting.severity, options, source)
        try:
            check(source, ctx)
        except Exception as exc:  # a bug in one rule must not stop the run
            result.notices.append(_crash_notice(source.path, rule.id, exc, verbose))
            continue
        result.findings.extend(ctx.findings)


# (setting, rule, check, options, what a file needs for the check to report anything);
# rule and check are None for syntax-error.
_BoundCheck = tuple[
    RuleSetting, Rule | None, FileCheck | None, Mapping[str, object], "Needs | None"
]
# Settings tuples are shared by every file with the same effective rules: their rules,
# checks and option maps are looked up once per tuple, not once per file and rule.
# Keyed by id(); the tuple is kept in the value so its id cannot be reused.
_BOUND: dict[int, tuple[Sequence[RuleSetting], Registry, tuple[list[_BoundCheck], NeedsTable]]] = {}
_MAX_BOUND = 256


def _bound_checks(
    settings: Sequence[RuleSetting], registry: Registry
) -> tuple[list[_BoundCheck], NeedsTable]:
    """The checks of a settings tuple, and the table of their needs."""
    found = _BOUND.get(id(settings))
    if found is not None and found[0] is settings and found[1] is registry:
        return found[2]
    bound: list[_BoundCheck] = []
    for setting in settings:
        if setting.rule_id == SYNTAX_ERROR:
            bound.append((setting, None, None, {}, None))
            continue
        rule = registry[setting.rule_id]
        if rule.kind == "file":
            # Read-only: every file's context shares it.
            options = MappingProxyType(setting.options_map)
            check = registry.file_check(rule.id)
            bound.append((setting, rule, check, options, registry.file_needs(rule.id, options)))
    from nextaudit.analysis.prefilter import NeedsTable  # not needed by a warm run

    table = NeedsTable([needs for *_, needs in bound])
    if len(_BOUND) >= _MAX_BOUND:
        _BOUND.clear()
    _BOUND[id(settings)] = (settings, registry, (bound, table))
    return bound, table


def _collect_facts(
    source: SourceFile,
    collect: CollectPlan,
    registry: Registry,
    verbose: bool,
    result: FileResult,
) -> None:
    if not collect.settings:
        return
    for rule_id, collector, ctx in _bound_collectors(collect, registry):
        try:
            result.facts[rule_id] = collector(source, ctx)
        except Exception as exc:  # the project rule parses the file itself instead
            result.notices.append(_crash_notice(source.path, rule_id, exc, verbose))


# Collectors and their contexts, looked up once per plan (a context holds nothing of a
# file); keyed by id() like _BOUND, the plan kept in the value.
_BOUND_COLLECTORS: dict[
    int, tuple[CollectPlan, Registry, list[tuple[str, FactCollector, CollectContext]]]
] = {}


def _bound_collectors(
    collect: CollectPlan, registry: Registry
) -> list[tuple[str, FactCollector, CollectContext]]:
    found = _BOUND_COLLECTORS.get(id(collect))
    if found is not None and found[0] is collect and found[1] is registry:
        return found[2]
    bound = []
    for setting in collect.settings:
        collector = registry.fact_collector(setting.rule_id)
        if collector is not None:
            rule = registry[setting.rule_id]
            options = MappingProxyType(setting.options_map)
            ctx = CollectContext(rule, setting.severity, options, collect.roots)
            bound.append((rule.id, collector, ctx))
    if len(_BOUND_COLLECTORS) >= _MAX_BOUND:
        _BOUND_COLLECTORS.clear()
    _BOUND_COLLECTORS[id(collect)] = (collect, registry, bound)
    return bound


def _redact(text: str) -> str:
    # Imported when first needed: the key patterns take ~20 ms to compile, and a
    # warm run (every file from the cache) never needs them.
    from nextaudit.analysis.secrets import redact_secrets

    return redact_secrets(text)


def _crash_notice(path: str, rule_id: str, exc: Exception, verbose: bool) -> Notice:
    # An exception's text may quote the source, and so a key in it.
    reason = _redact(f"{type(exc).__name__}: {exc}".splitlines()[0])
    return Notice(
        path=path,
        message=f"rule {rule_id} crashed: {reason}",
        kind="rule-crash",
        fatal=True,
        detail=_redact(traceback.format_exc()) if verbose else "",
    )


def read_and_analyze(
    path: str,
    rel_path: str,
    settings: Sequence[RuleSetting],
    max_file_size: int,
    verbose: bool = False,
    cache_dir: str | None = None,
    settings_hash: str = "",
    collect: CollectPlan = NO_COLLECTING,
    stamp: Stamp | None = None,
) -> FileResult:
    """Read, parse and analyse one file; unreadable or oversized files become notices.

    With a cache directory, a file whose bytes, path, settings and context are
    unchanged since an earlier run is answered from the cache without parsing; with
    its `stamp` (cache.stamp_of) unchanged too, without reading it.
    """
    record = None
    if cache_dir is not None:
        lookup = _cache_lookup(path, rel_path, max_file_size, cache_dir, settings_hash, stamp)
        if isinstance(lookup, FileResult):
            return lookup
        record, raw = lookup
    else:
        read = _read_source(path, max_file_size)
        if isinstance(read, FileResult):
            return read
        raw = read
    source = SourceFile.from_bytes(path, rel_path, raw)
    result = analyze_source(source, settings, verbose=verbose, collect=collect)
    result.suppressions = source_suppressions(source)
    if source.encoding.endswith("-replaced"):
        codec = "UTF-16" if source.encoding.startswith("utf-16") else "UTF-8"
        result.notices.append(
            Notice(path, f"not valid {codec}: undecodable bytes were replaced", "encoding")
        )
    elif "\0" in source.text:  # not `raw`: UTF-16 text is full of NUL bytes
        result.notices.append(Notice(path, "contains NUL bytes", "encoding"))
    if not any(n.fatal for n in result.notices):
        result.cache_record = record
    return result


def cached_result(
    path: str,
    rel_path: str,
    max_file_size: int,
    cache_dir: str,
    settings_hash: str,
    stamp: Stamp | None = None,
) -> FileResult | None:
    """The file's result from the cache, or None when it has to be analysed (a file
    that cannot be read is left to read_and_analyze, which reports it)."""
    lookup = _cache_lookup(path, rel_path, max_file_size, cache_dir, settings_hash, stamp)
    if isinstance(lookup, FileResult) and lookup.cache_record is not None:
        return lookup
    return None


def _read_source(path: str, max_file_size: int) -> bytes | FileResult:
    """The file's bytes, or the result of a file that is not analysed."""
    try:
        # One open, then the size of what was opened (a stat by path, then an open,
        # looked the path up twice).
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_file_size:
                return FileResult(
                    path,
                    notices=[
                        Notice(
                            path,
                            f"skipped: {size} bytes is over max-file-size ({max_file_size} bytes)",
                            "file-too-large",
                        )
                    ],
                    analysed=False,
                )
            raw = handle.read()
    except OSError as exc:
        return FileResult(
            path,
            notices=[Notice(path, f"could not read file: {exc.strerror or exc}", "unreadable")],
            analysed=False,
        )
    if looks_binary(raw):
        return FileResult(
            path,
            notices=[Notice(path, "skipped: binary file (NUL bytes)", "binary")],
            analysed=False,
        )
    return raw


def _cache_lookup(
    path: str,
    rel_path: str,
    max_file_size: int,
    cache_dir: str,
    settings_hash: str,
    stamp: Stamp | None,
) -> FileResult | tuple[Record, bytes]:
    """The cached result (a FileResult with its cache_record), the result of a file
    that is not analysed (no record), or, on a miss, the file's record and bytes."""
    cache = cache_for(cache_dir)
    # Only route files have a context; the name test spares role_of's PurePosixPath
    # for the others (this runs for every file of a warm run).
    is_route = rel_path.rpartition("/")[2].startswith("route.") and role_of(rel_path) is Role.ROUTE
    context = file_context(path, is_route)
    # A stamp over max-file-size is not trusted: the limit may have been lowered.
    blob = cache.known_blob(path, stamp) if stamp and stamp[0] <= max_file_size else None
    if blob is not None:
        hit = _hit(cache, path, blob, stamp, entry_key(blob, rel_path, settings_hash, context))
        if hit is not None:
            return hit
    raw = _read_source(path, max_file_size)
    if isinstance(raw, FileResult):
        return raw
    blob = blob_digest(raw)
    key = entry_key(blob, rel_path, settings_hash, context)
    return _hit(cache, path, blob, stamp, key) or (Record(blob, stamp, key), raw)


def _hit(cache: Cache, path: str, blob: str, stamp: Stamp | None, key: str) -> FileResult | None:
    found = cache.get(path, key)
    if found is None:
        return None
    (findings, notices, suppressions, facts), stored = found
    record = Record(blob, stamp, key, stored)
    return FileResult(path, findings, notices, True, suppressions, facts, record)


@functools.cache
def cache_for(cache_dir: str) -> Cache:
    """The process's Cache object for a directory (it keeps the loaded index)."""
    return Cache(Path(cache_dir))


def looks_binary(raw: bytes) -> bool:
    """Binary, not text with a stray NUL: many NULs or control bytes in the first 8 KiB.
    UTF-16 (which is full of NULs) is recognised by its byte order mark."""
    sample = raw[:8192]
    if b"\0" not in sample or raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    control = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 12, 13))
    return control > len(sample) // 20


def settings_from(
    registry: Registry, overrides: Mapping[str, Mapping[str, object]] | None = None
) -> list[RuleSetting]:
    """Default settings of every enabled file rule, with optional per-rule options."""
    overrides = overrides or {}
    out = []
    for rule in registry.rules.values():
        if rule.kind == "project" or not rule.enabled:
            continue
        options = {**rule.default_options(), **overrides.get(rule.id, {})}
        out.append(RuleSetting(rule.id, rule.severity, tuple(sorted(options.items()))))
    return out
