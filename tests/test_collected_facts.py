"""Project rules with a per-file half (structure-doc's and prisma-generated-types'
`collect`): the facts come from the file analysis (workers, cache), the project check
never parses those files again, and the findings are the same whichever way the facts
arrive."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import tree_sitter as ts
from conftest import FIXTURES
from hypothesis import given, settings
from hypothesis import strategies as st
from rule_harness import run_rule_on_tree

from nextaudit import engine
from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import word_starts
from nextaudit.analysis.nextjs import exports
from nextaudit.analysis.secrets import redact_secrets
from nextaudit.analysis.syntax import bind_tree, text, unwrap
from nextaudit.cache import FORMAT, Cache
from nextaudit.checks import prisma_generated_types, structure_doc
from nextaudit.config import load_config
from nextaudit.discovery import discover
from nextaudit.findings import Finding
from nextaudit.project import NOT_COLLECTED, Project, is_project_input
from nextaudit.registry import default_registry
from nextaudit.results import RunResult
from nextaudit.runner import RunOptions, run
from nextaudit.source import SourceFile

TREES = [
    FIXTURES / "structure-doc",
    FIXTURES / "structure-doc--custom",
    FIXTURES / "structure-doc--export-shapes",
]
# (rule, fixture tree) of every project rule with a collector.
COLLECTING = [
    *(("structure-doc", tree) for tree in TREES),
    ("prisma-generated-types", FIXTURES / "prisma-generated-types"),
    ("prisma-generated-types", FIXTURES / "prisma-generated-types--monorepo"),
]
Found = list[tuple[str, int, int, str, str]]


def _structure_findings(result: RunResult, root: Path) -> Found:
    return _findings_of("structure-doc", result, root)


def _findings_of(rule_id: str, result: RunResult, root: Path) -> Found:
    return [_row(f, root) for f in result.findings if f.rule_id == rule_id]


def _row(f: Finding, root: Path) -> tuple[str, int, int, str, str]:
    where = Path(f.path).relative_to(root).as_posix()
    return (where, f.location.line, f.location.column, f.message, f.snippet)


def _run(root: Path, *, jobs: int = 1, cache: Path | None = None) -> RunResult:
    config_file = root / ".nextaudit.yml"
    config = load_config(config_file if config_file.is_file() else None, default_registry(), root)
    return run(config, [root], RunOptions(jobs=jobs, cwd=root, repo_root=root, cache_dir=cache))


def _expected(root: Path, rule_id: str = "structure-doc") -> Found:
    """The rule run alone on a Project without collected facts: it parses every file."""
    return [_row(f, root) for f in run_rule_on_tree(rule_id, root)]


def _refuse_parsing(monkeypatch: pytest.MonkeyPatch, allowed: frozenset[str] = frozenset()) -> None:
    """Parsing a file outside `allowed` (absolute POSIX paths) fails the test."""
    parse = Project.parse

    def refuse(self: Project, path: Path, raw: bytes | None = None) -> SourceFile | None:
        if path.as_posix() not in allowed:
            raise AssertionError(f"project rule parsed {path}")
        return parse(self, path, raw)

    monkeypatch.setattr(Project, "parse", refuse)


# What a project check may still parse with collected facts: structure-doc nothing,
# prisma-generated-types the files that declare a type named like a model (by the
# query it used before, over the whole tree).
def _may_parse(rule_id: str, root: Path) -> frozenset[str]:
    if rule_id == "structure-doc":
        return frozenset()
    discovered = discover([root], root, also=is_project_input)
    project = Project.build(root, discovered.files, discovered=discovered)
    assert project.prisma_models, "the fixture has a schema"
    allowed = set()
    for path in discovered.files:
        source = SourceFile.from_bytes(path.as_posix(), path.name, path.read_bytes())
        for match in source.matches(prisma_generated_types._DECLARATIONS):
            if text(match["name"][0]) in project.prisma_models:
                allowed.add(path.as_posix())
    return frozenset(allowed)


def _case_id(case: tuple[str, Path]) -> str:
    return case[1].name


@pytest.mark.parametrize("case", COLLECTING, ids=_case_id)
def test_facts_from_the_file_analysis_give_the_same_findings(
    case: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    rule_id, root = case
    expected = _expected(root, rule_id)  # without collected facts: it parses every file
    assert expected, "the fixture has findings"
    _refuse_parsing(monkeypatch, _may_parse(rule_id, root))
    assert _findings_of(rule_id, _run(root), root) == expected


@pytest.mark.parametrize("case", COLLECTING, ids=_case_id)
def test_the_same_findings_with_workers_and_from_the_cache(
    case: tuple[str, Path], tmp_path: Path
) -> None:
    rule_id, root = case
    tree = tmp_path / "tree"
    shutil.copytree(root, tree)
    (tree / "lib").mkdir(exist_ok=True)
    for n in range(40):  # enough files for worker processes (runner.PARALLEL_THRESHOLD)
        (tree / "lib" / f"pad{n}.ts").write_text(f"export const v{n} = {n};\n", "utf-8")
    expected = _expected(tree, rule_id)
    cache = tmp_path / "cache"
    assert _findings_of(rule_id, _run(tree, jobs=2), tree) == expected
    assert _findings_of(rule_id, _run(tree, cache=cache), tree) == expected  # cold
    assert _findings_of(rule_id, _run(tree, cache=cache), tree) == expected  # warm


def test_cache_entries_carry_the_facts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES / "structure-doc", tree)
    cache = tmp_path / "cache"
    _run(tree, cache=cache)
    stored = Cache(cache).entries()
    hits = [Cache(cache).get(path, str(entry[2])) for path, entry in stored.items()]
    collected = [hit[0][3]["structure-doc"] for hit in hits if hit is not None and hit[0][3]]
    names = sorted(str(f[1]) for found in collected for f in found or [])  # type: ignore[attr-defined]
    assert {"charge", "formatDateTime", "makeReceipt", "requireUser"} <= set(names)
    # A warm run whose project-rule entries are gone runs the rule on cached facts.
    shutil.rmtree(cache / f"v{FORMAT}" / "project")
    _refuse_parsing(monkeypatch)
    expected = [
        ("lib/auth/session.ts", 10, 14),
        ("lib/auth/session.ts", 31, 10),
        ("lib/dates.ts", 7, 17),
        ("lib/dates.ts", 16, 14),
        ("lib/dates.ts", 25, 24),
        ("lib/dates.ts", 30, 14),
        ("lib/overloads.ts", 6, 17),
        ("src/lib/payments.js", 7, 17),
        ("src/lib/payments.js", 15, 14),
        ("src/lib/payments.js", 22, 7),
    ]
    assert [f[:3] for f in _structure_findings(_run(tree, cache=cache), tree)] == expected


def test_a_subdirectory_run_matches_globs_against_the_scanned_root(tmp_path: Path) -> None:
    """Config at the top, `nextaudit web`: `files` globs are relative to `web`, as the
    project check sees them, not to the config file."""
    web = tmp_path / "web"
    (web / "lib").mkdir(parents=True)
    (web / "readme").mkdir()
    (web / "lib" / "a.ts").write_text("export function loose() {}\n", encoding="utf-8")
    (web / "readme" / "structure.md").write_text("nothing\n", encoding="utf-8")
    (tmp_path / ".nextaudit.yml").write_text(
        "rules:\n  structure-doc:\n    options:\n      files: ['/lib/**']\n", encoding="utf-8"
    )
    config = load_config(tmp_path / ".nextaudit.yml", default_registry(), tmp_path)
    result = run(config, [web], RunOptions(cwd=tmp_path, repo_root=tmp_path))
    assert [(Path(f.path).name, f.location.line) for f in result.findings] == [("a.ts", 1)]


def test_a_crashing_collector_falls_back_to_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(FIXTURES / "structure-doc", tree)
    expected = _expected(tree)

    def broken(source: object, ctx: object) -> object:
        raise RuntimeError("boom")

    real = engine.Registry.fact_collector
    monkeypatch.setattr(
        engine.Registry,
        "fact_collector",
        lambda self, rule_id: broken if real(self, rule_id) else None,
    )
    result = _run(tree)
    assert _structure_findings(result, tree) == expected
    assert any(n.kind == "rule-crash" and "structure-doc" in n.message for n in result.notices)


def _reference_functions(source: SourceFile) -> list[tuple[list[str], ts.Node]]:
    """structure-doc's exported functions as `nextjs.exports` lists them (how the rule
    found them before it read the `export` keywords from the bytes): sorted names and
    the node of the function's own name."""
    found: dict[int, tuple[set[str], ts.Node]] = {}
    for export in exports(source):
        value = export.value
        if value is None:
            continue
        if export.name == "default" and unwrap(value).type == "identifier":
            node = structure_doc._local_function(source, unwrap(value))
        else:
            node = structure_doc._function_name_node(value)
        if node is None:
            continue
        names = found.setdefault(node.start_byte, (set(), node))[0]
        names.add(text(node))
        if export.name not in ("default", "*"):
            names.add(export.name)
    return [(sorted(names), node) for _start, (names, node) in sorted(found.items())]


def _check_exported_functions(source: SourceFile) -> None:
    """`exported_functions` and `_describe` give what the reference gives: the same
    names, the name's node, its `source.location` and line."""
    bind_tree(source.root)
    try:
        reference = _reference_functions(source)
        got = structure_doc.exported_functions(source)
        assert [(sorted(f.names), f.start, f.end, f.name) for f in got] == [
            (names, node.start_byte, node.end_byte, text(node)) for names, node in reference
        ], source.rel_path
        described = structure_doc._describe(source)
    finally:
        bind_tree(None)
    expected = []
    for names, node in reference:
        location = source.location(node)
        span = [location.line, location.column, location.end_line, location.end_column]
        line = redact_secrets(source.line_text(location.line).strip())
        expected.append([names, text(node), span, line])
    assert described == expected, source.rel_path


def test_exported_functions_are_those_nextjs_exports_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fixture and rule example file: the functions found from the `export`
    keywords in the bytes, with filters on and off, are those of `nextjs.exports`."""
    paths = sorted(FIXTURES.rglob("*.[jt]s")) + sorted(FIXTURES.rglob("*.[jt]sx"))
    assert len(paths) > 100
    for path in paths:
        rel = path.relative_to(FIXTURES).as_posix()
        for enabled in (True, False):
            monkeypatch.setattr(prefilter, "ENABLED", enabled)
            _check_exported_functions(
                SourceFile.from_bytes(path.as_posix(), rel, path.read_bytes())
            )


_EXPORT_PIECES = [
    "export ",
    "default ",
    "async ",
    "function f() {}\n",
    "function* g() {}\n",
    "function *g2<T>(x: T) {}\n",
    "function o(): void;\n",
    "async function a() {}\n",
    "async\nfunction b() {}\n",
    "function\tcafé() {}\n",
    "function d\\u0065() {}\n",
    "/* é ü */ ",
    "\u00a0",
    "\r\n",
    "// key sk_live_0123456789abcdefghijklmn\n",
    "class C {}\n",
    "interface I {}\n",
    "type T = 1;\n",
    "const h = () => 1, v = 2;\n",
    "const a = h;\n",
    "{ h, h as k, a as default }",
    "{ f } from './x';\n",
    "* from './x';\n",
    "= h;\n",
    "declare ",
    "module M {}\n",
    "namespace N {}\n",
    "import A = N;\n",
    "as namespace Z;\n",
    "/* export */ ",
    '"export function s() {}" ',
    "@dec ",
    "h;\n",
    "{\n",
    "}\n",
    ";\n",
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(_EXPORT_PIECES), max_size=14).map("".join))
def test_exported_functions_of_any_statements_are_those_nextjs_exports_lists(code: str) -> None:
    # Broken code too: what the bytes find is what the statements give.
    _check_exported_functions(SourceFile.from_bytes("/v/lib/a.ts", "lib/a.ts", code.encode()))


# Interfaces and type aliases, and text that only looks like them: names after
# comments, odd whitespace, non-ASCII and escaped names, keywords as names, lookalikes
# in comments, strings, templates and JSX, and broken code.
_TYPE_ODDITIES = [
    "interface A {} export interface B<T> extends A { b: T } declare interface C {}"
    " type D = { d: 1 }; export type E<T> = T | { e: T }; declare module 'm' { interface F {} }"
    " namespace N { export type G = {} } function f() { type H = 1; interface I {} }\n",
    "import type { J } from 'j'; import type K from 'k'; export type { L } from 'l';"
    " const type = 1; type = 2; let x: type; typeof x; x.type;"
    ' ({ type: 1, interface: 2 }); <input type="text" />; f(type, interface_);\n',
    "let y: type\ntype M = 1; let z: interface\ninterface N2 {}\n",
    "type /* c */ O = 1; interface // c\n P {} type Q /* c */ = 1; interface R/**/{}"
    " type\u00a0S = 1; interface\u2028T {} type\vU = 1; interface\fV {} type\tW\n=\r1;\n",
    "type Café = 1; interface Ünï {} type \\u0041b = 1; interface A\\u0062 {} type $x = 1;"
    " interface _y {} type z$1<T> = T; type string = 1; interface any {} type of = 1;\n",
    "// type Lookalike = 1\n/* interface InComment {} */ const s = 'type InString = 1';"
    " const t = `interface InTemplate { }`; const j = <p>type InJsx = 1</p>;"
    " /** @example interface InDoc<T> extends X {} */\n",
    "1e5type T1 = {}; 0xffinterface I1 {} 0b1interface I2 {} x1type T2 = 1; type T3 {"
    " interface I3 extends { } type T4 = type T5 = 1; interface\n",
    "type satisfies = 1; type as = 1; type in = 1; interface I4 { a: 1 } type",
    # Broken in this grammar: found through the tree, as the query finds them.
    "export type * from 'm'; type I5 = 1;",
]


def _type_sources() -> list[tuple[str, bytes]]:
    paths = sorted(FIXTURES.rglob("*.ts")) + sorted(FIXTURES.rglob("*.tsx"))
    fixtures = [(p.relative_to(FIXTURES).as_posix(), p.read_bytes()) for p in paths]
    odd = [(f"oddity-{i}.tsx", code.encode()) for i, code in enumerate(_TYPE_ODDITIES)]
    return fixtures + odd


def _names_by_query(source: SourceFile) -> set[str]:
    return {text(m["name"][0]) for m in source.matches(prisma_generated_types._DECLARATIONS)}


def _lookalikes(source: SourceFile) -> set[str]:
    """Names after a keyword the tree says starts no declaration, as the bytes read
    them (`type Name =`, `interface Name {`)."""
    found = set()
    content = source.content
    for word, kind in prisma_generated_types._KEYWORDS:
        for at in word_starts(content, word):
            match = prisma_generated_types._AFTER_KEYWORD.match(content, at + len(word))
            assert match is not None
            node = source.root.named_descendant_for_byte_range(at, at + len(word))
            if match.group(1) is not None and (node is None or node.type != kind):
                found.add(match.group(1).decode())
    return found


def _check_declared_names(source: SourceFile) -> None:
    """All the names the query finds, and besides them only names read after keywords
    that start no declaration (in a tree without errors: with errors, exactly the
    query's)."""
    got = prisma_generated_types._declared_names(source)
    assert got == sorted(set(got))
    expected = _names_by_query(source)
    assert expected <= set(got), source.rel_path
    extra = set(got) - expected
    assert not (extra and source.root.has_error), source.rel_path
    assert extra <= _lookalikes(source), source.rel_path


def test_declared_names_are_the_querys_and_lookalikes() -> None:
    sources = _type_sources()
    assert len(sources) > 50
    for rel, raw in sources:
        _check_declared_names(SourceFile.from_bytes("/v/" + rel, rel, raw))
    # The oddities hold what the bytes alone cannot tell: lookalikes listed, unusual
    # spellings found through the tree.
    odd = {
        i: prisma_generated_types._declared_names(
            SourceFile.from_bytes("/v/o.tsx", "o.tsx", code.encode())
        )
        for i, code in enumerate(_TYPE_ODDITIES)
    }
    assert {"M", "N2"} <= set(odd[2])
    assert {"O", "P", "Q", "R", "S", "T", "U", "V", "W"} <= set(odd[3])
    assert {"Café", "Ünï", "\\u0041b", "A\\u0062", "$x", "_y", "z$1", "string", "any", "of"} <= set(
        odd[4]
    )
    assert {"Lookalike", "InComment", "InString", "InTemplate", "InDoc"} <= set(odd[5])
    assert odd[1] == []


def test_declared_names_without_filters_are_the_querys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prefilter, "ENABLED", False)
    for rel, raw in _type_sources():
        source = SourceFile.from_bytes("/v/" + rel, rel, raw)
        assert prisma_generated_types._declared_names(source) == sorted(_names_by_query(source))


@st.composite
def _mutated_types(draw: st.DrawFn) -> bytes:
    """A fixture or an oddity with a few bytes cut out, or lines copied elsewhere."""
    data: bytes = draw(st.sampled_from([raw for _rel, raw in _type_sources()]))
    if draw(st.booleans()):
        cut = draw(st.integers(0, max(0, len(data) - 1)))
        return data[:cut] + data[cut + draw(st.integers(1, 3)) :]
    lines = data.splitlines(keepends=True) or [b""]
    first = draw(st.integers(0, len(lines) - 1))
    piece = b"".join(lines[first : first + draw(st.integers(1, 5))])
    target = draw(st.integers(0, len(lines)))
    return b"".join(lines[:target]) + piece + b"".join(lines[target:])


@settings(max_examples=150, deadline=None)
@given(data=_mutated_types(), rel=st.sampled_from(["x.ts", "x.tsx"]))
def test_declared_names_of_mutated_files(data: bytes, rel: str) -> None:
    _check_declared_names(SourceFile.from_bytes("/v/" + rel, rel, data))


def test_described_positions_count_code_points() -> None:
    """Columns after non-ASCII text on the name's line, lines after CRLF, a line with
    a key on it: as `source.location` and `line_text` give them."""
    code = (
        "/* é ü */ export function f() {}\r\n"
        "export const ü = 1; export async function g<T>(x: T) {} export function* h() {}\n"
        "export function o(): void;\nexport function o(x?: 1) {}\n"
        "export function ké() {} export function k\\u0065() {}\n"
        'export function withKey() { return "sk_live_0123456789abcdefghijklmn"; }\n'
    )
    source = SourceFile.from_bytes("/v/lib/a.ts", "lib/a.ts", code.encode())
    _check_exported_functions(source)
    spans = [span for _names, _name, span, _line in structure_doc._describe(source)]
    assert spans[:2] == [[1, 27, 1, 28], [2, 43, 2, 44]]
    assert len(spans) == 7


def test_collected_facts_are_found_by_name_or_by_path(tmp_path: Path) -> None:
    """Project rules look facts up by the names the run keeps (strings), or by Path."""
    source = tmp_path / "lib" / "a.ts"
    project = Project.build(tmp_path, [str(source)])
    project.facts = {source.as_posix(): {"structure-doc": [], "prisma-generated-types": ["A"]}}
    (name,) = project.source_names()
    assert project.collected("prisma-generated-types", name) == ["A"]
    assert project.collected("prisma-generated-types", source) == ["A"]
    assert project.collected("structure-doc", name) == []
    assert project.collected("pnpm-only", name) is NOT_COLLECTED
    assert project.collected("structure-doc", str(tmp_path / "b.ts")) is NOT_COLLECTED


def test_a_collect_context_builds_each_glob_option_once() -> None:
    from types import MappingProxyType

    from nextaudit.analysis.paths import glob_matcher
    from nextaudit.context import CollectContext
    from nextaudit.findings import Severity

    rule = default_registry()["structure-doc"]
    options = MappingProxyType({"files": ["lib/**", "!lib/internal/**"]})
    ctx = CollectContext(rule, Severity.WARNING, options, ("/repo",))
    matcher = ctx.glob_option("files")
    assert ctx.glob_option("files") is matcher
    expected = glob_matcher(["lib/**", "!lib/internal/**"])
    for path in ("lib/a.ts", "lib/internal/b.ts", "app/c.ts", "lib/x/y.ts"):
        assert matcher(path) is expected(path), path
    assert [matcher(p) for p in ("lib/a.ts", "lib/internal/b.ts", "app/c.ts")] == [
        True,
        False,
        False,
    ]
