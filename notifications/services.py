"""Writes: fan-out, reading, preferences, follow/mute, unsubscribe, immediate emails and summaries.

Keyword-only and typed. Functions that touch one association's rows need its scope (the task,
the request or the caller opens it); the summary functions cross associations on purpose — a
person's summary is one email for all their associations — and say so where they bypass scopes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from itertools import batched
from typing import Any
from uuid import UUID, uuid4

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from hub.models import Association, Membership, Role, User

from . import emails, registry, selectors, sql
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
from .push import push_each, push_to_user
from .registry import Audience
from .rules import Attention, Delivery, DigestSlot, is_paused, latest_digest_slot, route

logger = logging.getLogger(__name__)

# An email that failed this many times is left alone (the notifications stay in the inbox).
MAX_EMAIL_ATTEMPTS = 8
MAX_DIGEST_ATTEMPTS = 24
UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def _skip_locked() -> bool:
    # PostgreSQL: concurrent senders skip rows another one is sending. SQLite has no row locks;
    # its IMMEDIATE transactions serialise writers instead.
    return bool(connection.features.has_select_for_update_skip_locked)


# Fan-out ----------------------------------------------------------------------------------

# Recipients per round of statements (planned emails, notifications, outbox emails, unread
# counts); None: the database's own size below. PostgreSQL receives a round's rows as arrays, one
# statement each whatever their number, so one round covers any real association and the number
# of statements does not grow with the audience: its bound only caps the memory a round holds.
# SQLite's inserts are cut to its variable limit anyway; shorter rounds keep them short.
FAN_OUT_BATCH_SIZE: int | None = None
_BATCH_SIZE_BY_VENDOR = {"postgresql": 500_000}
_DEFAULT_BATCH_SIZE = 2000

# What `route` needs to know about a member, apart from the emails already planned for them:
# (mode or None for the category's default, follow/mute, time zone, has settings, *ATTENTION_FIELDS).
# Most members share a handful of profiles.
Profile = tuple[Any, ...]


def _fan_out_batch_size() -> int:
    return FAN_OUT_BATCH_SIZE or _BATCH_SIZE_BY_VENDOR.get(connection.vendor, _DEFAULT_BATCH_SIZE)


def _recipient_rows(event: Event, audience: Audience) -> list[tuple[Any, ...]]:
    """(user id, *profile) of the active members the event reaches, by user id: one query.

    Raw SQL with left joins (one preference and one follow/mute at most per member: unique
    keys), not the correlated subqueries the ORM would write: those are costed per member, and
    past a few thousand members PostgreSQL's planner would spend more compiling the query (JIT)
    than running it.
    """
    membership, m_association, m_user, m_role, m_active = sql.names(
        Membership, "association", "user", "role", "is_active"
    )
    user, u_id, u_zone, u_active = sql.names(User, "id", "time_zone", "is_active")
    settings_table, s_id, s_user, *s_fields = sql.names(NotificationSettings, "id", "user", *selectors.ATTENTION_FIELDS)
    preference, p_association, p_user, p_category, p_mode = sql.names(
        Preference, "association", "user", "category", "mode"
    )
    subscription, f_association, f_user, f_kind, f_code, f_state = sql.names(
        Subscription, "association", "user", "target_kind", "target_code", "state"
    )
    rule: str
    rule_params: list[Any] = []
    if audience == Audience.ALL_MEMBERS:
        rule = "1 = 1"
    elif audience == Audience.BOARD:
        rule, rule_params = f"m.{m_role} IN (%s, %s)", [Role.BOARD, Role.ADMIN]
    elif audience == Audience.ADMINS:
        rule, rule_params = f"m.{m_role} = %s", [Role.ADMIN]
    elif audience == Audience.EXPLICIT:
        rule, rule_params = sql.id_in(f"m.{m_user}", event.recipient_ids or [])
    else:
        rule = "1 = 0"
    follows, follow_params, state = "", [], "NULL"
    if event.target_kind and event.target_code:
        # Followers of the target hear of it whatever the audience.
        follows = (
            f"LEFT JOIN {subscription} f ON f.{f_association} = m.{m_association} AND f.{f_user} = m.{m_user} "
            f"AND f.{f_kind} = %s AND f.{f_code} = %s"
        )
        target_code = Subscription._meta.get_field("target_code").get_db_prep_value(event.target_code, connection)  # type: ignore[union-attr]
        follow_params = [event.target_kind, target_code]
        rule, rule_params = f"({rule} OR f.{f_state} = %s)", [*rule_params, SubscriptionState.FOLLOW]
        state = f"f.{f_state}"
    actor, actor_params = "", []
    if event.actor_id is not None:
        actor, actor_params = f"AND m.{m_user} <> %s", [event.actor_id]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT m.{m_user}, p.{p_mode}, {state}, u.{u_zone}, s.{s_id} IS NOT NULL, "  # noqa: S608 (names from the models)
            + ", ".join(f"s.{column}" for column in s_fields)
            + f" FROM {membership} m JOIN {user} u ON u.{u_id} = m.{m_user} "
            f"LEFT JOIN {settings_table} s ON s.{s_user} = m.{m_user} "
            f"LEFT JOIN {preference} p ON p.{p_association} = m.{m_association} AND p.{p_user} = m.{m_user} "
            f"AND p.{p_category} = %s {follows} "
            f"WHERE m.{m_association} = %s AND m.{m_active} AND u.{u_active} AND {rule} {actor} "
            f"ORDER BY m.{m_user}",
            [event.category, *follow_params, event.association_id, *rule_params, *actor_params],
        )
        return cursor.fetchall()


def _attention_of(time_zone: str, has_settings: Any, fields: Sequence[Any]) -> Attention:
    """A person's Attention from their time zone and their settings row's ATTENTION_FIELDS (None
    when they have no row: the defaults). to_python: raw SQL on SQLite gives times and dates as text."""
    if not has_settings:
        return Attention(time_zone=time_zone)
    field = NotificationSettings._meta.get_field
    values = {
        name: field(name).to_python(value)  # type: ignore[union-attr]
        for name, value in zip(selectors.ATTENTION_FIELDS, fields, strict=True)
    }
    return Attention(time_zone=time_zone, **values)


def _planned_emails_by_day(attentions: Mapping[int, Attention], now: datetime) -> dict[int, dict[date, int]]:
    """Immediate emails already planned around now for these members, by their local day: one query.

    The cap is a person's, across associations: this read crosses tenants, on the members' own rows.
    Two fan-outs at the same instant may both see room under a member's cap and go one over: the
    cap is a courtesy, and a lock per member would serialise every fan-out of the platform.
    """
    counts: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        OutboxEmail.objects.with_scopes_disabled()
        .filter(sql.one_of("recipient_id", list(attentions)), skipped_at__isnull=True)
        .filter(due_at__gte=now - timedelta(days=2), due_at__lt=now + timedelta(days=2))
        .values_list("recipient_id", "due_at")
    )
    for user_id, due_at in rows:
        counts[user_id][due_at.astimezone(attentions[user_id].zone).date()] += 1
    return counts


@dataclass(frozen=True)
class _Routed:
    """One routing decision and the members it applies to."""

    delivery: Delivery
    user_ids: list[int]


class _Router:
    """`rules.route` once per profile of recipients, not once per member.

    `route` is pure and `now` is fixed for the fan-out, so members with equal profiles get equal
    deliveries, except for the daily cap: members who may be emailed and already have emails
    planned around now are routed one by one, with those emails. What reaches a member is exactly
    what `route` decides for them.
    """

    def __init__(self, *, default_mode: str, now: datetime) -> None:
        self.default_mode = default_mode
        self.now = now
        self.known: dict[Profile, tuple[str, str | None, Attention, Delivery]] = {}

    def _decide(self, profile: Profile) -> tuple[str, str | None, Attention, Delivery]:
        known = self.known.get(profile)
        if known is None:
            mode, subscription, time_zone, has_settings, *fields = profile
            mode = mode or self.default_mode
            attention = _attention_of(time_zone, has_settings, fields)
            delivery = route(mode=mode, attention=attention, now=self.now, subscription=subscription)
            known = self.known[profile] = (mode, subscription, attention, delivery)
        return known

    def route(self, rows: Iterable[tuple[Any, ...]]) -> list[_Routed]:
        """The deliveries of these (user id, *profile) rows; members who get nothing are left out.

        One query at most: the emails already planned for members who may get an immediate one.
        """
        by_profile: dict[Profile, list[int]] = defaultdict(list)
        for row in rows:
            by_profile[row[1:]].append(row[0])
        decided = {profile: self._decide(profile) for profile in by_profile}
        # Only a member in "immediate" mode (and not muting the target) can be sent an email.
        may_email = {
            user_id: attention
            for profile, (mode, subscription, attention, _delivery) in decided.items()
            if mode == Mode.IMMEDIATE and subscription != SubscriptionState.MUTE
            for user_id in by_profile[profile]
        }
        planned = _planned_emails_by_day(may_email, self.now) if may_email else {}
        routed: list[_Routed] = []
        one_by_one: dict[Delivery, list[int]] = defaultdict(list)
        for profile, user_ids in by_profile.items():
            mode, subscription, attention, delivery = decided[profile]
            if planned and mode == Mode.IMMEDIATE:
                capped = [user_id for user_id in user_ids if user_id in planned]
                for user_id in capped:
                    one_by_one[
                        route(
                            mode=mode,
                            attention=attention,
                            now=self.now,
                            subscription=subscription,
                            emails_by_day=planned[user_id],
                        )
                    ].append(user_id)
                if capped:
                    user_ids = [user_id for user_id in user_ids if user_id not in planned]
            if delivery.inbox and user_ids:
                routed.append(_Routed(delivery, user_ids))
        routed += [_Routed(delivery, user_ids) for delivery, user_ids in one_by_one.items() if delivery.inbox]
        return routed


def _columns(model: type[Model], *names: str) -> str:
    """The quoted, comma-separated columns of these fields, for raw SQL."""
    return ", ".join(connection.ops.quote_name(str(model._meta.get_field(name).column)) for name in names)  # type: ignore[union-attr]


def _insert_notifications(event: Event, routed: list[_Routed]) -> list[tuple[int, int, str]]:
    """Insert the event's notification for each routed member; skip existing (event, recipient).

    No model instances, and `RETURNING` says which rows were really inserted (a second run inserts
    nothing and returns nothing), so no read-back. PostgreSQL: one statement whatever the number
    of rows, with the recipients, routes and summary flags as arrays and the codes drawn by the
    server; other databases (SQLite ≥ 3.35): a multi-row VALUES cut to their parameter limit.
    Returns (recipient id, notification id, code) of the new rows.
    """
    meta = Notification._meta
    table = connection.ops.quote_name(meta.db_table)
    field = meta.get_field
    names = ["code", "recipient", "route", "in_digest", "association", "event", "category", "created_at"]
    columns = _columns(Notification, *names)
    conflict = _columns(Notification, "event", "recipient")
    constants = [
        event.association_id,
        event.pk,
        event.category,
        field("created_at").get_db_prep_value(event.created_at, connection),  # type: ignore[union-attr]
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 (names from the model, values as parameters)
                "SELECT gen_random_uuid(), recipient, route, in_digest, %s, %s, %s, %s "
                "FROM unnest(%s::bigint[], %s::text[], %s::boolean[]) AS t(recipient, route, in_digest) "
                f"ON CONFLICT ({conflict}) DO NOTHING "
                f"RETURNING {_columns(Notification, 'recipient', 'id')}, {_columns(Notification, 'code')}::text",
                [
                    *constants,
                    sql.ids_literal(user_id for group in routed for user_id in group.user_ids),
                    sql.pg_array(",".join([group.delivery.route] * len(group.user_ids)) for group in routed),
                    sql.pg_array(",".join(["ft"[group.delivery.digest]] * len(group.user_ids)) for group in routed),
                ],
            )
            return cursor.fetchall()
        code_field = field("code")
        returning = _columns(Notification, "recipient", "id", "code")
        rows = [(uuid4(), user_id, group.delivery) for group in routed for user_id in group.user_ids]
        inserted: list[tuple[int, int, str]] = []
        per_statement = max(1, (connection.features.max_query_params or 999) // len(names))
        for chunk in batched(rows, per_statement):
            values = []
            for code, user_id, delivery in chunk:
                values += [code_field.get_db_prep_value(code, connection), user_id, delivery.route, delivery.digest]  # type: ignore[union-attr]
                values += constants
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(names)) + ")"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {placeholders} "  # noqa: S608 (as above)
                f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}",
                values,
            )
            inserted += [(user_id, pk, str(UUID(str(code)))) for user_id, pk, code in cursor.fetchall()]
    return inserted


@transaction.atomic
def fan_out(*, event: Event, now: datetime | None = None) -> int:
    """Turn the event into one notification per recipient; plan emails and pushes. Needs the scope.

    Set-based, with a fixed number of statements per round of recipients (`FAN_OUT_BATCH_SIZE`;
    one round on PostgreSQL for any real association): one read of the emails already planned for
    those who may get an immediate one, one `INSERT … ON CONFLICT DO NOTHING RETURNING` (a second
    run inserts nothing), one insert of outbox emails, one grouped count of unread notifications;
    then one after-commit callback sends every push. `rules.route` decides once per distinct
    profile of recipients (`_Router`). Returns how many notifications were created.
    """
    now = now or timezone.now()
    try:
        event_type = registry.get(event.kind)
    except registry.UnknownEventKind:
        logger.warning("Event %s has the unregistered kind %r: not fanned out.", event.pk, event.kind)
        Event.objects.filter(pk=event.pk).update(fanned_out_at=now)
        return 0
    rows = _recipient_rows(event, event_type.audience)
    router = _Router(default_mode=DEFAULT_MODES[event.category], now=now)
    created = 0
    emails_due_now = False
    # What the pushes need, per recipient: the payloads are built after commit, only for those
    # with a tab open (`push_each`).
    codes: dict[int, str] = {}
    counts: dict[int, int] = {}
    for batch in batched(rows, _fan_out_batch_size()):
        routed = router.route(batch)
        if not routed:
            continue
        inserted = _insert_notifications(event, routed)
        created += len(inserted)
        delivery_of: dict[int, Delivery] = {}
        for group in routed:
            delivery_of.update(dict.fromkeys(group.user_ids, group.delivery))
        outbox = []
        pushed: dict[int, str] = {}
        for user_id, pk, code in inserted:
            delivery = delivery_of[user_id]
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
                pushed[user_id] = code
        if outbox:
            OutboxEmail.objects.bulk_create(outbox, ignore_conflicts=True)
        if pushed:
            counts.update(selectors.unread_counts(list(pushed)))
            codes.update(pushed)

    def payload(user_id: int) -> dict[str, Any]:
        notification = {"title": event.title, "code": codes[user_id]}
        return {"kind": "unread", "count": counts.get(user_id, 0), "notification": notification}

    # One after-commit callback, one event loop, for every recipient's push.
    push_each(list(codes), payload)
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
    """A signed token naming what to stop: the summary, or one category's immediate emails.
    It works for UNSUBSCRIBE_MAX_AGE_DAYS (then the preferences page, after logging in, does it)."""
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
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=settings.UNSUBSCRIBE_MAX_AGE_DAYS * 24 * 3600)
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

    The query groups what waits per member first and joins their time zone and settings after,
    once per member rather than once per waiting notification (`selectors.digest_pending` says
    the same for one member).
    """
    notification, n_recipient, n_association, n_created, n_in_digest, n_digested, n_read = sql.names(
        Notification, "recipient", "association", "created_at", "in_digest", "digested_at", "read_at"
    )
    membership, m_user, m_association, m_active = sql.names(Membership, "user", "association", "is_active")
    user, u_id, u_zone = sql.names(User, "id", "time_zone")
    settings_table, s_id, s_user, *s_fields = sql.names(NotificationSettings, "id", "user", *selectors.ATTENTION_FIELDS)
    cutoff = Notification._meta.get_field("created_at").get_db_prep_value(now, connection)  # type: ignore[union-attr]
    settings_columns = ", ".join(f"s.{column}" for column in s_fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.recipient, u.{u_zone}, s.{s_id} IS NOT NULL, {settings_columns}, w.first, w.items "  # noqa: S608 (names from the models)
            f"FROM (SELECT n.{n_recipient} AS recipient, MIN(n.{n_created}) AS first, COUNT(*) AS items "
            f"FROM {notification} n WHERE n.{n_in_digest} AND n.{n_digested} IS NULL AND n.{n_read} IS NULL "
            f"AND n.{n_created} <= %s AND EXISTS (SELECT 1 FROM {membership} m WHERE m.{m_user} = n.{n_recipient} "
            f"AND m.{m_association} = n.{n_association} AND m.{m_active}) GROUP BY n.{n_recipient}"
            f") w JOIN {user} u ON u.{u_id} = w.recipient LEFT JOIN {settings_table} s ON s.{s_user} = w.recipient "
            "ORDER BY w.recipient",
            [cutoff],
        )
        pending = cursor.fetchall()
    planned = []
    # Whether a person is due depends on their settings and `now` only: decided once per settings.
    slots: dict[tuple[Any, ...], DigestSlot | None] = {}
    for row in pending:
        profile = row[1:-2]  # time zone, has settings, *ATTENTION_FIELDS
        if profile in slots:
            slot = slots[profile]
        else:
            slot = slots[profile] = _due_slot(_attention_of(profile[0], profile[1], profile[2:]), now, frequency)
        if slot is not None and sql.aware(row[-2]) <= slot.at:
            planned.append(PlannedDigest(row[0], slot.period, slot.at, row[-1]))
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
