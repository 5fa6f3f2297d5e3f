"""Property-based fuzzing of the whole pipeline: random bytes, random code-like text in
every encoding, and mutations of the repository's own fixtures (byte flips,
truncations, splices of two fixtures, insertions, line-ending rewrites) go through
discovery, every rule, suppressions and every reporter.

Whatever the input (file names with spaces, `#`, `%`, control characters and any
script included): no exception and no rule crash; a well-formed report in every
format (JSON parses, SARIF validates against the official schema when it is at hand);
notices that tell the truth (a binary file has NUL bytes, an encoding notice exactly
when decoding replaced bytes or the text holds a NUL); every position inside its file
(and every `no-explicit-any` finding on the text `any`); no key nextaudit detects
shown past its first 4 characters; the same bytes when the same input is analysed
again; and no example taking minutes.

The default suite runs a few dozen examples per property. The long job is deselected
by default (`-m "not fuzz"` in pyproject.toml); docs/robustness.md says how to run it:

    NEXTAUDIT_FUZZ_EXAMPLES=10000 python -m pytest -m fuzz tests/test_fuzz.py \
        --hypothesis-show-statistics
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, SHARED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nextaudit.analysis.secrets import find_secrets
from nextaudit.config import load_config
from nextaudit.registry import default_registry
from nextaudit.report import FORMATS, render
from nextaudit.results import RunResult
from nextaudit.runner import RunOptions, run
from nextaudit.source import SOURCE_EXTENSIONS, decode_source, normalise_newlines

SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"
DEFAULT_EXAMPLES = 75
LONG_EXAMPLES = int(os.environ.get("NEXTAUDIT_FUZZ_EXAMPLES", "2000"))
NOTICE_KINDS = {"binary", "encoding", "file-too-large", "unreadable"}
HANG_GUARD = 60.0  # seconds for one example (two analyses, every format): a hang guard

# Paths that give a file each Next.js role (the rules differ by role) and each grammar.
NAMES = (
    "lib/util.ts",
    "app/api/items/route.ts",
    "app/api/[id]/route.js",
    "app/dashboard/page.tsx",
    "app/layout.jsx",
    "middleware.ts",
    "lib/db.mts",
    "server/jobs.cjs",
    "types/env.d.ts",
    "pages/api/legacy.mjs",
)

# Fixtures of every rule and the nasty corpus: code that reaches deep into the rules.
SEEDS = tuple(
    sorted(
        (path.relative_to(FIXTURES).as_posix(), path.read_bytes())
        for path in FIXTURES.rglob("*")
        if path.is_file() and path.suffix in SOURCE_EXTENSIONS and path.stat().st_size < 20_000
    )
)

# A made-up key of a format nextaudit detects, built here so that the repository holds
# no key-shaped string.
FAKE_KEY = "sk-" + "proj-" + "Q7xK2mP9vL4nR8tW1yZ5bC3dF6gH0jA"

# Pieces of TypeScript, Next.js and Prisma that random soup is made of.
TOKENS = (
    *(FAKE_KEY, f"'{FAKE_KEY}'", f"`Bearer ${{x}} {FAKE_KEY}`"),
    *"{}()[]<>;:,.=?!+-*/%&|^~`'\"@#$\\",
    *(" ", "\t", "\n", "\r\n", "\r", "\u2028", "\ufeff", "\0", "\x1b", "\u202e"),
    *("let", "const", "var", "x", "any", "unknown", "as", "export", "default", "import"),
    *("from", "function", "async", "await", "return", "try", "catch", "finally", "throw"),
    *("class", "static", "new", "if", "else", "for", "of", "in", "while", "=>", "...", "?."),
    *("${", "/*", "*/", "//", "<div>", "</div>", "<>", "</>", "GET", "POST", "Request"),
    *("NextResponse.json", "Response.json", "params", "cookies()", "headers()", "status"),
    *("prisma", "new PrismaClient()", ".user", ".findMany", "$queryRawUnsafe", "take"),
    *("process.env.OPENAI_API_KEY", "console.log", "req.json()", "fetch", "openai"),
    *("'gpt-4o'", '"use server"', "// nextaudit-ignore", "no-explicit-any", "z.object"),
    *("Access-Control-Allow-Origin", "'*'", "password", "é", "名前", "😀", "👨\u200d👩\u200d👧"),
)


# --- inputs ------------------------------------------------------------------------
def _flip(data: bytes, draw: Callable[..., Any]) -> bytes:
    if not data:
        return data
    at = draw(st.integers(0, len(data) - 1))
    return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]


def _truncate(data: bytes, draw: Callable[..., Any]) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


def _splice(data: bytes, draw: Callable[..., Any]) -> bytes:
    other = draw(st.sampled_from(SEEDS))[1]
    return data[: draw(st.integers(0, len(data)))] + other[draw(st.integers(0, len(other))) :]


def _insert(data: bytes, draw: Callable[..., Any]) -> bytes:
    at = draw(st.integers(0, len(data)))
    piece = draw(st.one_of(st.binary(max_size=16), st.sampled_from(TOKENS).map(str.encode)))
    return data[:at] + piece + data[at:]


def _delete(data: bytes, draw: Callable[..., Any]) -> bytes:
    start = draw(st.integers(0, len(data)))
    return data[:start] + data[start + draw(st.integers(0, 64)) :]


def _duplicate(data: bytes, draw: Callable[..., Any]) -> bytes:
    start = draw(st.integers(0, len(data)))
    end = min(len(data), start + draw(st.integers(0, 200)))
    return data[:end] + data[start:end] * draw(st.integers(1, 20)) + data[end:]


def _line_endings(data: bytes, draw: Callable[..., Any]) -> bytes:
    ending = draw(st.sampled_from([b"\r\n", b"\r", b"\n\r", "\u2028".encode()]))
    return data.replace(b"\n", ending)


MUTATIONS = (_flip, _truncate, _splice, _insert, _delete, _duplicate, _line_endings)


@st.composite
def mutated_fixture(draw: Callable[..., Any]) -> bytes:
    data = draw(st.sampled_from(SEEDS))[1]
    for mutation in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=5)):
        data = mutation(data, draw)
    return data


@st.composite
def code_soup(draw: Callable[..., Any]) -> bytes:
    """Random token sequences in a random encoding: mostly near-code, so that the
    rules' own logic runs, not only the parser's error recovery."""
    text = "".join(
        draw(st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=3)), max_size=300))
    )
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1"]))
    return text.encode(encoding, errors="replace")


random_bytes = st.binary(max_size=3000)
file_names = st.sampled_from(NAMES)
_name_part = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\0"),
    min_size=1,
    max_size=12,
).filter(lambda part: part not in (".", ".."))
# Names with spaces, `#`, `%`, control characters, bidi overrides, any script.
odd_names = st.one_of(
    file_names,
    st.builds(
        lambda folders, stem, suffix: "/".join([*folders, stem + suffix]),
        st.lists(_name_part, max_size=2),
        _name_part,
        st.sampled_from(sorted(SOURCE_EXTENSIONS)),
    ),
)


# --- the properties ----------------------------------------------------------------
def analyse(root: Path) -> RunResult:
    config = load_config(None, default_registry(), root)
    return run(config, [root], RunOptions(jobs=1, cwd=root, repo_root=root))


def reports(result: RunResult) -> dict[str, str]:
    out = {fmt: render(fmt, result) for fmt in FORMATS}
    out["terminal"] = render("text", result, terminal=True, width=100)
    return out


@functools.cache
def _sarif_validator() -> Any:
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def assert_well_formed(outputs: dict[str, str]) -> None:
    json.loads(outputs["json"])
    sarif = json.loads(outputs["sarif"])
    if SARIF_SCHEMA.exists():
        errors = [
            f"{list(e.absolute_path)}: {e.message}" for e in _sarif_validator().iter_errors(sarif)
        ]
        assert not errors, errors[:5]
    # The runner splits commands at line feeds only (a form feed in a path is data).
    assert all(line.startswith("::") for line in outputs["github"].split("\n")[:-1])
    assert outputs["github"].endswith("\n") or not outputs["github"]
    assert outputs["text"].endswith("\n")
    for text in outputs.values():
        text.encode("utf-8")  # strict: no lone surrogates


def file_text(raw: bytes) -> str:
    return normalise_newlines(decode_source(raw)[0])


def file_lines(raw: bytes) -> list[str]:
    """The file's lines as nextaudit numbers them."""
    return file_text(raw).split("\n")


def assert_positions_inside(result: RunResult, files: dict[str, bytes], root: Path) -> None:
    for finding in [*result.findings, *result.suppressed]:
        rel = Path(finding.path).relative_to(root).as_posix()
        if rel not in files:
            continue  # a project rule's finding on a file it made up: not ours to check
        lines = file_lines(files[rel])
        loc = finding.location
        assert 1 <= loc.line <= loc.end_line <= len(lines), (rel, finding)
        assert 1 <= loc.column <= len(lines[loc.line - 1]) + 1, (rel, finding)
        assert 1 <= loc.end_column <= len(lines[loc.end_line - 1]) + 1, (rel, finding)
        assert (loc.line, loc.column) <= (loc.end_line, loc.end_column), (rel, finding)
        if finding.rule_id == "no-explicit-any":
            # The one rule whose span is always the same text: the columns must land on it.
            assert lines[loc.line - 1][loc.column - 1 : loc.end_column - 1] == "any", (rel, finding)


def expected_encoding_notice(raw: bytes) -> str | None:
    """What nextaudit must say about a text file's encoding, worked out independently:
    a replacement made while decoding, else a NUL in the text, else nothing."""
    body, codec, name = raw, "utf-8", "UTF-8"
    if raw.startswith(b"\xef\xbb\xbf"):
        body = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec, name = "utf-16", "UTF-16"
    try:
        text = body.decode(codec)
    except UnicodeDecodeError:
        return f"not valid {name}: undecodable bytes were replaced"
    return "contains NUL bytes" if "\0" in text else None


def assert_notices_tell_the_truth(result: RunResult, files: dict[str, bytes], root: Path) -> None:
    by_file: dict[str, list[tuple[str, str]]] = {}
    for notice in result.notices:
        rel = Path(notice.path).relative_to(root).as_posix()
        by_file.setdefault(rel, []).append((notice.kind, notice.message))
    for rel, raw in files.items():
        said = by_file.get(rel, [])
        if ("binary", "skipped: binary file (NUL bytes)") in said:
            assert said == [("binary", "skipped: binary file (NUL bytes)")], (rel, said)
            assert b"\0" in raw[:8192], rel
            continue
        expected = expected_encoding_notice(raw)
        assert said == ([("encoding", expected)] if expected else []), (rel, said)


@functools.cache
def rule_documentation() -> str:
    """What every report says whatever the input: the rules' help, which quotes the
    AWS documentation key as an example."""
    with tempfile.TemporaryDirectory(prefix="nextaudit-fuzz-") as directory:
        return "".join(reports(analyse(Path(directory).resolve())).values())


def _outside_keys(text: str) -> str:
    """`text` with every key nextaudit detects in it blanked out."""
    for secret in reversed(find_secrets(text)):
        text = text[: secret.start] + "\0" + text[secret.end :]
    return text


def assert_no_key_shown(outputs: dict[str, str], files: dict[str, bytes]) -> None:
    """Every key nextaudit itself would detect in a file stays hidden past its first 4
    characters, in every format. (The same characters may be shown where they are not
    a key: after a letter or digit, `0sk-...` is none; and the rules' help quotes the
    AWS documentation key.)"""
    texts = [file_text(raw) for raw in files.values()]
    elsewhere = "\0".join(_outside_keys(text) for text in texts) + rule_documentation()
    for text in texts:
        for secret in find_secrets(text):
            hidden = secret.value[4:]
            if hidden in elsewhere:
                continue
            for fmt, output in outputs.items():
                assert hidden not in output, f"{fmt} shows a {secret.kind}"


def check_pipeline(files: dict[str, bytes]) -> None:
    """The whole pipeline over `files` (relative path -> bytes), twice."""
    with tempfile.TemporaryDirectory(prefix="nextaudit-fuzz-") as directory:
        root = Path(directory).resolve()
        for rel, data in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        started = time.monotonic()
        first = analyse(root)
        crashes = [f"{n.path}: {n.message}" for n in first.notices if n.fatal]
        assert not crashes, crashes
        assert {n.kind for n in first.notices} <= NOTICE_KINDS
        assert_notices_tell_the_truth(first, files, root)
        outputs = reports(first)
        assert_well_formed(outputs)
        assert_positions_inside(first, files, root)
        assert_no_key_shown(outputs, files)
        assert reports(analyse(root)) == outputs, "the same input gave different output"
        assert time.monotonic() - started < HANG_GUARD, "a small input took minutes"


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,  # nothing written into the repository; failures print the input
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- default suite: a few dozen examples each ---------------------------------------
@fuzz_settings(DEFAULT_EXAMPLES)
@given(name=file_names, data=random_bytes)
def test_random_bytes(name: str, data: bytes) -> None:
    check_pipeline({name: data})


@fuzz_settings(DEFAULT_EXAMPLES)
@given(name=file_names, data=code_soup())
def test_random_code_soup(name: str, data: bytes) -> None:
    check_pipeline({name: data})


@fuzz_settings(DEFAULT_EXAMPLES)
@given(name=file_names, data=mutated_fixture())
def test_mutated_fixtures(name: str, data: bytes) -> None:
    check_pipeline({name: data})


@fuzz_settings(DEFAULT_EXAMPLES // 3)
@given(files=st.dictionaries(odd_names, code_soup(), min_size=1, max_size=3))
def test_odd_file_names(files: dict[str, bytes]) -> None:
    check_pipeline(_without_clashes(files))


def _without_clashes(files: dict[str, bytes]) -> dict[str, bytes]:
    """Drop a file whose path is a folder of another (`a.ts` and `a.ts/b/c.ts`)."""
    folders = {parent.as_posix() for rel in files for parent in Path(rel).parents}
    return {rel: data for rel, data in files.items() if rel not in folders}


# --- the long job: NEXTAUDIT_FUZZ_EXAMPLES examples each ------------------------------
@pytest.mark.fuzz
@fuzz_settings(LONG_EXAMPLES)
@given(name=file_names, data=st.one_of(random_bytes, code_soup(), mutated_fixture()))
def test_long_single_files(name: str, data: bytes) -> None:
    check_pipeline({name: data})


@pytest.mark.fuzz
@fuzz_settings(max(1, LONG_EXAMPLES // 4))
@given(
    files=st.dictionaries(
        odd_names, st.one_of(code_soup(), mutated_fixture()), min_size=2, max_size=6
    )
)
def test_long_trees(files: dict[str, bytes]) -> None:
    """Several files at once, odd names too: cross-file rules (routes and their
    middleware, Prisma clients) and suppressions see each other's odd input."""
    check_pipeline(_without_clashes(files))
