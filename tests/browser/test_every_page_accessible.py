"""axe-core on every page of the site: every `frontend:` route answering a GET with HTML, in French
and in English, at desktop (1280×800) and phone (390×844) widths, finds no WCAG 2.0/2.1 A or AA
violation.

The pages, their addresses and who may open them come from the tenant-isolation matrix
(tests/security/isolation): its world plants association A with one object of every kind, its
registry builds each route's URL and says which roles may GET it. Each page is opened as the most
telling allowed role (anonymous for public pages, then A's administrator, board, member, then the
conseiller...), signed in with a session cookie. Signed-in users' saved language wins over the
browser's, so the users' language is switched between the French and English passes.

One browser for the whole run, one context per role × language × width, nothing in parallel.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings
from django_scopes import scopes_disabled

from hub.models import User
from tests.browser.axe import WCAG_21_AA, axe_source, report, violations
from tests.browser.conftest import DESKTOP, PHONE
from tests.security.isolation.registry import Rule, rule_for
from tests.security.isolation.routes import Route, http_routes
from tests.security.isolation.test_matrix import url_of
from tests.security.isolation.world import (
    ALICE,
    ANON,
    BERENICE,
    BOB,
    CHARLIE,
    CONSEILLER,
    OTHER_CONSEILLER,
    STAFF,
    World,
    finish,
    plant,
)

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHECKS_PROPERTY = "axe_checks"
PAGES_PROPERTY = "axe_pages"
LANGUAGES = ("fr", "en")
VIEWPORTS = {"1280x800": DESKTOP, "390x844": PHONE}
# Who opens a page, first allowed first: whoever sees the most of it.
PREFERENCE = (ALICE, BERENICE, BOB, CONSEILLER, STAFF, OTHER_CONSEILLER, CHARLIE)

# Pages better seen by someone else than the default: bob has notifications in his inbox.
ROLE_FOR = {"frontend:notifications_inbox": BOB}
# Pages that are different for a signed-in user: checked a second time, as that user.
ALSO_AS = {"frontend:home": ALICE, "frontend:tutorial_library": BOB}

# GET routes of the site that answer something else than an HTML page: downloads. Checked below:
# each must really answer a non-HTML type, and every other route must answer HTML.
NOT_PAGES = {
    "frontend:network_dashboard_csv": "text/csv",
    "frontend:stack_export": "text/csv",
    "frontend:register_csv": "text/csv",
    "frontend:register_pdf": "application/pdf",
    "frontend:decision_pdf": "application/pdf",
    "frontend:tutorial_pdf": "application/pdf",
    "frontend:tutorial_step_image": "image/",
    "frontend:tutorial_step_image_print": "image/",
    "frontend:governance_calendar": "text/calendar",
    "frontend:workshop_calendar": "text/calendar",
    "frontend:network_workshop_calendar": "text/calendar",
    "frontend:network_workshop_attendance_csv": "text/csv",
    "frontend:my_data_download": "application/json",
    "frontend:association_export_download": "application/zip",
    "frontend:place_export": "text/csv",
}
# GET routes that answer a piece of a page, for htmx to swap in: checked inside their page.
FRAGMENTS = {
    "frontend:proposal_tally": "the running tally of frontend:proposal_detail",
}


def frontend_get_routes() -> list[tuple[Route, Rule]]:
    """Every `frontend:` route that someone may GET, from the resolver (and the matrix's rules)."""
    found = []
    for route in http_routes():
        if not route.name.startswith("frontend:"):
            continue
        rule = rule_for(route.name, route.pattern)
        assert rule is not None, f"{route.name} is missing from tests/security/isolation/registry.py"
        get = rule.calls.get("GET")
        if get is not None and get.allow:
            found.append((route, rule))
    return found


def role_for(name: str, rule: Rule) -> str:
    if name in ROLE_FOR:
        return ROLE_FOR[name]
    allowed = rule.calls["GET"].allow
    if ANON in allowed:
        return ANON
    return next(role for role in PREFERENCE if role in allowed)


def test_every_page_route_is_a_page_or_a_known_download():
    """A new route is covered as soon as it is in the resolver; only downloads are left out, by name."""
    names = {route.name for route, _ in frontend_get_routes()}
    gone = sorted((set(NOT_PAGES) | set(FRAGMENTS)) - names)
    assert not gone, f"NOT_PAGES or FRAGMENTS name routes that are gone or no longer answer a GET: {gone}"
    assert len(names - set(NOT_PAGES) - set(FRAGMENTS)) >= 70


@pytest.fixture
def world(transactional_db, settings, tmp_path) -> World:
    settings.MEDIA_ROOT = str(tmp_path)
    planted = plant()
    finish(planted)
    return planted


def _set_language(world: World, language: str) -> None:
    with scopes_disabled():
        User.objects.filter(pk__in=[user.pk for user in world.users.values()]).update(language=language)


def test_every_page_is_accessible_in_french_and_english_on_desktop_and_phone(world, live_app, browser, record_property):
    axe_source()  # skips (or fails under REQUIRE_SERVICES) before any work if axe-core is missing
    targets = []
    for route, rule in frontend_get_routes():
        url = url_of(route, rule, world)
        targets.append((route.name, role_for(route.name, rule), url))
        if route.name in ALSO_AS:
            targets.append((route.name, ALSO_AS[route.name], url))
    problems: list[str] = []
    details: list[dict[str, Any]] = []
    pages: list[tuple[str, str, str]] = []
    checks = 0

    for language in LANGUAGES:
        _set_language(world, language)
        first_pass = language == LANGUAGES[0]
        contexts: dict[str, tuple[BrowserContext, Page]] = {}
        try:
            for name, role, url in targets if first_pass else pages:
                if role not in contexts:
                    context = browser.new_context(
                        base_url=live_app.url, viewport=DESKTOP, locale=f"{language}-FR", reduced_motion="reduce"
                    )
                    context.set_default_timeout(15_000)
                    if role != ANON:
                        cookie = {"name": settings.SESSION_COOKIE_NAME, "value": world.session_keys[role]}
                        context.add_cookies([{**cookie, "url": live_app.url}])
                    contexts[role] = (context, context.new_page())
                context, page = contexts[role]
                if first_pass:
                    problem = _not_a_page(context, name, url, role)
                    if problem is not None:
                        problems += [problem] if problem else []
                        continue
                    pages.append((name, role, url))
                response = page.goto(url)
                if response is None or response.status != 200:
                    problems.append(f"{name} {url} as {role} ({language}): answered {response and response.status}")
                    continue
                lang = page.locator("html").get_attribute("lang")
                if lang != language:
                    problems.append(f"{name} {url} as {role}: <html lang={lang!r}> in {language}")
                # The markup is the same at every width (no script depends on it): one load, then
                # axe again after each resize, which re-applies the media queries.
                for viewport_name, viewport in VIEWPORTS.items():
                    page.set_viewport_size(viewport)
                    found = violations(page, WCAG_21_AA)
                    checks += 1
                    if found:
                        problems.append(f"{name} {url} as {role} ({language}, {viewport_name}):\n{report(found)}")
                        details.append(
                            {
                                "route": name,
                                "url": url,
                                "role": role,
                                "language": language,
                                "viewport": viewport_name,
                                "violations": found,
                            }
                        )
        finally:
            for context, _ in contexts.values():
                context.close()
    record_property(CHECKS_PROPERTY, checks)
    record_property(PAGES_PROPERTY, len(pages))
    write_report(pages=len(pages), checks=checks, details=details, version=axe_version())
    assert len(pages) >= 70, f"only {len(pages)} pages were checked"
    assert not problems, f"{len(problems)} problem(s) over {checks} checks:\n" + "\n".join(problems)


def _not_a_page(context: BrowserContext, name: str, url: str, role: str) -> str | None:
    """None for a page; "" for an expected download or fragment; otherwise what is wrong.
    Told apart by what the route answers, without opening it in the page."""
    answer = context.request.get(url)
    kind = answer.headers.get("content-type", "")
    if answer.status != 200:
        return f"{name} {url} as {role}: answered {answer.status}"
    if name in FRAGMENTS:
        return f"{name} answers a whole page: remove it from FRAGMENTS" if "<html" in answer.text().lower() else ""
    if name in NOT_PAGES:
        return "" if kind.startswith(NOT_PAGES[name]) else f"{name}: expected {NOT_PAGES[name]}, got {kind}"
    if not kind.startswith("text/html"):
        return f"{name} answers {kind}: a download? add it to NOT_PAGES"
    return None


def axe_version() -> str:
    package = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "package.json"
    return json.loads(package.read_text(encoding="utf-8"))["version"]


def write_report(*, pages: int, checks: int, details: list[dict[str, Any]], version: str) -> None:
    """`$QUALITY_REPORT_DIR/axe.json`, read by `python -m bench.quality`."""
    report_dir = os.environ.get("QUALITY_REPORT_DIR")
    if not report_dir:
        return
    Path(report_dir).mkdir(parents=True, exist_ok=True)
    summary = {
        "axe_version": version,
        "pages": pages,
        "languages": list(LANGUAGES),
        "viewports": list(VIEWPORTS),
        "checks": checks,
        "violations": sum(len(detail["violations"]) for detail in details),
        "details": details,
    }
    (Path(report_dir) / "axe.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")


def pytest_terminal_summary_lines(terminalreporter: Any) -> list[str]:
    """The summary line (hooked from tests/browser/conftest.py)."""
    lines = []
    for report_ in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", []):
        if getattr(report_, "when", "") != "call":
            continue
        props = dict(getattr(report_, "user_properties", []))
        if CHECKS_PROPERTY in props:
            lines.append(
                f"axe-core: {props[CHECKS_PROPERTY]} checks (pages × {len(LANGUAGES)} languages × "
                f"{len(VIEWPORTS)} widths) over {props[PAGES_PROPERTY]} pages, WCAG 2.1 A/AA"
            )
    return lines
