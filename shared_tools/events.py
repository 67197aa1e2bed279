"""shared_tools' events, published to notifications (which never imports shared_tools)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

TOOL_STAGE_CHANGED = "tool.stage_changed"
TUTORIAL_PUBLISHED = "tutorial.published"
HELP_REQUESTED = "help.requested"


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
    register(
        TUTORIAL_PUBLISHED,
        category=Category.TOOLS,
        audience=Audience.ALL_MEMBERS,
        line=_("%(actor)s published the tutorial “%(title)s”"),
        target_kind="tutorial",
        url_name="frontend:association_tutorial",
    )
    register(
        HELP_REQUESTED,
        category=Category.HELP,
        audience=Audience.EXPLICIT,  # the members who master the tool or can help with it
        line=_("%(actor)s would like some help with %(title)s"),
        target_kind="tool",
    )
