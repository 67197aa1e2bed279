"""Reads: the inbox, unread counts, preferences, what waits for a summary, the one-week preview.

A person's inbox spans their associations: callers open the scope of the user's associations
(`hub.tenancy.association_scope(ids)`). The unread counts and the summary reads cross tenants
by design (a person's own rows, for the header badge and the one summary email) and name it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from hub.models import Association, Membership, User

from . import registry, sql
from .models import (
    DEFAULT_MODES,
    Category,
    DigestFrequency,
    Mode,
    Notification,
    NotificationSettings,
    Preference,
    Subscription,
)
from .rules import Attention, latest_digest_slot, route

ATTENTION_FIELDS = (
    "daily_email_cap",
    "quiet_start",
    "quiet_end",
    "paused_until",
    "digest_frequency",
    "digest_hour",
    "digest_weekday",
)


def _recipient_is_member() -> Exists:
    # A member who left an association no longer sees (nor is emailed) its notifications.
    return Exists(
        Membership.objects.with_scopes_disabled().filter(
            user_id=OuterRef("recipient_id"), association_id=OuterRef("association_id"), is_active=True
        )
    )


def unread_count(user: User) -> int:
    """Unread notifications of the user in the associations they belong to (crosses tenants: their own rows)."""
    return unread_counts([user.pk]).get(user.pk, 0)


def unread_counts(user_ids: Sequence[int]) -> dict[int, int]:
    """Unread counts for several users in one query (crosses tenants: each user's own rows).

    Counted per (user, association) first, so membership is checked once per association a user
    has unread notifications in, not once per notification (a fan-out asks for thousands of users).
    """
    if not user_ids:
        return {}
    notification, recipient, association, read_at = sql.names(Notification, "recipient", "association", "read_at")
    membership, m_user, m_association, m_active = sql.names(Membership, "user", "association", "is_active")
    recipients, params = sql.id_in(f"n.{recipient}", user_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.recipient, CAST(SUM(c.unread) AS INTEGER) FROM ("  # noqa: S608 (names from the models)
            f"SELECT n.{recipient} AS recipient, n.{association} AS association, COUNT(*) AS unread "
            f"FROM {notification} n WHERE n.{read_at} IS NULL AND {recipients} GROUP BY n.{recipient}, n.{association}"
            f") c WHERE EXISTS (SELECT 1 FROM {membership} m WHERE m.{m_user} = c.recipient "
            f"AND m.{m_association} = c.association AND m.{m_active}) GROUP BY c.recipient",
            params,
        )
        return dict(cursor.fetchall())


def inbox(
    user: User,
    *,
    association_ids: Iterable[int],
    category: str | None = None,
    unread_only: bool = False,
) -> QuerySet[Notification]:
    """The user's notifications in these associations, newest first. Needs their scope."""
    rows = Notification.objects.filter(recipient=user, association_id__in=list(association_ids))
    if category:
        rows = rows.filter(category=category)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.select_related("event__actor", "association").order_by("-created_at", "-pk")


@dataclass
class InboxLine:
    notification: Notification
    line: str
    path: str = ""  # the target's page, when its kind names one


@dataclass
class InboxGroup:
    association: Association
    lines: list[InboxLine] = field(default_factory=list)


@dataclass
class InboxDay:
    day: date
    groups: list[InboxGroup] = field(default_factory=list)


def group_by_day_and_association(notifications: Iterable[Notification], zone: ZoneInfo) -> list[InboxDay]:
    """One page of the inbox as days (member's time zone), then associations within a day, in order."""
    days: list[InboxDay] = []
    for notification in notifications:
        day = notification.created_at.astimezone(zone).date()
        if not days or days[-1].day != day:
            days.append(InboxDay(day=day))
        groups = days[-1].groups
        group = next((g for g in groups if g.association.pk == notification.association_id), None)
        if group is None:
            group = InboxGroup(association=notification.association)
            groups.append(group)
        line = registry.render_line(notification.event, association_name=notification.association.name)
        path = registry.target_path(notification.event, notification.association.slug)
        group.lines.append(InboxLine(notification=notification, line=line, path=path))
    return days


def settings_of(user: User) -> NotificationSettings:
    """The user's delivery settings; an unsaved instance with the calm defaults when they never chose."""
    return NotificationSettings.objects.filter(user=user).first() or NotificationSettings(user=user)


def attention_of(user: User, settings: NotificationSettings) -> Attention:
    return Attention(time_zone=user.time_zone, **{name: getattr(settings, name) for name in ATTENTION_FIELDS})


def modes_of(user: User, association_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """(association id, category) → mode for every category, defaults filled in. One query; needs the scope."""
    ids = list(association_ids)
    modes: dict[tuple[int, str], str] = {
        (association_id, category): DEFAULT_MODES[category] for association_id in ids for category in Category.values
    }
    chosen = Preference.objects.filter(user=user, association_id__in=ids).values_list(
        "association_id", "category", "mode"
    )
    for association_id, category, mode in chosen:
        modes[(association_id, category)] = mode
    return modes


def subscription_state(user: User, association: Association, *, target_kind: str, target_code: UUID) -> str | None:
    """ "follow", "mute" or None for the member and the target. Needs the association's scope."""
    return (
        Subscription.objects.filter(
            association=association, user=user, target_kind=target_kind, target_code=target_code
        )
        .values_list("state", flat=True)
        .first()
    )


def digest_pending(*, now: datetime, recipient_id: int | None = None) -> QuerySet[Notification]:
    """Notifications waiting for a summary at `now`: unread, not yet summarised, recipient still a member.

    Crosses tenants: a summary covers all of a person's associations.
    """
    rows = Notification.objects.with_scopes_disabled().filter(
        in_digest=True, digested_at__isnull=True, read_at__isnull=True, created_at__lte=now
    )
    if recipient_id is not None:
        rows = rows.filter(recipient_id=recipient_id)
    return rows.filter(_recipient_is_member())


# The preview of the preferences page -------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    notifications: int  # what one email per notification would have been
    emails: int  # immediate emails + summaries with these settings


def email_preview(
    user: User,
    *,
    now: datetime,
    attention: Attention,
    modes: dict[tuple[int, str], str],
    association_ids: Iterable[int],
) -> Preview:
    """How many emails the last seven days would have cost with these settings (one query; needs the scope).

    Replays the week's notifications through `rules.route`, counting immediate emails under the
    daily cap and one summary per period that would have had something in it.
    """
    week = list(
        Notification.objects.filter(
            recipient=user, association_id__in=list(association_ids), created_at__gt=now - timedelta(days=7)
        )
        .order_by("created_at")
        .values_list("association_id", "category", "created_at")
    )
    immediate = 0
    by_day: dict[date, int] = defaultdict(int)
    summaries: set[str] = set()
    step = timedelta(days=1 if attention.digest_frequency == DigestFrequency.DAILY else 7)
    for association_id, category, created_at in week:
        delivery = route(
            mode=modes.get((association_id, category), DEFAULT_MODES.get(category, Mode.DIGEST)),
            attention=attention,
            now=created_at,
            emails_by_day=by_day,
        )
        if delivery.email_at is not None:
            immediate += 1
            by_day[delivery.email_at.astimezone(attention.zone).date()] += 1
        elif delivery.digest:
            # The first slot after the notification is the latest one a period later.
            slot = latest_digest_slot(attention, created_at + step)
            if slot is not None:
                summaries.add(slot.period)
    return Preview(notifications=len(week), emails=immediate + len(summaries))
