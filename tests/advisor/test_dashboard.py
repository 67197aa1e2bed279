"""The conseillers' dashboard: figures on a hand-built pair of associations, sort, filters, CSV,
query count, and exactly the associations that consent to the network."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from governance import services as governance_services
from hub import services
from hub.models import AdvisorReadLog, NetworkMembership, Role
from hub.tenancy import association_scope
from shared_tools.models import FreeSoftware, Stage
from tests.factories import AssociationFactory, MembershipFactory, NetworkMembershipFactory, UserFactory
from tests.shared_tools.factories import ReferentFactory, ToolFactory, ToolUsageFactory, membership_of

CLOSES_IN = timedelta(days=5)


@pytest.fixture
def jardin(network, alice):
    """A second association that consents to `network`: in Blois (41), one proprietary tool nobody
    masters, and an open help request."""
    jardin = AssociationFactory(name="Jardin Partagé", slug="jardin", commune="Blois", departement="41")
    gardener = UserFactory(email="jardin@exemple.fr", display_name="Gérard")
    MembershipFactory(association=jardin, user=gardener, role=Role.ADMIN)
    NetworkMembershipFactory(association=jardin, network=network, consented_at=timezone.now(), consented_by=gardener)
    ToolUsageFactory(association=jardin, tool=ToolFactory(name="Excel", free_software=FreeSoftware.NO))
    return jardin


@pytest.fixture
def figures(association, alice, berenice, conseiller, jardin, network, access_of):
    """A: 4 tools in use, 2 of 3 on trial/adopted are free, 1 adopted tool with a single master,
    one open vote closing in 5 days. Jardin: 1 tool, 0 % free, an open help request."""
    nextcloud = ToolFactory(name="Nextcloud", free_software=FreeSoftware.YES)
    drive = ToolFactory(name="Google Drive", free_software=FreeSoftware.NO)
    ToolUsageFactory(association=association, tool=nextcloud, stage=Stage.ADOPTED)
    ToolUsageFactory(association=association, tool=ToolFactory(name="Framadate"), stage=Stage.TRIAL)
    ToolUsageFactory(association=association, tool=drive, stage=Stage.ADOPTED)
    ToolUsageFactory(
        association=association, tool=ToolFactory(name="Skype", free_software=FreeSoftware.NO), stage=Stage.RETIRING
    )
    ToolUsageFactory(association=association, tool=ToolFactory(name="Doodle"), stage=Stage.CONSIDERED)
    ToolUsageFactory(association=association, tool=ToolFactory(name="Vieux"), stage=Stage.ABANDONED)
    ReferentFactory(membership=membership_of(alice, association), tool=nextcloud)
    ReferentFactory(membership=membership_of(alice, association), tool=drive)
    ReferentFactory(membership=membership_of(berenice, association), tool=drive)
    closes_at = timezone.now() + CLOSES_IN
    with association_scope(association):
        proposal = governance_services.create_proposal(
            access=access_of(alice),
            title="Changer d'agenda",
            electorate="members",
            quorum_percent=0,
            threshold="simple",
        )
        governance_services.open_proposal(access=access_of(alice), proposal=proposal, closes_at=closes_at)
    gardener = UserFactory(email="jardin-bureau@exemple.fr", display_name="Bureau du jardin")
    MembershipFactory(association=jardin, user=gardener, role=Role.BOARD)
    with association_scope(jardin):
        services.open_help_request(
            access=access_of(gardener, jardin), user=gardener, network=network, title="Tableur", message="Aide ?"
        )
    return {"closes_at": closes_at}


def _dashboard(client, network, **query):
    response = client.get(reverse("frontend:network_dashboard", args=[network.slug]), query)
    assert response.status_code == 200
    return response


def _names(response):
    return [row.name for row in response.context["rows"]]


def test_the_dashboard_shows_the_figures_of_each_followed_association(login, conseiller, network, figures):
    rows = {row.slug: row for row in _dashboard(login(conseiller), network).context["rows"]}
    a, jardin = rows["amis-du-velo"], rows["jardin"]
    assert (a.stack_size, a.free_share, a.single_master_count, a.open_proposal_count, a.open_help_count) == (
        4,
        67,
        1,
        1,
        0,
    )
    assert abs(a.nearest_deadline - figures["closes_at"]) < timedelta(seconds=1)
    assert a.last_activity is not None
    assert (jardin.stack_size, jardin.free_share, jardin.single_master_count, jardin.open_proposal_count) == (
        1,
        0,
        0,
        0,
    )
    assert jardin.open_help_count == 1
    assert jardin.nearest_deadline is None


def test_the_page_renders_the_table_charts_and_help_requests(login, conseiller, network, figures):
    html = _dashboard(login(conseiller), network).content.decode()
    assert '<th scope="row"><a href="/a/amis-du-velo/">Les Amis du Vélo</a></th>' in html
    assert 'width="67"' in html  # the free-software bar of A
    assert "<polyline" in html
    assert "Tableur" in html
    assert "<script" not in html.split("<main", 1)[-1].split("</main>", 1)[0]
    assert " style=" not in html


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Jardin Partagé", "Les Amis du Vélo"]),
        ("-name", ["Les Amis du Vélo", "Jardin Partagé"]),
        ("free", ["Jardin Partagé", "Les Amis du Vélo"]),
        ("-free", ["Les Amis du Vélo", "Jardin Partagé"]),
        ("-stack", ["Les Amis du Vélo", "Jardin Partagé"]),
        ("-help", ["Jardin Partagé", "Les Amis du Vélo"]),
        ("deadline", ["Les Amis du Vélo", "Jardin Partagé"]),  # no deadline sorts last
        ("-place", ["Jardin Partagé", "Les Amis du Vélo"]),
        ("bogus", ["Jardin Partagé", "Les Amis du Vélo"]),
    ],
)
def test_the_dashboard_sorts_by_any_column(login, conseiller, network, figures, sort, expected):
    assert _names(_dashboard(login(conseiller), network, sort=sort)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"place": "Blois"}, ["Jardin Partagé"]),
        ({"place": "37"}, ["Les Amis du Vélo"]),
        ({"risks": "1"}, ["Les Amis du Vélo"]),
        ({"help": "1"}, ["Jardin Partagé"]),
        ({"risks": "1", "help": "1"}, []),
    ],
)
def test_the_dashboard_filters(login, conseiller, network, figures, query, expected):
    assert _names(_dashboard(login(conseiller), network, **query)) == expected


def test_the_csv_export_is_french_utf8_with_bom_and_semicolons(login, conseiller, network, figures):
    response = login(conseiller).get(reverse("frontend:network_dashboard_csv", args=[network.slug]), {"sort": "-free"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:]), delimiter=";"))
    assert rows[0][:5] == ["Association", "Commune", "Département", "Outils utilisés", "Part de logiciel libre (%)"]
    assert rows[0][-1] == "Demandes d'aide ouvertes"
    deadline = timezone.localtime(figures["closes_at"]).strftime("%d/%m/%Y")
    assert rows[1][:8] == ["Les Amis du Vélo", "Tours", "37", "4", "67", "1", "1", deadline]
    assert rows[1][9:] == ["", "", "0"]
    assert rows[2][:7] == ["Jardin Partagé", "Blois", "41", "1", "0", "0", "0"]
    assert rows[2][-1] == "1"


def test_each_dashboard_view_logs_one_read_per_association_shown(login, conseiller, network, figures):
    _dashboard(login(conseiller), network, place="Blois")
    with scopes_disabled():
        reads = list(AdvisorReadLog.objects.values_list("association__slug", "what"))
    assert reads == [("jardin", "frontend:network_dashboard")]


def test_the_dashboard_runs_the_same_queries_for_1_and_50_associations(
    login, conseiller, network, association, alice, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ToolUsageFactory(association=association, tool=ToolFactory(name="Nextcloud"))
    client = login(conseiller)
    client.get(reverse("frontend:network_dashboard", args=[network.slug]))
    with CaptureQueriesContext(connection) as one:
        _dashboard(client, network)
    for i in range(49):
        other = AssociationFactory()
        NetworkMembershipFactory(association=other, network=network, consented_at=timezone.now(), consented_by=alice)
        ToolUsageFactory(association=other, tool=ToolFactory(name=f"Outil {i}"))
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(_dashboard(client, network).context["rows"]) == 50


def test_a_conseiller_of_another_network_sees_none_of_these_associations(login, other_conseiller, network, figures):
    client = login(other_conseiller)
    assert client.get(reverse("frontend:network_dashboard", args=[network.slug])).status_code == 404
    assert client.get(reverse("frontend:network_dashboard_csv", args=[network.slug])).status_code == 404
    own = _dashboard(client, other_conseiller.advised_networks.get())
    assert _names(own) == []


def test_after_consent_is_revoked_the_association_leaves_the_dashboard_csv_and_pages(
    login, conseiller, network, association, alice, figures, access_of
):
    with association_scope(association):
        link = NetworkMembership.objects.get(network=network)
    services.end_followup(user=alice, link=link, access=access_of(alice))
    client = login(conseiller)
    assert _names(_dashboard(client, network)) == ["Jardin Partagé"]
    csv_body = client.get(reverse("frontend:network_dashboard_csv", args=[network.slug])).content.decode()
    assert "Amis du Vélo" not in csv_body
    for name in ("association_home", "stack", "members", "help_requests"):
        assert client.get(reverse(f"frontend:{name}", args=[association.slug])).status_code == 404
