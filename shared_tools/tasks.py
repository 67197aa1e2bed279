"""Scheduled shared_tools work: the workshop reminders, one task per workshop.

Beat runs `sweep_workshop_reminders` every five minutes. It reads ids only and enqueues one task
per workshop starting within 24 hours with registered people not yet reminded; each task calls
a service that is safe to run twice or concurrently (a conditional update under the workshop's
row lock decides who is reminded). Workshops belong to a network, not to an association, so
these tasks take no association scope: the service opens the scopes of the associations it
publishes in.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .workshops import selectors, services


@shared_task
def sweep_workshop_reminders() -> int:
    """Enqueue the reminders of the workshops starting within 24 hours. Returns how many workshops."""
    now = timezone.now()
    workshop_ids = selectors.workshops_to_remind(now=now, before=now + services.REMINDER_BEFORE)
    for workshop_id in workshop_ids:
        remind_workshop.delay_on_commit(workshop_id=workshop_id)
    return len(workshop_ids)


@shared_task(acks_late=True)
def remind_workshop(*, workshop_id: int) -> int:
    """Remind the workshop's registered people who have not been reminded yet."""
    return services.send_workshop_reminders(workshop_id=workshop_id)
