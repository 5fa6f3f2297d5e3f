"""Next.js App Router file roles, decided from a project-relative path alone."""

from __future__ import annotations

import enum

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
    # Plain string work: every file asks, and PurePosixPath cost ~65 us a file.
    folder, _slash, name = rel_path.rpartition("/")
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or "." + extension not in ROUTE_EXTENSIONS:
        return Role.OTHER
    in_app = "app" in folder.split("/")
    if stem == "middleware" and not in_app:
        return Role.MIDDLEWARE
    if not in_app:
        return Role.OTHER
    if stem == "route":
        return Role.ROUTE
    if stem == "layout":
        return Role.LAYOUT
    if stem in PAGE_NAMES:
        return Role.PAGE
    return Role.OTHER
