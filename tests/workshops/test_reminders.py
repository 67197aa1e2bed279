"""Reminders about 24 hours before a workshop: beat's sweep, one task per workshop, each person
reminded once however often (or however badly) the tasks run."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.utils import timezone, translation
from django_scopes import scopes_disabled

from notifications import registry
from notifications.models import Route
from shared_tools import tasks
from shared_tools.events import WORKSHOP_REMINDER
from shared_tools.models import RegistrationStatus, WorkshopRegistration
from shared_tools.workshops import services
from tests.factories import NetworkMembershipFactory

from .conftest import notifications_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch):
    """Record what the sweep enqueues instead of sending it to a broker."""
    calls = []
    monkeypatch.setattr(tasks.remind_workshop, "delay_on_commit", lambda **kwargs: calls.append(kwargs))
    return calls


def soon(hours=12):
    return timezone.now() + timedelta(hours=hours)


def sign_up(access_of, workshop, people):
    return [services.register_for_workshop(access=access_of(user), workshop=workshop) for user in people]


def test_beat_sweeps_the_reminders_every_five_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["shared-tools-workshop-reminders"]
    assert entry["task"] == "shared_tools.tasks.sweep_workshop_reminders"
    assert entry["schedule"] == crontab(minute="*/5")


def test_the_sweep_enqueues_the_workshops_starting_within_a_day_with_people_to_remind(
    access_of, bob, conseiller, make_workshop, enqueued
):
    due = make_workshop(title="Demain", starts_at=soon(20))
    later = make_workshop(title="Dans trois jours", starts_at=soon(72))
    empty = make_workshop(title="Personne", starts_at=soon(10))
    cancelled = make_workshop(title="Annulé", starts_at=soon(5))
    for workshop in (due, later, cancelled):
        sign_up(access_of, workshop, [bob])
    services.cancel_workshop(user=conseiller, workshop=cancelled)
    assert tasks.sweep_workshop_reminders() == 1
    assert enqueued == [{"workshop_id": due.pk}]
    assert empty.pk not in [call["workshop_id"] for call in enqueued]
    assert later.pk not in [call["workshop_id"] for call in enqueued]


def test_registered_people_are_reminded_once_however_often_the_tasks_run(
    access_of, crowd, make_workshop, eager_celery, django_capture_on_commit_callbacks
):
    workshop = make_workshop(capacity=2, starts_at=soon())
    first, second, third = crowd(3)
    sign_up(access_of, workshop, [first, second, third])  # third waits: not reminded
    for _run in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            tasks.sweep_workshop_reminders()
        with django_capture_on_commit_callbacks(execute=True):
            tasks.remind_workshop(workshop_id=workshop.pk)
    assert [len(notifications_of(user, WORKSHOP_REMINDER)) for user in (first, second, third)] == [1, 1, 0]
    assert all(
        r.reminded_at is not None
        for r in WorkshopRegistration.objects.filter(workshop=workshop, status=RegistrationStatus.REGISTERED)
    )


def test_the_reminder_reads_well_in_french_and_waits_for_the_summary_by_default(
    access_of, bob, make_workshop, eager_celery, django_capture_on_commit_callbacks
):
    workshop = make_workshop(title="Visioconférence avec Jitsi", starts_at=soon())
    sign_up(access_of, workshop, [bob])
    with django_capture_on_commit_callbacks(execute=True):
        tasks.remind_workshop(workshop_id=workshop.pk)
    (notification,) = notifications_of(bob, WORKSHOP_REMINDER)
    assert notification.route == Route.DIGEST  # calm defaults: no immediate email
    with translation.override("fr"):
        line = registry.render_line(notification.event)
    when = services.local_datetime(workshop.starts_at)
    assert line == f"Rappel : l'atelier « Visioconférence avec Jitsi » commence le {when}"


def test_a_crash_half_way_reminds_nobody_and_the_next_run_reminds_everyone_once(
    access_of, cast, network, other_association, crowd, make_workshop, monkeypatch
):
    NetworkMembershipFactory(
        association=other_association, network=network, consented_at=timezone.now(), consented_by=cast["charlie"]
    )
    workshop = make_workshop(starts_at=soon())
    people = crowd(2)
    sign_up(access_of, workshop, people)
    services.register_for_workshop(access=access_of(cast["charlie"], other_association), workshop=workshop)
    published = []
    real_publish = services.publish

    def publish_then_die(**event):
        if published:  # the second association's event: the worker dies here
            raise ConnectionError("worker lost")
        published.append(event)
        return real_publish(**event)

    monkeypatch.setattr(services, "publish", publish_then_die)
    with pytest.raises(ConnectionError):
        services.send_workshop_reminders(workshop_id=workshop.pk)
    assert not WorkshopRegistration.objects.filter(reminded_at__isnull=False).exists()  # the claim rolled back
    monkeypatch.setattr(services, "publish", real_publish)
    assert services.send_workshop_reminders(workshop_id=workshop.pk) == 3
    assert services.send_workshop_reminders(workshop_id=workshop.pk) == 0


def test_someone_moved_up_from_the_waiting_list_is_reminded_by_the_next_run(access_of, crowd, make_workshop):
    workshop = make_workshop(capacity=1, starts_at=soon())
    first, second = crowd(2)
    sign_up(access_of, workshop, [first, second])
    assert services.send_workshop_reminders(workshop_id=workshop.pk) == 1
    services.cancel_registration(user=first, workshop=workshop)
    assert services.send_workshop_reminders(workshop_id=workshop.pk) == 1
    with scopes_disabled():
        reminded = WorkshopRegistration.objects.filter(reminded_at__isnull=False).values_list("user_id", flat=True)
    assert sorted(reminded) == sorted([first.pk, second.pk])


def test_no_reminder_too_early_or_once_started(access_of, bob, make_workshop):
    workshop = make_workshop(starts_at=soon(30))
    sign_up(access_of, workshop, [bob])
    assert services.send_workshop_reminders(workshop_id=workshop.pk) == 0
    assert services.send_workshop_reminders(workshop_id=workshop.pk, now=workshop.starts_at + timedelta(minutes=1)) == 0
    assert services.send_workshop_reminders(workshop_id=workshop.pk, now=workshop.starts_at - timedelta(hours=2)) == 1
