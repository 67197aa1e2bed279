"""Scheduled governance work: closing due votes and reminding electors, one task per proposal.

Beat runs `sweep_proposals` every minute. It only reads ids (across associations, a named scope
bypass) and enqueues one task per proposal; each of those runs in its association's scope and
calls a service that is safe to run twice (a conditional update decides who does the work).
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone
from django_scopes import scopes_disabled

from hub.tasks import AssociationTask

from . import services
from .models import Proposal, Status


@shared_task
def sweep_proposals() -> dict[str, int]:
    """Enqueue the closing of due votes and the reminders of votes closing within 24 hours."""
    now = timezone.now()
    with scopes_disabled():  # ids only, across associations; each task reopens one scope
        due = list(Proposal.objects.filter(status=Status.OPEN, closes_at__lte=now).values_list("pk", "association_id"))
        closing_soon = list(
            Proposal.objects.filter(
                status=Status.OPEN,
                reminder_sent_at__isnull=True,
                opens_at__lte=now,
                closes_at__gt=now,
                closes_at__lte=now + services.REMINDER_BEFORE,
            ).values_list("pk", "association_id")
        )
    for proposal_id, association_id in due:
        close_proposal.delay_on_commit(proposal_id=proposal_id, association_id=association_id)
    for proposal_id, association_id in closing_soon:
        remind_electors.delay_on_commit(proposal_id=proposal_id, association_id=association_id)
    return {"closing": len(due), "reminding": len(closing_soon)}


@shared_task(base=AssociationTask)
def close_proposal(*, proposal_id: int, association_id: int) -> str | None:
    """Close a due vote and record its decision; returns the decision code, or None if already done."""
    decision = services.close_proposal(proposal_id=proposal_id)
    return str(decision.code) if decision is not None else None


@shared_task(base=AssociationTask)
def remind_electors(*, proposal_id: int, association_id: int) -> int:
    """Remind the electors who have not voted yet (once per proposal)."""
    return services.send_closing_reminder(proposal_id=proposal_id)
