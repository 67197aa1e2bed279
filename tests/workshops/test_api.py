"""The workshops API: members list, read, register and cancel through their association;
conseillers publish, change, cancel and read the attendance list; everyone else gets 404."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from shared_tools.events import WORKSHOP_CHANGED
from shared_tools.models import RegistrationStatus, Workshop, WorkshopStatus
from shared_tools.workshops import services

from .conftest import add_workshops, recipients_of, registered, statuses, waiting

pytestmark = pytest.mark.django_db

A = "/api/v1/associations/amis-du-velo/workshops/"
N = "/api/v1/networks/asso-37/workshops/"


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def iso(moment):
    return moment.isoformat()


# Members ----------------------------------------------------------------------------------------


def test_a_member_lists_reads_registers_and_cancels(login, bob, workshop):
    client = login(bob)
    body = client.get(A).json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["code"] == str(workshop.code) and row["seats_left"] == 10 and row["my_status"] is None
    assert row["network"] == {"slug": "asso-37", "name": "Réseau Asso 37"}
    response = post(client, f"{A}{workshop.code}/registration/")
    assert response.status_code == 200 and response.json()["status"] == "registered"
    assert response.json()["association"] == "amis-du-velo"
    detail = client.get(f"{A}{workshop.code}/").json()
    assert (
        detail["my_status"] == "registered" and detail["seats_left"] == 9 and detail["my_association"] == "amis-du-velo"
    )
    mine = client.get(f"{A}registrations/").json()
    assert [r["workshop"]["code"] for r in mine["results"]] == [str(workshop.code)]
    assert mine["results"][0]["workshop"]["seats_left"] == 9
    response = client.delete(f"{A}{workshop.code}/registration/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert statuses(workshop) == {bob.email: RegistrationStatus.CANCELLED}


def test_a_full_workshop_answers_with_the_place_in_the_waiting_list(login, bob, access_of, crowd, make_workshop):
    workshop = make_workshop(capacity=1)
    services.register_for_workshop(access=access_of(crowd(1)[0]), workshop=workshop)
    body = post(login(bob), f"{A}{workshop.code}/registration/").json()
    assert body["status"] == "waiting" and body["waiting_position"] == 1
    assert registered(workshop) == 1 and waiting(workshop) == 1


def test_errors_are_explained(login, bob, conseiller, workshop):
    client = login(bob)
    response = client.delete(f"{A}{workshop.code}/registration/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_registered"
    services.cancel_workshop(user=conseiller, workshop=workshop)
    response = post(client, f"{A}{workshop.code}/registration/")
    assert response.status_code == 400 and response.json()["error"]["code"] == "cancelled"
    assert response.json()["error"]["message"] == "Cet atelier est annulé."


@pytest.mark.parametrize(
    ("who", "list_status", "detail_status", "register_status"),
    [("charlie", 404, 404, 404), ("conseiller", 403, 403, 403), ("other_conseiller", 404, 404, 404)],
)
def test_outsiders_get_404_and_a_conseiller_reading_the_association_403(
    cast, login, workshop, who, list_status, detail_status, register_status
):
    client = login(cast[who])
    assert client.get(A).status_code == list_status
    assert client.get(f"{A}{workshop.code}/").status_code == detail_status
    assert post(client, f"{A}{workshop.code}/registration/").status_code == register_status
    assert statuses(workshop) == {}


def test_a_workshop_of_a_network_not_following_is_404(login, charlie, other_association, workshop):
    url = f"/api/v1/associations/{other_association.slug}/workshops/{workshop.code}/"
    assert login(charlie).get(url).status_code == 404
    assert login(charlie).get(f"/api/v1/associations/{other_association.slug}/workshops/").json()["count"] == 0


def test_the_calendar_file(login, bob, workshop):
    response = login(bob).get(f"{A}{workshop.code}/calendar.ics")
    assert response.status_code == 200 and response["Content-Type"] == "text/calendar; charset=utf-8"
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["UID"]) == f"workshop-{workshop.code}@asso-hub"
    assert login(bob).get(f"{A}00000000-0000-0000-0000-000000000000/calendar.ics").status_code == 404


def test_the_member_list_runs_a_constant_number_of_queries(login, bob, network, conseiller):
    add_workshops(network, 1, users=[bob])
    client = login(bob)
    client.get(A)
    with CaptureQueriesContext(connection) as small:
        client.get(A)
        client.get(f"{A}registrations/")
    add_workshops(network, 49, users=[bob])
    with CaptureQueriesContext(connection) as large:
        assert client.get(A).json()["count"] == 50
        assert client.get(f"{A}registrations/").json()["count"] == 50
    assert len(large.captured_queries) == len(small.captured_queries)


# Conseillers ------------------------------------------------------------------------------------


def new_workshop(**overrides):
    start = timezone.now() + timedelta(days=5)
    data = {
        "title": "Visio avec Jitsi",
        "starts_at": iso(start),
        "ends_at": iso(start + timedelta(hours=2)),
        "capacity": 6,
        "online_url": "https://meet.example.org/asso37-jitsi",
    }
    return data | overrides


def test_a_conseiller_publishes_changes_and_cancels(login, conseiller, access_of, bob, place):
    client = login(conseiller)
    response = post(client, N, new_workshop(place=str(place.code), level="intermediate"))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["online_url"] == "https://meet.example.org/asso37-jitsi" and body["place"]["name"] == place.name
    assert body["level"] == "intermediate" and body["sequence"] == 0
    workshop = Workshop.objects.get(code=body["code"])
    services.register_for_workshop(access=access_of(bob), workshop=workshop)
    later = workshop.starts_at + timedelta(hours=3)
    response = patch(
        client, f"{N}{workshop.code}/", {"starts_at": iso(later), "ends_at": iso(later + timedelta(hours=1))}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["sequence"] == 1 and response.json()["place"]["name"] == place.name  # the rest kept
    assert recipients_of(WORKSHOP_CHANGED) == [bob.pk]
    attendance = client.get(f"{N}{workshop.code}/attendance/").json()
    assert [(a["name"], a["association"], a["status"]) for a in attendance["results"]] == [
        ("Bob Durand", "Les Amis du Vélo", "registered")
    ]
    response = post(client, f"{N}{workshop.code}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert Workshop.objects.get().status == WorkshopStatus.CANCELLED
    assert post(client, f"{N}{workshop.code}/cancel/").status_code == 400


def test_the_online_link_is_kept_from_members_who_are_not_registered(login, bob, make_workshop):
    make_workshop(online_url="https://meet.example.org/secret")
    (row,) = login(bob).get(A).json()["results"]
    assert row["online"] is True and row["online_url"] == ""


def test_bad_input_is_a_400_naming_the_fields(login, conseiller):
    client = login(conseiller)
    response = post(client, N, new_workshop(ends_at=iso(timezone.now() + timedelta(days=4)), tool="inconnu"))
    assert response.status_code == 400
    assert "tool" in response.json()["error"]["fields"]
    response = post(client, N, new_workshop(ends_at=iso(timezone.now() + timedelta(days=4))))
    assert response.json()["error"]["fields"] == {"ends_at": ["L'atelier doit finir après avoir commencé."]}
    assert not Workshop.objects.exists()


@pytest.mark.parametrize("who", ["bob", "other_conseiller", "charlie"])
def test_the_network_endpoints_are_404_to_anyone_else(cast, login, workshop, who):
    client = login(cast[who])
    assert client.get(N).status_code == 404
    assert post(client, N, new_workshop()).status_code == 404
    assert patch(client, f"{N}{workshop.code}/", {"title": "Piraté"}).status_code == 404
    assert client.get(f"{N}{workshop.code}/attendance/").status_code == 404
    assert Workshop.objects.get().title == "Bien démarrer avec Nextcloud"


def test_the_network_list_runs_a_constant_number_of_queries(login, conseiller, network, crowd):
    people = crowd(3)
    add_workshops(network, 1, users=people)
    client = login(conseiller)
    client.get(N)
    with CaptureQueriesContext(connection) as small:
        client.get(N)
    add_workshops(network, 49, users=people)
    with CaptureQueriesContext(connection) as large:
        assert client.get(N).json()["count"] == 50
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_schema_documents_the_workshop_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert "/api/v1/associations/{association_slug}/workshops/{code}/registration/" in paths
    assert "/api/v1/networks/{network_slug}/workshops/{code}/attendance/" in paths
    ics = paths["/api/v1/associations/{association_slug}/workshops/{code}/calendar.ics"]["get"]["responses"]["200"]
    assert "text/calendar" in ics["content"]
