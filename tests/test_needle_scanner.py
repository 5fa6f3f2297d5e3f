"""The pre-filters' RE2 Set scan answers every question as the direct search would.

`prefilter.SCANNER` learns the filters' needles and finds them all in one pass over a
file; these tests compare its answers with the direct answers (`in`, `re.search`,
the unescaped bytes) on fuzzed bytes full of the characters that make them differ
(backslashes, line continuations, case, word boundaries), and check the ways it must
fall back to the direct search.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nextaudit.analysis import prefilter
from nextaudit.source import SourceFile

Question = Callable[[SourceFile], bool]

QUESTIONS: dict[str, Question] = {
    "literal": lambda s: prefilter.lacks(s, b"env"),
    "literals": lambda s: prefilter.lacks(s, b"ab", b"c.d"),
    "names": lambda s: prefilter.lacks_any(s, ["logger", "env"]),
    "text": lambda s: prefilter.lacks_text(s, b"env"),
    "texts": lambda s: prefilter.lacks_text(s, b"next/h", b"a+b"),
    "word regex": lambda s: prefilter.lacks_match(s, re.compile(rb"\benv\b")),
    "ignorecase": lambda s: prefilter.lacks_match(s, re.compile(rb"e[n-p]v", re.IGNORECASE)),
    "dotall": lambda s: prefilter.lacks_match(s, re.compile(rb"a.b", re.DOTALL)),
    "dot": lambda s: prefilter.lacks_match(s, re.compile(rb"a.b")),
    "multiline": lambda s: prefilter.lacks_match(s, re.compile(rb"^env", re.MULTILINE)),
    "dollar": lambda s: prefilter.lacks_match(s, re.compile(rb"env$")),
    "space": lambda s: prefilter.lacks_match(s, re.compile(rb"e\sv")),
    "letter escapes": prefilter.may_hide_text,
    "pattern source": lambda s: prefilter.lacks_clause(s, prefilter.has_pattern(rb"e[n-p]v\b")),
    "pattern source not RE2": lambda s: prefilter.lacks_clause(s, prefilter.has_pattern(rb"env$")),
}


def test_a_pattern_source_is_the_same_question_as_its_compiled_pattern() -> None:
    # has_pattern(p) and has_match(re.compile(p)) share one question (and one place
    # in the scan), so a rule may ask either way.
    assert prefilter.has_pattern(rb"gp[t]-\d") == prefilter.has_match(re.compile(rb"gp[t]-\d"))


def test_compile_re2_refuses_a_pattern_re2_reads_otherwise() -> None:
    assert [m.span() for m in prefilter.compile_re2(rb"a[bc]+").finditer(b"xabcbx ac")] == [
        (1, 5),
        (7, 9),
    ]
    with pytest.raises(ValueError, match="RE2 would not read"):
        prefilter.compile_re2(rb"env$")


# Bytes where the answers could differ: needle letters, backslashes, the four line
# breaks a continuation may end with, case, word characters, a vertical tab, Latin-1.
_PIECES = [
    b"e",
    b"n",
    b"v",
    b"E",
    b"N",
    b"V",
    b"a",
    b"b",
    b"c",
    b"d",
    b".",
    b"+",
    b"/",
    b"h",
    b"x",
    b"_",
    b" ",
    b"\\",
    b"\n",
    b"\r",
    b"\r\n",
    b"\v",
    "\u2028".encode(),
    "\u2029".encode(),
    "é".encode(),
    b"\\u",
    b"\\1",
    b"env",
    b"logger",
    b"next/h",
]


def _source(raw: bytes) -> SourceFile:
    return SourceFile.from_bytes("/p/a.ts", "a.ts", raw)


def _fresh_scanner(monkeypatch: pytest.MonkeyPatch, limit: int | None = None) -> None:
    scanner = prefilter.NeedleScanner()
    if limit is not None:
        scanner.MAX_PATTERNS = limit
    monkeypatch.setattr(prefilter, "SCANNER", scanner)


def _scanned_answers(raw: bytes) -> dict[str, bool]:
    """Every question asked of `raw` by a scanner that already knows them all."""
    warm_up = _source(b"")
    for question in QUESTIONS.values():  # learnt here, in the set from the next file
        question(warm_up)
    source = _source(raw)
    answers = {name: question(source) for name, question in QUESTIONS.items()}
    scanned = source._memo[prefilter._FOUND]
    assert scanned is not None  # the answers above came from the scan
    return answers


def _direct_answers(raw: bytes) -> dict[str, bool]:
    source = _source(raw)
    return {name: question(source) for name, question in QUESTIONS.items()}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=24).map(b"".join))
def test_the_scan_answers_as_the_direct_search(raw: bytes) -> None:
    with pytest.MonkeyPatch.context() as patch:
        _fresh_scanner(patch)
        scanned = _scanned_answers(raw)
        _fresh_scanner(patch, limit=0)  # learns nothing: every answer is direct
        direct = _direct_answers(raw)
    assert scanned == direct


@pytest.mark.parametrize(
    ("raw", "lacking"),
    [
        (b'import "next/h\\\neaders"', False),  # a line continuation inside the name
        (b'import "next/h\\\r\neaders"', False),
        (b'import "ne\\xt/headers"', False),  # \x spells a letter: no reading is safe
        (b'import "n\\ext/headers"', False),  # a backslash that drops out
        (b'import "next/\nheaders"', True),  # a line break without a backslash stays
        (b'import "next/headers"', False),
        (b"import 'next/server'", True),
    ],
)
def test_text_needles_are_found_through_escapes_by_the_scan(
    raw: bytes, lacking: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fresh_scanner(monkeypatch)
    prefilter.lacks_text(_source(b""), b"next/headers")  # learn the question
    source = _source(raw)
    assert prefilter.lacks_text(source, b"next/headers") is lacking
    assert source._memo[prefilter._FOUND] is not None


with warnings.catch_warnings():  # Python warns that it reads `[[` as a nested set
    warnings.simplefilter("ignore", FutureWarning)
    _POSIX_CLASS = re.compile(rb"[[:alpha:]]")


@pytest.mark.parametrize(
    "pattern",
    [
        re.compile(rb"env$"),  # Python's $ also matches before a final newline
        re.compile(rb"e\sv"),  # Python's \s also matches \v
        _POSIX_CLASS,  # a class only in RE2
        re.compile(rb"a{,3}"),  # a repeat only in Python
        re.compile(rb"env(?=x)"),
        re.compile(rb"(a)\1"),
        re.compile(rb"\101"),
        re.compile(rb"e n v", re.VERBOSE),
        re.compile(rb"[\b]"),  # a backspace in Python, an error in RE2
    ],
    ids=repr,
)
def test_patterns_re2_reads_otherwise_are_searched_directly(
    pattern: re.Pattern[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    _fresh_scanner(monkeypatch)
    prefilter.lacks_match(_source(b""), pattern)
    assert prefilter.SCANNER.indexes[("re", pattern.pattern, pattern.flags)] == -1


def test_patterns_re2_reads_alike_go_in_the_set(monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_scanner(monkeypatch)
    word = re.compile(rb"\b(?:json|text)\b")
    folded = re.compile(rb"origin", re.IGNORECASE)
    source = _source(b"")
    prefilter.lacks_match(source, word)
    prefilter.lacks_match(source, folded)
    indexes = prefilter.SCANNER.indexes
    assert indexes[("re", word.pattern, word.flags)] > 0
    assert indexes[("re", folded.pattern, folded.flags)] > 0
    assert prefilter.lacks_match(_source(b"x.Origin"), folded) is False


def test_a_question_first_asked_after_the_scan_is_answered_directly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fresh_scanner(monkeypatch)
    prefilter.lacks(_source(b""), b"first")
    source = _source(b"first second")
    assert prefilter.lacks(source, b"first") is False  # scanned
    assert prefilter.lacks(source, b"second") is False  # learnt now: not in this scan
    assert prefilter.lacks(source, b"third") is True
    count, _found = source._memo[prefilter._FOUND]  # type: ignore[misc]
    assert prefilter.SCANNER.indexes[("in", (b"second",))] >= count


def test_a_scan_that_did_not_reach_the_end_is_not_trusted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fresh_scanner(monkeypatch)
    prefilter.lacks(_source(b""), b"env")
    prefilter.lacks(_source(b""), b"env")  # second scan: the set now holds `env`
    built = prefilter.SCANNER._set
    assert built is not None

    class OutOfMemory:
        """RE2's DFA giving up halfway: no match at the end of the text."""

        def Match(self, text: bytes) -> list[int]:
            return []

    monkeypatch.setattr(prefilter.SCANNER, "_set", OutOfMemory())
    source = _source(b"process.env.X")
    assert prefilter.lacks(source, b"env") is False
    assert source._memo[prefilter._FOUND] is None


def test_the_scanner_stops_learning_at_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_scanner(monkeypatch, limit=3)
    source = _source(b"w1 w2 w3 w4")
    for number in range(1, 5):
        assert prefilter.lacks(source, f"w{number}".encode()) is False
    assert len(prefilter.SCANNER.patterns) == 3  # the end marker and two needles
    assert prefilter.SCANNER.indexes[("in", (b"w4",))] == -1
    assert prefilter.lacks(_source(b"w4"), b"w4") is False
    assert prefilter.lacks(_source(b"w1"), b"w4") is True


def test_filters_off_never_ask_the_scanner(monkeypatch: pytest.MonkeyPatch) -> None:
    _fresh_scanner(monkeypatch)
    monkeypatch.setattr(prefilter, "ENABLED", False)
    source = _source(b"")
    assert prefilter.lacks(source, b"x") is False
    assert prefilter.lacks_text(source, b"x") is False
    assert prefilter.lacks_match(source, re.compile(rb"x")) is False
    assert prefilter.SCANNER.indexes == {}


def _in_scan(source: SourceFile, needle: bytes) -> bool:
    """Whether `needle`'s question was answered from the file's scan."""
    scanned = source._memo[prefilter._FOUND]
    index = prefilter.SCANNER.indexes[("in", (needle,))]
    return scanned is not None and 0 < index < scanned[0]  # type: ignore[index]


def test_a_question_learnt_late_is_in_the_next_file_s_scan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fresh_scanner(monkeypatch)
    for _ in range(5):
        prefilter.lacks(_source(b"a"), b"a")
    sixth = _source(b"late")
    prefilter.lacks(sixth, b"a")  # the file's scan
    assert prefilter.lacks(sixth, b"late") is False
    assert not _in_scan(sixth, b"late")  # first asked after this file's scan
    seventh = _source(b"late")
    assert prefilter.lacks(seventh, b"late") is False
    assert _in_scan(seventh, b"late")


def test_after_the_eager_rebuilds_the_set_grows_at_doubling_file_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _fresh_scanner(monkeypatch)
    monkeypatch.setattr(prefilter.SCANNER, "EAGER_REBUILDS", 0)
    for _ in range(5):
        prefilter.lacks(_source(b"a"), b"a")
    sixth = _source(b"late")
    prefilter.lacks(sixth, b"a")  # the 6th scan
    prefilter.lacks(sixth, b"late")  # learnt after it
    answered = []
    for _ in range(3):  # scans 7, 8, 9
        source = _source(b"late")
        assert prefilter.lacks(source, b"late") is False
        answered.append(_in_scan(source, b"late"))
    assert answered == [False, True, True]  # rebuilt at the 8th scan
