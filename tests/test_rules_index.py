"""rules/index.json: the rule files' data as JSON, used where it is current."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nextaudit import rules_index
from nextaudit.findings import Severity
from nextaudit.registry import RegistryError, Rule, load_rule_files, rules_dir

REPO = Path(__file__).resolve().parent.parent


def _yaml_data(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _rules(directory: Path) -> list[tuple[str, Rule]]:
    """Every rule of `directory` as the registry loads it, comparable as a whole."""
    return [(rule.id, rule) for rule in load_rule_files(sorted(directory.glob("*.yml")))]


def test_the_bundled_index_is_current() -> None:
    directory = rules_dir()
    on_disk = (directory / rules_index.INDEX_NAME).read_text(encoding="utf-8")
    assert on_disk == rules_index.index_text(directory), (
        "rules/index.json is stale: run `python -m nextaudit.rules_index`"
    )
    index = json.loads(on_disk)
    assert sorted(index["files"]) == sorted(p.name for p in directory.glob("*.yml"))
    for name, entry in index["files"].items():
        # Equal, and in the same order (a rule's options are documented in it).
        assert json.dumps(entry["data"]) == json.dumps(_yaml_data(directory / name)), name


def test_the_index_answers_without_parsing_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted(rules_dir().glob("*.yml"))

    def refuse(raw: bytes) -> object:
        raise AssertionError("parsed a rule file the index has a current entry for")

    monkeypatch.setattr(rules_index, "parse_yaml", refuse)
    found = rules_index.rule_file_data(paths)
    assert [path for path, _ in found] == paths
    assert [data for _, data in found] == [_yaml_data(p) for p in paths]


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    directory = tmp_path / "rules"
    shutil.copytree(rules_dir(), directory)
    return directory


def test_an_edited_rule_file_is_read_from_its_yaml(rules_copy: Path) -> None:
    path = rules_copy / "no-explicit-any.yml"
    text = path.read_text(encoding="utf-8")
    edited = text.replace("severity: error", "severity: warning", 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    edited_rules = dict(_rules(rules_copy))
    bundled = dict(_rules(rules_dir()))
    assert edited_rules["no-explicit-any"].severity is Severity.WARNING
    assert bundled["no-explicit-any"].severity is Severity.ERROR
    # The other rules still come from the index, and are what their files say.
    del edited_rules["no-explicit-any"], bundled["no-explicit-any"]
    assert edited_rules == bundled


@pytest.mark.parametrize(
    "index_bytes",
    [
        None,  # no index at all
        b"",
        b"{not json",
        b"\xff\xfe\x00",
        b"[]",
        b'{"format": 99, "files": {}}',
        b'{"format": 1, "files": []}',
        b'{"format": 1, "files": {"no-explicit-any.yml": "x"}}',
        b'{"format": 1, "files": {"no-explicit-any.yml": {"sha256": "0"}}}',
        b'{"format": 1, "files": {"no-explicit-any.yml": {"data": {}}}}',
    ],
)
def test_a_missing_or_broken_index_falls_back_to_the_yaml(
    rules_copy: Path, index_bytes: bytes | None
) -> None:
    index = rules_copy / rules_index.INDEX_NAME
    if index_bytes is None:
        index.unlink()
    else:
        index.write_bytes(index_bytes)
    assert _rules(rules_copy) == _rules(rules_dir())


def test_a_stale_entry_cannot_hide_an_error_in_the_file(rules_copy: Path) -> None:
    (rules_copy / "no-explicit-any.yml").write_text("- not\n- a mapping\n", encoding="utf-8")
    with pytest.raises(RegistryError, match=r"no-explicit-any\.yml: not a mapping"):
        _rules(rules_copy)


def test_data_json_cannot_carry_gets_no_entry(tmp_path: Path) -> None:
    (tmp_path / "plain.yml").write_text("id: plain\nlist: [1, two]\n", encoding="utf-8")
    (tmp_path / "dated.yml").write_text("id: dated\nsince: 2024-01-02\n", encoding="utf-8")
    (tmp_path / "keyed.yml").write_text("id: keyed\nmap: {1: one}\n", encoding="utf-8")
    index = rules_index.build_index(tmp_path)
    assert index == {
        "format": rules_index.FORMAT,
        "files": {
            "plain.yml": {
                "sha256": rules_index._digest((tmp_path / "plain.yml").read_bytes()),
                "data": {"id": "plain", "list": [1, "two"]},
            }
        },
    }
    rules_index.write_index(tmp_path)
    found = dict(rules_index.rule_file_data(sorted(tmp_path.glob("*.yml"))))
    assert found[tmp_path / "dated.yml"] == _yaml_data(tmp_path / "dated.yml")
    assert found[tmp_path / "keyed.yml"] == {"id": "keyed", "map": {1: "one"}}


def test_crlf_rule_files_read_as_their_text(tmp_path: Path) -> None:
    path = tmp_path / "crlf.yml"
    path.write_bytes(b"id: crlf\r\ndocs: |\r\n  two\r\n  lines\r\n")
    assert rules_index.rule_file_data([path]) == [(path, {"id": "crlf", "docs": "two\nlines\n"})]


def test_the_module_writes_the_index(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("id: a\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "nextaudit.rules_index", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {tmp_path / rules_index.INDEX_NAME}\n"
    assert (tmp_path / rules_index.INDEX_NAME).read_text(encoding="utf-8") == (
        rules_index.index_text(tmp_path)
    )


def test_a_run_without_a_config_never_imports_yaml(tmp_path: Path) -> None:
    (tmp_path / "a.ts").write_text("export const x: any = 1;\n", encoding="utf-8")
    script = (
        "import sys\n"
        "from nextaudit.cli import app\n"
        "try:\n"
        "    app([str(sys.argv[1]), '--no-cache', '-f', 'json', '-o', sys.argv[2]])\n"
        "except SystemExit as stop:\n"
        "    code = stop.code\n"
        "print(code, 'yaml' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), str(tmp_path / "out.json")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.stdout == "1 False\n", done.stderr
    report = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert [f["rule_id"] for f in report["findings"]] == ["no-explicit-any"]
