"""A rule's documentation as Markdown, from its YAML: `nextaudit explain`,
docs/rules/<id>.md and SARIF help all come from this one text."""

from __future__ import annotations

from nextaudit.registry import Rule


def _fence(code: str, lang: str = "ts") -> str:
    return f"```{lang}\n{code.rstrip()}\n```\n"


def rule_markdown(rule: Rule) -> str:
    parts = [f"# {rule.id}: {rule.title}\n"]
    facts = [f"Default severity: **{rule.severity.label}**"]
    if not rule.enabled:
        facts.append("disabled by default")
    if rule.security_severity:
        facts.append(f"security-severity {rule.security_severity}")
    if rule.cwe:
        facts.append(f"CWE-{rule.cwe}")
    parts.append(" · ".join(facts) + "\n")
    if rule.checklist:
        parts.append(f"Checklist: {rule.checklist}\n")
    docs = rule.docs
    if docs.get("what"):
        parts.append("## What it flags\n\n" + docs["what"].strip() + "\n")
    if docs.get("why"):
        parts.append("## Why\n\n" + docs["why"].strip() + "\n")
    if docs.get("example"):
        parts.append("## Example\n\n" + _fence(docs["example"]))
    if docs.get("use-instead"):
        parts.append("## Use instead\n\n" + _fence(docs["use-instead"]))
    if rule.options:
        lines = ["## Options\n", "| option | type | default | description |", "|---|---|---|---|"]
        for spec in rule.options.values():
            description = " ".join(spec.description.split())
            lines.append(f"| `{spec.name}` | {spec.type} | `{spec.default!r}` | {description} |")
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def rule_text(rule: Rule) -> str:
    """Plain-text help (SARIF `help.text`)."""
    docs = rule.docs
    chunks = [docs.get("what", "").strip(), docs.get("why", "").strip()]
    if docs.get("use-instead"):
        chunks.append("Use instead:\n" + docs["use-instead"].rstrip())
    return "\n\n".join(c for c in chunks if c) + "\n"
