"""File paths as URIs for SARIF: relative references below the repository root, and
`file:` URIs for the root itself.

SARIF consumers (GitHub code scanning, the SARIF multitool, VS Code's viewer) parse
`artifactLocation.uri` as an RFC 3986 URI reference, so a path is percent-encoded byte
by byte in UTF-8. What stays literal: the unreserved characters, `/`, and the
sub-delimiters Next.js paths are full of (`(group)` folders, `@slot` folders). What is
encoded: everything else, notably space, `#` (would start a fragment), `?` (a query),
`%` (an escape), `[` `]` (dynamic segments; RFC 3986 allows them only in IP literals),
`:` (would make the first segment look like a scheme), `+` (form decoders read it as
a space) and every non-ASCII character.
"""

from __future__ import annotations

import string
from pathlib import Path

_LITERAL = frozenset((string.ascii_letters + string.digits + "-._~" + "/" + "!$&'()*,;=@").encode())


def encode_path(posix_path: str) -> str:
    """Percent-encode a POSIX path (relative or absolute) for use in a URI."""
    out: list[str] = []
    for byte in posix_path.encode("utf-8", errors="surrogateescape"):
        out.append(chr(byte) if byte in _LITERAL else f"%{byte:02X}")
    return "".join(out)


def relative_uri(path: str | Path, base: Path) -> str | None:
    """The URI reference of `path` relative to `base`, or None when it is not below it."""
    try:
        relative = Path(path).relative_to(base)
    except ValueError:
        return None
    return encode_path(relative.as_posix())


def file_uri(path: str | Path, directory: bool = False) -> str:
    """An absolute `file:` URI; with `directory` it ends in `/` as SARIF requires of
    base URIs. A Windows drive (`C:`) keeps its colon."""
    posix = Path(path).as_posix()
    drive = ""
    if len(posix) >= 2 and posix[1] == ":" and posix[0].isalpha():
        drive, posix = posix[:2], posix[2:]
    encoded = drive + encode_path(posix)
    if not encoded.startswith("/"):
        encoded = "/" + encoded
    if directory and not encoded.endswith("/"):
        encoded += "/"
    return "file://" + encoded


def artifact_uri(path: str, repo_root: Path) -> tuple[str, bool]:
    """(uri, relative): repository-relative when `path` is below `repo_root`, else an
    absolute `file:` URI (a file outside the repository has no `%SRCROOT%` form)."""
    relative = relative_uri(path, repo_root)
    if relative is not None and relative not in ("", "."):
        return relative, True
    return file_uri(path), False
