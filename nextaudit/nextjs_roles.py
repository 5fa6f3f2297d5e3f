"""Next.js App Router file roles, decided from a project-relative path alone."""

from __future__ import annotations

import enum
from pathlib import PurePosixPath

ROUTE_EXTENSIONS = frozenset({".ts", ".tsx", ".js", ".jsx", ".mts"})
PAGE_NAMES = frozenset(
    {"page", "default", "template", "opengraph-image", "twitter-image", "icon", "apple-icon"}
)


class Role(enum.Enum):
    ROUTE = "route"
    PAGE = "page"
    LAYOUT = "layout"
    MIDDLEWARE = "middleware"
    OTHER = "other"


def role_of(rel_path: str) -> Role:
    """Route file: `route.<ext>` below a directory named `app`; page-like files:
    page/layout/default/template/opengraph-image/twitter-image/icon/apple-icon there."""
    path = PurePosixPath(rel_path)
    if path.suffix not in ROUTE_EXTENSIONS:
        return Role.OTHER
    stem = path.stem
    if stem == "middleware" and "app" not in path.parts[:-1]:
        return Role.MIDDLEWARE
    if "app" not in path.parts[:-1]:
        return Role.OTHER
    if stem == "route":
        return Role.ROUTE
    if stem == "layout":
        return Role.LAYOUT
    if stem in PAGE_NAMES:
        return Role.PAGE
    return Role.OTHER
