"""prisma-generated-types: a hand-written interface or object type named like a model of
the scanned tree's Prisma schema (the twin of a type Prisma already generates).

Two halves. `collect` runs with the file rules, on the tree the workers parsed anyway
(and is cached with the file): it lists the names the file may declare interfaces and
type aliases under, whatever they are, so the cached list does not depend on the
schema (every name it declares them under, and a name in a comment or string spelled
like a declaration too: that costs the project check one parse, never a finding).
`check_project` parses only the files that may declare a model's name (few), and the
files analysed without the collector (`--changed-since` leaving them out, a crash).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.bindings import NAME_BYTES, word_starts
from nextaudit.analysis.syntax import ancestors, text
from nextaudit.context import CollectContext, ProjectContext
from nextaudit.project import NOT_COLLECTED, Project
from nextaudit.source import SourceFile

TYPESCRIPT_SUFFIXES = (".ts", ".tsx", ".mts", ".cts")
_DECLARATIONS = """
(interface_declaration name: (type_identifier) @name) @declaration
(type_alias_declaration name: (type_identifier) @name value: (_) @value) @declaration
"""
# Each declaration starts with its keyword token: found from the bytes, not by a query
# walking the whole tree.
_KEYWORDS = ((b"interface", "interface_declaration"), (b"type", "type_alias_declaration"))
# Made at import, so the shared scan of each file answers it (a question first asked
# by the first file's collector would rebuild the scanner's set mid-run).
_KEYWORD_QUESTION = prefilter.has(b"interface", b"type")

# Files a generator wrote (prisma-kysely, zod generators...) announce it in their
# first lines (the first 500 bytes of the file's text, as UTF-8 without a BOM); their
# object types named like models are not hand-written.
_GENERATED_BANNER = re.compile(
    rb"@generated|do not edit|auto-?generated|(?:file|code) (?:was |is )?generated",
    re.IGNORECASE,
)
_BANNER_BYTES = 500
# Augmentations of another library's types (`declare module "next-auth" { interface
# User ... }`, `declare global { namespace Express { interface User ... } }`).
_AMBIENT = "ambient_declaration"
_NAMESPACES = frozenset({"internal_module", "module"})
_COMPOSITE_TYPES = frozenset({"parenthesized_type", "union_type", "intersection_type"})


def _typescript_sources(project: Project) -> Iterator[str]:
    """The names (`Project.source_names`) of the TypeScript sources: a Path is made
    only for a file the check reads."""
    for name in project.source_names():
        if name.endswith(TYPESCRIPT_SUFFIXES):
            yield name


def _is_object_type(value: ts.Node) -> bool:
    """`{ ... }` (a mapped type `{ [K in keyof T]: ... }` derives a type, it does not
    write one), or a union / intersection made only of such literals (`{...} & {...}`).
    An intersection with any named type (`Prisma.UserGetPayload<...> & { extra }`,
    `Base & { ... }`) builds on another type and is not flagged."""
    pending = [value]
    seen_object = False
    while pending:
        node = pending.pop()
        if node.type in _COMPOSITE_TYPES:
            pending.extend(node.named_children)
        elif node.type == "object_type":
            if any(
                member.type == "index_signature"
                and any(c.type == "mapped_type_clause" for c in member.named_children)
                for member in node.named_children
            ):
                return False
            seen_object = True
        else:
            return False
    return seen_object


def _is_augmentation(declaration: ts.Node, source: SourceFile) -> bool:
    """Inside `declare ...` (module, global, namespace), or inside a namespace of a
    `.d.ts` file (ambient there even without `declare`)."""
    for ancestor in ancestors(declaration):
        if ancestor.type == _AMBIENT:
            return True
        if ancestor.type in _NAMESPACES and source.is_declaration_file:
            return True
    return False


def _declarations(source: SourceFile) -> list[ts.Node]:
    """The file's interface and type alias declarations, in source order."""
    if not prefilter.ENABLED:  # the query they were found by before (tests compare)
        return [m["declaration"][0] for m in source.matches(_DECLARATIONS)]
    root, content = source.root, source.content
    found: list[ts.Node] = []
    for word, kind in _KEYWORDS:
        for at in word_starts(content, word):
            # The smallest named node around the keyword token is its declaration,
            # which starts with it.
            node = root.named_descendant_for_byte_range(at, at + len(word))
            if node is not None and node.type == kind and node.start_byte == at:
                found.append(node)
    return sorted(found, key=lambda node: node.start_byte)


def _twin_kind(declaration: ts.Node, source: SourceFile) -> str | None:
    """ "interface" or "object type" when `declaration` is a hand-written type a model
    could have (its name aside), else None."""
    if declaration.type == "interface_declaration":
        kind = "interface"
    else:
        value = declaration.child_by_field_name("value")
        if value is None or not _is_object_type(value):
            return None
        kind = "object type"
    return None if _is_augmentation(declaration, source) else kind


# What follows a keyword: an ASCII name after ASCII whitespace, and the byte after
# that name and whitespace (or the first byte after the keyword that is neither).
_AFTER_KEYWORD = re.compile(
    rb"[ \t\n\v\f\r]*(?:([A-Za-z_$][A-Za-z0-9_$]*)[ \t\n\v\f\r]*)?(.?)", re.DOTALL
)
# In a tree without errors the name (a `_type_identifier`) is the first token after
# the keyword, and the next token `<` or `=` (type alias), `<`, `extends` or `{`
# (interface): other bytes there mean no declaration.
_AFTER_NAME = {
    "interface_declaration": frozenset({b"<", b"{", b"e"}),
    "type_alias_declaration": frozenset({b"<", b"="}),
}
# Bytes that reading cannot judge: a comment, an escaped or non-ASCII name byte,
# non-ASCII or unusual whitespace. The tree decides there, as `_declarations` does.
_UNSURE = frozenset(
    {b"/", b"\\", b"\x7f"}
    | {bytes([b]) for b in range(0x20)}
    | {bytes([b]) for b in range(0x80, 0x100)}
)


def _declared_names(source: SourceFile) -> list[str]:
    """The names the file may declare interfaces and type aliases under, sorted, once
    each: all it declares them under, and maybe a few more.

    In a tree without errors a declaration is spelled `interface Name {` or `type
    Name =` (`<` for generics, `extends`, whitespace between), and those are read
    from the bytes with no tree lookup (one would cost ~2 us, nearly as much as the
    rest): such text in a comment or string lists its name too, and only makes the
    project check parse the file to find nothing. Keywords followed by bytes that
    reading cannot judge (comments, non-ASCII or escaped names) are looked up, and in
    broken code (a number glued to the keyword, skipped tokens) every occurrence is.
    tests/test_collected_facts.py compares both with the query."""
    root = source.root
    if not prefilter.ENABLED or root.has_error:
        return _declared_names_by_tree(source)
    content = source.content
    size = len(content)
    after_keyword = _AFTER_KEYWORD.match
    names: set[str] = set()
    for word, kind in _KEYWORDS:
        after_name = _AFTER_NAME[kind]
        width = len(word)
        at = content.find(word)
        while at != -1:
            end = at + width
            # A name byte either side: part of a longer name (or, after a number,
            # broken code, which has errors).
            if (end < size and content[end] in NAME_BYTES) or (
                at and content[at - 1] in NAME_BYTES
            ):
                at = content.find(word, end)
                continue
            name, next_byte = cast(re.Match[bytes], after_keyword(content, end)).group(1, 2)
            if name is not None and next_byte in after_name:
                names.add(name.decode())
            elif next_byte in _UNSURE:
                # As `_declarations` finds it: the declaration starts with the keyword.
                node = root.named_descendant_for_byte_range(at, end)
                if node is not None and node.start_byte == at and node.type == kind:
                    ident = node.child_by_field_name("name")
                    if ident is not None and ident.type == "type_identifier":
                        names.add(text(ident))
            at = content.find(word, end)
    return sorted(names)


def _declared_names_by_tree(source: SourceFile) -> list[str]:
    names = set()
    for declaration in _declarations(source):
        name = declaration.child_by_field_name("name")
        if name is not None and name.type == "type_identifier":
            names.add(text(name))
    return sorted(names)


def _twins(source: SourceFile, models: frozenset[str]) -> Iterator[tuple[ts.Node, str]]:
    """(name node, "interface" | "object type") of each hand-written twin of a model."""
    if _GENERATED_BANNER.search(source.content[:_BANNER_BYTES]):
        return
    for declaration in _declarations(source):
        name = declaration.child_by_field_name("name")
        if name is None or name.type != "type_identifier" or text(name) not in models:
            continue
        kind = _twin_kind(declaration, source)
        if kind is not None:
            yield name, kind


def collect(source: SourceFile, ctx: CollectContext) -> list[str]:
    """The names the file may declare types under (interfaces, type aliases): the
    project check parses only the files that may declare a model's name."""
    if not source.rel_path.endswith(TYPESCRIPT_SUFFIXES):
        return []
    # Every declaration spells its keyword (tests compare with the query).
    if prefilter.lacks_clause(source, _KEYWORD_QUESTION):
        return []
    return _declared_names(source)


def _may_declare_a_model(project: Project, name: str, rule_id: str, models: frozenset[str]) -> bool:
    found = project.collected(rule_id, name)
    if found is NOT_COLLECTED:
        return True
    return not models.isdisjoint(cast(list[str], found))


def check_project(project: Project, ctx: ProjectContext) -> None:
    models = project.prisma_models
    if not models:
        return
    for name in _typescript_sources(project):
        # Parse only files that may declare a type named like a model (collected while
        # the file was analysed) or, without collected names, name a model at all.
        if not _may_declare_a_model(project, name, ctx.rule.id, models):
            continue
        path = Path(name)
        raw = project.source_bytes(path)
        if raw is None or (b"interface" not in raw and b"type" not in raw):
            continue
        source = project.parse(path, raw)
        if source is None:
            continue
        for type_name, kind in _twins(source, models):
            location = source.location(type_name)
            ctx.report_at(
                source.path,
                location,
                snippet=source.line_text(location.line).strip(),
                name=text(type_name),
                kind=kind,
            )
