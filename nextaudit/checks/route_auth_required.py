"""route-auth-required: an `app/api/` handler that never checks who is calling."""

from __future__ import annotations

import re

import tree_sitter as ts

from nextaudit.analysis.flow import handlers
from nextaudit.analysis.guards import (
    CalleePath,
    GuardMatcher,
    Guards,
    NamePatterns,
    delegates_elsewhere,
    extends_default,
    is_api_route,
)
from nextaudit.analysis.paths import glob_match
from nextaudit.analysis.syntax import call_arguments, callee_name, string_value
from nextaudit.context import RuleContext
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
#   `crypto.timingSafeEqual()`, `verifyIdToken()`, `svix.verifyWebhook()`);
_VERIFIER = re.compile(
    r"(?:verify|validate|check)\w*(?:Token|Signature|Webhook|ApiKey|Key|Hmac|Secret)"
    r"|constructEvent(?:Async)?|timingSafeEqual"
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
#   `searchParams.get("secret")` (cron jobs, API keys, webhook signatures).
_CREDENTIAL = re.compile(
    r"authorization|api[-_]?key|secret|signature|session"
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
    if _VERIFIER.fullmatch(last):
        return True
    return len(path) == 1 and _GUARD_FUNCTION.fullmatch(last) is not None


def reads_credential(call: ts.Node) -> bool:
    if callee_name(call) != "get":
        return False
    arguments = call_arguments(call)
    key = string_value(arguments[0]) if arguments else None
    return key is not None and _CREDENTIAL.search(key) is not None


def keeps_defaults(ctx: RuleContext, option: str) -> bool:
    return extends_default(ctx.list_option(option), ctx.rule.options[option].default)


def rule_guards(ctx: RuleContext) -> Guards:
    functions = NamePatterns.parse(ctx.list_option("auth-functions"))
    wrappers = NamePatterns.parse(ctx.list_option("auth-wrappers"))
    # The extra evidence widens the default lists; a user who replaces a list takes
    # exact control of what counts.
    if keeps_defaults(ctx, "auth-functions") and keeps_defaults(ctx, "auth-wrappers"):
        return Guards(functions, wrappers, name_hint=names_auth, call_hint=reads_credential)
    return Guards(functions, wrappers)


def check(source: SourceFile, ctx: RuleContext) -> None:
    if not source.is_route_file or not is_api_route(source.rel_path):
        return
    if glob_match(source.rel_path, ctx.list_option("public-routes")):
        return
    guards = rule_guards(ctx)
    matcher = GuardMatcher(source, guards)
    for handler in handlers(source):
        if handler.name == "OPTIONS":  # a CORS preflight carries no credentials
            continue
        if matcher.is_guarded(handler):
            continue
        # A handler implemented elsewhere (`export { GET } from "./x"`, a handler
        # passed in from an import) or forwarding its request to an imported function
        # has no body here to judge.
        if handler.function is None or delegates_elsewhere(handler, source):
            continue
        ctx.report(handler.name_node, method=handler.name)
