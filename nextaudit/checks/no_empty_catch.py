"""no-empty-catch: a `catch` block with no statements swallows the error.

Byte pre-filter: a catch clause starts with the keyword `catch`, so its clauses are
found at the occurrences of that word in the file's bytes (a file without one has
none), instead of by a query over the whole tree.
"""

from __future__ import annotations

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import keywords
from nextaudit.context import RuleContext
from nextaudit.source import SourceFile

# Only `try { } catch { }` clauses: a promise's `.catch(() => {})` callback is a call,
# not a catch_clause, so it never matches.
_CATCH = "(catch_clause body: (statement_block) @body) @catch"
_KEYWORD = b"catch"

# Neither a comment nor a lone `;` does anything with the caught error.
_NOT_STATEMENTS = frozenset({"comment", "empty_statement"})


def _has_statements(block: ts.Node) -> bool:
    return any(child.type not in _NOT_STATEMENTS for child in block.named_children)


def catch_clauses(source: SourceFile) -> list[tuple[ts.Node, ts.Node]]:
    """(clause, body) of each match of `_CATCH`, in source order.

    A query walks every node of the tree (about a quarter of the parse); the keyword
    that starts a clause is found in the bytes, and the clause is the parent of the
    keyword's node (O(depth), in C). The query runs when the pre-filters are off.
    """
    if not prefilter.ENABLED:
        return [(m["catch"][0], m["body"][0]) for m in source.matches(_CATCH)]
    found: list[tuple[ts.Node, ts.Node]] = []
    for keyword in keywords(source, _KEYWORD):
        clause = keyword.parent
        if clause is not None and clause.type == "catch_clause":
            body = clause.child_by_field_name("body")
            if body is not None and body.type == "statement_block":
                found.append((clause, body))
    return found


# The keyword spelled in the bytes (module docstring); the engine skips the check on
# other files.
NEEDS = prefilter.needs(prefilter.has(_KEYWORD))


def check(source: SourceFile, ctx: RuleContext) -> None:
    for clause, body in catch_clauses(source):
        if not _has_statements(body):
            # On the whole clause, so the finding starts at the `catch` keyword.
            ctx.report(clause)
