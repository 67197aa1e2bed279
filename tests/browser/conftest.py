"""Real-browser tests: Playwright drives Debian's Chromium (`/usr/bin/chromium`, installed by
`.ci/run`); nothing is downloaded. Without Chromium they skip, or fail under REQUIRE_SERVICES=1."""

from __future__ import annotations

import copy
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from tests.browser.server import LiveServer, one_request_at_a_time, shared_database
from tests.governance.conftest import make_proposal  # noqa: F401
from tests.tutorials.conftest import _media, make_tutorial  # noqa: F401

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Locator, Page

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# The flags this machine needs: no sandbox as root, and no background calls to a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser():
    # Function scope: Playwright's sync API keeps an event loop running while it is open, which
    # would break the asyncio tests (websockets) that run after it in the same process.
    if not shutil.which(CHROMIUM):
        message = f"this test needs Chromium at {CHROMIUM} (apt-get install chromium)"
        if settings.REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but {message}", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # While Playwright's loop runs, asgiref sees an async thread and Django keeps this thread's
        # database connections apart from its usual ones: closed here, or they would hold
        # PostgreSQL's test database open at the end of the run.
        connections.close_all()


# Journeys ------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def live_app(transactional_db, eager_celery, settings):
    """The ASGI application (pages and websockets) on a free port; tasks run at once, in the server.

    Each test gets a fresh channel layer: the in-memory one would keep the groups of earlier
    tests' event loops, which are closed by now. Writes a test makes itself (preconditions) cannot
    push: Playwright's event loop runs in the test's thread, so `notifications.push` logs a warning
    and the pages show the count when they load, as designed for a channel layer that is down.
    """
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from hub.asgi import application as project_application

    # Static files from the app folders, whatever WhiteNoise was configured with when hub.asgi was
    # first imported (an earlier test may import it before the session's finder override).
    application = ASGIStaticFilesHandler(project_application)

    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    if "CONFIG" in layers["default"]:  # Redis: runs sharing the server must not hear each other's users
        layers["default"]["CONFIG"]["prefix"] = f"asso-hub-browser-{uuid.uuid4().hex}"
    settings.CHANNEL_LAYERS = layers
    with (
        shared_database() as serialise,
        LiveServer(one_request_at_a_time(application) if serialise else application) as server,
    ):
        yield server


class Screenshots:
    """`shots("step-name", page)` → var/screenshots/<journey>/<nn>-<step-name>.png, kept by CI."""

    def __init__(self, journey: str) -> None:
        self.folder = SCREENSHOTS / journey
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0

    def __call__(self, step: str, page: Page, *, showing: Locator | None = None) -> Path:
        """The visible part of the page (full pages cost seconds each), scrolled to `showing`."""
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        if showing is not None:
            showing.scroll_into_view_if_needed()
        page.screenshot(path=str(path), animations="disabled", caret="hide")
        return path


class Site:
    """Browser contexts on the live server, signed in as someone or anonymous."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser = browser
        self.url = server.url
        self.contexts: list[BrowserContext] = []

    def context(self, user=None, *, javascript: bool = True, viewport=None, locale: str = "fr-FR") -> BrowserContext:
        context = self.browser.new_context(
            base_url=self.url, java_script_enabled=javascript, viewport=viewport or DESKTOP, locale=locale
        )
        context.set_default_timeout(10_000)
        self.contexts.append(context)
        if user is not None:
            self.sign_in(context, user)
        return context

    def page(self, user=None, **options) -> Page:
        return self.context(user, **options).new_page()

    def sign_in(self, context: BrowserContext, user) -> None:
        """A session cookie, as after the login form (the signup journey goes through the forms)."""
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": self.url}])

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def site(browser, live_app):
    from playwright.sync_api import expect

    # Generous waits: CI machines are shared; a passing step returns as soon as it holds.
    expect.set_options(timeout=10_000)
    site = Site(browser, live_app)
    yield site
    site.close()  # before the server stops: open websockets would hold its shutdown


@pytest.fixture
def shots(request):
    """Screenshots named after the test: `shots("step", page)`."""
    return Screenshots(re.sub(r"[^\w-]+", "-", request.node.name.removeprefix("test_")).strip("-"))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """How many axe checks (pages × languages × widths) test_every_page_accessible ran."""
    from tests.browser.test_every_page_accessible import pytest_terminal_summary_lines

    for line in pytest_terminal_summary_lines(terminalreporter):
        terminalreporter.write_line(line)
