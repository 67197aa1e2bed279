"""The one door other apps use: `publish()` records an event; the fan-out runs after commit."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any
from uuid import UUID

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from . import registry
from .models import Event
from .registry import Audience


def publish(
    *,
    kind: str,
    association_id: int,
    actor_id: int | None,
    target_kind: str,
    target_code: UUID | str | None,
    title: str,
    data: Mapping[str, Any] | None = None,
    recipients: Iterable[int] | None = None,
) -> Event:
    """Record that `kind` happened in the association. Call it inside the writing service's transaction.

    The event row commits or rolls back with the write; its fan-out (notifications, emails,
    websocket pushes) is enqueued only after commit. `recipients` (user ids) is the audience of
    kinds registered with `Audience.EXPLICIT` (e.g. a proposal's electorate) and is refused for
    others; whatever the rule, only active members of the association receive it and never the
    actor. `data` must be JSON-serialisable (its strings may be used by the kind's line).
    Raises `registry.UnknownEventKind` for an unregistered kind, ValueError for a bad audience.
    """
    event_type = registry.get(kind)
    if event_type.audience == Audience.EXPLICIT and recipients is None:
        raise ValueError(f"{kind!r} goes to an explicit audience: pass recipients=[user ids].")
    if event_type.audience != Audience.EXPLICIT and recipients is not None:
        raise ValueError(f"{kind!r} has the audience {event_type.audience}; recipients are not accepted.")
    event = Event.objects.create(
        association_id=association_id,
        kind=kind,
        category=event_type.category,
        actor_id=actor_id,
        target_kind=target_kind or event_type.target_kind,
        target_code=UUID(str(target_code)) if target_code else None,
        title=title[:300],
        # Dates and UUIDs become strings now, so what the fan-out reads is what was stored.
        data=json.loads(DjangoJSONEncoder().encode(dict(data or {}))),
        recipient_ids=sorted({int(pk) for pk in recipients}) if recipients is not None else None,
        created_at=timezone.now(),
    )
    # Robust: a broker outage at commit is logged, not raised into the request that already
    # committed; `tasks.fan_out_stragglers` picks the event up a few minutes later.
    transaction.on_commit(partial(enqueue_fan_out, event.pk, association_id), robust=True)
    return event


def enqueue_fan_out(event_id: int, association_id: int) -> None:
    from .tasks import fan_out_event

    fan_out_event.delay(event_id=event_id, association_id=association_id)
