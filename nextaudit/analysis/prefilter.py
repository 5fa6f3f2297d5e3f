"""Byte pre-filters: a check returns at once when the file's bytes cannot hold what it
looks for.

Most files break no rule, and most rules look for something a file's bytes must
contain: `process.env` needs `env`, an empty catch needs `catch`, a logged secret needs
a logger's name. Testing the bytes (a C-level `in` or one regex search) costs
microseconds; asking the tree costs a walk over every node, about a quarter of the
parse. A filter must be *necessary*, never a guess: if the check could report
anything in a file, the filter lets the file through. `tests/test_prefilter.py` runs
every rule over every fixture with the filters on and off and demands the same
findings; `ENABLED = False` turns them all off (that test's switch).

Escapes: a string's value is not its bytes. `\\u0067`, `\\x67` and `\\147` spell any
letter (`may_hide_text`); a backslash before a character that starts no escape drops
out (`"g\\pt"` is "gpt"), and so does a backslash before a line break. A filter on
text a string literal may hold uses `lacks_text` / `lacks_text_match`, which allow
for all three.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

import re2

from nextaudit.nextjs_roles import Role
from nextaudit.source import SourceFile

ENABLED = True

T = TypeVar("T")

# Escapes that can spell a letter inside a string or template literal: \x67, \u0067,
# \u{67}, and legacy octal \147. (Identifiers can hold \u escapes too.)
_LETTER_ESCAPE = re.compile(rb"\\(?:[xu]|[0-7])")


# (how many patterns the scan looked for, the indexes of those it found); None when
# the scan cannot be trusted.
_Scanned = tuple[int, frozenset[int]] | None


class NeedleScanner:
    """Every needle the filters asked for so far in this process, looked for in a
    file's bytes by one RE2 Set scan instead of one search per rule.

    Eighteen rules ask each file two or three questions of its bytes; each `in` or
    regex search reads the whole file again (about 8 us per rule and file, a fifth of
    the rules' time). An RE2 Set finds which of all the patterns occur in one pass at
    DFA speed. The needles are learnt as the questions are made (most when the rules
    are imported, before the first file); a question first made after a file was
    scanned is answered directly for that file, and the set is rebuilt with it
    before the next file (see EAGER_REBUILDS). Answers never differ
    from the direct ones; only a pattern RE2 reads exactly as Python's `re` does is
    put in the set (see `_as_re2`), and a scan that did not reach the end of the bytes
    (RE2 out of memory) answers nothing.
    """

    MAX_PATTERNS = 256  # needles built from file contents must not grow it forever
    # A new question is put in the set before the next file for the first rebuilds
    # (the rules' questions are a fixed few dozen, some first asked by the first route
    # file, say: answering them directly meanwhile can cost a regex search per file);
    # after these, only at doubling file counts (2-4 ms a rebuild).
    EAGER_REBUILDS = 32
    _END = rb"\z"  # matches at the end of every text: the scan reached it

    def __init__(self) -> None:
        self.indexes: dict[Hashable, int] = {}  # question -> pattern index; -1: ask directly
        self.patterns: list[bytes] = [self._END]
        self._set: re2.Set | None = None
        self._in_set = 0  # patterns[:_in_set] are in _set
        self._scans = 0
        self._rebuilds = 0

    def add(self, key: Hashable, pattern: bytes | None) -> int:
        """The index of a new question (-1: answer it directly, always)."""
        if pattern is None or len(self.patterns) >= self.MAX_PATTERNS or not _compiles(pattern):
            self.indexes[key] = -1
            return -1
        self.patterns.append(pattern)
        index = self.indexes[key] = len(self.patterns) - 1
        return index

    def scan(self, content: bytes) -> _Scanned:
        """(how many patterns were looked for, the indexes of those found), or None
        when the scan cannot be trusted."""
        self._scans += 1
        if len(self.patterns) > self._in_set and (
            self._rebuilds < self.EAGER_REBUILDS or self._scans & (self._scans - 1) == 0
        ):
            self._rebuild()
        if self._set is None:
            return None
        found = self._set.Match(content)
        if not found or 0 not in found:
            return None
        return self._in_set, frozenset(found)

    def _rebuild(self) -> None:
        built = re2.Set.SearchSet(_options())
        for pattern in self.patterns:
            built.Add(pattern)
        built.Compile()
        self._set, self._in_set = built, len(self.patterns)
        self._rebuilds += 1


def _options() -> re2.Options:
    options = re2.Options()
    # Bytes, not UTF-8: `.` and classes match single bytes as in a bytes `re`.
    options.encoding = re2.Options.Encoding.LATIN1
    options.max_mem = 64 << 20
    options.log_errors = False
    return options


def _compiles(pattern: bytes) -> bool:
    try:
        _re2_compiled(pattern)
    except re2.error:
        return False
    return True


@functools.cache
def _re2_compiled(pattern: bytes) -> Any:
    # Cached: the scanner's test that a needle compiles and compile_re2 share one
    # compilation of a big pattern.
    return re2.compile(pattern, _options())


SCANNER = NeedleScanner()

_FOUND = "prefilter.found"


class Question(Generic[T]):
    """One question about a file's bytes (does it hold this needle?), answered from
    the file's scan when the scanner knows it, else by `direct(source, needle)`."""

    __slots__ = ("_direct", "_index", "_needle", "_pattern", "_scanner", "key")

    def __init__(
        self,
        key: Hashable,
        pattern: Callable[[T], bytes | None],
        direct: Callable[[SourceFile, T], bool],
        needle: T,
    ) -> None:
        self.key = key
        self._pattern = pattern
        self._direct = direct
        self._needle = needle
        self._scanner: NeedleScanner | None = None
        self._index = -1

    def learn(self, scanner: NeedleScanner) -> int:
        """This question's index in `scanner`, added to it if new."""
        index = scanner.indexes.get(self.key)
        if index is None:
            index = scanner.add(self.key, self._pattern(self._needle))
        self._scanner, self._index = scanner, index
        return index

    def found(self, source: SourceFile) -> bool:
        scanner = SCANNER
        # Learnt when made (see _question); again if tests swapped the scanner.
        index = self._index if self._scanner is scanner else self.learn(scanner)
        if index > 0:
            scanned = _scanned(source, scanner)
            if scanned is not None and index < scanned[0]:
                return index in scanned[1]
        return self._direct(source, self._needle)


def _scanned(source: SourceFile, scanner: NeedleScanner) -> _Scanned:
    """The file's scan, made once per file (by whoever asks first)."""
    memo = source._memo
    if _FOUND in memo:
        return cast(_Scanned, memo[_FOUND])
    scanned = memo[_FOUND] = scanner.scan(source.content)
    return scanned


# Questions by key: the lacks_* functions are called with the same needles for every
# file, and a Question remembers its place in the scanner.
_QUESTIONS: dict[Hashable, Question[Any]] = {}
_MAX_QUESTIONS = 1024


def _question(
    key: Hashable,
    pattern: Callable[[T], bytes | None],
    direct: Callable[[SourceFile, T], bool],
    needle: T,
) -> Question[T]:
    found = _QUESTIONS.get(key)
    if found is None:
        found = Question(key, pattern, direct, needle)
        if len(_QUESTIONS) < _MAX_QUESTIONS:
            _QUESTIONS[key] = found
        # The scanner learns a question when it is made, not when a file first asks
        # it: the rules make theirs when imported (NEEDS), before the first scan, so
        # the set is built once, not rebuilt (and its DFA warmed again) for each
        # question that the first route file, say, asks late; and forked workers
        # inherit the whole set.
        found.learn(SCANNER)
    return found


def has(*needles: bytes) -> Clause:
    """Any of `needles` in the file's bytes."""
    return (_question(("in", needles), _literals, _has_literal, needles),)


def has_match(pattern: re.Pattern[bytes]) -> Clause:
    """`pattern` matches somewhere in the file's bytes."""
    key = ("re", pattern.pattern, pattern.flags)
    return (_question(key, _as_re2, _matches, pattern),)


def has_pattern(pattern: bytes) -> Clause:
    """`has_match(re.compile(pattern))` (the same question), for a pattern given as its
    source: `re` compiles it only if a file must be answered directly (big patterns
    take milliseconds to compile, and the scan answers them)."""
    return (_question(("re", pattern, 0), _source_as_re2, _matches_source, pattern),)


def has_text(*needles: bytes) -> Clause:
    """Any of `needles` in a string literal's value (a module name, a quoted key): in
    the bytes, in the bytes as escapes that only drop a backslash read them, or an
    escape that can spell a letter anywhere."""
    return (
        _LETTER_ESCAPE_QUESTION,
        _question(("text", needles), _text_literals, _has_text, needles),
    )


# One or more questions, any of which may be found.
Clause = tuple[Question[Any], ...]


@dataclass(frozen=True)
class Needs:
    """What a file must hold for a check to report anything in it: one of `roles`
    (when given: where the rule applies, whatever `ENABLED` says) and, for every
    clause, one of its questions found. A check module
    declares it as `NEEDS`, or as `needs(options)` when it depends on the options;
    the engine then skips the check, without calling it, on files that do not meet
    it. Like every filter it must be *necessary* (tests/test_prefilter.py)."""

    clauses: tuple[Clause, ...] = ()
    roles: frozenset[Role] | None = None

    def met_by(self, source: SourceFile) -> bool:
        # Roles hold whether or not filtering is on: they say where the rule applies.
        if self.roles is not None and source.role not in self.roles:
            return False
        if not ENABLED:
            return True
        # Loops, not all()/any(): a generator per call costs more than the questions.
        for clause in self.clauses:  # noqa: SIM110
            if not _clause_found(clause, source):
                return False
        return True


class NeedsTable:
    """Which of several checks' `Needs` a file meets (None: no needs, always met).

    What decides it is the file's role and the answers to the questions, which the
    scan of the file gives when it knows every question: then the answer is the same
    for every file with the same role and the same found needles, and is looked up
    instead of asked again (about twenty checks per file, each a few questions: the
    engine asked ~90,000 over a 5,000-file run; a few hundred combinations occur).
    """

    MAX_REMEMBERED = 4096  # combinations kept; more are asked directly

    def __init__(self, needs: Sequence[Needs | None]) -> None:
        self.needs = tuple(needs)
        self._scanner: NeedleScanner | None = None
        self._last_index = -1  # the highest scan index of any question; -1: none asks
        self._by_scan: dict[tuple[Role, frozenset[int]], tuple[bool, ...]] = {}

    def met(self, source: SourceFile) -> tuple[bool, ...]:
        if ENABLED:
            scanner = SCANNER
            if self._scanner is not scanner:  # first use (or tests swapped the scanner)
                self._learn(scanner)
            if self._last_index >= 0:
                scanned = _scanned(source, scanner)
                if scanned is not None and self._last_index < scanned[0]:
                    key = (source.role, scanned[1])
                    found = self._by_scan.get(key)
                    if found is None:
                        found = self._asked(source)
                        if len(self._by_scan) < self.MAX_REMEMBERED:
                            self._by_scan[key] = found
                    return found
        return self._asked(source)

    def _asked(self, source: SourceFile) -> tuple[bool, ...]:
        return tuple(needs is None or needs.met_by(source) for needs in self.needs)

    def _learn(self, scanner: NeedleScanner) -> None:
        indexes = [
            question.learn(scanner)
            for needs in self.needs
            if needs is not None
            for clause in needs.clauses
            for question in clause
        ]
        # A question answered directly (-1) depends on more than the scan: no table;
        # without questions, nothing to look up (roles alone are cheap to ask).
        self._last_index = -1 if -1 in indexes or not indexes else max(indexes)
        self._by_scan = {}
        self._scanner = scanner


def needs(*clauses: Clause, roles: Iterable[Role] | None = None) -> Needs:
    """`Needs` of every clause (`has(...)`, `has_text(...)`, `has_match(...)`, or
    several of them joined with `either`), and one of `roles` when given."""
    return Needs(tuple(clauses), frozenset(roles) if roles is not None else None)


def either(*clauses: Clause) -> Clause:
    """Any one of the clauses."""
    return tuple(question for clause in clauses for question in clause)


def _clause_found(clause: Clause, source: SourceFile) -> bool:
    for question in clause:  # noqa: SIM110 - see Needs.met_by
        if question.found(source):
            return True
    return False


def _literals(needles: tuple[bytes, ...]) -> bytes:
    return b"|".join(re.escape(needle) for needle in needles)


# A backslash that drops out of a literal's value, with the line break after it (a
# line continuation): what `unescaped_bytes` removes, as a pattern between letters.
_DROPPED = rb"(?:\\(?:\r\n|\n|\xe2\x80\xa8|\xe2\x80\xa9)?)*"


def _text_literals(needles: tuple[bytes, ...]) -> bytes | None:
    """A pattern that finds each needle in the bytes or in `unescaped_bytes` of them:
    letters with backslashes (and continuations) allowed between them."""
    spelled = []
    for needle in needles:
        if not needle or any(byte < 0x20 or byte > 0x7E or byte == 0x5C for byte in needle):
            return None
        spelled.append(_DROPPED.join(re.escape(needle[i : i + 1]) for i in range(len(needle))))
    return b"|".join(spelled)


def lacks(source: SourceFile, *needles: bytes) -> bool:
    """True when filtering is on and none of `needles` occurs in the file's bytes."""
    if not ENABLED or not needles:
        return False
    return not _clause_found(has(*needles), source)


def lacks_clause(source: SourceFile, clause: Clause) -> bool:
    """True when filtering is on and none of the clause's questions is found: for a
    clause made once at import (so the scanner learns it before the first file)."""
    return ENABLED and not _clause_found(clause, source)


def _has_literal(source: SourceFile, needles: tuple[bytes, ...]) -> bool:
    content = source.content
    return any(needle in content for needle in needles)


def lacks_any(source: SourceFile, needles: Iterable[str]) -> bool:
    """`lacks` for names from options (strings); an empty list lacks nothing."""
    if not ENABLED:
        return False
    return lacks(source, *(needle.encode("utf-8") for needle in needles))


def lacks_match(source: SourceFile, pattern: re.Pattern[bytes]) -> bool:
    """True when filtering is on and `pattern` matches nowhere in the file's bytes."""
    if not ENABLED:
        return False
    return not _clause_found(has_match(pattern), source)


def _matches(source: SourceFile, pattern: re.Pattern[bytes]) -> bool:
    return pattern.search(source.content) is not None


def _matches_source(source: SourceFile, pattern: bytes) -> bool:
    return _compiled(pattern).search(source.content) is not None


@functools.cache
def _compiled(pattern: bytes) -> re.Pattern[bytes]:
    return re.compile(pattern)


def lacks_text(source: SourceFile, *needles: bytes) -> bool:
    """`lacks` for text that may sit in a string literal's value (a module name, a
    quoted key): none of `needles` in the bytes, nor in the bytes as escapes that
    only drop a backslash read them, and no escape that can spell a letter."""
    if not ENABLED or not needles:
        return False
    return not _clause_found(has_text(*needles), source)


def _has_text(source: SourceFile, needles: tuple[bytes, ...]) -> bool:
    if _has_literal(source, needles):
        return True
    read = unescaped(source)
    return read is None or any(needle in read for needle in needles)


# Pieces of Python regex syntax RE2 reads differently or not at all (`$` also
# matches before a final newline in Python; `\s` also matches \v; `[[:alpha:]]` is
# a class only in RE2; `a{,3}` a repeat only in Python; lookarounds, backreferences,
# octal escapes): a pattern
# holding one is searched with `re`, never put in the set.
_NOT_LIKE_RE2 = re.compile(rb"\$|\\[sSAZzQEpPCG0-9]|\[:|\(\?[^:P]|\{,")
_RE2_FLAGS = {re.IGNORECASE: b"i", re.MULTILINE: b"m", re.DOTALL: b"s"}


def _source_as_re2(pattern: bytes) -> bytes | None:
    """A pattern source (flags 0) as RE2 reads it the same way, or None."""
    return None if _NOT_LIKE_RE2.search(pattern) is not None else pattern


def compile_re2(pattern: bytes) -> Any:
    """An RE2 regex (`re2._Regexp`: search, finditer...) of a bytes pattern that RE2
    reads as `re` does (`_source_as_re2`; ValueError otherwise), matching bytes as a
    bytes `re` pattern does: for a big pattern searched often, RE2 compiles in a
    fraction of `re`'s time and finds the same matches (leftmost-first, greedy)."""
    if _source_as_re2(pattern) is None:
        raise ValueError(f"RE2 would not read {pattern!r} as re does")
    return _re2_compiled(pattern)


def _as_re2(pattern: re.Pattern[bytes]) -> bytes | None:
    """The pattern as RE2 reads it the same way, or None."""
    flags = pattern.flags & ~(re.ASCII | re.UNICODE)
    letters = b""
    for flag, letter in _RE2_FLAGS.items():
        if flags & flag:
            letters += letter
            flags &= ~flag
    body = _source_as_re2(pattern.pattern)
    if flags or body is None:
        return None
    return b"(?" + letters + b":" + body + b")" if letters else body


def lacks_text_match(source: SourceFile, pattern: re.Pattern[bytes]) -> bool:
    """`lacks_match` for text that may sit in a string literal's value (`lacks_text`)."""
    if not lacks_match(source, pattern):
        return False
    read = unescaped(source)
    return read is not None and pattern.search(read) is None


def unescaped(source: SourceFile) -> bytes | None:
    """`unescaped_bytes` of the file, once per file: most files hold a backslash
    (`"\\n"`), and several rules ask."""
    return source.memo("prefilter.unescaped", _unescaped_content)


def _unescaped_content(source: SourceFile) -> bytes | None:
    return unescaped_bytes(source.content)


def unescaped_bytes(content: bytes) -> bytes | None:
    """The bytes with every backslash that could drop out of a string's value
    dropped (with the line break after it: a line continuation), so that every text
    a literal's value holds shows in them; None when an escape could spell any letter,
    and no reading of the bytes is safe."""
    if b"\\" not in content:
        return content
    if _LETTER_ESCAPE.search(content) is not None:
        return None
    for continuation in (b"\\\r\n", b"\\\n", "\\\u2028".encode(), "\\\u2029".encode()):
        content = content.replace(continuation, b"")
    return content.replace(b"\\", b"")


def may_hide_text(source: SourceFile) -> bool:
    """Whether an escape in the file could spell, in a literal's value, text that its
    bytes do not show (so a filter on that text must let the file through)."""
    return _LETTER_ESCAPE_QUESTION.found(source)


def _pattern_of(pattern: re.Pattern[bytes]) -> bytes:
    return pattern.pattern


_LETTER_ESCAPE_QUESTION = _question("letter-escape", _pattern_of, _matches, _LETTER_ESCAPE)
