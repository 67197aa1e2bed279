"""A member downloads all their personal data (page and API), in a constant number of queries."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from hub.personal_data import personal_data
from shared_tools.models import RegistrationStatus, Workshop, WorkshopRegistration
from tests.factories import InvitationFactory


def download(client):
    response = client.get("/accounts/settings/data.json")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="asso-hub-')
    return json.loads(response.content)


def test_my_data_page_explains_and_links_the_download(login, bob):
    response = login(bob).get("/accounts/settings/data/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Mes données" in text
    assert "/accounts/settings/data.json" in text
    assert "/accounts/settings/delete/" in text


def test_the_download_holds_what_each_app_keeps(login, association, alice, bob, network, vote_on, activity):
    InvitationFactory(association=association, email="bob@exemple.fr", invited_by=alice, message="Bienvenue Bob")
    activity(bob, 2)
    vote_on({bob: "for"})
    vote_on({bob: "against"}, anonymous=True, title="Vote secret")
    data = download(login(bob))

    hub = data["hub"]
    assert hub["account"]["email"] == "bob@exemple.fr"
    assert hub["memberships"][0]["association"] == "Les Amis du Vélo"
    assert hub["invitations_received"][0]["message"] == "Bienvenue Bob"
    assert [m["message"] for m in hub["help_messages"]] == ["M0", "M1"]
    tools = data["shared_tools"]
    assert len(tools["know_how"]) == 2
    assert {t["title"] for t in tools["tutorials_written"]} == {"Tuto 0", "Tuto 1"}
    assert len(tools["tutorial_questions"]) == 2
    governance = data["governance"]
    assert [c["message"] for c in governance["comments"]] == ["Avis 0", "Avis 1"]
    assert governance["proposals_written"][0]["title"] == "Une idée"
    named, secret = governance["votes"]
    assert named["choice"] == "for"
    assert named["reason"] == "Ma raison"
    # A secret ballot: that they took part, never what they chose.
    assert secret["secret_ballot"] is True
    assert secret["voted_at"]
    assert "choice" not in secret and "reason" not in secret
    assert len(data["notifications"]["notifications"]) == 2
    assert data["notifications"]["preferences"] == [
        {"association": "Les Amis du Vélo", "category": "proposals", "mode": "digest"}
    ]


def test_workshop_registrations_are_included(login, bob, network):
    from datetime import timedelta

    from django.utils import timezone

    workshop = Workshop.objects.create(
        network=network,
        title="Atelier Nextcloud",
        starts_at=timezone.now() + timedelta(days=3),
        ends_at=timezone.now() + timedelta(days=3, hours=2),
        capacity=10,
    )
    WorkshopRegistration.objects.create(workshop=workshop, user=bob, status=RegistrationStatus.REGISTERED)
    data = download(login(bob))
    assert data["shared_tools"]["workshop_registrations"][0]["workshop"] == "Atelier Nextcloud"


def test_the_api_gives_the_same_data(login, bob, activity):
    activity(bob, 1)
    client = login(bob)
    api = client.get("/api/v1/me/data/").json()
    page = download(client)
    api.pop("generated_at"), page.pop("generated_at")
    assert api == page


def test_someone_else_s_data_is_not_in_my_file(login, bob, alice, activity):
    activity(alice, 2)
    data = download(login(bob))
    assert data["governance"]["comments"] == []
    assert data["shared_tools"]["know_how"] == []
    assert "alice@exemple.fr" not in json.dumps(data)


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    assert client.get("/accounts/settings/data.json").status_code == 302
    assert client.get("/api/v1/me/data/").status_code == 401


def _queries(user):
    with CaptureQueriesContext(connection) as ctx:
        personal_data(user)
    return len(ctx.captured_queries)


def test_the_export_runs_a_constant_number_of_queries(bob, berenice, vote_on, activity):
    activity(bob, 1)
    vote_on({bob: "for"})
    one = _queries(bob)
    activity(berenice, 30)
    for n in range(5):
        vote_on({berenice: "for"}, title=f"Vote {n}")
    with scopes_disabled():
        assert _queries(berenice) == one
