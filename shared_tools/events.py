"""shared_tools' events, published to notifications (which never imports shared_tools)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

TOOL_STAGE_CHANGED = "tool.stage_changed"
TUTORIAL_PUBLISHED = "tutorial.published"
HELP_REQUESTED = "help.requested"
# Workshops: one event per association the people concerned came through (events belong to an
# association), each with its explicit recipients. All in the "messages from our conseillers"
# category, so the calm defaults apply (site and summary email; a member may ask for emails).
WORKSHOP_PUBLISHED = "workshop.published"
WORKSHOP_CHANGED = "workshop.changed"
WORKSHOP_CANCELLED = "workshop.cancelled"
WORKSHOP_SEAT_OFFERED = "workshop.seat_offered"
WORKSHOP_REMINDER = "workshop.reminder"


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
    # Workshops. `%(starts_at)s` is the start as people read it (formatted when published).
    workshop_kinds = [
        # The members of the followed associations, each person once.
        (WORKSHOP_PUBLISHED, _("%(network)s invites you to the workshop “%(title)s” on %(starts_at)s")),
        # Registered people and the waiting list.
        (WORKSHOP_CHANGED, _("The workshop “%(title)s” has changed (date, time or place): it starts on %(starts_at)s")),
        (WORKSHOP_CANCELLED, _("The workshop “%(title)s” of %(starts_at)s is cancelled")),
        # The first of the waiting list, when a seat frees up.
        (
            WORKSHOP_SEAT_OFFERED,
            _("A seat is free: you are now registered for the workshop “%(title)s” on %(starts_at)s"),
        ),
        # Registered people, about 24 hours before.
        (WORKSHOP_REMINDER, _("Reminder: the workshop “%(title)s” starts on %(starts_at)s")),
    ]
    for kind, line in workshop_kinds:
        register(
            kind,
            category=Category.NETWORK,
            audience=Audience.EXPLICIT,
            line=line,
            target_kind="workshop",
            url_name="frontend:workshop_detail",
        )
