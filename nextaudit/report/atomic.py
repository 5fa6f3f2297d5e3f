"""Write a report so that readers only ever see the old file or the complete new one.

The text goes to a temporary file in the target's own directory (a rename is atomic
only within one file system), is flushed to disk, and then replaces the target with
`os.replace`. An interrupted run leaves the previous report untouched and removes its
temporary file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` as UTF-8 to `path` (line endings exactly as given), atomically.

    Missing parent directories are created. A symlink at `path` stays a symlink: its
    target is what gets replaced. A device, FIFO or socket at `path` (`-o /dev/null`,
    `-o /dev/stdout`, a named pipe) is written through instead: replacing it would
    destroy it (as root, `/dev/null` itself), and it has no old content to protect.
    """
    if _is_special_file(path):
        with open(path, "wb") as handle:
            handle.write(text.encode("utf-8"))
        return
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(target)
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise


def _is_special_file(path: str | os.PathLike[str]) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _mode_for(target: Path) -> int:
    """Keep an existing report's permissions; a new one gets what `open()` would give
    it (mkstemp's private 0600 would surprise whoever reads the report next)."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
