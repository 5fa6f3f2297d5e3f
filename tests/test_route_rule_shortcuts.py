"""Round-2 shortcuts of the route rules answer as the slow ways did.

- error-response-status: a call or `new` outside every span of `catch_spans` is one
  `_returned_from_catch` says False of (it need not climb), and the spans are those of
  the tree's catch clauses;
- `Guards.path_guards` remembers verdicts across files: the same as asking the
  patterns each time.

Run over every fixture file, the oddities of `test_name_search`, the oddities below
and fuzzed files.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_name_search import _mutated, _parse, _sources

from nextaudit.analysis.guards import Guards, NamePatterns
from nextaudit.analysis.syntax import descendants
from nextaudit.checks.error_response_status import _returned_from_catch, catch_spans
from nextaudit.checks.route_auth_required import names_auth
from nextaudit.source import SourceFile

ODDITIES = [
    "try { f() } catch { return g() } try {} catch (e) { try { return h() } catch { return i() } }",
    "function a() { try { x() } catch (catchy) { return () => { return y() } } }",
    "p.catch(() => { return z() }); const catchAll = 1; /* catch */ `catch ${w()}`",
    "try { a() } catch (e) { return b() } finally { return c() }",
    "try { a() } (e) { return b() }",
    "try { a() } catch (e { return b() }",
    "try { a() } catc { return b() }",
    "x\\u0063atch { return b() }",
    "class K { static { try {} catch { return d() } } m() { try {} catch { return e() } } }",
]


def _check_catch_spans(source: SourceFile) -> None:
    spans = catch_spans(source)
    nodes = [source.root, *descendants(source.root)]
    if spans is None:
        assert source.root.has_error
        return
    clauses = [(n.start_byte, n.end_byte) for n in nodes if n.type == "catch_clause"]
    assert spans == clauses
    for node in nodes:
        if node.type not in ("call_expression", "new_expression"):
            continue
        inside = any(low <= node.start_byte and node.end_byte <= high for low, high in spans)
        if not inside:
            assert not _returned_from_catch(node)


def test_catch_spans_on_fixtures_and_oddities() -> None:
    extra = [(f"catch-{i}.ts", code.encode("utf-8")) for i, code in enumerate(ODDITIES)]
    for _path, rel, raw in [*_sources(), *[(r, r, c) for r, c in extra]]:
        _check_catch_spans(_parse(rel, raw))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_mutated(), rel=st.sampled_from(["x.ts", "x.tsx", "x.js"]))
def test_catch_spans_on_mutated_files(data: bytes, rel: str) -> None:
    _check_catch_spans(_parse(rel, data))


_PIECES = ["try {", "} catch", " (e) ", "{", "}", "return f();", "x.catch(", ")", "/*", "*/", "\n"]


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.sampled_from(_PIECES), max_size=20))
def test_catch_spans_on_soup(pieces: list[str]) -> None:
    _check_catch_spans(_parse("soup.ts", "".join(pieces).encode("utf-8")))


_PATHS = st.lists(st.sampled_from(["auth", "getUser", "req", "json", None, "withAuth", "x"]))


@settings(max_examples=200, deadline=None)
@given(paths=st.lists(_PATHS.filter(bool).map(tuple), max_size=30))
def test_remembered_guard_verdicts_are_the_patterns_verdicts(
    paths: list[tuple[str | None, ...]],
) -> None:
    guards = Guards(
        NamePatterns.parse(["auth", "*.auth.getUser"]),
        NamePatterns.parse(["with*Auth*"]),
        name_hint=names_auth,
    )
    for path in [*paths, *paths]:
        assert guards.path_guards(path) == guards._path_guards(path)
