"""The JSON Schema of .nextaudit.yml, generated from the rule registry (so it can never
drift from the rules), and the commented starter config that `nextaudit init` writes."""

from __future__ import annotations

import json

from nextaudit.config import DEFAULT_MAX_FILE_SIZE, SEVERITY_WORDS
from nextaudit.registry import OptionSpec, Registry, Rule

SCHEMA_ID = "https://nextaudit.dev/schema/nextaudit-config.json"
_STRING_LIST = {"type": "array", "items": {"type": "string"}}


def _option_schema(spec: OptionSpec) -> dict[str, object]:
    base: dict[str, object]
    if spec.type == "bool":
        base = {"type": "boolean"}
    elif spec.type == "int":
        base = {"type": "integer"}
    elif spec.type == "string":
        base = {"type": "string"}
    else:
        base = dict(_STRING_LIST)
    base["description"] = " ".join(spec.description.split())
    base["default"] = spec.default
    return base


def _severity_schema() -> dict[str, object]:
    # YAML 1.1 reads a bare `off` / `on` as a boolean; the loader accepts both spellings.
    return {"anyOf": [{"enum": [*SEVERITY_WORDS, "on"]}, {"type": "boolean"}]}


def _rule_schema(rule: Rule) -> dict[str, object]:
    body: dict[str, object] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "severity": _severity_schema(),
            "options": {
                "type": "object",
                "additionalProperties": False,
                "properties": {name: _option_schema(s) for name, s in rule.options.items()},
            },
        },
    }
    return {
        "description": f"{rule.title} (default: {rule.severity.label}"
        + ("" if rule.enabled else ", disabled")
        + ")",
        "anyOf": [_severity_schema(), body],
    }


def config_schema(registry: Registry) -> dict[str, object]:
    rules: dict[str, object] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {r.id: _rule_schema(r) for r in registry},
    }
    globs = {**_STRING_LIST, "description": "gitignore-style globs relative to the config file"}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "nextaudit configuration (.nextaudit.yml)",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "include": globs,
            "exclude": globs,
            "max-file-size": {
                "type": "integer",
                "minimum": 1,
                "default": DEFAULT_MAX_FILE_SIZE,
                "description": "Files larger than this many bytes are skipped with a note.",
            },
            "rules": rules,
            "overrides": {
                "type": "array",
                "description": "Applied in order to files matching `files` (later entries win).",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["files"],
                    "properties": {"files": globs, "rules": rules},
                },
            },
        },
    }


def schema_json(registry: Registry) -> str:
    return json.dumps(config_schema(registry), indent=2, sort_keys=False) + "\n"


def starter_config(registry: Registry) -> str:
    """A commented .nextaudit.yml listing every rule with its default."""
    lines = [
        "# nextaudit configuration. Docs: `nextaudit explain <rule-id>`;",
        "# editor validation: `nextaudit config-schema > .nextaudit.schema.json`.",
        "# yaml-language-server: $schema=.nextaudit.schema.json",
        "",
        "# Globs are gitignore-style, relative to this file.",
        '# include: ["app/**", "lib/**"]',
        "exclude: []",
        "",
        f"# max-file-size: {DEFAULT_MAX_FILE_SIZE}  # bytes; larger files are skipped",
        "",
        "rules:",
    ]
    for rule in registry:
        if rule.kind == "tool":
            continue
        state = rule.severity.label if rule.enabled else '"off"'
        lines.append(f"  # {rule.title}. Checklist: {rule.checklist or '-'}")
        lines.append(f"  {rule.id}:")
        lines.append(f"    severity: {state}" + ("" if rule.enabled else "  # disabled by default"))
        if rule.options:
            lines.append("    options:")
            for spec in rule.options.values():
                lines.append(f"      {spec.name}: {json.dumps(spec.default)}")
    lines += [
        "",
        "# Per-folder changes, applied in order (ESLint-style):",
        "overrides: []",
        '#  - files: ["tests/**"]',
        "#    rules:",
        "#      no-explicit-any: off",
        '#  - files: ["lib/env.ts"]',
        "#    rules:",
        "#      no-module-level-env:",
        "#        options:",
        '#          allow-files: ["lib/env.ts"]',
        "",
    ]
    return "\n".join(lines)
