"""Rule contexts: values derived from the options are computed once per options map."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from nextaudit.context import RuleContext
from nextaudit.findings import Severity
from nextaudit.registry import default_registry
from nextaudit.source import SourceFile


def _context(options: Mapping[str, object]) -> RuleContext:
    rule = default_registry()["validate-request-input"]
    source = SourceFile.from_bytes("/repo/a.ts", "a.ts", b"export {};\n")
    return RuleContext(rule, Severity.ERROR, options, source)


def test_derived_values_are_computed_once_per_engine_options_map() -> None:
    calls: list[object] = []

    def validators(ctx: RuleContext) -> tuple[str, ...]:
        calls.append(ctx.options)
        return tuple(ctx.list_option("validators"))

    def count(ctx: RuleContext) -> int:
        return len(ctx.list_option("validators"))

    shared = MappingProxyType({"validators": ["check*"]})
    first = _context(shared).derived(validators)
    assert first == ("check*",)
    assert _context(shared).derived(validators) is first  # another file, same settings
    assert calls == [shared]
    assert _context(shared).derived(count) == 1  # another function: its own value
    other = MappingProxyType({"validators": ["a", "b"]})
    assert _context(other).derived(validators) == ("a", "b")
    assert calls == [shared, other]


def test_a_plain_dict_of_options_is_never_kept() -> None:
    calls: list[int] = []

    def validators(ctx: RuleContext) -> tuple[str, ...]:
        calls.append(1)
        return tuple(ctx.list_option("validators"))

    options: dict[str, object] = {"validators": ["a"]}
    assert _context(options).derived(validators) == ("a",)
    options["validators"] = ["b"]  # a dict may change between calls
    assert _context(options).derived(validators) == ("b",)
    assert len(calls) == 2
