"""A check's `NEEDS` / `needs(options)`: the engine skips the check, without calling it,
on files that cannot hold what it reports, and never when the filters are off."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
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
FIXTURES = Path(__file__).parent / "fixtures"


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


# --- NeedsTable: every check's needs of a file at once, looked up by role and scan ---

_ROUTE_NEEDS = prefilter.needs(prefilter.has(b"GET"), roles=[Role.ROUTE])
_ENV_NEEDS = prefilter.needs(prefilter.either(prefilter.has(b"env"), prefilter.has_text(b"ENV")))
_TABLE_NEEDS: list[prefilter.Needs | None] = [None, _ROUTE_NEEDS, _ENV_NEEDS]


def _each_way(table: prefilter.NeedsTable, source: SourceFile) -> tuple[bool, ...]:
    return tuple(n is None or n.met_by(source) for n in table.needs)


@pytest.mark.parametrize(
    ("code", "rel"),
    [
        ("export async function GET() { return env }", "app/api/x/route.ts"),
        ("export async function GET() { return env }", "lib/x.ts"),  # same bytes, no role
        ("const a = 1", "app/api/x/route.ts"),
        ('const k = "E\\NV"', "lib/x.ts"),  # a dropped backslash spells the text
        ('const k = "\\x45NV"', "lib/x.ts"),  # an escape that may spell any letter
        ("GET env ENV", "app/api/y/route.ts"),
    ],
)
def test_the_table_answers_as_each_needs_does(code: str, rel: str) -> None:
    table = prefilter.NeedsTable(_TABLE_NEEDS)
    first = table.met(_source(code, rel))
    again = table.met(_source(code, rel))  # a new file with the same role and scan
    assert first == again == _each_way(table, _source(code, rel))


def test_the_table_tells_files_apart_by_role_with_the_same_bytes() -> None:
    table = prefilter.NeedsTable(_TABLE_NEEDS)
    code = "export function GET() {}"
    assert table.met(_source(code, "app/api/x/route.ts")) == (True, True, False)
    assert table.met(_source(code, "lib/x.ts")) == (True, False, False)


def test_a_question_the_scan_cannot_answer_is_asked_of_every_file() -> None:
    # `$` is read otherwise by RE2: the question is answered by `re`, file by file,
    # so its answer cannot be looked up from another file's scan.
    direct = prefilter.needs(prefilter.has_match(re.compile(rb"env$")))
    table = prefilter.NeedsTable([direct])
    assert table.met(_source("const a = env")) == (True,)
    assert table.met(_source("const a = env + 1")) == (False,)
    assert table.met(_source("const a = env")) == (True,)


def test_the_table_follows_the_filters_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    table = prefilter.NeedsTable(_TABLE_NEEDS)
    code, rel = "const a = 1", "lib/x.ts"
    assert table.met(_source(code, rel)) == (True, False, False)
    monkeypatch.setattr(prefilter, "ENABLED", False)
    assert table.met(_source(code, rel)) == (True, False, True)  # roles still hold


def test_the_table_answers_as_each_needs_does_on_every_fixture() -> None:
    registry = default_registry()
    table = prefilter.NeedsTable(
        [registry.file_needs(rule.id, {}) for rule in registry if rule.kind == "file"]
    )
    compared = 0
    for path in sorted(FIXTURES.rglob("*")):
        if path.suffix not in {".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs"}:
            continue
        rel = path.relative_to(FIXTURES).as_posix()
        raw = path.read_bytes()
        looked_up = table.met(SourceFile.from_bytes(path.as_posix(), rel, raw))
        looked_up_again = table.met(SourceFile.from_bytes(path.as_posix(), rel, raw))
        asked = _each_way(table, SourceFile.from_bytes(path.as_posix(), rel, raw))
        assert looked_up == looked_up_again == asked, rel
        compared += 1
    assert compared > 50


def test_a_file_like_one_seen_before_is_looked_up_not_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = prefilter.NeedsTable(_TABLE_NEEDS)
    asked: list[str] = []
    met_by = prefilter.Needs.met_by

    def counting(self: prefilter.Needs, source: SourceFile) -> bool:
        asked.append(source.rel_path)
        return met_by(self, source)

    monkeypatch.setattr(prefilter.Needs, "met_by", counting)
    table.met(_source("const env = 1", "lib/a.ts"))
    assert asked == ["lib/a.ts", "lib/a.ts"]
    table.met(_source("const b = env", "lib/b.ts"))  # the same needles found, same role
    assert asked == ["lib/a.ts", "lib/a.ts"]
    table.met(_source("const b = 1", "lib/c.ts"))  # other needles found
    assert asked == ["lib/a.ts", "lib/a.ts", "lib/c.ts", "lib/c.ts"]
