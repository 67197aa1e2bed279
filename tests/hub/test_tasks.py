"""Celery plumbing: the association scope of tasks, and the invitation email (once, after commit)."""

import os
import re
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery import Celery, _state, shared_task
from celery.contrib.testing.worker import TestWorkController, start_worker
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection, transaction
from django.urls import resolve
from django.utils import timezone
from django_scopes import ScopeError, scopes_disabled

from hub.celery import app as celery_app
from hub.models import Invitation, Membership, Role
from hub.services import accept_invitation, invite_member
from hub.tasks import AssociationTask, send_invitation_email
from hub.tenancy import association_scope
from tests.factories import InvitationFactory, UserFactory

INVITEE = "nouvelle@exemple.fr"


@shared_task(base=AssociationTask)
def member_emails(*, association_id: int) -> list[str]:
    return sorted(Membership.objects.values_list("user__email", flat=True))


class RefusedOnceBackend(LocmemBackend):
    """A mail relay that refuses the first connection, then accepts."""

    refusals_left = 0

    def send_messages(self, email_messages):
        if RefusedOnceBackend.refusals_left:
            RefusedOnceBackend.refusals_left -= 1
            raise ConnectionRefusedError("relay busy")
        return super().send_messages(email_messages)


class SlowBackend(LocmemBackend):
    """A relay that takes its time, so concurrent runs overlap inside the send."""

    def send_messages(self, email_messages):
        time.sleep(0.3)
        return super().send_messages(email_messages)


# Port 1 refuses connections: an SMTP server that is down, seen from the client.
UNREACHABLE_SMTP = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 2},
    }
}


@pytest.fixture
def invitation(association, alice):
    return InvitationFactory(association=association, email=INVITEE, role=Role.BOARD, invited_by=alice)


@pytest.fixture
def apply_like_a_worker():
    """`task.apply()` then keeps failures in the result and follows `self.retry` at once, as a
    worker would after the countdown (propagating would stop at the first retry)."""
    previous = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = previous


def send(invitation: Invitation) -> bool:
    return send_invitation_email(invitation_id=invitation.pk, association_id=invitation.association_id)


def sent_at(invitation: Invitation) -> datetime | None:
    with scopes_disabled():
        return Invitation.objects.values_list("sent_at", flat=True).get(pk=invitation.pk)


def html_of(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


def accept_url(text: str) -> str:
    return re.search(rf"{re.escape(django_settings.SITE_URL)}/invitations/[^/\s]+/", text).group(0)


# AssociationTask -------------------------------------------------------------------------


def test_association_task_body_sees_only_its_associations_rows(alice, bob, charlie, association, other_association):
    assert member_emails.apply(kwargs={"association_id": association.pk}).get() == [
        "alice@exemple.fr",
        "bob@exemple.fr",
    ]
    assert member_emails.apply(kwargs={"association_id": other_association.pk}).get() == ["charlie@exemple.fr"]
    with pytest.raises(ScopeError):  # the scope closes with the task
        Membership.objects.count()


@pytest.mark.parametrize("kwargs", [{}, {"association_id": None}, {"association_id": "1"}, {"association_id": True}])
def test_association_task_refuses_a_missing_or_non_integer_association_id(alice, kwargs):
    with pytest.raises(TypeError, match="association_id"):
        member_emails.apply(kwargs=kwargs).get()


# Enqueueing ------------------------------------------------------------------------------


def test_invite_member_sends_the_email_only_after_commit(
    access_of, alice, association, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, association_scope(association):
        invitation = invite_member(access=access_of(alice), email=INVITEE)
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [[INVITEE]]
    assert sent_at(invitation) is not None


def test_invite_member_rolled_back_enqueues_nothing(
    access_of, alice, association, eager_celery, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        association_scope(association),
        transaction.atomic(),
    ):
        invite_member(access=access_of(alice), email=INVITEE)
        transaction.set_rollback(True)
    assert callbacks == []
    assert mail.outbox == []
    with association_scope(association):
        assert not Invitation.objects.exists()


# Sending once ----------------------------------------------------------------------------


def test_sending_twice_sends_one_email(invitation):
    assert send(invitation) is True
    assert send(invitation) is False
    assert len(mail.outbox) == 1
    assert sent_at(invitation) is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_one_email(settings, invitation):
    settings.MAILERS = {"default": {"BACKEND": "tests.hub.test_tasks.SlowBackend"}}
    runs = 4
    barrier = threading.Barrier(runs)
    results: list[bool] = []

    def run() -> None:
        try:
            barrier.wait(timeout=5)
            results.append(send(invitation))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert sorted(results) == [False] * (runs - 1) + [True]
    assert len(mail.outbox) == 1


def test_failed_send_leaves_the_invitation_unsent_for_the_retry(settings, invitation):
    settings.MAILERS = UNREACHABLE_SMTP
    with pytest.raises(OSError):
        send(invitation)
    assert sent_at(invitation) is None

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    assert send(invitation) is True
    assert len(mail.outbox) == 1


def test_failed_send_is_retried_by_the_task_and_sent_once(settings, invitation, monkeypatch, apply_like_a_worker):
    settings.MAILERS = {"default": {"BACKEND": "tests.hub.test_tasks.RefusedOnceBackend"}}
    monkeypatch.setattr(RefusedOnceBackend, "refusals_left", 1)
    result = send_invitation_email.apply(
        kwargs={"invitation_id": invitation.pk, "association_id": invitation.association_id}
    )
    assert result.get() is True
    assert RefusedOnceBackend.refusals_left == 0
    assert len(mail.outbox) == 1
    assert sent_at(invitation) is not None


def test_send_that_keeps_failing_gives_up_with_the_invitation_still_unsent(settings, invitation, apply_like_a_worker):
    settings.MAILERS = UNREACHABLE_SMTP
    result = send_invitation_email.apply(
        kwargs={"invitation_id": invitation.pk, "association_id": invitation.association_id}
    )
    assert result.failed()
    assert isinstance(result.result, OSError)
    assert sent_at(invitation) is None
    assert mail.outbox == []


@pytest.mark.parametrize(
    "state",
    [
        {"revoked_at": timezone.now()},
        {"accepted_at": timezone.now()},
        {"expires_at": timezone.now() - timedelta(minutes=1)},
    ],
    ids=["revoked", "accepted", "expired"],
)
def test_invitation_no_longer_pending_is_not_emailed(invitation, state):
    with scopes_disabled():
        Invitation.objects.filter(pk=invitation.pk).update(**state)
    assert send(invitation) is False
    assert mail.outbox == []


def test_invitation_of_another_association_is_not_emailed(invitation, other_association):
    assert send_invitation_email(invitation_id=invitation.pk, association_id=other_association.pk) is False
    assert mail.outbox == []
    assert sent_at(invitation) is None


# Through a real broker and worker -------------------------------------------------------


class BoundedTestWorker(TestWorkController):
    def ensure_started(self) -> None:
        # The stock worker waits forever when it cannot start (bad broker URL): fail instead.
        if not self._on_started.wait(timeout=20):
            raise RuntimeError("The in-process worker did not start within 20 s; its error is logged above.")


@contextmanager
def running_worker(broker_url: str):
    """An in-process worker on `broker_url`, made the current app so `delay_on_commit` uses it."""
    app = Celery("asso-hub-test", task_cls="celery.contrib.django.task:DjangoTask", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=broker_url,
        broker_connection_retry_on_startup=False,
        # A queue of its own: leftovers of other runs on a shared Redis stay out of this one.
        task_default_queue=f"test-{uuid.uuid4().hex}",
        worker_hijack_root_logger=False,
    )
    # start_worker makes its app the current and default one; put hub's back afterwards.
    previous_current, previous_default = _state.get_current_app(), _state.default_app
    try:
        with start_worker(app, perform_ping_check=False, shutdown_timeout=20, WorkController=BoundedTestWorker):
            yield app
    finally:
        previous_current.set_current()
        _state.set_default_app(previous_default)


def wait_for_outbox(count: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def invite_through_the_worker(access, broker_url: str) -> Invitation:
    with running_worker(broker_url):
        with association_scope(access.association):
            invitation = invite_member(access=access, email=INVITEE, message="Bienvenue !")
        wait_for_outbox(1)
    return invitation


@pytest.mark.django_db(transaction=True)
def test_invitation_email_goes_through_the_embedded_sqlite_broker(tmp_path, access_of, alice):
    invitation = invite_through_the_worker(access_of(alice), f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}")
    assert [m.to for m in mail.outbox] == [[INVITEE]]
    assert sent_at(invitation) is not None


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_invitation_email_goes_through_the_redis_broker(access_of, alice):
    invitation = invite_through_the_worker(access_of(alice), os.environ["REDIS_URL"])
    assert [m.to for m in mail.outbox] == [[INVITEE]]
    assert sent_at(invitation) is not None


# The email itself ------------------------------------------------------------------------


def test_invitation_email_names_the_association_the_inviter_and_the_role(invitation):
    send(invitation)
    message = mail.outbox[0]
    assert "Les Amis du Vélo" in message.subject
    assert "Alice Martin" in message.subject
    for part in (message.body, html_of(message)):
        assert "Les Amis du Vélo" in part
        assert "Alice Martin" in part
        assert "Board" in part or "Bureau" in part
        assert INVITEE in part


def test_invitation_email_link_is_accepted_by_accept_invitation(invitation, association):
    send(invitation)
    message = mail.outbox[0]
    url = accept_url(message.body)
    assert url in html_of(message)
    assert resolve(urlsplit(url).path).view_name == "frontend:invitation"  # the page that accepts it
    invitee = UserFactory(email=INVITEE)

    membership = accept_invitation(token=url.rstrip("/").rsplit("/", 1)[1], user=invitee)

    assert membership.association == association
    assert membership.role == Role.BOARD


def test_invitation_email_carries_the_personal_message_escaped_only_in_html(invitation, association):
    association.name = "L'Atelier & Co"
    association.save()
    with scopes_disabled():
        Invitation.objects.filter(pk=invitation.pk).update(message="On compte sur toi <3\nÀ jeudi")

    send(invitation)

    message = mail.outbox[0]
    assert "L'Atelier & Co" in message.subject
    assert "\n" not in message.subject
    assert "L'Atelier & Co" in message.body
    assert "On compte sur toi <3\nÀ jeudi" in message.body
    html = html_of(message)
    assert "L&#x27;Atelier &amp; Co" in html
    assert "On compte sur toi &lt;3<br>À jeudi" in html


@pytest.fixture
def on_march_2nd():
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris")), tick=False):
        yield


def test_invitation_email_is_in_french_by_default(on_march_2nd, invitation):
    send(invitation)
    message = mail.outbox[0]
    assert "16 mars 2026" in message.body
    assert '<html lang="fr">' in html_of(message)


def test_invitation_email_is_in_english_for_an_invitee_whose_account_is_in_english(on_march_2nd, invitation):
    UserFactory(email=INVITEE, language="en")
    send(invitation)
    message = mail.outbox[0]
    assert "March 16, 2026" in message.body
    assert '<html lang="en">' in html_of(message)
    assert "Sign in with this address" in message.body
