"""no-hardcoded-secret: the matcher, where findings land, and that no output of the
tool ever shows a secret beyond its first 4 characters.

The fake keys below are assembled from pieces so that this file holds none of them
whole; the temporary projects the CLI scans do.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rule_harness import run_rule_on_source
from typer.testing import CliRunner

from nextaudit.analysis import prefilter
from nextaudit.analysis.secrets import (
    KEY_FORMATS,
    MARKERS_TEXT,
    SECRET_RULES,
    KeyFormat,
    find_secret,
    find_secrets,
    may_hold_secret,
    redact,
    redact_secrets,
)
from nextaudit.cli import app
from nextaudit.source import SourceFile

RULE = "no-hardcoded-secret"
ADVICE = "load it from the environment or a secret manager at run time, and rotate it"


@dataclass(frozen=True)
class Fake:
    kind: str
    value: str  # the text written in the string literal
    hidden: str  # what must never appear: the key, or a PEM key's material
    public: int = 0  # length of the format's fixed prefix at the start of `hidden`

    @property
    def shown(self) -> str:
        return self.value[:4] + "…"


def key(kind: str, prefix: str, body: str) -> Fake:
    return Fake(kind, prefix + body, prefix + body, len(prefix))


PEM_BODY = (
    "MIIEow"
    + "IBAAKCAQEAq7Zz9TestOnlyKeyMaterialNotReal"
    + "\n"
    + "Qz8vTestOnlyKeyMaterialLine2Zz9Q"
)
FAKES = (
    key("OpenAI project API key", "sk-" + "proj-", "Zz9Test0Only1Body2NotReal3Qx"),
    key("OpenAI API key", "sk-", "Zz9Test0Only1Body2Legacy3Qx"),
    key("Anthropic API key", "sk-" + "ant-", "api03-Zz9Test0Only1Body2Qx"),
    key("GitHub personal access token", "gh" + "p_", "Zz9Test0Only1Body2NotReal3Qx4Yy5Ww6V"),
    key("GitHub OAuth token", "gh" + "o_", "Zz9Test0Only1Body2NotReal3Qx4Yy5Ww6V"),
    key("GitHub app installation token", "gh" + "s_", "Zz9Test0Only1Body2NotReal3Qx4Yy5Ww6V"),
    key(
        "GitHub fine-grained personal access token",
        "github" + "_pat_",
        "11Zz9Test0Only_1Body2NotReal3Qx4Yy5Ww6V",
    ),
    key("AWS access key ID", "AK" + "IA", "ZZ9TEST0ONLY1QX2"),
    key("Stripe live secret key", "sk" + "_live_", "Zz9Test0Only1Body2Qx"),
    key("Stripe live restricted key", "rk" + "_live_", "Zz9Test0Only1Body2Qx"),
    key("Slack token", "xo" + "xb-", "0000Zz9Test-1111Only2Body"),
    key("Google API key", "AI" + "za", "Zz9Test0Only1Body2NotReal3Qx4Yy5Ww6"),
    Fake(
        "PEM private key",
        "-----BEGIN RSA PRIVATE KEY-----\n" + PEM_BODY + "\n-----END RSA PRIVATE KEY-----",
        PEM_BODY,
    ),
)


# --- the matcher -------------------------------------------------------------------


@pytest.mark.parametrize("fake", FAKES, ids=lambda f: f.kind)
def test_each_format_is_found_with_its_kind(fake: Fake) -> None:
    secret = find_secret(fake.value)
    assert secret is not None
    assert secret.kind == fake.kind
    assert fake.hidden in secret.value or secret.value == fake.value


@pytest.mark.parametrize("fake", FAKES, ids=lambda f: f.kind)
def test_a_key_inside_a_longer_text_is_found(fake: Fake) -> None:
    text = f"Bearer {fake.value}&next=1"
    secret = find_secret(text)
    assert secret is not None and secret.kind == fake.kind
    assert secret.start == len("Bearer ")


@pytest.mark.parametrize(
    "text",
    [
        "risk-assessment-framework-v2-abcdefgh",
        "task-" + "Zz9Test0Only1Body2NotReal3Qx",
        "disk-" + "Zz9Test0Only1Body2NotReal3Qx",
        "a" + "sk-" + "proj-Zz9Test0Only1Body2NotReal3Qx",
        "TAS" + "KIA" + "ZZ9TEST0ONLY1QX2",
        "AK" + "IA" + "ZZ9TEST0ONLY1QX2" + "Z",  # 17 after the prefix: not a key id
        "AI" + "za" + "Zz9Test0Only1Body2NotReal3Qx4Yy5Ww6" + "7",  # 36, not 35
        "sk-" + "Zz9Test0Only1Bod",  # 16 after sk-
        "sk-" + "proj-Zz9Test0Only1B",  # 14 after sk-proj-
        "gh" + "p_" + "Zz9Test0Only",
        "sk" + "_test_" + "Zz9Test0Only1Body2Qx",
        "sk" + "_live_",
        "-----BEGIN PRIVATE KEY-----",
        "-----BEGIN PRIVATE KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
    ],
)
def test_look_alikes_are_not_keys(text: str) -> None:
    assert find_secrets(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "sk-" + "x" * 32,
        "sk-" + "proj-" + "X" * 30,
        "sk-your-key-here",
        "sk-" + "proj-YOUR_OPENAI_API_KEY_GOES_HERE",
        "sk-" + "proj-Zz9Test0Only1Body2NotReal...",
        "sk-" + "proj-Zz9Test0Only1Body2NotReal…",
        "sk-" + "proj-Zz9Test0Only1Body2NotReal****",
        "<sk-" + "proj-Zz9Test0Only1Body2NotReal>",
        "sk-...",
        "AK" + "IA" + "X" * 16,
        "AK" + "IA" + "0" * 16,
        "sk" + "_live_" + "CHANGEME_CHANGEME",
        "xo" + "xb-your-bot-token-here",
        "sk-learn-pipeline-configuration",
        "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
    ],
)
def test_placeholders_are_not_keys(text: str) -> None:
    assert find_secrets(text) == []


def test_the_aws_documentation_key_has_the_real_format() -> None:
    secret = find_secret("AK" + "IA" + "IOSFODNN7EXAMPLE")
    assert secret is not None and secret.kind == "AWS access key ID"


def test_a_pem_key_with_escaped_line_breaks_is_found_whole() -> None:
    text = "-----BEGIN PRIVATE KEY-----\\nMIIEvTest0Only\\nQz9Line2\\n-----END PRIVATE KEY-----\\n"
    secret = find_secret(text)
    assert secret is not None and secret.kind == "PEM private key"
    assert secret.value.endswith("-----END PRIVATE KEY-----")


def test_redact_shows_at_most_four_characters() -> None:
    assert redact("sk-" + "proj-Zz9Test0Only1Body2NotReal3Qx") == "sk-p…"
    assert redact("abcdef") == "abc…"  # never more than half of a short value
    assert redact("") == "…"


def test_redact_secrets_rewrites_every_key_in_a_text() -> None:
    openai, aws = FAKES[0].value, FAKES[7].value
    text = f'call("{openai}", {{ id: "{aws}" }})'
    assert redact_secrets(text) == 'call("sk-p…", { id: "AKIA…" })'
    assert redact_secrets("nothing here") == "nothing here"


def test_every_format_has_a_marker_it_contains() -> None:
    for key_format in KEY_FORMATS:
        assert key_format.marker
    assert "no-hardcoded-secret" in SECRET_RULES


# --- the byte pre-filter -------------------------------------------------------------


def _escapes_of(char: str) -> list[str]:
    """Every way a string literal can spell `char` with an escape."""
    code = ord(char)
    escapes = [f"\\x{code:02x}", f"\\u{code:04X}", f"\\u{{{code:x}}}"]
    if char not in "nrtbfv0123456789xu":
        escapes.append("\\" + char)  # an identity escape: `\\k` is `k`
    return escapes


@pytest.mark.parametrize("key_format", KEY_FORMATS, ids=lambda f: f.kind)
def test_prefilter_lets_every_marker_through(key_format: KeyFormat) -> None:
    assert may_hold_secret(f"x = '{key_format.marker}';".encode())
    assert _scan_may_hold(f"x = '{key_format.marker}';".encode())
    # After an escape that is not a letter or a digit in the value (`\n`).
    assert _scan_may_hold(f"x = 'a\\n{key_format.marker}';".encode())


def _scan_may_hold(code: bytes) -> bool:
    """The check's filter: `MARKERS_TEXT` in the bytes, or an escape that could spell
    a character (no-hardcoded-secret asks the shared scan of the bytes)."""
    source = SourceFile.from_bytes("/v/a.ts", "a.ts", code)
    return (
        prefilter.may_hide_text(source)
        or re.compile(MARKERS_TEXT).search(source.content) is not None
    )


@pytest.mark.parametrize("fake", FAKES, ids=lambda f: f.kind)
def test_prefilter_lets_a_key_through_whichever_marker_character_is_escaped(
    fake: Fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    (key_format,) = [f for f in KEY_FORMATS if f.kind == fake.kind]
    marker = key_format.marker
    for at, char in enumerate(marker):
        for escape in _escapes_of(char):
            # Every occurrence (a PEM key's footer holds the marker too).
            written = fake.value.replace(marker, marker[:at] + escape + marker[at + 1 :])
            code = 'export const k = "' + written.replace("\n", "\\n") + '";\n'
            assert may_hold_secret(code.encode()), code
            assert _scan_may_hold(code.encode()), code
            filtered = run_rule_on_source(RULE, code, "lib/a.ts")
            monkeypatch.setattr(prefilter, "ENABLED", False)
            assert run_rule_on_source(RULE, code, "lib/a.ts") == filtered != []
            monkeypatch.setattr(prefilter, "ENABLED", True)


# What may stand before, inside and after a marker in a literal: escapes that are not
# letters or digits in the value (`\\n`), identity escapes, line continuations, words.
_PIECES = ["\\n", "\\", "\\\n", "\\\r\n", "a", "-", " ", "'", "${x}", "s", "k-", "A", "KIA"]


@settings(max_examples=60, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(_PIECES), max_size=6),
    fake=st.sampled_from([f for f in FAKES if "PEM" not in f.kind]),
    quote=st.sampled_from(["'", "`"]),
)
def test_prefilter_keeps_every_finding_around_escapes(
    pieces: list[str], fake: Fake, quote: str
) -> None:
    head = "".join(pieces)
    code = f"export const k = {quote}{head}{fake.value}{head}{quote};\n"
    filtered = run_rule_on_source(RULE, code, "lib/a.ts")
    prefilter.ENABLED = False
    try:
        assert run_rule_on_source(RULE, code, "lib/a.ts") == filtered, code
    finally:
        prefilter.ENABLED = True


@pytest.mark.parametrize(
    "code",
    [
        "",
        "export const risk = task;",
        'const s = "first\\nsecond\\tthird\\\\fourth";',
        "const pem = '-----BEGIN PUBLIC KEY-----';",
        # A marker inside a word is no key's start (without escapes, the bytes show
        # what comes before it in the value).
        'import { TaskTable } from "@/components/task/task-table";',
        # Escapes that spell no marker: read without their backslashes, the bytes
        # show none.
        "const id = /^[\\w-]+\\.\\d+$/; const dir = 'C:\\\\keys';",
    ],
)
def test_prefilter_skips_files_without_a_marker(code: str) -> None:
    assert not may_hold_secret(code.encode())
    assert not _scan_may_hold(code.encode())


# --- findings: location, snippet, message ---------------------------------------------


def test_finding_is_the_literal_with_a_redacted_snippet_and_message() -> None:
    key = FAKES[0].value
    [finding] = run_rule_on_source(RULE, f'export const k = "{key}";\n', "lib/a.ts")
    loc = finding.location
    assert finding.rule_id == RULE
    assert (loc.line, loc.column, loc.end_line, loc.end_column) == (1, 18, 1, 18 + len(key) + 2)
    assert finding.snippet == "sk-p…"
    assert (
        finding.message == f"Hardcoded OpenAI project API key (sk-p…) in a string literal: {ADVICE}"
    )
    assert key[5:] not in finding.message


def test_in_a_template_with_substitutions_the_stretch_holding_the_key_is_flagged() -> None:
    key = FAKES[11].value
    code = f"const u = `https://x.io/${{path}}?a=${{a}}&key={key}`;\n"
    [finding] = run_rule_on_source(RULE, code, "lib/a.ts")
    start = code.index("&key=")
    loc = finding.location
    assert (loc.line, loc.column, loc.end_column) == (
        1,
        start + 1,
        start + len("&key=") + len(key) + 1,
    )
    assert finding.snippet == "AIza…"


def test_one_finding_per_literal_naming_the_first_key() -> None:
    code = f'const pair = "{FAKES[7].value}:{FAKES[0].value}";\n'
    [finding] = run_rule_on_source(RULE, code, "lib/a.ts")
    assert "AWS access key ID (AKIA…)" in finding.message


def test_a_pem_key_split_over_a_concatenation_is_flagged_once_on_its_header() -> None:
    code = (
        "const key =\n"
        '  "-----BEGIN PRIVATE KEY-----\\n" +\n'
        '  "MIIEvTest0OnlyBody\\n" +\n'
        '  "-----END PRIVATE KEY-----\\n";\n'
    )
    [finding] = run_rule_on_source(RULE, code, "lib/a.ts")
    assert finding.location.line == 2
    assert finding.snippet == "----…"


# --- every output of the CLI -------------------------------------------------------------

runner = CliRunner()


def _project(root: Path) -> list[Fake]:
    """A small app with every kind of fake key, one of them suppressed, and another
    rule's finding on a line that holds a key."""
    lines = ['import { NextResponse } from "next/server";', ""]
    for index, fake in enumerate(FAKES):
        literal = json.dumps(fake.value)
        lines.append(f"export const key{index} = {literal};")
    lines.append(
        "// nextaudit-ignore: no-hardcoded-secret -- a fake key for the docs\n"
        f'export const documented = "{FAKES[1].value}";'
    )
    lines.append(
        f"export const inTemplate = (p: string) => `https://x.io/${{p}}?key={FAKES[11].value}`;"
    )
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "keys.ts").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return list(FAKES)


def _assert_no_secret(output: str, fakes: list[Fake], where: str) -> None:
    for fake in fakes:
        hidden = fake.hidden
        # Nothing of the secret past its first 4 characters: no 6-character stretch of
        # it that reaches past them (and past the format's public prefix, such as
        # `github_pat_`, which any text may name) appears anywhere.
        for start in range(len(hidden) - 5):
            window = hidden[start : start + 6]
            if start + 6 <= max(4, fake.public) or "\n" in window:
                continue
            assert window not in output, f"{where}: {fake.kind} leaks {window!r}"


def _without_rule_help(fmt: str, output: str) -> str:
    """The rules' documentation (SARIF help, JSON rule metadata) quotes the YAML's own
    example keys; the findings are what this test is about."""
    if fmt == "sarif":
        data = json.loads(output)
        for run in data["runs"]:
            run["tool"]["driver"]["rules"] = []
        return json.dumps(data, ensure_ascii=False)
    if fmt == "json":
        data = json.loads(output)
        data.pop("rules", None)
        return json.dumps(data, ensure_ascii=False)
    return output


def _invoke(cwd: Path, *args: str) -> str:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(app, ["--jobs", "1", "--no-cache", *args], catch_exceptions=False)
    finally:
        os.chdir(old)
    assert result.exit_code == 1, result.output
    return result.stdout


@pytest.mark.parametrize("show_suppressed", [False, True], ids=["default", "show-suppressed"])
@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "checklist"])
def test_no_output_format_shows_a_secret(tmp_path: Path, fmt: str, show_suppressed: bool) -> None:
    fakes = _project(tmp_path)
    args = ["--format", fmt, "."]
    if show_suppressed:
        args.append("--show-suppressed")
    output = _invoke(tmp_path, *args)
    _assert_no_secret(_without_rule_help(fmt, output), fakes, fmt)
    if fmt in ("text", "json", "sarif", "github"):
        # The findings are there, redacted: the test would see a leak.
        for fake in fakes:
            assert fake.shown in output, f"{fmt}: no finding for {fake.kind}"
        assert output.count("Hardcoded ") >= len(fakes)
    if show_suppressed and fmt in ("text", "json", "sarif"):
        assert "a fake key for the docs" in output


def test_the_secret_is_not_in_the_baseline_or_the_other_outputs(tmp_path: Path) -> None:
    fakes = _project(tmp_path)
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = runner.invoke(
            app,
            [
                "--jobs",
                "1",
                ".",
                "--baseline",
                "baseline.json",
                "--update-baseline",
                "--sarif-output",
                "out.sarif",
                "--json-output",
                "out.json",
                "--text-output",
                "out.txt",
                "--github-output",
                "out.github",
                "--checklist-output",
                "out.md",
            ],
            catch_exceptions=False,
        )
    finally:
        os.chdir(old)
    assert result.exit_code in (0, 1), result.output
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.parent.name != "lib"]
    assert {p.name for p in written} >= {"baseline.json", "out.sarif", "out.json", "out.txt"}
    for path in written:
        content = path.read_text(encoding="utf-8", errors="replace")
        fmt = {"out.sarif": "sarif", "out.json": "json"}.get(path.name, "")
        _assert_no_secret(_without_rule_help(fmt, content), fakes, path.name)


def test_code_frames_on_a_terminal_mask_the_secret(tmp_path: Path) -> None:
    from nextaudit.config import load_config
    from nextaudit.registry import default_registry
    from nextaudit.report import render
    from nextaudit.runner import RunOptions, run

    fakes = _project(tmp_path)
    config = load_config(None, default_registry(), tmp_path)
    result = run(
        config,
        [tmp_path],
        RunOptions(cwd=tmp_path, repo_root=tmp_path, jobs=1, show_suppressed=True, cache_dir=None),
    )
    output = render("text", result, terminal=True, width=160)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output)
    assert "export const key0 = " in plain  # frames are shown
    _assert_no_secret(plain, fakes, "text (terminal)")


def test_another_rules_snippet_does_not_carry_a_secret(tmp_path: Path) -> None:
    """A finding of another rule whose span holds a key (a 200 error response quoting
    it) must not print the key in its JSON snippet."""
    key = FAKES[0]
    route = tmp_path / "app" / "api" / "x" / "route.ts"
    route.parent.mkdir(parents=True)
    route.write_text(
        'import { NextResponse } from "next/server";\n'
        "export async function GET() {\n"
        f'  return NextResponse.json({{ error: "bad key", key: "{key.value}" }});\n'
        "}\n",
        encoding="utf-8",
    )
    output = _invoke(tmp_path, "--format", "json", ".")
    data = json.loads(output)
    rules = {f["rule_id"] for f in data["findings"]}
    assert RULE in rules
    if rules == {RULE}:
        pytest.skip("no other rule flags this code any more")
    _assert_no_secret(_without_rule_help("json", output), [key], "json")


def test_code_frames_mask_a_secret_whose_finding_the_baseline_absorbed(tmp_path: Path) -> None:
    """A baselined secret finding is dropped before reporting; the code frame of a
    finding on a neighbouring line must still not show the key."""
    from nextaudit.config import load_config
    from nextaudit.registry import default_registry
    from nextaudit.report import render
    from nextaudit.runner import RunOptions, run

    fake = FAKES[0]
    source = tmp_path / "lib" / "a.ts"
    source.parent.mkdir(parents=True)
    source.write_text(f'export const documented = "{fake.value}";\n', encoding="utf-8")
    config = load_config(None, default_registry(), tmp_path)
    baseline = tmp_path / "baseline.json"
    options = RunOptions(cwd=tmp_path, repo_root=tmp_path, jobs=1, baseline=baseline)
    run(config, [tmp_path], dataclasses.replace(options, update_baseline=True))
    source.write_text(
        f'export const documented = "{fake.value}";\nexport let a: any;\n', encoding="utf-8"
    )
    result = run(config, [tmp_path], options)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", render("text", result, terminal=True, width=160))
    assert "export let a: any;" in plain  # the neighbouring finding's frame is shown
    _assert_no_secret(plain, [fake], "text (terminal, baselined)")
