"""axe-core (npm, installed into node_modules/ by `make pytest`) run inside a Playwright page.

The source is evaluated through the DevTools protocol, so the page's CSP (`script-src 'self'`) does
not have to be relaxed. Only the WCAG 2.1 A and AA rules run: that is the bar.

    from tests.browser.axe import assert_accessible
    assert_accessible(page)  # fails listing each violation: rule, impact, help URL, targets
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


@cache
def axe_source() -> str:
    if not AXE_SOURCE.exists():
        message = f"axe-core is missing ({AXE_SOURCE}): run `make node_modules/.package-lock.json` (npm ci)"
        if settings.REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but {message}", pytrace=False)
        pytest.skip(message)
    return AXE_SOURCE.read_text(encoding="utf-8")


def violations(page: Page, tags: list[str] = WCAG_21_AA) -> list[dict[str, Any]]:
    """The page's violations of the WCAG 2.1 AA rules, as axe reports them."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(RUN, tags)


def report(found: list[dict[str, Any]]) -> str:
    lines = []
    for violation in found:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}")
        lines += [f"    {node['target']}: {node['summary']}".replace("\n", " ") for node in violation["nodes"][:10]]
    return "\n".join(lines)


def assert_accessible(page: Page, where: str = "") -> None:
    found = violations(page)
    assert not found, f"axe: WCAG 2.1 AA violations on {where or page.url}:\n{report(found)}"
