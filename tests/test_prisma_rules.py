"""The three Prisma performance rules: what fixtures cannot say (columns, messages,
the loop kinds named in them, generic calls the grammar misparses, deep nesting)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from rule_harness import run_rule_on_source, setting

from nextaudit.analysis import prefilter
from nextaudit.analysis.flow import LOOP_TYPES
from nextaudit.analysis.prisma import (
    DEFAULT_CLIENTS,
    OPERATIONS,
    lacks_prisma_calls,
    operation_words,
    prisma_calls,
    prisma_calls_in,
)
from nextaudit.checks.prisma_query_in_loop import _ITERATION_WORDS, _LOOP_KEYWORDS
from nextaudit.context import RuleContext
from nextaudit.findings import Finding
from nextaudit.registry import default_registry
from nextaudit.source import SourceFile

LOOP = "prisma-query-in-loop"
UNBOUNDED = "prisma-unbounded-findmany"
SINGLETON = "prisma-client-singleton"
IN_IDS = "`findMany({ where: { id: { in: ids } } })`"


def run(rule: str, code: str, path: str = "lib/data.ts") -> list[Finding]:
    found = run_rule_on_source(rule, code, path)
    assert all(f.rule_id == rule for f in found)
    return found


def span(finding: Finding) -> tuple[int, int, int, int]:
    loc = finding.location
    return (loc.line, loc.column, loc.end_line, loc.end_column)


# --- prisma-query-in-loop --------------------------------------------------------------
def test_loop_finding_is_on_the_callee_and_names_query_loop_and_fix() -> None:
    code = "for (const id of ids) {\n  await prisma.user.findUnique({ where: { id } });\n}\n"
    [finding] = run(LOOP, code)
    assert span(finding) == (2, 9, 2, 31)
    assert finding.snippet == "prisma.user.findUnique"
    assert finding.message == (
        "`prisma.user.findUnique` inside a `for...of` loop runs N queries (N+1): "
        f"load them in one query with {IN_IDS} or `include` the relation"
    )


def test_promise_all_of_map_says_n_parallel_queries() -> None:
    code = "await Promise.all(users.map((u) => db.post.count({ where: { authorId: u.id } })));\n"
    [finding] = run(LOOP, code)
    assert finding.message.startswith(
        "`db.post.count` inside `Promise.all(xs.map(...))` runs N parallel queries: "
    )
    assert "N+1" not in finding.message


@pytest.mark.parametrize(
    ("code", "where"),
    [
        ("for (let i = 0; i < n; i++) prisma.user.create({ data });", "inside a `for` loop"),
        ("for (const k in o) prisma.user.create({ data });", "inside a `for...in` loop"),
        ("for await (const r of s) prisma.user.create({ data });", "`for await...of` loop"),
        ("while (more) prisma.user.create({ data });", "inside a `while` loop"),
        ("do prisma.user.create({ data }); while (more);", "inside a `do...while` loop"),
        ("rows.forEach((r) => prisma.user.create({ data: r }));", "a `.forEach()` callback"),
    ],
)
def test_message_names_the_loop_and_suggests_create_many(code: str, where: str) -> None:
    [finding] = run(LOOP, code + "\n")
    assert where in finding.message
    assert finding.message.endswith(
        "insert them in one query with `createMany` (or `createManyAndReturn`)"
    )


def test_generic_raw_query_in_a_loop_is_found_despite_the_grammar() -> None:
    # tree-sitter-typescript misparses `x.$queryRaw<T>`...``; the call is still found.
    code = (
        "for (const id of ids) {\n  const rows = await prisma.$queryRaw<Row[]>`SELECT ${id}`;\n}\n"
    )
    [finding] = run(LOOP, code)
    assert span(finding) == (2, 22, 2, 38)
    assert finding.snippet == "prisma.$queryRaw"
    assert finding.message.startswith("`prisma.$queryRaw` inside a `for...of` loop")


def test_generic_model_call_is_located_on_its_member_expression() -> None:
    # `await x.findMany<T>(...)` parses as a call of `await x.findMany`.
    code = "while (more) {\n  await db.user.findMany<Args>({ take: 1 });\n}\n"
    [finding] = run(LOOP, code)
    assert finding.snippet == "db.user.findMany"
    assert span(finding)[:2] == (2, 9)


def test_batched_transaction_forms_are_not_flagged() -> None:
    code = (
        "await prisma.$transaction(ids.map((id) => prisma.user.delete({ where: { id } })));\n"
        "await tx.$transaction([...ids.map((id) => prisma.post.delete({ where: { id } }))]);\n"
        "const ops = [];\n"
        "for (const id of ids) ops.push(prisma.like.delete({ where: { id } }));\n"
        "await prisma.$transaction(ops);\n"
    )
    assert run(LOOP, code) == []


def test_loop_rule_survives_deep_nesting() -> None:
    depth = 3000
    code = "for (const x of xs) {" + "{" * depth + "prisma.user.create({});" + "}" * depth + "}\n"
    [finding] = run(LOOP, code)
    assert (finding.location.line, finding.location.column) == (
        1,
        len("for (const x of xs) {") + depth + 1,
    )


# --- prisma-unbounded-findmany ---------------------------------------------------------
def test_unbounded_finding_is_on_the_call_with_its_message() -> None:
    code = "const rows = await prisma.post.findMany({ where: { published: true } });\n"
    [finding] = run(UNBOUNDED, code)
    assert span(finding) == (1, 20, 1, 72)
    assert finding.message == (
        "`prisma.post.findMany` has no `take`: it loads every matching row; "
        "paginate it with `take` (and `cursor` or `skip`)"
    )


@pytest.mark.parametrize(
    ("code", "flagged"),
    [
        ("db.user.findMany();", True),
        ("db.user.findMany({});", True),
        ("db.user.findMany({ take: 10 });", False),
        ("db.user.findMany({ take });", False),
        ("db.user.findMany({ 'take': 10 });", False),
        ("db.user.findMany(args);", False),
        ("db.user.findMany({ ...args });", False),
        ("db.user.findMany({ [key]: 10 });", False),
        ("db.user.findMany({ take: undefined });", True),
        ("db.user.findMany({ take: undefined, ...page });", False),
        ("db.user.findMany({ ...page, take: undefined });", True),
        ("db.user.findMany({ include: { posts: { take: 1 } } });", True),
        ("db.user.findMany({ where: { id: { in: ids } } });", False),
        ("db.user.findMany({ where: { teamId: { in: ids } } });", True),
        # The last entry that can set `take` decides; a `where` on ids bounds anywhere.
        ("db.user.findMany({ take: 5, orderBy, take: undefined });", True),
        ("db.user.findMany({ take: undefined, orderBy, take: 5 });", False),
        ("db.user.findMany({ where: { id: { in: ids } }, take: undefined });", False),
        ("db.user.findMany({ take: undefined, where: { id: { in: ids } } });", False),
        ("db.user.findMany({ 1: x, take: undefined, skip: 2 });", True),
        ("await db.user.findMany<Prisma.UserFindManyArgs>({ where });", True),
        ("db.user.findFirst({});", False),
        ("repo.user.findMany();", False),
    ],
)
def test_what_counts_as_a_take(code: str, flagged: bool) -> None:
    assert bool(run(UNBOUNDED, code + "\n")) is flagged


# --- prisma-client-singleton -----------------------------------------------------------
def test_module_level_client_without_cache_is_flagged_on_the_new_expression() -> None:
    code = (
        'import { PrismaClient as PC } from "@/generated/prisma";\nexport const db = new PC({});\n'
    )
    [finding] = run(SINGLETON, code)
    assert span(finding) == (2, 19, 2, 29)
    assert finding.snippet == "new PC({})"
    assert finding.message == (
        "`new PC()` at module level is not cached on `globalThis`, so every hot reload opens "
        "another connection pool: keep one client per process, cached on `globalThis` "
        "(`globalForPrisma.prisma ?? new PrismaClient()`), and import it"
    )


def test_client_created_per_call_says_so() -> None:
    code = (
        'import { PrismaClient } from "@prisma/client";\n'
        "export async function GET() {\n"
        "  const prisma = new PrismaClient();\n"
        "  return Response.json(await prisma.user.count());\n"
        "}\n"
    )
    [finding] = run(SINGLETON, code, "app/api/users/route.ts")
    assert span(finding)[:2] == (3, 18)
    assert finding.message.startswith(
        "`new PrismaClient()` inside a function opens another connection pool on every call: "
    )


@pytest.mark.parametrize(
    "code",
    [
        # The standard Next.js pattern.
        "const g = globalThis as unknown as { prisma: PrismaClient };\n"
        "export const prisma = g.prisma ?? new PrismaClient();\n"
        'if (process.env.NODE_ENV !== "production") g.prisma = prisma;\n',
        # `global.prisma` with `||`.
        "export const prisma = global.prisma || new PrismaClient();\n",
        # A cast of globalThis and a dunder name.
        "export const prisma = (globalThis as any).__prisma ??= new PrismaClient();\n",
        # declare global + logical assignment.
        "declare global { var prisma: PrismaClient | undefined }\n"
        "globalThis.prisma ||= new PrismaClient();\n",
        # A lazy factory storing on globalThis.
        "export function getPrisma() {\n"
        "  if (!globalThis.prisma) globalThis.prisma = new PrismaClient();\n"
        "  return globalThis.prisma;\n"
        "}\n",
        # A module-level variable checked first.
        "let client: PrismaClient | undefined;\n"
        "export function db() { return (client ??= new PrismaClient()); }\n",
    ],
)
def test_cached_clients_pass(code: str) -> None:
    imports = 'import { PrismaClient } from "@prisma/client";\n'
    assert run(SINGLETON, imports + code) == []


def test_singleton_rule_survives_deep_nesting() -> None:
    depth = 3000
    code = (
        "export function make() {\n  return "
        + "(" * depth
        + "new PrismaClient()"
        + ")" * depth
        + ";\n}\n"
    )
    [finding] = run(SINGLETON, code)
    assert (finding.location.line, finding.location.column) == (2, len("  return ") + depth + 1)


# --- pre-filters -----------------------------------------------------------------------
def run_without_tree(
    rule: str, code: str, options: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> list[Finding]:
    """The rule's check on `code` with the tree out of reach: it must not ask for it."""
    source = SourceFile.from_bytes("/virtual/lib/data.ts", "lib/data.ts", code.encode("utf-8"))
    monkeypatch.setattr(source, "tree", None)  # any use of the tree now raises
    rule_setting = setting(rule, options)
    ctx = RuleContext(default_registry()[rule], rule_setting.severity, dict(options), source)
    default_registry().file_check(rule)(source, ctx)
    return ctx.findings


CLIENT_ONLY = "readReplica.post.findMany();\nfor (const id of ids) client.user.update({ id });\n"


@pytest.mark.parametrize(
    ("rule", "clients", "line"),
    [(UNBOUNDED, ["readReplica"], 1), (LOOP, ["client"], 2), (LOOP, ["other", "client"], 2)],
)
def test_prisma_filters_take_their_needles_from_the_clients_option(
    rule: str, clients: list[str], line: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With the option, the file holds a call; with the defaults (`prisma`, `db`, `tx`),
    # whose names it never spells, the check stops before it asks for the tree.
    [finding] = run_rule_on_source(rule, CLIENT_ONLY, "lib/data.ts", {"clients": clients})
    assert finding.location.line == line
    assert run_without_tree(rule, CLIENT_ONLY, {}, monkeypatch) == []


@pytest.mark.parametrize(
    ("rule", "code", "options"),
    [
        # No client names at all: no receiver can match.
        (UNBOUNDED, "prisma.post.findMany();\n", {"clients": []}),
        (LOOP, "for (const x of xs) prisma.post.update({});\n", {"clients": []}),
        # A client, but no operation of the rule.
        (UNBOUNDED, "prisma.post.findFirst();\n", {}),
        (LOOP, "for (const x of xs) prisma.post.save();\n", {}),
        # Prisma calls, but no loop keyword and no iteration method: nothing repeats.
        (LOOP, "const done = await prisma.user.findMany({ take: doMore });\n", {}),
        (LOOP, "const mapping = format(await db.user.count(), everyone);\n", {}),
        # No `PrismaClient` spelled, and no escape that could spell it.
        (SINGLETON, 'import { Client } from "pg";\nexport const db = new Client();\n', {}),
    ],
)
def test_files_the_filters_rule_out_never_reach_the_tree(
    rule: str, code: str, options: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_without_tree(rule, code, options, monkeypatch) == []


@pytest.mark.parametrize(
    ("code", "clients", "operations", "lacks"),
    [
        ("ctx.db.user.findMany()", DEFAULT_CLIENTS, OPERATIONS, False),
        ("getPrisma().user.createManyAndReturn()", ["getPrisma"], OPERATIONS, False),
        ("getPrisma().user.createManyAndReturn()", DEFAULT_CLIENTS, OPERATIONS, True),
        ("prisma.user.findUnique()", DEFAULT_CLIENTS, frozenset({"findMany"}), True),
        ("prisma.$queryRawUnsafe(q)", ["prisma"], OPERATIONS, False),
        ("prisma.user.findMany()", [], OPERATIONS, True),
    ],
)
def test_lacks_prisma_calls(
    code: str, clients: Sequence[str], operations: frozenset[str], lacks: bool
) -> None:
    source = SourceFile.from_bytes("/virtual/a.ts", "a.ts", code.encode("utf-8"))
    assert lacks_prisma_calls(source, clients, operations) is lacks


def test_operation_words_find_every_operation() -> None:
    words = operation_words()
    assert all(any(word.decode() in op for word in words) for op in OPERATIONS)
    assert len(words) < len(OPERATIONS)  # `create` also finds createMany...


@pytest.mark.parametrize(
    "code",
    [
        'import { "Prisma\\u0043lient" as Client } from "@prisma/client";\n',
        'import { "Prisma\\Client" as Client } from "@prisma/client";\n',
    ],
)
def test_singleton_filter_lets_escaped_import_names_through(code: str) -> None:
    # The import names the constructor only through an escape (`\C` is a `C`).
    [finding] = run(SINGLETON, code + "export const db = new Client();\n")
    assert finding.location.line == 2


def test_every_loop_statement_has_a_keyword_for_the_loop_filter() -> None:
    assert set(_LOOP_KEYWORDS) == LOOP_TYPES


@pytest.mark.parametrize(
    ("code", "repeats"),
    [
        ("do{ x() }while(y)", True),
        ("for(;;) x()", True),
        ("for/* each */(const a of b) x()", True),
        ("while\n(y) x()", True),
        ("xs.forEach(f)", True),
        ("xs?.flatMap<T>(f)", True),
        ("xs . some (f)", True),
        ("(xs.every)(f)", True),
        ("xs.reduce\t(f)", True),
        # A byte that may continue a name lets the file through: only ever looser.
        ("for\\u0061 x()", True),
        ("for\xc3\xa9 x()", True),
        # Longer names, and words at the very end (no body or callback follows).
        ("done(format(mapping), doMore, everyone, some$)", False),
        ("xs.forEachItem(f); xs.mapped(f); const filtered = 1; do", False),
    ],
)
def test_the_loop_filter_finds_every_loop_and_iteration_word(code: str, repeats: bool) -> None:
    # latin-1: each character one byte, so "\xc3\xa9" is the UTF-8 of an accented letter
    source = SourceFile.from_bytes("/virtual/a.ts", "a.ts", code.encode("latin-1"))
    assert prefilter.lacks_match(source, _ITERATION_WORDS) is not repeats


SPANNED = (
    "await prisma.user.findMany();\n"
    "for (const id of ids) { await db.post.update({ where: { id } }); tx.$queryRaw`x`; }\n"
    "await prisma.user.count<Prisma.UserCountArgs>({});\n"
)


@pytest.mark.parametrize("enabled", [True, False])
@pytest.mark.parametrize(
    ("spans", "operations"),
    [
        ([], []),
        ([(0, len(SPANNED))], ["findMany", "update", "$queryRaw", "count"]),
        (
            [(SPANNED.index("{ await"), SPANNED.index("\nawait prisma.user.count"))],
            ["update", "$queryRaw"],
        ),
        # Overlapping spans, one ending inside a name: each call found once, whole.
        ([(0, 20), (15, 40), (SPANNED.index("count"), len(SPANNED))], ["findMany", "count"]),
        ([(SPANNED.index("count") + 2, len(SPANNED))], []),
    ],
)
def test_prisma_calls_in_spans(
    spans: list[tuple[int, int]],
    operations: list[str],
    enabled: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(prefilter, "ENABLED", enabled)
    source = SourceFile.from_bytes("/virtual/a.ts", "a.ts", SPANNED.encode())
    found = prisma_calls_in(source, spans)
    assert [call.operation for call in found] == operations
    every = prisma_calls(source)
    assert all(call in every for call in found)


def _prisma_fixture_sources() -> list[SourceFile]:
    from conftest import FIXTURES

    from nextaudit.discovery import discover

    return [
        SourceFile.from_bytes(path.as_posix(), path.name, path.read_bytes())
        for root in sorted(p for p in FIXTURES.iterdir() if p.is_dir() and "prisma" in p.name)
        for path in discover([root], root).files
    ]


@pytest.mark.parametrize("enabled", [True, False])
def test_prisma_calls_where_keeps_what_keep_accepts_of_prisma_calls(
    enabled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`prisma_calls_where` asks `keep` before reading the client: the same calls as
    filtering `prisma_calls` afterwards, for the unbounded-findMany test and others."""
    from nextaudit.analysis.prisma import prisma_calls_where
    from nextaudit.checks.prisma_unbounded_findmany import _unbounded

    monkeypatch.setattr(prefilter, "ENABLED", enabled)
    keeps = [_unbounded, lambda call: True, lambda call: call.start_byte % 2 == 0]
    checked = 0
    for source in [
        *_prisma_fixture_sources(),
        SourceFile.from_bytes("/v/a.ts", "a.ts", SPANNED.encode()),
    ]:
        for operations in (OPERATIONS, frozenset({"findMany"}), frozenset({"$queryRaw", "count"})):
            for clients in (DEFAULT_CLIENTS, ("db",), ()):
                every = prisma_calls(source, clients, operations)
                for keep in keeps:
                    kept = prisma_calls_where(source, keep, clients, operations)
                    assert kept == [found for found in every if keep(found.call)]
                    checked += len(kept)
    assert checked


_CLIENT_SPANS = [
    SPANNED,
    "for (const u of us) { await getPrisma().user.findMany(); }\n",
    "xs.map((x) => (this.db as any).post.update({}));\nxs.map((x) => x);\n",
    "xs.forEach(async (x) => { await ctx.tx!.$executeRaw`x`; });\n",
    "while (a) prisma.user.findMany<T>({ take: 1 }); do { db.$queryRaw<R[]>`q` } while (b)\n",
    "xs.filter((x) => x.active).map((x) => x.id); // prisma.user.findMany in a comment\n",
    "for (;;) { pr\\u0069sma.user.count(); d\\u0062.$queryRaw`x` }\n",
    "xs.map((x) => db . post\n  . count()); xs.some((x) => prismaClient.user.count())\n",
]


@pytest.mark.parametrize("clients", [DEFAULT_CLIENTS, ("prismaClient",), ("tx", ""), ()])
def test_spans_naming_a_client_keep_every_call_in_a_loop(clients: Sequence[str]) -> None:
    """The rule's shortcut (`spans_naming_a_client`, words before `_end_of_last`
    only) finds the same calls in loops as every span of `_repeated_spans`."""
    from nextaudit.analysis.prisma import client_name_bytes
    from nextaudit.checks.prisma_query_in_loop import (
        _end_of_last,
        _repeated_spans,
        spans_naming_a_client,
    )

    sources = [
        *_prisma_fixture_sources(),
        *(SourceFile.from_bytes("/v/a.ts", "a.ts", code.encode()) for code in _CLIENT_SPANS),
    ]
    names = client_name_bytes(clients)
    checked = 0
    for source in sources:
        every = _repeated_spans(source)
        slow = prisma_calls_in(source, every, clients) if every else []
        kept = spans_naming_a_client(
            source.content, _repeated_spans(source, _end_of_last(source.content, names)), names
        )
        assert set(kept) <= set(every)
        fast = prisma_calls_in(source, kept, clients) if kept else []
        assert fast == slow, source.path
        checked += len(slow)
    assert checked or not clients
