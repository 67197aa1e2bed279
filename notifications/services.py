"""Writes: fan-out, reading, preferences, follow/mute, unsubscribe, immediate emails and summaries.

Keyword-only and typed. Functions that touch one association's rows need its scope (the task,
the request or the caller opens it); the summary functions cross associations on purpose — a
person's summary is one email for all their associations — and say so where they bypass scopes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, partial
from itertools import batched
from typing import Any
from uuid import UUID, uuid4

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import CharField, Count, F, Min, Model, OuterRef, Q, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from hub.models import Association, Membership, Role, User

from . import emails, registry, selectors
from .models import (
    DEFAULT_MODES,
    Category,
    DigestFrequency,
    DigestRun,
    Event,
    Mode,
    Notification,
    NotificationSettings,
    OutboxEmail,
    Preference,
    Route,
    Subscription,
    SubscriptionState,
)
from .push import push_to_user, push_to_users
from .registry import Audience
from .rules import Attention, Delivery, DigestSlot, is_paused, latest_digest_slot, route

logger = logging.getLogger(__name__)

FAN_OUT_BATCH_SIZE = 2000
# An email that failed this many times is left alone (the notifications stay in the inbox).
MAX_EMAIL_ATTEMPTS = 8
MAX_DIGEST_ATTEMPTS = 24
UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def _skip_locked() -> bool:
    # PostgreSQL: concurrent senders skip rows another one is sending. SQLite has no row locks;
    # its IMMEDIATE transactions serialise writers instead.
    return bool(connection.features.has_select_for_update_skip_locked)


# Fan-out ----------------------------------------------------------------------------------


def _recipient_rows(event: Event, audience: Audience) -> list[dict[str, Any]]:
    """Active members the event reaches, with their preference, follow/mute and settings: one query."""
    rule: Q
    if audience == Audience.ALL_MEMBERS:
        rule = Q(pk__isnull=False)
    elif audience == Audience.BOARD:
        rule = Q(role__in=[Role.BOARD, Role.ADMIN])
    elif audience == Audience.ADMINS:
        rule = Q(role=Role.ADMIN)
    elif audience == Audience.EXPLICIT:
        rule = Q(user_id__in=event.recipient_ids or [])
    else:
        rule = Q(pk__in=[])
    subscription: Subquery | Value = Value(None, output_field=CharField())
    if event.target_kind and event.target_code:
        subscriptions = Subscription.objects.filter(
            association_id=event.association_id, target_kind=event.target_kind, target_code=event.target_code
        )
        rule |= Q(user_id__in=subscriptions.filter(state=SubscriptionState.FOLLOW).values("user_id"))
        subscription = Subquery(subscriptions.filter(user_id=OuterRef("user_id")).values("state")[:1])
    members = Membership.objects.filter(association_id=event.association_id, is_active=True, user__is_active=True)
    members = members.filter(rule)
    if event.actor_id is not None:
        members = members.exclude(user_id=event.actor_id)
    preference = Preference.objects.filter(
        association_id=event.association_id, user_id=OuterRef("user_id"), category=event.category
    ).values("mode")[:1]
    return list(
        members.annotate(mode=Subquery(preference), subscription=subscription)
        .values(
            "user_id",
            "mode",
            "subscription",
            "user__time_zone",
            "user__notification_settings__id",
            *(f"user__notification_settings__{name}" for name in selectors.ATTENTION_FIELDS),
        )
        .order_by("user_id")
    )


@cache
def _attention_keys(prefix: str) -> tuple[str, str, tuple[str, ...]]:
    return (
        f"{prefix}time_zone",
        f"{prefix}notification_settings__id",
        tuple(f"{prefix}notification_settings__{name}" for name in selectors.ATTENTION_FIELDS),
    )


def _attention(
    row: Mapping[str, Any], cache: dict[tuple[Any, ...], Attention] | None = None, *, prefix: str = "user__"
) -> Attention:
    """The person's Attention from a row of `values()` through `prefix` (their user).

    `cache` shares one instance between equal settings (most people share a handful).
    """
    zone_key, settings_key, field_keys = _attention_keys(prefix)
    if row[settings_key] is None:
        key: tuple[Any, ...] = (row[zone_key],)
    else:
        key = (row[zone_key], *(row[name] for name in field_keys))
    if cache is not None and (cached := cache.get(key)) is not None:
        return cached
    if len(key) == 1:
        attention = Attention(time_zone=key[0])
    else:
        attention = Attention(time_zone=key[0], **dict(zip(selectors.ATTENTION_FIELDS, key[1:], strict=True)))
    if cache is not None:
        cache[key] = attention
    return attention


def _planned_emails_by_day(user_ids: list[int], attentions: Mapping[int, Attention], now: datetime) -> dict[int, dict]:
    """Immediate emails already planned around now for each member, by local day: one query.

    The cap is a person's, across associations: this read crosses tenants, on the members' own rows.
    Two fan-outs at the same instant may both see room under a member's cap and go one over: the
    cap is a courtesy, and a lock per member would serialise every fan-out of the platform.
    """
    counts: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        OutboxEmail.objects.with_scopes_disabled()
        .filter(recipient_id__in=user_ids, skipped_at__isnull=True)
        .filter(due_at__gte=now - timedelta(days=2), due_at__lt=now + timedelta(days=2))
        .values_list("recipient_id", "due_at")
    )
    for user_id, due_at in rows:
        counts[user_id][due_at.astimezone(attentions[user_id].zone).date()] += 1
    return counts


def _columns(model: type[Model], *names: str) -> str:
    """The quoted, comma-separated columns of these fields, for raw SQL."""
    return ", ".join(connection.ops.quote_name(str(model._meta.get_field(name).column)) for name in names)  # type: ignore[union-attr]


def _insert_notifications(event: Event, rows: list[tuple[UUID, int, str, bool]]) -> dict[int, int]:
    """Insert (code, recipient id, route, in digest) for the event; skip existing (event, recipient).

    One statement, no model instances, and `RETURNING` says which rows were really inserted (a
    second run inserts nothing and returns nothing), so no read-back. PostgreSQL gets the rows as
    arrays (one statement whatever the batch); other databases (SQLite ≥ 3.35) a multi-row VALUES
    cut to their parameter limit. Returns recipient id → notification id of the new rows.
    """
    meta = Notification._meta
    table = connection.ops.quote_name(meta.db_table)
    field = meta.get_field
    names = ["code", "recipient", "route", "in_digest", "association", "event", "category", "created_at"]
    columns = _columns(Notification, *names)
    conflict = _columns(Notification, "event", "recipient")
    returning = _columns(Notification, "recipient", "id")
    constants = [
        event.association_id,
        event.pk,
        event.category,
        field("created_at").get_db_prep_value(event.created_at, connection),  # type: ignore[union-attr]
    ]
    inserted: dict[int, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            codes, recipients, routes, digests = (list(column) for column in zip(*rows, strict=True))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 (names from the model, values as parameters)
                "SELECT code, recipient, route, in_digest, %s, %s, %s, %s "
                "FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::boolean[]) "
                "AS t(code, recipient, route, in_digest) "
                f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}",
                [*constants, codes, recipients, routes, digests],
            )
            inserted.update(cursor.fetchall())
            return inserted
        code_field = field("code")
        per_statement = max(1, (connection.features.max_query_params or 999) // len(names))
        for chunk in batched(rows, per_statement):
            values = []
            for code, recipient_id, route_name, in_digest in chunk:
                values += [code_field.get_db_prep_value(code, connection), recipient_id, route_name, in_digest]  # type: ignore[union-attr]
                values += constants
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(names)) + ")"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {placeholders} "  # noqa: S608 (as above)
                f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}",
                values,
            )
            inserted.update(cursor.fetchall())
    return inserted


@transaction.atomic
def fan_out(*, event: Event, now: datetime | None = None) -> int:
    """Turn the event into one notification per recipient; plan emails and pushes. Needs the scope.

    Set-based: per batch of recipients one read of the planned emails of those who may get an
    immediate one, one `INSERT … ON CONFLICT DO NOTHING RETURNING` (a second run inserts nothing),
    one `bulk_create` of outbox emails, one grouped count of unread notifications and one
    after-commit callback sending the batch's pushes. Returns how many notifications were created.
    """
    now = now or timezone.now()
    try:
        event_type = registry.get(event.kind)
    except registry.UnknownEventKind:
        logger.warning("Event %s has the unregistered kind %r: not fanned out.", event.pk, event.kind)
        Event.objects.filter(pk=event.pk).update(fanned_out_at=now)
        return 0
    rows = _recipient_rows(event, event_type.audience)
    default_mode = DEFAULT_MODES[event.category]
    # Most members share a handful of settings: one Attention each, and one routing decision per
    # (mode, follow/mute, settings) when no email is planned for them (`route` is pure, `now` fixed).
    attention_cache: dict[tuple[Any, ...], Attention] = {}
    route_cache: dict[tuple[str, str | None, Attention], Delivery] = {}
    created = 0
    emails_due_now = False
    for batch in batched(rows, FAN_OUT_BATCH_SIZE):
        attentions = {row["user_id"]: _attention(row, attention_cache) for row in batch}
        # Only a member in "immediate" mode (and not muting the target) can be sent an email.
        may_email = [
            row["user_id"]
            for row in batch
            if (row["mode"] or default_mode) == Mode.IMMEDIATE and row["subscription"] != SubscriptionState.MUTE
        ]
        planned = _planned_emails_by_day(may_email, attentions, now) if may_email else {}
        deliveries: dict[int, tuple[UUID, Delivery]] = {}
        for row in batch:
            user_id = row["user_id"]
            mode = row["mode"] or default_mode
            attention = attentions[user_id]
            by_day = planned.get(user_id)
            if by_day:
                delivery = route(
                    mode=mode, attention=attention, now=now, subscription=row["subscription"], emails_by_day=by_day
                )
            else:
                key = (mode, row["subscription"], attention)
                cached = route_cache.get(key)
                if cached is None:
                    cached = route_cache[key] = route(
                        mode=mode, attention=attention, now=now, subscription=row["subscription"]
                    )
                delivery = cached
            if delivery.inbox:
                deliveries[user_id] = (uuid4(), delivery)
        if not deliveries:
            continue
        inserted = _insert_notifications(
            event,
            [(code, user_id, delivery.route, delivery.digest) for user_id, (code, delivery) in deliveries.items()],
        )
        created += len(inserted)
        outbox = []
        pushed = []
        for user_id, pk in inserted.items():
            code, delivery = deliveries[user_id]
            if delivery.email_at is not None:
                outbox.append(
                    OutboxEmail(
                        association_id=event.association_id,
                        notification_id=pk,
                        recipient_id=user_id,
                        due_at=delivery.email_at,
                    )
                )
                emails_due_now = emails_due_now or delivery.email_at <= now
            if delivery.push:
                pushed.append((user_id, code))
        if outbox:
            OutboxEmail.objects.bulk_create(outbox, ignore_conflicts=True)
        if pushed:
            counts = selectors.unread_counts([user_id for user_id, _code in pushed])
            notification = {"title": event.title}
            push_to_users(
                [
                    (
                        user_id,
                        {
                            "kind": "unread",
                            "count": counts.get(user_id, 0),
                            "notification": notification | {"code": str(code)},
                        },
                    )
                    for user_id, code in pushed
                ]
            )
    Event.objects.filter(pk=event.pk).update(fanned_out_at=now)
    if emails_due_now:
        # Robust: if the broker is down, the beat's `send_due_emails` pass sends them instead.
        transaction.on_commit(partial(_enqueue_emails, event.pk, event.association_id), robust=True)
    return created


def _enqueue_emails(event_id: int, association_id: int) -> None:
    from .tasks import send_event_emails

    send_event_emails.delay(event_id=event_id, association_id=association_id)


def events_not_fanned_out(*, now: datetime, limit: int = 1000) -> list[tuple[int, int]]:
    """(association id, event id) of events whose fan-out never ran (lost enqueue), oldest first.

    Crosses associations (the beat's sweep); each fan-out then runs in its own association's scope.
    Events younger than two minutes are left to the task enqueued at their commit.
    """
    rows = Event.objects.with_scopes_disabled().filter(
        fanned_out_at__isnull=True, created_at__lt=now - timedelta(minutes=2), created_at__gt=now - timedelta(days=2)
    )
    return list(rows.order_by("created_at", "pk").values_list("association_id", "pk")[:limit])


# Reading ----------------------------------------------------------------------------------


def _push_unread(user: User) -> None:
    push_to_user(user.pk, {"kind": "unread", "count": selectors.unread_count(user)})


@transaction.atomic
def mark_read(*, user: User, notification: Notification) -> bool:
    """Mark one of the user's notifications read. Needs the scope of its association. False if it already was."""
    if notification.recipient_id != user.pk:
        raise ValidationError(_("This notification is not yours."))
    changed = Notification.objects.filter(pk=notification.pk, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if changed:
        _push_unread(user)
    return bool(changed)


@transaction.atomic
def mark_all_read(
    *, user: User, association_ids: Iterable[int], category: str | None = None, before: datetime | None = None
) -> int:
    """Mark the user's unread notifications read (in these associations, of this category, up to `before`).

    Needs the scope of those associations. `before` keeps what arrived after the page was shown unread.
    """
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True, association_id__in=list(association_ids))
    if category:
        rows = rows.filter(category=category)
    if before is not None:
        rows = rows.filter(created_at__lte=before)
    changed = rows.update(read_at=timezone.now())
    if changed:
        _push_unread(user)
    return changed


# Preferences ------------------------------------------------------------------------------


SETTINGS_FIELDS = (
    "digest_frequency",
    "digest_hour",
    "digest_weekday",
    "daily_email_cap",
    "quiet_start",
    "quiet_end",
    "paused_until",
)


@transaction.atomic
def update_notification_settings(*, user: User, **fields: Any) -> NotificationSettings:
    """Save how the user wants to be reached (digest rhythm, daily cap, quiet hours, pause). Raises ValidationError."""
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"Unknown notification settings: {sorted(unknown)}")
    current = NotificationSettings.objects.select_for_update().filter(user=user).first()
    current = current or NotificationSettings(user=user)
    for name, value in fields.items():
        setattr(current, name, value)
    if (current.quiet_start is None) != (current.quiet_end is None):
        raise ValidationError({"quiet_end": _("Give both the start and the end of the quiet hours, or neither.")})
    current.full_clean(exclude=["user"])
    current.save()
    return current


@transaction.atomic
def set_preferences(*, user: User, association: Association, modes: Mapping[str, str]) -> None:
    """Set how the member hears of each category in the association. Needs its scope.

    One statement whatever the number of categories (an upsert on the unique key).
    """
    if not association.memberships.filter(user=user, is_active=True).exists():
        raise ValidationError(_("You are not a member of this association."))
    for category, mode in modes.items():
        if category not in Category.values:
            raise ValidationError({category: _("Unknown category.")})
        if mode not in Mode.values:
            raise ValidationError({category: _("Unknown choice.")})
    Preference.objects.bulk_create(
        [Preference(association=association, user=user, category=c, mode=m) for c, m in modes.items()],
        update_conflicts=True,
        unique_fields=["association", "user", "category"],
        update_fields=["mode"],
    )


@transaction.atomic
def set_subscription(
    *, user: User, association: Association, target_kind: str, target_code: UUID, state: str | None
) -> Subscription | None:
    """Follow or mute one target for the member (None clears it). Needs the association's scope."""
    if not association.memberships.filter(user=user, is_active=True).exists():
        raise ValidationError(_("You are not a member of this association."))
    if not target_kind or len(target_kind) > 40:
        raise ValidationError({"target_kind": _("Unknown kind of page.")})
    existing = Subscription.objects.filter(
        association=association, user=user, target_kind=target_kind, target_code=target_code
    )
    if state is None:
        existing.delete()
        return None
    if state not in SubscriptionState.values:
        raise ValidationError({"state": _("Unknown choice.")})
    subscription, _created = Subscription.objects.update_or_create(
        association=association,
        user=user,
        target_kind=target_kind,
        target_code=target_code,
        defaults={"state": state},
    )
    return subscription


# One-click unsubscribe (RFC 8058) -------------------------------------------------------------

DIGEST_LIST = "digest"


def unsubscribe_token(*, user: User, association: Association | None = None, category: str | None = None) -> str:
    """A signed, non-expiring token naming what to stop: the summary, or one category's immediate emails."""
    payload: dict[str, str] = {"u": str(user.code)}
    if association is not None and category is not None:
        payload |= {"a": str(association.code), "c": category}
    else:
        payload["l"] = DIGEST_LIST
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


@dataclass(frozen=True)
class Unsubscription:
    user: User
    association: Association | None
    category: str | None


def read_unsubscribe_token(token: str) -> Unsubscription:
    """What a token names. Raises ValidationError for a forged, damaged or stale token."""
    invalid = ValidationError(_("This unsubscribe link is not valid."), code="invalid")
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise invalid from None
    if not isinstance(payload, dict):
        raise invalid
    user = User.objects.filter(code=str(payload.get("u")), is_active=True).first()
    if user is None:
        raise invalid
    if "a" in payload:
        association = Association.objects.filter(code=payload["a"]).first()
        if association is None or payload.get("c") not in Category.values:
            raise invalid
        return Unsubscription(user=user, association=association, category=payload["c"])
    return Unsubscription(user=user, association=None, category=None)


@transaction.atomic
def unsubscribe(*, token: str) -> Unsubscription:
    """Stop what the token names: the summary (frequency → never) or a category's immediate emails
    in one association (→ site only). The signature is the capability; no login. Raises ValidationError."""
    target = read_unsubscribe_token(token)
    if target.association is None:
        update_notification_settings(user=target.user, digest_frequency=DigestFrequency.NEVER)
        return target
    from hub.tenancy import association_scope

    assert target.category is not None  # noqa: S101 (read_unsubscribe_token sets both)
    with association_scope(target.association):
        Preference.objects.bulk_create(
            [Preference(association=target.association, user=target.user, category=target.category, mode=Mode.IN_APP)],
            update_conflicts=True,
            unique_fields=["association", "user", "category"],
            update_fields=["mode"],
        )
    return target


# Immediate emails -----------------------------------------------------------------------------


def send_outbox_email(*, outbox_id: int, now: datetime | None = None) -> bool:
    """Send one immediate email once. Needs the association's scope. True when it was sent now.

    The row lock (or SQLite's IMMEDIATE transaction) serialises senders; `sent_at` is set only
    after the mail server accepted the message, so a crash or a refused send leaves it for the
    next pass. An email whose notification was read meanwhile is skipped, not sent.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            row = (
                OutboxEmail.objects.select_for_update(of=("self",), skip_locked=_skip_locked())
                .select_related("notification__event__actor", "recipient", "association")
                .filter(pk=outbox_id, sent_at__isnull=True, skipped_at__isnull=True, due_at__lte=now)
                .first()
            )
            if row is None:
                return False
            still_member = row.association.memberships.filter(user_id=row.recipient_id, is_active=True).exists()
            if row.notification.read_at is not None or not still_member or not row.recipient.is_active:
                row.skipped_at = now
                row.save(update_fields=["skipped_at"])
                return False
            if is_paused(selectors.attention_of(row.recipient, selectors.settings_of(row.recipient)), now):
                # Paused after the email was planned (held by quiet hours): it joins the summary instead.
                row.skipped_at = now
                row.save(update_fields=["skipped_at"])
                Notification.objects.filter(pk=row.notification_id).update(in_digest=True, route=Route.PAUSED)
                return False
            emails.immediate_email(row.notification, row.recipient, row.association).send()
            row.sent_at = timezone.now()
            row.attempts += 1
            row.save(update_fields=["sent_at", "attempts"])
            return True
    except Exception:
        OutboxEmail.objects.filter(pk=outbox_id).update(attempts=F("attempts") + 1)
        raise


def due_outbox_ids(*, now: datetime, event_id: int | None = None) -> list[tuple[int, int]]:
    """(association id, outbox id) of immediate emails due and unsent, oldest first.

    Without `event_id` this crosses associations (the beat's pass); each email is then sent
    inside its own association's scope.
    """
    rows = OutboxEmail.objects.with_scopes_disabled().filter(
        sent_at__isnull=True, skipped_at__isnull=True, due_at__lte=now, attempts__lt=MAX_EMAIL_ATTEMPTS
    )
    if event_id is not None:
        rows = rows.filter(notification__event_id=event_id)
    return list(rows.order_by("due_at", "pk").values_list("association_id", "pk"))


# Summary emails -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedDigest:
    recipient_id: int
    period: str
    cutoff: datetime
    items: int


def due_digests(*, now: datetime, frequency: str | None = None) -> list[PlannedDigest]:
    """Who gets a summary for their latest slot at or before `now`: one query, nothing written.

    A member is due when something waits for a summary since before their slot, they are not
    paused, and they want summaries (at this `frequency`, if given). Crosses associations: a
    summary covers all of a person's associations (their own rows only).
    """
    pending = (
        selectors.digest_pending(now=now)
        .values(
            "recipient_id",
            "recipient__time_zone",
            "recipient__notification_settings__id",
            *(f"recipient__notification_settings__{name}" for name in selectors.ATTENTION_FIELDS),
        )
        .annotate(first=Min("created_at"), items=Count("pk"))
        .order_by("recipient_id")
    )
    planned = []
    attentions: dict[tuple[Any, ...], Attention] = {}
    # Whether a person is due depends on their settings and `now` only: decided once per settings.
    slots: dict[Attention, DigestSlot | None] = {}
    for row in pending:
        attention = _attention(row, attentions, prefix="recipient__")
        if attention in slots:
            slot = slots[attention]
        else:
            slot = slots[attention] = _due_slot(attention, now, frequency)
        if slot is None or row["first"] > slot.at:
            continue
        planned.append(PlannedDigest(row["recipient_id"], slot.period, slot.at, row["items"]))
    return planned


def _due_slot(attention: Attention, now: datetime, frequency: str | None) -> DigestSlot | None:
    """The slot of a person with these settings at `now`; None when they want none now (other
    frequency, paused, never)."""
    if frequency and attention.digest_frequency != frequency:
        return None
    if attention.paused_until is not None and now.astimezone(attention.zone).date() <= attention.paused_until:
        return None
    return latest_digest_slot(attention, now)


def claim_digests(*, now: datetime, frequency: str | None = None) -> list[int]:
    """Claim the summaries due at `now` (unique per person and period) and return every unsent run.

    Claiming twice, or from two processes at once, makes one run: the unique key decides. Unsent
    runs of earlier passes (a worker that died between claim and send) are returned too.
    """
    planned = due_digests(now=now, frequency=frequency)
    if connection.vendor == "postgresql" and planned:
        # One statement with the runs as arrays: no model instance per person.
        columns = _columns(DigestRun, "recipient", "period", "cutoff", "claimed_at", "item_count", "attempts")
        conflict = _columns(DigestRun, "recipient", "period")
        table = connection.ops.quote_name(DigestRun._meta.db_table)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 (names from the model)
                "SELECT recipient, period, cutoff, %s, 0, 0 "
                "FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[]) AS t(recipient, period, cutoff) "
                f"ON CONFLICT ({conflict}) DO NOTHING",
                [
                    now,
                    [p.recipient_id for p in planned],
                    [p.period for p in planned],
                    [p.cutoff for p in planned],
                ],
            )
    else:
        with transaction.atomic():
            DigestRun.objects.bulk_create(
                [
                    DigestRun(recipient_id=p.recipient_id, period=p.period, cutoff=p.cutoff, claimed_at=now)
                    for p in planned
                ],
                ignore_conflicts=True,
            )
    unsent = DigestRun.objects.filter(sent_at__isnull=True, attempts__lt=MAX_DIGEST_ATTEMPTS)
    return list(unsent.order_by("claimed_at", "pk").values_list("pk", flat=True))


def send_digest(*, run_id: int, now: datetime | None = None) -> bool:
    """Send one claimed summary once. True when an email went out now.

    The run is locked for the send (skipped by a concurrent sender on PostgreSQL, waited for on
    SQLite) and its items too, so two runs of one person never carry the same item. Items are
    what waited at the run's cutoff and is still unread; none left → the run closes with no email.
    """
    now = now or timezone.now()
    try:
        return _send_digest(run_id=run_id, now=now)
    except Exception:
        DigestRun.objects.filter(pk=run_id).update(attempts=F("attempts") + 1)
        raise


def _send_digest(*, run_id: int, now: datetime) -> bool:
    with transaction.atomic():
        run = (
            DigestRun.objects.select_for_update(of=("self",), skip_locked=_skip_locked())
            .select_related("recipient")
            .filter(pk=run_id, sent_at__isnull=True)
            .first()
        )
        if run is None:
            return False
        items = list(
            selectors.digest_pending(now=run.cutoff, recipient_id=run.recipient_id)
            .select_for_update(of=("self",))
            .select_related("event__actor", "association")
            .order_by("created_at", "pk")
        )
        if items and run.recipient.is_active:
            emails.digest_email(run.recipient, items).send()
            Notification.objects.with_scopes_disabled().filter(pk__in=[item.pk for item in items]).update(
                digested_at=now, digest_run=run
            )
        run.sent_at = timezone.now()
        run.item_count = len(items) if run.recipient.is_active else 0
        run.save(update_fields=["sent_at", "item_count"])
        return bool(items) and run.recipient.is_active
