"""SourceFile positions: the shortcuts (ASCII files, a line looked up from an offset)
agree with the general answers."""

from __future__ import annotations

import pytest

from nextaudit.source import SourceFile


def test_line_text_at_agrees_with_line_text() -> None:
    code = "a\r\nbé\n\nconst x = 1;\r\nlast"
    source = SourceFile.from_bytes("/v/a.ts", "a.ts", code.encode())
    for offset in range(len(source.content) + 1):
        row = source.content.count(b"\n", 0, offset)
        assert source.line_text_at(offset) == source.line_text(row + 1), offset
    assert not source.is_ascii
    start = source.content.index(b"x =")
    node = source.root.descendant_for_byte_range(start, start + 1)
    assert node is not None
    assert source.location(node).column == 7
    accented = source.root.descendant_for_byte_range(3, 4)  # `b` of `bé`, line 2
    assert accented is not None and source.location(accented).end_column == 3


def test_node_locations_agree_with_the_line_table() -> None:
    code = "const é = 'ü';\r\n  /* ☃ */ let x = `a\nb`; é;\n"
    source = SourceFile.from_bytes("/v/a.ts", "a.ts", code.encode())
    stack = [source.root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        assert source.location(node) == source.span(node.start_point, node.end_point), node


@pytest.mark.parametrize("in_c", [True, False], ids=["child_with_descendant", "cursor"])
def test_parent_of_agrees_with_node_parent(in_c: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both ways of finding the path from the root give tree-sitter's own parents, on
    every node of every fixture file (broken ones, zero-width MISSING nodes included)."""
    from rule_harness import fixture_trees, parsed_fixture_files

    from nextaudit.analysis import syntax

    if in_c and not syntax._CHILD_WITH_DESCENDANT:
        pytest.skip("this tree-sitter has no Node.child_with_descendant")
    monkeypatch.setattr(syntax, "_CHILD_WITH_DESCENDANT", in_c)
    checked = 0
    for root in fixture_trees():
        for _rel, source in parsed_fixture_files(root):
            syntax.bind_tree(source.root)
            try:
                stack = [source.root]
                while stack:
                    node = stack.pop()
                    stack.extend(node.children)
                    parent = syntax.parent_of(node)
                    expected = node.parent
                    assert (parent.id if parent else None) == (expected.id if expected else None)
                    checked += 1
            finally:
                syntax.bind_tree(None)
    assert checked > 50_000
