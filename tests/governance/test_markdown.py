"""hub.markdown, shared by comments and tutorials: Markdown rendered, then sanitised (no raw HTML,
no dangerous URLs, safe links)."""

import pytest

from hub.markdown import render_markdown


def test_markdown_is_rendered():
    assert render_markdown("**gras** et *italique*") == "<p><strong>gras</strong> et <em>italique</em></p>\n"


def test_raw_html_is_shown_as_text():
    html = render_markdown('<script>alert(1)</script> <b onclick="x()">b</b> <a href="javascript:x">a</a>')
    assert "<script" not in html and "<b" not in html and "<a " not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox(1)"],
)
def test_dangerous_link_schemes_are_dropped(url):
    html = render_markdown(f"[cliquez]({url}) <{url}>")
    assert "<a" not in html  # left as plain text


def test_links_get_noopener_nofollow():
    assert render_markdown("[site](https://exemple.fr)") == (
        '<p><a href="https://exemple.fr" rel="noopener nofollow">site</a></p>\n'
    )


def test_images_and_inline_styles_are_not_kept():
    html = render_markdown("![pixel](https://traceur.example/p.png)\n\n| a |\n|:-:|\n| 1 |")
    assert "<img" not in html and "style=" not in html
    assert "<table>" in html
