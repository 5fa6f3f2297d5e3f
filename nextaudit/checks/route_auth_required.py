"""route-auth-required: an `app/api/` handler that never checks who is calling."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import tree_sitter as ts

from nextaudit.analysis import prefilter
from nextaudit.analysis.flow import RouteHandler, handlers
from nextaudit.analysis.guards import (
    CalleePath,
    GuardMatcher,
    Guards,
    NamePatterns,
    extends_default,
    is_api_route,
    nothing_to_judge,
)
from nextaudit.analysis.nextjs import is_route_file, local_declarations, spells_a_handler
from nextaudit.analysis.paths import glob_matcher
from nextaudit.analysis.syntax import (
    call_arguments,
    callee_name,
    function_body,
    function_parameters,
    parameter_pattern,
    string_value,
    text,
    unwrap,
)
from nextaudit.context import RuleContext
from nextaudit.nextjs_roles import Role
from nextaudit.source import SourceFile

# Evidence of an auth check beyond the configured names, so that real code written
# against other auth libraries is not reported (precision first):
# - any name along the callee that speaks of auth (`getAuth()`, `isAuthenticated()`,
#   `auth.api.getSession()`, `auth0.getSession()`, `authService.check()`), but not of an
#   author (`getAuthorById()`);
_AUTH_WORD = re.compile(r"[Aa][Uu][Tt][Hh](?!ors?(?![a-z]))")
# - JWT verification anywhere along the callee (`jwtVerify()`, `jwt.verify()`);
_JWT_WORD = re.compile(r"jwt", re.IGNORECASE)
# - a verifier, whether a function or a method (`stripe.webhooks.constructEvent()`,
#   `crypto.timingSafeEqual()`, `crypto.createHmac()`, `verifyIdToken()`,
#   `svix.verifyWebhook()`);
_VERIFIER = re.compile(
    r"(?:verify|validate|check)\w*(?:Token|Signature|Webhook|ApiKey|Key|Hmac|Secret)"
    r"|constructEvent(?:Async)?|timingSafeEqual|createHmac"
)
# - a predicate or assertion about a credential or a permission (`hasCronSecret(req)`,
#   `isAdmin()`, `hasPermission(user, "x")`, `checkAccess()`);
_CREDENTIAL_CHECK = re.compile(
    r"(?:has|is|verify|validate|check|assert|ensure|require)\w*"
    r"(?:Secret|Signature|ApiKey|Hmac|Permission|Permissions|Access|Admin)\w*"
)
# - a wrapper named for the principal or credential it resolves (`withAdmin(h)`,
#   `withCron(h)`, `withTeam(h)`, `withPartnerProfile(h)`, `withPublishableKey(h)`), but
#   not `withErrorHandling`, `withLogging`, `withCors`, `withValidation`;
_PRINCIPAL_WRAPPER = re.compile(
    r"with\w*(?:Admin|Cron|Token|Key|Secret|Signature|Session|User|Workspace|Team|Org"
    r"|Organization|Tenant|Account|Member|Owner|Role|Permission|Profile|Protected|Private"
    r"|Guard|Secure|Verified|Signed|Internal)\w*"
)
# - a plain call of a session reader or a guard helper (`getIronSession()`,
#   `getKindeServerSession()`, `requireAdmin()`, `getUserFromRequest(req)`); as methods
#   these names are too often data access (`db.getUser(id)`, `stripe...getSession`).
_GUARD_FUNCTION = re.compile(
    r"""
    (?:get|require|validate|verify|check|ensure|read|load)
        (?:Server|Iron|User|Current|Kinde\w*|Edge|Web|App)?Session
    | (?:require|ensure|assert)
        (?:Admin|Role|Roles|Permission|Permissions|Login|LoggedIn|SignedIn|User|Owner|ApiKey)\w*
    | (?:get|require|ensure|resolve)(?:Current|SignedIn|LoggedIn|Session)?User(?:Id)?
        (?:From\w+|Or\w+)?
    """,
    re.VERBOSE,
)
# - reading a credential: `headers.get("authorization")`, `cookies.get("session")`,
#   `searchParams.get("secret")`, `headers.get("x-shopify-hmac-sha256")` (cron jobs,
#   API keys, webhook signatures).
_CREDENTIAL = re.compile(
    r"authorization|api[-_]?key|secret|signature|hmac|session"
    r"|^(?:x-)?(?:auth|access|bearer|id)?[-_]?token$|^x-user[-_]?id$",
    re.IGNORECASE,
)


def names_auth(path: CalleePath) -> bool:
    """The callee's names say it checks auth (see the patterns above)."""
    names = [n for n in path if n is not None]
    if any(_AUTH_WORD.search(n) or _JWT_WORD.search(n) for n in names):
        return True
    last = path[-1]
    if last is None:
        return False
    if any(r.fullmatch(last) for r in (_VERIFIER, _CREDENTIAL_CHECK, _PRINCIPAL_WRAPPER)):
        return True
    return len(path) == 1 and _GUARD_FUNCTION.fullmatch(last) is not None


# The only callee name `reads_credential` says yes to (the guards ask no other call).
CREDENTIAL_READERS = frozenset({"get"})


def reads_credential(call: ts.Node) -> bool:
    if callee_name(call) not in CREDENTIAL_READERS:
        return False
    arguments = call_arguments(call)
    key = string_value(arguments[0]) if arguments else None
    return key is not None and _CREDENTIAL.search(key) is not None


def keeps_defaults(ctx: RuleContext, option: str) -> bool:
    return extends_default(ctx.list_option(option), ctx.rule.options[option].default)


def rule_guards(ctx: RuleContext) -> Guards:
    # Once per options mapping the engine made, not per file.
    return ctx.derived(_read_guards)


def _read_guards(ctx: RuleContext) -> Guards:
    return _guards(
        tuple(ctx.list_option("auth-functions")),
        tuple(ctx.list_option("auth-wrappers")),
        keeps_defaults(ctx, "auth-functions") and keeps_defaults(ctx, "auth-wrappers"),
    )


@functools.lru_cache(maxsize=64)
def _guards(functions: tuple[str, ...], wrappers: tuple[str, ...], hints: bool) -> Guards:
    """The guards of one configuration, parsed once per run, not once per file."""
    parsed = NamePatterns.parse(functions), NamePatterns.parse(wrappers)
    # The extra evidence widens the default lists; a user who replaces a list takes
    # exact control of what counts.
    if hints:
        return Guards(
            *parsed,
            name_hint=names_auth,
            call_hint=reads_credential,
            call_hint_names=CREDENTIAL_READERS,
        )
    return Guards(*parsed)


# What a wrapper that authenticated puts on the request or in the handler's arguments
# (NextAuth's `req.auth`, `withWorkspace(async ({ session }) => ...)`): the handler reads
# it, so the wrapper is an auth wrapper whatever its name.
PRINCIPAL_KEYS = frozenset({"auth", "session", "user", "userId", "currentUser", "principal"})
_MEMBER_READS = """
(member_expression
  object: (identifier) @object
  property: (property_identifier) @property)
"""
_DESTRUCTURED = """
(variable_declarator name: (object_pattern) @pattern value: (identifier) @object)
"""


def _pattern_keys(pattern: ts.Node) -> set[str]:
    keys: set[str] = set()
    for child in pattern.named_children:
        if child.type == "shorthand_property_identifier_pattern":
            keys.add(text(child))
        elif child.type in ("pair_pattern", "object_assignment_pattern"):
            key = child.child_by_field_name("key") or child.child_by_field_name("left")
            if key is not None:
                keys.add(text(key))
    return keys


def reads_principal(handler: RouteHandler, source: SourceFile) -> bool:
    """A wrapped handler reads the caller's identity from its arguments."""
    function = handler.function
    if function is None or not handler.wrappers:
        return False
    names: set[str] = set()
    for param in function_parameters(function):
        pattern = parameter_pattern(param)
        if pattern.type == "object_pattern":
            if _pattern_keys(pattern) & PRINCIPAL_KEYS:
                return True
        elif pattern.type == "identifier":
            names.add(text(pattern))
    body = function_body(function)
    if body is None or not names:
        return False
    for match in source.matches(_MEMBER_READS, body):
        if text(match["object"][0]) in names and text(match["property"][0]) in PRINCIPAL_KEYS:
            return True
    for match in source.matches(_DESTRUCTURED, body):
        if (
            text(match["object"][0]) in names
            and _pattern_keys(match["pattern"][0]) & PRINCIPAL_KEYS
        ):
            return True
    return False


def _public_routes(ctx: RuleContext) -> Callable[[str], bool]:
    # `glob_match` with the option's globs, looked up once per options mapping.
    return glob_matcher(ctx.list_option("public-routes"))


_FORCE_STATIC = prefilter.has_text(b"force-static")


def is_force_static(source: SourceFile) -> bool:
    """`export const dynamic = "force-static"` (the value's text is in the bytes)."""
    if prefilter.lacks_clause(source, _FORCE_STATIC):
        return False
    value = local_declarations(source).get("dynamic")
    return value is not None and string_value(unwrap(value)) == "force-static"


# A route file whose bytes spell an HTTP method (a handler's export does): the engine
# skips the check on other files.
NEEDS = prefilter.needs(spells_a_handler(), roles=[Role.ROUTE])


def check(source: SourceFile, ctx: RuleContext) -> None:
    if not is_route_file(source) or not is_api_route(source.rel_path):
        return
    found = handlers(source)  # none where the bytes spell no HTTP method
    if not found or ctx.derived(_public_routes)(source.rel_path):
        return
    matcher = GuardMatcher(source, rule_guards(ctx))
    static = is_force_static(source)
    for handler in found:
        if handler.name == "OPTIONS":  # a CORS preflight carries no credentials
            continue
        if static and handler.name in ("GET", "HEAD"):
            continue  # rendered once at build time, for everyone: public by design
        if matcher.is_guarded(handler) or reads_principal(handler, source):
            continue
        if nothing_to_judge(handler, source):
            continue
        ctx.report(handler.name_node, method=handler.name)
