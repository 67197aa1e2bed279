"""The .ics of a workshop, parsed back: stable UID, SEQUENCE, UTC times, where, cancellation, escaping."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from icalendar import Calendar

from shared_tools.workshops import services
from shared_tools.workshops.calendar import workshop_calendar

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
URL = "https://asso.example.org/a/amis-du-velo/workshops/x/"


def parse(raw: bytes):
    (event,) = Calendar.from_ical(raw).walk("VEVENT")
    return event


def ics(workshop, **kwargs):
    return workshop_calendar(workshop, url=URL, now=timezone.now(), **kwargs)


def test_the_event_names_the_workshop_in_utc_with_a_stable_uid(make_workshop, place):
    start = datetime(2030, 3, 12, 14, 0, tzinfo=PARIS)  # 13:00 UTC in winter
    workshop = make_workshop(
        starts_at=start, ends_at=start + timedelta(hours=2), place=place, location_detail="Salle 2"
    )
    raw = ics(workshop)
    event = parse(raw)
    assert str(event["UID"]) == f"workshop-{workshop.code}@asso-hub"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == datetime(2030, 3, 12, 13, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2030, 3, 12, 15, 0, tzinfo=UTC)
    assert b"DTSTART:20300312T130000Z" in raw and b"DTSTAMP:" in raw
    assert str(event["SUMMARY"]) == "Bien démarrer avec Nextcloud"
    assert str(event["LOCATION"]) == "Salle 2, Espace numérique des Fontaines, 4 rue de la Loire, 37000 Tours"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]) == URL
    assert event.decoded("GEO") is not None
    assert parse(ics(workshop))["UID"] == event["UID"]  # every download names the same event


def test_lines_are_crlf_folded_and_special_characters_escaped(make_workshop):
    title = "Tableurs; formules, et \\ barres : " + "très long titre " * 6
    workshop = make_workshop(title=title.strip()[:200], description="Apportez votre ordinateur,\nvotre chargeur; merci")
    raw = ics(workshop)
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert b"SUMMARY:Tableurs\\; formules\\, et \\\\ barres" in raw
    event = parse(raw)
    assert str(event["SUMMARY"]) == title.strip()[:200]
    assert str(event["DESCRIPTION"]).startswith("Apportez votre ordinateur,\nvotre chargeur; merci")


def test_a_change_bumps_the_sequence_and_a_cancellation_says_so(conseiller, make_workshop):
    workshop = make_workshop()
    later = workshop.starts_at + timedelta(days=1)
    workshop = services.update_workshop(
        user=conseiller,
        workshop=workshop,
        details=services.WorkshopDetails(
            title=workshop.title,
            starts_at=later,
            ends_at=later + timedelta(hours=2),
            capacity=workshop.capacity,
            location_detail=workshop.location_detail,
        ),
    )
    assert parse(ics(workshop))["SEQUENCE"] == 1
    workshop = services.cancel_workshop(user=conseiller, workshop=workshop)
    event = parse(ics(workshop))
    assert event["SEQUENCE"] == 2 and str(event["STATUS"]) == "CANCELLED"


def test_the_online_link_is_left_out_for_someone_not_registered(make_workshop):
    workshop = make_workshop(online_url="https://visio.example.org/atelier-secret")
    assert str(parse(ics(workshop))["LOCATION"]) == "https://visio.example.org/atelier-secret"
    hidden = ics(workshop, with_link=False)
    assert b"atelier-secret" not in hidden
    assert str(parse(hidden)["LOCATION"]) in {"Online", "En ligne"}
