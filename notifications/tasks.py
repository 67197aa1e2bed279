"""Celery tasks: take ids, call a service, safe to run twice (unique keys and row locks decide).

`acks_late` (also the project default): a worker killed half-way leaves the message to another.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from hub.tasks import AssociationTask
from hub.tenancy import association_scope

from . import services
from .models import Event

logger = logging.getLogger(__name__)


@shared_task(base=AssociationTask, acks_late=True)
def fan_out_event(*, event_id: int, association_id: int) -> int:
    """Notifications, emails and pushes of one event. Running it again creates nothing new."""
    event = Event.objects.filter(pk=event_id, association_id=association_id).first()
    if event is None:
        return 0
    return services.fan_out(event=event)


@shared_task(acks_late=True)
def fan_out_stragglers() -> int:
    """Beat, every few minutes: fan out events whose task was lost (broker down at their commit)."""
    stragglers = services.events_not_fanned_out(now=timezone.now())
    for association_id, event_id in stragglers:
        fan_out_event.delay(event_id=event_id, association_id=association_id)
    return len(stragglers)


def _send_each(due: list[tuple[int, int]]) -> int:
    sent = 0
    for association_id, outbox_id in due:
        with association_scope(association_id):
            try:
                sent += services.send_outbox_email(outbox_id=outbox_id)
            except Exception:
                # One refused email must not hold the others back; the next pass retries it.
                logger.warning("Immediate email %s failed; the next pass retries it.", outbox_id, exc_info=True)
    return sent


@shared_task(base=AssociationTask, acks_late=True)
def send_event_emails(*, event_id: int, association_id: int) -> int:
    """The immediate emails of one event that are due now (held ones wait for `send_due_emails`)."""
    due = [row for row in services.due_outbox_ids(now=timezone.now(), event_id=event_id) if row[0] == association_id]
    return _send_each(due)


@shared_task(acks_late=True)
def send_due_emails() -> int:
    """Beat, every few minutes: immediate emails whose quiet hours ended, and retries of failed ones."""
    return _send_each(services.due_outbox_ids(now=timezone.now()))


@shared_task(acks_late=True)
def plan_digests() -> int:
    """Beat, every hour: claim the summaries due now (the cutoff is each person's slot), then send them."""
    run_ids = services.claim_digests(now=timezone.now())
    for run_id in run_ids:
        send_digest.delay(run_id=run_id)
    return len(run_ids)


@shared_task(bind=True, acks_late=True, max_retries=5)
def send_digest(self, *, run_id: int) -> bool:  # type: ignore[no-untyped-def]
    """One claimed summary, once. A failed send rolls back and is retried with backoff."""
    try:
        return services.send_digest(run_id=run_id)
    except Exception as exc:
        logger.warning("Summary %s failed (%s), will retry.", run_id, exc)
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc
