"""Help requests: who may open, read, answer and move them; events; the API."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from hub import services
from hub.models import HelpRequest, HelpStatus, NetworkMembership
from hub.tenancy import association_scope
from notifications.models import Event


def _reload(help_request):
    with scopes_disabled():
        return HelpRequest.objects.get(pk=help_request.pk)


def test_the_board_opens_a_request_with_its_first_message_and_an_event(open_help, berenice, network):
    help_request = open_help()
    assert help_request.status == HelpStatus.NEW
    assert help_request.network == network
    with scopes_disabled():
        assert [m.body for m in help_request.messages.all()] == ["Comment faire une sauvegarde ?"]
        event = Event.objects.get(kind="help_request.opened")
    assert event.actor_id == berenice.pk
    assert event.target_code == help_request.code


def test_a_member_cannot_open_a_request(association, bob, network, conseiller, access_of):
    with association_scope(association), pytest.raises(PermissionDenied):
        services.open_help_request(access=access_of(bob), user=bob, network=network, title="t", message="m")


def test_a_network_that_does_not_follow_the_association_cannot_be_asked(association, berenice, access_of):
    from tests.factories import NetworkFactory

    stranger = NetworkFactory(slug="inconnu")
    with association_scope(association), pytest.raises(ValidationError):
        services.open_help_request(access=access_of(berenice), user=berenice, network=stranger, title="t", message="m")


def test_a_conseillers_first_answer_takes_the_request(open_help, association, conseiller, access_of):
    help_request = open_help()
    with association_scope(association):
        message = services.reply_to_help_request(
            access=access_of(conseiller), user=conseiller, help_request=help_request, body="Je regarde."
        )
    assert message.by_advisor
    assert _reload(help_request).status == HelpStatus.IN_PROGRESS
    with scopes_disabled():
        assert Event.objects.filter(kind="help_request.replied").count() == 1


def test_a_board_answer_leaves_the_status_alone(open_help, association, alice, access_of):
    help_request = open_help()
    with association_scope(association):
        message = services.reply_to_help_request(
            access=access_of(alice), user=alice, help_request=help_request, body="+1"
        )
    assert not message.by_advisor
    assert _reload(help_request).status == HelpStatus.NEW


@pytest.mark.parametrize(
    ("who", "from_status", "to_status", "allowed"),
    [
        ("conseiller", HelpStatus.NEW, HelpStatus.IN_PROGRESS, True),
        ("conseiller", HelpStatus.IN_PROGRESS, HelpStatus.DONE, True),
        ("conseiller", HelpStatus.DONE, HelpStatus.IN_PROGRESS, True),
        ("conseiller", HelpStatus.IN_PROGRESS, HelpStatus.NEW, False),
        ("berenice", HelpStatus.NEW, HelpStatus.DONE, True),
        ("berenice", HelpStatus.IN_PROGRESS, HelpStatus.DONE, True),
        ("berenice", HelpStatus.NEW, HelpStatus.IN_PROGRESS, False),
        ("berenice", HelpStatus.DONE, HelpStatus.IN_PROGRESS, False),
        ("alice", HelpStatus.IN_PROGRESS, HelpStatus.DONE, True),
        ("bob", HelpStatus.NEW, HelpStatus.DONE, False),
    ],
)
def test_status_transitions(request, open_help, association, access_of, who, from_status, to_status, allowed):
    help_request = open_help()
    with scopes_disabled():
        HelpRequest.objects.filter(pk=help_request.pk).update(
            status=from_status, closed_at=timezone.now() if from_status == HelpStatus.DONE else None
        )
    help_request = _reload(help_request)
    user = request.getfixturevalue(who)
    with association_scope(association):
        if allowed:
            services.move_help_request(access=access_of(user), help_request=help_request, status=to_status)
        else:
            with pytest.raises(PermissionDenied):
                services.move_help_request(access=access_of(user), help_request=help_request, status=to_status)
    reloaded = _reload(help_request)
    assert reloaded.status == (to_status if allowed else from_status)
    assert (reloaded.closed_at is not None) is (reloaded.status == HelpStatus.DONE)


def test_a_stale_move_is_refused(open_help, association, conseiller, berenice, access_of):
    help_request = open_help()
    stale = _reload(help_request)
    with association_scope(association):
        services.move_help_request(access=access_of(berenice), help_request=help_request, status=HelpStatus.DONE)
        with pytest.raises(ValidationError):
            services.move_help_request(access=access_of(conseiller), help_request=stale, status=HelpStatus.IN_PROGRESS)


def test_a_closed_request_takes_no_more_messages(open_help, association, berenice, access_of):
    help_request = open_help()
    with association_scope(association):
        services.move_help_request(access=access_of(berenice), help_request=help_request, status=HelpStatus.DONE)
        with pytest.raises(ValidationError):
            services.reply_to_help_request(
                access=access_of(berenice), user=berenice, help_request=_reload(help_request), body="encore"
            )


# API --------------------------------------------------------------------------------------------

ROLES_STATUS = [
    ("alice", 200),
    ("berenice", 200),
    ("bob", 403),
    ("conseiller", 200),
    ("other_conseiller", 404),
    ("charlie", 404),
]


@pytest.mark.parametrize(("role", "expected"), ROLES_STATUS)
def test_api_help_request_matrix(request, client, association, open_help, role, expected):
    help_request = open_help()
    client.force_login(request.getfixturevalue(role))
    base = f"/api/v1/associations/{association.slug}/help-requests/"
    assert client.get(base).status_code == expected
    assert client.get(f"{base}{help_request.code}/").status_code == expected
    reply = client.post(f"{base}{help_request.code}/messages/", {"body": "Bonjour"}, content_type="application/json")
    assert reply.status_code == (201 if expected == 200 else expected)


def test_api_board_opens_a_request_and_the_conseiller_lists_it_on_the_network(
    client, association, berenice, conseiller, network
):
    client.force_login(berenice)
    response = client.post(
        f"/api/v1/associations/{association.slug}/help-requests/",
        {"network": network.slug, "title": "Site web", "message": "Notre site est en panne."},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["messages"][0]["body"] == "Notre site est en panne."
    client.force_login(conseiller)
    listed = client.get(f"/api/v1/networks/{network.slug}/help-requests/").json()
    assert [row["title"] for row in listed["results"]] == ["Site web"]
    moved = client.post(
        f"/api/v1/associations/{association.slug}/help-requests/{response.json()['code']}/status/",
        {"status": "in_progress"},
        content_type="application/json",
    )
    assert moved.status_code == 200
    assert moved.json()["status"] == "in_progress"


def test_api_network_list_is_404_for_another_networks_conseiller(client, other_conseiller, network):
    client.force_login(other_conseiller)
    assert client.get(f"/api/v1/networks/{network.slug}/help-requests/").status_code == 404


def test_requests_disappear_from_the_network_once_consent_is_revoked(
    client, association, alice, conseiller, network, open_help, access_of
):
    help_request = open_help()
    with association_scope(association):
        link = NetworkMembership.objects.get(network=network)
    services.end_followup(user=alice, link=link, access=access_of(alice))
    client.force_login(conseiller)
    assert client.get(f"/api/v1/networks/{network.slug}/help-requests/").json()["count"] == 0
    url = f"/api/v1/associations/{association.slug}/help-requests/{help_request.code}/"
    assert client.get(url).status_code == 404
