"""no-empty-catch: a `catch` block with no statements swallows the error."""

from __future__ import annotations

import tree_sitter as ts

from nextaudit.context import RuleContext
from nextaudit.source import SourceFile

# Only `try { } catch { }` clauses: a promise's `.catch(() => {})` callback is a call,
# not a catch_clause, so it never matches.
_CATCH = "(catch_clause body: (statement_block) @body) @catch"

# Neither a comment nor a lone `;` does anything with the caught error.
_NOT_STATEMENTS = frozenset({"comment", "empty_statement"})


def _has_statements(block: ts.Node) -> bool:
    return any(child.type not in _NOT_STATEMENTS for child in block.named_children)


def check(source: SourceFile, ctx: RuleContext) -> None:
    for match in source.matches(_CATCH):
        if not _has_statements(match["body"][0]):
            # On the whole clause, so the finding starts at the `catch` keyword.
            ctx.report(match["catch"][0])
