"""route-rate-limited: a mutating `app/api/` handler that nothing rate-limits."""

from __future__ import annotations

import functools
import re

from nextaudit.analysis import prefilter
from nextaudit.analysis.flow import handlers
from nextaudit.analysis.guards import (
    CalleePath,
    GuardMatcher,
    Guards,
    NamePatterns,
    extends_default,
    is_api_route,
    middleware_guards,
    nothing_to_judge,
)
from nextaudit.analysis.nextjs import is_route_file, spells_a_handler
from nextaudit.context import RuleContext
from nextaudit.nextjs_roles import Role
from nextaudit.source import SourceFile

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Evidence of rate limiting beyond the configured names (precision first): any name
# along the callee that speaks of it (`checkRateLimit()`, `withRateLimit(h)`,
# `rateLimiter.consume(ip)`, `limiter.check(10, ip)`, `throttle()`), and Arcjet's
# `aj.protect(req)`.
_LIMIT_WORD = re.compile(r"rate[-_]?limit|limiter|throttl", re.IGNORECASE)
_ARCJET_RECEIVERS = frozenset({"aj", "arcjet"})


def names_limiter(path: CalleePath) -> bool:
    if any(n is not None and _LIMIT_WORD.search(n) for n in path):
        return True
    return len(path) == 2 and path[0] in _ARCJET_RECEIVERS and path[1] == "protect"


def rule_guards(ctx: RuleContext) -> Guards:
    configured = tuple(ctx.list_option("limiters"))
    return _guards(configured, extends_default(configured, ctx.rule.options["limiters"].default))


@functools.lru_cache(maxsize=64)
def _guards(limiters: tuple[str, ...], hints: bool) -> Guards:
    """The guards of one configuration, built once per run (they remember verdicts)."""
    parsed = NamePatterns.parse(limiters)
    # The extra evidence widens the default list; replacing the list takes exact control.
    if hints:
        return Guards(parsed, name_hint=names_limiter)
    return Guards(parsed)


# A route file whose bytes spell an HTTP method (a handler's export does): the engine
# skips the check on other files.
NEEDS = prefilter.needs(spells_a_handler(), roles=[Role.ROUTE])


def check(source: SourceFile, ctx: RuleContext) -> None:
    if not is_route_file(source) or not is_api_route(source.rel_path):
        return
    mutating = [h for h in handlers(source) if h.name in MUTATING_METHODS]
    if not mutating:
        return
    guards = rule_guards(ctx)
    if middleware_guards(source, guards):
        return
    matcher = GuardMatcher(source, guards)
    for handler in mutating:
        if matcher.is_guarded(handler):
            continue
        if nothing_to_judge(handler, source):
            continue
        ctx.report(handler.name_node, method=handler.name)
