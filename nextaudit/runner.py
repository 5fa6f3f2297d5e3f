"""Run project-level rules over a Project."""

from __future__ import annotations

from nextaudit.context import ProjectContext
from nextaudit.engine import RuleSetting
from nextaudit.findings import Finding, sort_findings
from nextaudit.project import Project
from nextaudit.registry import Registry, default_registry


def run_project_rule(
    project: Project, setting: RuleSetting, registry: Registry | None = None
) -> list[Finding]:
    registry = registry or default_registry()
    rule = registry[setting.rule_id]
    ctx = ProjectContext(rule, setting.severity, setting.options_map)
    registry.project_check(rule.id)(project, ctx)
    return sort_findings(ctx.findings)
