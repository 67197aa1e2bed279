"""Celery plumbing for association data, and hub's own tasks.

Tasks take ids, never instances, are enqueued after commit (`delay_on_commit`) and are safe to
run twice or concurrently: a row lock or a conditional update decides who does the work.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .models import Invitation, User
from .tenancy import association_scope

logger = logging.getLogger(__name__)


class AssociationTask(DjangoTask):
    """Base task: runs its body inside the scope of the association named by `association_id`."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        association_id = kwargs.get("association_id")
        # bool is an int subclass; True would silently scope the task to association 1.
        if not isinstance(association_id, int) or isinstance(association_id, bool):
            raise TypeError(f"{self.name} needs an integer association_id keyword argument.")
        with association_scope(association_id):
            return super().__call__(*args, **kwargs)


def _invitation_email(invitation: Invitation) -> EmailMultiAlternatives:
    """The invitation email, in the invitee's language if they already have an account."""
    from .services import invitation_token

    existing_user = User.objects.filter(email__iexact=invitation.email).first()
    language = existing_user.language if existing_user else settings.LANGUAGE_CODE
    time_zone = existing_user.time_zone if existing_user else settings.TIME_ZONE
    with translation.override(language), timezone.override(time_zone):
        context = {
            "invitation": invitation,
            "association": invitation.association,
            "inviter": invitation.invited_by.display_name if invitation.invited_by else "",
            "url": f"{settings.SITE_URL}/invitations/{invitation_token(invitation)}/",
            "has_account": existing_user is not None,
        }
        message = EmailMultiAlternatives(
            # Django refuses a subject with a line break: fold the template's lines into one.
            subject=" ".join(render_to_string("hub/emails/invitation_subject.txt", context).split()),
            body=render_to_string("hub/emails/invitation.txt", context),
            to=[invitation.email],
        )
        message.attach_alternative(render_to_string("hub/emails/invitation.html", context), "text/html")
    return message


@shared_task(base=AssociationTask, bind=True, max_retries=5)
def send_invitation_email(self: AssociationTask, *, invitation_id: int, association_id: int) -> bool:
    """Email an invitation once. Returns False when there is nothing (left) to send.

    A failed send is retried with backoff (1, 2, 4, 8, 16 minutes). `sent_at` is set in the same
    transaction as a successful send, so the email is neither lost nor sent again.
    """
    with transaction.atomic():
        # The row lock serialises concurrent runs (on SQLite the IMMEDIATE transaction does):
        # the second run waits, then sees `sent_at` and stops. A worker that dies mid-send
        # rolls back, leaving the invitation to the redelivered task.
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("association", "invited_by")
            .filter(pk=invitation_id, association_id=association_id)
            .first()
        )
        if invitation is None or invitation.sent_at is not None or not invitation.is_pending:
            return False
        message = _invitation_email(invitation)
        try:
            message.send()
        except Exception as exc:  # any mail backend, any failure: the retry decides
            send_error = exc
        else:
            invitation.sent_at = timezone.now()
            invitation.save(update_fields=["sent_at"])
            return True
    # Out of the transaction: the lock is released before the retry is queued.
    logger.warning("Invitation %s: sending failed (%s), will retry.", invitation_id, send_error)
    raise self.retry(exc=send_error, countdown=60 * 2**self.request.retries)
