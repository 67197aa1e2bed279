"""Opening hours: "open now" in the place's own time zone (Paris, or overseas), public holidays,
unknown hours never shown as closed, and the coming week."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from shared_tools.places.hours import OpenState, status_at, syntax_error_position, week_from
from shared_tools.places.selectors import PlaceFilters, places_list
from shared_tools.places.services import import_places
from shared_tools.places.territory import department_of, time_zone_of
from tests.places.conftest import csv_bytes, place_row

PARIS = ZoneInfo("Europe/Paris")
EXAMPLE_HOURS = "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00"


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("when", "state"),
    [
        (paris(2026, 11, 25, 10, 0), OpenState.OPEN),  # Wednesday morning
        (paris(2026, 11, 25, 13, 0), OpenState.CLOSED),  # lunch break
        (paris(2026, 11, 25, 18, 30), OpenState.CLOSED),  # closing time is not open
        (paris(2026, 11, 28, 8, 30), OpenState.OPEN),  # Saturday
        (paris(2026, 11, 29, 10, 0), OpenState.CLOSED),  # Sunday
    ],
)
def test_the_state_follows_the_hours_in_paris_time(when, state):
    assert status_at(EXAMPLE_HOURS, "51100", when).state == state


def test_the_next_change_is_given_in_the_places_time():
    status = status_at(EXAMPLE_HOURS, "51100", datetime(2026, 11, 25, 12, 0, tzinfo=UTC))  # 13:00 in Paris
    assert status.state == OpenState.CLOSED
    assert status.next_change == paris(2026, 11, 25, 14, 0)


def test_a_place_without_hours_is_unknown_never_closed():
    status = status_at("", "37000", paris(2026, 11, 29, 3, 0))
    assert status.state == OpenState.UNKNOWN
    assert status.next_change is None


def test_hours_that_say_unknown_stay_unknown():
    assert status_at("Mo-Fr 09:00-12:00; Sa unknown", "37000", paris(2026, 11, 28, 10, 0)).state == OpenState.UNKNOWN


def test_public_holidays_use_the_french_calendar():
    christmas = paris(2026, 12, 25, 10, 0)  # a Friday
    assert status_at("Mo-Fr 09:00-17:00; PH off", "37000", christmas).state == OpenState.CLOSED
    assert status_at("Mo-Fr 09:00-17:00", "37000", christmas).state == OpenState.OPEN


def test_guadeloupe_places_are_open_in_guadeloupe_time():
    # 13:00 UTC is 09:00 in Guadeloupe (UTC-4) and 14:00 in Paris.
    instant = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    status = status_at("Mo-Fr 08:00-12:00", "97110", instant)
    assert status.state == OpenState.OPEN
    assert status.next_change == datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("America/Guadeloupe"))
    assert status_at("Mo-Fr 08:00-12:00", "37000", instant).state == OpenState.CLOSED


@pytest.mark.parametrize(
    ("postcode", "zone"),
    [
        ("37000", "Europe/Paris"),
        ("20000", "Europe/Paris"),
        ("97110", "America/Guadeloupe"),
        ("97200", "America/Martinique"),
        ("97300", "America/Cayenne"),
        ("97400", "Indian/Reunion"),
        ("97500", "America/Miquelon"),
        ("97600", "Indian/Mayotte"),
        ("98800", "Pacific/Noumea"),
    ],
)
def test_overseas_postcodes_have_their_time_zone(postcode, zone):
    assert time_zone_of(postcode).key == zone


def test_departments_come_from_the_insee_code_or_the_postcode():
    assert department_of("37000", "37261") == "37"
    assert department_of("20000", "2A004") == "2A"
    assert department_of("20200") == "2B"
    assert department_of("97110") == "971"


def test_syntax_errors_give_the_position_where_the_parser_stopped():
    assert syntax_error_position(EXAMPLE_HOURS) is None
    assert syntax_error_position("Mo-Fr 9h-12h") == 7
    assert syntax_error_position("24/24") is not None


def test_the_week_lists_each_day_with_its_open_slots():
    week = week_from(EXAMPLE_HOURS, "51100", date(2026, 11, 23))  # from Monday
    assert [day.day for day in week] == [date(2026, 11, 23 + n) for n in range(7)]
    monday, saturday, sunday = week[0], week[5], week[6]
    assert [(slot.start, slot.end) for slot in monday.open_slots] == [
        (time(9, 0), time(12, 0)),
        (time(14, 0), time(18, 30)),
    ]
    assert [(slot.start, slot.end) for slot in saturday.open_slots] == [(time(8, 30), time(12, 0))]
    assert sunday.closed


def test_a_slot_running_to_midnight_is_cut_there():
    [friday, saturday] = week_from("Fr 20:00-02:00", "37000", date(2026, 11, 27), days=2)
    assert [(s.start, s.ends_at_midnight) for s in friday.open_slots] == [(time(20, 0), True)]
    assert [(s.start, s.end) for s in saturday.open_slots] == [(time(0, 0), time(2, 0))]


def test_unknown_hours_have_no_week():
    assert week_from("", "37000", date(2026, 11, 23)) == []


@pytest.mark.django_db
def test_the_open_now_filter_keeps_only_places_open_in_their_local_time():
    rows = [
        place_row("reims", horaires=EXAMPLE_HOURS),
        place_row("guadeloupe", code_postal="97110", code_insee="97120", horaires="Mo-Fr 08:00-12:00"),
        place_row("sans-horaires", horaires=""),
        place_row("ferme-le-mercredi", horaires="Mo,Tu,Th,Fr 09:00-18:00"),
    ]
    import_places(user=None, content=csv_bytes(rows))
    with time_machine.travel(datetime(2026, 11, 25, 13, 30, tzinfo=UTC), tick=False):  # 14:30 Paris, 09:30 GP
        open_now = places_list(PlaceFilters(open_at=timezone.now()))
        assert sorted(open_now.values_list("local_id", flat=True)) == ["guadeloupe", "reims"]
    with time_machine.travel(datetime(2026, 11, 25, 17, 0, tzinfo=UTC), tick=False):  # 18:00 Paris, 13:00 GP
        open_now = places_list(PlaceFilters(open_at=timezone.now()))
        assert list(open_now.values_list("local_id", flat=True)) == ["reims"]
