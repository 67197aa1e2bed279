"""The immediate email and the summary email: text and HTML, in the recipient's language and time zone.

Both carry `List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058): a signed one-click link
that works without logging in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from hub.models import Association, User

from . import registry
from .models import DIGEST_ORDER, Category, Event, Notification


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _target_url(event: Event, association: Association) -> str:
    path = registry.target_path(event, association.slug)
    return _absolute(path) if path else ""


def unsubscribe_url(token: str) -> str:
    return _absolute(reverse("frontend:notifications_unsubscribe", kwargs={"token": token}))


def _message(*, user: User, template: str, context: dict[str, Any], unsubscribe: str) -> EmailMultiAlternatives:
    context = context | {
        "user": user,
        "site_url": settings.SITE_URL,
        "inbox_url": _absolute(reverse("frontend:notifications_inbox")),
        "preferences_url": _absolute(reverse("frontend:notifications_preferences")),
        "unsubscribe_url": unsubscribe,
    }
    message = EmailMultiAlternatives(
        # A subject is one line: a stray newline from a title would be a header injection.
        subject=" ".join(render_to_string(f"notifications/emails/{template}_subject.txt", context).split()),
        body=render_to_string(f"notifications/emails/{template}.txt", context),
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string(f"notifications/emails/{template}.html", context), "text/html")
    return message


def immediate_email(notification: Notification, user: User, association: Association) -> EmailMultiAlternatives:
    """One notification, now. Reads `notification.event.actor` (select it)."""
    from .services import unsubscribe_token

    with translation.override(user.language), timezone.override(user.time_zone):
        context = {
            "association": association,
            "notification": notification,
            "line": registry.render_line(notification.event, association_name=association.name),
            "category": Category(notification.category).label,
            "target_url": _target_url(notification.event, association),
        }
        token = unsubscribe_token(user=user, association=association, category=notification.category)
        return _message(user=user, template="immediate", context=context, unsubscribe=unsubscribe_url(token))


@dataclass
class DigestSection:
    category: str
    label: str
    lines: list[tuple[Notification, str, str]] = field(default_factory=list)  # item, sentence, link


def digest_sections(items: Sequence[Notification]) -> list[DigestSection]:
    """Items grouped by category, decisions first, oldest first within a category."""
    sections = {category: DigestSection(category, str(Category(category).label)) for category in DIGEST_ORDER}
    for item in items:
        line = registry.render_line(item.event, association_name=item.association.name)
        sections[item.category].lines.append((item, line, _target_url(item.event, item.association)))
    return [section for section in sections.values() if section.lines]


def digest_email(user: User, items: Sequence[Notification]) -> EmailMultiAlternatives:
    """One summary across all of the user's associations. Reads `event.actor` and `association` of each item."""
    from .services import unsubscribe_token

    with translation.override(user.language), timezone.override(user.time_zone):
        context = {
            "sections": digest_sections(items),
            "count": len(items),
            "association_count": len({item.association_id for item in items}),
        }
        token = unsubscribe_token(user=user)
        return _message(user=user, template="digest", context=context, unsubscribe=unsubscribe_url(token))
