"""SourceFile positions: the shortcuts (ASCII files, a line looked up from an offset)
agree with the general answers."""

from __future__ import annotations

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
