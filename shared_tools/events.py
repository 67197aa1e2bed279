"""shared_tools' events, published to notifications (which never imports shared_tools)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

TOOL_STAGE_CHANGED = "tool.stage_changed"


def register_event_kinds() -> None:
    from notifications.models import Category
    from notifications.registry import Audience, register

    register(
        TOOL_STAGE_CHANGED,
        category=Category.TOOLS,
        audience=Audience.ALL_MEMBERS,
        line=_("%(actor)s moved %(title)s to “%(stage)s”"),
        target_kind="tool_usage",
        url_name="frontend:stack_usage",
    )
