"""The places API: public list (same filters as the page) and detail, the CSV export, the import
(staff and conseillers; 400 with every error and its line, nothing imported), query counts."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from shared_tools.models import Place
from shared_tools.places.demo import seed_demo_places
from shared_tools.places.services import import_places
from shared_tools.places.standard import EXAMPLE_FILE, load_schema
from tests.factories import UserFactory
from tests.places.conftest import csv_bytes, place_row

pytestmark = pytest.mark.django_db

API = "/api/v1/places"
WEDNESDAY_MORNING = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # 10:30 in Paris


@pytest.fixture
def demo_places(db):
    seed_demo_places()


@pytest.fixture
def anonymous() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="fr")


def ids(response) -> list[str]:
    return [place["id"] for place in response.json()["results"]]


def test_anyone_lists_the_places_with_their_services_and_state(anonymous, demo_places):
    with time_machine.travel(WEDNESDAY_MORNING, tick=False):
        response = anonymous.get(f"{API}/", {"department": "51"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [place] = body["results"]
    assert place["id"] == "structure-1"
    assert place["postcode"] == "51100"
    assert place["typologies"] == ["TIERS_LIEUX", "ASSO"]
    assert place["services"][0] == "Maîtrise des outils numériques du quotidien"
    assert place["open_state"] == "open"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"commune": "chambray-les"}, ["asso-hub-demo-37-chambray"]),
        ({"postcode": "37600"}, ["asso-hub-demo-37-lochois"]),
        ({"department": "37", "service": "Loisirs et créations numériques"}, ["asso-hub-demo-37-rives-du-cher"]),
    ],
)
def test_the_list_has_the_pages_filters(anonymous, demo_places, params, expected):
    assert ids(anonymous.get(f"{API}/", params)) == expected


def test_open_now_leaves_out_closed_places_and_places_with_unknown_hours(anonymous, demo_places):
    with time_machine.travel(WEDNESDAY_MORNING, tick=False):
        everything = anonymous.get(f"{API}/", {"department": "37"}).json()["results"]
        open_now = ids(anonymous.get(f"{API}/", {"department": "37", "open_now": "true"}))
    states = {place["id"]: place["open_state"] for place in everything}
    assert states["asso-hub-demo-37-bus-numerique"] == "unknown"
    assert states["asso-hub-demo-37-repair-ordi"] == "closed"
    assert set(open_now) == {place_id for place_id, state in states.items() if state == "open"}
    assert "asso-hub-demo-37-bus-numerique" not in open_now


def test_an_unknown_service_is_a_400(anonymous, demo_places):
    response = anonymous.get(f"{API}/", {"service": "Jardinage"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_the_detail_gives_every_field_and_the_next_change_in_local_time(anonymous):
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
    with time_machine.travel(datetime(2026, 11, 25, 13, 0, tzinfo=UTC), tick=False):
        body = anonymous.get(f"{API}/{place.code}/").json()
    assert body["open_state"] == "open"
    assert body["time_zone"] == "America/Guadeloupe"
    assert body["next_change"] == "2026-11-25T12:00:00-04:00"
    assert body["department"] == "971"
    assert body["fees"] == ["Gratuit sous condition", "Payant"]
    assert body["acces_libre_url"].startswith("https://acceslibre.beta.gouv.fr/")


def test_an_unknown_place_is_a_404(anonymous):
    response = anonymous.get(f"{API}/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_export_is_the_standards_csv_even_when_csv_is_asked_for(anonymous, demo_places):
    response = anonymous.get(f"{API}/export.csv", {"department": "51"}, HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    header, row = response.content.decode().splitlines()
    assert header == ",".join(load_schema().names)
    assert row.startswith("structure-1,43493312300029,Anonymal,Reims,51100")


@pytest.mark.parametrize("params", [{}, {"open_now": "true", "department": "37"}])
def test_the_list_runs_the_same_queries_for_1_or_50_places(anonymous, params):
    def queries_for(count: int) -> int:
        Place.objects.all().delete()
        rows = [place_row(f"p-{n}", code_postal="37000", code_insee="37261") for n in range(count)]
        import_places(user=None, content=csv_bytes(rows))
        with time_machine.travel(WEDNESDAY_MORNING, tick=False), CaptureQueriesContext(connection) as queries:
            response = anonymous.get(f"{API}/", params)
        assert len(response.json()["results"]) == count
        return len(queries)

    assert queries_for(1) == queries_for(50)


# Import ------------------------------------------------------------------------------------------


def post_file(client: Client, content: bytes):
    return client.post(f"{API}/import/", {"file": SimpleUploadedFile("lieux.csv", content, content_type="text/csv")})


def test_import_needs_a_signed_in_caller(anonymous):
    assert post_file(anonymous, EXAMPLE_FILE.read_bytes()).status_code == 401
    assert not Place.objects.exists()


def test_members_may_not_import(login, bob):
    response = post_file(login(bob), EXAMPLE_FILE.read_bytes())
    assert response.status_code == 403
    assert not Place.objects.exists()


def test_a_conseiller_imports_and_reimports_by_id(login, conseiller):
    client = login(conseiller)
    assert post_file(client, EXAMPLE_FILE.read_bytes()).json() == {"created": 1, "updated": 0, "unchanged": 0}
    changed = csv_bytes([place_row("structure-1", nom="Anonymal 2")])
    assert post_file(client, changed).json() == {"created": 0, "updated": 1, "unchanged": 0}
    assert Place.objects.get().name == "Anonymal 2"


def test_staff_may_import(login):
    staff = UserFactory(email="staff@asso-hub.fr", is_staff=True)
    assert post_file(login(staff), EXAMPLE_FILE.read_bytes()).status_code == 200


def test_a_wrong_file_is_a_400_with_every_error_and_its_line(login, conseiller):
    content = csv_bytes([place_row("a", code_postal="3700"), place_row("b", services="Jardinage", date_maj="hier")])
    response = post_file(login(conseiller), content)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_file"
    assert error["message"] == "Rien n'a été importé : corrigez le fichier et envoyez-le de nouveau."
    assert [(e["line"], e["column"], e["value"]) for e in error["errors"]] == [
        (2, "code_postal", "3700"),
        (3, "date_maj", "hier"),
        (3, "services", "Jardinage"),
    ]
    assert error["errors"][0]["message"] == "un code postal a 5 chiffres, par exemple « 51100 »."
    assert not Place.objects.exists()


def test_a_missing_file_is_a_400(login, conseiller):
    response = login(conseiller).post(f"{API}/import/", {})
    assert response.status_code == 400
    assert "file" in response.json()["error"]["fields"]


def test_the_schema_documents_the_places_endpoints(anonymous):
    schema = anonymous.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert {"/api/v1/places/", "/api/v1/places/{code}/", "/api/v1/places/export.csv", "/api/v1/places/import/"} <= set(
        paths
    )
    assert "text/csv" in paths["/api/v1/places/export.csv"]["get"]["responses"]["200"]["content"]
    assert "multipart/form-data" in paths["/api/v1/places/import/"]["post"]["requestBody"]["content"]
