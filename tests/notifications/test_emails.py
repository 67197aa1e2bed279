"""Immediate emails through the outbox, summary emails exactly once, and the one-click unsubscribe."""

import io
import re
import threading
import time as clock
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from hub.tenancy import association_scope
from notifications import services, tasks
from notifications.models import (
    DigestFrequency,
    DigestRun,
    Mode,
    Notification,
    NotificationSettings,
    OutboxEmail,
    Preference,
)
from tests.factories import MembershipFactory

from .conftest import notifications_of, set_attention

PARIS = ZoneInfo("Europe/Paris")
WEDNESDAY_NOON = datetime(2026, 3, 4, 12, 0, tzinfo=PARIS)
NEXT_MONDAY_8 = datetime(2026, 3, 9, 8, 0, tzinfo=PARIS)  # the default weekly summary slot


class SlowBackend(LocmemBackend):
    """A relay that takes its time, so concurrent runs overlap inside the send."""

    def send_messages(self, email_messages):
        clock.sleep(0.3)
        return super().send_messages(email_messages)


class RefusingBackend(LocmemBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("relay down")


REFUSING = {"default": {"BACKEND": "tests.notifications.test_emails.RefusingBackend"}}


def html_of(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


def travel(moment):
    return time_machine.travel(moment, tick=False)


def send_digests(*args) -> str:
    out = io.StringIO()
    call_command("send_digests", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# Immediate emails ---------------------------------------------------------------------------


def test_a_vote_is_emailed_right_away_once(emit, association, alice, bob):
    with travel(WEDNESDAY_NOON):
        emit(association, "test.vote", actor=alice, recipients=[bob.pk], title="Adopter Nextcloud")
    assert [m.to for m in mail.outbox] == [["bob@exemple.fr"]]
    message = mail.outbox[0]
    assert "Les Amis du Vélo" in message.subject
    assert "Adopter Nextcloud" in message.subject
    assert "Adopter Nextcloud" in message.body
    assert "Adopter Nextcloud" in html_of(message)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith(
        f"<{django_settings.SITE_URL}/notifications/unsubscribe/"
    )

    # Every later pass finds it sent.
    with travel(WEDNESDAY_NOON + timedelta(minutes=5)):
        assert tasks.send_due_emails() == 0
    assert len(mail.outbox) == 1


def test_an_email_held_by_quiet_hours_goes_when_they_end(emit, association, alice, bob):
    with travel(datetime(2026, 3, 4, 23, 0, tzinfo=PARIS)):
        emit(association, "test.vote", actor=alice, recipients=[bob.pk])
        assert tasks.send_due_emails() == 0
    assert mail.outbox == []
    with travel(datetime(2026, 3, 5, 7, 55, tzinfo=PARIS)):
        assert tasks.send_due_emails() == 0
    with travel(datetime(2026, 3, 5, 8, 0, tzinfo=PARIS)):
        assert tasks.send_due_emails() == 1
    assert [m.to for m in mail.outbox] == [["bob@exemple.fr"]]


def test_an_email_read_on_the_site_before_it_is_due_is_not_sent(emit, association, alice, bob):
    with travel(datetime(2026, 3, 4, 23, 0, tzinfo=PARIS)):
        emit(association, "test.vote", actor=alice, recipients=[bob.pk])
    (notification,) = notifications_of(bob)
    with association_scope(association):
        services.mark_read(user=bob, notification=notification)
    with travel(datetime(2026, 3, 5, 8, 0, tzinfo=PARIS)):
        assert tasks.send_due_emails() == 0
    assert mail.outbox == []
    with scopes_disabled():
        assert OutboxEmail.objects.get().skipped_at is not None


def test_a_held_email_joins_the_summary_if_the_member_paused_meanwhile(emit, association, alice, bob):
    with travel(datetime(2026, 3, 4, 23, 0, tzinfo=PARIS)):
        emit(association, "test.vote", actor=alice, recipients=[bob.pk])
    set_attention(bob, paused_until=date(2026, 3, 6))
    with travel(datetime(2026, 3, 5, 8, 0, tzinfo=PARIS)):
        assert tasks.send_due_emails() == 0
    assert mail.outbox == []
    ((route, in_digest),) = [(n.route, n.in_digest) for n in notifications_of(bob)]
    assert (route, in_digest) == ("paused", True)


def test_a_refused_email_stays_in_the_outbox_and_goes_on_the_next_pass(settings, emit, association, alice, bob):
    settings.MAILERS = REFUSING
    with travel(WEDNESDAY_NOON):
        emit(association, "test.vote", actor=alice, recipients=[bob.pk])  # the send fails, the write stands
    assert len(notifications_of(bob)) == 1
    with scopes_disabled():
        row = OutboxEmail.objects.get()
    assert (row.sent_at, row.attempts) == (None, 1)

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    with travel(WEDNESDAY_NOON + timedelta(minutes=5)):
        assert tasks.send_due_emails() == 1
    assert len(mail.outbox) == 1


# Summary emails ---------------------------------------------------------------------------


@pytest.fixture
def bob_in_both(other_association, bob, charlie):
    """bob belongs to A and to B; his summary covers both."""
    MembershipFactory(association=other_association, user=bob)
    return bob


@pytest.fixture
def week_of_news(emit, association, other_association, alice, charlie, bob_in_both):
    with travel(WEDNESDAY_NOON - timedelta(hours=1)):
        emit(association, "test.proposal", actor=alice, title="Changer de banque")
    with travel(WEDNESDAY_NOON):
        emit(association, "test.help", actor=alice, title="Imprimante")  # board only: not bob
        emit(association, "test.decision", actor=alice, title="Nextcloud adopté")
        emit(other_association, "test.decision", actor=charlie, title="Tournoi de printemps")
        emit(association, "test.tutorial", actor=alice)  # followers only: not bob
    with travel(WEDNESDAY_NOON + timedelta(hours=1)):
        emit(association, "test.vote", actor=alice, recipients=[bob_in_both.pk], title="Voter la banque")
    mail.outbox.clear()  # the immediate vote email


def test_one_summary_per_member_across_associations_decisions_first(week_of_news, bob):
    with travel(NEXT_MONDAY_8):
        send_digests()
    (message,) = [m for m in mail.outbox if m.to == ["bob@exemple.fr"]]
    body = message.body
    assert body.index("Nextcloud adopté") < body.index("Changer de banque")
    assert body.index("Tournoi de printemps") < body.index("Changer de banque")
    assert "Les Amis du Vélo" in body and "Club Échecs de Loches" in body
    html = html_of(message)
    assert html.index("Nextcloud adopté") < html.index("Changer de banque")
    assert '<html lang="fr">' in html
    assert "Voter la banque" not in body  # emailed right away already
    assert "3" in message.subject
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert all(n.digested_at is not None for n in notifications_of(bob) if n.in_digest)


def test_the_summary_is_in_english_for_a_member_who_reads_english(week_of_news, bob):
    bob.language = "en"
    bob.save()
    with travel(NEXT_MONDAY_8):
        send_digests()
    (message,) = [m for m in mail.outbox if m.to == ["bob@exemple.fr"]]
    assert message.subject == "Your Asso Hub summary: 3 new items"
    assert '<html lang="en">' in html_of(message)
    assert "Decisions recorded" in message.body


def test_the_summary_waits_for_the_member_slot(week_of_news, bob):
    with travel(NEXT_MONDAY_8 - timedelta(minutes=1)):
        assert "0 summary" in send_digests()
    assert mail.outbox == []


def test_running_twice_sends_one_summary_and_items_never_repeat(emit, association, alice, week_of_news, bob):
    with travel(NEXT_MONDAY_8):
        send_digests()
        send_digests()
    with travel(NEXT_MONDAY_8 + timedelta(hours=3)):
        send_digests()
    assert len([m for m in mail.outbox if m.to == ["bob@exemple.fr"]]) == 1

    # Something new after the cutoff waits for the next week, alone.
    with travel(NEXT_MONDAY_8 + timedelta(hours=1)):
        emit(association, "test.decision", actor=alice, title="Nouveau local")
    mail.outbox.clear()
    with travel(NEXT_MONDAY_8 + timedelta(days=7)):
        send_digests()
    (message,) = [m for m in mail.outbox if m.to == ["bob@exemple.fr"]]
    assert "Nouveau local" in message.body
    assert "Nextcloud adopté" not in message.body
    with scopes_disabled():
        assert DigestRun.objects.filter(recipient=bob).count() == 2


def test_nothing_new_means_no_email(association, alice, bob):
    with travel(NEXT_MONDAY_8):
        assert "0 summary email(s) due" in send_digests("--dry-run")
        send_digests()
    assert mail.outbox == []
    with scopes_disabled():
        assert not DigestRun.objects.exists()


def test_items_read_on_the_site_are_not_summarised_and_an_empty_run_sends_nothing(week_of_news, bob):
    with travel(NEXT_MONDAY_8):
        run_ids = services.claim_digests(now=timezone.now())
    with association_scope([n.association_id for n in notifications_of(bob)]):
        services.mark_all_read(user=bob, association_ids={n.association_id for n in notifications_of(bob)})
    for run_id in run_ids:
        services.send_digest(run_id=run_id)
    assert not [m for m in mail.outbox if m.to == ["bob@exemple.fr"]]
    with scopes_disabled():
        run = DigestRun.objects.get(recipient=bob)
    assert run.sent_at is not None and run.item_count == 0


def test_a_crash_between_claim_and_send_is_sent_by_the_next_run(week_of_news, bob):
    with travel(NEXT_MONDAY_8):
        services.claim_digests(now=timezone.now())  # ... and the worker dies here
    assert mail.outbox == []
    with travel(NEXT_MONDAY_8 + timedelta(hours=1)):
        send_digests()
        send_digests()
    assert len([m for m in mail.outbox if m.to == ["bob@exemple.fr"]]) == 1


def test_a_refused_summary_stays_claimed_and_goes_next_time(settings, week_of_news, bob):
    settings.MAILERS = REFUSING
    with travel(NEXT_MONDAY_8):
        assert "1 failed" in send_digests()
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    with travel(NEXT_MONDAY_8 + timedelta(hours=1)):
        send_digests()
    assert len([m for m in mail.outbox if m.to == ["bob@exemple.fr"]]) == 1


def test_the_beat_tasks_claim_and_send(week_of_news, bob, eager_celery):
    with travel(NEXT_MONDAY_8 + timedelta(minutes=3)):
        tasks.plan_digests()
        tasks.plan_digests()
    assert len([m for m in mail.outbox if m.to == ["bob@exemple.fr"]]) == 1


def test_a_paused_member_gets_the_summary_after_the_pause(week_of_news, bob):
    set_attention(bob, paused_until=date(2026, 3, 10))
    with travel(NEXT_MONDAY_8):
        send_digests()
    assert mail.outbox == []
    with travel(datetime(2026, 3, 11, 0, 5, tzinfo=PARIS)):
        send_digests()
    assert len([m for m in mail.outbox if m.to == ["bob@exemple.fr"]]) == 1


def test_daily_summaries_follow_the_member_time_zone(emit, association, alice, bob):
    bob.time_zone = "America/Guadeloupe"
    bob.save()
    set_attention(bob, digest_frequency=DigestFrequency.DAILY, digest_hour=18)
    with travel(WEDNESDAY_NOON):
        emit(association, "test.decision", actor=alice)
    guadeloupe = ZoneInfo("America/Guadeloupe")
    with travel(datetime(2026, 3, 4, 17, 59, tzinfo=guadeloupe)):
        send_digests("--period", "daily")
    assert mail.outbox == []
    with travel(datetime(2026, 3, 4, 18, 0, tzinfo=guadeloupe)):
        send_digests("--period", "weekly")
        assert mail.outbox == []
        send_digests("--period", "daily")
    assert len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_one_summary(settings, week_of_news, bob):
    settings.MAILERS = {"default": {"BACKEND": "tests.notifications.test_emails.SlowBackend"}}
    runs = 4
    barrier = threading.Barrier(runs)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=5)
            with travel(NEXT_MONDAY_8):
                run_ids = services.claim_digests(now=timezone.now())
                for run_id in run_ids:
                    services.send_digest(run_id=run_id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len([m for m in mail.outbox if m.to == ["bob@exemple.fr"]]) == 1
    with scopes_disabled():
        assert DigestRun.objects.filter(recipient=bob).count() == 1


# One-click unsubscribe (RFC 8058) -------------------------------------------------------------


def unsubscribe_path(message) -> str:
    url = re.match(r"<(.+)>", message.extra_headers["List-Unsubscribe"]).group(1)
    return url.removeprefix(django_settings.SITE_URL)


def test_one_click_unsubscribe_from_the_summary_works_without_login(client, week_of_news, bob):
    with travel(NEXT_MONDAY_8):
        send_digests()
    (message,) = [m for m in mail.outbox if m.to == ["bob@exemple.fr"]]
    path = unsubscribe_path(message)

    # Links expire (UNSUBSCRIBE_MAX_AGE_DAYS): the email is read the next day.
    with travel(NEXT_MONDAY_8 + timedelta(days=1)):
        assert client.get(path).status_code == 200  # a link scanner's GET changes nothing
        assert not NotificationSettings.objects.filter(user=bob, digest_frequency=DigestFrequency.NEVER).exists()

        response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert NotificationSettings.objects.get(user=bob).digest_frequency == DigestFrequency.NEVER


def test_one_click_unsubscribe_from_immediate_emails_stops_that_category_there(client, emit, association, alice, bob):
    with travel(WEDNESDAY_NOON):
        emit(association, "test.vote", actor=alice, recipients=[bob.pk])
    with travel(WEDNESDAY_NOON + timedelta(hours=2)):
        response = client.post(unsubscribe_path(mail.outbox[0]), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with scopes_disabled():
        assert Preference.objects.get(user=bob, association=association, category="vote_required").mode == Mode.IN_APP


def test_a_forged_unsubscribe_token_changes_nothing(client, bob):
    token = services.unsubscribe_token(user=bob)
    response = client.post(f"/notifications/unsubscribe/{token[:-2]}xx/")
    assert response.status_code == 400
    assert not NotificationSettings.objects.filter(user=bob).exists()


# Commands and beat ------------------------------------------------------------------------


def test_dry_run_lists_who_is_due_and_claims_nothing(week_of_news, bob):
    with travel(NEXT_MONDAY_8):
        out = send_digests("--dry-run")
    assert f"user {bob.pk}" in out
    assert mail.outbox == []
    assert not DigestRun.objects.exists()


def test_stats_command_reports_routes_and_emails(week_of_news):
    out = io.StringIO()
    with travel(NEXT_MONDAY_8):
        call_command("notifications_stats", "--days", "30", stdout=out)
    text = out.getvalue()
    assert "test.decision: 2" in text
    assert "Immediate emails: 1 sent" in text


def test_the_beat_runs_the_summary_planner_hourly_and_the_sweeps_every_five_minutes():
    schedule = django_settings.CELERY_BEAT_SCHEDULE
    assert schedule["notifications-plan-digests"]["task"] == tasks.plan_digests.name
    assert schedule["notifications-send-due-emails"]["task"] == tasks.send_due_emails.name
    assert schedule["notifications-fan-out-stragglers"]["task"] == tasks.fan_out_stragglers.name
    assert tasks.send_digest.acks_late and tasks.fan_out_event.acks_late


def test_a_member_who_left_gets_no_summary_of_that_association(week_of_news, bob, association):
    from hub.models import Membership

    with scopes_disabled():
        Membership.objects.filter(user=bob, association=association).update(is_active=False)
    with travel(NEXT_MONDAY_8):
        send_digests()
    (message,) = [m for m in mail.outbox if m.to == ["bob@exemple.fr"]]
    assert "Tournoi de printemps" in message.body
    assert "Nextcloud adopté" not in message.body
    with scopes_disabled():
        assert Notification.objects.filter(recipient=bob, digested_at__isnull=True, in_digest=True).count() == 2


def test_lines_link_to_the_target_page_in_emails(emit, association, alice, bob, monkeypatch):
    from notifications import registry

    monkeypatch.setitem(
        registry._types,
        "test.linked",
        registry.EventType("test.linked", "vote_required", "all_members", "Voter : %(title)s", "proposal", "target"),
    )
    monkeypatch.setattr(
        registry, "reverse", lambda name, kwargs: f"/a/{kwargs['association_slug']}/p/{kwargs['code']}/"
    )
    with travel(WEDNESDAY_NOON):
        event = emit(association, "test.linked", actor=alice, title="Budget")
    assert f"{django_settings.SITE_URL}/a/amis-du-velo/p/{event.target_code}/" in mail.outbox[0].body
