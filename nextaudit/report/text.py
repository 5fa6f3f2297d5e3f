"""The default report: one line per finding, grouped by file, then a summary.

Piped (`terminal=False`) it is plain, stable text that tools can grep and golden tests
can compare. On a terminal it is coloured and each finding gets a code frame: a few
lines around it with the flagged span marked.

Code frames show source lines, so they must not undo a rule's redaction: a finding
whose snippet does not contain the flagged source text is treated as redacted, and its
span is shown as the snippet wherever it appears in any frame of the file.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nextaudit.findings import Location, Severity
from nextaudit.report.common import (
    one_line,
    plural,
    safe_char,
    severity_counts,
    shown_findings,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from nextaudit.findings import Finding
    from nextaudit.results import RunResult

CONTEXT_LINES = 2
TAB = "    "
SEVERITY_STYLE = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "bold yellow",
    Severity.NOTE: "bold cyan",
}


def render_text(result: RunResult, terminal: bool = False, width: int = 100) -> str:
    findings = shown_findings(result)
    if terminal:
        return _render_rich(result, findings, width)
    lines: list[str] = []
    previous_path: str | None = None
    for finding in findings:
        if previous_path is not None and finding.path != previous_path:
            lines.append("")
        previous_path = finding.path
        lines.append(finding_line(result, finding))
    if lines:
        lines.append("")
    lines.extend(text for text, _style in summary_lines(result))
    return "\n".join(lines) + "\n"


def finding_line(result: RunResult, finding: Finding) -> str:
    loc = finding.location
    return (
        f"{one_line(result.display_path(finding.path))}:{loc.line}:{loc.column}: "
        f"{finding.severity.label} [{finding.rule_id}] {one_line(finding.message)}"
        + _suppressed_suffix(finding)
    )


def _suppressed_suffix(finding: Finding) -> str:
    if finding.suppressed_by is None:
        return ""
    reason = one_line(finding.suppressed_by)
    return f" (suppressed: {reason})" if reason else " (suppressed)"


def summary_lines(result: RunResult) -> list[tuple[str, str]]:
    """The summary as (text, Rich style) lines; the plain report drops the styles."""
    findings = result.findings
    counts = severity_counts(findings)
    out: list[tuple[str, str]] = []
    if findings:
        breakdown = ", ".join(plural(count, label) for label, count in counts.items() if count)
        files = len({f.path for f in findings})
        headline = (
            f"Found {plural(len(findings), 'finding')} ({breakdown}) in "
            f"{plural(files, 'file')}; {plural(result.files_scanned, 'file')} scanned."
        )
        worst = max(f.severity for f in findings)
        out.append((headline, SEVERITY_STYLE[worst]))
        by_rule = result.counts_by_rule()
        id_width = max(len(rule_id) for rule_id in by_rule)
        count_width = max(len(str(n)) for n in by_rule.values())
        out.extend(
            (f"  {rule_id:<{id_width}}  {count:>{count_width}}", "")
            for rule_id, count in by_rule.items()
        )
    else:
        out.append((f"No findings; {plural(result.files_scanned, 'file')} scanned.", "bold green"))
    if result.notices:
        out.append(
            (
                f"{plural(len(result.notices), 'notice')} about files not analysed or rules "
                "that failed (listed on stderr).",
                "bold red" if result.fatal else "yellow",
            )
        )
    if result.suppressed:
        shown = " (listed above)" if result.show_suppressed else ""
        out.append((f"{plural(len(result.suppressed), 'finding')} suppressed{shown}.", "dim"))
    if result.baseline_absorbed or result.baseline_stale:
        out.append(
            (
                f"Baseline: {plural(result.baseline_absorbed, 'known finding')} absorbed, "
                f"{plural(result.baseline_stale, 'entry', 'entries')} stale.",
                "dim",
            )
        )
    return out


# --- terminal rendering ------------------------------------------------------------
def _render_rich(result: RunResult, findings: list[Finding], width: int) -> str:
    from io import StringIO

    from rich.console import Console

    buffer = StringIO()
    console = Console(
        file=buffer,
        force_terminal=True,
        width=width,
        color_system="standard",  # the 16 colours follow the user's terminal theme
        highlight=False,
        emoji=False,
        markup=False,
        legacy_windows=False,
    )
    # Every finding of a file, shown or not, may redact what that file's frames show.
    by_path: dict[str, list[Finding]] = {}
    for known in (*result.findings, *result.suppressed):
        by_path.setdefault(known.path, []).append(known)
    files: dict[str, _FileView | None] = {}
    for finding in findings:
        console.print(_finding_text(result, finding), soft_wrap=True)
        if finding.path not in files:
            files[finding.path] = _FileView.load(finding.path, by_path.get(finding.path, []))
        view = files[finding.path]
        if view is not None:
            _print_frame(console, view, finding, width)
        console.print()
    _print_summary(console, result)
    return buffer.getvalue()


def _finding_text(result: RunResult, finding: Finding) -> Text:
    from rich.text import Text

    loc = finding.location
    return Text.assemble(
        (one_line(result.display_path(finding.path)), "bold"),
        f":{loc.line}:{loc.column}: ",
        (finding.severity.label, SEVERITY_STYLE[finding.severity]),
        " ",
        (f"[{finding.rule_id}]", "magenta"),
        " ",
        one_line(finding.message),
        (_suppressed_suffix(finding), "dim"),
    )


def _print_summary(console: Console, result: RunResult) -> None:
    from rich.text import Text

    for text, style in summary_lines(result):
        console.print(Text(text, style=style), soft_wrap=True)


@dataclass(frozen=True)
class _Redaction:
    location: Location
    shown_as: str


class _FileView:
    """A file's lines as a code frame may show them: redacted spans replaced, tabs
    expanded, control characters neutralised."""

    def __init__(self, lines: list[str], redactions: list[_Redaction]) -> None:
        self.lines = lines
        self.redactions = redactions

    @classmethod
    def load(cls, path: str, findings: list[Finding]) -> _FileView | None:
        from nextaudit.source import decode_source, normalise_newlines

        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except OSError:
            return None
        text, _encoding = decode_source(raw)
        lines = [line.rstrip("\r") for line in normalise_newlines(text).split("\n")]
        redactions = [
            _Redaction(f.location, one_line(f.snippet))
            for f in findings
            if is_redacted(f, span_text(lines, f.location)) and not quotes_source(f, lines)
        ]
        # Keys the reported findings do not cover (their finding was baselined, or the
        # rule is off) must not show in a frame either: mask every one in the file.
        redactions.extend(_secret_redactions(lines))
        return cls(lines, redactions)

    def has_line(self, line: int) -> bool:
        return 1 <= line <= len(self.lines)

    def visible(self, line: int, start: int = 1, end: int | None = None) -> str:
        """Columns [start, end) of 1-based `line` as they may be displayed: a column
        inside a redacted span shows nothing, except the span's first, which shows what
        the span is shown as (the first span in list order that covers it decides).
        Pieces cut between two columns that are not inside a span join up exactly."""
        text = self.lines[line - 1]
        stop = len(text) + 1 if end is None else min(end, len(text) + 1)
        covered = [span for span in self._covered(line) if span[0] < stop and span[1] > start]
        if not covered:
            return _displayable(text[start - 1 : stop - 1])
        # Between two consecutive edges the same spans cover every column, so a run of
        # source is sliced at once rather than walked column by column.
        inner = {column for span in covered for column in span[:2] if start < column < stop}
        edges = sorted({start, stop, *inner})
        out: list[str] = []
        for first, after in itertools.pairwise(edges):
            hidden = next((span for span in covered if span[0] <= first < span[1]), None)
            if hidden is None:
                out.append(_displayable(text[first - 1 : after - 1]))
            elif hidden[0] == first:
                out.append(hidden[2])
        return "".join(out)

    def outside_spans(self, line: int, column: int, leftwards: bool) -> int:
        """`column`, moved to the edge of any redacted span it falls strictly inside, so
        that a cut there never splits what a span is shown as."""
        spans = self._covered(line)
        moved = True
        while moved:
            moved = False
            for first, last, _shown in spans:
                if first < column < last:
                    column = first if leftwards else last
                    moved = True
        return column

    def _covered(self, line: int) -> list[tuple[int, int, str]]:
        spans = []
        for redaction in self.redactions:
            loc = redaction.location
            if not loc.line <= line <= loc.end_line:
                continue
            first = loc.column if line == loc.line else 1
            last = loc.end_column if line == loc.end_line else len(self.lines[line - 1]) + 1
            shown = redaction.shown_as if line == loc.line else "…"
            if last > first:
                spans.append((first, last, shown))
        return spans


def _secret_redactions(lines: list[str]) -> list[_Redaction]:
    from nextaudit.analysis.secrets import find_secrets

    text = "\n".join(lines)
    found = find_secrets(text)
    if not found:
        return []
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def position(offset: int) -> tuple[int, int]:
        row = bisect.bisect_right(starts, offset) - 1
        return row + 1, offset - starts[row] + 1

    return [_Redaction(Location(*position(s.start), *position(s.end)), s.redacted) for s in found]


def span_text(lines: list[str], loc: Location) -> str:
    """The source text of a region (empty when the file no longer has those lines)."""
    if not 1 <= loc.line <= loc.end_line <= len(lines):
        return ""
    if loc.line == loc.end_line:
        return lines[loc.line - 1][loc.column - 1 : loc.end_column - 1]
    parts = [lines[loc.line - 1][loc.column - 1 :]]
    parts.extend(lines[loc.line : loc.end_line - 1])
    parts.append(lines[loc.end_line - 1][: loc.end_column - 1])
    return "\n".join(parts)


def is_redacted(finding: Finding, source_text: str) -> bool:
    """A rule redacted a finding when its snippet shows less than the flagged source
    (rules that quote more than the span, such as a whole line, are not redacting)."""
    snippet = " ".join(finding.snippet.split())
    if not snippet:
        return False
    return " ".join(source_text.split()) not in snippet


def quotes_source(finding: Finding, lines: list[str]) -> bool:
    """A snippet copied from the lines a finding spans is a quote, not a redaction,
    even when it shows less than the span: a syntax error quotes (a cut of) the line it
    starts on, and its span may run over many lines."""
    loc = finding.location
    if not 1 <= loc.line <= loc.end_line <= len(lines):
        return False
    snippet = " ".join(finding.snippet.split())
    spanned = " ".join(" ".join(lines[loc.line - 1 : loc.end_line]).split())
    return bool(snippet) and snippet in spanned


def _displayable(text: str) -> str:
    """Tabs expanded (so that carets line up), the rest as `safe_char` shows it."""
    if text.isprintable():
        return text
    return "".join(TAB if char == "\t" else safe_char(char) for char in text)


def _print_frame(console: Console, view: _FileView, finding: Finding, width: int) -> None:
    from rich.text import Text

    lines = _frame_lines(view, finding, width)
    if lines:
        # One print per frame: Rich's per-call overhead dominates on large reports.
        # Code lines are cut at the terminal's width, never wrapped (a wrapped line
        # would break the gutter and the carets).
        console.print(Text("\n").join(lines), no_wrap=True, overflow="ellipsis")


def _frame_lines(view: _FileView, finding: Finding, width: int) -> list[Text]:
    from rich.cells import cell_len
    from rich.text import Text

    loc = finding.location
    if not view.has_line(loc.line):
        return []
    first = max(1, loc.line - CONTEXT_LINES)
    last = min(len(view.lines), loc.line + CONTEXT_LINES)
    number_width = len(str(last))
    style = SEVERITY_STYLE[finding.severity]
    gutter_width = number_width + 5  # "> " + number + " │ "
    out: list[Text] = []
    for number in range(first, last + 1):
        marker = ">" if number == loc.line else " "
        gutter = (f"{marker} {number:>{number_width}} │ ", "bold" if marker == ">" else "dim")
        if number == loc.line:
            before, flagged, after = _split_flagged(view, loc, width)
            before = _clip_left(before, width - gutter_width, cell_len(flagged))
            out.append(Text.assemble(gutter, before, (flagged, style), after))
            carets = "^" * max(1, cell_len(flagged))
            pad = " " * (number_width + 2)
            out.append(Text.assemble((f"{pad} │ ", "dim"), " " * cell_len(before), (carets, style)))
        elif loc.line < number <= loc.end_line:
            end = loc.end_column if number == loc.end_line else None
            inside = _head(view, number, 1, end, width)
            rest = _head(view, number, end, None, width) if end is not None else ""
            out.append(Text.assemble(gutter, (inside, style), rest))
        else:
            out.append(Text.assemble(gutter, _head(view, number, 1, None, width)))
    return out


def _split_flagged(view: _FileView, loc: Location, width: int) -> tuple[str, str, str]:
    before = _tail(view, loc.line, loc.column, width)
    if loc.end_line == loc.line:
        return (
            before,
            _head(view, loc.line, loc.column, loc.end_column, width),
            _head(view, loc.line, loc.end_column, None, width),
        )
    return before, _head(view, loc.line, loc.column, None, width), ""


# A frame line never shows more than the terminal's width, but a minified bundle is one
# line of megabytes: handing that whole to Rich, for every finding on it, would never
# finish. So a frame takes just over `width` cells on either side of the flagged column,
# with an ellipsis where it cuts; Rich then cuts to the exact width as it always did.
def _head(view: _FileView, line: int, start: int, end: int | None, width: int) -> str:
    """Columns [start, end) of `line`, cut once they show more than `width` cells."""
    from rich.cells import cell_len

    stop = len(view.lines[line - 1]) + 1 if end is None else end
    pieces: list[str] = []
    cells = 0
    cut = start
    while cut < stop:
        following = min(stop, view.outside_spans(line, cut + width, leftwards=False))
        pieces.append(view.visible(line, cut, following))
        cells += cell_len(pieces[-1])
        cut = following
        if cells > width and cut < stop:
            pieces.append("…")
            break
    return "".join(pieces)


def _tail(view: _FileView, line: int, end: int, width: int) -> str:
    """Columns [1, end) of `line`, only the last of them once they show more than
    `width` cells (after an ellipsis)."""
    from rich.cells import cell_len

    pieces: list[str] = []
    cells = 0
    start = end
    while start > 1:
        earlier = max(1, view.outside_spans(line, start - width, leftwards=True))
        pieces.append(view.visible(line, earlier, start))
        cells += cell_len(pieces[-1])
        start = earlier
        if cells > width and start > 1:
            pieces.append("…")
            break
    return "".join(reversed(pieces))


def _clip_left(before: str, available: int, flagged_cells: int) -> str:
    """Shift a long line left so that the flagged span stays on screen, a third of
    the way in."""
    from rich.cells import cell_len, get_character_cell_size

    if cell_len(before) + flagged_cells < available:
        return before
    budget = max(8, min(available // 3, available - flagged_cells - 2))
    kept = 0
    cells = 1  # the ellipsis
    for char in reversed(before):
        cells += get_character_cell_size(char)
        if cells > budget:
            break
        kept += 1
    return "…" + before[len(before) - kept :]
