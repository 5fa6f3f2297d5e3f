#!/usr/bin/env python3
"""Generate a synthetic but realistic Next.js 15 monorepo for the benchmark.

    python bench/generate.py --files 5000 --out /tmp/bench-5k

The tree is a pure function of `--files` and `--seed`: the same arguments give a
byte-identical tree on any machine (every random choice comes from `random.Random`
seeded with a string, which Python hashes with SHA-512, never with the per-process
`hash()`). `--files` is the exact number of files written.

What is in it, in the proportions of a real product monorepo: `apps/*` Next.js apps
with App Router route handlers (`app/api/**/route.ts`), pages and layouts with
`generateMetadata`, server actions, `lib/` modules (Prisma, auth, OpenAI, helpers),
React components (`.tsx`), hooks, tests, `.d.ts` files, JavaScript (`.js`, `.mjs`,
`.cjs`); `packages/*` shared libraries; `package.json` files, a Prisma schema and
`readme/structure.md`. File sizes follow a long-tailed distribution (median around 70
lines) plus a few generated-looking files of 2,000-5,000 lines. A few percent of files
break a rule the way real code does (an `any`, `params.id` read synchronously, a
hard-coded model id, a handler without an auth check, an empty catch ...), so the
benchmark measures rules that report, not rules that only look.

All code is written by this generator from its own templates.
"""

# ruff: noqa: E501  (the templates keep TypeScript lines as wide as real code has them)

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_FILES = 5000
DEFAULT_SEED = "nextaudit-bench-1"

# (singular, plural) in camelCase; the first PRISMA_MODELS of them are Prisma models.
ENTITIES: tuple[tuple[str, str], ...] = (
    ("user", "users"),
    ("team", "teams"),
    ("project", "projects"),
    ("invoice", "invoices"),
    ("subscription", "subscriptions"),
    ("post", "posts"),
    ("comment", "comments"),
    ("order", "orders"),
    ("product", "products"),
    ("payment", "payments"),
    ("notification", "notifications"),
    ("message", "messages"),
    ("conversation", "conversations"),
    ("document", "documents"),
    ("attachment", "attachments"),
    ("workspace", "workspaces"),
    ("membership", "memberships"),
    ("invitation", "invitations"),
    ("apiKey", "apiKeys"),
    ("auditEvent", "auditEvents"),
    ("report", "reports"),
    ("metric", "metrics"),
    ("task", "tasks"),
    ("label", "labels"),
    ("customer", "customers"),
    ("plan", "plans"),
    ("coupon", "coupons"),
    ("review", "reviews"),
    ("address", "addresses"),
    ("shipment", "shipments"),
    ("warehouse", "warehouses"),
    ("category", "categories"),
    ("article", "articles"),
    ("asset", "assets"),
    ("campaign", "campaigns"),
    ("lead", "leads"),
    ("ticket", "tickets"),
    ("webhookEndpoint", "webhookEndpoints"),
    ("integration", "integrations"),
    ("prompt", "prompts"),
    ("dataset", "datasets"),
    ("experiment", "experiments"),
)
PRISMA_MODELS = 28

# name, TypeScript type, zod schema, Prisma type, sample value
FIELDS: tuple[tuple[str, str, str, str, str], ...] = (
    ("name", "string", "z.string().trim().min(1).max(120)", "String", '"Northwind"'),
    ("title", "string", "z.string().trim().min(1).max(200)", "String", '"Quarterly review"'),
    ("description", "string | null", "z.string().max(4000).nullable()", "String?", "null"),
    (
        "slug",
        "string",
        'z.string().regex(/^[a-z0-9-]+$/, "lowercase, digits and -")',
        "String",
        '"q3-review"',
    ),
    ("email", "string", "z.string().email()", "String", '"ops@example.com"'),
    ("amount", "number", "z.number().int().nonnegative()", "Int", "4200"),
    ("currency", "string", "z.string().length(3)", "String", '"EUR"'),
    ("quantity", "number", "z.number().int().min(1).max(999)", "Int", "3"),
    ("priority", "number", "z.number().int().min(0).max(4)", "Int", "2"),
    ("isArchived", "boolean", "z.boolean()", "Boolean", "false"),
    ("isPublic", "boolean", "z.boolean().default(false)", "Boolean", "true"),
    ("tags", "string[]", "z.array(z.string().max(32)).max(20)", "String[]", '["beta", "eu"]'),
    ("dueDate", "Date | null", "z.coerce.date().nullable()", "DateTime?", "null"),
    ("publishedAt", "Date | null", "z.coerce.date().nullable()", "DateTime?", "null"),
    ("url", "string", "z.string().url()", "String", '"https://example.com/hooks/1"'),
    ("locale", "string", 'z.enum(["en", "de", "fr", "es"])', "String", '"en"'),
    ("score", "number", "z.number().min(0).max(1)", "Float", "0.82"),
    ("notes", "string | null", "z.string().max(10000).nullable()", "String?", "null"),
)
STATUSES = ("draft", "active", "paused", "archived", "pending", "failed", "completed")
APP_NAMES = (
    "web",
    "admin",
    "dashboard",
    "api",
    "docs",
    "studio",
    "billing",
    "support",
    "marketing",
    "partners",
    "mobile-api",
    "internal",
)
PACKAGE_NAMES = (
    "ui",
    "db",
    "auth",
    "ai",
    "email",
    "analytics",
    "config",
    "utils",
    "billing",
    "search",
    "queue",
    "storage",
    "flags",
    "i18n",
    "logger",
    "validation",
    "notifications",
    "cms",
    "payments",
    "telemetry",
)
UI_WORDS = (
    "List",
    "Table",
    "Card",
    "Form",
    "Dialog",
    "Header",
    "Toolbar",
    "Filters",
    "Summary",
    "Details",
    "Sidebar",
    "Panel",
    "Badge",
    "Picker",
    "Empty",
    "Chart",
    "Timeline",
    "Menu",
    "Drawer",
    "Banner",
)
VERBS = (
    "get",
    "list",
    "find",
    "create",
    "update",
    "archive",
    "sync",
    "format",
    "parse",
    "build",
    "resolve",
    "compute",
    "normalize",
    "validate",
    "load",
    "fetch",
    "count",
    "export",
    "import",
    "merge",
)
NOUN_SUFFIXES = (
    "Summary",
    "Label",
    "Totals",
    "Filters",
    "Payload",
    "Snapshot",
    "Preview",
    "Options",
    "Stats",
    "Query",
    "Batch",
    "Digest",
    "Timeline",
    "Export",
    "Cursor",
)
AI_MODEL_IDS = ("gpt-4o-mini", "gpt-4.1", "claude-3-5-sonnet-latest", "o3-mini", "gemini-1.5-pro")

WORKSPACE_YAML = 'packages:\n  - "apps/*"\n  - "packages/*"\n'
STRUCTURE_TITLE = "# Structure (synthetic benchmark tree)"

# Probabilities of the rule-breaking variants (per eligible file or handler).
RATE = {
    "any": 0.07,
    "module_env": 0.05,
    "sync_params": 0.08,
    "sync_cookies": 0.05,
    "hardcoded_model": 0.15,
    "chat_completions": 0.2,
    "empty_catch": 0.03,
    "status_missing": 0.05,
    "route_helper_export": 0.03,
    "no_auth": 0.08,
    "model_twin": 0.04,
    "suppression": 0.25,
    "undocumented": 0.05,
}


# --- names --------------------------------------------------------------------------


def pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def kebab(name: str) -> str:
    """apiKey -> api-key, Sidebar -> sidebar."""
    out = []
    for index, char in enumerate(name):
        if char.isupper():
            out.append(("-" if index else "") + char.lower())
        else:
            out.append(char)
    return "".join(out)


def fill(template: str, **names: object) -> list[str]:
    """Dedent a `%(name)s` template and fill it in. `%` formatting because TypeScript
    is full of `{}` and `${}`, and almost never uses `%`."""
    text = textwrap.dedent(template).strip("\n")
    return (text % names).split("\n")


@dataclass(frozen=True)
class Entity:
    name: str
    plural: str
    fields: tuple[tuple[str, str, str, str, str], ...]

    @property
    def Name(self) -> str:  # reads like the TypeScript it writes
        return pascal(self.name)

    @property
    def Plural(self) -> str:
        return pascal(self.plural)

    @property
    def segment(self) -> str:
        return kebab(self.plural)

    @property
    def is_model(self) -> bool:
        return ENTITIES.index((self.name, self.plural)) < PRISMA_MODELS


def make_entities(rng: random.Random) -> list[Entity]:
    entities = []
    for name, plural in ENTITIES:
        count = rng.randint(3, 7)
        entities.append(Entity(name, plural, tuple(rng.sample(FIELDS, count))))
    return entities


# --- one file -----------------------------------------------------------------------


@dataclass
class FileSpec:
    """A file to write: where, which renderer, and what it is about."""

    path: str
    kind: str
    entity: Entity
    target_lines: int
    app: str = ""
    params: tuple[str, ...] = ()
    public: bool = False


@dataclass
class Gen:
    """Per-file generation state: a private random stream and the names it exports."""

    rng: random.Random
    spec: FileSpec
    entities: Sequence[Entity]
    exported_functions: list[str] = field(default_factory=list)
    counter: int = 0

    def chance(self, what: str) -> bool:
        return self.rng.random() < RATE[what]

    def pick(self, items: Sequence[str]) -> str:
        return items[self.rng.randrange(len(items))]

    def other_entity(self) -> Entity:
        return self.entities[self.rng.randrange(len(self.entities))]

    def fresh(self, stem: str) -> str:
        """A name not used before in this file."""
        self.counter += 1
        return stem if self.counter == 1 else f"{stem}{self.counter}"

    def any_or(self, precise: str) -> str:
        """A type annotation that is sometimes `any` (the most common violation)."""
        if not self.chance("any"):
            return precise
        if self.chance("suppression"):
            return "any /* nextaudit-ignore: no-explicit-any -- third-party typings */"
        return self.pick(("any", "any", "Record<string, any>", "any[]", "Promise<any>"))


def type_of(field_: tuple[str, str, str, str, str]) -> str:
    return field_[1]


def interface(name: str, entity: Entity, extra: Sequence[str] = ()) -> list[str]:
    lines = [f"export interface {name} {{", "  id: string;"]
    lines += [f"  {f[0]}: {type_of(f)};" for f in entity.fields]
    lines += [f"  {line}" for line in extra]
    lines.append("}")
    return lines


def zod_object(const: str, entity: Entity, partial: bool = False) -> list[str]:
    lines = [f"const {const} = z", "  .object({"]
    lines += [f"    {f[0]}: {f[2]}," for f in entity.fields]
    lines.append("  })")
    if partial:
        lines.append("  .partial()")
    lines[-1] += ";"
    return lines


# --- sections shared by several kinds ----------------------------------------------------


def section_formatter(g: Gen) -> list[str]:
    e = g.spec.entity
    name = g.fresh(f"format{e.Name}{g.pick(NOUN_SUFFIXES)}")
    g.exported_functions.append(name)
    return fill(
        """
        export function %(name)s(item: %(Name)sRow, locale = "en-US"): string {
          const parts: string[] = [item.label.trim()];
          if (item.status !== "active") {
            parts.push(`(${item.status})`);
          }
          if (item.updatedAt) {
            parts.push(
              new Intl.DateTimeFormat(locale, { dateStyle: "medium" }).format(item.updatedAt),
            );
          }
          return parts.filter(Boolean).join(" · ");
        }
        """,
        name=name,
        Name=e.Name,
    )


def section_query(g: Gen) -> list[str]:
    e = g.spec.entity
    name = g.fresh(
        f"{g.pick(('list', 'find', 'load'))}{e.Plural}For{g.pick(('Team', 'Owner', 'Workspace'))}"
    )
    g.exported_functions.append(name)
    take = "" if g.rng.random() < 0.1 else "\n    take: limit + 1,"
    return fill(
        """
        export async function %(name)s(
          scopeId: string,
          { cursor, limit = 25, includeArchived = false }: ListOptions = {},
        ) {
          const rows = await prisma.%(entity)s.findMany({
            where: {
              teamId: scopeId,
              ...(includeArchived ? {} : { archivedAt: null }),
            },
            orderBy: [{ createdAt: "desc" }, { id: "desc" }],%(take)s
            ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
          });
          const hasMore = rows.length > limit;
          return {
            items: hasMore ? rows.slice(0, limit) : rows,
            nextCursor: hasMore ? rows[limit - 1]?.id ?? null : null,
          };
        }
        """,
        name=name,
        entity=e.name if e.is_model else "project",
        take=take,
    )


def section_mutation(g: Gen) -> list[str]:
    e = g.spec.entity
    name = g.fresh(f"{g.pick(('update', 'archive', 'sync'))}{e.Name}")
    g.exported_functions.append(name)
    payload = g.any_or(f"Partial<{e.Name}Input>")
    return fill(
        """
        export async function %(name)s(id: string, changes: %(payload)s, actorId: string) {
          const before = await prisma.%(entity)s.findUniqueOrThrow({ where: { id } });
          const after = await prisma.%(entity)s.update({
            where: { id },
            data: { ...changes, updatedById: actorId },
          });
          await recordAuditEvent({
            action: "%(entity)s.updated",
            actorId,
            targetId: id,
            diff: diffObjects(before, after),
          });
          return after;
        }
        """,
        name=name,
        entity=e.name if e.is_model else "project",
        payload=payload,
    )


def section_pure_helper(g: Gen) -> list[str]:
    name = g.fresh(g.pick(("groupBy", "partition", "indexBy", "uniqueBy", "chunk", "sumBy")))
    g.exported_functions.append(name)
    variant = g.rng.randrange(3)
    if variant == 0:
        return fill(
            """
            export function %(name)s<T, K extends PropertyKey>(
              items: readonly T[],
              keyOf: (item: T) => K,
            ): Record<K, T[]> {
              const groups = {} as Record<K, T[]>;
              for (const item of items) {
                const key = keyOf(item);
                (groups[key] ??= []).push(item);
              }
              return groups;
            }
            """,
            name=name,
        )
    if variant == 1:
        return fill(
            """
            export const %(name)s = <T,>(items: readonly T[], size: number): T[][] => {
              if (size <= 0) throw new RangeError(`size must be positive, got ${size}`);
              const out: T[][] = [];
              for (let index = 0; index < items.length; index += size) {
                out.push(items.slice(index, index + size));
              }
              return out;
            };
            """,
            name=name,
        )
    return fill(
        """
        export function %(name)s<T>(items: Iterable<T>, score: (item: T) => number) {
          let total = 0;
          let count = 0;
          for (const item of items) {
            const value = score(item);
            if (Number.isFinite(value)) {
              total += value;
              count += 1;
            }
          }
          return { total, count, mean: count === 0 ? 0 : total / count };
        }
        """,
        name=name,
    )


def section_constants(g: Gen) -> list[str]:
    e = g.spec.entity
    const = g.fresh(f"{kebab(e.name).replace('-', '_').upper()}_STATUS_LABELS")
    statuses = g.rng.sample(STATUSES, g.rng.randint(3, 6))
    lines = [f"export const {const}: Record<{e.Name}Status, string> = {{"]
    lines += [f'  {s}: "{s.capitalize()}",' for s in statuses]
    lines.append("};")
    return lines


def section_class(g: Gen) -> list[str]:
    e = g.spec.entity
    cls = g.fresh(f"{e.Name}{g.pick(('Service', 'Repository', 'Cache', 'Importer'))}")
    return fill(
        """
        export class %(cls)s {
          private readonly cache = new Map<string, { value: %(Name)sRow; expiresAt: number }>();

          constructor(
            private readonly ttlMs = 30_000,
            private readonly now: () => number = Date.now,
          ) {}

          async get(id: string): Promise<%(Name)sRow | null> {
            const hit = this.cache.get(id);
            if (hit && hit.expiresAt > this.now()) {
              return hit.value;
            }
            const value = await this.load(id);
            if (value) {
              this.cache.set(id, { value, expiresAt: this.now() + this.ttlMs });
            }
            return value;
          }

          invalidate(id?: string): void {
            if (id === undefined) this.cache.clear();
            else this.cache.delete(id);
          }

          protected async load(id: string): Promise<%(Name)sRow | null> {
            const response = await fetch(`/api/%(segment)s/${encodeURIComponent(id)}`, {
              headers: { accept: "application/json" },
              cache: "no-store",
            });
            if (response.status === 404) return null;
            if (!response.ok) {
              throw new Error(`Loading %(name)s ${id} failed with ${response.status}`);
            }
            return (await response.json()) as %(Name)sRow;
          }
        }
        """,
        cls=cls,
        Name=e.Name,
        name=e.name,
        segment=e.segment,
    )


def section_error_handling(g: Gen) -> list[str]:
    e = g.spec.entity
    name = g.fresh(f"safe{g.pick(('Load', 'Parse', 'Fetch', 'Sync'))}{e.Name}")
    g.exported_functions.append(name)
    if g.chance("empty_catch"):
        handler = ["  } catch {", "  }"]
    else:
        handler = fill(
            """
              } catch (error) {
                logger.warn({ err: error, input }, "%(name)s: falling back to defaults");
              }
            """,
            name=name,
        )
    lines = fill(
        """
        export function %(name)s(input: string): %(Name)sRow | null {
          try {
            const parsed: unknown = JSON.parse(input);
            if (isRecord(parsed) && typeof parsed.id === "string") {
              return parsed as %(Name)sRow;
            }
        """,
        name=name,
        Name=e.Name,
    )
    return [*lines, *handler, "  return null;", "}"]


def section_env_reader(g: Gen) -> list[str]:
    var = g.pick(("STRIPE_SECRET_KEY", "RESEND_API_KEY", "UPSTASH_REDIS_REST_URL", "SENTRY_DSN"))
    if g.chance("module_env"):
        const = var.lower().split("_")[0].upper() + "_CONFIG"
        return fill(
            """
            const %(const)s = {
              key: process.env.%(var)s ?? "",
              region: process.env.APP_REGION ?? "eu-west-1",
            };
            """,
            const=g.fresh(const),
            var=var,
        )
    name = g.fresh(f"get{pascal(var.split('_')[0].lower())}Config")
    g.exported_functions.append(name)
    return fill(
        """
        export async function %(name)s() {
          const key = process.env.%(var)s;
          if (!key) {
            throw new Error("%(var)s is not set");
          }
          return { key, region: process.env.APP_REGION ?? "eu-west-1" };
        }
        """,
        name=name,
        var=var,
    )


def section_types(g: Gen) -> list[str]:
    e = g.spec.entity
    suffix = g.pick(("Row", "Input", "Filters", "Snapshot", "Preview"))
    name = g.fresh(f"{e.Name}{suffix}Shape")
    extra = ["meta?: " + g.any_or("Record<string, unknown>") + ";"]
    return ["", *interface(name, e, extra)]


LIB_SECTIONS: tuple[Callable[[Gen], list[str]], ...] = (
    section_formatter,
    section_query,
    section_mutation,
    section_pure_helper,
    section_constants,
    section_class,
    section_error_handling,
    section_env_reader,
    section_types,
)


def grow(g: Gen, lines: list[str], sections: Sequence[Callable[[Gen], list[str]]]) -> None:
    """Append sections until the file reaches its target length."""
    while len(lines) < g.spec.target_lines:
        lines.append("")
        lines.extend(sections[g.rng.randrange(len(sections))](g))


# --- file kinds ---------------------------------------------------------------------


def lib_header(g: Gen) -> list[str]:
    e = g.spec.entity
    return [
        'import "server-only";',
        "",
        'import { prisma } from "@/lib/db";',
        'import { logger } from "@/lib/logger";',
        'import { recordAuditEvent } from "@/lib/audit";',
        'import { diffObjects, isRecord } from "@/lib/objects";',
        f'import type {{ {e.Name}Input, {e.Name}Row, {e.Name}Status }} from "@/types/{kebab(e.name)}";',
        "",
        "export interface ListOptions {",
        "  cursor?: string;",
        "  limit?: number;",
        "  includeArchived?: boolean;",
        "}",
    ]


def render_lib(g: Gen) -> list[str]:
    lines = lib_header(g)
    grow(g, lines, LIB_SECTIONS)
    return lines


def render_ai_lib(g: Gen) -> list[str]:
    """A module that calls a model: the home of the AI rules' findings."""
    e = g.spec.entity
    name = g.fresh(f"summarize{e.Plural}")
    g.exported_functions.append(name)
    model = f'"{g.pick(AI_MODEL_IDS)}"' if g.chance("hardcoded_model") else "DEFAULT_TEXT_MODEL"
    if g.chance("chat_completions"):
        call = fill(
            """
              const completion = await openai.chat.completions.create({
                model: %(model)s,
                messages: [
                  { role: "system", content: SYSTEM_PROMPT },
                  { role: "user", content: prompt },
                ],
              });
              return completion.choices[0]?.message.content ?? "";
            """,
            model=model,
        )
    else:
        call = fill(
            """
              const response = await openai.responses.create({
                model: %(model)s,
                instructions: SYSTEM_PROMPT,
                input: prompt,
              });
              return response.output_text;
            """,
            model=model,
        )
    lines = [
        'import "server-only";',
        "",
        'import { openai } from "@/lib/openai";',
        'import { DEFAULT_TEXT_MODEL } from "@/lib/ai-models";',
        f'import type {{ {e.Name}Row }} from "@/types/{kebab(e.name)}";',
        "",
        "const SYSTEM_PROMPT = [",
        f'  "You summarise {e.plural} for a busy operations team.",',
        '  "Answer in at most five bullet points, plain text, no markdown headings.",',
        '].join("\\n");',
        "",
        f"export async function {name}(items: readonly {e.Name}Row[]): Promise<string> {{",
        '  if (items.length === 0) return "";',
        "  const prompt = items",
        "    .slice(0, 50)",
        "    .map((item, index) => `${index + 1}. ${item.label} [${item.status}]`)",
        '    .join("\\n");',
        *call,
        "}",
    ]
    grow(g, lines, (section_formatter, section_pure_helper, section_error_handling))
    return lines


def route_context_type(g: Gen) -> list[str]:
    if not g.spec.params:
        return []
    members = "; ".join(f"{p}: string" for p in g.spec.params)
    return ["", f"type RouteContext = {{ params: Promise<{{ {members} }}> }};"]


def auth_lines(g: Gen, var: str) -> list[str]:
    if g.spec.public or g.chance("no_auth"):
        return []
    status = "" if g.chance("status_missing") else ", { status: 401 }"
    call = g.pick(("getCurrentUser()", "getCurrentUser()", "requireUser(request)"))
    if call.startswith("requireUser"):
        return [f"  const {var} = await {call};"]
    return [
        f"  const {var} = await {call};",
        f"  if (!{var}) {{",
        f'    return NextResponse.json({{ error: "Unauthorized" }}{status});',
        "  }",
    ]


def params_lines(g: Gen) -> tuple[str, list[str]]:
    """The handler's second parameter and the lines that read it."""
    if not g.spec.params:
        return "", []
    names = ", ".join(g.spec.params)
    if g.chance("sync_params"):
        members = "; ".join(f"{p}: string" for p in g.spec.params)
        first = g.spec.params[0]
        return (
            f", {{ params }}: {{ params: {{ {members} }} }}",
            [f"  const {first} = params.{first};"],
        )
    style = g.rng.randrange(3)
    if style == 0:
        return ", { params }: RouteContext", [f"  const {{ {names} }} = await params;"]
    if style == 1:
        return ", context: RouteContext", [f"  const {{ {names} }} = await context.params;"]
    return ", props: RouteContext", [f"  const {{ {names} }} = await props.params;"]


def handler_get(g: Gen) -> list[str]:
    e = g.spec.entity
    second, read = params_lines(g)
    model = e.name if e.is_model else "project"
    lines = [f"export async function GET(request: NextRequest{second}) {{"]
    lines += auth_lines(g, "user")
    lines += read
    if g.spec.params:
        key = g.spec.params[-1]
        lines += fill(
            """
              const record = await prisma.%(model)s.findUnique({ where: { id: %(key)s } });
              if (!record) {
                return NextResponse.json({ error: "Not found" }, { status: 404 });
              }
              return NextResponse.json(serialize(record));
            }
            """,
            model=model,
            key=key,
        )
        return lines
    lines += fill(
        """
          const { searchParams } = new URL(request.url);
          const page = Math.max(1, Number(searchParams.get("page") ?? "1"));
          const pageSize = Math.min(100, Number(searchParams.get("pageSize") ?? "20"));
          const [items, total] = await Promise.all([
            prisma.%(model)s.findMany({
              orderBy: { createdAt: "desc" },
              skip: (page - 1) * pageSize,
              take: pageSize,
            }),
            prisma.%(model)s.count(),
          ]);
          return NextResponse.json({ items: items.map(serialize), page, pageSize, total });
        }
        """,
        model=model,
    )
    return lines


def handler_write(g: Gen, method: str) -> list[str]:
    e = g.spec.entity
    second, read = params_lines(g)
    model = e.name if e.is_model else "project"
    schema = "update" + e.Name + "Schema" if method != "POST" else "create" + e.Name + "Schema"
    lines = [f"export async function {method}(request: NextRequest{second}) {{"]
    lines += auth_lines(g, "user")
    lines += read
    if g.rng.random() < 0.5:
        lines += fill(
            """
              const limited = await rateLimit(`%(segment)s:%(method)s:${request.headers.get("x-forwarded-for") ?? "anon"}`);
              if (!limited.success) {
                return NextResponse.json({ error: "Too many requests" }, { status: 429 });
              }
            """,
            segment=e.segment,
            method=method.lower(),
        )
    catch_status = "" if g.chance("status_missing") else ", { status: 400 }"
    if method == "DELETE":
        key = g.spec.params[-1] if g.spec.params else "id"
        body = fill(
            """
              try {
                await prisma.%(model)s.delete({ where: { id: %(key)s } });
              } catch (error) {
                logger.error({ err: error }, "delete failed");
                return NextResponse.json({ error: "Could not delete" }%(status)s);
              }
              return new Response(null, { status: 204 });
            }
            """,
            model=model,
            key=key,
            status=catch_status,
        )
        return lines + body
    where = f"{{ id: {g.spec.params[-1]} }}" if g.spec.params else "undefined"
    op = "create" if method == "POST" else "update"
    target = "" if op == "create" else f"where: {where}, "
    ok_status = "201" if op == "create" else "200"
    lines += fill(
        """
          const parsed = %(schema)s.safeParse(await request.json());
          if (!parsed.success) {
            return NextResponse.json(
              { error: "Invalid request", issues: parsed.error.flatten() }%(status)s,
            );
          }
          const saved = await prisma.%(model)s.%(op)s({ %(target)sdata: parsed.data });
          return NextResponse.json(serialize(saved), { status: %(ok)s });
        }
        """,
        schema=schema,
        status=catch_status,
        model=model,
        op=op,
        target=target,
        ok=ok_status,
    )
    return lines


def render_route(g: Gen) -> list[str]:
    e = g.spec.entity
    methods = ["GET"]
    if g.spec.params:
        methods += [
            m for m, p in (("PATCH", 0.6), ("DELETE", 0.45), ("PUT", 0.1)) if g.rng.random() < p
        ]
    elif g.rng.random() < 0.7:
        methods.append("POST")
    lines = [
        'import { NextResponse, type NextRequest } from "next/server";',
        'import { z } from "zod";',
        "",
        'import { getCurrentUser, requireUser } from "@/lib/auth";',
        'import { prisma } from "@/lib/db";',
        'import { logger } from "@/lib/logger";',
        'import { rateLimit } from "@/lib/ratelimit";',
    ]
    lines += route_context_type(g)
    lines += ["", 'export const dynamic = "force-dynamic";']
    if g.rng.random() < 0.2:
        lines.append(f"export const maxDuration = {g.pick(('10', '30', '60'))};")
    lines.append("")
    lines += zod_object(f"create{e.Name}Schema", e)
    lines.append("")
    lines += zod_object(f"update{e.Name}Schema", e, partial=True)
    lines.append("")
    exported = "export " if g.chance("route_helper_export") else ""
    lines += fill(
        """
        %(exported)sfunction serialize(record: { id: string; createdAt: Date; updatedAt: Date }) {
          return {
            ...record,
            createdAt: record.createdAt.toISOString(),
            updatedAt: record.updatedAt.toISOString(),
          };
        }
        """,
        exported=exported,
    )
    for method in methods:
        lines.append("")
        lines += handler_get(g) if method == "GET" else handler_write(g, method)
    grow(g, lines, (section_route_helper,))
    return lines


def section_route_helper(g: Gen) -> list[str]:
    name = g.fresh("parseSort")
    return fill(
        """
        function %(name)s(raw: string | null): { field: string; direction: "asc" | "desc" } {
          const [field = "createdAt", direction = "desc"] = (raw ?? "").split(":");
          const allowed = new Set(["createdAt", "updatedAt", "name", "status"]);
          return {
            field: allowed.has(field) ? field : "createdAt",
            direction: direction === "asc" ? "asc" : "desc",
          };
        }
        """,
        name=name,
    )


def render_ai_route(g: Gen) -> list[str]:
    model = f'"{g.pick(AI_MODEL_IDS)}"' if g.chance("hardcoded_model") else "DEFAULT_CHAT_MODEL"
    call = (
        "openai.chat.completions.create({ model: %s, messages, stream: true })"
        if g.chance("chat_completions")
        else "openai.responses.create({ model: %s, input: messages, stream: true })"
    ) % model
    lines = [
        'import { NextResponse } from "next/server";',
        'import { z } from "zod";',
        "",
        'import { DEFAULT_CHAT_MODEL } from "@/lib/ai-models";',
        'import { getCurrentUser } from "@/lib/auth";',
        'import { openai } from "@/lib/openai";',
        "",
        'export const runtime = "nodejs";',
        "",
        "const bodySchema = z.object({",
        '  messages: z.array(z.object({ role: z.enum(["user", "assistant"]), content: z.string() })),',
        "});",
        "",
        "export async function POST(request: Request) {",
        *auth_lines(g, "user"),
        "  const parsed = bodySchema.safeParse(await request.json());",
        "  if (!parsed.success) {",
        '    return NextResponse.json({ error: "Invalid body" }, { status: 400 });',
        "  }",
        "  const messages = parsed.data.messages;",
        f"  const stream = await {call};",
        "  return new Response(stream.toReadableStream(), {",
        '    headers: { "content-type": "text/event-stream" },',
        "  });",
        "}",
    ]
    grow(g, lines, (section_route_helper,))
    return lines


def page_props_type(g: Gen) -> list[str]:
    members = "; ".join(f"{p}: string" for p in g.spec.params) or ""
    return fill(
        """
        type PageProps = {
          params: Promise<{ %(members)s }>;
          searchParams: Promise<Record<string, string | string[] | undefined>>;
        };
        """,
        members=members,
    )


def render_page(g: Gen) -> list[str]:
    e = g.spec.entity
    sync = g.spec.params and g.chance("sync_params")
    first = g.spec.params[0] if g.spec.params else "slug"
    read = (
        [f"  const {first} = params.{first};"]
        if sync
        else [f"  const {{ {', '.join(g.spec.params)} }} = await params;"]
        if g.spec.params
        else []
    )
    lines = [
        'import type { Metadata } from "next";',
        'import { notFound } from "next/navigation";',
        'import { cookies } from "next/headers";',
        "",
        f'import {{ {e.Name}Table }} from "@/components/{kebab(e.name)}/{kebab(e.name)}-table";',
        f'import {{ list{e.Plural}ForTeam }} from "@/lib/{kebab(e.plural)}";',
        "",
        *page_props_type(g),
        "",
    ]
    if g.spec.params:
        lines += fill(
            """
            export async function generateMetadata({ params }: PageProps): Promise<Metadata> {
              const { %(first)s } = await params;
              return {
                title: `%(Plural)s · ${decodeURIComponent(%(first)s)}`,
                description: "Manage %(plural)s, owners and status in one place.",
              };
            }
            """,
            first=first,
            Plural=e.Plural,
            plural=e.plural,
        )
    else:
        lines += fill(
            """
            export const metadata: Metadata = {
              title: "%(Plural)s",
            };
            """,
            Plural=e.Plural,
        )
    scope = first if g.spec.params else '"current"'
    theme = (
        '  const theme = cookies().get("theme")?.value ?? "system";'
        if g.chance("sync_cookies")
        else '  const theme = (await cookies()).get("theme")?.value ?? "system";'
    )
    lines += [
        "",
        f"export default async function {e.Plural}Page({{ params, searchParams }}: PageProps) {{",
        *read,
        '  const { q = "", page = "1" } = await searchParams;',
        theme,
        f"  const result = await list{e.Plural}ForTeam({scope}, {{ limit: 50 }});",
        "  if (!result) notFound();",
        "  return (",
        '    <main className="mx-auto max-w-6xl space-y-6 p-6" data-theme={theme}>',
        '      <header className="flex items-center justify-between">',
        f'        <h1 className="text-2xl font-semibold tracking-tight">{e.Plural}</h1>',
        '        <p className="text-sm text-muted-foreground">',
        "          Page {page}{q ? ` · filtered by “${String(q)}”` : null}",
        "        </p>",
        "      </header>",
        f"      <{e.Name}Table rows={{result.items}} nextCursor={{result.nextCursor}} />",
        "    </main>",
        "  );",
        "}",
    ]
    grow(g, lines, (section_server_fragment,))
    return lines


def section_server_fragment(g: Gen) -> list[str]:
    name = g.fresh("SectionCard")
    return fill(
        """
        function %(name)s({ title, children }: { title: string; children: React.ReactNode }) {
          return (
            <section className="rounded-lg border bg-card p-4 shadow-sm">
              <h2 className="mb-2 text-sm font-medium uppercase text-muted-foreground">{title}</h2>
              {children}
            </section>
          );
        }
        """,
        name=name,
    )


def render_layout(g: Gen) -> list[str]:
    e = g.spec.entity
    props = "children, params }: { children: React.ReactNode; params: Promise<{ %s: string }> }" % (
        g.spec.params[0] if g.spec.params else "team"
    )
    lines = [
        'import type { Metadata } from "next";',
        'import Link from "next/link";',
        "",
        'import { getCurrentUser } from "@/lib/auth";',
        "",
        "export async function generateMetadata(): Promise<Metadata> {",
        f'  return {{ title: {{ template: "%s · {e.Plural}", default: "{e.Plural}" }} }};',
        "}",
        "",
        f"export default async function {e.Plural}Layout({{ {props}) {{",
        "  const user = await getCurrentUser();",
        "  return (",
        '    <div className="grid min-h-screen grid-cols-[240px_1fr]">',
        '      <nav className="border-r p-4">',
        f'        <Link href="/{e.segment}" className="block font-medium">{e.Plural}</Link>',
        '        {user ? <span className="text-xs">{user.email}</span> : null}',
        "      </nav>",
        '      <div className="p-6">{children}</div>',
        "    </div>",
        "  );",
        "}",
    ]
    grow(g, lines, (section_server_fragment,))
    return lines


def section_component(g: Gen) -> list[str]:
    e = g.spec.entity
    name = g.fresh(f"{e.Name}{g.pick(UI_WORDS)}")
    handler = g.any_or("React.MouseEvent<HTMLButtonElement>")
    return fill(
        """
        export function %(name)s({ rows, onSelect, className }: %(Name)sListProps) {
          const [query, setQuery] = useState("");
          const [selected, setSelected] = useState<string | null>(null);
          const visible = useMemo(() => {
            const needle = query.trim().toLowerCase();
            return needle ? rows.filter((row) => row.label.toLowerCase().includes(needle)) : rows;
          }, [rows, query]);

          const handleClick = useCallback(
            (id: string) => (event: %(handler)s) => {
              event.preventDefault();
              setSelected(id);
              onSelect?.(id);
            },
            [onSelect],
          );

          if (visible.length === 0) {
            return <p className="py-8 text-center text-sm text-muted-foreground">No %(plural)s match “{query}”.</p>;
          }

          return (
            <div className={cn("space-y-3", className)}>
              <input
                value={query}
                onChange={(event) => setQuery(event.target.value)}
                placeholder="Search %(plural)s"
                className="w-full rounded-md border px-3 py-2 text-sm"
              />
              <ul role="list" className="divide-y rounded-md border">
                {visible.map((row) => (
                  <li
                    key={row.id}
                    className={cn("flex items-center justify-between px-3 py-2", row.id === selected && "bg-muted")}
                  >
                    <Link href={`/%(segment)s/${row.id}`} className="font-medium hover:underline">
                      {row.label}
                    </Link>
                    <Button variant="ghost" size="sm" onClick={handleClick(row.id)}>
                      Open
                    </Button>
                  </li>
                ))}
              </ul>
            </div>
          );
        }
        """,
        name=name,
        Name=e.Name,
        plural=e.plural,
        segment=e.segment,
        handler=handler,
    )


def section_small_component(g: Gen) -> list[str]:
    name = g.fresh(g.pick(("StatusBadge", "EmptyState", "Toolbar", "MetricTile", "Avatar")))
    return fill(
        """
        function %(name)s({ label, tone = "neutral" }: { label: string; tone?: "neutral" | "good" | "bad" }) {
          const styles = {
            neutral: "bg-muted text-foreground",
            good: "bg-emerald-100 text-emerald-900",
            bad: "bg-red-100 text-red-900",
          } as const;
          return <span className={cn("rounded px-2 py-0.5 text-xs font-medium", styles[tone])}>{label}</span>;
        }
        """,
        name=name,
    )


def section_columns(g: Gen) -> list[str]:
    e = g.spec.entity
    const = g.fresh("columns")
    lines = [
        f"const {const}: ReadonlyArray<{{ key: keyof {e.Name}ListRow; header: string; width?: number }}> = ["
    ]
    lines += [
        f'  {{ key: "{f[0]}", header: "{pascal(f[0])}", width: {g.rng.randint(80, 240)} }},'
        for f in e.fields
    ]
    lines.append("];")
    return lines


def render_component(g: Gen) -> list[str]:
    e = g.spec.entity
    client = g.rng.random() < 0.6
    lines = ['"use client";', ""] if client else []
    lines += [
        'import { useCallback, useMemo, useState } from "react";',
        'import Link from "next/link";',
        "",
        'import { Button } from "@/components/ui/button";',
        'import { cn } from "@/lib/utils";',
        "",
        f"export interface {e.Name}ListRow {{",
        "  id: string;",
        "  label: string;",
        "  status: string;",
        *[f"  {f[0]}: {type_of(f)};" for f in e.fields],
        "}",
        "",
        f"interface {e.Name}ListProps {{",
        f"  rows: {e.Name}ListRow[];",
        "  onSelect?: (id: string) => void;",
        "  className?: string;",
        "}",
        "",
        *section_component(g),
    ]
    grow(g, lines, (section_component, section_small_component, section_columns))
    return lines


def render_hook(g: Gen) -> list[str]:
    e = g.spec.entity
    name = g.fresh(f"use{e.Plural}")
    g.exported_functions.append(name)
    lines = fill(
        """
        "use client";

        import { useEffect, useRef, useState } from "react";

        type State<T> =
          | { status: "idle" | "loading"; data?: undefined; error?: undefined }
          | { status: "success"; data: T; error?: undefined }
          | { status: "error"; data?: undefined; error: Error };

        export function %(name)s(query: string, { debounceMs = 250 } = {}) {
          const [state, setState] = useState<State<%(Name)sResult[]>>({ status: "idle" });
          const controller = useRef<AbortController | null>(null);

          useEffect(() => {
            const timer = setTimeout(async () => {
              controller.current?.abort();
              const current = (controller.current = new AbortController());
              setState({ status: "loading" });
              try {
                const response = await fetch(`/api/%(segment)s?q=${encodeURIComponent(query)}`, {
                  signal: current.signal,
                });
                if (!response.ok) throw new Error(`HTTP ${response.status}`);
                const body = (await response.json()) as { items: %(Name)sResult[] };
                setState({ status: "success", data: body.items });
              } catch (error) {
                if (current.signal.aborted) return;
                setState({ status: "error", error: error instanceof Error ? error : new Error(String(error)) });
              }
            }, debounceMs);
            return () => clearTimeout(timer);
          }, [query, debounceMs]);

          return state;
        }

        export interface %(Name)sResult {
          id: string;
          label: string;
        }
        """,
        name=name,
        Name=e.Name,
        segment=e.segment,
    )
    grow(g, lines, (section_pure_helper,))
    return lines


def render_types(g: Gen) -> list[str]:
    e = g.spec.entity
    statuses = " | ".join(f'"{s}"' for s in STATUSES[:4])
    lines = [f"export type {e.Name}Status = {statuses};", ""]
    if e.is_model and g.chance("model_twin"):
        # A hand-written twin of the Prisma model (prisma-generated-types).
        lines += [*interface(e.Name, e, ["createdAt: Date;"]), ""]
    lines += interface(
        f"{e.Name}Row", e, ["label: string;", f"status: {e.Name}Status;", "updatedAt: Date | null;"]
    )
    lines += ["", f'export type {e.Name}Input = Omit<{e.Name}Row, "id" | "updatedAt">;']
    grow(g, lines, (section_types,))
    return lines


def render_action(g: Gen) -> list[str]:
    e = g.spec.entity
    name = g.fresh(f"save{e.Name}Action")
    g.exported_functions.append(name)
    lines = [
        '"use server";',
        "",
        'import { revalidatePath } from "next/cache";',
        'import { headers } from "next/headers";',
        'import { z } from "zod";',
        "",
        'import { getCurrentUser } from "@/lib/auth";',
        'import { prisma } from "@/lib/db";',
        "",
        *zod_object("formSchema", e, partial=True),
        "",
        f"export async function {name}(_previous: unknown, formData: FormData) {{",
        "  const user = await getCurrentUser();",
        '  if (!user) return { ok: false, error: "Sign in again" } as const;',
        "  const requestHeaders = await headers();",
        '  const origin = requestHeaders.get("origin") ?? "";',
        "  const parsed = formSchema.safeParse(Object.fromEntries(formData));",
        "  if (!parsed.success) {",
        '    return { ok: false, error: parsed.error.issues[0]?.message ?? "Invalid input" } as const;',
        "  }",
        f"  await prisma.{e.name if e.is_model else 'project'}.update({{",
        '    where: { id: String(formData.get("id")) },',
        "    data: parsed.data,",
        "  });",
        f'  revalidatePath("/{e.segment}");',
        "  return { ok: true, origin } as const;",
        "}",
    ]
    grow(g, lines, (section_formatter, section_types))
    return lines


def render_test(g: Gen) -> list[str]:
    e = g.spec.entity
    lines = [
        'import { describe, expect, it, vi } from "vitest";',
        "",
        f'import {{ chunk, groupBy }} from "@/lib/{kebab(e.plural)}";',
        "",
        f'describe("{e.plural}", () => {{',
    ]
    while len(lines) < g.spec.target_lines:
        case = g.fresh("case")
        lines += fill(
            """
              it("groups %(plural)s by status (%(case)s)", () => {
                const rows = [
                  { id: "a", status: "active" },
                  { id: "b", status: "paused" },
                  { id: "c", status: "active" },
                ];
                expect(groupBy(rows, (row) => row.status)).toEqual({
                  active: [rows[0], rows[2]],
                  paused: [rows[1]],
                });
                expect(chunk(rows, 2)).toHaveLength(2);
                const spy = vi.fn();
                rows.forEach(spy);
                expect(spy).toHaveBeenCalledTimes(3);
              });
            """,
            plural=e.plural,
            case=case,
        )
    lines.append("});")
    return lines


def render_js(g: Gen) -> list[str]:
    """Plain JavaScript with JSDoc types, as in older parts of a codebase."""
    e = g.spec.entity
    lines = [
        "// @ts-check",
        "",
        'import { prisma } from "../lib/db.js";',
        "",
    ]
    while len(lines) < g.spec.target_lines:
        name = g.fresh(f"{g.pick(VERBS)}{e.Plural}")
        g.exported_functions.append(name)
        lines += fill(
            """
            /**
             * @param {string} teamId
             * @param {{ limit?: number }} [options]
             * @returns {Promise<Array<{ id: string }>>}
             */
            export async function %(name)s(teamId, options = {}) {
              const limit = options.limit ?? 50;
              const rows = await prisma.%(model)s.findMany({ where: { teamId }, take: limit });
              return rows.filter((row) => !row.archivedAt);
            }

            """,
            name=name,
            model=e.name if e.is_model else "project",
        )
    return lines


def render_mjs(g: Gen) -> list[str]:
    e = g.spec.entity
    lines = fill(
        """
        #!/usr/bin/env node
        import { readFile } from "node:fs/promises";
        import { PrismaClient } from "@prisma/client";

        const prisma = new PrismaClient();

        async function main() {
          const file = process.argv[2] ?? "fixtures/%(plural)s.json";
          const rows = JSON.parse(await readFile(file, "utf8"));
          let created = 0;
          for (const batch of chunks(rows, 100)) {
            const result = await prisma.%(model)s.createMany({ data: batch, skipDuplicates: true });
            created += result.count;
          }
          console.log(`seeded ${created} %(plural)s from ${file}`);
        }

        function* chunks(items, size) {
          for (let index = 0; index < items.length; index += size) {
            yield items.slice(index, index + size);
          }
        }

        main()
          .catch((error) => {
            console.error(error);
            process.exitCode = 1;
          })
          .finally(() => prisma.$disconnect());
        """,
        plural=e.plural,
        model=e.name if e.is_model else "project",
    )
    while len(lines) < g.spec.target_lines:
        lines += ["", f"// step {g.fresh('s')}: keep in sync with the migration of the same name"]
    return lines


def render_cjs(g: Gen) -> list[str]:
    lines = fill(
        """
        /** @type {import("tailwindcss").Config} */
        const path = require("node:path");

        const content = ["./app/**/*.{ts,tsx}", "./components/**/*.{ts,tsx}"].map((glob) =>
          path.join(__dirname, glob),
        );

        module.exports = {
          content,
          darkMode: ["class"],
          theme: {
            extend: {
              colors: {
                border: "hsl(var(--border))",
                background: "hsl(var(--background))",
                foreground: "hsl(var(--foreground))",
              },
              borderRadius: { lg: "var(--radius)", md: "calc(var(--radius) - 2px)" },
            },
          },
          plugins: [require("tailwindcss-animate")],
        };
        """
    )
    while len(lines) < g.spec.target_lines:
        lines += ["", f'module.exports.preset{g.fresh("V")} = {{ prefix: "tw-" }};']
    return lines


def render_dts(g: Gen) -> list[str]:
    lines = fill(
        """
        declare namespace NodeJS {
          interface ProcessEnv {
            readonly NODE_ENV: "development" | "production" | "test";
            readonly DATABASE_URL: string;
            readonly OPENAI_API_KEY?: string;
            readonly STRIPE_SECRET_KEY?: string;
          }
        }

        declare module "*.svg" {
          import type { FC, SVGProps } from "react";
          const Component: FC<SVGProps<SVGSVGElement>>;
          export default Component;
        }

        declare module "legacy-analytics" {
          export function track(event: string, properties?: %(props)s): void;
        }

        interface Window {
          __APP_CONFIG__?: { release: string; region: string };
        }
        """,
        props=g.any_or("Record<string, unknown>"),
    )
    grow(g, lines, (section_types,))
    return lines


def render_long_messages(g: Gen) -> list[str]:
    """A generated-looking long file (2,000-5,000 lines): a catalogue of messages."""
    lines = [
        "// Generated from the translation platform. Edit there, not here.",
        "export const messages = {",
    ]
    index = 0
    while len(lines) < g.spec.target_lines:
        entity = g.other_entity()
        index += 1
        lines += [
            f'  "{entity.segment}.{index}.title": "{entity.Plural} — page {index}",',
            f'  "{entity.segment}.{index}.empty": "No {entity.plural} yet. Create the first one to get started.",',
            f'  "{entity.segment}.{index}.error": "We could not load {entity.plural}. Try again in a moment.",',
        ]
    lines += ["} as const;", "", "export type MessageKey = keyof typeof messages;"]
    return lines


def render_long_schemas(g: Gen) -> list[str]:
    """A long registry of validation schemas."""
    lines = ['import { z } from "zod";', ""]
    while len(lines) < g.spec.target_lines:
        entity = g.other_entity()
        lines += zod_object(g.fresh(f"{entity.name}Schema"), entity)
        lines.append("")
    return lines


def render_models_module(g: Gen) -> list[str]:
    return fill(
        """
        // The one place model ids live (no-hardcoded-model): change a model here, nowhere else.
        export const DEFAULT_TEXT_MODEL = "gpt-4.1-mini";
        export const DEFAULT_CHAT_MODEL = "gpt-4.1";
        export const EMBEDDING_MODEL = "text-embedding-3-small";
        export const FALLBACK_MODEL = "claude-3-5-haiku-latest";

        export type TextModel = typeof DEFAULT_TEXT_MODEL | typeof DEFAULT_CHAT_MODEL;
        """
    )


def render_db_module(g: Gen) -> list[str]:
    return fill(
        """
        import { PrismaClient } from "@prisma/client";

        const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };

        export const prisma =
          globalForPrisma.prisma ??
          new PrismaClient({
            log: process.env.NODE_ENV === "development" ? ["query", "warn", "error"] : ["error"],
          });

        if (process.env.NODE_ENV !== "production") {
          globalForPrisma.prisma = prisma;
        }
        """
    )


def render_auth_module(g: Gen) -> list[str]:
    g.exported_functions += ["getCurrentUser", "requireUser"]
    return fill(
        """
        import "server-only";

        import { cookies } from "next/headers";

        import { prisma } from "@/lib/db";

        export interface SessionUser {
          id: string;
          email: string;
          teamId: string;
          role: "owner" | "admin" | "member";
        }

        export async function getCurrentUser(): Promise<SessionUser | null> {
          const token = (await cookies()).get("session")?.value;
          if (!token) return null;
          const session = await prisma.session.findUnique({
            where: { token },
            select: { user: { select: { id: true, email: true, teamId: true, role: true } } },
          });
          return session?.user ?? null;
        }

        export async function requireUser(request: Request): Promise<SessionUser> {
          const user = await getCurrentUser();
          if (!user) {
            throw new Response("Unauthorized", { status: 401, headers: { "x-path": new URL(request.url).pathname } });
          }
          return user;
        }
        """
    )


def render_openai_module(g: Gen) -> list[str]:
    g.exported_functions.append("getOpenAI")
    return fill(
        """
        import OpenAI from "openai";

        let client: OpenAI | undefined;

        export function getOpenAI(): OpenAI {
          client ??= new OpenAI({ apiKey: process.env.OPENAI_API_KEY });
          return client;
        }

        export const openai = new Proxy({} as OpenAI, {
          get: (_target, property) => Reflect.get(getOpenAI(), property),
        });
        """
    )


RENDERERS: dict[str, Callable[[Gen], list[str]]] = {
    "lib": render_lib,
    "ai-lib": render_ai_lib,
    "route": render_route,
    "ai-route": render_ai_route,
    "page": render_page,
    "layout": render_layout,
    "component": render_component,
    "hook": render_hook,
    "types": render_types,
    "action": render_action,
    "test": render_test,
    "js": render_js,
    "mjs": render_mjs,
    "cjs": render_cjs,
    "dts": render_dts,
    "long-messages": render_long_messages,
    "long-schemas": render_long_schemas,
    "long-component": render_component,
    "models": render_models_module,
    "db": render_db_module,
    "auth": render_auth_module,
    "openai": render_openai_module,
}

# Share of the source files of each kind (a product monorepo is mostly components
# and library code; route handlers are about one file in ten).
KIND_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("component", 0.30),
    ("lib", 0.19),
    ("route", 0.10),
    ("ai-route", 0.01),
    ("ai-lib", 0.02),
    ("page", 0.08),
    ("layout", 0.02),
    ("hook", 0.05),
    ("types", 0.06),
    ("action", 0.03),
    ("test", 0.07),
    ("js", 0.03),
    ("mjs", 0.015),
    ("cjs", 0.01),
    ("dts", 0.015),
)

LONG_KINDS = ("long-component", "long-messages", "long-schemas")


# --- the plan -----------------------------------------------------------------------


@dataclass
class Plan:
    """Every path in the tree with how to render it, decided before rendering."""

    rng: random.Random
    entities: list[Entity]
    sources: list[FileSpec] = field(default_factory=list)
    data_files: dict[str, str] = field(default_factory=dict)  # path -> text
    used: set[str] = field(default_factory=set)

    def claim(self, path: str) -> str | None:
        if path in self.used:
            return None
        self.used.add(path)
        return path


def target_length(rng: random.Random) -> int:
    """Lines of a typical source file: log-normal, median ~70, rarely over 600."""
    return max(12, min(900, int(math.exp(rng.gauss(math.log(70), 0.75)))))


def unique_path(plan: Plan, make: Callable[[int], str]) -> str:
    attempt = 0
    while True:
        path = plan.claim(make(attempt))
        if path is not None:
            return path
        attempt += 1


def suffix(attempt: int) -> str:
    return "" if attempt == 0 else f"-{attempt + 1}"


def source_path(
    plan: Plan, kind: str, root: str, e: Entity, rng: random.Random
) -> tuple[str, tuple[str, ...], bool]:
    """(path, dynamic route params, public) for a new file of `kind` under `root`."""
    seg, name = e.segment, kebab(e.name)
    word = kebab(rng.choice(UI_WORDS)).lower()
    area = rng.choice(("", "(dashboard)/", "(app)/", "settings/", "(marketing)/"))
    if kind == "route":
        group = rng.choice(("", "v1/", "internal/", "admin/", "webhooks/", "public/", "health/"))
        public = group in ("webhooks/", "health/")
        nested = rng.random() < 0.5
        params: tuple[str, ...] = ("id",) if nested else ()
        if nested and rng.random() < 0.25:
            params = ("teamId", "id")

        def make(attempt: int) -> str:
            base = f"{root}/app/api/{group}{seg}{suffix(attempt)}"
            if params == ("teamId", "id"):
                base = f"{root}/app/api/{group}teams/[teamId]/{seg}{suffix(attempt)}/[id]"
            elif params:
                base += "/[id]"
            if attempt > 3:
                base += (
                    f"/{rng.choice(('export', 'stats', 'sync', 'bulk', 'search'))}{suffix(attempt)}"
                )
            return base + "/route.ts"

        return unique_path(plan, make), params, public
    if kind == "ai-route":
        return (
            unique_path(plan, lambda a: f"{root}/app/api/ai/{seg}{suffix(a)}/route.ts"),
            (),
            False,
        )
    if kind in ("page", "layout"):
        params = ("slug",) if rng.random() < 0.5 else ()
        stem = "page" if kind == "page" else "layout"

        def make_page(attempt: int) -> str:
            base = f"{root}/app/{area}{seg}{suffix(attempt)}"
            if params:
                base += "/[slug]"
            return f"{base}/{stem}.tsx"

        return unique_path(plan, make_page), params, False
    simple = {
        "component": lambda a: f"{root}/components/{name}/{name}-{word}{suffix(a)}.tsx",
        "lib": lambda a: (
            f"{root}/lib/{seg}{suffix(a)}.ts" if a < 2 else f"{root}/lib/{seg}/{word}{suffix(a)}.ts"
        ),
        "ai-lib": lambda a: f"{root}/lib/ai/{name}-{word}{suffix(a)}.ts",
        "hook": lambda a: f"{root}/hooks/use-{seg}{suffix(a)}.ts",
        "types": lambda a: f"{root}/types/{name}{suffix(a)}.ts",
        "action": lambda a: f"{root}/app/{area}{seg}/actions{suffix(a)}.ts",
        "test": lambda a: f"{root}/__tests__/{seg}-{word}{suffix(a)}.test.ts",
        "js": lambda a: f"{root}/legacy/{seg}-{word}{suffix(a)}.js",
        "mjs": lambda a: f"{root}/scripts/seed-{seg}{suffix(a)}.mjs",
        "cjs": lambda a: f"{root}/config/tailwind-{word}{suffix(a)}.cjs",
        "dts": lambda a: f"{root}/types/{word}{suffix(a)}.d.ts",
        "long-messages": lambda a: f"{root}/lib/i18n/{seg}-messages{suffix(a)}.ts",
        "long-schemas": lambda a: f"{root}/lib/generated/{seg}-schemas{suffix(a)}.ts",
        "long-component": lambda a: f"{root}/components/admin/{name}-{word}-grid{suffix(a)}.tsx",
    }
    return unique_path(plan, simple[kind]), (), False


def package_json(name: str, rng: random.Random, bad: bool, deps: Sequence[str]) -> str:
    scripts = {
        "dev": "next dev --turbopack",
        "build": "next build",
        "start": "next start",
        "lint": "next lint",
        "test": "vitest run",
        "typecheck": "tsc --noEmit",
    }
    document: dict[str, object] = {"name": name, "version": "0.0.0", "private": True}
    if bad:
        # The kind of drift pnpm-only catches: a script that shells out to npx.
        scripts["db:generate"] = "npx prisma generate"
    document["scripts"] = scripts
    document["dependencies"] = {dep: f"^{rng.randint(1, 19)}.{rng.randint(0, 9)}.0" for dep in deps}
    return json.dumps(document, indent=2) + "\n"


def build_plan(total_files: int, seed: str) -> Plan:
    rng = random.Random(f"{seed}/plan")
    plan = Plan(rng, make_entities(random.Random(f"{seed}/entities")))
    n_apps = max(1, min(len(APP_NAMES), total_files // 1600 + 1))
    n_packages = max(1, min(len(PACKAGE_NAMES), total_files // 800 + 1))
    apps = [f"apps/{name}" for name in APP_NAMES[:n_apps]]
    packages = [f"packages/{name}" for name in PACKAGE_NAMES[:n_packages]]

    plan.data_files["package.json"] = (
        json.dumps(
            {
                "name": "acme-platform",
                "private": True,
                "packageManager": "pnpm@9.12.0",
                "scripts": {
                    "build": "turbo run build",
                    "lint": "turbo run lint",
                    "test": "turbo run test",
                },
                "devDependencies": {"turbo": "^2.1.0", "typescript": "^5.6.0"},
            },
            indent=2,
        )
        + "\n"
    )
    plan.data_files["pnpm-workspace.yaml"] = WORKSPACE_YAML
    plan.data_files[".gitignore"] = "node_modules\n.next\ndist\ncoverage\n.env*.local\n"
    plan.data_files["prisma/schema.prisma"] = prisma_schema(plan.entities)
    for index, root in enumerate(apps):
        deps = ("next", "react", "react-dom", "zod", "@prisma/client", "openai")
        plan.data_files[f"{root}/package.json"] = package_json(
            f"@acme/{root.split('/')[1]}", rng, bad=index == 1, deps=deps
        )
    for root in packages:
        plan.data_files[f"{root}/package.json"] = package_json(
            f"@acme/{root.split('/')[1]}", rng, bad=False, deps=("zod",)
        )
    if len(packages) > 3:
        # A stray npm lockfile in one package, as happens after one `npm install`.
        stray = packages[3]
        lockfile = {"name": f"@acme/{stray.split('/')[1]}", "lockfileVersion": 3, "packages": {}}
        plan.data_files[f"{stray}/package-lock.json"] = json.dumps(lockfile, indent=2) + "\n"
    plan.used.update(plan.data_files)
    plan.used.add("readme/structure.md")

    # Every app has the modules the others import.
    for root in apps:
        for kind, rel in (
            ("db", "lib/db.ts"),
            ("auth", "lib/auth.ts"),
            ("models", "lib/ai-models.ts"),
            ("openai", "lib/openai.ts"),
        ):
            path = f"{root}/{rel}"
            plan.used.add(path)
            plan.sources.append(FileSpec(path, kind, plan.entities[0], 0, root))

    budget = total_files - len(plan.data_files) - 1 - len(plan.sources)  # 1: structure.md
    if budget < 0:
        raise SystemExit(f"--files must be at least {total_files - budget}")
    n_long = min(budget, max(1, total_files // 1500))
    kinds = [k for k, _ in KIND_WEIGHTS]
    weights = [w for _, w in KIND_WEIGHTS]
    roots = apps + packages
    for index in range(budget):
        kind = (
            LONG_KINDS[index % len(LONG_KINDS)]
            if index < n_long
            else rng.choices(kinds, weights)[0]
        )
        # Next.js files live in apps; libraries, components and types also in packages.
        in_app = kind in ("route", "ai-route", "page", "layout", "action") or rng.random() < 0.7
        root = rng.choice(apps) if in_app else rng.choice(roots)
        entity = rng.choice(plan.entities)
        path, params, public = source_path(plan, kind, root, entity, rng)
        lines = rng.randint(2000, 5000) if index < n_long else target_length(rng)
        plan.sources.append(FileSpec(path, kind, entity, lines, root, params, public))
    return plan


def prisma_schema(entities: Sequence[Entity]) -> str:
    out = [
        "generator client {",
        '  provider = "prisma-client-js"',
        "}",
        "",
        "datasource db {",
        '  provider = "postgresql"',
        '  url      = env("DATABASE_URL")',
        "}",
    ]
    for entity in entities[:PRISMA_MODELS]:
        out += ["", f"model {entity.Name} {{", "  id        String   @id @default(cuid())"]
        out += [f"  {f[0]:<9} {f[3]}" for f in entity.fields]
        out += [
            "  teamId    String",
            "  createdAt DateTime @default(now())",
            "  updatedAt DateTime @updatedAt",
            "",
            "  @@index([teamId, createdAt])",
            "}",
        ]
    return "\n".join(out) + "\n"


def structure_doc(documented: Sequence[tuple[str, Sequence[str]]]) -> str:
    out = [
        STRUCTURE_TITLE,
        "",
        "Read this before adding a function: it may already exist. Every exported function",
        "under `lib/` is listed with the file that holds it.",
        "",
    ]
    for path, names in documented:
        if names:
            out += [f"## `{path}`", ""]
            out += [f"- `{name}()`" for name in names]
            out.append("")
    return "\n".join(out)


# --- writing ------------------------------------------------------------------------


def render(spec: FileSpec, entities: Sequence[Entity], seed: str) -> tuple[str, list[str]]:
    """(text, exported function names) of one file, from its own random stream."""
    g = Gen(random.Random(f"{seed}/file/{spec.path}"), spec, entities)
    lines = RENDERERS[spec.kind](g)
    return "\n".join(lines) + "\n", g.exported_functions


def generate(total_files: int, out: Path, seed: str = DEFAULT_SEED) -> int:
    """Write the tree under `out` (emptied first); returns the number of files."""
    plan = build_plan(total_files, seed)
    if out.exists() and any(out.iterdir()):
        if not looks_generated(out):
            raise SystemExit(
                f"{out} is not empty and not a tree from this generator: not touching it"
            )
        shutil.rmtree(out)
    written = 0
    documented: list[tuple[str, list[str]]] = []
    doc_rng = random.Random(f"{seed}/structure")
    for spec in plan.sources:
        text, exported = render(spec, plan.entities, seed)
        write(out / spec.path, text)
        written += 1
        if "/lib/" in f"/{spec.path}":
            keep = [n for n in exported if doc_rng.random() >= RATE["undocumented"]]
            documented.append((spec.path, keep))
    for path, text in plan.data_files.items():
        write(out / path, text)
        written += 1
    write(out / "readme/structure.md", structure_doc(documented))
    return written + 1


def looks_generated(out: Path) -> bool:
    """Only a directory this script wrote may be emptied (never a user's checkout)."""
    try:
        doc = (out / "readme/structure.md").read_text(encoding="utf-8")
        workspace = (out / "pnpm-workspace.yaml").read_text(encoding="utf-8")
    except OSError:
        return False
    return doc.startswith(STRUCTURE_TITLE) and workspace == WORKSPACE_YAML


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--files", type=int, default=DEFAULT_FILES, help="files to write (default 5000)"
    )
    parser.add_argument("--out", type=Path, required=True, help="directory (emptied first)")
    parser.add_argument("--seed", default=DEFAULT_SEED, help="another seed, another tree")
    args = parser.parse_args(argv)
    count = generate(args.files, args.out, args.seed)
    print(f"wrote {count} files to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
