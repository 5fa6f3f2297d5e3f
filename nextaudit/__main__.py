"""Entry point for `nextaudit` and `python -m nextaudit`."""

from __future__ import annotations

import os
import sys


def main() -> None:
    # `--version` is answered before Typer and Rich are imported: start-up time is
    # what users feel first, and CI calls it to log the tool version.
    if sys.argv[1:] == ["--version"]:
        from nextaudit import __version__

        sys.stdout.write(f"nextaudit {__version__}\n")
        return
    from nextaudit.cli import app

    try:
        app(prog_name="nextaudit")
    except BrokenPipeError:
        # `nextaudit . | head`: the reader went away; end quietly, like grep does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("nextaudit: interrupted\n")
        sys.exit(130)


def forget_the_current_directory() -> None:
    """`python -m nextaudit` puts the current directory first on sys.path, and nextaudit
    usually runs inside the repository it analyses: a `typer.py` or `yaml.py` there
    would be imported, and so run, in place of the real package. Under `-m` only this
    package was found through that entry (it is imported already), so it can go."""
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]


if __name__ == "__main__":
    forget_the_current_directory()
    main()
