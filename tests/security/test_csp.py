"""Every page carries the Content-Security-Policy, without 'unsafe-inline', and needs none.

Data-driven: the pages are the routes of the resolver that take no object code (lists, forms,
dashboards, exports), requested by each role; a new page is covered without editing this file.
Pages answering 200 in HTML are also scanned for what the policy would block: inline scripts,
`style` attributes and `<style>` blocks, event-handler attributes, `javascript:` URLs.
"""

import re

import pytest
from django.test import Client

from tests.security.routes import all_routes

# Which personas walk the pages; each sees what their role allows (and 403/404 elsewhere).
ROLES = ("anonymous", "bob", "alice", "conseiller")
WALKABLE_PARAMETERS = {"association_slug", "network_slug"}

INLINE_PATTERNS = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "style block": re.compile(r"<style[\s>]", re.IGNORECASE),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE),
    "event handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE),
}


def walkable_routes():
    return [
        route
        for route in all_routes()
        if not route.pattern.startswith(("admin/", "api/", "i18n/"))
        and set(route.parameters) <= WALKABLE_PARAMETERS
        # PDFs take seconds each (WeasyPrint) and carry no HTML; the middleware's header is the same.
        and not route.pattern.endswith(".pdf")
    ]


def test_the_walk_covers_the_pages():
    names = {route.name for route in walkable_routes()}
    assert {"frontend:home", "frontend:members", "frontend:proposals", "frontend:network_dashboard"} <= names
    assert len(names) > 40


def check_policy(response) -> list[str]:
    problems = []
    policy = response.get("Content-Security-Policy", "")
    if not policy:
        problems.append("no Content-Security-Policy header")
    if "unsafe-inline" in policy or "unsafe-eval" in policy:
        problems.append(f"unsafe source in {policy!r}")
    for directive in ("script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'"):
        if directive not in policy:
            problems.append(f"missing {directive}")
    content_type = response.get("Content-Type", "")
    if response.status_code == 200 and content_type.startswith("text/html"):
        html = response.content.decode()
        problems += [what for what, pattern in INLINE_PATTERNS.items() if pattern.search(html)]
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_every_page_has_a_strict_policy_and_no_inline_code(cast, role):
    client = Client()
    if role != "anonymous":
        client.force_login(cast[role])
    failures = {}
    statuses = []
    for route in walkable_routes():
        response = client.get(route.url())
        statuses.append(response.status_code)
        problems = check_policy(response)
        if problems:
            failures[f"{route.name} ({response.status_code})"] = problems
    assert not failures
    # The walk did read pages, not only redirects.
    assert statuses.count(200) >= (3 if role == "anonymous" else 15)


def test_error_pages_carry_the_policy_too(client, db):
    for response in (
        client.get("/a/inconnue/"),
        client.get("/nowhere/"),
        client.post("/accounts/login/", data="x" * 10, content_type="text/plain"),
    ):
        assert not check_policy(response), response.status_code


def test_the_scan_spots_inline_code():
    class Fake(dict):
        status_code = 200
        content = b'<p style="color:red">x</p><button onclick="go()">go</button><script>alert(1)</script>'

    fake = Fake({"Content-Type": "text/html", "Content-Security-Policy": "script-src 'self' 'unsafe-inline'"})
    problems = check_policy(fake)
    assert {"inline script", "style attribute", "event handler"} <= set(problems)
    assert any("unsafe" in p for p in problems)
