"""Real-browser tests: Playwright drives Debian's Chromium (`/usr/bin/chromium`, installed by
`.ci/run`); nothing is downloaded. Without Chromium they skip, or fail under REQUIRE_SERVICES=1."""

import os
import shutil

import pytest
from django.conf import settings

from tests.tutorials.conftest import _media, make_tutorial  # noqa: F401

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
