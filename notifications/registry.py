"""Event types: kind → category, default audience and how one line reads.

Apps register their kinds in their `AppConfig.ready()`; notifications never imports them. A kind
must be registered before `notifications.events.publish` accepts it. Example (governance):

    from django.utils.translation import gettext_lazy as _
    from notifications.models import Category
    from notifications.registry import Audience, register

    register(
        "proposal.opened",
        category=Category.VOTE_REQUIRED,
        audience=Audience.EXPLICIT,  # the electorate snapshot, passed as `recipients`
        line=_("%(actor)s opened the vote “%(title)s”, open until %(closes_at)s"),
        target_kind="proposal",
        url_name="frontend:proposal_detail",  # optional: reversed with association_slug and code
    )

A line is a translatable template rendered later, in each recipient's language. It may use
`%(actor)s`, `%(title)s`, `%(association)s` and any string or number of the event's `data`; a
missing key renders empty rather than failing an inbox or a summary. Values in `data` are
rendered as given: format dates for people before publishing them.

The kinds the apps are expected to register (category, audience):

    invitation.accepted     members        BOARD        (hub: registered here, see below)
    proposal.opened         vote_required  EXPLICIT     the electorate snapshot
    proposal.closing_soon   vote_required  EXPLICIT     electors who have not voted yet
    decision.recorded       decisions      ALL_MEMBERS
    tool.stage_changed      tools          ALL_MEMBERS
    tutorial.published      tools          ALL_MEMBERS  (FOLLOWERS for later revisions)
    help.requested          help           EXPLICIT     the tool's referents (or BOARD)
    network.message         network        ALL_MEMBERS  a conseiller's message (actor: the conseiller)

Whatever the audience, only active members of the association receive an event, never its
actor; members who follow the target are added, members who muted it are removed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from .models import Category

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from .models import Event


class Audience(enum.StrEnum):
    """Who receives an event by default (the actor never does; followers of the target always may)."""

    ALL_MEMBERS = "all_members"
    BOARD = "board"  # board and administrators
    ADMINS = "admins"
    EXPLICIT = "explicit"  # the `recipients` given to `publish` (e.g. a proposal's electorate)
    FOLLOWERS = "followers"  # only members who follow the target


@dataclass(frozen=True)
class EventType:
    kind: str
    category: str
    audience: Audience
    line: StrOrPromise
    target_kind: str = ""
    # A URL name taking `association_slug` and `code` (the target's), for links from the inbox and emails.
    url_name: str = ""


class UnknownEventKind(LookupError):
    pass


_types: dict[str, EventType] = {}


def register(
    kind: str,
    *,
    category: str,
    audience: Audience,
    line: StrOrPromise,
    target_kind: str = "",
    url_name: str = "",
) -> EventType:
    """Declare an event kind. Registering the same definition twice is harmless; a different one raises."""
    if category not in Category.values:
        raise ValueError(f"Unknown notification category {category!r} for {kind!r}.")
    event_type = EventType(
        kind=kind,
        category=category,
        audience=Audience(audience),
        line=line,
        target_kind=target_kind,
        url_name=url_name,
    )
    existing = _types.get(kind)
    if existing is not None and existing != event_type:
        raise ValueError(f"The event kind {kind!r} is already registered differently.")
    _types[kind] = event_type
    return event_type


def get(kind: str) -> EventType:
    try:
        return _types[kind]
    except KeyError:
        raise UnknownEventKind(f"Unknown event kind {kind!r}: register it in your app's ready().") from None


def registered() -> Mapping[str, EventType]:
    return dict(_types)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def render_line(event: Event, *, association_name: str | None = None) -> str:
    """The event as one sentence in the active language. Reads `event.actor` (select it)."""
    event_type = _types.get(event.kind)
    values: dict[str, Any] = _Blank(
        {key: value for key, value in (event.data or {}).items() if isinstance(value, str | int | float)}
    )
    values["title"] = event.title
    values["actor"] = event.actor.display_name if event.actor_id and event.actor else ""
    values["association"] = association_name or ""
    if event_type is None:
        # A kind whose app was removed: the title snapshot still says what it was about.
        return event.title
    template = str(event_type.line) if isinstance(event_type.line, Promise) else event_type.line
    try:
        return template % values
    except (KeyError, ValueError, TypeError):
        return event.title


def target_path(event: Event, association_slug: str) -> str:
    """The page of the event's target (from the kind's `url_name`), or "" when it has none."""
    event_type = _types.get(event.kind)
    if event_type is None or not event_type.url_name or not event.target_code:
        return ""
    try:
        return reverse(event_type.url_name, kwargs={"association_slug": association_slug, "code": event.target_code})
    except NoReverseMatch:
        return ""


# Hub's own events: hub imports nothing of ours, so they are registered here; hub publishes them
# through `hub.events.publish`, inside the writing service's transaction.
INVITATION_ACCEPTED = "invitation.accepted"


def register_hub_events() -> None:
    from django.utils.translation import gettext_lazy as _

    register(
        INVITATION_ACCEPTED,
        category=Category.MEMBERS,
        audience=Audience.BOARD,
        line=_("%(actor)s accepted the invitation and joined %(association)s"),
        target_kind="membership",
    )
    register(
        "help_request.opened",
        category=Category.HELP,
        audience=Audience.BOARD,
        line=_("%(actor)s asked %(network)s for help: “%(title)s”"),
        target_kind="help_request",
        url_name="frontend:help_request_detail",
    )
    register(
        "help_request.replied",
        category=Category.HELP,
        audience=Audience.BOARD,
        line=_("%(actor)s answered the help request “%(title)s”"),
        target_kind="help_request",
        url_name="frontend:help_request_detail",
    )
