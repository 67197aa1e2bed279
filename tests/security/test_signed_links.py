"""Signed links expire (or, for the calendar feed, die with the membership), checked with time-machine.

The signed URLs of the project (grep signing / make_token): invitations (hub.services,
INVITATION_MAX_AGE_DAYS), password reset (Django's token generator, PASSWORD_RESET_TIMEOUT),
one-click unsubscribe (notifications.services, UNSUBSCRIBE_MAX_AGE_DAYS) and the votes calendar
feed (governance.calendar: a subscription URL that calendar apps poll for months, so it does not
expire by date; it stops when the membership ends or the account is deleted).
"""

from datetime import timedelta

import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_scopes import scopes_disabled

from governance.calendar import calendar_token
from hub import services
from hub.models import Membership
from notifications.services import unsubscribe_token
from tests.conftest import PASSWORD
from tests.factories import InvitationFactory


def test_an_invitation_link_expires_after_its_max_age(client, association, alice, settings):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        invitation = InvitationFactory(association=association, email="nouveau@exemple.fr", invited_by=alice)
        url = f"/invitations/{services.invitation_token(invitation)}/"
        traveller.shift(timedelta(days=settings.INVITATION_MAX_AGE_DAYS) - timedelta(minutes=1))
        assert client.get(url).status_code == 200
        traveller.shift(timedelta(minutes=2))
        response = client.get(url)
    assert response.status_code == 400
    assert "expiré" in response.content.decode()


def test_a_password_reset_link_expires(client, bob, settings):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        uid = urlsafe_base64_encode(force_bytes(bob.pk))
        url = f"/accounts/password-reset/{uid}/{default_token_generator.make_token(bob)}/"
        traveller.shift(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT - 60))
        assert client.get(url).status_code == 302  # valid: on to the "choose a password" form
        traveller.shift(timedelta(seconds=120))
        response = client.get(url)
    assert response.status_code == 200
    assert "plus valable" in response.content.decode()


def test_a_password_reset_link_works_once(client, bob):
    uid = urlsafe_base64_encode(force_bytes(bob.pk))
    url = f"/accounts/password-reset/{uid}/{default_token_generator.make_token(bob)}/"
    form_url = client.get(url)["Location"]
    new = "une toute nouvelle phrase"
    assert client.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    assert "plus valable" in Client().get(url).content.decode()


def test_an_unsubscribe_link_expires(client, bob, settings):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        url = f"/notifications/unsubscribe/{unsubscribe_token(user=bob)}/"
        traveller.shift(timedelta(days=settings.UNSUBSCRIBE_MAX_AGE_DAYS) - timedelta(minutes=1))
        assert client.get(url).status_code == 200
        traveller.shift(timedelta(minutes=2))
        assert client.get(url).status_code == 400
        assert client.post(url).status_code == 400


def test_the_calendar_feed_stops_when_the_membership_ends(client, association, bob):
    with scopes_disabled():
        membership = Membership.objects.get(association=association, user=bob)
    url = f"/calendar/{calendar_token(membership)}/votes.ics"
    assert client.get(url).status_code == 200
    with scopes_disabled():
        Membership.objects.filter(pk=membership.pk).update(is_active=False)
    assert client.get(url).status_code == 404


def test_the_calendar_feed_stops_when_the_account_is_deleted(client, association, bob):
    from hub.personal_data import delete_account

    with scopes_disabled():
        membership = Membership.objects.get(association=association, user=bob)
    url = f"/calendar/{calendar_token(membership)}/votes.ics"
    delete_account(user=bob, password=PASSWORD)
    assert client.get(url).status_code == 404


def test_a_tampered_link_is_refused(client, association, alice):
    invitation = InvitationFactory(association=association, email="nouveau@exemple.fr", invited_by=alice)
    token = services.invitation_token(invitation)
    assert client.get(f"/invitations/{token[:-2]}xx/").status_code == 400
