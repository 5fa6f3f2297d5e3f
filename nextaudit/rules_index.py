"""The rule files' data, read from a JSON index beside them when it is current.

`rules/*.yml` stay the one place a rule is described. Importing PyYAML and parsing
the 22 files takes ~35 ms at every start (a tenth of a one-file run, and more than
the whole rest of a warm run's per-file work at 5,000 files), where `json` reads the
same data in about a millisecond. So `rules/index.json` holds each file's data with
the SHA-256 of its bytes: a file whose digest matches is taken from the index, any
other (edited since, new, or its entry missing) is parsed from its YAML. The index
can be stale, never wrong; tests/test_rules_index.py fails when it is stale, and

    python -m nextaudit.rules_index

writes it again.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

INDEX_NAME = "index.json"
FORMAT = 1


def rule_file_data(paths: Sequence[Path]) -> list[tuple[Path, object]]:
    """(path, the data its YAML holds) for each rule file, in order; the index
    answers for every file it has a current entry for. Raises OSError when a file
    cannot be read, UnicodeDecodeError when it is not UTF-8 and yaml.YAMLError when
    its YAML is invalid, as parsing it directly would."""
    indexes: dict[Path, Mapping[str, object]] = {}
    out: list[tuple[Path, object]] = []
    for path in paths:
        raw = path.read_bytes()
        directory = path.parent
        if directory not in indexes:
            indexes[directory] = _read_index(directory / INDEX_NAME)
        entry = indexes[directory].get(path.name)
        if isinstance(entry, dict) and entry.get("sha256") == _digest(raw) and "data" in entry:
            out.append((path, entry["data"]))
        else:
            out.append((path, parse_yaml(raw)))
    return out


def parse_yaml(raw: bytes) -> object:
    """A rule file's data, as `yaml.safe_load` reads its text (libyaml's loader when
    PyYAML was built with it: the pure-Python one is several times slower)."""
    import yaml  # only for files the index does not answer

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    # Universal newlines, as Path.read_text gives the text.
    text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    return yaml.load(text, Loader=loader)


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _read_index(path: Path) -> Mapping[str, object]:
    """The index's entries by file name; {} when it is missing, unreadable or not an
    index of this format (every file is then parsed from its YAML)."""
    try:
        index = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(index, dict) or index.get("format") != FORMAT:
        return {}
    files = index.get("files")
    return files if isinstance(files, dict) else {}


def build_index(directory: Path) -> dict[str, Any]:
    """The index of every `*.yml` in `directory`. A file whose data JSON would not
    give back as it is (a date, a non-string key) gets no entry: it is read from its
    YAML at every start, as before."""
    files: dict[str, object] = {}
    for path in sorted(directory.glob("*.yml")):
        raw = path.read_bytes()
        data = parse_yaml(raw)
        try:
            kept = json.loads(json.dumps(data)) == data
        except (TypeError, ValueError):
            kept = False
        if kept:
            files[path.name] = {"sha256": _digest(raw), "data": data}
    return {"format": FORMAT, "files": files}


def index_text(directory: Path) -> str:
    # One key per line, so a changed rule shows as a small diff; keys in the YAML's
    # order (not sorted): the order of a rule's options is the order its docs list them.
    return json.dumps(build_index(directory), indent=1, ensure_ascii=False) + "\n"


def write_index(directory: Path) -> Path:
    path = directory / INDEX_NAME
    path.write_text(index_text(directory), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m nextaudit.rules_index [DIRECTORY]`: write the index of the bundled
    rules (or of DIRECTORY)."""
    from nextaudit.registry import rules_dir

    args = list(sys.argv[1:] if argv is None else argv)
    directory = Path(args[0]) if args else rules_dir()
    written = write_index(directory)
    sys.stdout.write(f"wrote {written}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
