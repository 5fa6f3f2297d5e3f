"""pnpm-only: foreign lockfiles, a non-pnpm `packageManager`, and scripts that run npm,
npx, yarn or bun, in every `package.json` directory of the scanned tree."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nextaudit.context import ProjectContext
from nextaudit.findings import Location
from nextaudit.project import JsonEntry, PackageJson, Project

FOREIGN_LOCKFILES = {
    "package-lock.json": "npm",
    "npm-shrinkwrap.json": "npm",
    "yarn.lock": "yarn",
    "bun.lock": "Bun",
    "bun.lockb": "Bun",
}
# `npm `, `npx `, `bun `, `bunx ` in RULES.md: the tool with arguments. `yarn` alone is
# a full command (it installs), so it counts bare too.
TOOLS_WITH_ARGUMENTS = frozenset({"npm", "npx", "bun", "bunx"})
BARE_TOOLS = frozenset({"yarn"})
# Words that run the command after them (their own `-flags` are skipped too), and
# shell keywords after which a command starts.
WRAPPERS = frozenset(
    {
        "cross-env",
        "cross-env-shell",
        "env",
        "sudo",
        "time",
        "nohup",
        "exec",
        "command",
        "corepack",
        "!",
        "if",
        "then",
        "else",
        "elif",
        "do",
        "while",
        "until",
        "{",
    }
)
_ENV_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
# The guard pnpm's own docs recommend (`preinstall`): it is how a project enforces
# pnpm, so running it through npx is not a use of npm.
_ONLY_ALLOW_PNPM = ("npx", "only-allow", "pnpm")
_SEPARATORS = frozenset(";&|()`\n")
_REDIRECTS = frozenset("<>")
_BLANKS = frozenset(" \t\r")
MESSAGE_PRINTERS = frozenset({"echo", "printf"})
FIX = "`pnpm run`, `pnpm exec`, `pnpm dlx`"


@dataclass(frozen=True)
class Word:
    """A shell word with its quotes removed. `quoted` is its content when the whole word
    was one quoted string: a command handed to another program (`concurrently "npm
    run a"`, `sh -c '...'`) that is scanned as a script of its own."""

    value: str
    quoted: str | None = None


def _quoted_segment(script: str, start: int) -> tuple[str, int]:
    """The content of the quoted string opening at `start`, and the index after it."""
    quote = script[start]
    out: list[str] = []
    i = start + 1
    while i < len(script) and script[i] != quote:
        if quote == '"' and script[i] == "\\" and i + 1 < len(script):
            i += 1
        out.append(script[i])
        i += 1
    return "".join(out), i + 1


class _Lexer:
    """Splits a script into simple commands (lists of words) at `&&`, `||`, `;`, `|`,
    `&`, parentheses, backticks, `$(` and newlines. Not a full shell: enough to tell a
    command from an argument."""

    def __init__(self) -> None:
        self.commands: list[list[Word]] = []
        self.command: list[Word] = []
        self.parts: list[str] = []
        self.segments = 0
        self.only_quoted: str | None = None
        self.in_word = False

    def end_word(self) -> None:
        if self.in_word:
            whole = self.only_quoted if self.segments == 1 else None
            self.command.append(Word("".join(self.parts), whole))
        self.parts, self.segments, self.only_quoted, self.in_word = [], 0, None, False

    def end_command(self) -> None:
        self.end_word()
        if self.command:
            self.commands.append(self.command)
        self.command = []

    def add(self, text: str, quoted: bool) -> None:
        self.in_word = True
        self.parts.append(text)
        # A word is "wholly quoted" when it is exactly one quoted segment.
        self.segments += 1 if quoted else 2
        self.only_quoted = text if quoted else None

    def run(self, script: str) -> list[list[Word]]:
        i = 0
        while i < len(script):
            char = script[i]
            if char in _BLANKS:
                self.end_word()
                i += 1
            elif char in _SEPARATORS or script.startswith("$(", i):
                self.end_command()
                i += 2 if char == "$" else 1
            elif char in _REDIRECTS:
                self.end_word()
                i += 1
            elif char in "'\"":
                content, i = _quoted_segment(script, i)
                self.add(content, quoted=True)
            elif char == "\\" and i + 1 < len(script):
                self.add(script[i + 1], quoted=False)
                i += 2
            else:
                self.add(char, quoted=False)
                i += 1
        self.end_command()
        return self.commands


def _split_at_double_dash(words: list[Word]) -> Iterator[list[Word]]:
    """`dotenv -e .env -- npm run x`, `onchange 'src' -- npm run build`: what follows
    `--` is a command of its own."""
    current: list[Word] = []
    for word in words:
        if word.value == "--" and word.quoted is None:
            yield current
            current = []
        else:
            current.append(word)
    yield current


def _command_word(words: list[Word]) -> int | None:
    """Index of the program a simple command runs, past env assignments and wrappers."""
    after_wrapper = False
    for index, word in enumerate(words):
        value = word.value
        if _ENV_ASSIGNMENT.match(value) or value in WRAPPERS:
            after_wrapper = after_wrapper or value in WRAPPERS
            continue
        if after_wrapper and value.startswith("-"):
            continue
        return index
    return None


def _tool_in_command(words: list[Word], index: int | None) -> str | None:
    if index is None or words[index].quoted is not None:
        return None  # a quoted program name is almost always a JS string in `node -e`
    program = words[index].value
    rest = tuple(w.value for w in words[index:])
    if rest == _ONLY_ALLOW_PNPM:
        return None
    if program in BARE_TOOLS:
        return program
    if program in TOOLS_WITH_ARGUMENTS and len(rest) > 1:
        return program
    return None


def _nested_scripts(words: list[Word], index: int | None) -> list[str]:
    """Wholly quoted arguments of a program, scanned as scripts of their own, except
    what `echo` or `printf` print (a message that mentions npm does not run it). A quoted
    word in the place of the program is not a command: `indexOf('yarn')` in `node -e`."""
    if index is None or words[index].value in MESSAGE_PRINTERS:
        return []
    arguments = words[index + 1 :]
    return [w.quoted for w in arguments if w.quoted is not None and w.quoted.strip()]


def foreign_tool(script: str) -> str | None:
    """The first of npm, npx, yarn, bun, bunx that `script` runs as a command, if any.

    A command starts the script, follows `&&` `||` `;` `|` `&` `(` `$(` or a backtick,
    follows `--`, or opens a wholly quoted argument. Env assignments (`FOO=1`) and
    wrappers (`cross-env`, `env`, `sudo`...) before it are skipped. Inside other words
    the names mean nothing (`npm-run-all`, `run-p`, `husky`, `lint:yarn-check`).
    """
    pending = [script]
    while pending:
        for command in _Lexer().run(pending.pop(0)):
            for words in _split_at_double_dash(command):
                index = _command_word(words)
                tool = _tool_in_command(words, index)
                if tool is not None:
                    return tool
                pending.extend(_nested_scripts(words, index))
    return None


# --- findings ------------------------------------------------------------------------


def _report_lockfile(project: Project, path: Path, ctx: ProjectContext) -> None:
    first = project.first_line(path)
    end_column = 1 + len(first) if first else 1
    tool = FOREIGN_LOCKFILES[path.name]
    ctx.report_at(
        path.as_posix(),
        Location(1, 1, 1, end_column),
        snippet=first or "",
        problem=f"`{path.name}` is {tool}'s lockfile",
        fix="delete it; `pnpm install` writes `pnpm-lock.yaml`",
    )


def _report_entry(
    manifest: PackageJson, entry: JsonEntry, ctx: ProjectContext, problem: str, fix: str
) -> None:
    ctx.report_at(
        manifest.path.as_posix(),
        entry.location,
        snippet=manifest.text.line_text(entry.location.line).strip(),
        problem=problem,
        fix=fix,
    )


def _check_manifest(manifest: PackageJson, ctx: ProjectContext) -> None:
    manager = manifest.package_manager
    if manager is not None and not manager.value.startswith("pnpm@"):
        _report_entry(
            manifest,
            manager,
            ctx,
            f"`packageManager` is `{manager.value}`",
            'set it to "pnpm@<version>"',
        )
    for script in manifest.scripts:
        tool = foreign_tool(script.value)
        if tool is not None:
            _report_entry(manifest, script, ctx, f"script `{script.key}` runs `{tool}`", FIX)


def check_project(project: Project, ctx: ProjectContext) -> None:
    for directory in project.package_dirs:
        for lockfile in project.lockfiles(directory):
            if lockfile.name in FOREIGN_LOCKFILES:
                _report_lockfile(project, lockfile, ctx)
        manifest = project.package_json(directory)
        if manifest is not None:
            _check_manifest(manifest, ctx)
