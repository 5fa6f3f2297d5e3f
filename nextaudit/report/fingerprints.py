"""Fingerprints that let GitHub code scanning (and baselines) follow a finding across
commits.

`primaryLocationLineHash` is GitHub's own partial fingerprint, the value
github/codeql-action's upload step would compute if it were missing. Its definition:
take the file as UTF-16 code units with every line break (CR, LF, CRLF) turned into one
LF and every space and tab dropped, append one end-of-file marker (65535) and then
zeros; the hash of a line is the polynomial rolling hash, base 37 modulo 2**64, of the
100 code units starting at that line's first unit, written as unsigned lower-case hex
without leading zeros, followed by `:n` where n counts how many earlier lines (plus
this one) had the same hash. The end-of-file marker starts a line of its own when the
file ends with a line break, so a file of N lines ending in LF has N + 1 hashes.

`stable_fingerprint` is nextaudit's own, for `fingerprints["nextaudit/v1"]` and the JSON
report: a hash of what the finding is (rule, file, flagged text) and which occurrence
of that it is in the file, but not where it is, so that edits elsewhere in the file do
not change it.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from operator import mul
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nextaudit.findings import Finding

BASE = 37
WINDOW = 100
MASK = (1 << 64) - 1
END_OF_FILE = 65535
LINE_FEED = 10
STABLE_KEY = "nextaudit/v1"


def _hash_units(text: str) -> array[int]:
    """The code units GitHub hashes: line breaks unified, spaces and tabs gone, and the
    end-of-file marker appended."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    normalised = normalised.replace(" ", "").replace("\t", "")
    units = array("H")
    units.frombytes(normalised.encode("utf-16-le", errors="surrogatepass"))
    units.append(END_OF_FILE)
    return units


# The weight of each of a window's units: 37**99 for the first, ..., 1 for the last.
_WEIGHTS = [pow(BASE, WINDOW - 1 - k, 1 << 64) for k in range(WINDOW)]


class FileHashes:
    """The line hashes of one file, each computed when asked for.

    A window's hash is sum(unit * 37**(99 - k)) mod 2**64, the zeros past the end of
    the file adding nothing. The rolling hash over every unit that computes them all
    runs in Python at a quarter of a microsecond per unit: 0.7 s for a SARIF report of
    1,000 findings in 750 files. So only the lines asked for are hashed, and the `:n`
    counts come from comparing the windows themselves (bytes slices and a dict, C
    loops): equal windows have equal hashes, and two different 100-unit windows that
    hash alike (odds of 2**-64 per pair) are the only case where this counts apart
    what GitHub would count together.
    """

    def __init__(self, text: str) -> None:
        self._units = _hash_units(text)
        data = self._units.tobytes()
        # Line starts: after each LF unit, searched for in the array's bytes; a match
        # at an odd offset straddles two units and is not one.
        starts = [0]
        feed = array("H", [LINE_FEED]).tobytes()
        position = data.find(feed)
        while position != -1:
            if position % 2 == 0:
                starts.append(position // 2 + 1)
            position = data.find(feed, position + 1)
        width = 2 * WINDOW
        seen: dict[bytes, int] = {}
        counts = []
        for start in starts:
            window = data[2 * start : 2 * start + width].ljust(width, b"\0")
            counts.append(seen.setdefault(window, 0) + 1)
            seen[window] = counts[-1]
        self._starts = starts
        self._counts = counts

    def __len__(self) -> int:
        return len(self._starts)

    def hash_of(self, index: int) -> str:
        """The hash of the line at 0-based `index`."""
        start = self._starts[index]
        value = sum(map(mul, self._units[start : start + WINDOW], _WEIGHTS)) & MASK
        return f"{value:x}:{self._counts[index]}"


def line_hashes(text: str) -> list[str]:
    """`primaryLocationLineHash` of every line of `text`; index 0 is line 1."""
    hashes = FileHashes(text)
    return [hashes.hash_of(index) for index in range(len(hashes))]


def read_for_hashing(path: str) -> str | None:
    """A file's text as the upload action reads it: UTF-8, BOM kept, bad bytes replaced."""
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return None


class LineHashCache:
    """Line hashes per file, each file read and hashed once per report."""

    def __init__(self, read: Callable[[str], str | None] = read_for_hashing) -> None:
        self._read = read
        self._files: dict[str, FileHashes | None] = {}

    def hash_of(self, path: str, line: int) -> str | None:
        """The hash of 1-based `line` of `path`, or None when the file cannot be read or
        has changed so that the line no longer exists."""
        if path not in self._files:
            text = self._read(path)
            self._files[path] = None if text is None else FileHashes(text)
        hashes = self._files[path]
        if hashes is None or not 1 <= line <= len(hashes):
            return None
        return hashes.hash_of(line - 1)


def normalised_text(finding: Finding) -> str:
    """What identifies a finding's code: its snippet (already redacted where the rule
    redacts) with whitespace runs collapsed, or its message when it has no snippet."""
    return " ".join(finding.snippet.split()) or finding.message


def stable_fingerprint(rule_id: str, repo_path: str, text: str, occurrence: int) -> str:
    import hashlib

    material = "\0".join((rule_id, repo_path, text, str(occurrence)))
    return hashlib.sha256(material.encode("utf-8", errors="surrogatepass")).hexdigest()


def stable_fingerprints(findings: Sequence[Finding], repo_path: Callable[[str], str]) -> list[str]:
    """One fingerprint per finding, in order. Identical findings (same rule, file and
    text) are told apart by their occurrence index in source order."""
    occurrences: dict[tuple[str, str, str], int] = {}
    out: list[str] = []
    for finding in findings:
        key = (finding.rule_id, repo_path(finding.path), normalised_text(finding))
        index = occurrences.get(key, 0)
        occurrences[key] = index + 1
        out.append(stable_fingerprint(*key, index))
    return out
