"""no-unsafe-raw-sql: what the fixtures cannot say (where the finding lands, what the
message names) and the evaluator's edge cases."""

from __future__ import annotations

import pytest
from rule_harness import run_rule_on_source

from nextaudit.context import RuleContext
from nextaudit.findings import Finding
from nextaudit.registry import default_registry
from nextaudit.source import SourceFile

RULE = "no-unsafe-raw-sql"


def findings(code: str, path: str = "lib/db-queries.ts") -> list[Finding]:
    return run_rule_on_source(RULE, code, path)


def test_finding_is_on_the_first_argument_with_the_unsafe_message() -> None:
    code = "await prisma.$queryRawUnsafe(`SELECT * FROM t WHERE id = ${id}`, 1);\n"
    [finding] = findings(code)
    loc = finding.location
    start = code.index("`") + 1
    assert finding.rule_id == RULE
    assert (loc.line, loc.column, loc.end_line, loc.end_column) == (
        1,
        start,
        1,
        code.index(", 1") + 1,
    )
    assert finding.message == (
        "`$queryRawUnsafe` runs a template literal with `${}` substitutions as SQL text: any"
        " input that reaches it can rewrite the query (SQL injection). Keep the text constant"
        " and pass values as parameters: the tagged template $queryRaw`... ${value}` or"
        " Prisma.sql, or $1, $2 placeholders with the values as further arguments"
    )


def test_raw_helper_message_names_the_receiver_as_written() -> None:
    code = 'import { Prisma as P } from "@prisma/client";\nconst c = P.raw(column);\n'
    [finding] = findings(code)
    assert (finding.location.line, finding.location.column) == (2, 17)
    assert finding.message.startswith(
        "`P.raw(...)` pastes the variable `column` into the SQL verbatim"
    )
    assert "Prisma.sql`... ${value}`" in finding.message


def test_called_query_raw_message_says_to_use_a_tagged_template() -> None:
    [finding] = findings('await db.$executeRaw("DELETE FROM t WHERE id = " + id);\n')
    assert finding.message.startswith(
        "`$executeRaw(...)` is called as a function with a string concatenation"
    )
    assert "$executeRaw`... ${value}` without parentheses" in finding.message


def test_a_call_without_arguments_is_flagged_on_the_call() -> None:
    [finding] = findings("await prisma.$queryRawUnsafe();\n")
    assert (finding.location.column, finding.location.end_column) == (7, 31)
    assert "runs no SQL text at all" in finding.message


@pytest.mark.parametrize(
    "code",
    [
        # Tagged templates, with and without type arguments and await.
        "await prisma.$queryRaw`SELECT ${x}`;",
        "prisma.$executeRaw`DELETE FROM t WHERE id = ${x}`;",
        "const r = await prisma.$queryRaw<Row[]>`SELECT ${x}`;",
        # Constant text in all its spellings.
        'prisma.$queryRawUnsafe("SELECT 1");',
        "prisma.$queryRawUnsafe(`SELECT 1`);",
        'prisma.$queryRawUnsafe("SELECT *" + " FROM t" + ` WHERE a = $1`, a);',
        'const S = "SELECT 1"; prisma.$queryRawUnsafe(S);',
        'let s = "SELECT 1"; if (x) s = "SELECT 2"; prisma.$queryRawUnsafe(s);',
        "prisma.$queryRawUnsafe(`SELECT * FROM t LIMIT ${Math.min(n, 100)}`);",
        "prisma.$queryRawUnsafe(`SELECT * FROM t LIMIT ${+n} OFFSET ${n * 10}`);",
        'Prisma.raw(desc ? "DESC" : "ASC");',
        'function dir(d) { return d ? "DESC" : "ASC"; } Prisma.raw(dir(d));',
        'const dir = (d) => (d ? "DESC" : "ASC"); sql.raw(`ORDER BY id ${dir(d)}`);',
        # Parameterised queries passed to a parenthesised $queryRaw.
        "prisma.$queryRaw(Prisma.sql`SELECT ${x}`);",
        'import { sql } from "@prisma/client/sql"; prisma.$queryRaw(sql`SELECT ${x}`);',
        "const q = x ? Prisma.sql`a ${x}` : Prisma.empty; prisma.$queryRaw(q);",
        "function f(q: Prisma.Sql | undefined) { return prisma.$queryRaw(q); }",
        "prisma.$queryRaw(Prisma.join([Prisma.sql`a`, Prisma.sql`b`], ' UNION '));",
        # Not raw-SQL sinks.
        "String.raw`a${b}`;",
        "knex.raw(input);",
        "prisma.$queryRawTyped(getUsers(x));",
        "obj.queryRawUnsafe(input);",
    ],
)
def test_safe_forms_are_not_flagged(code: str) -> None:
    assert findings(code + "\n") == []


@pytest.mark.parametrize(
    "code",
    [
        "prisma.$queryRawUnsafe(input);",
        "prisma.$queryRawUnsafe(`SELECT ${input}`);",
        "prisma.$queryRawUnsafe(...args);",
        "prisma.$queryRawUnsafe(await getSql());",
        "prisma.$queryRawUnsafe(cfg.sql);",
        'let s = "SELECT 1"; s += ` WHERE a = ${a}`; prisma.$queryRawUnsafe(s);',
        "function f(q: string) { return prisma.$queryRawUnsafe(q); }",
        'import { SQL } from "./sql"; prisma.$queryRawUnsafe(SQL);',
        "prisma.$queryRaw(`SELECT ${x}`);",
        "prisma.$queryRaw(query);",
        "prisma.$queryRaw(Prisma.sql`a` + x);",
        "Prisma.raw(input);",
        "Prisma.raw(x ?? 'id');",
        "sql.raw(`ORDER BY ${field}`);",
        "runtime.Prisma.raw(input);",
        "const { $queryRawUnsafe } = prisma; $queryRawUnsafe(input);",
        "getPrisma().$executeRawUnsafe(input);",
        "prisma?.$executeRawUnsafe(input);",
        "this.db.$queryRawUnsafe(input);",
    ],
)
def test_unsafe_forms_are_flagged_once(code: str) -> None:
    assert len(findings(code + "\n")) == 1


def test_prisma_raw_inside_query_raw_is_one_finding_on_the_raw_argument() -> None:
    [finding] = findings("prisma.$queryRaw(Prisma.raw(input));\n")
    assert finding.message.startswith("`Prisma.raw(...)` pastes the variable `input`")


def test_await_with_type_arguments_is_seen_through() -> None:
    # tree-sitter parses `await x.m<T>(...)` as a call of `await x.m`.
    [finding] = findings("const rows = await prisma.$queryRawUnsafe<Row[]>(`SELECT ${q}`);\n")
    assert finding.location.column == 50


def test_deep_nesting_does_not_recurse() -> None:
    depth = 3000
    code = "prisma.$queryRawUnsafe(" + "(" * depth + "input" + ")" * depth + ");\n"
    assert len(findings(code)) == 1


# --- the pre-filter ----------------------------------------------------------------------
def test_files_without_raw_never_reach_the_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    code = "export const rows = await prisma.user.findMany({ where: { id } });\n"
    source = SourceFile.from_bytes("/virtual/lib/q.ts", "lib/q.ts", code.encode("utf-8"))
    monkeypatch.setattr(source, "tree", None)  # any use of the tree now raises
    rule = default_registry()[RULE]
    ctx = RuleContext(rule, rule.severity, {}, source)
    default_registry().file_check(RULE)(source, ctx)
    assert ctx.findings == []


def test_words_that_only_contain_raw_are_not_calls() -> None:
    code = "const raw = drawRaw(rawInput);\nwithdraw(raw);\nx.rawQuery(raw);\nraw(input);\n"
    assert findings(code) == []
