"""The set-based fan-out decides per profile of members; each member must still get exactly what
`rules.route` decides for them, and the statements must not grow with the audience."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from hub.models import Membership
from hub.tenancy import association_scope
from notifications import selectors, services
from notifications.models import DEFAULT_MODES, Event, Mode, Notification, OutboxEmail, Preference, Subscription
from notifications.rules import route
from tests.factories import MembershipFactory, UserFactory

from .conftest import set_attention

PARIS = ZoneInfo("Europe/Paris")
# 22:30 in Paris: inside the default quiet hours there, not in Martinique or Nouméa.
LATE = datetime(2026, 3, 4, 22, 30, tzinfo=PARIS)

# (time zone, settings or None, mode for the vote's category or None, follow/mute or None)
PROFILES = [
    ("Europe/Paris", None, None, None),
    ("Europe/Paris", None, None, None),
    ("America/Martinique", None, None, None),
    ("Pacific/Noumea", None, Mode.IMMEDIATE, None),
    ("Europe/Paris", {"quiet_start": None, "quiet_end": None}, None, None),
    ("Europe/Paris", {"quiet_start": None, "quiet_end": None, "daily_email_cap": 1}, None, None),
    ("Europe/Paris", {"quiet_start": None, "quiet_end": None, "daily_email_cap": 0}, None, None),
    ("Europe/Paris", {"quiet_start": time(23), "quiet_end": time(6)}, None, None),
    ("Europe/Paris", {"paused_until": date(2026, 3, 10)}, None, None),
    ("Europe/Paris", {"paused_until": date(2026, 3, 1)}, None, None),
    ("Europe/Paris", None, Mode.OFF, None),
    ("Europe/Paris", None, Mode.OFF, "follow"),
    ("Europe/Paris", None, Mode.IN_APP, None),
    ("Europe/Paris", None, Mode.DIGEST, None),
    ("Europe/Paris", None, None, "mute"),
    ("Europe/Paris", None, None, "follow"),
    ("Not/AZone", None, None, None),
    ("Europe/Paris", {"digest_frequency": "daily", "quiet_start": None, "quiet_end": None}, Mode.IMMEDIATE, None),
]


def members_with_profiles(association, copies: int):
    users = []
    for _copy in range(copies):
        for zone, attention, mode, state in PROFILES:
            user = UserFactory(time_zone=zone)
            MembershipFactory(association=association, user=user)
            if attention is not None:
                set_attention(user, **attention)
            with scopes_disabled():
                if mode is not None:
                    Preference.objects.create(association=association, user=user, category="vote_required", mode=mode)
            users.append((user, state))
    return users


def planned_before(users) -> dict[int, dict[date, int]]:
    """What the cap counts: each member's immediate emails planned around now, by their local day."""
    by_user: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    with scopes_disabled():
        for outbox in OutboxEmail.objects.filter(recipient__in=[u for u, _ in users], skipped_at__isnull=True):
            zone = selectors.attention_of(outbox.recipient, selectors.settings_of(outbox.recipient)).zone
            by_user[outbox.recipient_id][outbox.due_at.astimezone(zone).date()] += 1
    return by_user


def vote(association, actor, users, target):
    with association_scope(association):
        event = Event.objects.create(
            association=association,
            kind="test.vote",
            category="vote_required",
            actor=actor,
            target_kind="proposal",
            target_code=target,
            title="Vote",
            recipient_ids=[u.pk for u, _ in users],
        )
        services.fan_out(event=event)
    return event


@pytest.mark.parametrize("batch_size", [None, 7])
def test_each_member_gets_exactly_what_route_decides_for_them(association, alice, monkeypatch, batch_size):
    monkeypatch.setattr(services, "FAN_OUT_BATCH_SIZE", batch_size)
    users = members_with_profiles(association, copies=2)
    target = uuid4()
    with scopes_disabled():
        Subscription.objects.bulk_create(
            [
                Subscription(association=association, user=user, target_kind="proposal", target_code=target, state=s)
                for user, s in users
                if s
            ]
        )
    # Members of some profiles already have an email planned today (in the first copy only: equal
    # profiles, different caps left).
    earlier = [member for index, member in enumerate(users[: len(PROFILES)]) if index in (3, 4, 5, 17)]
    with time_machine.travel(LATE - timedelta(hours=2), tick=False):
        vote(association, alice, earlier, uuid4())
    with time_machine.travel(LATE, tick=False):
        planned = planned_before(users)
        event = vote(association, alice, users, target)

    with scopes_disabled():
        got = {n.recipient_id: n for n in Notification.objects.filter(event=event)}
        emails = dict(OutboxEmail.objects.filter(notification__event=event).values_list("recipient_id", "due_at"))
    routes_seen = set()
    for user, state in users:
        with scopes_disabled():
            mode = (
                Preference.objects.filter(association=association, user=user, category="vote_required")
                .values_list("mode", flat=True)
                .first()
            ) or DEFAULT_MODES["vote_required"]
        attention = selectors.attention_of(user, selectors.settings_of(user))
        expected = route(
            mode=mode, attention=attention, now=LATE, subscription=state, emails_by_day=planned.get(user.pk)
        )
        notification = got.get(user.pk)
        assert (notification is not None) == expected.inbox, user.email
        if expected.inbox:
            assert (notification.route, notification.in_digest) == (expected.route, expected.digest), user.email
            routes_seen.add(expected.route)
        assert emails.get(user.pk) == expected.email_at, user.email
    # The cast covers every way a notification can be routed.
    assert routes_seen == {"immediate", "held", "cap_reached", "digest", "in_app", "paused"}


def fan_out_statements(association, actor) -> int:
    with association_scope(association):
        event = Event.objects.create(
            association=association, kind="test.decision", category="decisions", title="x", actor=actor
        )
        with CaptureQueriesContext(connection) as queries:
            services.fan_out(event=event)
    return len(queries.captured_queries)


def test_statements_do_not_grow_with_a_varied_audience(association, alice):
    members_with_profiles(association, copies=1)
    few = fan_out_statements(association, alice)
    members_with_profiles(association, copies=4)
    assert fan_out_statements(association, alice) == few


def test_unread_counts_cover_only_the_associations_the_member_still_belongs_to(
    emit, association, other_association, alice, bob, charlie
):
    MembershipFactory(association=other_association, user=bob)
    emit(association, "test.decision", actor=alice)
    emit(association, "test.decision", actor=alice)
    emit(other_association, "test.decision")
    assert selectors.unread_counts([bob.pk, charlie.pk, alice.pk]) == {bob.pk: 3, charlie.pk: 1}

    with scopes_disabled():
        Membership.objects.filter(association=other_association, user=bob).update(is_active=False)
        first = Notification.objects.filter(recipient=bob, association=association).order_by("pk").first()
        Notification.objects.filter(pk=first.pk).update(read_at=LATE)
    assert selectors.unread_counts([bob.pk]) == {bob.pk: 1}
    assert selectors.unread_counts([]) == {}
