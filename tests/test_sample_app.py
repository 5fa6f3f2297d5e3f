"""The bundled sample app: every annotated violation is found, nothing else is."""

from __future__ import annotations

from pathlib import Path

from annotations import annotations
from conftest import FIXTURES

from nextaudit.config import load_config
from nextaudit.registry import default_registry
from nextaudit.runner import RunOptions, run

APP = FIXTURES / "sample-app"
# JSON cannot carry an annotation comment.
UNANNOTATABLE = {("package.json", 13, "pnpm-only")}


def expected_findings() -> set[tuple[str, int, str]]:
    registry = default_registry()
    enabled = {r.id for r in registry if r.enabled}
    expected = {e for e in UNANNOTATABLE if e[2] in enabled}
    for path in sorted(APP.rglob("*")):
        if path.is_file() and path.suffix in {".ts", ".tsx", ".js", ".mjs", ".prisma", ".md"}:
            rel = path.relative_to(APP).as_posix()
            want, _ok = annotations(path)
            expected |= {(rel, line, rule) for line, rule in want if rule in enabled}
    return expected


def test_sample_app_findings_match_its_annotations() -> None:
    config = load_config(None, default_registry(), APP)
    result = run(config, [APP], RunOptions(cwd=APP, repo_root=APP))
    actual = {
        (Path(f.path).relative_to(APP).as_posix(), f.location.line, f.rule_id)
        for f in result.findings
    }
    expected = expected_findings()
    assert sorted(expected - actual) == [], "missed"
    assert sorted(actual - expected) == [], "unexpected"
    assert result.notices == []
    assert len(expected) >= 10  # the app is a showcase: it must show real findings
