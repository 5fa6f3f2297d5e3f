"""await-route-params: exact positions and messages, and the cases fixtures cannot show."""

from __future__ import annotations

from rule_harness import run_rule_on_source

from nextaudit.findings import Finding

RULE = "await-route-params"
ROUTE = "app/api/users/[id]/route.ts"
PAGE = "app/blog/[slug]/page.tsx"


def findings(code: str, path: str = ROUTE) -> list[tuple[int, int, int, str]]:
    found: list[Finding] = run_rule_on_source(RULE, code, path)
    assert all(f.rule_id == RULE for f in found)
    return [(f.location.line, f.location.column, f.location.end_column, f.message) for f in found]


def test_member_read_is_reported_on_the_access_with_the_fix() -> None:
    code = "export async function GET(req: Request, { params }: Ctx) {\n  return params.id;\n}\n"
    assert findings(code) == [
        (2, 10, 19, "`params` is a Promise in Next.js 15: `await` it before reading `id`")
    ]


def test_context_member_chain_names_the_whole_promise() -> None:
    code = "export const GET = async (req: Request, context: Ctx) => context.params['id'];\n"
    assert findings(code) == [
        (
            1,
            58,
            78,
            "`context.params` is a Promise in Next.js 15: `await` it before reading `id`",
        )
    ]


def test_destructuring_several_names_is_one_finding_on_the_promise() -> None:
    code = (
        "export async function PUT(req: Request, ctx: Ctx) {\n"
        "  const {\n    id,\n    slug,\n  } = ctx.params;\n}\n"
    )
    assert findings(code) == [
        (
            5,
            7,
            17,
            "`ctx.params` is a Promise in Next.js 15: `await` it before destructuring `id`, `slug`",
        )
    ]


def test_nested_destructuring_in_the_parameter_list_is_on_the_pair() -> None:
    code = "export default function Page({ params: { slug } }: Props) {\n  return slug;\n}\n"
    assert findings(code, PAGE) == [
        (
            1,
            32,
            48,
            "`params` is a Promise in Next.js 15: `await` it before destructuring `slug`",
        )
    ]


def test_enumeration_messages() -> None:
    code = (
        "export async function GET(req: Request, { params }: Ctx) {\n"
        "  Object.keys(params);\n"
        "  for (const k in params) {}\n"
        "  const copy = { ...params };\n"
        "}\n"
    )
    assert [(line, message.split(" before ")[1]) for line, _, _, message in findings(code)] == [
        (2, "passing it to `Object.keys`"),
        (3, "enumerating it with `for...in`"),
        (4, "spreading it"),
    ]


def test_client_page_suggests_use() -> None:
    code = (
        "'use client';\n"
        "export default function Page({ searchParams }: Props) {\n"
        "  return searchParams.q;\n"
        "}\n"
    )
    assert findings(code, PAGE) == [
        (
            3,
            10,
            24,
            "`searchParams` is a Promise in Next.js 15: unwrap it with React `use()` "
            "(a client component cannot `await`) before reading `q`",
        )
    ]


def test_one_function_exported_under_two_methods_is_checked_once() -> None:
    code = (
        "async function handler(req: Request, { params }: Ctx) {\n"
        "  return Response.json(params.id);\n"
        "}\n"
        "export { handler as GET, handler as HEAD };\n"
    )
    assert [line for line, *_ in findings(code)] == [2]


def test_search_params_are_followed_only_in_pages() -> None:
    handler = "export async function GET(req: Request, ctx: Ctx) {\n  ctx.searchParams.q;\n}\n"
    assert findings(handler) == []
    layout = "export default function Layout(props: Props) {\n  props.searchParams.q;\n}\n"
    assert findings(layout, "app/[locale]/layout.tsx") == []
    page = "export default function Page(props: Props) {\n  props.searchParams.q;\n}\n"
    assert [line for line, *_ in findings(page, PAGE)] == [2]


def test_roles_come_from_the_path() -> None:
    code = "export async function GET(req: Request, { params }: Ctx) {\n  params.id;\n}\n"
    assert findings(code, "lib/api/route.ts") == []
    assert findings(code, "lib/users.ts") == []
    assert [line for line, *_ in findings(code, "src/app/api/x/route.js")] == [2]


def test_deep_nesting_does_not_recurse() -> None:
    depth = 3000
    body = "(() => " * depth + "params.id" + ")" * depth
    code = f"export async function GET(req: Request, {{ params }}: Ctx) {{\n  {body};\n}}\n"
    assert [line for line, *_ in findings(code)] == [2]
