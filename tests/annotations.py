"""Semgrep-style fixture annotations: `// ruleid: <id>` / `// ok: <id>` on the line
before the code they describe (`{/* ruleid: <id> */}` in JSX, `# ruleid:` in YAML-ish
files). Stacked annotation lines all refer to the next line that is not one."""

from __future__ import annotations

import re
from pathlib import Path

ANNOTATION = re.compile(r"(?://|/\*|#|<!--)\s*(ruleid|ok|todoruleid):\s*([\w-]+(?:\s*,\s*[\w-]+)*)")


def annotations(path: Path) -> tuple[set[tuple[int, str]], set[tuple[int, str]]]:
    """(expected (line, rule) findings, (line, rule) pairs that must stay clean)."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    expected: set[tuple[int, str]] = set()
    clean: set[tuple[int, str]] = set()
    pending: list[tuple[str, str]] = []
    for number, line in enumerate(lines, start=1):
        match = ANNOTATION.search(line)
        if match and line.strip().startswith(("//", "/*", "{/*", "#", "<!--")):
            for rule_id in re.split(r"\s*,\s*", match.group(2)):
                pending.append((match.group(1), rule_id))
            continue
        for kind, rule_id in pending:
            (expected if kind == "ruleid" else clean).add((number, rule_id))
        pending = []
    return expected, clean
