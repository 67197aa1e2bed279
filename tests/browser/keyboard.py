"""Driving a page with the keyboard only, and checking that the focus can be seen."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    focusVisible: el.matches(":focus-visible"),
    outline: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth),
    shadow: style.boxShadow,
  };
}"""


def is_focused(locator: Locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


def press_until_focused(page: Page, target: Locator, *, key: str = "Tab", limit: int = 60) -> int:
    """Press `key` (Tab or Shift+Tab) until `target` has the focus; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if is_focused(target):
            return presses
    raise AssertionError(f"{key} × {limit} never reached {target}")


def assert_focus_is_visible(page: Page) -> None:
    """The focused element matches :focus-visible and draws an outline (≥ 2 px) or a box shadow."""
    style = page.evaluate(FOCUS_STYLE)
    assert style["focusVisible"], "the focused element does not match :focus-visible"
    assert style["outline"] >= 2 or style["shadow"] != "none", f"no visible focus indicator: {style}"
