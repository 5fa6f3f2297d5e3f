"""Project: facts about the scanned tree that project-level rules read.

Built once per run from the scanned roots: the `package.json` directories and their
lockfiles, Prisma schema files, and documents such as `readme/structure.md`. Rules
read these through the Project, never by walking the disk themselves.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nextaudit.discovery import ALWAYS_SKIPPED

LOCKFILES = (
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "bun.lock",
    "bun.lockb",
    "pnpm-lock.yaml",
)


@dataclass
class TextFile:
    path: Path
    text: str

    @functools.cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()


@dataclass
class Project:
    """`root` is the scanned directory; `source_files` the analysed sources below it."""

    root: Path
    source_files: Sequence[Path]
    package_dirs: list[Path] = field(default_factory=list)
    prisma_schemas: list[Path] = field(default_factory=list)

    @classmethod
    def build(cls, root: Path, source_files: Sequence[Path]) -> Project:
        project = cls(root, source_files)
        for directory, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in ALWAYS_SKIPPED)
            here = Path(directory)
            if "package.json" in filenames:
                project.package_dirs.append(here)
            for name in sorted(filenames):
                if name.endswith(".prisma"):
                    project.prisma_schemas.append(here / name)
        project.package_dirs.sort()
        project.prisma_schemas.sort()
        return project

    def read(self, path: Path) -> TextFile | None:
        """A text file of the project, or None when it cannot be read."""
        try:
            return TextFile(path, path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return None

    def inputs(self) -> list[Path]:
        """Every non-source file project rules may read (for cache invalidation)."""
        found: list[Path] = []
        for directory in self.package_dirs:
            found.append(directory / "package.json")
            found.extend(directory / name for name in LOCKFILES if (directory / name).exists())
        found.extend(self.prisma_schemas)
        return sorted(found)
