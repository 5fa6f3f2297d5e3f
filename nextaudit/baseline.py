"""Baseline adoption: accept today's findings so CI fails only on new ones.

A finding's identity is its rule, its repository-relative path, a hash of the
normalised text of the line it flags (all whitespace removed), and its occurrence
index among findings with the same three. Line numbers are not part of it, so adding
lines above a finding, reformatting other code or moving other functions around does
not change it. The text is stored hashed: a baseline never holds a secret.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from nextaudit.findings import Finding

BASELINE_VERSION = 1
_WHITESPACE = re.compile(r"\s+")


class BaselineError(Exception):
    pass


@dataclass(frozen=True, order=True)
class Identity:
    path: str
    rule: str
    code: str
    occurrence: int


def normalised_hash(line_text: str) -> str:
    return hashlib.sha256(_WHITESPACE.sub("", line_text).encode("utf-8")).hexdigest()[:16]


def identities(
    findings: Iterable[Finding],
    relative: Callable[[str], str],
    line_text: Callable[[str, int], str],
) -> list[tuple[Identity, Finding]]:
    """Identity of each finding (findings must be sorted, as the runner sorts them)."""
    counts: dict[tuple[str, str, str], int] = {}
    out: list[tuple[Identity, Finding]] = []
    for finding in findings:
        path = relative(finding.path)
        code = normalised_hash(line_text(finding.path, finding.location.line))
        key = (path, finding.rule_id, code)
        occurrence = counts.get(key, 0)
        counts[key] = occurrence + 1
        out.append((Identity(path, finding.rule_id, code, occurrence), finding))
    return out


def load(path: Path) -> set[Identity]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(
            f"baseline file not found: {path} (create it with --update-baseline)"
        ) from None
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}:{exc.lineno}: baseline is not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{path}: not a nextaudit baseline (version {BASELINE_VERSION})")
    entries = data.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(f"{path}: `findings` must be a list")
    out: set[Identity] = set()
    for index, entry in enumerate(entries):
        try:
            out.add(
                Identity(
                    str(entry["path"]),
                    str(entry["rule"]),
                    str(entry["code"]),
                    int(entry["occurrence"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            raise BaselineError(f"{path}: findings[{index}] is malformed") from None
    return out


def render(pairs: Iterable[tuple[Identity, Finding]]) -> str:
    """Sorted, one entry per finding, stable key order: diff-friendly for review."""
    entries = [
        {
            "path": identity.path,
            "rule": identity.rule,
            "code": identity.code,
            "occurrence": identity.occurrence,
            "message": finding.message,
        }
        for identity, finding in sorted(pairs, key=lambda p: p[0])
    ]
    document = {"version": BASELINE_VERSION, "tool": "nextaudit", "findings": entries}
    from nextaudit.report.indented_json import dumps_indented

    return dumps_indented(document) + "\n"


@dataclass
class BaselineOutcome:
    new: list[Finding]
    absorbed: int
    stale: int


def filter_new(pairs: list[tuple[Identity, Finding]], baseline: set[Identity]) -> BaselineOutcome:
    new = [finding for identity, finding in pairs if identity not in baseline]
    matched = {identity for identity, _ in pairs if identity in baseline}
    return BaselineOutcome(new, len(pairs) - len(new), len(baseline - matched))
