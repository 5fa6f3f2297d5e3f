""".nextaudit.yml: find it, load it (yaml.safe_load only), validate it, and answer
"which rules, with which severity and options, apply to this file?".

Every mistake is a ConfigError naming the file, the line and the key. Precedence,
lowest first: rule defaults, the file's `rules`, each matching `overrides` entry in
order, then command-line `--select` / `--ignore` / `--severity`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nextaudit.engine import RuleSetting
from nextaudit.findings import Severity
from nextaudit.registry import OptionSpec, Registry, Rule

if TYPE_CHECKING:
    # PyYAML is imported when a config file is read: a run without one never needs it
    # (the rules come from their JSON index), and the import costs ~25 ms.
    import yaml

CONFIG_NAMES = (".nextaudit.yml", ".nextaudit.yaml")
SEVERITY_WORDS = ("error", "warning", "note", "off")
TOP_LEVEL_KEYS = ("include", "exclude", "rules", "overrides", "max-file-size")
RULE_KEYS = ("severity", "options")
OVERRIDE_KEYS = ("files", "rules")
DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024
MAX_CONFIG_BYTES = 1024 * 1024


class ConfigError(Exception):
    """A configuration mistake; str() is the one line the user sees."""


@dataclass(frozen=True)
class RuleConfig:
    """What one `rules:` block says about one rule (None: not said)."""

    severity: str | None = None
    options: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Override:
    files: tuple[str, ...]
    rules: Mapping[str, RuleConfig]
    spec: GlobSpec


@dataclass(frozen=True)
class CliRules:
    """Rule choices made on the command line; they win over the file."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severities: Mapping[str, str] = field(default_factory=dict)


class GlobSpec:
    """Gitignore-style globs relative to a base directory."""

    def __init__(self, globs: Sequence[str]) -> None:
        import pathspec

        self.globs = tuple(globs)
        self._spec = pathspec.GitIgnoreSpec.from_lines(self.globs)

    def matches(self, rel_path: str, is_dir: bool = False) -> bool:
        return bool(self._spec.match_file(rel_path + "/" if is_dir else rel_path))


@dataclass
class Config:
    """A loaded configuration. `root` is the directory paths and globs are relative to
    (the config file's directory, else the project root)."""

    registry: Registry
    root: Path
    path: Path | None = None
    rules: Mapping[str, RuleConfig] = field(default_factory=dict)
    overrides: Sequence[Override] = ()
    include: GlobSpec | None = None
    exclude: GlobSpec | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    cli: CliRules = field(default_factory=CliRules)
    _cache: dict[tuple[int, ...], tuple[tuple[str, RuleSetting], ...]] = field(
        default_factory=dict, repr=False
    )
    _file_cache: dict[tuple[int, ...], tuple[RuleSetting, ...]] = field(
        default_factory=dict, repr=False
    )

    # --- which rules apply -------------------------------------------------------
    def effective(self, rel_path: str | None = None) -> dict[str, RuleSetting]:
        """Enabled rules (file, project and tool rules) for a file, by id."""
        return dict(self._effective(self._matched(rel_path)))

    def _matched(self, rel_path: str | None) -> tuple[int, ...]:
        return tuple(
            i for i, o in enumerate(self.overrides) if rel_path and o.spec.matches(rel_path)
        )

    def _effective(self, matched: tuple[int, ...]) -> tuple[tuple[str, RuleSetting], ...]:
        cached = self._cache.get(matched)
        if cached is None:
            cached = self._cache[matched] = self._compute(matched)
        return cached

    def _compute(self, matched: tuple[int, ...]) -> tuple[tuple[str, RuleSetting], ...]:
        out: list[tuple[str, RuleSetting]] = []
        for rule in self.registry:
            severity: Severity | None = rule.severity if rule.enabled else None
            options = rule.default_options()
            layers = [self.rules] + [self.overrides[i].rules for i in matched]
            for layer in layers:
                said = layer.get(rule.id)
                if said is None:
                    continue
                if said.severity == "off":
                    severity = None
                elif said.severity is not None:
                    severity = Severity.parse(said.severity)
                options.update(said.options)
            severity = self._apply_cli(rule, severity)
            if severity is not None:
                out.append(
                    (rule.id, RuleSetting(rule.id, severity, tuple(sorted(options.items()))))
                )
        return tuple(out)

    def _apply_cli(self, rule: Rule, severity: Severity | None) -> Severity | None:
        cli = self.cli
        if rule.id in cli.severities:
            word = cli.severities[rule.id]
            if word == "off":
                severity = None
            else:
                severity = rule.severity if word == "on" else Severity.parse(word)
        if cli.select:
            if rule.id in cli.select:
                severity = severity or rule.severity
            elif rule.kind != "tool":
                severity = None
        if rule.id in cli.ignore:
            severity = None
        return severity

    def file_settings(self, rel_path: str) -> tuple[RuleSetting, ...]:
        """The file rules for a file. Files matching the same overrides share one tuple
        object, so callers may memoise per-settings work by identity."""
        matched = self._matched(rel_path)
        cached = self._file_cache.get(matched)
        if cached is None:
            cached = self._file_cache[matched] = tuple(
                s for _, s in self._effective(matched) if self.registry[s.rule_id].kind != "project"
            )
        return cached

    def project_settings(self) -> list[RuleSetting]:
        return [s for s in self.effective().values() if self.registry[s.rule_id].kind == "project"]

    def enabled_rules(self) -> list[Rule]:
        """Rules enabled anywhere (base config or any override), for SARIF's driver."""
        ids = set(self.effective())
        for index in range(len(self.overrides)):
            ids |= {rule_id for rule_id, _ in self._effective((index,))}
        return [r for r in self.registry if r.id in ids]

    @property
    def path_filter(self) -> Callable[[Path, bool], bool] | None:
        """is_excluded, or None when the config has no include/exclude globs (most
        have none): discovery then asks nothing per entry."""
        return None if self.exclude is None and self.include is None else self.is_excluded

    def is_excluded(self, path: Path, is_dir: bool) -> bool:
        if self.exclude is None and self.include is None:
            return False  # no globs (most configs): skip relative_to, called per entry
        rel = _relative(path, self.root)
        if rel is None:
            return False
        if self.exclude is not None and self.exclude.matches(rel, is_dir):
            return True
        return bool(self.include is not None and not is_dir and not self.include.matches(rel))


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return None


# --- discovery ---------------------------------------------------------------------
def find_config(start: Path, stop: Path | None) -> Path | None:
    """The nearest .nextaudit.yml from `start` upward, not above `stop` (the git root)."""
    current = start if start.is_dir() else start.parent
    for directory in (current, *current.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
        if stop is not None and directory == stop:
            break
    return None


# --- loading -----------------------------------------------------------------------
class _Located:
    """Line numbers for key paths, from yaml.compose (which constructs no objects)."""

    def __init__(self, node: yaml.Node | None) -> None:
        self.node = node

    def line(self, *keys: str | int) -> int | None:
        import yaml

        node = self.node
        line = node.start_mark.line + 1 if node is not None else None
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == key:
                        line = key_node.start_mark.line + 1
                        node = value_node
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                if key >= len(node.value):
                    return line
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                return line
        return line


class _Validator:
    def __init__(self, path: Path, registry: Registry, located: _Located) -> None:
        self.path = path
        self.registry = registry
        self.located = located

    def fail(self, keys: Sequence[str | int], message: str) -> ConfigError:
        line = self.located.line(*keys)
        where = f"{self.path}:{line}" if line else str(self.path)
        dotted = ".".join(str(k) if isinstance(k, str) else f"[{k}]" for k in keys)
        dotted = dotted.replace(".[", "[")
        return ConfigError(f"{where}: {dotted}: {message}" if dotted else f"{where}: {message}")

    def globs(self, value: object, keys: Sequence[str | int]) -> tuple[str, ...]:
        items = self.string_list(value, keys)
        for index, glob in enumerate(items):
            try:
                GlobSpec([glob])
            except Exception as exc:
                raise self.fail([*keys, index], f"invalid glob {glob!r}: {exc}") from None
        return items

    def string_list(self, value: object, keys: Sequence[str | int]) -> tuple[str, ...]:
        if isinstance(value, str):
            raise self.fail(keys, "expected a list of strings, got a string (write it as [...])")
        if not isinstance(value, list):
            raise self.fail(keys, f"expected a list of strings, got {_type_name(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail([*keys, index], f"expected a string, got {_type_name(item)}")
        return tuple(value)

    def rules(self, value: object, keys: Sequence[str | int]) -> dict[str, RuleConfig]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(keys, f"expected a mapping of rule ids, got {_type_name(value)}")
        out: dict[str, RuleConfig] = {}
        for rule_id, body in value.items():
            where = [*keys, str(rule_id)]
            if not isinstance(rule_id, str) or rule_id not in self.registry:
                raise self.fail(
                    where, f"unknown rule id {rule_id!r}{_suggest(rule_id, self.registry.ids())}"
                )
            out[rule_id] = self.rule(self.registry[rule_id], body, where)
        return out

    def rule(self, rule: Rule, body: object, keys: Sequence[str | int]) -> RuleConfig:
        if isinstance(body, bool):  # YAML 1.1 reads a bare `off` / `on` as a boolean
            return RuleConfig("off" if body is False else rule.severity.label)
        if isinstance(body, str):
            return RuleConfig(self.severity(body, rule, keys))
        if not isinstance(body, dict):
            raise self.fail(keys, "expected `off`, a severity, or a mapping with severity/options")
        for key in body:
            if key not in RULE_KEYS:
                raise self.fail(
                    [*keys, str(key)], f"unknown key (expected one of: {', '.join(RULE_KEYS)})"
                )
        severity = body.get("severity")
        if isinstance(severity, bool):
            severity = "off" if severity is False else rule.severity.label
        elif severity is not None:
            if not isinstance(severity, str):
                raise self.fail([*keys, "severity"], f"expected one of {', '.join(SEVERITY_WORDS)}")
            severity = self.severity(severity, rule, [*keys, "severity"])
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise self.fail([*keys, "options"], f"expected a mapping, got {_type_name(options)}")
        checked: dict[str, object] = {}
        for name, option_value in options.items():
            where = [*keys, "options", str(name)]
            spec = rule.options.get(str(name))
            if spec is None:
                known = ", ".join(rule.options) or "none"
                raise self.fail(where, f"unknown option for {rule.id} (known: {known})")
            checked[spec.name] = self.option(spec, option_value, where)
        return RuleConfig(severity, checked)

    def severity(self, word: str, rule: Rule, keys: Sequence[str | int]) -> str:
        word = word.strip().lower()
        if word == "on":
            return rule.severity.label
        if word not in SEVERITY_WORDS:
            raise self.fail(keys, f"expected one of {', '.join(SEVERITY_WORDS)}, got {word!r}")
        return word

    def option(self, spec: OptionSpec, value: object, keys: Sequence[str | int]) -> object:
        if spec.type == "bool":
            if not isinstance(value, bool):
                raise self.fail(keys, f"expected true or false, got {_type_name(value)}")
            return value
        if spec.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise self.fail(keys, f"expected an integer, got {_type_name(value)}")
            return value
        if spec.type == "string":
            if not isinstance(value, str):
                raise self.fail(keys, f"expected a string, got {_type_name(value)}")
            return value
        items = list(self.string_list(value, keys))
        if spec.type == "glob-list":
            self.globs(items, keys)
        elif spec.type == "regex-list":
            from nextaudit.safe_regex import UserRegexError, compile_option_regex

            for index, pattern in enumerate(items):
                try:
                    compile_option_regex(pattern, spec.default)
                except UserRegexError as exc:
                    raise self.fail([*keys, index], str(exc)) from None
        return items


def _type_name(value: object) -> str:
    if value is None:
        return "nothing"
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _suggest(word: object, choices: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(str(word), choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _reject_aliases(text: str, path: Path) -> None:
    """Anchors and aliases are refused: they are the billion-laughs vector and a
    config file has no need for them."""
    import yaml

    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
                raise ConfigError(
                    f"{where}: YAML aliases (*name) are not supported in nextaudit config"
                )
    except yaml.YAMLError:
        return  # reported by safe_load below with its position


def load_config(
    path: Path | None,
    registry: Registry,
    root: Path,
    cli: CliRules | None = None,
) -> Config:
    """Load and validate `path` (None: defaults only)."""
    cli = cli or CliRules()
    _validate_cli(cli, registry)
    if path is None:
        return Config(registry, root, cli=cli)
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: config file is larger than {MAX_CONFIG_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not valid UTF-8") from None
    _reject_aliases(text, path)
    import yaml

    try:
        data = yaml.safe_load(text)
        located = _Located(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}{line}: invalid YAML: {problem}") from None
    config = Config(registry, path.parent, path, cli=cli)
    if data is None:
        return config
    check = _Validator(path, registry, located)
    if not isinstance(data, dict):
        raise check.fail([], f"the config must be a mapping, got {_type_name(data)}")
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise check.fail(
                [str(key)], f"unknown key (expected one of: {', '.join(TOP_LEVEL_KEYS)})"
            )
    config.rules = check.rules(data.get("rules"), ["rules"])
    if "include" in data:
        config.include = GlobSpec(check.globs(data["include"], ["include"]))
    if "exclude" in data:
        config.exclude = GlobSpec(check.globs(data["exclude"], ["exclude"]))
    if "max-file-size" in data:
        size = data["max-file-size"]
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            raise check.fail(["max-file-size"], "expected a positive number of bytes")
        config.max_file_size = size
    overrides = data.get("overrides") or []
    if not isinstance(overrides, list):
        raise check.fail(["overrides"], "expected a list of {files, rules} entries")
    parsed: list[Override] = []
    for index, entry in enumerate(overrides):
        where: list[str | int] = ["overrides", index]
        if not isinstance(entry, dict):
            raise check.fail(where, "expected a mapping with `files` and `rules`")
        for key in entry:
            if key not in OVERRIDE_KEYS:
                raise check.fail(
                    [*where, str(key)], f"unknown key (expected one of: {', '.join(OVERRIDE_KEYS)})"
                )
        if "files" not in entry:
            raise check.fail(where, "an override needs `files`")
        files = check.globs(entry["files"], [*where, "files"])
        parsed.append(
            Override(files, check.rules(entry.get("rules"), [*where, "rules"]), GlobSpec(files))
        )
    config.overrides = tuple(parsed)
    return config


def _validate_cli(cli: CliRules, registry: Registry) -> None:
    for flag, ids in (
        ("--select", cli.select),
        ("--ignore", cli.ignore),
        ("--severity", cli.severities),
    ):
        for rule_id in ids:
            if rule_id not in registry:
                raise ConfigError(
                    f"{flag}: unknown rule id {rule_id!r}{_suggest(rule_id, registry.ids())}"
                )
    for rule_id, word in cli.severities.items():
        if word not in (*SEVERITY_WORDS, "on"):
            raise ConfigError(
                f"--severity {rule_id}={word}: expected one of {', '.join(SEVERITY_WORDS)}"
            )


def project_root(paths: Sequence[Path]) -> Path:
    """The git root of the first path, else the current directory."""
    from nextaudit.discovery import find_git_root

    first = Path(os.path.abspath(paths[0])) if paths else Path.cwd()
    return find_git_root(first) or Path.cwd()
