"""Markdown written by people (comments, proposals, tutorials) rendered to safe HTML.

markdown-it-py renders CommonMark (plus tables and strikethrough) with raw HTML disabled: HTML
typed by a user is shown as text. nh3 then sanitises the result against an allow-list of tags
and attributes, keeps only http(s) and mailto links (so no `javascript:`, `data:` or `vbscript:`
URLs, whatever their case or encoding), and marks every link `rel="noopener nofollow"`.
Images are not allowed: they would let a message track who reads it.
"""

from __future__ import annotations

from functools import cache

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
# No `style`: the CSP forbids inline styles (markdown-it's table alignment is dropped).
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


def render_markdown(text: str) -> SafeString:
    """Markdown → sanitised HTML, safe to put in a template as is."""
    html = _parser().render(text or "")
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener nofollow",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 -- sanitised by nh3 just above
