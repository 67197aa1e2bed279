"""Celery plumbing for association data, and hub's own tasks.

Tasks take ids, never instances, are enqueued after commit (`delay_on_commit`) and are safe to
run twice or concurrently: a row lock or a conditional update decides who does the work.
"""

from __future__ import annotations

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


class AssociationTask(DjangoTask):
    """Base task: runs its body inside the scope of the association named by `association_id`."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        association_id = kwargs.get("association_id")
        if not isinstance(association_id, int):
            raise TypeError(f"{self.name} needs an integer association_id keyword argument.")
        with association_scope(association_id):
            return super().__call__(*args, **kwargs)


@shared_task(base=AssociationTask, bind=True, max_retries=5, default_retry_delay=60)
def send_invitation_email(self: AssociationTask, *, invitation_id: int, association_id: int) -> bool:
    """Email an invitation once. Returns False when there is nothing (left) to send."""
    from .services import invitation_token

    with transaction.atomic():
        # The row lock serialises concurrent runs; `sent_at` is only set if the send succeeded,
        # so a worker that dies mid-send leaves the invitation to the retry.
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("association", "invited_by")
            .filter(pk=invitation_id, association_id=association_id)
            .first()
        )
        if invitation is None or invitation.sent_at is not None or not invitation.is_pending:
            return False
        existing_user = User.objects.filter(email__iexact=invitation.email).first()
        language = existing_user.language if existing_user else settings.LANGUAGE_CODE
        with translation.override(language):
            context = {
                "invitation": invitation,
                "association": invitation.association,
                "url": f"{settings.SITE_URL}/invitations/{invitation_token(invitation)}/",
                "has_account": existing_user is not None,
            }
            subject = render_to_string("hub/emails/invitation_subject.txt", context).strip()
            message = EmailMultiAlternatives(
                subject=subject,
                body=render_to_string("hub/emails/invitation.txt", context),
                to=[invitation.email],
            )
            message.attach_alternative(render_to_string("hub/emails/invitation.html", context), "text/html")
            message.send()
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at"])
    return True
