"""`{% unread_notifications as n %}`: the header's unread count, one query per page at most."""

from __future__ import annotations

from typing import Any

from django import template

from notifications.selectors import unread_count

register = template.Library()

CACHE_ATTRIBUTE = "_notifications_unread"


@register.simple_tag(takes_context=True)
def unread_notifications(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return 0
    if not hasattr(request, CACHE_ATTRIBUTE):
        setattr(request, CACHE_ATTRIBUTE, unread_count(user))
    return getattr(request, CACHE_ATTRIBUTE)
