"""The command line: options -> Config -> runner -> reporters -> exit code.

`nextaudit [PATHS]` is `nextaudit check [PATHS]`; the other commands (`rules`,
`explain`, `init`, `config-schema`) are named explicitly. Errors are one line on
stderr and exit 2, never a traceback (unless --verbose).
"""

from __future__ import annotations

import enum
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from typer.core import TyperGroup

from nextaudit import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130


class Format(str, enum.Enum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"
    checklist = "checklist"


class FailOn(str, enum.Enum):
    error = "error"
    warning = "warning"
    note = "note"
    never = "never"


class DefaultCommandGroup(TyperGroup):
    """Route `nextaudit <path>` (anything that is not a command name) to `check`."""

    default_command = "check"

    # Typer now vendors click, so its Context class has no public home to name here.
    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        is_command = bool(args) and (args[0] in self.commands or args[0] in ("--help", "-h"))
        if not is_command and "--version" not in args:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=DefaultCommandGroup,
    add_completion=False,
    no_args_is_help=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=(
        "Checklist-driven static analysis for Next.js / TypeScript backends.\n\n"
        "`nextaudit [PATHS]` is short for `nextaudit check [PATHS]`; "
        "see `nextaudit check --help` for its options."
    ),
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    typer.echo(f"nextaudit: error: {message}", err=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nextaudit {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Checklist-driven static analysis for Next.js / TypeScript backends.

    `nextaudit [PATHS]` is short for `nextaudit check [PATHS]`; see
    `nextaudit check --help` for its options.
    """


def _split_ids(values: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for value in values or []:
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return tuple(out)


def _parse_severities(values: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values or []:
        rule_id, sep, level = value.partition("=")
        if not sep or not rule_id.strip() or not level.strip():
            fail(f"--severity expects <rule-id>=<level>, got {value!r}")
        out[rule_id.strip()] = level.strip().lower()
    return out


@app.command()
def check(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or directories to analyse (default: .).")
    ] = None,
    output_format: Annotated[
        Format, typer.Option("--format", "-f", help="Output format.")
    ] = Format.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report to FILE.")
    ] = None,
    sarif_output: Annotated[
        Path | None, typer.Option(help="Also write SARIF to FILE.", rich_help_panel="Outputs")
    ] = None,
    json_output: Annotated[
        Path | None, typer.Option(help="Also write JSON to FILE.", rich_help_panel="Outputs")
    ] = None,
    text_output: Annotated[
        Path | None, typer.Option(help="Also write plain text to FILE.", rich_help_panel="Outputs")
    ] = None,
    github_output: Annotated[
        Path | None,
        typer.Option(help="Also write GitHub annotations to FILE.", rich_help_panel="Outputs"),
    ] = None,
    checklist_output: Annotated[
        Path | None,
        typer.Option(
            help="Also write the checklist (Markdown) to FILE.", rich_help_panel="Outputs"
        ),
    ] = None,
    fail_on: Annotated[
        FailOn, typer.Option(help="Exit 1 when a finding is at or above this severity.")
    ] = FailOn.error,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="Use this config file instead of discovery.")
    ] = None,
    no_config: Annotated[bool, typer.Option("--no-config", help="Ignore config files.")] = False,
    select: Annotated[
        list[str] | None, typer.Option(help="Only run these rule ids (comma-separated).")
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option(help="Do not run these rule ids (comma-separated).")
    ] = None,
    severity: Annotated[
        list[str] | None, typer.Option(help="Set a rule's severity: <rule-id>=<level|off>.")
    ] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes (default: CPUs).")
    ] = None,
    category: Annotated[
        str | None, typer.Option(help="SARIF automationDetails.id (run category).")
    ] = None,
    show_suppressed: Annotated[
        bool,
        typer.Option(
            "--show-suppressed", help="Also list findings silenced by nextaudit-ignore comments."
        ),
    ] = False,
    baseline: Annotated[
        Path | None, typer.Option(help="Drop findings recorded in this baseline file.")
    ] = None,
    update_baseline: Annotated[
        bool,
        typer.Option(
            "--update-baseline", help="(Re)write the --baseline file from the current findings."
        ),
    ] = False,
    changed_since: Annotated[
        str | None,
        typer.Option(help="Only analyse files changed since the merge base with this git ref."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the cache.")
    ] = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option(help="Cache directory (default: .nextaudit_cache at the project root)."),
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Progress bar on stderr (default: only on a terminal, never in CI).",
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Tracebacks for internal errors.")
    ] = False,
) -> None:
    """Analyse PATHS and report findings."""
    from nextaudit.baseline import BaselineError
    from nextaudit.cache import CACHE_DIR_NAME
    from nextaudit.changed import ChangedFilesError, changed_files
    from nextaudit.config import CliRules, ConfigError, find_config, load_config, project_root
    from nextaudit.discovery import DiscoveryError, find_git_root
    from nextaudit.registry import RegistryError, default_registry
    from nextaudit.runner import RunOptions, run, usable_cpus

    targets = paths or [Path(".")]
    for target in targets:
        if not target.exists():
            fail(f"path does not exist: {target}")
    if config_file is not None and no_config:
        fail("--config and --no-config cannot be used together")
    if update_baseline and baseline is None:
        fail("--update-baseline needs --baseline FILE")
    cli_rules = CliRules(_split_ids(select), _split_ids(ignore), _parse_severities(severity))
    cwd = Path.cwd()
    first = Path(os.path.abspath(targets[0]))
    git_root = find_git_root(first)
    try:
        registry = default_registry()
        config_path: Path | None
        if no_config:
            config_path = None
        elif config_file is not None:
            if not config_file.is_file():
                fail(f"config file not found: {config_file}")
            config_path = config_file.resolve()
        else:
            config_path = find_config(first, git_root)
        root = config_path.parent if config_path else project_root(targets)
        config = load_config(config_path, registry, root, cli_rules)
        only_files = None
        if changed_since is not None:
            _top, only_files = changed_files(
                changed_since, first if first.is_dir() else first.parent
            )
        options = RunOptions(
            jobs=jobs or usable_cpus(),
            verbose=verbose,
            repo_root=git_root or cwd,
            cwd=cwd,
            only_files=only_files,
            baseline=baseline,
            update_baseline=update_baseline,
            show_suppressed=show_suppressed,
            cache_dir=None if no_cache else (cache_dir or config.root / CACHE_DIR_NAME),
            progress=_want_progress(progress),
        )
        result = run(config, targets, options)
    except (ConfigError, DiscoveryError, BaselineError, ChangedFilesError) as exc:
        fail(str(exc))
    except RegistryError as exc:
        fail(f"internal error: {exc}")
    except typer.Exit:
        raise
    except Exception as exc:  # never a traceback for the user, unless asked
        if verbose:
            import traceback

            traceback.print_exc()
        fail(f"internal error: {type(exc).__name__}: {exc} (--verbose shows the traceback)")
    except KeyboardInterrupt:
        typer.echo("nextaudit: interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    result.category = category

    from nextaudit.report import render
    from nextaudit.report.atomic import write_atomic
    from nextaudit.report.common import one_line

    for notice in result.notices:
        # Paths and messages come from the analysed tree: no control characters on the
        # user's terminal.
        where = one_line(result.display_path(notice.path))
        typer.echo(f"{where}: {notice.kind}: {one_line(notice.message)}", err=True)
        if verbose and notice.detail:
            typer.echo(notice.detail.rstrip(), err=True)

    extra = {
        Format.sarif: sarif_output,
        Format.json: json_output,
        Format.text: text_output,
        Format.github: github_output,
        Format.checklist: checklist_output,
    }
    try:
        for fmt, destination in extra.items():
            if destination is not None:
                write_atomic(destination, render(fmt.value, result, terminal=False))
        if output is not None:
            write_atomic(output, render(output_format.value, result, terminal=False))
        else:
            terminal = sys.stdout.isatty()
            width = _terminal_width() if terminal else 100
            text = render(output_format.value, result, terminal=terminal, width=width)
            sys.stdout.write(text)
            sys.stdout.flush()
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        fail(f"cannot write report: {exc}")
    raise typer.Exit(exit_code(result, fail_on))


def _want_progress(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    return sys.stderr.isatty() and not os.environ.get("CI")


def _terminal_width() -> int:
    import shutil

    return max(60, min(160, shutil.get_terminal_size((100, 24)).columns))


def exit_code(result: object, fail_on: FailOn) -> int:
    from nextaudit.findings import Severity
    from nextaudit.results import RunResult

    assert isinstance(result, RunResult)
    if result.fatal:
        return EXIT_ERROR
    if fail_on is FailOn.never:
        return EXIT_CLEAN
    threshold = Severity.parse(fail_on.value)
    return EXIT_FINDINGS if any(f.severity >= threshold for f in result.findings) else EXIT_CLEAN


@app.command("rules")
def list_rules(
    output_format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """List every rule: id, default severity, checklist item, enabled by default."""
    from nextaudit.registry import default_registry

    rules = [r for r in default_registry() if r.kind != "tool"]
    if output_format == "json":
        import json

        rows = [
            {
                "id": r.id,
                "severity": r.severity.label,
                "enabled": r.enabled,
                "checklist": r.checklist,
                "title": r.title,
            }
            for r in rules
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    if output_format != "table":
        fail(f"--format must be table or json, got {output_format!r}")
    width = max(len(r.id) for r in rules)
    typer.echo(f"{'RULE':<{width}}  SEVERITY  ENABLED  CHECKLIST")
    for r in rules:
        enabled = "yes" if r.enabled else "no"
        typer.echo(f"{r.id:<{width}}  {r.severity.label:<8}  {enabled:<7}  {r.checklist}")


@app.command()
def explain(rule_id: Annotated[str, typer.Argument(help="A rule id.")]) -> None:
    """Print a rule's documentation with an example and its fix."""
    from nextaudit.registry import default_registry
    from nextaudit.rule_docs import rule_markdown

    registry = default_registry()
    if rule_id not in registry:
        import difflib

        close = difflib.get_close_matches(rule_id, registry.ids(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        fail(f"unknown rule id {rule_id!r}{hint}; `nextaudit rules` lists them")
    typer.echo(rule_markdown(registry[rule_id]), nl=False)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the config.")] = Path(
        ".nextaudit.yml"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter .nextaudit.yml listing every rule with its default."""
    from nextaudit.config_schema import starter_config
    from nextaudit.registry import default_registry
    from nextaudit.report.atomic import write_atomic

    if path.exists() and not force:
        fail(f"{path} already exists (use --force to overwrite)")
    write_atomic(path, starter_config(default_registry()))
    typer.echo(f"wrote {path}")


@app.command("config-schema")
def config_schema_command() -> None:
    """Print the JSON Schema of .nextaudit.yml (for editor validation)."""
    from nextaudit.config_schema import schema_json
    from nextaudit.registry import default_registry

    typer.echo(schema_json(default_registry()), nl=False)
