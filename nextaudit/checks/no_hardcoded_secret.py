"""no-hardcoded-secret: string literals holding a key of a high-confidence format.

The secret itself must never reach an output: every finding carries the redacted
form as its snippet (reporters print snippets, and code frames mask the span of a
finding whose snippet is redacted), and the message names only the kind of key and
its first characters.

Byte pre-filter: every key holds its format's marker, which a literal's value shows
in the file's bytes unless an escape spells part of it (`"s\\k-..."` is `sk-...`), so a
file with neither a marker nor such an escape cannot hold a finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.secrets import LETTER_ESCAPE, MARKERS_TEXT, SecretMatch, find_secret
from nextaudit.analysis.syntax import string_value, text
from nextaudit.context import RuleContext
from nextaudit.source import SourceFile

# Strings anywhere (values, keys, JSX attributes, literal types) and templates; JSX
# text, comments and regex literals are other node types.
_STRINGS = "[(string) (template_string)] @string"
_PEM_MARKER = "PRIVATE KEY-----"
# How far up a `"a" + "b" + ...` chain a PEM header looks for the literals after it.
_MAX_CHAIN = 256


@dataclass(frozen=True)
class _Run:
    """Literal text of a template between substitutions, with its byte span."""

    start_byte: int
    end_byte: int
    value: str


# A marker where a key can start, or an escape that could spell one (module
# docstring); the engine skips the check on other files.
NEEDS = prefilter.needs(
    prefilter.either(prefilter.has_pattern(MARKERS_TEXT), prefilter.has_match(LETTER_ESCAPE))
)


def check(source: SourceFile, ctx: RuleContext) -> None:
    if not NEEDS.met_by(source):  # for callers other than the engine
        return
    for node in source.nodes(_STRINGS, "string"):
        value = string_value(node)
        if value is not None:
            _check_literal(source, ctx, node, value)
        elif node.type == "template_string":
            _check_template_runs(source, ctx, node)


def _check_literal(source: SourceFile, ctx: RuleContext, node: ts.Node, value: str) -> None:
    secret = find_secret(value)
    if secret is None and _PEM_MARKER in value:
        # A PEM key is often written as a concatenation of its lines.
        joined = find_secret(value + _following_literals(node))
        # Only a key that starts in this literal is this literal's finding.
        secret = joined if joined is not None and joined.start < len(value) else None
    if secret is not None:
        _report(ctx, node, secret)


def _check_template_runs(source: SourceFile, ctx: RuleContext, template: ts.Node) -> None:
    """A key written in a template with substitutions is still hardcoded: each stretch
    of literal text is checked, and the finding lands on that stretch."""
    for run in _template_runs(template):
        secret = find_secret(run.value)
        if secret is not None:
            ctx.report_location(
                source.location_of_bytes(run.start_byte, run.end_byte),
                snippet=secret.redacted,
                kind=secret.kind,
                prefix=secret.redacted,
            )
            return


def _template_runs(template: ts.Node) -> Iterator[_Run]:
    """Escape sequences count as a separator (no key format contains one); a key
    cannot continue across a substitution."""
    parts: list[ts.Node] = []
    for child in [*template.named_children, None]:
        if child is not None and child.type in ("string_fragment", "escape_sequence"):
            parts.append(child)
            continue
        if parts:
            value = "".join(text(p) if p.type == "string_fragment" else "\n" for p in parts)
            yield _Run(parts[0].start_byte, parts[-1].end_byte, value)
        parts = []


def _following_literals(node: ts.Node) -> str:
    """The values of the plain literals that follow `node` in a `+` chain, up to the
    first operand that is not one (`"-----BEGIN..." + "MIIE..." + "..."`)."""
    values: list[str] = []
    current = node
    for _ in range(_MAX_CHAIN):
        parent = current.parent
        if parent is None or parent.type != "binary_expression":
            break
        if text(parent.child_by_field_name("operator")) != "+":
            break
        if parent.child_by_field_name("left") != current:
            break
        right = parent.child_by_field_name("right")
        value = string_value(right) if right is not None else None
        if value is None:
            break
        values.append(value)
        current = parent
    return "".join(values)


def _report(ctx: RuleContext, node: ts.Node, secret: SecretMatch) -> None:
    ctx.report(node, snippet=secret.redacted, kind=secret.kind, prefix=secret.redacted)
