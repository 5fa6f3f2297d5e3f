"""GitHub's primaryLocationLineHash against the test vectors published in
github/codeql-action's src/fingerprints.test.ts, and nextaudit's own fingerprint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nextaudit.findings import Finding, Location, Severity
from nextaudit.report.fingerprints import (
    LineHashCache,
    line_hashes,
    stable_fingerprints,
)

GREETINGS = [
    "e9496ae3ebfced30:1",
    "fb7c023a8b9ccb3f:1",
    "ce8ba1a563dcdaca:1",
    "e20e36e16fcb0cc8:1",
    "b3edc88f2938467e:1",
    "c8e28b0b4002a3a0:1",
    "c129715d7a2bc9a3:1",
]

# (input, expected hashes): github/codeql-action src/fingerprints.test.ts, test "hash".
VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (
        " a\nb\n  \t\tc\n d",
        ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"],
    ),
    (
        " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End",
        [
            "8b7cf3e952e7aeb2:1",
            "b1ae1287ec4718d9:1",
            "bff680108adb0fcc:1",
            "c6805c5e1288b612:1",
            "b86d3392aea1be30:1",
            "e6ceba753e1a442:1",
        ],
    ),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n", GREETINGS),
    (" hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r", GREETINGS),
    (" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n", GREETINGS),
    (" hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n", GREETINGS),
    (
        "Lorem ipsum dolor sit amet.\n" * 10,
        [
            "a7f2ff13bc495cf2:1",
            "a7f2ff13bc495cf2:2",
            "a7f2ff13bc495cf2:3",
            "a7f2ff13bc495cf2:4",
            "a7f2ff13bc495cf2:5",
            "a7f2ff13bc495cf2:6",
            "a7f2ff1481e87703:1",
            "a9cf91f7bbf1862b:1",
            "55ec222b86bcae53:1",
            "cc97dc7b1d7d8f7b:1",
            "c129715d7a2bc9a3:1",
        ],
    ),
    (
        "x = 2\nx = 1\nprint(x)\nx = 3\nprint(x)\nx = 4\nprint(x)\n",
        [
            "e54938cc54b302f1:1",
            "bb609acbe9138d60:1",
            "1131fd5871777f34:1",
            "5c482a0f8b35ea28:1",
            "54517377da7028d2:1",
            "2c644846cb18d53e:1",
            "f1b89f20de0d133:1",
            "c129715d7a2bc9a3:1",
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), VECTORS)
def test_codeql_action_vectors(text: str, expected: list[str]) -> None:
    hashes = line_hashes(text)
    assert hashes == expected
    # One hash per line as the upload action splits them (a trailing break adds a line).
    assert len(hashes) == len(re.split(r"\r\n|\r|\n", text))


def test_a_cr_followed_by_a_space_then_lf_is_two_line_breaks() -> None:
    assert len(line_hashes("a\r \nb")) == 3
    assert line_hashes("a\r \nb") == line_hashes("a\n\nb")


def test_astral_characters_count_as_two_utf16_units() -> None:
    """GitHub hashes UTF-16 code units: an emoji fills two of the 100 window slots, so
    after it only 98 more characters count."""
    assert line_hashes("🚀" + "x" * 98 + "y\n")[0] == line_hashes("🚀" + "x" * 98 + "z\n")[0]
    assert line_hashes("é" + "x" * 98 + "y\n")[0] != line_hashes("é" + "x" * 98 + "z\n")[0]


def test_window_is_100_characters_after_dropping_whitespace() -> None:
    base = line_hashes("a" * 100 + "\n")
    assert line_hashes("a " * 100 + "\n")[0] == base[0]
    assert line_hashes("\t".join("a" * 100) + "\n")[0] == base[0]


@given(st.text(alphabet=st.sampled_from("ab \t\r\n€🚀"), max_size=300))
def test_one_hash_per_line_and_counts_are_consistent(text: str) -> None:
    hashes = line_hashes(text)
    assert len(hashes) == len(re.split(r"\r\n|\r|\n", text))
    seen: dict[str, int] = {}
    for value in hashes:
        digest, count = value.split(":")
        seen[digest] = seen.get(digest, 0) + 1
        assert int(count) == seen[digest]
        assert re.fullmatch(r"[0-9a-f]{1,16}", digest)


def test_cache_reads_each_file_once(tmp_path: Path) -> None:
    source = tmp_path / "a.ts"
    source.write_text("one\ntwo\n", encoding="utf-8")
    reads: list[str] = []

    def read(path: str) -> str | None:
        reads.append(path)
        return Path(path).read_text(encoding="utf-8")

    cache = LineHashCache(read)
    assert cache.hash_of(source.as_posix(), 2) == line_hashes("one\ntwo\n")[1]
    assert cache.hash_of(source.as_posix(), 1) == line_hashes("one\ntwo\n")[0]
    assert cache.hash_of(source.as_posix(), 99) is None
    assert reads == [source.as_posix()]


def test_cache_keeps_a_bom_and_replaces_bad_bytes_like_node(tmp_path: Path) -> None:
    source = tmp_path / "a.ts"
    source.write_bytes(b"\xef\xbb\xbfconst x\xff = 1;\n")
    assert (
        LineHashCache().hash_of(source.as_posix(), 1)
        == line_hashes("\ufeffconst x\ufffd = 1;\n")[0]
    )


def test_cache_missing_file_is_none(tmp_path: Path) -> None:
    assert LineHashCache().hash_of((tmp_path / "nope.ts").as_posix(), 1) is None


def _finding(line: int, snippet: str = "any", rule_id: str = "no-explicit-any") -> Finding:
    return Finding(
        rule_id, Severity.ERROR, "msg", "/repo/a.ts", Location(line, 1, line, 4), snippet
    )


def test_stable_fingerprint_ignores_position_and_whitespace() -> None:
    relative = lambda path: path.removeprefix("/repo/")  # noqa: E731
    (first,) = stable_fingerprints([_finding(3, "Record<string,  any>")], relative)
    (moved,) = stable_fingerprints([_finding(40, "Record<string,\n any>")], relative)
    assert first == moved
    assert len(first) == 64


def test_stable_fingerprint_distinguishes_rule_text_and_occurrence() -> None:
    relative = lambda path: path.removeprefix("/repo/")  # noqa: E731
    values = stable_fingerprints(
        [_finding(1), _finding(2), _finding(3, "unknown"), _finding(4, rule_id="other")], relative
    )
    assert len(set(values)) == 4


def test_stable_fingerprint_falls_back_to_the_message_without_snippet() -> None:
    relative = lambda path: path  # noqa: E731
    a = Finding("r", Severity.NOTE, "first", "/a.ts", Location(1, 1, 1, 1))
    b = Finding("r", Severity.NOTE, "second", "/a.ts", Location(1, 1, 1, 1))
    assert stable_fingerprints([a], relative) != stable_fingerprints([b], relative)
