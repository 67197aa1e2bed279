"""notifications' part of personal data (registered in `NotificationsConfig.ready()`, see `hub.personal_data`).

- Export: settings, per-association preferences, follows and mutes, and the inbox.
- Erasure: all of it is the person's own and goes; the events they caused stay in the associations'
  history without their name (actor cleared, and the title when it was their name).
"""

from __future__ import annotations

from typing import Any

from django_scopes import scopes_disabled

from hub.models import User
from hub.personal_data import ErasedPerson

from .models import DigestRun, Event, Notification, NotificationSettings, OutboxEmail, Preference, Subscription


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def export(user: User) -> dict[str, Any]:
    """What notifications holds about `user` (4 queries)."""
    with scopes_disabled():
        settings_row = NotificationSettings.objects.filter(user=user).first()
        preferences = Preference.objects.filter(user=user).select_related("association")
        subscriptions = Subscription.objects.filter(user=user).select_related("association")
        inbox = Notification.objects.filter(recipient=user).select_related("event", "association").order_by("-pk")
        return {
            "settings": None
            if settings_row is None
            else {
                "digest_frequency": settings_row.digest_frequency,
                "digest_hour": settings_row.digest_hour,
                "digest_weekday": settings_row.digest_weekday,
                "daily_email_cap": settings_row.daily_email_cap,
                "quiet_start": settings_row.quiet_start.isoformat() if settings_row.quiet_start else None,
                "quiet_end": settings_row.quiet_end.isoformat() if settings_row.quiet_end else None,
                "paused_until": _iso(settings_row.paused_until),
            },
            "preferences": [
                {"association": p.association.name, "category": p.category, "mode": p.mode} for p in preferences
            ],
            "follows_and_mutes": [
                {
                    "association": s.association.name,
                    "kind": s.target_kind,
                    "target": str(s.target_code),
                    "state": s.state,
                }
                for s in subscriptions
            ],
            "notifications": [
                {
                    "association": n.association.name,
                    "kind": n.event.kind,
                    "title": n.event.title,
                    "created_at": _iso(n.created_at),
                    "route": n.route,
                    "read_at": _iso(n.read_at),
                }
                for n in inbox
            ],
        }


def erase(person: ErasedPerson) -> None:
    user = person.user
    with scopes_disabled():
        OutboxEmail.objects.filter(recipient=user).delete()
        Notification.objects.filter(recipient=user).delete()
        Preference.objects.filter(user=user).delete()
        Subscription.objects.filter(user=user).delete()
        NotificationSettings.objects.filter(user=user).delete()
        DigestRun.objects.filter(recipient=user).delete()
        if person.display_name:
            # e.g. "invitation.accepted" is titled with the new member's name.
            Event.objects.filter(actor=user, title=person.display_name).update(title="")
        Event.objects.filter(actor=user).update(actor=None)
