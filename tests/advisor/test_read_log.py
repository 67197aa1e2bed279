"""Every read of an association's data by a conseiller who is not a member is logged, once."""

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from hub.models import AdvisorReadLog
from tests.factories import AdvisorFactory, MembershipFactory


def _reads():
    with scopes_disabled():
        return list(AdvisorReadLog.objects.select_related("network", "advisor").order_by("pk"))


def test_a_conseiller_reading_a_page_creates_one_log_row(login, association, network, conseiller):
    response = login(conseiller).get(reverse("frontend:members", args=[association.slug]))
    assert response.status_code == 200
    (read,) = _reads()
    assert read.association_id == association.pk
    assert read.network == network
    assert read.advisor == conseiller
    assert read.path == f"/a/{association.slug}/members/"
    assert read.what == "frontend:members"


def test_a_members_read_creates_no_log_row(login, association, bob, conseiller):
    assert login(bob).get(reverse("frontend:members", args=[association.slug])).status_code == 200
    assert _reads() == []


def test_a_conseiller_who_is_also_a_member_is_not_logged(login, association, network, conseiller):
    MembershipFactory(association=association, user=conseiller)
    assert login(conseiller).get(reverse("frontend:members", args=[association.slug])).status_code == 200
    assert _reads() == []


def test_a_refused_read_is_not_logged(login, association, conseiller):
    # Conseillers may not see invitations (they carry email addresses): 403, nothing was read.
    assert login(conseiller).get(reverse("frontend:invitations", args=[association.slug])).status_code == 403
    assert _reads() == []


def test_an_outsider_conseiller_gets_404_and_no_log(login, association, other_conseiller):
    assert login(other_conseiller).get(reverse("frontend:members", args=[association.slug])).status_code == 404
    assert _reads() == []


def test_an_api_read_by_a_conseiller_is_logged_once(client, association, conseiller):
    client.force_login(conseiller)
    response = client.get(f"/api/v1/associations/{association.slug}/memberships/")
    assert response.status_code == 200
    (read,) = _reads()
    assert read.path == f"/api/v1/associations/{association.slug}/memberships/"
    assert read.what == "hub_api:membership-list"


def test_an_api_read_by_a_member_is_not_logged(client, association, bob):
    client.force_login(bob)
    assert client.get(f"/api/v1/associations/{association.slug}/memberships/").status_code == 200
    assert _reads() == []


def test_a_conseiller_of_two_networks_is_logged_under_the_first_one(login, association, network, conseiller, alice):
    from django.utils import timezone

    from tests.factories import NetworkFactory, NetworkMembershipFactory

    second = NetworkFactory(slug="second-reseau")
    AdvisorFactory(network=second, user=conseiller)
    NetworkMembershipFactory(association=association, network=second, consented_at=timezone.now(), consented_by=alice)
    login(conseiller).get(reverse("frontend:association_home", args=[association.slug]))
    (read,) = _reads()
    assert read.network_id == min(network.pk, second.pk)


@pytest.mark.parametrize(("role", "status"), [("alice", 200), ("berenice", 403), ("bob", 403), ("conseiller", 403)])
def test_only_administrators_see_the_read_log(
    request, login, association, alice, berenice, bob, conseiller, role, status
):
    login(conseiller).get(reverse("frontend:members", args=[association.slug]))
    user = request.getfixturevalue(role)
    response = login(user).get(reverse("frontend:advisor_reads", args=[association.slug]))
    assert response.status_code == status
    if status == 200:
        assert "Claire Moreau" in response.content.decode()


def test_the_read_log_is_also_in_the_api_for_administrators_only(client, association, alice, bob, conseiller):
    client.force_login(conseiller)
    client.get(f"/api/v1/associations/{association.slug}/memberships/")
    client.force_login(bob)
    assert client.get(f"/api/v1/associations/{association.slug}/advisor-reads/").status_code == 403
    client.force_login(alice)
    body = client.get(f"/api/v1/associations/{association.slug}/advisor-reads/").json()
    assert body["count"] == 1
    assert body["results"][0]["advisor"] == "Claire Moreau"
    assert body["results"][0]["network"] == "asso-37"


def test_the_read_log_page_runs_the_same_queries_for_1_and_50_reads(
    login, association, alice, network, conseiller, django_assert_num_queries
):
    def add(n):
        with scopes_disabled():
            AdvisorReadLog.objects.bulk_create(
                [
                    AdvisorReadLog(association=association, network=network, advisor=conseiller, path="/a/x/")
                    for _ in range(n)
                ]
            )

    client = login(alice)
    url = reverse("frontend:advisor_reads", args=[association.slug])
    add(1)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add(49)
    with django_assert_num_queries(len(one.captured_queries)):
        assert client.get(url).status_code == 200


def test_reads_stop_once_the_follow_up_is_ended(login, association, alice, conseiller, access_of):
    from hub import services
    from hub.models import NetworkMembership
    from hub.tenancy import association_scope

    with association_scope(association):
        link = NetworkMembership.objects.get(association=association)
    services.end_followup(user=alice, link=link, access=access_of(alice))
    assert login(conseiller).get(reverse("frontend:members", args=[association.slug])).status_code == 404
    assert _reads() == []
