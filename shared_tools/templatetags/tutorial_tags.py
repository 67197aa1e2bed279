"""`{{ text|markdown }}`: Markdown written by people, through hub.markdown's sanitiser."""

from typing import Any

from django import template
from django.utils.safestring import SafeString

from hub.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    return render_markdown(text)


# The tool, stack and know-how pages are extended from their templates, so that their views stay
# as they are; each tag runs a fixed number of queries whatever the size of the lists.


@register.simple_tag(takes_context=True)
def tutorials_for_tool(context: template.Context, tool: Any) -> list[Any]:
    """Published tutorials about `tool` the visitor may read (one query plus the tools prefetch)."""
    from shared_tools.selectors import tutorials_for_tool as select

    return list(select(tool=tool, user=context["request"].user)[:20])


@register.simple_tag(takes_context=True)
def learning_help(context: template.Context, know_how: Any) -> list[Any]:
    """For the signed-in member: the tools they want to learn, who can help, and tutorials."""
    from shared_tools.selectors import learning_help as select

    access = context.get("access")
    if access is None or access.membership is None:
        return []
    return select(access.membership, know_how, context["request"].user)
