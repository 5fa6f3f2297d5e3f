"""Next.js roles from a project-relative path: explicit cases, and the string version
agrees with the PurePosixPath reading it replaced on every combination of parts."""

from __future__ import annotations

import itertools
from pathlib import PurePosixPath

import pytest

from nextaudit.nextjs_roles import PAGE_NAMES, ROUTE_EXTENSIONS, Role, role_of


@pytest.mark.parametrize(
    ("rel", "role"),
    [
        ("app/api/users/route.ts", Role.ROUTE),
        ("src/app/api/[id]/route.js", Role.ROUTE),
        ("app/route.mts", Role.ROUTE),
        ("app/api/route.cts", Role.OTHER),
        ("api/route.ts", Role.OTHER),
        ("apps/web/route.ts", Role.OTHER),
        ("app/dashboard/page.tsx", Role.PAGE),
        ("app/opengraph-image.tsx", Role.PAGE),
        ("app/layout.jsx", Role.LAYOUT),
        ("middleware.ts", Role.MIDDLEWARE),
        ("src/middleware.js", Role.MIDDLEWARE),
        ("app/middleware.ts", Role.OTHER),
        ("app/route.d.ts", Role.OTHER),
        ("app/.ts", Role.OTHER),
        ("app/route", Role.OTHER),
        ("app/x..ts", Role.OTHER),
    ],
)
def test_roles(rel: str, role: Role) -> None:
    assert role_of(rel) is role


def _reference(rel_path: str) -> Role:
    path = PurePosixPath(rel_path)
    if path.suffix not in ROUTE_EXTENSIONS:
        return Role.OTHER
    in_app = "app" in path.parts[:-1]
    if path.stem == "middleware" and not in_app:
        return Role.MIDDLEWARE
    if not in_app:
        return Role.OTHER
    if path.stem == "route":
        return Role.ROUTE
    if path.stem == "layout":
        return Role.LAYOUT
    return Role.PAGE if path.stem in PAGE_NAMES else Role.OTHER


PARTS = ["app", "src", "[id]", "(group)", "x.app", "app.ts", "route.ts", "page.tsx",
         "layout.js", "middleware.ts", "route.d.ts", "icon.mts", "a.b.ts", ".ts", "route.",
         "route.ts.bak", "default.jsx", "ROUTE.ts", "app..ts"]  # fmt: skip


def test_agrees_with_the_path_reading_on_every_combination() -> None:
    checked = 0
    for depth in range(1, 5):
        for parts in itertools.product(PARTS, repeat=depth):
            rel = "/".join(parts)
            assert role_of(rel) is _reference(rel), rel
            checked += 1
    assert checked > 100_000


def test_grammar_by_suffix_agrees_with_the_path_reading() -> None:
    from nextaudit.source import TSX_EXTENSIONS, grammar_for

    for parts in itertools.product(["a", "x.TSX", "b.tsx", ".tsx", "c.js", "d.ts", "e.", "f.MJS", "g.d.ts", "h.tsx.ts"], repeat=2):  # fmt: skip
        path = "/repo/" + "/".join(parts)
        suffix = PurePosixPath(path).suffix.lower()
        assert grammar_for(path) == ("tsx" if suffix in TSX_EXTENSIONS else "typescript"), path
