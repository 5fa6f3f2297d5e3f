"""What a check receives besides the tree: its options and a way to report."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar, cast

from nextaudit.analysis.paths import glob_matcher
from nextaudit.findings import Finding, Location, Severity

if TYPE_CHECKING:
    import tree_sitter as ts

    from nextaudit.registry import Rule
    from nextaudit.safe_regex import UserPattern
    from nextaudit.source import SourceFile


T = TypeVar("T")
Ctx = TypeVar("Ctx", bound="_Options")

# Values derived from a rule's options, by the engine's read-only options mapping (one
# per rule and settings, shared by every file with those settings) and the function
# that derives them. The mapping is kept in the value, so its id cannot be reused
# while the entry lives.
_DERIVED: dict[tuple[int, Callable[..., object]], tuple[Mapping[str, object], object]] = {}
_MAX_DERIVED = 256  # options are few per run; keep the table small


class _Options:
    """Typed access to a rule's effective options (already validated by config)."""

    def __init__(self, rule: Rule, severity: Severity, options: Mapping[str, object]) -> None:
        self.rule = rule
        self.severity = severity
        self.options = options

    def option(self, name: str) -> object:
        if name not in self.rule.options:
            raise KeyError(f"rule {self.rule.id} declares no option {name!r}")
        return self.options.get(name, self.rule.options[name].default)

    def bool_option(self, name: str) -> bool:
        return bool(self.option(name))

    def int_option(self, name: str) -> int:
        value = self.option(name)
        return value if isinstance(value, int) else 0

    def str_option(self, name: str) -> str:
        return str(self.option(name))

    def list_option(self, name: str) -> list[str]:
        value = self.option(name)
        return [str(v) for v in value] if isinstance(value, list) else []

    def derived(self: Ctx, compute: Callable[[Ctx], T]) -> T:
        """`compute(self)`, which must depend on the options alone (compiled patterns,
        a rule's plan), computed once per options mapping the engine made instead of
        once per file. Other mappings (a test's dict, which may change) are not kept."""
        options = self.options
        if type(options) is not MappingProxyType:
            return compute(self)
        key = (id(options), compute)
        found = _DERIVED.get(key)
        if found is not None and found[0] is options:
            return cast(T, found[1])
        value = compute(self)
        if len(_DERIVED) >= _MAX_DERIVED:
            _DERIVED.clear()
        _DERIVED[key] = (options, value)
        return value

    def make_finding(
        self,
        path: str,
        location: Location,
        message: str | None,
        severity: Severity | None,
        snippet: str,
        fields: Mapping[str, object],
    ) -> Finding:
        """A finding of this rule. Its message and snippet quote source text, so any key
        in them is redacted here, whichever rule reports it: no output format, cache or
        baseline can then carry a secret in full."""
        from nextaudit.analysis.secrets import redact_secrets

        template = message if message is not None else self.rule.message
        text = template.format(**fields) if fields else template
        return Finding(
            rule_id=self.rule.id,
            severity=severity if severity is not None else self.severity,
            message=redact_secrets(text),
            path=path,
            location=location,
            snippet=redact_secrets(snippet),
        )

    def regex_option(self, name: str) -> list[UserPattern]:
        from nextaudit.safe_regex import compile_option_regex

        defaults = self.rule.options[name].default
        return [compile_option_regex(p, defaults) for p in self.list_option(name)]


class RuleContext(_Options):
    """Per file and rule. `report()` turns a node into a Finding with the rule's
    configured severity and its message template filled in."""

    def __init__(
        self,
        rule: Rule,
        severity: Severity,
        options: Mapping[str, object],
        source: SourceFile,
    ) -> None:
        super().__init__(rule, severity, options)
        self.source = source
        self.findings: list[Finding] = []

    def report(
        self,
        node: ts.Node,
        *,
        message: str | None = None,
        severity: Severity | None = None,
        snippet: str | None = None,
        **fields: object,
    ) -> None:
        self.report_location(
            self.source.location(node),
            message=message,
            severity=severity,
            snippet=snippet if snippet is not None else self.source.node_text(node),
            **fields,
        )

    def report_location(
        self,
        location: Location,
        *,
        message: str | None = None,
        severity: Severity | None = None,
        snippet: str = "",
        **fields: object,
    ) -> None:
        self.findings.append(
            self.make_finding(self.source.path, location, message, severity, snippet, fields)
        )


class CollectContext(_Options):
    """What a project rule's per-file collector receives: the rule's options and the
    scanned roots (it reports nothing; the project check does, from what was
    collected)."""

    def __init__(
        self,
        rule: Rule,
        severity: Severity,
        options: Mapping[str, object],
        roots: tuple[str, ...],
    ) -> None:
        super().__init__(rule, severity, options)
        self.roots = roots  # absolute POSIX paths of the scanned roots
        self._prefixes = [root.rstrip("/") + "/" for root in roots]
        self._matchers: dict[str, Callable[[str], bool]] = {}

    def glob_option(self, name: str) -> Callable[[str], bool]:
        """`paths.glob_matcher` of the glob-list option `name`, built once: a
        collector's context serves every file of the run, and rebuilding the option's
        list per file cost more than matching the file."""
        found = self._matchers.get(name)
        if found is None:
            found = self._matchers[name] = glob_matcher(self.list_option(name))
        return found

    def project_paths(self, source: SourceFile) -> list[str]:
        """The file's path relative to each scanned root that holds it (what the
        project check will match its globs against)."""
        out = []
        for prefix in self._prefixes:
            if source.path.startswith(prefix):
                out.append(source.path[len(prefix) :])
        return out


class ProjectContext(_Options):
    """Per project-level rule: findings land on any file (package.json, lockfiles...)."""

    def __init__(self, rule: Rule, severity: Severity, options: Mapping[str, object]) -> None:
        super().__init__(rule, severity, options)
        self.findings: list[Finding] = []

    def report_at(
        self,
        path: str,
        location: Location,
        *,
        message: str | None = None,
        severity: Severity | None = None,
        snippet: str = "",
        **fields: object,
    ) -> None:
        self.findings.append(self.make_finding(path, location, message, severity, snippet, fields))
