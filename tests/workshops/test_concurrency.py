"""Races with real threads, each on its own database connection: the seats hold, the waiting list
takes the rest, a freed seat goes to exactly one person, and reminders go out once.

PostgreSQL (`@pytest.mark.postgres`) is the bar; the same races run on the embedded SQLite too,
where IMMEDIATE transactions serialise the writers (on a file, as in the embedded mode: see
`sqlite_file_database`)."""

import sqlite3
from datetime import timedelta
from functools import partial

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from notifications.models import Event
from shared_tools.events import WORKSHOP_REMINDER, WORKSHOP_SEAT_OFFERED
from shared_tools.models import RegistrationStatus, WorkshopRegistration
from shared_tools.workshops import services
from tests.concurrency import run_together

from .conftest import registered, waiting

SEATS = 10
PEOPLE = 20


def races(make_workshop, crowd, access_of):
    workshop = make_workshop(capacity=SEATS)
    people = crowd(PEOPLE)
    accesses = [access_of(user) for user in people]
    results = run_together([partial(services.register_for_workshop, access=a, workshop=workshop) for a in accesses])
    assert [status for status, _value in results] == ["ok"] * PEOPLE, results
    return workshop, people, [value for _status, value in results]


def check_twenty_for_ten(workshop, people, rows):
    assert registered(workshop) == SEATS
    assert waiting(workshop) == PEOPLE - SEATS
    assert sorted(r.status for r in rows).count(RegistrationStatus.REGISTERED) == SEATS
    assert {r.user_id for r in rows} == {u.pk for u in people}  # one row each, nobody lost
    # The waiting list is in the order people were queued, after every registered person.
    queue = list(WorkshopRegistration.objects.filter(workshop=workshop).order_by("queued_at", "pk"))
    assert [r.status for r in queue] == [RegistrationStatus.REGISTERED] * SEATS + [RegistrationStatus.WAITING] * (
        PEOPLE - SEATS
    )


def check_cancellations_promote_once_each(workshop, people):
    seated = list(
        WorkshopRegistration.objects.filter(workshop=workshop, status=RegistrationStatus.REGISTERED).select_related(
            "user"
        )[:5]
    )
    results = run_together([partial(services.cancel_registration, user=r.user, workshop=workshop) for r in seated])
    assert [status for status, _value in results] == ["ok"] * 5, results
    assert registered(workshop) == SEATS
    assert waiting(workshop) == PEOPLE - SEATS - 5
    with scopes_disabled():
        promoted = [uid for e in Event.objects.filter(kind=WORKSHOP_SEAT_OFFERED) for uid in e.recipient_ids]
    assert len(promoted) == len(set(promoted)) == 5


def check_concurrent_reminders_remind_once(workshop):
    soon = timezone.now() + timedelta(hours=12)
    type(workshop).objects.filter(pk=workshop.pk).update(starts_at=soon, ends_at=soon + timedelta(hours=2))
    results = run_together([partial(services.send_workshop_reminders, workshop_id=workshop.pk) for _ in range(4)])
    assert sorted(value for _status, value in results) == [0, 0, 0, SEATS], results
    with scopes_disabled():
        reminded = [uid for e in Event.objects.filter(kind=WORKSHOP_REMINDER) for uid in e.recipient_ids]
    assert len(reminded) == len(set(reminded)) == SEATS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_people_racing_for_ten_seats_on_postgresql(make_workshop, crowd, access_of):
    workshop, people, rows = races(make_workshop, crowd, access_of)
    check_twenty_for_ten(workshop, people, rows)
    check_cancellations_promote_once_each(workshop, people)
    check_concurrent_reminders_remind_once(workshop)


@pytest.fixture
def sqlite_file_database(transactional_db, tmp_path):
    """SQLite's in-memory test database is shared-cache, where concurrent writers fail at once with
    "table is locked" instead of waiting. The embedded mode runs on a file (WAL, IMMEDIATE
    transactions, a busy timeout): copy the migrated database to a file and race there."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        pytest.skip("embedded SQLite with an in-memory test database only")
    path = str(tmp_path / "race.sqlite3")
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    # Keep the in-memory database alive (it vanishes with its last connection) while every
    # thread, this one included, connects to the file.
    memory, connection.connection = connection.connection, None
    name = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = path
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = memory


def test_twenty_people_racing_for_ten_seats_on_sqlite(sqlite_file_database, make_workshop, crowd, access_of):
    workshop, people, rows = races(make_workshop, crowd, access_of)
    check_twenty_for_ten(workshop, people, rows)
    check_cancellations_promote_once_each(workshop, people)
    check_concurrent_reminders_remind_once(workshop)
