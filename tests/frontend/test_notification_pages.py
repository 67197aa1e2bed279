"""Inbox and notification preferences pages: plain forms that work without JavaScript."""

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from notifications.models import Mode, NotificationSettings, Preference, Subscription
from tests.factories import AssociationFactory, MembershipFactory
from tests.notifications.conftest import make_notifications, notifications_of, test_kinds  # noqa: F401

PARIS = ZoneInfo("Europe/Paris")
INBOX = reverse("frontend:notifications_inbox")
PREFERENCES = reverse("frontend:notifications_preferences")


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# Inbox ---------------------------------------------------------------------------------------


def test_inbox_needs_a_login(client, db):
    response = client.get(INBOX)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("frontend:login"))


def test_inbox_groups_by_day_then_association_and_counts_unread(login, association, other_association, alice, bob):
    MembershipFactory(association=other_association, user=bob)
    monday = datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)
    make_notifications(association, bob, 2, actor=alice, start=monday)
    make_notifications(other_association, bob, 1, start=monday + timedelta(hours=1))
    make_notifications(association, bob, 1, actor=alice, start=monday + timedelta(days=1), read=True)
    with time_machine.travel(monday + timedelta(days=2)):
        response = login(bob).get(INBOX)
    assert response.status_code == 200
    days = response.context["days"]
    assert [day.day.isoformat() for day in days] == ["2026-03-03", "2026-03-02"]
    assert [[group.association.slug for group in day.groups] for day in days] == [
        ["amis-du-velo"],
        ["echecs-loches", "amis-du-velo"],
    ]
    body = text(response)
    assert "Alice Martin recorded “Sujet 1”" in body
    assert "3 notifications non lues" in body
    assert '<span class="badge" data-live-count="unread">3</span>' in body


def test_the_header_badge_is_hidden_when_nothing_is_unread(login, association, bob):
    body = text(login(bob).get(reverse("frontend:home")))
    assert '<span class="badge" data-live-count="unread" hidden>0</span>' in body


def test_mark_one_read_with_a_plain_form(login, association, bob):
    first, second = make_notifications(association, bob, 2)
    client = login(bob)
    response = client.post(reverse("frontend:notifications_read", kwargs={"code": first.code}), {"next": INBOX})
    assert response.status_code == 302
    assert response["Location"] == INBOX
    assert [n.read_at is not None for n in notifications_of(bob)] == [True, False]
    assert "1 notification non lue" in text(client.get(INBOX))


def test_mark_one_read_of_someone_else_is_404_and_changes_nothing(login, association, bob, charlie):
    (notification,) = make_notifications(association, bob, 1)
    response = login(charlie).post(reverse("frontend:notifications_read", kwargs={"code": notification.code}))
    assert response.status_code == 404
    assert notifications_of(bob)[0].read_at is None


def test_mark_read_refuses_get(login, association, bob):
    (notification,) = make_notifications(association, bob, 1)
    assert login(bob).get(reverse("frontend:notifications_read", kwargs={"code": notification.code})).status_code == 405


def test_mark_all_read_keeps_what_arrived_after_the_page_was_shown(login, association, other_association, bob):
    MembershipFactory(association=other_association, user=bob)
    make_notifications(association, bob, 2)
    make_notifications(other_association, bob, 1)
    client = login(bob)
    shown_at = client.get(INBOX).context["shown_at"]
    make_notifications(association, bob, 1, start=datetime.now(tz=PARIS) + timedelta(seconds=5))
    response = client.post(
        reverse("frontend:notifications_read_all"), {"association": "amis-du-velo", "shown_at": shown_at}
    )
    assert response.status_code == 302
    unread = [(n.association_id, n.event.title) for n in notifications_of(bob) if n.read_at is None]
    assert unread == [(other_association.pk, "Sujet 0"), (association.pk, "Sujet 0")]


def test_filters_by_association_category_and_unread(login, association, other_association, bob):
    MembershipFactory(association=other_association, user=bob)
    make_notifications(association, bob, 2)
    make_notifications(association, bob, 1, kind="test.help", read=True)
    make_notifications(other_association, bob, 1)
    client = login(bob)

    def shown(query: dict) -> int:
        return sum(len(g.lines) for day in client.get(INBOX, query).context["days"] for g in day.groups)

    assert shown({}) == 4
    assert shown({"association": "echecs-loches"}) == 1
    assert shown({"category": "help"}) == 1
    assert shown({"unread": "on"}) == 3
    assert shown({"association": "amis-du-velo", "unread": "on"}) == 2


def test_inbox_is_paginated(login, association, bob):
    make_notifications(association, bob, 35)
    client = login(bob)
    first = client.get(INBOX)
    assert len(first.context["page"].object_list) == 30
    assert 'href="?page=2"' in first.content.decode()
    assert len(client.get(INBOX, {"page": 2}).context["page"].object_list) == 5


@pytest.mark.parametrize("rows", [1, 30])
def test_inbox_queries_do_not_grow_with_notifications(login, association, alice, bob, django_assert_num_queries, rows):
    make_notifications(association, bob, rows, actor=alice)
    for other in AssociationFactory.create_batch(2):
        MembershipFactory(association=other, user=bob)
    client = login(bob)
    # session, user, memberships, count, page (events, actors, associations joined), unread count
    with django_assert_num_queries(6):
        response = client.get(INBOX)
    assert len(response.context["page"].object_list) == rows


# Preferences -----------------------------------------------------------------------------------


def preferences_post(**overrides) -> dict:
    data = {
        "settings-digest_frequency": "weekly",
        "settings-digest_weekday": "0",
        "settings-digest_hour": "8",
        "settings-daily_email_cap": "3",
        "settings-quiet_start": "21:00",
        "settings-quiet_end": "08:00",
        "settings-paused_until": "",
    }
    for category in ("vote_required", "decisions", "proposals", "tools", "help", "members", "network"):
        data[f"mode__amis-du-velo__{category}"] = Mode.IMMEDIATE if category == "vote_required" else Mode.DIGEST
    return data | overrides


def test_preferences_page_shows_calm_defaults_and_a_preview(login, association, alice, bob):
    # Five votes to cast on Wednesday: three emails (the daily cap), the rest in the weekly summary.
    wednesday = datetime(2026, 3, 4, 10, 0, tzinfo=PARIS)
    make_notifications(association, bob, 5, kind="test.vote", start=wednesday)
    make_notifications(association, bob, 4, start=wednesday)
    with time_machine.travel(wednesday + timedelta(days=1)):
        response = login(bob).get(PREFERENCES)
    assert response.status_code == 200
    form = response.context["modes_form"]
    assert form["mode__amis-du-velo__vote_required"].initial == Mode.IMMEDIATE
    assert form["mode__amis-du-velo__decisions"].initial == Mode.DIGEST
    assert response.context["preview"].notifications == 9
    assert response.context["preview"].emails == 3 + 1
    assert "vous auriez reçu 4 e-mails au lieu de 9" in text(response)


def test_preferences_are_saved_from_the_form(login, association, bob):
    response = login(bob).post(
        PREFERENCES,
        preferences_post(
            **{
                "settings-digest_frequency": "daily",
                "settings-digest_hour": "18",
                "settings-quiet_start": "",
                "settings-quiet_end": "",
                "settings-paused_until": "2026-08-31",
                "mode__amis-du-velo__decisions": Mode.OFF,
            }
        ),
    )
    assert response.status_code == 302
    saved = NotificationSettings.objects.get(user=bob)
    assert (saved.digest_frequency, saved.digest_hour, saved.quiet_start, str(saved.paused_until)) == (
        "daily",
        18,
        None,
        "2026-08-31",
    )
    with scopes_disabled():
        assert Preference.objects.get(user=bob, category="decisions").mode == Mode.OFF


def test_half_quiet_hours_are_refused_with_a_message_and_nothing_saved(login, association, bob):
    response = login(bob).post(PREFERENCES, preferences_post(**{"settings-quiet_end": ""}))
    assert response.status_code == 400
    assert "Indiquez le début et la fin des heures de silence" in text(response)
    assert not NotificationSettings.objects.filter(user=bob).exists()


@pytest.mark.parametrize("rows", [1, 50])
def test_preferences_page_queries_do_not_grow(login, association, bob, django_assert_num_queries, rows):
    make_notifications(association, bob, rows)
    for other in AssociationFactory.create_batch(rows // 10 + 1):
        MembershipFactory(association=other, user=bob)
    client = login(bob)
    # session, user, memberships, settings, preferences, the week's notifications, unread count
    with django_assert_num_queries(7):
        assert client.get(PREFERENCES).status_code == 200


def test_the_inbox_link_is_in_the_header(login, bob):
    assert f'href="{INBOX}"' in login(bob).get(reverse("frontend:home")).content.decode()


# Follow / mute from a page of the association ---------------------------------------------------


def follow_url(slug="amis-du-velo") -> str:
    return reverse("frontend:notifications_follow", kwargs={"association_slug": slug})


def test_a_member_follows_a_proposal_from_its_page(login, association, bob):
    code = uuid.uuid4()
    response = login(bob).post(
        follow_url(), {"target_kind": "proposal", "target_code": code, "state": "follow", "next": "/a/amis-du-velo/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/a/amis-du-velo/"
    with scopes_disabled():
        assert Subscription.objects.get(user=bob).target_code == code


def test_an_outsider_cannot_follow_and_a_conseiller_may_not(login, association, charlie, conseiller):
    data = {"target_kind": "proposal", "target_code": uuid.uuid4(), "state": "follow"}
    assert login(charlie).post(follow_url(), data).status_code == 404
    assert login(conseiller).post(follow_url(), data).status_code == 403
    with scopes_disabled():
        assert not Subscription.objects.exists()


def test_an_unsubscribe_link_that_is_not_valid_says_so(client, db):
    response = client.get(reverse("frontend:notifications_unsubscribe", kwargs={"token": "nope"}))
    assert response.status_code == 400
    assert "pas valable" in text(response)


def test_the_follow_form_include_shows_the_current_state(rf, association, bob):
    from django.template.loader import render_to_string

    from hub.tenancy import association_scope
    from notifications import selectors, services

    code = uuid.uuid4()
    request = rf.get("/a/amis-du-velo/proposals/x/")
    with association_scope(association):
        state = selectors.subscription_state(bob, association, target_kind="proposal", target_code=code)
        html = render_to_string(
            "notifications/_follow_form.html",
            {"association": association, "target_kind": "proposal", "target_code": code, "follow_state": state},
            request=request,
        )
        assert 'value="follow"' in html and 'value="mute"' in html and 'value="clear"' not in html
        services.set_subscription(
            user=bob, association=association, target_kind="proposal", target_code=code, state="follow"
        )
        state = selectors.subscription_state(bob, association, target_kind="proposal", target_code=code)
        html = render_to_string(
            "notifications/_follow_form.html",
            {"association": association, "target_kind": "proposal", "target_code": code, "follow_state": state},
            request=request,
        )
    assert state == "follow"
    assert 'value="follow"' not in html and 'value="clear"' in html


def test_inbox_lines_link_to_their_target_when_the_kind_names_a_page(login, association, bob, monkeypatch):
    from notifications import registry

    monkeypatch.setitem(
        registry._types,
        "test.linked",
        registry.EventType("test.linked", "decisions", "all_members", "Voir %(title)s", "x", "frontend:members"),
    )
    # frontend:members takes no code: the link is left out rather than failing the page.
    make_notifications(association, bob, 1, kind="test.linked")
    response = login(bob).get(INBOX)
    assert response.status_code == 200
    assert response.context["days"][0].groups[0].lines[0].path == ""
