"""A test from every example in every rules/<id>.yml (Fixit's way): docs cannot lie."""

from __future__ import annotations

import pytest
from rule_harness import run_rule_on_source

from nextaudit.registry import Example, default_registry

CASES: list[tuple[str, str, int, Example]] = []
for _rule in default_registry().checkable():
    if _rule.kind != "file":
        continue
    for _i, _ex in enumerate(_rule.valid):
        CASES.append((_rule.id, "valid", _i, _ex))
    for _i, _ex in enumerate(_rule.invalid):
        CASES.append((_rule.id, "invalid", _i, _ex))


@pytest.mark.parametrize(
    ("rule_id", "kind", "index", "example"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES]
)
def test_example(rule_id: str, kind: str, index: int, example: Example) -> None:
    findings = run_rule_on_source(rule_id, example.code, example.path, example.options)
    lines = sorted(f.location.line for f in findings)
    if kind == "valid":
        assert lines == [], f"valid example {index} of {rule_id} was flagged on lines {lines}"
    else:
        assert lines == sorted(example.lines), f"invalid example {index} of {rule_id}"


def test_every_rule_has_examples() -> None:
    for rule in default_registry().checkable():
        assert rule.valid and rule.invalid, f"{rule.id} needs valid and invalid examples"
