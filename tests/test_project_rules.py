"""Project-level rules (pnpm-only, prisma-generated-types, structure-doc) and the
Project facts they read: exact file, line, column and message, including for files
that cannot carry a fixture annotation (package.json, lockfiles)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import FIXTURES
from rule_harness import run_rule_on_tree, setting

from nextaudit.checks.pnpm_only import foreign_tool
from nextaudit.discovery import discover
from nextaudit.findings import Finding, Location, Severity
from nextaudit.project import (
    Project,
    TextFile,
    is_prisma_schema,
    is_project_input,
    parse_package_json,
    prisma_model_names,
)
from nextaudit.runner import run_project_rule

PNPM = FIXTURES / "pnpm-only"
LOCKFILE_FIX = (
    "this project uses pnpm exclusively (delete it; `pnpm install` writes `pnpm-lock.yaml`)"
)
SCRIPT_FIX = "this project uses pnpm exclusively (`pnpm run`, `pnpm exec`, `pnpm dlx`)"
MANAGER_FIX = 'this project uses pnpm exclusively (set it to "pnpm@<version>")'


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def findings_of(rule_id: str, root: Path) -> list[tuple[str, int, int, str]]:
    return [
        (Path(f.path).relative_to(root).as_posix(), f.location.line, f.location.column, f.message)
        for f in run_rule_on_tree(rule_id, root)
    ]


def by_file(rule_id: str, root: Path, rel: str) -> list[Finding]:
    return [f for f in run_rule_on_tree(rule_id, root) if f.path == (root / rel).as_posix()]


# --- pnpm-only on the fixture tree ---------------------------------------------------


def test_pnpm_only_lockfiles_are_flagged_at_line_1_column_1() -> None:
    found = {(f, line, col, msg) for f, line, col, msg in findings_of("pnpm-only", PNPM)}
    assert ("apps/web/yarn.lock", 1, 1, f"`yarn.lock` is yarn's lockfile: {LOCKFILE_FIX}") in found
    assert (
        "apps/api/package-lock.json",
        1,
        1,
        f"`package-lock.json` is npm's lockfile: {LOCKFILE_FIX}",
    ) in found
    assert (
        "apps/api/npm-shrinkwrap.json",
        1,
        1,
        f"`npm-shrinkwrap.json` is npm's lockfile: {LOCKFILE_FIX}",
    ) in found
    assert (
        "packages/bun-tool/bun.lock",
        1,
        1,
        f"`bun.lock` is Bun's lockfile: {LOCKFILE_FIX}",
    ) in (found)


def test_pnpm_only_binary_bun_lockb_has_a_real_location() -> None:
    [lockb] = by_file("pnpm-only", PNPM, "packages/bun-tool/bun.lockb")
    assert lockb.location == Location(1, 1, 1, 1)
    assert lockb.snippet == ""
    assert lockb.severity is Severity.ERROR


def test_pnpm_only_skips_node_modules_dist_and_orphan_lockfiles() -> None:
    files = {f for f, *_ in findings_of("pnpm-only", PNPM)}
    assert not {f for f in files if f.startswith(("node_modules/", "dist/", "orphan/"))}
    assert "package.json" not in files  # the clean monorepo root
    assert "packages/ui/package.json" not in files


def test_pnpm_only_package_manager_on_its_key_line() -> None:
    [finding] = [
        f for f in by_file("pnpm-only", PNPM, "apps/web/package.json") if f.location.line == 2
    ]
    assert finding.location == Location(2, 3, 2, 33)
    assert finding.message == f"`packageManager` is `yarn@4.1.0`: {MANAGER_FIX}"
    assert finding.snippet == '"packageManager": "yarn@4.1.0",'


def test_pnpm_only_scripts_on_the_line_and_column_of_their_key() -> None:
    web = [
        (f.location.line, f.location.column, f.message)
        for f in by_file("pnpm-only", PNPM, "apps/web/package.json")
    ]
    assert web == [
        (2, 3, f"`packageManager` is `yarn@4.1.0`: {MANAGER_FIX}"),
        # the key `"postbuild":` is on line 8, its value on line 9
        (8, 5, f"script `postbuild` runs `yarn`: {SCRIPT_FIX}"),
        # second script on one line: the column of its own key
        (10, 33, f"script `start` runs `npm`: {SCRIPT_FIX}"),
        # `"\u0073eed"` is the script `seed`
        (12, 5, f"script `seed` runs `bunx`: {SCRIPT_FIX}"),
    ]


def test_pnpm_only_script_location_spans_key_to_value_on_one_line() -> None:
    api = {f.location.line: f for f in by_file("pnpm-only", PNPM, "apps/api/package.json")}
    line = '    "migrate": "dotenv -e .env.test -- npx prisma migrate deploy",'
    assert api[7].location == Location(7, 5, 7, line.rindex('"') + 2)
    assert api[7].message == f"script `migrate` runs `npx`: {SCRIPT_FIX}"


def test_pnpm_only_through_the_cli_runner(tmp_path: Path) -> None:
    write(tmp_path / "package.json", '{\n  "packageManager": "yarn@4.1.0"\n}\n')
    write(tmp_path / "yarn.lock", "# yarn lockfile v1\n")
    project = Project.build(tmp_path, [])
    found = run_project_rule(project, setting("pnpm-only", {}))
    assert [(Path(f.path).name, f.location.line, f.rule_id) for f in found] == [
        ("package.json", 2, "pnpm-only"),
        ("yarn.lock", 1, "pnpm-only"),
    ]
    assert all(Path(f.path).is_absolute() for f in found)


# --- the script matcher ----------------------------------------------------------------

FLAGGED = [
    ("npm run build", "npm"),
    ("npx prisma generate", "npx"),
    ("yarn", "yarn"),
    ("yarn install --frozen-lockfile", "yarn"),
    ("bun run dev", "bun"),
    ("bunx tsx seed.ts", "bunx"),
    ("next build && yarn", "yarn"),
    ("tsc||npm test", "npm"),
    ("a;bun x", "bun"),
    ("cat x | bunx y", "bunx"),
    ("(npm run a)", "npm"),
    ("cross-env NODE_ENV=production npm run build", "npm"),
    ('NODE_ENV=test FOO="a b" npx jest', "npx"),
    ('concurrently "npm run api" "next dev"', "npm"),
    ("dotenv -e .env.local -- npm run dev", "npm"),
    ("sh -c 'yarn install'", "yarn"),
    ("echo $(npm bin)", "npm"),
    ("npm\trun x", "npm"),
    ("sudo -E npm i -g vercel", "npm"),
    ("if [ -f .env ]; then yarn; fi", "yarn"),
    ("git add . && npm version patch", "npm"),
    ("set NODE_ENV=production&& npm run build", "npm"),
    ("pnpm build\nnpm run deploy", "npm"),
    ("corepack yarn install", "yarn"),
    ("{ npm run a; } > log.txt", "npm"),
]
CLEAN = [
    "next dev",
    "pnpm run lint:yarn-check",
    "husky",
    "npm-run-all -p lint typecheck",
    "run-p lint typecheck",
    "run-s clean build",
    'echo "npm run build"',
    "printf 'yarn it'",
    "npx only-allow pnpm",
    "npm",
    "bun",
    "npx",
    "yarnpkg",
    "which npm",
    "FOO=npm next build",
    "pnpm test -- --watch",
    "pnpm dlx create-next-app",
    "pnpm exec tsx scripts/seed.ts",
    "prisma generate && next build",
    "turbo run build --filter=web",
    "node scripts/check-npm.js",
    "node -e \"if (process.env.npm_execpath.indexOf('yarn') === -1) process.exit(1)\"",
    'concurrently "npm:watch-*" "next dev"',
    "docker compose up -d && pnpm dev",
]


@pytest.mark.parametrize(("script", "tool"), FLAGGED)
def test_foreign_tool_is_found_as_a_command(script: str, tool: str) -> None:
    assert foreign_tool(script) == tool


@pytest.mark.parametrize("script", CLEAN)
def test_foreign_tool_is_not_found_inside_words_or_arguments(script: str) -> None:
    assert foreign_tool(script) is None


# --- package.json positions ------------------------------------------------------------


def manifest(text: str) -> tuple[dict[str, Location], Location | None]:
    parsed = parse_package_json(Path("package.json"), TextFile(Path("package.json"), text))
    manager = parsed.package_manager.location if parsed.package_manager else None
    return {s.key: s.location for s in parsed.scripts}, manager


def test_package_json_duplicates_follow_json_parse() -> None:
    scripts, _ = manifest(
        '{"scripts": {"a": "npm ci"},\n "scripts": {\n   "b": "x",\n   "b": "npm run y"\n }}\n'
    )
    assert list(scripts) == ["b"]  # the first `scripts` object was replaced
    assert scripts["b"].line == 4


def test_package_json_nested_lookalikes_are_not_the_fields() -> None:
    scripts, manager = manifest(
        '{\n  "config": {"scripts": {"x": "npm"}, "packageManager": "yarn@1"},\n'
        '  "workspaces": [{"scripts": {"y": "npm"}}],\n'
        '  "description": "\\"scripts\\": {\\"z\\": \\"npm\\"}"\n}\n'
    )
    assert scripts == {}
    assert manager is None


def test_package_json_crlf_bom_and_non_ascii_columns(tmp_path: Path) -> None:
    raw = '\ufeff{\r\n  "description": "café", "packageManager": "npm@10"\r\n}'.encode()
    write(tmp_path / "package.json", raw)
    project = Project.build(tmp_path, [])
    parsed = project.package_json(tmp_path)
    assert parsed is not None and parsed.package_manager is not None
    # the BOM is not a column; `é` is one code point
    assert parsed.package_manager.location == Location(2, 26, 2, 52)


def test_package_json_string_with_braces_and_escaped_quotes() -> None:
    scripts, manager = manifest(
        '{"scripts": {\n  "a": "echo \\"}\\" && node -e \'{}\'",\n  "b": "npm i"\n},\n'
        '"packageManager": "bun@1"}'
    )
    assert {k: v.line for k, v in scripts.items()} == {"a": 2, "b": 3}
    assert manager is not None and manager.line == 5


def test_package_json_non_string_package_manager_is_ignored() -> None:
    _, manager = manifest('{"packageManager": null}')
    assert manager is None


# --- Prisma schema -----------------------------------------------------------------------


def test_prisma_model_names_skip_comments_enums_strings_and_other_blocks() -> None:
    schema = (
        "// model Commented {\n"
        "/* model Blocked {\n} */\n"
        'generator client { provider = "prisma-client-js" }\n'
        "enum Role {\n  model\n  ADMIN\n}\n"
        "model User {\n"
        '  bio String @default("{ model Quoted {")\n'
        "  /// model DocComment {\n"
        "}\n"
        "model   Post\n{\n  id Int @id\n}\n"
        "view Stats { id Int }\n"
        "type Address { street String }\n"
        "model Comment{ id Int @id }\n"
    )
    assert prisma_model_names(schema) == ["User", "Post", "Comment"]


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("schema.prisma", True),
        ("prisma/schema.prisma", True),
        ("packages/db/prisma/schema.prisma", True),
        ("prisma/schema/user.prisma", True),
        ("prisma/schema/models/post.prisma", True),
        ("apps/api/prisma/schema/base.prisma", True),
        ("prisma/user.prisma", False),
        ("schema/user.prisma", False),
        ("prisma/schema.prisma.bak", False),
    ],
)
def test_is_prisma_schema(rel: str, expected: bool) -> None:
    assert is_prisma_schema(rel) is expected


def test_prisma_rule_needs_a_schema(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "types.ts", "export interface User { id: string }\n")
    write(tmp_path / "prisma" / "models.prisma", "model User {\n  id Int @id\n}\n")
    assert findings_of("prisma-generated-types", tmp_path) == []
    write(tmp_path / "prisma" / "schema.prisma", "model User {\n  id Int @id\n}\n")
    assert findings_of("prisma-generated-types", tmp_path) == [
        (
            "lib/types.ts",
            1,
            18,
            "`User` is a hand-written interface twin of the Prisma model `User`: import the"
            " generated type from `@prisma/client` (or derive it with"
            " `Prisma.UserGetPayload<...>`)",
        )
    ]


def test_prisma_rule_object_type_message_and_column(tmp_path: Path) -> None:
    write(tmp_path / "schema.prisma", "model Order {\n  id Int @id\n}\n")
    write(tmp_path / "app" / "orders.tsx", "const x = 1;\n  type   Order = {\n  id: number };\n")
    [(file, line, column, message)] = findings_of("prisma-generated-types", tmp_path)
    assert (file, line, column) == ("app/orders.tsx", 2, 10)
    assert message.startswith("`Order` is a hand-written object type twin of the Prisma model")


# --- structure-doc ------------------------------------------------------------------------


def test_structure_doc_needs_the_document(tmp_path: Path) -> None:
    write(tmp_path / "lib" / "a.ts", "export function undocumented() {}\n")
    assert findings_of("structure-doc", tmp_path) == []
    write(tmp_path / "readme" / "structure.md", "# Structure\n\n- documented\n")
    assert findings_of("structure-doc", tmp_path) == [
        (
            "lib/a.ts",
            1,
            17,
            "Exported function `undocumented` is not mentioned in `readme/structure.md`: check"
            " the document for an existing helper before adding one, then list this one there",
        )
    ]


def test_structure_doc_whole_words_only(tmp_path: Path) -> None:
    write(tmp_path / "readme" / "structure.md", "formatDateTime, $fetchJson, get-user\n")
    write(
        tmp_path / "src" / "lib" / "x.ts",
        "export const formatDate = () => 1;\n"
        "export const fetchJson = () => 1;\n"
        "export function user() {}\n"
        "export function formatDateTime() {}\n",
    )
    assert [(f, line) for f, line, *_ in findings_of("structure-doc", tmp_path)] == [
        ("src/lib/x.ts", 1),
        ("src/lib/x.ts", 2),
    ]


def test_structure_doc_option_files_and_doc() -> None:
    root = FIXTURES / "structure-doc--custom"
    found = findings_of("structure-doc", root)
    assert [(f, line, col) for f, line, col, _ in found] == [
        ("server/services/mail.ts", 10, 14),
        ("server/services/mail.ts", 13, 17),
    ]
    assert "not mentioned in `docs/STRUCTURE.md`" in found[0][3]


# --- the Project ---------------------------------------------------------------------------


def test_project_build_honours_gitignore_and_keeps_its_own_sources(tmp_path: Path) -> None:
    write(tmp_path / ".gitignore", "ignored/\n")
    write(tmp_path / "package.json", "{}")
    write(tmp_path / "ignored" / "package.json", '{"packageManager": "yarn@4"}')
    write(tmp_path / "ignored" / "yarn.lock", "")
    write(tmp_path / "node_modules" / "x" / "package.json", "{}")
    write(tmp_path / "packages" / "a" / "package.json", "{}")
    write(tmp_path / "packages" / "a" / "bun.lockb", b"\x00\x01")
    write(tmp_path / "lib" / "a.ts", "")
    other = tmp_path.parent / (tmp_path.name + "-other") / "b.ts"
    project = Project.build(tmp_path, [*discover([tmp_path], tmp_path).files, other])
    assert project.package_dirs == [tmp_path, tmp_path / "packages" / "a"]
    assert list(project.source_files) == [tmp_path / "lib" / "a.ts"]
    assert project.inputs() == [
        tmp_path / "package.json",
        tmp_path / "packages" / "a" / "bun.lockb",
        tmp_path / "packages" / "a" / "package.json",
    ]
    assert project.first_line(tmp_path / "packages" / "a" / "bun.lockb") is None


def test_project_build_accepts_a_relative_root(tmp_path: Path) -> None:
    write(tmp_path / "app" / "package.json", '{"scripts": {"x": "npx y"}}')
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        project = Project.build(Path("app"), [])
    finally:
        os.chdir(old)
    assert project.root == tmp_path / "app"
    assert project.package_dirs == [tmp_path / "app"]


@pytest.mark.parametrize(
    "root",
    [
        FIXTURES / "pnpm-only",
        FIXTURES / "prisma-generated-types--monorepo",
        FIXTURES / "sample-app",
    ],
    ids=lambda p: p.name,
)
def test_project_inputs_from_the_run_s_discovery_match_a_walk_of_their_own(root: Path) -> None:
    """The run finds package.json files, lockfiles and schemas in its one walk; the
    project built from it holds what a separate walk of the root finds."""
    discovered = discover([root], root, also=is_project_input)
    assert discovered.walked == [root]
    shared = Project.build(root, discovered.files, discovered=discovered)
    alone = Project.build(root, discovered.files)
    assert shared.package_dirs == alone.package_dirs
    assert shared.prisma_schemas == alone.prisma_schemas
    assert shared.inputs() == alone.inputs()
    assert shared.inputs(), "the fixture has project inputs"
    assert discover([root], root).files == discovered.files


def test_a_file_argument_s_project_walks_its_folder(tmp_path: Path) -> None:
    write(tmp_path / "package.json", '{"packageManager": "yarn@4"}')
    source = write(tmp_path / "lib" / "a.ts", "")
    discovered = discover([source], tmp_path, also=is_project_input)
    assert discovered.walked == [] and discovered.others == []
    project = Project.build(tmp_path, discovered.files, discovered=discovered)
    assert project.package_dirs == [tmp_path]
