"""The notifications API: inbox, read, settings, per-association preferences, follow/mute."""

import uuid

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from notifications.models import Mode, NotificationSettings, Subscription
from tests.factories import AssociationFactory, MembershipFactory

from .conftest import make_notifications, notifications_of

API = "/api/v1"
A = f"{API}/associations/amis-du-velo"


@pytest.fixture
def as_user(db):
    def _as(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _as


def test_inbox_lists_the_caller_notifications_newest_first_with_a_readable_line(as_user, association, alice, bob):
    make_notifications(association, bob, 2, actor=alice)
    body = as_user(bob).get(f"{API}/notifications/").json()
    assert body["count"] == 2
    first = body["results"][0]
    assert first["title"] == "Sujet 1"
    assert first["association"] == "amis-du-velo"
    assert first["line"] == "Alice Martin recorded “Sujet 1”"
    assert first["read_at"] is None


def test_inbox_filters_by_association_category_and_unread(as_user, association, other_association, alice, bob):
    MembershipFactory(association=other_association, user=bob)
    make_notifications(association, bob, 2, actor=alice)
    make_notifications(other_association, bob, 1, read=True)
    make_notifications(association, bob, 1, kind="test.help")
    client = as_user(bob)
    assert client.get(f"{API}/notifications/").json()["count"] == 4
    assert client.get(f"{API}/notifications/?association=echecs-loches").json()["count"] == 1
    assert client.get(f"{API}/notifications/?category=help").json()["count"] == 1
    assert client.get(f"{API}/notifications/?unread=true").json()["count"] == 3
    assert client.get(f"{API}/notifications/unread-count/").json() == {"count": 3}
    # An association the caller does not belong to filters to nothing, it does not widen the scope.
    assert client.get(f"{API}/notifications/?association=nope").json()["count"] == 0


def test_read_one_and_read_all(as_user, association, bob):
    first, *_ = make_notifications(association, bob, 3)
    client = as_user(bob)
    response = client.post(f"{API}/notifications/{first.code}/read/")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    assert client.post(f"{API}/notifications/read-all/", {}, content_type="application/json").json() == {"marked": 2}
    assert client.get(f"{API}/notifications/unread-count/").json() == {"count": 0}


def test_someone_else_notification_is_not_found_and_stays_unread(as_user, association, bob, charlie):
    (notification,) = make_notifications(association, bob, 1)
    response = as_user(charlie).post(f"{API}/notifications/{notification.code}/read/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert notifications_of(bob)[0].read_at is None


def test_a_member_who_left_no_longer_sees_that_association_notifications(as_user, association, bob):
    from hub.models import Membership

    make_notifications(association, bob, 2)
    with scopes_disabled():
        Membership.objects.filter(user=bob).update(is_active=False)
    client = as_user(bob)
    assert client.get(f"{API}/notifications/").json()["count"] == 0
    assert client.get(f"{API}/notifications/unread-count/").json() == {"count": 0}


def test_settings_read_defaults_and_save(as_user, bob):
    client = as_user(bob)
    assert client.get(f"{API}/notifications/settings/").json() == {
        "digest_frequency": "weekly",
        "digest_hour": 8,
        "digest_weekday": 0,
        "daily_email_cap": 3,
        "quiet_start": "21:00:00",
        "quiet_end": "08:00:00",
        "paused_until": None,
    }
    response = client.patch(
        f"{API}/notifications/settings/",
        {"digest_frequency": "daily", "digest_hour": 18, "paused_until": "2026-08-31"},
        content_type="application/json",
    )
    assert response.status_code == 200
    saved = NotificationSettings.objects.get(user=bob)
    assert (saved.digest_frequency, saved.digest_hour, str(saved.paused_until)) == ("daily", 18, "2026-08-31")


def test_settings_refuse_half_quiet_hours(as_user, bob):
    response = as_user(bob).patch(
        f"{API}/notifications/settings/", {"quiet_start": None}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "quiet_end" in response.json()["error"]["fields"]


def test_preferences_show_defaults_and_save_changes(as_user, association, bob):
    client = as_user(bob)
    rows = {row["category"]: row for row in client.get(f"{A}/notifications/preferences/").json()}
    assert rows["vote_required"]["mode"] == Mode.IMMEDIATE
    assert rows["decisions"]["mode"] == Mode.DIGEST
    response = client.patch(
        f"{A}/notifications/preferences/", {"modes": {"decisions": "off"}}, content_type="application/json"
    )
    assert response.status_code == 200
    rows = {row["category"]: row for row in response.json()}
    assert (rows["decisions"]["mode"], rows["decisions"]["default"]) == ("off", "digest")


def test_preferences_refuse_an_unknown_category(as_user, association, bob):
    response = as_user(bob).patch(
        f"{A}/notifications/preferences/", {"modes": {"gossip": "off"}}, content_type="application/json"
    )
    assert response.status_code == 400


def test_outsiders_get_404_on_preferences_and_subscriptions(as_user, association, charlie, conseiller):
    for user in (charlie,):
        assert as_user(user).get(f"{A}/notifications/preferences/").status_code == 404
    # A conseiller reads the association but has no inbox there.
    assert as_user(conseiller).get(f"{A}/notifications/preferences/").status_code == 403


def test_follow_then_mute_then_clear_a_target(as_user, association, bob):
    client = as_user(bob)
    code = str(uuid.uuid4())
    for state in ("follow", "mute"):
        response = client.put(
            f"{A}/notifications/subscriptions/",
            {"target_kind": "proposal", "target_code": code, "state": state},
            content_type="application/json",
        )
        assert response.status_code == 200
        with scopes_disabled():
            assert Subscription.objects.get(user=bob).state == state
    client.put(
        f"{A}/notifications/subscriptions/",
        {"target_kind": "proposal", "target_code": code, "state": None},
        content_type="application/json",
    )
    with scopes_disabled():
        assert not Subscription.objects.exists()


def test_anonymous_callers_get_401(client, db):
    assert client.get(f"{API}/notifications/").status_code == 401


@pytest.mark.parametrize("rows", [1, 47])  # 50 with the other associations' rows: one full page
def test_inbox_queries_do_not_grow_with_notifications(
    as_user, association, alice, bob, django_assert_num_queries, rows
):
    make_notifications(association, bob, rows, actor=alice)
    for other in AssociationFactory.create_batch(3):
        MembershipFactory(association=other, user=bob)
        make_notifications(other, bob, 1)
    client = as_user(bob)
    # session, user, memberships, count, page (with events, actors and associations joined)
    with django_assert_num_queries(5):
        response = client.get(f"{API}/notifications/")
    assert len(response.json()["results"]) == rows + 3
