"""docs/rules/*.md are generated from rules/*.yml; README lists every rule.

Refresh the generated docs deliberately with NEXTAUDIT_UPDATE_DOCS=1.
"""

from __future__ import annotations

import os

from conftest import ROOT

from nextaudit.registry import default_registry
from nextaudit.rule_docs import rule_markdown

DOCS = ROOT / "docs" / "rules"


def test_rule_docs_are_up_to_date() -> None:
    update = os.environ.get("NEXTAUDIT_UPDATE_DOCS") == "1"
    stale = []
    expected_names = set()
    for rule in default_registry():
        path = DOCS / f"{rule.id}.md"
        expected_names.add(path.name)
        text = rule_markdown(rule)
        if update:
            DOCS.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        elif not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(rule.id)
    extra = sorted(p.name for p in DOCS.glob("*.md") if p.name not in expected_names)
    if update:
        for name in extra:
            (DOCS / name).unlink()
        extra = []
    assert not stale, f"regenerate with NEXTAUDIT_UPDATE_DOCS=1: {stale}"
    assert not extra, f"docs for rules that no longer exist: {extra}"


def test_readme_lists_every_rule() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [r.id for r in default_registry() if f"`{r.id}`" not in readme]
    assert not missing, f"README rule table lacks {missing}"


def test_readme_commands_are_the_ones_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install . && nextaudit tests/fixtures/sample-app" in readme
    assert 'pip install ".[test]" && python -m pytest -q' in readme
    assert 'pip install ".[test]" && python -m pytest -q' in ci
