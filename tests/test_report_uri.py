"""Paths as SARIF URIs: percent-encoding cases and RFC 3986 validity."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nextaudit.report.uri import artifact_uri, encode_path, file_uri, relative_uri


def conforms_to_uri_reference(text: str) -> bool:
    import jsonschema

    checker = jsonschema.FormatChecker()
    assert "uri-reference" in checker.checkers, "install jsonschema[format]"
    return bool(checker.conforms(text, "uri-reference"))


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("app/api/route.ts", "app/api/route.ts"),
        ("lib/my utils/a.ts", "lib/my%20utils/a.ts"),
        ("lib/#1.ts", "lib/%231.ts"),
        ("lib/100%.ts", "lib/100%25.ts"),
        ("lib/%20.ts", "lib/%2520.ts"),  # an existing escape is data, not an escape
        ("lib/naïve.ts", "lib/na%C3%AFve.ts"),
        ("lib/🚀.ts", "lib/%F0%9F%9A%80.ts"),
        ("app/users/[id]/route.ts", "app/users/%5Bid%5D/route.ts"),
        ("app/[[...slug]]/page.tsx", "app/%5B%5B...slug%5D%5D/page.tsx"),
        ("app/(marketing)/page.tsx", "app/(marketing)/page.tsx"),
        ("app/@modal/(.)photo/page.tsx", "app/@modal/(.)photo/page.tsx"),
        ("app/_private/a~b-c_d.ts", "app/_private/a~b-c_d.ts"),
        ("c:/weird.ts", "c%3A/weird.ts"),  # would otherwise read as a scheme
        ("a?b.ts", "a%3Fb.ts"),
        ("a+b.ts", "a%2Bb.ts"),
        ("a\\b.ts", "a%5Cb.ts"),
        ("back`tick{x}.ts", "back%60tick%7Bx%7D.ts"),
    ],
)
def test_encode_path(path: str, uri: str) -> None:
    assert encode_path(path) == uri
    assert unquote(uri) == path
    assert conforms_to_uri_reference(uri)


@given(st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s))
def test_any_path_round_trips_and_is_a_valid_uri_reference(path: str) -> None:
    # Lone surrogates are not text a file system hands back; skip them.
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return
    uri = encode_path(path)
    assert unquote(uri) == path
    assert conforms_to_uri_reference(uri)


def test_relative_uri_below_and_outside_the_base() -> None:
    base = Path("/repo")
    assert relative_uri("/repo/app/a b.ts", base) == "app/a%20b.ts"
    assert relative_uri("/elsewhere/a.ts", base) is None


def test_artifact_uri_falls_back_to_an_absolute_file_uri() -> None:
    assert artifact_uri("/repo/lib/x.ts", Path("/repo")) == ("lib/x.ts", True)
    assert artifact_uri("/other/x y.ts", Path("/repo")) == ("file:///other/x%20y.ts", False)


def test_file_uri_of_a_directory_ends_with_a_slash() -> None:
    assert file_uri("/work/my repo", directory=True) == "file:///work/my%20repo/"
    assert file_uri("/work/repo/", directory=True) == "file:///work/repo/"
    assert file_uri("/work/a.ts") == "file:///work/a.ts"


def test_file_uri_keeps_a_windows_drive_colon() -> None:
    assert file_uri("C:/Users/dev/repo", directory=True) == "file:///C:/Users/dev/repo/"


def test_file_uri_matches_pathlib_for_ordinary_paths(tmp_path: Path) -> None:
    assert file_uri(tmp_path) == tmp_path.as_uri()
