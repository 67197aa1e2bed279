"""The places pages: public list with filters and "open now", the place page, the CSV export,
the import page (who may use it, every error with its line), and constant query counts."""

import html
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from shared_tools.models import Place
from shared_tools.places.demo import seed_demo_places
from shared_tools.places.services import import_places
from shared_tools.places.standard import EXAMPLE_FILE, load_schema
from tests.factories import UserFactory
from tests.places.conftest import csv_bytes, place_row

pytestmark = pytest.mark.django_db

# Wednesday 25 November 2026, 10:30 in Paris.
WEDNESDAY_MORNING = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def url(name: str, **kwargs) -> str:
    return reverse(f"frontend:{name}", kwargs=kwargs)


def text_of(response) -> str:
    """The page with its whitespace collapsed and its entities (&#x27;) read."""
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def names_listed(response) -> list[str]:
    return [row.place.name for row in response.context["rows"]]


@pytest.fixture
def demo_places(db):
    seed_demo_places()


@pytest.fixture
def anonymous() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="fr")


# The list ------------------------------------------------------------------------------------------


def test_anyone_finds_the_places_from_the_navigation(anonymous, demo_places):
    home = anonymous.get(url("login"))
    assert f'href="{url("place_list")}"' in home.content.decode()
    response = anonymous.get(url("place_list"))
    assert response.status_code == 200
    assert "<h1>Lieux d'aide au numérique</h1>" in text_of(response)
    assert "6 lieux trouvés" in text_of(response)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("37", 5),  # a département
        ("51", 1),
        ("37100", 1),  # a postcode
        ("chambray les tours", 1),  # a commune, accents and case ignored
        ("TOURS", 2),
        ("saint-", 1),  # the start of a name
        ("Brest", 0),
    ],
)
def test_the_list_filters_by_commune_postcode_or_department(anonymous, demo_places, where, expected):
    response = anonymous.get(url("place_list"), {"where": where})
    assert len(response.context["rows"]) == expected


def test_the_list_filters_by_service(anonymous, demo_places):
    response = anonymous.get(url("place_list"), {"service": "Acquisition de matériel informatique à prix solidaire"})
    assert names_listed(response) == ["Repair'Ordi Tours Nord"]
    assert "Matériel informatique à prix solidaire" in text_of(response)  # the service's French label


def test_an_unknown_service_is_an_error_not_an_empty_list(anonymous, demo_places):
    response = anonymous.get(url("place_list"), {"service": "Jardinage"})
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in text_of(response)


def test_open_now_shows_only_the_places_open_now_with_the_state_in_words(anonymous, demo_places):
    with time_machine.travel(WEDNESDAY_MORNING, tick=False):
        everything = anonymous.get(url("place_list"), {"where": "37"})
        page = text_of(everything)
        assert "Ouvert maintenant" in page and "Fermé en ce moment" in page and "Horaires inconnus" in page
        response = anonymous.get(url("place_list"), {"where": "37", "open_now": "on"})
    # Wednesday 10:30: Loches and Chambray are open; the Saint-Avertin library opens on Tuesdays at
    # 10:00 too; Repair'Ordi opens at 14:00; the bus has no hours (unknown, so not "open").
    assert names_listed(response) == [
        "Espace public numérique de Chambray",
        "Maison France Services du Lochois",
        "Médiathèque des Rives du Cher",
    ]
    assert "jusqu'à 12:00" in text_of(response)


def test_the_list_is_paginated(anonymous):
    import_places(user=None, content=csv_bytes([place_row(f"p-{n:02}", nom=f"Lieu {n:02}") for n in range(25)]))
    first = anonymous.get(url("place_list"))
    second = anonymous.get(url("place_list"), {"page": 2})
    assert len(first.context["rows"]) == 20
    assert names_listed(second) == [f"Lieu {n}" for n in range(20, 25)]
    assert "Page 2 sur 2" in text_of(second)


@pytest.mark.parametrize("params", [{}, {"open_now": "on", "service": "Loisirs et créations numériques"}])
def test_the_list_runs_the_same_queries_for_1_or_50_places(anonymous, params):
    def queries_for(count: int) -> int:
        Place.objects.all().delete()
        rows = [
            place_row(f"p-{n}", services="Loisirs et créations numériques|Accès internet et matériel informatique")
            for n in range(count)
        ]
        import_places(user=None, content=csv_bytes(rows))
        with time_machine.travel(WEDNESDAY_MORNING, tick=False), CaptureQueriesContext(connection) as queries:
            response = anonymous.get(url("place_list"), {**params, "page_size": 50})
        assert len(response.context["rows"]) == min(count, 20)
        return len(queries)

    assert queries_for(1) == queries_for(50)


def test_the_list_page_for_a_signed_in_person_also_runs_constant_queries(login, bob):
    client = login(bob)

    def queries_for(count: int) -> int:
        Place.objects.all().delete()
        import_places(user=None, content=csv_bytes([place_row(f"p-{n}") for n in range(count)]))
        with CaptureQueriesContext(connection) as queries:
            client.get(url("place_list"))
        return len(queries)

    assert queries_for(1) == queries_for(50)


# The place page --------------------------------------------------------------------------------


def test_the_place_page_shows_address_services_publics_access_and_hours_in_french(anonymous, demo_places):
    place = Place.objects.get(local_id="structure-1")
    with time_machine.travel(WEDNESDAY_MORNING, tick=False):
        response = anonymous.get(url("place_detail", code=place.code))
    page = text_of(response)
    assert "12 BIS RUE DE LECLERCQ" in page and "51100 Reims" in page
    assert '<a href="tel:+33180059880">01 80 05 98 80</a>' in page
    assert "Outils numériques du quotidien" in page  # a service, by its French label
    assert "En particulier : Jeunes, Femmes" in page
    assert "Surdité, Illettrisme, Langues étrangères (anglais)" in page
    assert "Gratuit sous condition, Payant" in page
    assert f'href="{place.acces_libre_url}"' in page and "Fiche d'accessibilité sur Accès libre" in page
    assert 'href="https://www.rdv-solidarites.fr/"' in page and "Prendre rendez-vous en ligne" in page
    assert "Tiers-lieu, Association" in page  # typologies, readable
    assert '<span class="tag tag-open">Ouvert maintenant</span>' in page
    assert 'Mercredi 25 novembre <span class="meta">(aujourd\'hui)</span>' in page
    assert "Lundi 30 novembre</th> <td>09:00 – 12:00, 14:00 – 18:30</td>" in page
    assert "Dimanche 29 novembre</th> <td>Fermé</td>" in page
    assert "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00" in page


def test_a_place_without_hours_says_so_and_is_never_called_closed(anonymous, demo_places):
    bus = Place.objects.get(local_id="asso-hub-demo-37-bus-numerique")
    page = text_of(anonymous.get(url("place_detail", code=bus.code)))
    assert "Horaires inconnus" in page
    assert "Ce lieu n'a pas publié ses horaires : contactez-le avant de vous déplacer." in page
    assert "Fermé" not in page


def test_a_guadeloupe_place_shows_its_hours_in_local_time(anonymous):
    import_places(
        user=None,
        content=csv_bytes(
            [
                place_row(
                    "gp", commune="Les Abymes", code_postal="97139", code_insee="97101", horaires="Mo-Fr 08:00-12:00"
                )
            ]
        ),
    )
    place = Place.objects.get(local_id="gp")
    with time_machine.travel(datetime(2026, 11, 25, 13, 0, tzinfo=UTC), tick=False):  # 09:00 there
        page = text_of(anonymous.get(url("place_detail", code=place.code)))
    assert "heure locale (America/Guadeloupe)" in page
    assert 'Ouvert maintenant</span> <span class="meta">jusqu\'à 12:00' in page


def test_an_unknown_place_is_a_404(anonymous):
    assert anonymous.get(url("place_detail", code="00000000-0000-0000-0000-000000000000")).status_code == 404


# Export ------------------------------------------------------------------------------------------


def test_the_export_is_the_standards_csv_with_the_lists_filters(anonymous, demo_places):
    response = anonymous.get(url("place_export"), {"where": "37", "service": "Aide aux démarches administratives"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == ",".join(load_schema().names)
    assert [line.split(",")[0] for line in lines[1:]] == [
        "asso-hub-demo-37-lochois",
        "asso-hub-demo-37-bus-numerique",
    ]


def test_the_list_links_to_the_export_with_its_filters(anonymous, demo_places):
    page = anonymous.get(url("place_list"), {"where": "37", "page": "1"}).content.decode()
    assert f'href="{url("place_export")}?where=37"' in page


# Import ------------------------------------------------------------------------------------------


def upload(content: bytes, name: str = "lieux.csv") -> dict:
    return {"file": SimpleUploadedFile(name, content, content_type="text/csv")}


def test_anonymous_visitors_are_sent_to_log_in(anonymous):
    response = anonymous.get(url("place_import"))
    assert response.status_code == 302
    assert response["Location"].startswith(url("login"))


def test_members_without_a_conseiller_link_are_refused(login, bob):
    client = login(bob)
    assert client.get(url("place_import")).status_code == 403
    assert client.post(url("place_import"), upload(EXAMPLE_FILE.read_bytes())).status_code == 403
    assert not Place.objects.exists()
    assert 'href="/places/import/"' not in client.get(url("place_list")).content.decode()


def test_a_conseiller_imports_a_file_and_sees_what_it_did(login, conseiller):
    client = login(conseiller)
    assert 'href="/places/import/"' in client.get(url("place_list")).content.decode()
    response = client.post(url("place_import"), upload(EXAMPLE_FILE.read_bytes(), name="export.txt"), follow=True)
    assert response.redirect_chain == [(url("place_list"), 302)]
    assert "Import terminé : 1 nouveaux lieux, 0 mis à jour, 0 inchangés." in text_of(response)
    assert Place.objects.filter(local_id="structure-1").exists()


def test_platform_staff_may_import(login):
    staff = UserFactory(email="staff@asso-hub.fr", is_staff=True)
    assert login(staff).get(url("place_import")).status_code == 200


def test_a_wrong_file_shows_every_error_with_its_line_and_imports_nothing(login, conseiller):
    content = csv_bytes(
        [place_row("a"), place_row("b", code_postal="3700"), place_row("c", services="Jardinage", horaires="lundi")]
    )
    response = login(conseiller).post(url("place_import"), upload(content))
    assert response.status_code == 400
    page = text_of(response)
    assert "Rien n'a été importé : 3 erreurs à corriger." in page
    assert "<td>3</td> <td>code_postal</td> <td><code>3700</code></td> <td>Un code postal a 5 chiffres" in page
    assert "<td>4</td> <td>services</td> <td><code>Jardinage</code></td>" in page
    assert (
        "<td>4</td> <td>horaires</td> <td><code>lundi</code></td> <td>Ces horaires ne sont pas au format OpenStreetMap"
        in page
    )
    assert not Place.objects.exists()


def test_an_upload_over_the_size_limit_is_refused(login, conseiller):
    too_big = EXAMPLE_FILE.read_bytes() + b" " * (2 * 1024 * 1024)
    response = login(conseiller).post(url("place_import"), upload(too_big))
    assert response.status_code == 400
    assert "Le fichier est trop gros (2,0 Mo) ; 2,0 Mo au plus à la fois." in text_of(response)
    assert not Place.objects.exists()


def test_an_upload_over_the_row_limit_is_refused(login, conseiller):
    minimal = {
        "pivot": "W372000001",
        "nom": "EPN",
        "commune": "Tours",
        "code_postal": "37000",
        "adresse": "1 rue",
        "date_maj": "2026-01-01",
    }
    content = csv_bytes([{**minimal, "id": f"p-{n}"} for n in range(2001)])
    response = login(conseiller).post(url("place_import"), upload(content))
    assert response.status_code == 400
    assert "Le fichier contient plus de 2 000 lieux" in text_of(response).replace("\u202f", " ").replace("\xa0", " ")
    assert not Place.objects.exists()


def test_a_spreadsheet_named_csv_is_refused_by_its_content(login, conseiller):
    response = login(conseiller).post(url("place_import"), upload(b"PK\x03\x04rest-of-a-zip", name="lieux.csv"))
    assert response.status_code == 400
    assert "C'est un fichier de tableur (xlsx, xls ou ods), pas un fichier CSV." in text_of(response)


# About the data ------------------------------------------------------------------------------------


def test_the_about_page_credits_the_standard_and_counts_the_places(anonymous, demo_places):
    page = text_of(anonymous.get(url("about_data")))
    assert "Standard de données des lieux de médiation numérique — La MedNum / ANCT" in page
    assert "Licence Ouverte 2.0" in page
    assert f'<a href="{url("place_list")}">6 lieux</a> sont décrits dans ce standard.' in page
