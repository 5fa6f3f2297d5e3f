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
    except SystemExit as done:
        if (isinstance(done.code, int) or done.code is None) and _nothing_to_tear_down():
            _leave_now(done.code or 0)
        raise
    except BrokenPipeError:
        _reader_went_away()
    except KeyboardInterrupt:
        sys.stderr.write("nextaudit: interrupted\n")
        sys.exit(130)


def _reader_went_away() -> None:
    # `nextaudit . | head`: the reader went away; end quietly, like grep does.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(1)


def _nothing_to_tear_down() -> bool:
    """True when the run used no worker processes. Their queues' semaphores are
    released by finalizers, and where a resource tracker watches them (the
    forkserver and spawn start methods) skipping those would make it warn about
    leaked semaphores."""
    return "concurrent.futures.process" not in sys.modules


def _leave_now(code: int) -> None:
    """Exit without tearing the interpreter down, once the output is out.

    Freeing every object of a run one by one (the rules' modules, compiled queries,
    the findings) costs about 50 M instructions, some 10 ms: 6% of a run on one file
    (an editor's or a pre-commit hook's), and nothing is left to do then: reports
    and the cache are written and closed before the CLI returns. mypy ends the same
    way.
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        _reader_went_away()
    os._exit(code)


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
