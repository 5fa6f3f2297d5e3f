"""A check's `NEEDS` / `needs(options)`: the engine skips the check, without calling it,
on files that cannot hold what it reports, and never when the filters are off."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import SimpleNamespace

import pytest

from nextaudit import registry as registry_module
from nextaudit.analysis import prefilter
from nextaudit.context import RuleContext
from nextaudit.engine import RuleSetting, analyze_source
from nextaudit.nextjs_roles import Role
from nextaudit.registry import Registry, RegistryError, default_registry
from nextaudit.source import SourceFile

RULE = "no-explicit-any"


def _source(code: str, rel: str = "lib/a.ts") -> SourceFile:
    return SourceFile.from_bytes("/p/" + rel, rel, code.encode("utf-8"))


def _called_on(
    sources: list[SourceFile], needs: prefilter.Needs | None, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """The files the engine called the rule's check on, given its `needs`."""
    called: list[str] = []

    def check(source: SourceFile, ctx: RuleContext) -> None:
        called.append(source.rel_path)

    def file_needs(self: Registry, rule_id: str, options: object) -> prefilter.Needs | None:
        return needs

    monkeypatch.setattr(Registry, "file_check", lambda self, rule_id: check)
    monkeypatch.setattr(Registry, "file_needs", file_needs)
    setting = RuleSetting(RULE, "error", ())
    settings = (setting,)  # one tuple for every file: bound once, as in a run
    for source in sources:
        analyze_source(source, settings)
    return called


def test_a_check_is_not_called_on_files_without_what_it_needs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    needs = prefilter.needs(prefilter.has(b"prisma", b"db"), prefilter.has_text(b"next/headers"))
    sources = [
        _source("prisma.user.findMany()", "a.ts"),  # no next/headers
        _source('import "next/headers"; db.x()', "b.ts"),
        _source('import "next/h\\eaders"; prisma', "c.ts"),  # the escape drops out
        _source('import "\\u006eext/headers"; prisma', "d.ts"),  # an escape may spell it
        _source("const x = 1", "e.ts"),
    ]
    assert _called_on(sources, needs, monkeypatch) == ["b.ts", "c.ts", "d.ts"]


def test_either_of_two_clauses(monkeypatch: pytest.MonkeyPatch) -> None:
    needs = prefilter.needs(
        prefilter.either(
            prefilter.has(b"completions"), prefilter.has_match(re.compile(rb"\bchat\b"))
        )
    )
    sources = [_source("completions", "a.ts"), _source("chat()", "b.ts"), _source("chatty", "c.ts")]
    assert _called_on(sources, needs, monkeypatch) == ["a.ts", "b.ts"]


def test_roles(monkeypatch: pytest.MonkeyPatch) -> None:
    needs = prefilter.needs(roles=[Role.ROUTE])
    sources = [_source("x", "app/api/route.ts"), _source("x", "lib/route.ts")]
    assert _called_on(sources, needs, monkeypatch) == ["app/api/route.ts"]


def test_no_needs_and_filters_off_call_the_check_everywhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sources = [_source("a", "a.ts"), _source("b", "b.ts")]
    assert _called_on(sources, None, monkeypatch) == ["a.ts", "b.ts"]
    monkeypatch.setattr(prefilter, "ENABLED", False)
    needs = prefilter.needs(prefilter.has(b"nowhere"))
    assert _called_on(sources, needs, monkeypatch) == ["a.ts", "b.ts"]


def test_roles_hold_with_the_filters_off(monkeypatch: pytest.MonkeyPatch) -> None:
    # A role says where the rule applies; it is not a guess about the bytes.
    monkeypatch.setattr(prefilter, "ENABLED", False)
    needs = prefilter.needs(prefilter.has(b"nowhere"), roles=[Role.ROUTE])
    sources = [_source("x", "app/api/route.ts"), _source("x", "lib/route.ts")]
    assert _called_on(sources, needs, monkeypatch) == ["app/api/route.ts"]


def _check_module_is(module: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_module, "_load_check", lambda rule_id, attribute: None)
    monkeypatch.setattr(
        registry_module, "importlib", SimpleNamespace(import_module=lambda n: module)
    )


def test_needs_may_depend_on_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    def needs(options: Mapping[str, object]) -> prefilter.Needs:
        names = [str(n).encode() for n in options.get("loggers", [])]  # type: ignore[attr-defined]
        return prefilter.needs(prefilter.has(*names))

    _check_module_is(SimpleNamespace(needs=needs), monkeypatch)
    found = default_registry().file_needs(RULE, {"loggers": ["audit"]})
    assert found is not None
    assert found.met_by(_source("audit.info(x)")) is True
    assert found.met_by(_source("console.info(x)")) is False


def test_needs_of_the_wrong_type_are_a_registry_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _check_module_is(SimpleNamespace(NEEDS=b"any"), monkeypatch)
    with pytest.raises(RegistryError, match=r"prefilter\.Needs"):
        default_registry().file_needs(RULE, {})


def test_every_file_rule_declares_valid_needs_or_none() -> None:
    registry = default_registry()
    for rule in registry:
        if rule.kind == "file":
            found = registry.file_needs(rule.id, rule.default_options())
            assert found is None or isinstance(found, prefilter.Needs)


def test_needs_get_the_effective_options(monkeypatch: pytest.MonkeyPatch) -> None:
    got: list[Mapping[str, object]] = []

    def needs(options: Mapping[str, object]) -> prefilter.Needs:
        got.append(dict(options))
        return prefilter.needs()

    _check_module_is(SimpleNamespace(needs=needs), monkeypatch)
    registry = default_registry()
    rule = "no-sensitive-logging"
    registry.file_needs(rule, {"loggers": ["audit"]})
    defaults = registry[rule].default_options()
    assert got == [{**defaults, "loggers": ["audit"]}]
    assert set(defaults) - {"loggers"}, "the rule has other options, taken from its defaults"
