"""Rule metadata from `rules/*.yml`, bound to the checks in `nextaudit.checks`.

The YAML file is the one place a rule is described: its id, severity, message,
options, docs and examples. Every YAML rule of kind `file` or `project` must have a
check module and every check module must have a YAML file; `validate()` enforces both.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from nextaudit.findings import Severity
from nextaudit.rules_index import rule_file_data

if TYPE_CHECKING:
    from nextaudit.analysis.prefilter import Needs
    from nextaudit.context import CollectContext, ProjectContext, RuleContext
    from nextaudit.project import Project
    from nextaudit.source import SourceFile

OPTION_TYPES = ("bool", "int", "string", "string-list", "glob-list", "regex-list")
RULE_KINDS = ("file", "project", "tool")


class RegistryError(Exception):
    """A rule's YAML or its binding to a check is broken (a bug in nextaudit itself)."""


@dataclass(frozen=True)
class OptionSpec:
    name: str
    type: str
    default: object
    description: str


@dataclass(frozen=True)
class Example:
    code: str
    path: str
    lines: tuple[int, ...] = ()
    options: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    checklist: str
    severity: Severity
    message: str
    kind: str
    tags: tuple[str, ...]
    options: Mapping[str, OptionSpec]
    docs: Mapping[str, str]
    valid: tuple[Example, ...]
    invalid: tuple[Example, ...]
    enabled: bool = True
    precision: str = "high"
    security_severity: str | None = None
    cwe: int | None = None
    source_file: str = ""

    def default_options(self) -> dict[str, object]:
        return {name: spec.default for name, spec in self.options.items()}

    @property
    def is_security(self) -> bool:
        return self.security_severity is not None or "security" in self.tags


class FileCheck(Protocol):
    def __call__(self, source: SourceFile, ctx: RuleContext) -> None: ...


class ProjectCheck(Protocol):
    def __call__(self, project: Project, ctx: ProjectContext) -> None: ...


class FactCollector(Protocol):
    """A project rule's per-file part (optional `collect(source, ctx)` in its module):
    it runs while each file is analysed, in the worker that parsed it, and returns
    JSON-able facts (or None) that the project check reads from `Project.collected`
    instead of parsing the file again. The facts are stored in the result cache as
    they are: source text in them must go through `secrets.redact_secrets` first."""

    def __call__(self, source: SourceFile, ctx: CollectContext) -> object: ...


def rules_dir() -> Path:
    """`rules/` beside the package in a checkout, `nextaudit/_rules` in a wheel."""
    # By the package's own path, not importlib.resources (a 5 ms import at every
    # start): the wheel installs the package as files, never zipped.
    package = Path(__file__).resolve().parent
    packaged = package / "_rules"
    if packaged.is_dir():
        return packaged
    checkout = package.parent / "rules"
    if checkout.is_dir():
        return checkout
    raise RegistryError("nextaudit's rules/ directory is missing from this installation")


def module_name(rule_id: str) -> str:
    return "nextaudit.checks." + rule_id.replace("-", "_")


def _require(data: Mapping[str, object], key: str, kind: type, where: str) -> object:
    value = data.get(key)
    if not isinstance(value, kind):
        raise RegistryError(f"{where}: `{key}` must be a {kind.__name__}")
    return value


def _examples(raw: object, default_path: str, where: str, invalid: bool) -> tuple[Example, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RegistryError(f"{where}: examples must be a list")
    out: list[Example] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            raise RegistryError(f"{where}: each example needs `code`")
        lines = item.get("lines", [])
        if invalid and not lines:
            raise RegistryError(f"{where}: an invalid example needs its expected `lines`")
        out.append(
            Example(
                code=item["code"],
                path=str(item.get("path", default_path)),
                lines=tuple(int(n) for n in lines),
                options=dict(item.get("options", {})),
            )
        )
    return tuple(out)


def parse_rule(data: Mapping[str, object], where: str) -> Rule:
    rule_id = cast(str, _require(data, "id", str, where))
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", rule_id):
        raise RegistryError(f"{where}: rule id {rule_id!r} is not kebab-case")
    kind = str(data.get("kind", "file"))
    if kind not in RULE_KINDS:
        raise RegistryError(f"{where}: kind must be one of {RULE_KINDS}")
    options: dict[str, OptionSpec] = {}
    raw_options = data.get("options") or {}
    if not isinstance(raw_options, dict):
        raise RegistryError(f"{where}: options must be a mapping")
    for name, spec in raw_options.items():
        if not isinstance(spec, dict) or spec.get("type") not in OPTION_TYPES:
            raise RegistryError(f"{where}: option {name!r} needs a type in {OPTION_TYPES}")
        options[name] = OptionSpec(
            name, spec["type"], spec.get("default"), str(spec.get("description", ""))
        )
    docs = cast(dict[str, str], _require(data, "docs", dict, where))
    for key in ("what", "why", "example", "use-instead"):
        if not isinstance(docs.get(key), str) and kind != "tool":
            raise RegistryError(f"{where}: docs.{key} is required")
    examples = data.get("examples") or {}
    if not isinstance(examples, dict):
        raise RegistryError(f"{where}: examples must be a mapping with valid/invalid")
    default_path = str(examples.get("path", "lib/example.ts"))
    security_severity = data.get("security-severity")
    cwe = data.get("cwe")
    return Rule(
        id=rule_id,
        title=cast(str, _require(data, "title", str, where)),
        checklist=str(data.get("checklist", "")),
        severity=Severity.parse(cast(str, _require(data, "severity", str, where))),
        message=cast(str, _require(data, "message", str, where)),
        kind=kind,
        tags=tuple(str(t) for t in cast(list[object], data.get("tags") or [])),
        options=options,
        docs={k: str(v) for k, v in docs.items()},
        valid=_examples(examples.get("valid"), default_path, where, invalid=False),
        invalid=_examples(examples.get("invalid"), default_path, where, invalid=True),
        enabled=bool(data.get("enabled", True)),
        precision=str(data.get("precision", "high")),
        security_severity=None if security_severity is None else str(security_severity),
        cwe=None if cwe is None else int(cast(int, cwe)),
        source_file=where,
    )


class Registry:
    """Every known rule, in id order."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: dict[str, Rule] = {r.id: r for r in sorted(rules, key=lambda r: r.id)}

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self.rules

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules.values())

    def ids(self) -> list[str]:
        return list(self.rules)

    def checkable(self) -> list[Rule]:
        return [r for r in self.rules.values() if r.kind != "tool"]

    def file_check(self, rule_id: str) -> FileCheck:
        return cast(FileCheck, _load_check(rule_id, "check"))

    def project_check(self, rule_id: str) -> ProjectCheck:
        return cast(ProjectCheck, _load_check(rule_id, "check_project"))

    def file_needs(self, rule_id: str, options: Mapping[str, object]) -> Needs | None:
        """What a file must hold for the file rule to report anything in it: the
        module's `NEEDS`, or `needs(options)` when it depends on the options."""
        from nextaudit.analysis.prefilter import Needs

        _load_check(rule_id, "check")
        module = importlib.import_module(module_name(rule_id))
        build = getattr(module, "needs", None)
        if callable(build):  # the effective options: the rule's defaults, then the config's
            found = build({**self.rules[rule_id].default_options(), **options})
        else:
            found = getattr(module, "NEEDS", None)
        if found is not None and not isinstance(found, Needs):
            raise RegistryError(
                f"{module_name(rule_id)}: NEEDS / needs() must give prefilter.Needs"
            )
        return found

    def fact_collector(self, rule_id: str) -> FactCollector | None:
        """The project rule's `collect`, when its module defines one."""
        _load_check(rule_id, "check_project")
        module = importlib.import_module(module_name(rule_id))
        collect = getattr(module, "collect", None)
        return cast(FactCollector, collect) if callable(collect) else None

    def validate(self) -> None:
        """Both ways: each checkable rule has its check, each check module its YAML."""
        for rule in self.checkable():
            self.file_check(rule.id) if rule.kind == "file" else self.project_check(rule.id)
        checks_dir = Path(__file__).parent / "checks"
        for module in sorted(checks_dir.glob("*.py")):
            if module.stem.startswith("_"):
                continue
            rule_id = module.stem.replace("_", "-")
            if rule_id not in self.rules:
                raise RegistryError(f"check module {module.name} has no rules/{rule_id}.yml")


@functools.cache
def _load_check(rule_id: str, attribute: str) -> Callable[..., None]:
    try:
        module = importlib.import_module(module_name(rule_id))
    except ModuleNotFoundError as exc:
        raise RegistryError(f"rule {rule_id} has no check module {module_name(rule_id)}") from exc
    check = getattr(module, attribute, None)
    if not callable(check):
        raise RegistryError(f"{module_name(rule_id)} defines no {attribute}()")
    return cast(Callable[..., None], check)


def load_rule_files(paths: Sequence[Path]) -> list[Rule]:
    rules: list[Rule] = []
    # From the rules' JSON index where it is current (see rules_index), else the YAML.
    for path, data in rule_file_data(paths):
        if not isinstance(data, dict):
            raise RegistryError(f"{path.name}: not a mapping")
        rule = parse_rule(data, path.name)
        if rule.id != path.stem:
            raise RegistryError(f"{path.name}: id {rule.id!r} does not match the file name")
        rules.append(rule)
    return rules


@functools.cache
def default_registry() -> Registry:
    return Registry(load_rule_files(sorted(rules_dir().glob("*.yml"))))
