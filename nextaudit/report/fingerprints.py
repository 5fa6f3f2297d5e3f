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


def line_hashes(text: str) -> list[str]:
    """`primaryLocationLineHash` of every line of `text`; index 0 is line 1."""
    units = _hash_units(text)
    total = len(units)
    # prefix[i] is the hash of units[:i]; a window's hash is a difference of two of them.
    prefix = [0] * (total + 1)
    running = 0
    for i, unit in enumerate(units):
        running = (running * BASE + unit) & MASK
        prefix[i + 1] = running
    starts = [0, *(i + 1 for i, unit in enumerate(units) if unit == LINE_FEED)]
    seen: dict[str, int] = {}
    out: list[str] = []
    for start in starts:
        end = min(start + WINDOW, total)
        value = (prefix[end] - prefix[start] * pow(BASE, end - start, 1 << 64)) & MASK
        # Past the end of file the window is padded with zeros: shift left for each.
        value = (value * pow(BASE, WINDOW - (end - start), 1 << 64)) & MASK
        digest = format(value, "x")
        seen[digest] = seen.get(digest, 0) + 1
        out.append(f"{digest}:{seen[digest]}")
    return out


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
        self._files: dict[str, list[str] | None] = {}

    def hash_of(self, path: str, line: int) -> str | None:
        """The hash of 1-based `line` of `path`, or None when the file cannot be read or
        has changed so that the line no longer exists."""
        if path not in self._files:
            text = self._read(path)
            self._files[path] = None if text is None else line_hashes(text)
        hashes = self._files[path]
        if hashes is None or not 1 <= line <= len(hashes):
            return None
        return hashes[line - 1]


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
