"""Tenant isolation, route by route: every URL pattern × method × role against association A.

For each combination the request runs in a rolled-back savepoint and is observed (probe.py):
- a role that is not allowed gets no marker of A in anything it receives (body, PDF text,
  headers, flash messages), writes no row of a domain table, and is answered like an outsider
  (404), an anonymous visitor (login page, or 401/403 from the API) or, inside A, refused;
- an allowed role gets no 5xx, its GETs succeed (so the address really names A's object) and
  some allowed role's write really writes (so the body is one the view accepts);
- every response, allowed or not, shows only the markers the role may read (`Marker.audience`);
- a GET writes nothing but a conseiller's read log.
A route missing from registry.py fails `test_every_route_is_classified`.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django_scopes import scopes_disabled
from rest_framework.views import APIView

from . import probe
from .conftest import COUNT_PROPERTY
from .registry import WEBSOCKET_ROUTES, Call, Rule, rule_for
from .routes import Route, http_routes, websocket_routes
from .world import A_READERS, ANON, CONSEILLER, NOBODY, ROLES, SIGNED_IN, STAFF, World

pytestmark = pytest.mark.django_db

ROUTES = http_routes()
CLASSIFIED = [route for route in ROUTES if rule_for(route.name, route.pattern) is not None]
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def test_every_route_is_classified():
    missing = sorted(
        f"{route.name}  ({route.pattern})" for route in ROUTES if rule_for(route.name, route.pattern) is None
    )
    assert not missing, "Routes missing from tests/security/isolation/registry.py:\n" + "\n".join(missing)


def test_every_method_of_an_api_view_is_tried():
    untried = []
    for route in CLASSIFIED:
        rule = rule_for(route.name, route.pattern)
        view_class = route.view_class
        if rule is None or not (isinstance(view_class, type) and issubclass(view_class, APIView)):
            continue
        handled = {m.upper() for m in view_class.http_method_names if m not in ("head", "options", "trace")}
        handled = {m for m in handled if hasattr(view_class, m.lower())}
        untried += [f"{route.name} {method}" for method in sorted(handled - set(rule.calls))]
    assert not untried, "Methods the views answer but the matrix does not try:\n" + "\n".join(untried)


def test_every_websocket_route_is_classified():
    missing = sorted(set(websocket_routes()) - set(WEBSOCKET_ROUTES))
    assert not missing, f"Websocket routes missing from registry.WEBSOCKET_ROUTES: {missing}"


def test_no_rule_names_a_route_that_is_gone():
    from .registry import RULES

    gone = sorted(set(RULES) - {route.name for route in ROUTES})
    assert not gone, f"registry.py classifies routes that no longer exist: {gone}"


def url_of(route: Route, rule: Rule, world: World) -> str:
    kwargs = {}
    for name in route.kwarg_names:
        if name == "association_slug":
            kwargs[name] = world.ref("slug")
        else:
            kwargs[name] = str(world.ref(rule.kwargs[name]))
    if route.name.startswith("<unnamed>"):
        return "/" + fill(route.pattern, kwargs)
    return reverse(route.name, kwargs=kwargs)


def fill(pattern: str, kwargs: dict[str, str]) -> str:
    """An address from an unnamed pattern (path converters or regex groups)."""
    text = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: kwargs[m.group(1)], pattern)
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: kwargs[m.group(1)], text)
    return text.replace("^", "").replace("$", "")


def _is_login_redirect(obs: probe.Observation) -> bool:
    return obs.status == 302 and obs.location.startswith(reverse(settings.LOGIN_URL))


def judge(
    route: Route, rule: Rule, method: str, call: Call, role: str, obs: probe.Observation, world: World
) -> list[str]:
    problems: list[str] = []
    allowed = role in call.allow
    if obs.status >= 500:
        return [f"answered {obs.status}: {obs.error.strip().splitlines()[-1] if obs.error else ''}\n{obs.error}"]

    # What the role may read: its audiences, plus what the address's capability (a signed token
    # the role holds) shows; staff read everything in the admin.
    visible = {kind for kind, marker in world.markers.items() if role in marker.audience} | rule.reveals
    if rule.admin and role == STAFF:
        visible = set(world.markers)
    if not allowed and obs.markers - rule.reveals:
        problems.append(f"refused, yet the response shows {sorted(obs.markers)}")
    elif obs.markers - visible:
        problems.append(f"shows markers this role may not read: {sorted(obs.markers - visible)}")

    # A conseiller's request that passes the association's gate is logged for its administrators
    # (hub_advisorreadlog), even when the view then refuses the action: an audit row, not data.
    writes = [w for w in obs.domain_writes if not (role == CONSEILLER and w[1] == probe.READ_LOG_TABLE)]
    if not allowed and writes:
        problems.append(f"refused, yet wrote {sorted(set(writes))}")
    if method == "GET" and allowed and writes:
        problems.append(f"a GET wrote {sorted(set(writes))}")

    if allowed:
        # The admin answers 403 to staff on read-only models (history rows cannot be added or deleted).
        if method == "GET" and not 200 <= obs.status < 400 and not (rule.admin and obs.status == 403):
            problems.append(f"allowed, yet answered {obs.status} (is the URL built from A's object?)")
        return problems
    refusal = _refusal_problem(route, rule, method, role, obs)
    return problems + ([refusal] if refusal else [])


def _refusal_problem(route: Route, rule: Rule, method: str, role: str, obs: probe.Observation) -> str:
    """How a role that may not use the route must be answered ("" when it is)."""
    unsupported_405 = method not in rule.calls and obs.status == 405
    if rule.admin:
        # Everyone but staff is sent into the admin's own pages: its login (or, from the logout
        # address, its index, which then asks for the login).
        if role == STAFF or (obs.status == 302 and obs.location.startswith(reverse("admin:index"))):
            return ""
        return f"expected the admin login page, got {obs.status} {obs.location}"
    if role == ANON:
        if rule.anonymous == "404":
            expected, ok = "404", obs.status == 404
        elif rule.api:
            expected, ok = "401/403", obs.status in (401, 403)
        else:
            expected, ok = "the login page", _is_login_redirect(obs)
        return "" if ok or unsupported_405 else f"anonymous: expected {expected}, got {obs.status} {obs.location}"
    insiders = rule.insiders
    if insiders is None:
        insiders = A_READERS if "association_slug" in route.kwarg_names else SIGNED_IN
    if role in insiders or obs.status == 404 or unsupported_405:
        return ""
    return f"outsider: expected 404 (like an unknown address), got {obs.status} {obs.location}"


def run_route(route: Route, rule: Rule, world: World) -> tuple[int, dict[tuple[str, str], list[str]]]:
    """Every method × role of one route: the number of requests and the problems by (method, role)."""
    url = url_of(route, rule, world)
    calls: dict[str, Call] = dict(rule.calls)
    calls.setdefault("GET", Call(NOBODY, writes=False))  # GET always: nobody may use it here
    failures: dict[tuple[str, str], list[str]] = {}
    count = 0
    for method, call in calls.items():
        writers = []
        for role in ROLES:
            as_json = rule.api and method in WRITE_METHODS and not call.multipart
            obs = probe.request(world, role, method, url, data=call.data(world), as_json=as_json)
            count += 1
            problems = judge(route, rule, method, call, role, obs, world)
            if problems:
                failures[(method, role)] = [f"{url}: {problem}" for problem in problems]
            if role in call.allow and obs.domain_writes:
                writers.append(role)
        if method in WRITE_METHODS and call.writes and call.allow and not writers:
            failures[(method, "*")] = [f"{url}: no allowed role's request wrote anything (is the body accepted?)"]
    return count, failures


@pytest.mark.parametrize("route", CLASSIFIED, ids=lambda route: route.name)
def test_isolation(route: Route, world: World, record_property):  # type: ignore[no-untyped-def]
    rule = rule_for(route.name, route.pattern)
    assert rule is not None
    count, failures = run_route(route, rule, world)
    for variant in rule.variants:
        more, variant_failures = run_route(route, variant, world)
        count += more
        failures |= {
            (method, f"{role} (on {dict(variant.kwargs)})"): problems
            for (method, role), problems in variant_failures.items()
        }
    record_property(COUNT_PROPERTY, count)

    known = dict(rule.known)
    unexpected = {key: value for key, value in failures.items() if key not in known}
    fixed = sorted(key for key in known if key not in failures)
    report = [f"{route.name}:"]
    for (method, role), problems in sorted(unexpected.items()):
        report += [f"  {method} as {role}: {problem}" for problem in problems]
    if fixed:
        report.append(f"  known failures that no longer happen (remove them from registry.py): {fixed}")
    assert not unexpected and not fixed, "\n".join(report)
    if known:
        pytest.xfail("; ".join(f"{method} as {role}: {reason}" for (method, role), reason in sorted(known.items())))


def test_the_matrix_catches_an_open_gate(world, monkeypatch):
    """With the page and API gates letting a member of B in as A's administrator, the matrix reports
    the markers charlie reads, the 200s instead of 404s and the rows charlie writes."""
    from hub.permissions import Access

    def wide_open(user, association):  # type: ignore[no-untyped-def]
        from hub.models import Membership

        with scopes_disabled():
            membership = (
                Membership.objects.select_related("user").filter(association=association).order_by("pk").first()
            )
        return Access(association=association, membership=membership)

    monkeypatch.setattr("frontend.access.access_for", wide_open)
    monkeypatch.setattr("hub.api_support.access_for", wide_open)
    by_name = {route.name: route for route in ROUTES}
    caught = {}
    for name in ("frontend:invitations", "hub_api:invitation-list", "frontend:member_remove"):
        rule = rule_for(name)
        assert rule is not None
        _, failures = run_route(by_name[name], rule, world)
        caught[name] = "\n".join(problem for problems in failures.values() for problem in problems)
    invitations = caught["frontend:invitations"]
    assert "InvitationEmail" in invitations and "expected 404 (like an unknown address), got 200" in invitations
    assert "InvitationMessage" in caught["hub_api:invitation-list"]
    assert "refused, yet wrote" in caught["frontend:member_remove"]
