"""Robustness: bad files, faults and hostile input never crash, hang or lie.

The committed corpus under tests/fixtures/nasty/ goes through the whole pipeline in
every format with exact expected notices and finding positions; the rest (deep
nesting, big bundles, unreadable paths, symlinks, crashing rules, dying workers,
Ctrl-C, a closed stdout) is generated here at test time, in temporary directories.

Hang guards are wall-clock bounds far above the normal run time: they catch a run that
never ends (or goes quadratic), they are not performance assertions.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from conftest import FIXTURES, ROOT, SHARED
from typer.testing import CliRunner

from nextaudit.cli import app
from nextaudit.config import DEFAULT_MAX_FILE_SIZE, load_config
from nextaudit.registry import default_registry
from nextaudit.report import FORMATS, render
from nextaudit.results import RunResult
from nextaudit.runner import PARALLEL_THRESHOLD, WARM_UP_FILES, RunOptions, run

NASTY = FIXTURES / "nasty"
SAMPLE_APP = FIXTURES / "sample-app"
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"
HANG_GUARD = 60.0  # seconds; every case here normally takes well under a few
MINIFIED = (
    "var a0=function(e,t){return e&&e.__esModule?e:{default:e}};function r1(n){if(!n)"
    'throw new Error("x");for(var i=0;i<n.length;i++){n[i]=n[i]*2}return n.map(function'
    '(x){return x+1})}let o2={k:"v",f:()=>{try{fetch("/api").then(r=>r.json())}catch(e)'
    "{}}};"
)


# --- helpers -----------------------------------------------------------------------
def cli(*args: str, cwd: Path, cache: bool = False):  # type: ignore[no-untyped-def]
    """nextaudit in-process (Typer's CliRunner), with stdout and stderr apart."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        extra = [] if cache else ["--no-cache"]
        return CliRunner().invoke(app, [*args, *extra], catch_exceptions=False)
    finally:
        os.chdir(old)


def analyse(root: Path, max_file_size: int | None = None, jobs: int = 1) -> RunResult:
    """The whole pipeline in-process, as the CLI runs it, with the default config."""
    config = load_config(None, default_registry(), root)
    if max_file_size is not None:
        config.max_file_size = max_file_size
    return run(config, [root], RunOptions(jobs=jobs, cwd=root, repo_root=root))


def plain(text: str) -> str:
    """Terminal output without its colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def stderr_notices(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line and not line.startswith("nextaudit:")]


def minified_bundle(size: int) -> str:
    """One line of minified-looking JavaScript of about `size` bytes, every function
    and variable named apart (as a bundler leaves them)."""
    count = size // len(MINIFIED) + 1
    return "".join(
        MINIFIED.replace("a0", f"a{i}").replace("r1", f"r{i}").replace("o2", f"o{i}")
        for i in range(count)
    )


def validated_sarif(text: str) -> dict[str, Any]:
    """A parsed SARIF log, checked against the official schema when it is at hand."""
    log: dict[str, Any] = json.loads(text)
    if SARIF_SCHEMA.exists():
        import jsonschema

        schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
        jsonschema.validate(log, schema, cls=jsonschema.Draft4Validator)
    return log


# Where each format puts a finding: (path, rule, line, column, end line, end column);
# text and checklist give no end, so they compare on the first four.
Place = tuple[str, str, int, int, int, int]
Notice3 = tuple[str, str, str]  # (path, kind, message)

TEXT_FINDING = re.compile(r"^(.+):(\d+):(\d+): (?:error|warning|note) \[([a-z-]+)\] ")
GITHUB_COMMAND = re.compile(r"^::(error|warning|notice) (.*?)::(.*)$")


def places_in(fmt: str, output: str) -> list[tuple[Any, ...]]:
    if fmt == "text":
        found = [TEXT_FINDING.match(line) for line in output.splitlines()]
        return [(m[1], m[4], int(m[2]), int(m[3])) for m in found if m]
    if fmt == "json":
        return [
            (
                f["path"],
                f["rule_id"],
                f["start"]["line"],
                f["start"]["column"],
                f["end"]["line"],
                f["end"]["column"],
            )
            for f in json.loads(output)["findings"]
        ]
    if fmt == "sarif":
        out = []
        for result in validated_sarif(output)["runs"][0]["results"]:
            location = result["locations"][0]["physicalLocation"]
            region = location["region"]
            out.append(
                (
                    unquote(location["artifactLocation"]["uri"]),
                    result["ruleId"],
                    region["startLine"],
                    region["startColumn"],
                    region["endLine"],
                    region["endColumn"],
                )
            )
        return out
    if fmt == "github":
        out = []
        for properties, _message in github_commands(output):
            if "line" in properties:
                rule = properties["title"].removeprefix("nextaudit [").removesuffix("]")
                out.append(
                    (
                        properties["file"],
                        rule,
                        int(properties["line"]),
                        int(properties["col"]),
                        int(properties["endLine"]),
                        int(properties["endColumn"]),
                    )
                )
        return out
    raise ValueError(fmt)


def github_unescape(text: str) -> str:
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, char)
    return text


def github_commands(output: str) -> Iterator[tuple[dict[str, str], str]]:
    for line in output.split("\n")[:-1]:  # the runner splits at line feeds only
        match = GITHUB_COMMAND.match(line)
        assert match, line
        properties = dict(part.split("=", 1) for part in match[2].split(","))
        yield {k: github_unescape(v) for k, v in properties.items()}, github_unescape(match[3])


def notices_in(fmt: str, output: str) -> list[Notice3]:
    if fmt == "json":
        notices = json.loads(output)["notices"]
        assert not any(n["fatal"] for n in notices)
        return [(n["path"], n["kind"], n["message"]) for n in notices]
    if fmt == "sarif":
        invocation = validated_sarif(output)["runs"][0]["invocations"][0]
        out = []
        for note in invocation.get("toolExecutionNotifications", []):
            uri = note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert note["level"] == "warning"
            assert note["message"]["text"].endswith(".")
            out.append((unquote(uri), note["descriptor"]["id"], note["message"]["text"][:-1]))
        return out
    if fmt == "github":
        return [
            (p["file"], p["title"].removeprefix("nextaudit (").removesuffix(")"), message)
            for p, message in github_commands(output)
            if "line" not in p
        ]
    raise ValueError(fmt)


# --- the corpus ------------------------------------------------------------------------
SPACES_PATH = "dir with spaces #1 100%/ünïcödé 名前 #2 %41.ts"
ROUTE_PATH = "app/(shop)/[slug]/route.ts"
CORPUS_FINDINGS: list[Place] = [
    (ROUTE_PATH, "no-explicit-any", 1, 15, 1, 18),
    ("crlf.ts", "no-explicit-any", 4, 15, 4, 18),
    (SPACES_PATH, "no-explicit-any", 1, 15, 1, 18),
    ("invalid-utf8.ts", "no-explicit-any", 2, 34, 2, 37),
    ("lone-cr.ts", "no-explicit-any", 4, 15, 4, 18),
    ("long-line.ts", "no-explicit-any", 1, 122929, 1, 122932),
    ("mixed-line-endings.ts", "no-explicit-any", 6, 15, 6, 18),
    ("nul-in-text.ts", "syntax-error", 2, 22, 2, 28),
    ("nul-in-text.ts", "no-explicit-any", 3, 19, 3, 22),
    ("syntax-error.ts", "syntax-error", 2, 10, 2, 14),
    ("syntax-error.ts", "no-explicit-any", 5, 20, 5, 23),
    ("tabs-and-controls.ts", "no-explicit-any", 1, 22, 1, 25),
    ("tabs-and-controls.ts", "no-explicit-any", 2, 57, 2, 60),
    ("tabs-and-controls.ts", "no-explicit-any", 3, 61, 3, 64),
    ("unicode.tsx", "no-explicit-any", 3, 80, 3, 83),
    ("unicode.tsx", "no-explicit-any", 4, 73, 4, 76),
    ("utf16be-bom.ts", "no-explicit-any", 2, 32, 2, 35),
    ("utf16le-bom.ts", "no-explicit-any", 2, 32, 2, 35),
    ("utf16le-lone-surrogate.ts", "no-explicit-any", 1, 35, 1, 38),
    ("utf8-bom-invalid.ts", "no-explicit-any", 1, 30, 1, 33),
    ("utf8-bom.ts", "no-explicit-any", 1, 15, 1, 18),
    ("utf8-bom.ts", "no-explicit-any", 2, 15, 2, 18),
]
CORPUS_NOTICES: list[Notice3] = [
    ("binary.ts", "binary", "skipped: binary file (NUL bytes)"),
    ("invalid-utf8.ts", "encoding", "not valid UTF-8: undecodable bytes were replaced"),
    ("nul-in-text.ts", "encoding", "contains NUL bytes"),
    ("utf16le-lone-surrogate.ts", "encoding", "not valid UTF-16: undecodable bytes were replaced"),
    ("utf8-bom-invalid.ts", "encoding", "not valid UTF-8: undecodable bytes were replaced"),
]
CORPUS_FILES = 19  # every .ts and .tsx file; all but binary.ts are analysed
SELECT = ("--select", "no-explicit-any,syntax-error")  # new rules do not change the counts


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy outside the repository, so that SARIF paths are relative to the corpus."""
    copy = tmp_path_factory.mktemp("nasty") / "nasty"
    shutil.copytree(NASTY, copy, symlinks=True)
    return copy


def test_the_corpus_bytes_are_as_committed() -> None:
    """git must not have rewritten line endings or encodings (see .gitattributes)."""
    assert (NASTY / "crlf.ts").read_bytes().count(b"\r\n") == 4
    lone_cr = (NASTY / "lone-cr.ts").read_bytes()
    assert b"\n" not in lone_cr and lone_cr.count(b"\r") == 4
    assert (NASTY / "mixed-line-endings.ts").read_bytes().count(b"\r\r\n") == 1
    assert (NASTY / "utf16le-bom.ts").read_bytes().startswith(b"\xff\xfe/\x00")
    assert (NASTY / "utf16be-bom.ts").read_bytes().startswith(b"\xfe\xff\x00/")
    assert (NASTY / "utf8-bom.ts").read_bytes().startswith(b"\xef\xbb\xbfexport")
    assert (NASTY / "empty.ts").read_bytes() == b""
    assert b"\0" in (NASTY / "nul-in-text.ts").read_bytes()
    assert b"\xff\xfe\x80" in (NASTY / "invalid-utf8.ts").read_bytes()
    long_line = (NASTY / "long-line.ts").read_bytes()
    assert long_line.count(b"\n") == 1 and long_line.index(b"any") == 122928
    assert sorted(p.relative_to(NASTY).as_posix() for p in NASTY.rglob("*.ts*")) == sorted(
        [*{place[0] for place in CORPUS_FINDINGS}, "binary.ts", "empty.ts", "only-bom.ts"]
    )


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_corpus_findings_and_notices_are_exact_in_every_format(corpus: Path, fmt: str) -> None:
    result = cli(".", "-f", fmt, *SELECT, cwd=corpus)
    assert result.exit_code == 1, result.stderr  # errors found; nothing fatal
    assert stderr_notices(result.stderr) == [f"{p}: {k}: {m}" for p, k, m in CORPUS_NOTICES]
    places = places_in(fmt, result.stdout)
    width = 4 if fmt == "text" else 6
    assert places == [place[:width] for place in CORPUS_FINDINGS]
    if fmt != "text":
        assert notices_in(fmt, result.stdout) == CORPUS_NOTICES


def test_corpus_json_summary_and_sarif_details(corpus: Path) -> None:
    summary = json.loads(cli(".", "-f", "json", *SELECT, cwd=corpus).stdout)["summary"]
    assert summary["files_scanned"] == CORPUS_FILES - 1
    assert summary["notices"] == len(CORPUS_NOTICES)
    assert summary["execution_successful"] is True
    sarif = validated_sarif(cli(".", "-f", "sarif", *SELECT, cwd=corpus).stdout)["runs"][0]
    assert sarif["columnKind"] == "unicodeCodePoints"
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["results"]
    }
    # Percent-encoded byte by byte: space, `#`, `%`, brackets and non-ASCII.
    assert (
        "dir%20with%20spaces%20%231%20100%25/%C3%BCn%C3%AFc%C3%B6d%C3%A9%20%E5%90%8D%E5%89%8D%20%232%20%2541.ts"
        in uris
    )
    assert "app/(shop)/%5Bslug%5D/route.ts" in uris
    github = cli(".", "-f", "github", *SELECT, cwd=corpus).stdout
    assert (
        "::error file=dir with spaces #1 100%25/ünïcödé 名前 #2 %2541.ts,line=1,col=15," in github
    )


def test_corpus_checklist_names_the_first_locations(corpus: Path) -> None:
    result = cli(".", "-f", "checklist", *SELECT, cwd=corpus)
    assert result.exit_code == 1, result.stderr
    assert stderr_notices(result.stderr) == [f"{p}: {k}: {m}" for p, k, m in CORPUS_NOTICES]
    anys = [p for p in CORPUS_FINDINGS if p[1] == "no-explicit-any"]
    assert f"**{len(anys)} findings**" in result.stdout
    shown = re.findall(r"^  - `(.+):(\d+):(\d+)` ", result.stdout, re.MULTILINE)
    assert [(p, int(line), int(col)) for p, line, col in shown] == [
        a[0:1] + a[2:4] for a in anys[:3]
    ]


def test_corpus_terminal_frames_put_the_carets_under_the_flagged_text(corpus: Path) -> None:
    """Columns count code points; on screen an emoji or a CJK character takes two cells
    and a tab four: the carets must still land under `any` in every frame."""
    from rich.cells import cell_len

    result = analyse(corpus)
    output = plain(render("text", result, terminal=True, width=160))
    frames = output.split("\n\n")
    checked = 0
    for place in (p for p in CORPUS_FINDINGS if p[1] == "no-explicit-any"):
        path, _rule, line, column = place[:4]
        frame = next(f for f in frames if f.startswith(f"{path}:{line}:{column}: "))
        rows = frame.splitlines()
        flagged = next(i for i, row in enumerate(rows) if row.startswith(f"> {line} "))
        code = rows[flagged].split("│ ", 1)[1]
        carets = rows[flagged + 1].split("│ ", 1)[1]
        assert carets.strip() == "^^^"
        cells = len(carets) - 3  # the spaces before the carets
        prefix = next(i for i in range(len(code) + 1) if cell_len(code[:i]) >= cells)
        assert code[prefix : prefix + 3] == "any", (path, code, carets)
        checked += 1
    assert checked == 20


# --- generated at test time: deep nesting ------------------------------------------
DEPTH = 10_000
NESTING = {
    "parens.ts": "let x: any = " + "(" * DEPTH + "1" + ")" * DEPTH + ";\n",
    "arrays.ts": "let x: any = " + "[" * DEPTH + "]" * DEPTH + ";\n",
    "arrows.ts": "let x: any = " + "() => " * DEPTH + "1;\n",
    "blocks.ts": "{" * DEPTH + "let x: any;" + "}" * DEPTH + "\n",
    "functions.ts": "function f() {" * DEPTH + "let x: any;" + "}" * DEPTH + "\n",
    "ifs.ts": "if (a) " * DEPTH + "{ let x: any; }\n",
    "jsx.tsx": "let x: any = " + "<div>" * DEPTH + "</div>" * DEPTH + ";\n",
    "templates.ts": "let x: any = " + "`${" * DEPTH + "1" + "}`" * DEPTH + ";\n",
    "objects.ts": "let x: any = " + "{a:" * DEPTH + "1" + "}" * DEPTH + ";\n",
    "ternaries.ts": "let x: any = " + "a ? b : " * DEPTH + "c;\n",
    "calls.ts": "let x: any = " + "f(" * DEPTH + ")" * DEPTH + ";\n",
    "members.ts": "let x: any = a" + ".b" * DEPTH + ";\n",
    "binary-ops.ts": "let x: any = 1" + " + 1" * DEPTH + ";\n",
    "types.ts": "let x: " + "Array<" * DEPTH + "any" + ">" * DEPTH + ";\n",
    "try-catch.ts": "try { " * DEPTH + "let x: any;" + " } catch (e) { throw e; }" * DEPTH + "\n",
    "unclosed.ts": "let x: any = " + "(" * DEPTH + "\n",
}


@pytest.mark.parametrize("name", sorted(NESTING))
def test_deep_nesting_never_overflows_the_stack(tmp_path: Path, name: str) -> None:
    """10,000 levels of one construct: no RecursionError in any rule (it would show as
    a rule-crash notice), the `any` at its exact column, and no hang."""
    text = NESTING[name]
    (tmp_path / name).write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = analyse(tmp_path)
    assert time.monotonic() - started < HANG_GUARD
    assert result.notices == []
    anys = [f for f in result.findings if f.rule_id == "no-explicit-any"]
    column = text.index("any") + 1  # one line of ASCII: columns are offsets
    assert [(f.location.line, f.location.column) for f in anys] == [(1, column)]
    syntax_errors = [f for f in result.findings if f.rule_id == "syntax-error"]
    assert bool(syntax_errors) == (name == "unclosed.ts")
    for fmt in FORMATS:
        assert render(fmt, result)
    assert render("text", result, terminal=True)


# --- generated at test time: big files ---------------------------------------------
def test_a_bundle_over_max_file_size_is_skipped_with_a_notice(tmp_path: Path) -> None:
    bundle = tmp_path / "public" / "bundle.js"
    bundle.parent.mkdir()
    bundle.write_text(minified_bundle(5 * 1024 * 1024), encoding="utf-8")
    size = bundle.stat().st_size
    assert size > DEFAULT_MAX_FILE_SIZE
    message = f"skipped: {size} bytes is over max-file-size ({DEFAULT_MAX_FILE_SIZE} bytes)"
    started = time.monotonic()
    for fmt in ("json", "sarif", "github"):
        result = cli(".", "-f", fmt, cwd=tmp_path)
        assert result.exit_code == 0, result.stderr
        assert stderr_notices(result.stderr) == [f"public/bundle.js: file-too-large: {message}"]
        assert notices_in(fmt, result.stdout) == [("public/bundle.js", "file-too-large", message)]
    assert time.monotonic() - started < HANG_GUARD  # it is not even read


def test_a_big_bundle_under_a_raised_max_file_size_is_analysed_in_bounded_time(
    tmp_path: Path,
) -> None:
    """3 MB of minified code on one line, analysed once and written in every format.
    (The terminal's code frames on such a line have their own test below.)"""
    tree, out = tmp_path / "tree", tmp_path / "out"
    tree.mkdir()
    (tree / ".nextaudit.yml").write_text("max-file-size: 8388608\n", encoding="utf-8")
    (tree / "bundle.js").write_text(minified_bundle(3 * 1024 * 1024), encoding="utf-8")
    every = [f"--{fmt}-output={out / ('report.' + fmt)}" for fmt in FORMATS]
    started = time.monotonic()
    result = cli(".", *every, cwd=tree)
    assert time.monotonic() - started < 5 * HANG_GUARD
    assert result.exit_code == 0, result.stderr
    assert stderr_notices(result.stderr) == []
    document = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert document["summary"]["files_scanned"] == 1
    assert document["summary"]["by_rule"]["no-empty-catch"] > 10_000
    sarif = validated_sarif((out / "report.sarif").read_text(encoding="utf-8"))
    assert len(sarif["runs"][0]["results"]) == document["summary"]["findings"]


def test_a_very_long_line_keeps_exact_columns_past_a_hundred_thousand(corpus: Path) -> None:
    result = analyse(corpus)
    (long_any,) = [f for f in result.findings if f.path.endswith("long-line.ts")]
    raw = (corpus / "long-line.ts").read_bytes()
    assert long_any.location.column == raw.index(b"any") + 1  # all ASCII: bytes = columns


# --- unreadable files and folders --------------------------------------------------
def unreadable_tree(root: Path) -> tuple[Path, Path]:
    (root / "ok.ts").write_text("export let x: any;\n", encoding="utf-8")
    locked_file = root / "locked.ts"
    locked_file.write_text("export let y: any;\n", encoding="utf-8")
    locked_dir = root / "locked-dir"
    locked_dir.mkdir()
    (locked_dir / "inside.ts").write_text("export let z: any;\n", encoding="utf-8")
    return locked_file, locked_dir


UNREADABLE_NOTICES = [
    "locked-dir: unreadable: cannot read directory: Permission denied",
    "locked.ts: unreadable: could not read file: Permission denied",
]


def test_unreadable_file_and_folder_are_notices_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Portable (root reads everything): open() and scandir() fail for one path each,
    as they do without permission."""
    import builtins

    locked_file, locked_dir = unreadable_tree(tmp_path)
    real_open, real_scandir = builtins.open, os.scandir

    def deny(path: object) -> None:
        if os.fspath(path) in (str(locked_file), str(locked_dir)):  # type: ignore[arg-type]
            raise PermissionError(13, "Permission denied", os.fspath(path))  # type: ignore[arg-type]

    def guarded_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        deny(path)
        return real_open(path, *args, **kwargs)

    def guarded_scandir(path: Any = ".") -> Any:
        deny(path)
        return real_scandir(path)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(os, "scandir", guarded_scandir)
    for fmt in ("text", "json", "sarif"):
        result = cli(".", "-f", fmt, "--jobs", "1", cwd=tmp_path)
        assert result.exit_code == 1, result.stderr
        assert stderr_notices(result.stderr) == UNREADABLE_NOTICES
    document = json.loads(cli(".", "-f", "json", cwd=tmp_path).stdout)
    assert [f["path"] for f in document["findings"]] == ["ok.ts"]
    assert document["summary"]["files_scanned"] == 1


def _without_dac_override() -> None:
    """In the child before exec: drop the capabilities that let root ignore file
    permissions (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) from its bounding set."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop = 24
    for capability in (1, 2):
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            os._exit(97)


def test_unreadable_file_and_folder_are_notices_for_real(tmp_path: Path) -> None:
    """With real permissions. Root reads everything, so as root the run drops the
    capabilities that allow it (Linux); where that is impossible the test skips."""
    locked_file, locked_dir = unreadable_tree(tmp_path)
    locked_file.chmod(0)
    locked_dir.chmod(0)
    preexec: Callable[[], None] | None = None
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        if not sys.platform.startswith("linux"):
            pytest.skip("running as root, and root ignores file permissions")
        preexec = _without_dac_override
    try:
        probe = subprocess.run(
            [sys.executable, "-c", f"open({str(locked_file)!r}).read()"],
            preexec_fn=preexec,
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0 or b"PermissionError" not in probe.stderr:
            pytest.skip("this process can read a file with mode 000")
        done = nextaudit_process(".", "--no-cache", "-f", "json", cwd=tmp_path, preexec_fn=preexec)
        assert done.returncode == 1, done.stderr
        assert stderr_notices(done.stderr) == UNREADABLE_NOTICES
        assert [f["path"] for f in json.loads(done.stdout)["findings"]] == ["ok.ts"]
    finally:
        locked_file.chmod(0o644)
        locked_dir.chmod(0o755)


def test_fifos_and_devices_are_never_opened(tmp_path: Path) -> None:
    """Opening a FIFO blocks until someone writes to it: inside a tree such entries are
    not files; named on the command line they used to be called unreadable folders."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this system")
    (tmp_path / "a.ts").write_text("export let x: any;\n", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.ts")
    device = Path("/dev/zero")  # reading it never ends
    if not (device.exists() and stat.S_ISCHR(device.stat().st_mode)):
        pytest.skip("no /dev/zero character device here")
    (tmp_path / "zero.ts").symlink_to(device)
    started = time.monotonic()
    walked = cli(".", cwd=tmp_path)
    assert walked.exit_code == 1, walked.stderr
    assert stderr_notices(walked.stderr) == []
    assert places_in("text", walked.stdout) == [("a.ts", "no-explicit-any", 1, 15)]
    named = cli("pipe.ts", "zero.ts", "a.ts", cwd=tmp_path)
    assert time.monotonic() - started < HANG_GUARD
    assert named.exit_code == 1, named.stderr
    assert stderr_notices(named.stderr) == [
        "pipe.ts: unreadable: skipped: not a regular file or a directory",
        "zero.ts: unreadable: skipped: not a regular file or a directory",
    ]


# --- symlinks ----------------------------------------------------------------------
def test_symlink_loops_end_and_links_out_of_the_root_are_not_followed(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "real.ts").write_text("export let a: any;\n", encoding="utf-8")
    (root / "sub" / "inner.ts").write_text("export let b: any;\n", encoding="utf-8")
    (outside / "elsewhere.ts").write_text("export let c: any;\n", encoding="utf-8")
    try:
        (root / "loop").symlink_to(".", target_is_directory=True)  # root -> root
        (root / "sub" / "up").symlink_to("..", target_is_directory=True)
        (root / "ping").symlink_to("pong", target_is_directory=True)  # ping <-> pong
        (root / "pong").symlink_to("ping", target_is_directory=True)
        (root / "self.ts").symlink_to("self.ts")  # ELOOP
        (root / "dangling.ts").symlink_to("missing.ts")
        (root / "out").symlink_to(outside, target_is_directory=True)
        (root / "out.ts").symlink_to(outside / "elsewhere.ts")
    except OSError:
        pytest.skip("this system cannot make symlinks")
    started = time.monotonic()
    for fmt in ("text", "json", "sarif"):
        result = cli(".", "-f", fmt, cwd=root)
        assert result.exit_code == 1, result.stderr
        assert stderr_notices(result.stderr) == []
    assert time.monotonic() - started < HANG_GUARD
    document = json.loads(cli(".", "-f", "json", cwd=root).stdout)
    assert [f["path"] for f in document["findings"]] == ["real.ts", "sub/inner.ts"]
    assert document["summary"]["files_scanned"] == 2


# --- faults ------------------------------------------------------------------------
def crash_for(
    monkeypatch: pytest.MonkeyPatch,
    rule_id: str,
    victim: str,
    fault: Callable[[], None],
    attribute: str = "check",
) -> None:
    """Make one rule's check call `fault()` on files named `victim` (`*`: on every file);
    other files and rules run as usual.
    The registry's loader is wrapped (it may cache the checks it loads), so the fault
    is gone after the test; forked workers inherit it."""
    import nextaudit.registry as registry_module

    real_load = registry_module._load_check

    def load(wanted: str, kind: str) -> Callable[..., None]:
        real_check = real_load(wanted, kind)
        if (wanted, kind) != (rule_id, attribute):
            return real_check

        def check(source: Any, ctx: Any) -> None:
            if victim in ("*", Path(getattr(source, "path", "")).name):
                fault()
            real_check(source, ctx)

        return check

    monkeypatch.setattr(registry_module, "_load_check", load)


def _raise_value_error() -> None:
    raise ValueError("cannot handle this\nsecond line of the message")


CATCH_AND_ANY = "export function f(x: any) {\n  try { g(x); } catch (e) {}\n}\n"


def test_a_rule_that_raises_is_reported_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a.ts", "b.ts", "c.ts"):
        (tmp_path / name).write_text(CATCH_AND_ANY, encoding="utf-8")
    crash_for(monkeypatch, "no-empty-catch", "b.ts", _raise_value_error)
    crash = "b.ts: rule-crash: rule no-empty-catch crashed: ValueError: cannot handle this"
    result = cli(".", "--jobs", "1", cwd=tmp_path)
    assert result.exit_code == 2
    assert stderr_notices(result.stderr) == [crash]
    assert "Traceback" not in result.stderr
    assert places_in("text", result.stdout) == [
        ("a.ts", "no-explicit-any", 1, 22),
        ("a.ts", "no-empty-catch", 2, 17),
        ("b.ts", "no-explicit-any", 1, 22),  # the other rules still ran on b.ts
        ("c.ts", "no-explicit-any", 1, 22),
        ("c.ts", "no-empty-catch", 2, 17),
    ]
    verbose = cli(".", "--jobs", "1", "--verbose", cwd=tmp_path)
    assert verbose.exit_code == 2
    assert crash in verbose.stderr.splitlines()
    assert "Traceback (most recent call last):" in verbose.stderr
    assert "second line of the message" in verbose.stderr
    document = json.loads(cli(".", "-f", "json", cwd=tmp_path).stdout)
    assert document["notices"] == [
        {
            "path": "b.ts",
            "kind": "rule-crash",
            "message": "rule no-empty-catch crashed: ValueError: cannot handle this",
            "fatal": True,
        }
    ]
    assert document["summary"]["execution_successful"] is False
    invocation = validated_sarif(cli(".", "-f", "sarif", cwd=tmp_path).stdout)["runs"][0][
        "invocations"
    ][0]
    assert invocation["executionSuccessful"] is False
    assert [n["level"] for n in invocation["toolExecutionNotifications"]] == ["error"]
    github = cli(".", "-f", "github", cwd=tmp_path).stdout.splitlines()
    assert github[-1] == (
        "::error file=b.ts,title=nextaudit (rule-crash)::rule no-empty-catch crashed: "
        "ValueError: cannot handle this"
    )


def test_a_worker_that_dies_is_reported_not_hung_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = max(30, PARALLEL_THRESHOLD + WARM_UP_FILES + 4)
    names = [f"f{i:02}.ts" for i in range(count)]
    for name in names:
        (tmp_path / name).write_text(CATCH_AND_ANY, encoding="utf-8")
    victim = names[-1]  # past the files the parent analyses itself before forking
    crash_for(monkeypatch, "no-empty-catch", victim, lambda: os._exit(1))
    started = time.monotonic()
    result = cli(".", "-f", "json", "--jobs", "2", cwd=tmp_path)
    assert time.monotonic() - started < HANG_GUARD
    assert result.exit_code == 2, result.stderr
    notices = json.loads(result.stdout)["notices"]
    message = "not analysed: a worker process died (run with --jobs 1 to find the file)"
    assert notices
    assert all(
        (n["kind"], n["message"], n["fatal"]) == ("worker-died", message, True) for n in notices
    )
    assert victim in {n["path"] for n in notices}
    assert f"{victim}: worker-died: {message}" in stderr_notices(result.stderr)
    reported = {f["path"] for f in json.loads(result.stdout)["findings"]}
    assert names[0] in reported  # files analysed before the death are still reported


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_promptly_with_exit_130_and_no_partial_output(
    tmp_path: Path, jobs: str
) -> None:
    tree, out = tmp_path / "tree", tmp_path / "out"
    tree.mkdir()
    out.mkdir()
    source = minified_bundle(40 * 1024)
    for i in range(1200):  # a minute of work or more: surely still going at the signal
        (tree / f"f{i:04}.js").write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CI", None)
    report = out / "report.json"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nextaudit",
            ".",
            "--no-cache",
            "-j",
            jobs,
            "-f",
            "json",
            "-o",
            str(report),
        ],
        cwd=tree,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's job is
    )
    try:
        time.sleep(4)
        assert process.poll() is None, "the run ended before it could be interrupted"
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends: the whole group
        sent = time.monotonic()
        _stdout, stderr = process.communicate(timeout=HANG_GUARD)
        waited = time.monotonic() - sent
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130
    assert waited < 10, f"took {waited:.1f} s to stop"
    assert stderr.decode().endswith("nextaudit: interrupted\n")
    assert b"Traceback" not in stderr
    assert list(out.iterdir()) == []  # no report, no temporary file
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the workers are gone too
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("worker processes outlived the interrupted run")
    shutil.rmtree(tree)  # 48 MB


def test_ctrl_c_does_not_wait_for_the_workers_current_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers ignore SIGINT and the parent used to wait for their current chunk of
    files before exiting: with big files that was minutes. Here every worker is stuck
    in a slow check when Ctrl-C comes."""
    import threading

    count = PARALLEL_THRESHOLD + WARM_UP_FILES + 8
    for i in range(count):
        (tmp_path / f"f{i:02}.ts").write_text(CATCH_AND_ANY, encoding="utf-8")
    parent = os.getpid()

    def stuck_in_a_worker() -> None:
        if os.getpid() != parent:
            time.sleep(10 * HANG_GUARD)

    crash_for(monkeypatch, "no-empty-catch", "*", stuck_in_a_worker)
    timer = threading.Timer(3.0, os.kill, (parent, signal.SIGINT))
    timer.start()
    started = time.monotonic()
    try:
        result = cli(".", "--jobs", "2", "-f", "json", cwd=tmp_path)
    finally:
        timer.cancel()
    assert result.exit_code == 130
    assert result.stderr.endswith("nextaudit: interrupted\n")
    assert time.monotonic() - started < 3.0 + 10


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_closed_stdout_ends_quietly(tmp_path: Path, fmt: str) -> None:
    for i in range(120):
        (tmp_path / f"f{i:03}.ts").write_text(CATCH_AND_ANY * 10, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CI", None)
    done = subprocess.run(
        f"{sys.executable} -m nextaudit . --no-cache -f {fmt} | head -c 64",
        shell=True,
        capture_output=True,
        cwd=tmp_path,
        env=env,
        check=False,
        timeout=HANG_GUARD,
    )
    assert len(done.stdout) == 64
    assert done.stderr == b""


# --- safety ------------------------------------------------------------------------
def nextaudit_process(*args: str, cwd: Path, **kwargs):  # type: ignore[no-untyped-def]
    """`python -m nextaudit` in a subprocess, as a CI job or a user runs it."""
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CI", None)
    return subprocess.run(
        [sys.executable, "-m", "nextaudit", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=HANG_GUARD,
        **kwargs,
    )


def test_python_dash_m_never_imports_modules_of_the_analysed_tree(tmp_path: Path) -> None:
    """`python -m` puts the current directory first on sys.path: a `typer.py` in the
    analysed repository used to be imported (and run) in place of the real package."""
    tree, marker = tmp_path / "repo", tmp_path / "marker"
    tree.mkdir()
    payload = f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n"
    for module in ("typer", "yaml", "rich", "pathspec", "re2", "tree_sitter", "json", "hashlib"):
        (tree / f"{module}.py").write_text(payload, encoding="utf-8")
    (tree / "a.ts").write_text("export let x: any;\n", encoding="utf-8")
    for jobs in ("1", "2"):
        done = nextaudit_process(".", "--no-cache", "-f", "sarif", "--jobs", jobs, cwd=tree)
        assert done.returncode == 1, done.stderr
        assert not marker.exists(), marker.read_text()


def snapshot(root: Path) -> dict[str, tuple[str, bytes | str, int]]:
    """Every path under `root` with its kind, content (or link target) and mode."""
    out: dict[str, tuple[str, bytes | str, int]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        mode = path.lstat().st_mode
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path), mode)
        elif path.is_dir():
            out[rel] = ("dir", b"", mode)
        else:
            out[rel] = ("file", path.read_bytes(), mode)
    return out


def test_the_analysed_tree_is_never_written_to(tmp_path: Path) -> None:
    app_copy, out = tmp_path / "app", tmp_path / "reports"
    shutil.copytree(SAMPLE_APP, app_copy, symlinks=True)
    before = snapshot(app_copy)
    for fmt in FORMATS:
        result = cli(".", "-f", fmt, "-o", str(out / f"report.{fmt}"), cwd=app_copy)
        assert result.exit_code in (0, 1), result.stderr
    every = [f"--{fmt}-output={out / ('all.' + fmt)}" for fmt in FORMATS]
    baseline = f"--baseline={out / 'baseline.json'}"
    assert cli(".", *every, baseline, "--update-baseline", cwd=app_copy).exit_code in (0, 1)
    assert snapshot(app_copy) == before
    # With the cache on, its folder is the only thing that appears.
    assert cli(".", "-f", "json", cwd=app_copy, cache=True).exit_code in (0, 1)
    after = snapshot(app_copy)
    added = {path for path in after if path not in before}
    assert added and all(path.startswith(".nextaudit_cache") for path in added)
    assert {k: v for k, v in after.items() if k in before} == before


def test_reports_to_devices_and_fifos_write_through_them(tmp_path: Path) -> None:
    """`-o /dev/null` used to replace the device with a regular file (the atomic
    writer renames a temporary file over its target): as root, /dev/null itself."""
    import threading

    (tmp_path / "a.ts").write_text("export let x: any;\n", encoding="utf-8")
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = cli("a.ts", "-f", "json", "-o", str(fifo), cwd=tmp_path)
    reader.join(HANG_GUARD)
    assert result.exit_code == 1, result.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert json.loads(received[0])["findings"][0]["rule_id"] == "no-explicit-any"
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # what /dev/null is on Linux
    except (OSError, AttributeError):
        return  # creating device nodes needs privileges; the FIFO made the point
    for option in ("--output", "--sarif-output", "--json-output"):
        assert cli("a.ts", option, str(null), cwd=tmp_path).exit_code == 1
        assert stat.S_ISCHR(null.stat().st_mode), option
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.ts", "null", "report.pipe"]


def test_the_analysed_code_is_never_run(tmp_path: Path) -> None:
    """Sources, configs and manifests whose top level would write a marker if anything
    ran or imported them."""
    tree, marker = tmp_path / "repo", tmp_path / "marker"
    write = f'require("fs").writeFileSync({json.dumps(str(marker))}, "ran");\n'
    files = {
        "app/api/run/route.ts": 'import fs from "node:fs";\n'
        + write.replace('require("fs")', "fs")
        + "export async function GET() { return Response.json({}); }\n",
        "next.config.js": write + "module.exports = {};\n",
        "next.config.mjs": write.replace('require("fs")', '(await import("fs"))')
        + "export default {};\n",
        "middleware.ts": write + "export function middleware() {}\n",
        "lib/setup.cjs": write,
        "scripts/prepare.py": f"open({str(marker)!r}, 'w').write('ran')\n",
        "package.json": json.dumps(
            {
                "name": "hostile",
                "packageManager": "pnpm@9.0.0",
                "scripts": {
                    k: f"touch {marker}" for k in ("preinstall", "postinstall", "prepare", "lint")
                },
            }
        ),
        "prisma/schema.prisma": f'generator client {{\n  provider = "touch {marker}"\n}}\n',
    }
    for rel, text in files.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text, encoding="utf-8")
    for fmt in FORMATS:
        assert cli(".", "-f", fmt, cwd=tree).exit_code in (0, 1)
    assert nextaudit_process(".", "--no-cache", "--jobs", "2", cwd=tree).returncode in (0, 1)
    assert not marker.exists()


def test_control_characters_in_file_names_cannot_forge_report_lines(tmp_path: Path) -> None:
    """A hostile file name used to drive the terminal (ESC sequences, a bidi override)
    or split a finding's line in two, forging a finding for a file that is not there.
    Text reports show such characters as `one_line` does; JSON keeps the exact name."""
    names = ["evil\x1b[31mRED\x1b[0m.ts", "two\nlines.ts", "cr\rreturn.ts", "bidi\u202etxt.ts"]
    try:
        for name in names:
            (tmp_path / name).write_text("export let x: any;\n", encoding="utf-8")
    except OSError:
        pytest.skip("this file system refuses control characters in names")
    shown = ["bidi\ufffdtxt.ts", "cr return.ts", "evil\ufffd[31mRED\ufffd[0m.ts", "two lines.ts"]
    text = cli(".", cwd=tmp_path).stdout
    assert [line.split(":1:15: ")[0] for line in text.splitlines() if ":1:15: " in line] == shown
    checklist = cli(".", "-f", "checklist", cwd=tmp_path).stdout
    terminal = render("text", analyse(tmp_path), terminal=True)
    for output in (text, checklist, terminal):
        assert "\x1b[31mRED" not in output and "\u202e" not in output and "\r" not in output
        assert not any(line.startswith("lines.ts") for line in output.splitlines())
    assert "\ufffd[31mRED\ufffd[0m.ts" in terminal
    document = json.loads(cli(".", "-f", "json", cwd=tmp_path).stdout)
    assert sorted(f["path"] for f in document["findings"]) == sorted(names)


# --- secrets -----------------------------------------------------------------------
def fake_key() -> str:
    """An OpenAI-format key made up here (never a real one; built at run time so that
    the repository holds no key-shaped string)."""
    return "sk-" + "proj-" + "Q7xK2mP9vL4nR8tW1yZ5bC3dF6gH0jA"


def assert_not_shown(key: str, text: str) -> None:
    """Redaction shows at most the first 4 characters: no 8 of the rest may appear."""
    shown = [key[i : i + 8] for i in range(4, len(key) - 7) if key[i : i + 8] in text]
    assert not shown, f"the key shows: {shown[0]!r}"


def test_a_key_on_a_line_with_a_syntax_error_is_redacted(tmp_path: Path) -> None:
    """A syntax error quotes its line as the snippet: that used to carry the key whole
    into the JSON report, the cache and the fingerprints."""
    key = fake_key()
    (tmp_path / "a.ts").write_text(f'const k = "{key}"; const broken = (;\n', encoding="utf-8")
    for fmt in FORMATS:
        result = cli(".", "-f", fmt, "--select", "syntax-error", "--fail-on", "note", cwd=tmp_path)
        assert result.exit_code == 1, result.stderr
        assert "syntax-error" in result.stdout or "did not parse" in result.stdout
        assert_not_shown(key, result.stdout + result.stderr)
    document = json.loads(cli(".", "-f", "json", "--select", "syntax-error", cwd=tmp_path).stdout)
    assert document["findings"][0]["snippet"] == 'const k = "sk-p…"; const broken = (;'
    assert_not_shown(key, plain(render("text", analyse(tmp_path), terminal=True)))


def test_a_crashing_project_rule_gives_a_one_line_redacted_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project rule's crash message used to carry the exception's every line (and
    any key quoted in it) into the one-line notice."""
    key = fake_key()
    (tmp_path / "package.json").write_text('{"name": "app"}\n', encoding="utf-8")
    (tmp_path / "a.ts").write_text("export let x: any;\n", encoding="utf-8")

    def fault() -> None:
        raise ValueError(f"cannot read {key}\nsecond line")

    crash_for(monkeypatch, "pnpm-only", "*", fault, attribute="check_project")
    result = cli(".", cwd=tmp_path)
    assert result.exit_code == 2
    assert stderr_notices(result.stderr) == [
        ".: rule-crash: rule pnpm-only crashed: ValueError: cannot read sk-p…"
    ]
    assert places_in("text", result.stdout) == [("a.ts", "no-explicit-any", 1, 15)]
    assert_not_shown(key, result.stdout + result.stderr)


def test_a_crashing_rule_never_quotes_a_key_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = fake_key()
    (tmp_path / "a.ts").write_text("export let x: any;\n", encoding="utf-8")

    def fault() -> None:
        raise ValueError(f"unexpected literal {key!r}")

    crash_for(monkeypatch, "no-explicit-any", "a.ts", fault)
    for verbose in ((), ("--verbose",)):
        result = cli(".", "--jobs", "1", *verbose, cwd=tmp_path)
        assert result.exit_code == 2
        assert (
            "rule no-explicit-any crashed: ValueError: unexpected literal 'sk-p…'" in result.stderr
        )
        assert_not_shown(key, result.stdout + result.stderr)


def test_detected_keys_never_show_in_full_in_any_output(tmp_path: Path) -> None:
    """Keys in odd files (UTF-16, CRLF, a minified line, a line that does not parse),
    through every format, the terminal's code frames, the baseline and the cache."""
    if "no-hardcoded-secret" not in default_registry():
        pytest.skip("the no-hardcoded-secret rule does not exist yet")
    key = fake_key()
    (tmp_path / "utf16.ts").write_bytes(f'\ufeffexport const k = "{key}";\n'.encode("utf-16-le"))
    (tmp_path / "crlf.ts").write_bytes(f'// keys\r\nexport const k = "{key}";\r\n'.encode())
    (tmp_path / "bundle.js").write_text(MINIFIED * 50 + f'var k="{key}";' + MINIFIED * 50)
    (tmp_path / "broken.ts").write_text(f'const k = "{key}"; const broken = (;\n')
    out = tmp_path.parent / f"{tmp_path.name}-out"
    every = [f"--{fmt}-output={out / ('all.' + fmt)}" for fmt in FORMATS]
    result = cli(".", *every, "--show-suppressed", cwd=tmp_path, cache=True)
    assert result.exit_code == 1, result.stderr
    document = json.loads((out / "all.json").read_text(encoding="utf-8"))
    flagged = {f["path"] for f in document["findings"] if f["rule_id"] == "no-hardcoded-secret"}
    assert flagged == {"utf16.ts", "crlf.ts", "bundle.js", "broken.ts"}
    baseline = cli(".", f"--baseline={out / 'baseline.json'}", "--update-baseline", cwd=tmp_path)
    assert baseline.exit_code in (0, 1)
    texts = [result.stdout, result.stderr, baseline.stdout, baseline.stderr]
    texts += [path.read_bytes().decode("utf-8") for path in sorted(out.iterdir())]
    texts.append(plain(render("text", analyse(tmp_path), terminal=True, width=200)))
    cache = tmp_path / ".nextaudit_cache"
    texts += [p.read_bytes().decode("utf-8", "replace") for p in cache.rglob("*") if p.is_file()]
    for text in texts:
        assert_not_shown(key, text)


# --- regressions -------------------------------------------------------------------
def test_utf16_text_is_not_said_to_hold_nul_bytes(tmp_path: Path) -> None:
    """UTF-16 is full of NUL bytes by design: only a NUL in the decoded text counts."""
    source = "\ufeffexport let x: any;\n"
    (tmp_path / "le.ts").write_bytes(source.encode("utf-16-le"))
    (tmp_path / "be.ts").write_bytes(source.encode("utf-16-be"))
    (tmp_path / "nul.ts").write_bytes("\ufeffconst s = 'a\0b';\n".encode("utf-16-le"))
    result = analyse(tmp_path)
    assert [(Path(n.path).name, n.kind, n.message) for n in result.notices] == [
        ("nul.ts", "encoding", "contains NUL bytes")
    ]
    anys = [f for f in result.findings if f.rule_id == "no-explicit-any"]
    assert [(Path(f.path).name, f.location.line, f.location.column) for f in anys] == [
        ("be.ts", 1, 15),
        ("le.ts", 1, 15),
    ]


def _bytes_name(directory: Path, name: bytes) -> bytes:
    return os.fsencode(directory) + b"/" + name


def test_names_that_are_not_utf8_are_skipped_with_a_notice(tmp_path: Path) -> None:
    """Such a name cannot be matched against globs nor written into a UTF-8 report: it
    used to crash a rule (path globs) and every report writer."""
    tree, out = tmp_path / "tree", tmp_path / "out"
    tree.mkdir()
    try:
        with open(_bytes_name(tree, b"bad\xffname.ts"), "wb") as handle:
            handle.write(b"export let x: any;\n")
    except OSError:
        pytest.skip("this file system only takes UTF-8 names")
    os.mkdir(_bytes_name(tree, b"dir\xfe"))
    with open(_bytes_name(tree, b"dir\xfe/inside.ts"), "wb") as handle:
        handle.write(b"export let y: any;\n")
    (tree / "good.ts").write_text("export let z: any;\n", encoding="utf-8")
    expected = [
        "bad\\xffname.ts: unreadable: skipped: the file name is not valid UTF-8",
        "dir\\xfe: unreadable: skipped: the directory name is not valid UTF-8",
    ]
    for fmt in FORMATS:
        target = out / f"report.{fmt}"
        result = cli(".", "-f", fmt, "-o", str(target), cwd=tree)
        assert result.exit_code == 1, result.stderr
        assert stderr_notices(result.stderr) == expected
        target.read_bytes().decode("utf-8")  # strict: the report is valid UTF-8
    document = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [f["path"] for f in document["findings"]] == ["good.ts"]
    assert [n["path"] for n in document["notices"]] == ["bad\\xffname.ts", "dir\\xfe"]
    explicit = cli(os.fsdecode(_bytes_name(tree, b"bad\xffname.ts")), "-f", "json", cwd=tree)
    assert explicit.exit_code == 0
    assert stderr_notices(explicit.stderr) == [expected[0]]


def test_terminal_frames_of_a_minified_line_do_not_go_quadratic(tmp_path: Path) -> None:
    """Code frames on a terminal used to hand the whole line to Rich for each finding on
    it: a 300 KB bundle line with a thousand findings took minutes."""
    chunks = [f"/*{'x' * 280}*/ let a{i}: any;" for i in range(1000)]
    (tmp_path / "bundle.ts").write_text("".join(chunks) + "\n", encoding="utf-8")
    result = analyse(tmp_path)
    assert len(result.findings) == 1000
    started = time.monotonic()
    output = plain(render("text", result, terminal=True, width=100))
    assert time.monotonic() - started < HANG_GUARD
    last = result.findings[-1]
    header = f"bundle.ts:1:{last.location.column}: error [no-explicit-any]"
    frame = output.split(header, 1)[1].splitlines()
    assert frame[1].startswith("> 1 │ …") and frame[1].endswith("let a999: any;")
    assert frame[2].endswith("^^^")
    assert all(len(line) <= 100 for line in output.splitlines() if "│" in line)


def test_a_syntax_error_quoting_its_first_line_is_not_a_redaction(tmp_path: Path) -> None:
    """A syntax error's snippet is (a cut of) the line it starts on; when its span ran
    over several lines, frames used to show that snippet in place of the real code, as
    if it were a redacted secret."""
    (tmp_path / "a.ts").write_text(
        "class A {\n  m() {\n    let q: any = 1;\n  } } }\n  n(): any { return 1 }\n}\n",
        encoding="utf-8",
    )
    result = analyse(tmp_path)
    error = next(f for f in result.findings if f.rule_id == "syntax-error")
    assert error.location.line < error.location.end_line  # the case in point
    lines = plain(render("text", result, terminal=True)).splitlines()
    assert "  4 │   } } }" in lines
    assert "  5 │   n(): any { return 1 }" in lines
