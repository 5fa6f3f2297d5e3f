"""Configuration: discovery, precedence, overrides, CLI flags, and every error message."""

from __future__ import annotations

from pathlib import Path

import pytest

from nextaudit.config import CliRules, ConfigError, find_config, load_config
from nextaudit.findings import Severity
from nextaudit.registry import default_registry


def load(tmp_path: Path, text: str, cli: CliRules | None = None):  # type: ignore[no-untyped-def]
    path = tmp_path / ".nextaudit.yml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, default_registry(), tmp_path, cli)


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return str(info.value)


def test_defaults_enable_rules_at_their_default_severity(tmp_path: Path) -> None:
    config = load_config(None, default_registry(), tmp_path)
    effective = config.effective("lib/x.ts")
    assert effective["no-explicit-any"].severity is Severity.ERROR
    assert dict(effective["no-explicit-any"].options) == {"ignore-rest-args": False}


def test_shorthand_off_and_severity(tmp_path: Path) -> None:
    config = load(tmp_path, "rules:\n  no-explicit-any: off\n  no-empty-catch: error\n")
    effective = config.effective("lib/x.ts")
    assert "no-explicit-any" not in effective
    assert effective["no-empty-catch"].severity is Severity.ERROR


def test_options_merge_over_defaults(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "rules:\n  no-explicit-any:\n    severity: warning\n    options:\n      ignore-rest-args: true\n",
    )
    setting = config.effective("a.ts")["no-explicit-any"]
    assert setting.severity is Severity.WARNING
    assert setting.options_map == {"ignore-rest-args": True}


def test_overrides_apply_in_order_later_wins(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
rules:
  no-explicit-any: error
overrides:
  - files: ["tests/**"]
    rules:
      no-explicit-any: off
  - files: ["tests/strict/**"]
    rules:
      no-explicit-any: warning
""",
    )
    assert config.effective("lib/a.ts")["no-explicit-any"].severity is Severity.ERROR
    assert "no-explicit-any" not in config.effective("tests/a.ts")
    assert config.effective("tests/strict/a.ts")["no-explicit-any"].severity is Severity.WARNING


def test_overrides_order_reversed_changes_the_result(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """
overrides:
  - files: ["tests/strict/**"]
    rules:
      no-explicit-any: warning
  - files: ["tests/**"]
    rules:
      no-explicit-any: off
""",
    )
    assert "no-explicit-any" not in config.effective("tests/strict/a.ts")


def test_cli_wins_over_file(tmp_path: Path) -> None:
    cli = CliRules(select=("no-explicit-any",), severities={"no-explicit-any": "note"})
    config = load(tmp_path, "rules:\n  no-explicit-any: off\n", cli)
    effective = config.effective("a.ts")
    assert effective["no-explicit-any"].severity is Severity.NOTE
    assert "no-empty-catch" not in effective
    assert "syntax-error" in effective  # tool findings are not deselected


def test_cli_ignore(tmp_path: Path) -> None:
    config = load(tmp_path, "", CliRules(ignore=("no-explicit-any",)))
    assert "no-explicit-any" not in config.effective("a.ts")


def test_yaml_bare_off_is_accepted(tmp_path: Path) -> None:
    # YAML 1.1 reads bare `off` as the boolean false.
    config = load(tmp_path, "rules:\n  no-explicit-any: off\n")
    assert "no-explicit-any" not in config.effective("a.ts")


def test_find_config_stops_at_git_root(tmp_path: Path) -> None:
    (tmp_path / ".nextaudit.yml").write_text("rules: {}\n")
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "app").mkdir()
    assert find_config(repo / "app", repo) is None
    (repo / ".nextaudit.yml").write_text("rules: {}\n")
    assert find_config(repo / "app", repo) == repo / ".nextaudit.yml"


def test_exclude_and_include_are_relative_to_the_config(tmp_path: Path) -> None:
    config = load(tmp_path, 'exclude: ["generated/"]\ninclude: ["app/**", "lib/**"]\n')
    assert config.is_excluded(tmp_path / "generated", True)
    assert config.is_excluded(tmp_path / "scripts" / "x.ts", False)
    assert not config.is_excluded(tmp_path / "lib" / "x.ts", False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rulez: {}\n", ".nextaudit.yml:1: rulez: unknown key"),
        (
            "rules:\n  no-explicit-anyy: off\n",
            ":2: rules.no-explicit-anyy: unknown rule id 'no-explicit-anyy' (did you mean 'no-explicit-any'?)",
        ),
        (
            "rules:\n  no-explicit-any:\n    options:\n      ignore-rest: true\n",
            ":4: rules.no-explicit-any.options.ignore-rest: unknown option for no-explicit-any (known: ignore-rest-args)",
        ),
        (
            "rules:\n  no-explicit-any:\n    options:\n      ignore-rest-args: yes please\n",
            ":4: rules.no-explicit-any.options.ignore-rest-args: expected true or false, got a string",
        ),
        (
            "rules:\n  no-explicit-any: loud\n",
            ":2: rules.no-explicit-any: expected one of error, warning, note, off, got 'loud'",
        ),
        (
            "rules:\n  no-explicit-any:\n    level: error\n",
            ":3: rules.no-explicit-any.level: unknown key (expected one of: severity, options)",
        ),
        ("exclude: generated\n", ":1: exclude: expected a list of strings, got a string"),
        ("exclude: [1]\n", ":1: exclude[0]: expected a string, got an integer"),
        ("overrides:\n  - rules: {}\n", ":2: overrides[0]: an override needs `files`"),
        (
            "overrides:\n  - files: [a]\n    rule: {}\n",
            ":3: overrides[0].rule: unknown key (expected one of: files, rules)",
        ),
        ("rules: [a]\n", ":1: rules: expected a mapping of rule ids, got a list"),
        ("- a\n", ":1: the config must be a mapping, got a list"),
        ("rules:\n  no-explicit-any: {severity: error\n", ": invalid YAML"),
        ("a: &x [1]\nb: *x\n", ":2: YAML aliases (*name) are not supported"),
        ("max-file-size: -1\n", ":1: max-file-size: expected a positive number of bytes"),
    ],
)
def test_every_error_names_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    message = error_of(tmp_path, text)
    assert message.startswith(str(tmp_path / ".nextaudit.yml"))
    assert expected in message


def test_bad_regex_option_is_reported_with_its_line(tmp_path: Path) -> None:
    registry = default_registry()
    regex_rule = next(
        (r for r in registry for s in r.options.values() if s.type == "regex-list"), None
    )
    if regex_rule is None:
        pytest.skip("no rule with a regex option yet")
    option = next(s.name for s in regex_rule.options.values() if s.type == "regex-list")
    message = error_of(
        tmp_path, f"rules:\n  {regex_rule.id}:\n    options:\n      {option}: ['(unclosed']\n"
    )
    assert f":4: rules.{regex_rule.id}.options.{option}[0]: invalid regular expression" in message


def test_unknown_rule_on_the_command_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--select: unknown rule id 'nope'"):
        load_config(None, default_registry(), tmp_path, CliRules(select=("nope",)))
    with pytest.raises(ConfigError, match="--severity no-explicit-any=loud"):
        load_config(
            None, default_registry(), tmp_path, CliRules(severities={"no-explicit-any": "loud"})
        )


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    lol = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lol += f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
    message = error_of(tmp_path, lol)
    assert "aliases" in message


def test_python_tags_never_run(tmp_path: Path) -> None:
    message = error_of(tmp_path, "rules: !!python/object/apply:os.system ['echo pwned']\n")
    assert "invalid YAML" in message


def test_catastrophic_user_regex_cannot_hang_the_run(tmp_path: Path) -> None:
    """RE2 matches in linear time: `(a+)+$` against a long string returns at once."""
    import time

    from nextaudit.safe_regex import compile_user_regex

    pattern = compile_user_regex("(a+)+$")
    start = time.monotonic()
    assert pattern.fullmatch("a" * 100_000 + "b") is None
    assert time.monotonic() - start < 1.0


def test_backreferences_are_a_clear_config_error(tmp_path: Path) -> None:
    message = error_of(
        tmp_path, "rules:\n  no-hardcoded-model:\n    options:\n      extra-patterns: ['(a)\\1']\n"
    )
    assert (
        ":4: rules.no-hardcoded-model.options.extra-patterns[0]: invalid regular expression"
        in message
    )
    assert "RE2" in message
