"""Inline suppressions: `// nextaudit-ignore: <id>[, <id>] -- reason`.

In TypeScript/JavaScript they are read from tree-sitter comment nodes only, so the
same text inside a string or template literal is not a suppression. In the other files
project rules report on (.prisma, .md, .yaml) they are read from that format's own
comment syntax, line by line.

- At the end of a line of code: suppresses those rules on that line.
- Alone on a line (or as `{/* ... */}` in JSX): on the next line of code.
- `nextaudit-ignore-file: <id>` among the leading comments: the whole file.
A rule id is required; unknown ids and suppressions that suppressed nothing are
reported as `unused-suppression`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from nextaudit.analysis import prefilter
from nextaudit.findings import Finding, Location, Severity
from nextaudit.source import SourceFile

if TYPE_CHECKING:
    import tree_sitter as ts

DIRECTIVE = re.compile(r"nextaudit-ignore(?P<file>-file)?(?P<colon>\s*:)?(?P<rest>[^\n]*)")
RULE_ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
UNUSED = "unused-suppression"


@dataclass
class Suppression:
    """One directive. `lines` are the 1-based lines it covers (empty: whole file)."""

    path: str
    location: Location
    rule_ids: tuple[str, ...]
    reason: str
    whole_file: bool
    lines: frozenset[int]
    problem: str = ""  # a malformed directive: no rule id, unknown id
    used: set[str] = field(default_factory=set)

    def covers(self, finding: Finding) -> bool:
        return finding.rule_id in self.rule_ids and (
            self.whole_file or finding.location.line in self.lines
        )


def parse_directive(comment: str) -> tuple[bool, tuple[str, ...], str, str] | None:
    """(whole_file, rule ids, reason, problem) of a comment's directive, or None."""
    match = DIRECTIVE.search(comment)
    if match is None:
        return None
    whole_file = match.group("file") is not None
    rest = match.group("rest")
    rest = re.sub(r"\s*(\*/|-->)\s*\}?\s*$", "", rest)  # closing of /* */, <!-- -->, {/* */}
    body, _, reason = rest.partition("--")
    if match.group("colon") is None:
        body = ""
    ids = tuple(part.strip() for part in body.split(",") if part.strip())
    if not ids:
        return whole_file, (), reason.strip(), "a rule id is required (no blanket suppressions)"
    bad = [i for i in ids if not RULE_ID.fullmatch(i)]
    if bad:
        return whole_file, (), reason.strip(), f"malformed rule id {bad[0]!r}"
    return whole_file, ids, reason.strip(), ""


# --- TypeScript / JavaScript ---------------------------------------------------------
_COMMENTS = "(comment) @comment"
_MARK = "nextaudit-ignore"
_MARK_BYTES = _MARK.encode("ascii")
# Answered by the scan of the file's bytes that the rules' filters share (an `in`
# over every file cost ~2.5 us of the ~3 spent here on a file without directives).
_HAS_MARK = prefilter.has(_MARK_BYTES)


def source_suppressions(source: SourceFile) -> list[Suppression]:
    """Directives in a parsed SourceFile's comment nodes."""
    if prefilter.lacks_clause(source, _HAS_MARK) or _MARK_BYTES not in source.content:
        return []
    out: list[Suppression] = []
    leading = _leading_comment_ids(source)
    for comment in directive_comments(source):
        text = source.node_text(comment)
        parsed = parse_directive(text)
        if parsed is None:
            continue
        whole_file, ids, reason, problem = parsed
        location = source.location(comment)
        if whole_file:
            if comment.id not in leading:
                problem = (
                    problem or "nextaudit-ignore-file must be among the file's leading comments"
                )
            out.append(Suppression(source.path, location, ids, reason, True, frozenset(), problem))
            continue
        row = comment.start_point.row
        before = source.line_bytes(row + 1)[: comment.start_point.column].strip()
        if before and before not in (b"{",):
            covered = {row + 1}
        else:
            covered = {_next_code_line(source, comment.end_point.row + 1)}
        out.append(
            Suppression(source.path, location, ids, reason, False, frozenset(covered), problem)
        )
    return out


def directive_comments(source: SourceFile) -> list[ts.Node]:
    """The comments that spell `nextaudit-ignore`, in source order: found from the
    bytes (the smallest node around each occurrence) instead of a query over every
    comment of the file, which walks the whole tree."""
    if not prefilter.ENABLED:
        return [c for c in source.nodes(_COMMENTS, "comment") if _MARK in source.node_text(c)]
    found: list[ts.Node] = []
    seen: set[int] = set()
    content, root = source.content, source.root
    start = content.find(_MARK_BYTES)
    while start != -1:
        node = root.descendant_for_byte_range(start, start + len(_MARK_BYTES))
        if node is not None and node.type == "comment" and node.id not in seen:
            seen.add(node.id)
            found.append(node)
        start = content.find(_MARK_BYTES, start + len(_MARK_BYTES))
    return found


def _leading_comment_ids(source: SourceFile) -> set[int]:
    ids: set[int] = set()
    for child in source.root.children:
        if child.type == "comment":
            ids.add(child.id)
        elif child.type == "hash_bang_line":
            continue
        elif (
            child.type == "expression_statement"
            and child.named_child_count == 1
            and (child.named_children[0].type == "string")
        ):
            continue  # directives such as 'use client' / 'use server'
        else:
            break
    return ids


def _next_code_line(source: SourceFile, first_row_after: int) -> int:
    """The 1-based line of the next line that holds code (not blank, not only a comment)."""
    total = source.line_count()
    line = first_row_after + 1
    while line <= total:
        stripped = source.line_bytes(line).strip()
        if stripped and not stripped.startswith((b"//", b"/*", b"*", b"{/*")):
            return line
        line += 1
    return first_row_after + 1


# --- other file formats ---------------------------------------------------------------
_LINE_COMMENT = {".prisma": ("//",), ".yaml": ("#",), ".yml": ("#",), ".md": ("<!--",)}


def text_suppressions(path: str, text: str) -> list[Suppression]:
    """Directives in a non-TypeScript file, by that format's comment syntax."""
    import os

    markers = _LINE_COMMENT.get(os.path.splitext(path)[1].lower())
    if markers is None or "nextaudit-ignore" not in text:
        return []
    lines = text.splitlines()
    out: list[Suppression] = []
    for index, line in enumerate(lines):
        position = min((p for p in (line.find(m) for m in markers) if p >= 0), default=-1)
        if position < 0:
            continue
        parsed = parse_directive(line[position:])
        if parsed is None:
            continue
        whole_file, ids, reason, problem = parsed
        location = Location(index + 1, position + 1, index + 1, len(line) + 1)
        if whole_file:
            out.append(Suppression(path, location, ids, reason, True, frozenset(), problem))
            continue
        if line[:position].strip():
            covered = index + 1
        else:
            covered = next(
                (
                    n + 1
                    for n in range(index + 1, len(lines))
                    if lines[n].strip() and not lines[n].strip().startswith(markers)
                ),
                index + 2,
            )
        out.append(Suppression(path, location, ids, reason, False, frozenset({covered}), problem))
    return out


# --- applying -------------------------------------------------------------------------
@dataclass
class Applied:
    active: list[Finding]
    suppressed: list[Finding]
    unused: list[Finding]


def apply_suppressions(
    findings: Iterable[Finding],
    suppressions: Mapping[str, Sequence[Suppression]],
    known_rules: set[str],
    enabled_for: Mapping[str, set[str]],
    unused_severity: Mapping[str, Severity],
) -> Applied:
    """Split findings into active and suppressed; report unused and malformed directives.

    `enabled_for[path]` are the rules that ran on that file: a directive for a rule that
    did not run there (disabled, or not selected in this run) is not called unused.
    `unused_severity[path]` is the severity of `unused-suppression` there (absent: off).
    """
    active: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        directive = next(
            (s for s in suppressions.get(finding.path, ()) if not s.problem and s.covers(finding)),
            None,
        )
        if directive is None:
            active.append(finding)
            continue
        directive.used.add(finding.rule_id)
        suppressed.append(replace(finding, suppressed_by=directive.reason or "nextaudit-ignore"))
    unused: list[Finding] = []
    for path, directives in suppressions.items():
        severity = unused_severity.get(path)
        if severity is None:
            continue
        ran = enabled_for.get(path, set())
        for directive in directives:
            message = _unused_message(directive, known_rules, ran)
            if message:
                unused.append(Finding(UNUSED, severity, message, path, directive.location, ""))
    return Applied(active, suppressed, unused)


def _unused_message(directive: Suppression, known: set[str], ran: set[str]) -> str:
    kind = "nextaudit-ignore-file" if directive.whole_file else "nextaudit-ignore"
    if directive.problem:
        return f"`{kind}`: {directive.problem}"
    unknown = [i for i in directive.rule_ids if i not in known]
    if unknown:
        return f"`{kind}` names unknown rule id {unknown[0]!r}"
    idle = [i for i in directive.rule_ids if i in ran and i not in directive.used]
    if idle:
        return f"`{kind}: {', '.join(idle)}` suppressed nothing; remove it"
    return ""
