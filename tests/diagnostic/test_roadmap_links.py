"""Roadmap steps that point at a workshop of the association's networks or a mediation place nearby."""

import textwrap
from datetime import date, timedelta

import pytest
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from hub.tenancy import association_scope
from shared_tools import selectors, services
from shared_tools.models import (
    Place,
    PlaceService,
    PlaceServiceOffer,
    StepLink,
    Workshop,
    WorkshopStatus,
)
from tests.factories import NetworkFactory
from tests.shared_tools.factories import ToolFactory

QUESTIONNAIRE = textwrap.dedent(
    """
    version: 1
    title: "Petit diagnostic"
    dimensions:
      - id: formation
        title: "Formation"
        questions:
          - id: formation-suivie
            text: "Un membre a-t-il suivi une formation ?"
            answers:
              - {id: non, label: "Non", points: 0}
              - {id: oui, label: "Oui", points: 2}
        steps:
          - {id: atelier, title: "S'inscrire à un atelier", link: {kind: workshop, tools: [jitsi]}}
          - {id: repli, title: "Lire un tutoriel", link: {kind: tutorial, words: "accueil"}}
      - id: territoire
        title: "Territoire"
        questions:
          - id: connexion
            text: "Le local a-t-il une connexion ?"
            answers:
              - {id: non, label: "Non", points: 0}
              - {id: oui, label: "Oui", points: 1}
        steps:
          - id: lieu
            title: "Repérer un lieu de médiation"
            link: {kind: place, services: ["Accès internet et matériel informatique"]}
          - {id: territoire-b, title: "Imprimer un tutoriel", link: {kind: tutorial, words: "imprimer"}}
    """
)
WEAK = {"formation-suivie": "non", "connexion": "non"}


@pytest.fixture
def take(tmp_path, association, access_of):
    (tmp_path / "diagnostic-v1.yml").write_text(QUESTIONNAIRE, encoding="utf-8")

    def _take(user):
        with override_settings(DIAGNOSTIC_QUESTIONNAIRE_DIR=str(tmp_path)), association_scope(association):
            services.take_assessment(access=access_of(user), answers=dict(WEAK))
            return {step.key: step for step in selectors.roadmap_of(association)}

    return _take


def workshop(network, *, days=7, tool=None, status=WorkshopStatus.PUBLISHED, title="Atelier visio"):
    start = timezone.now() + timedelta(days=days)
    return Workshop.objects.create(
        network=network,
        title=title,
        tool=tool,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=10,
        status=status,
        online_url="https://visio.exemple.fr/atelier",
    )


def place(local_id, *, postcode, commune, services=(PlaceService.ACCESS,)):
    created = Place.objects.create(
        local_id=local_id,
        pivot="43493312300029",
        name=f"Espace numérique {commune}",
        commune=commune,
        postcode=postcode,
        address="1 place de la Mairie",
        updated_on=date(2026, 1, 5),
    )
    created.refresh_derived()
    created.save()
    PlaceServiceOffer.objects.bulk_create([PlaceServiceOffer(place=created, service=s) for s in services])
    return created


def test_the_soonest_workshop_of_a_following_network_on_the_named_tool_is_linked(take, network, conseiller, berenice):
    jitsi = ToolFactory(name="Jitsi Meet", slug="jitsi")
    workshop(network, days=2, title="Atelier tableur")
    on_jitsi = workshop(network, days=9, tool=jitsi, title="Atelier visio")
    step = take(berenice)["atelier"]
    assert (step.link_kind, step.workshop) == (StepLink.WORKSHOP, on_jitsi)


def test_any_upcoming_workshop_is_linked_when_none_is_about_the_tool(take, network, conseiller, berenice):
    soonest = workshop(network, days=3, title="Atelier tableur")
    workshop(network, days=8, title="Atelier messagerie")
    assert take(berenice)["atelier"].workshop == soonest


def test_past_cancelled_or_unconsented_workshops_give_no_step(take, network, conseiller, berenice, alice):
    workshop(network, days=-1)
    workshop(network, days=5, status=WorkshopStatus.CANCELLED)
    workshop(NetworkFactory(name="Réseau sans consentement", slug="sans"), days=5)
    steps = take(berenice)
    assert "atelier" not in steps
    assert steps["repli"].link_kind in (StepLink.TUTORIAL, StepLink.LIBRARY)


def test_a_revoked_follow_up_stops_linking_its_workshops(take, network, conseiller, berenice, association):
    workshop(network, days=5)
    with scopes_disabled():
        association.network_links.update(revoked_at=timezone.now())
    assert "atelier" not in take(berenice)


def test_a_place_of_the_associations_departement_offering_the_service_is_linked(take, association, berenice):
    place("loin", postcode="75011", commune="Paris")
    place("sans-service", postcode="37000", commune="Tours", services=(PlaceService.LEISURE,))
    amboise = place("amboise", postcode="37400", commune="Amboise")
    step = take(berenice)["lieu"]
    assert (step.link_kind, step.place) == (StepLink.PLACE, amboise)


def test_a_place_in_the_associations_own_commune_comes_first(take, association, berenice):
    place("amboise", postcode="37400", commune="Amboise")
    tours = place("tours", postcode="37000", commune="Tours")
    assert take(berenice)["lieu"].place == tours


def test_no_place_in_the_departement_gives_no_step(take, association, berenice):
    place("loin", postcode="75011", commune="Paris")
    steps = take(berenice)
    assert "lieu" not in steps and "territoire-b" in steps


def test_corsican_departements_are_told_apart(take, association, berenice):
    association.departement = "2A"
    association.commune = "Ajaccio"
    association.save()
    place("bastia", postcode="20200", commune="Bastia")
    ajaccio = place("ajaccio", postcode="20000", commune="Ajaccio")
    assert take(berenice)["lieu"].place == ajaccio


def test_the_roadmap_page_links_the_workshop_and_the_place(take, network, conseiller, association, berenice, client):
    planned = workshop(network, days=4, title="Atelier Nextcloud pour débutants")
    tours = place("tours", postcode="37000", commune="Tours")
    take(berenice)
    client.force_login(berenice)
    page = client.get(reverse("frontend:diagnostic", kwargs={"association_slug": association.slug}))
    html = page.content.decode()
    workshop_url = reverse(
        "frontend:workshop_detail", kwargs={"association_slug": association.slug, "code": planned.code}
    )
    assert f'href="{workshop_url}"' in html
    assert "Atelier : Atelier Nextcloud pour débutants" in html
    assert f'href="{reverse("frontend:place_detail", args=[tours.code])}"' in html
    assert "Lieu : Espace numérique Tours, Tours" in html
    assert client.get(workshop_url).status_code == 200
