"""Writes on workshops: publish, change, cancel; register, cancel a registration; remind.

Keyword-only, typed, each in one transaction, each re-checking its predicate of
`shared_tools.permissions`. Every change to seats first locks the workshop row
(`select_for_update`): registrations, cancellations, capacity changes and reminders of one
workshop run one after the other, so the seat count read under the lock is the truth and
twenty people racing for ten seats end up exactly ten registered and ten waiting. On SQLite
the IMMEDIATE transactions (hub/settings.py) serialise writers the same way.

Notifications are published in the same transaction (they commit or roll back with the write),
one event per association the people concerned came through.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from hub.models import Network, User
from hub.permissions import Access
from hub.tenancy import association_scope
from notifications.events import publish

from ..events import (
    WORKSHOP_CANCELLED,
    WORKSHOP_CHANGED,
    WORKSHOP_PUBLISHED,
    WORKSHOP_REMINDER,
    WORKSHOP_SEAT_OFFERED,
)
from ..models import (
    Place,
    RegistrationStatus,
    Tool,
    TutorialAudience,
    TutorialLevel,
    Workshop,
    WorkshopRegistration,
    WorkshopStatus,
)
from ..permissions import can_manage_workshops, can_register_for_workshop, can_see_workshops
from . import selectors

REMINDER_BEFORE = timedelta(hours=24)
ACTIVE_STATUSES = selectors.ACTIVE_STATUSES
# What a calendar shows: a change to any of these bumps the SEQUENCE of the .ics.
CALENDAR_FIELDS = ("title", "description", "starts_at", "ends_at", "place", "location_detail", "online_url")
# What the people who signed up must hear about.
WHEN_AND_WHERE = ("starts_at", "ends_at", "place", "location_detail", "online_url")


@dataclass(frozen=True)
class WorkshopDetails:
    """What a conseiller writes about a workshop (the form and the API fill it)."""

    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    description: str = ""
    tool: Tool | None = None
    level: str = TutorialLevel.BEGINNER
    audience: str = TutorialAudience.EVERYONE
    place: Place | None = None
    location_detail: str = ""
    online_url: str = ""

    def as_fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def local_datetime(value: datetime) -> str:
    """The start as the notification line shows it (lines are rendered later, in each person's language)."""
    return timezone.localtime(value, timezone.get_default_timezone()).strftime("%d/%m/%Y %H:%M")


def _validated(details: WorkshopDetails, *, now: datetime, current: Workshop | None = None) -> WorkshopDetails:
    """The details cleaned, or a ValidationError naming each wrong field."""
    errors: dict[str, str] = {}
    title = details.title.strip()
    description = details.description.strip()
    location_detail = details.location_detail.strip()
    online_url = details.online_url.strip()
    if not title:
        errors["title"] = _("Give the workshop a title.")
    elif len(title) > 200:
        errors["title"] = _("At most 200 characters.")
    if len(description) > 10000:
        errors["description"] = _("At most 10,000 characters.")
    if timezone.is_naive(details.starts_at) or timezone.is_naive(details.ends_at):
        raise ValueError("Workshop times must be aware datetimes.")
    moved = current is None or current.starts_at != details.starts_at
    if moved and details.starts_at <= now:
        errors["starts_at"] = _("The workshop must start in the future.")
    if details.ends_at <= details.starts_at:
        errors["ends_at"] = _("The workshop must end after it starts.")
    elif details.ends_at - details.starts_at > timedelta(days=1):
        errors["ends_at"] = _("A workshop lasts at most one day: publish one workshop per session.")
    if not 1 <= details.capacity <= 10000:
        errors["capacity"] = _("Between 1 and 10,000 seats.")
    if details.level not in TutorialLevel.values:
        errors["level"] = _("Choose a level from the list.")
    if details.audience not in TutorialAudience.values:
        errors["audience"] = _("Choose an audience from the list.")
    if len(location_detail) > 300:
        errors["location_detail"] = _("At most 300 characters.")
    if online_url:
        try:
            URLValidator(schemes=["https", "http"])(online_url)
        except ValidationError:
            errors["online_url"] = _("Give a web address starting with https://.")
        if len(online_url) > 500:
            errors["online_url"] = _("At most 500 characters.")
    if details.place is None and not location_detail and not online_url:
        errors["place"] = _("Say where: choose a place, type an address, or give an online meeting link.")
    if errors:
        raise ValidationError(errors)
    return replace(
        details, title=title, description=description, location_detail=location_detail, online_url=online_url
    )


def _locked(workshop: Workshop) -> Workshop:
    # `of=("self",)`: PostgreSQL refuses FOR UPDATE on the nullable side of the outer joins.
    return (
        Workshop.objects.select_for_update(of=("self",)).select_related("network", "place", "tool").get(pk=workshop.pk)
    )


def _registered_count(workshop: Workshop) -> int:
    return workshop.registrations.filter(status=RegistrationStatus.REGISTERED).count()


def _notify(
    kind: str,
    workshop: Workshop,
    people: Iterable[tuple[int | None, int]],
    *,
    actor_id: int | None = None,
) -> None:
    """Publish `kind` to (association id, user id) pairs: one event per association, explicit recipients.

    A registration whose association was deleted has no association to publish in: it is skipped.
    """
    by_association: dict[int, set[int]] = defaultdict(set)
    for association_id, user_id in people:
        if association_id is not None:
            by_association[association_id].add(user_id)
    if not by_association:
        return
    data = {"starts_at": local_datetime(workshop.starts_at), "network": workshop.network.name}
    with association_scope(list(by_association)):
        for association_id, user_ids in sorted(by_association.items()):
            publish(
                kind=kind,
                association_id=association_id,
                actor_id=actor_id,
                target_kind="workshop",
                target_code=workshop.code,
                title=workshop.title,
                data=data,
                recipients=sorted(user_ids),
            )


def _signed_up(workshop: Workshop) -> list[tuple[int | None, int]]:
    return list(
        workshop.registrations.filter(status__in=ACTIVE_STATUSES).values_list("association_id", "user_id").order_by()
    )


def _fill_free_seats(workshop: Workshop, *, now: datetime) -> list[WorkshopRegistration]:
    """Move the first of the waiting list into the free seats, in order, and tell them. Needs the workshop lock."""
    if workshop.status != WorkshopStatus.PUBLISHED or workshop.starts_at <= now:
        return []
    free = workshop.capacity - _registered_count(workshop)
    if free <= 0:
        return []
    promoted = list(workshop.registrations.filter(status=RegistrationStatus.WAITING).order_by("queued_at", "pk")[:free])
    if not promoted:
        return []
    WorkshopRegistration.objects.filter(pk__in=[r.pk for r in promoted]).update(
        status=RegistrationStatus.REGISTERED, promoted_at=now
    )
    for registration in promoted:
        registration.status, registration.promoted_at = RegistrationStatus.REGISTERED, now
    _notify(WORKSHOP_SEAT_OFFERED, workshop, [(r.association_id, r.user_id) for r in promoted])
    return promoted


# The conseillers' side --------------------------------------------------------------------------


@transaction.atomic
def publish_workshop(*, user: User, network: Network, details: WorkshopDetails) -> Workshop:
    """Publish a workshop of the network and tell the members of the associations it follows.

    Raises PermissionDenied (not a conseiller of the network), ValidationError (naming the fields).
    """
    if not can_manage_workshops(user, network.pk):
        raise PermissionDenied
    now = timezone.now()
    details = _validated(details, now=now)
    workshop = Workshop.objects.create(
        network=network, created_by=user, created_at=now, updated_at=now, **details.as_fields()
    )
    audience = selectors.announcement_audience(network)
    _notify(
        WORKSHOP_PUBLISHED,
        workshop,
        [(association_id, user_id) for association_id, users in audience.items() for user_id in users],
        actor_id=user.pk,
    )
    return workshop


@transaction.atomic
def update_workshop(*, user: User, workshop: Workshop, details: WorkshopDetails) -> Workshop:
    """Change a workshop. A new date, time or place is told to the people signed up (seats and
    waiting list); more seats move the waiting list up; fewer seats than people registered is refused.

    Raises PermissionDenied, ValidationError (cancelled, over, or naming the fields).
    """
    workshop = _locked(workshop)
    if not can_manage_workshops(user, workshop.network_id):
        raise PermissionDenied
    now = timezone.now()
    if workshop.status == WorkshopStatus.CANCELLED:
        raise ValidationError(_("This workshop is cancelled: it can no longer be changed."), code="cancelled")
    if workshop.ends_at <= now:
        raise ValidationError(_("This workshop is over: it can no longer be changed."), code="over")
    details = _validated(details, now=now, current=workshop)
    registered = _registered_count(workshop)
    if details.capacity < registered:
        raise ValidationError(
            {
                "capacity": ngettext(
                    "%(count)d person is already registered: keep at least %(count)d seat, or ask them to cancel.",
                    "%(count)d people are already registered: keep at least %(count)d seats, or ask some to cancel.",
                    registered,
                )
                % {"count": registered}
            }
        )
    new = details.as_fields()
    changed = {name for name, value in new.items() if getattr(workshop, name) != value}
    for name, value in new.items():
        setattr(workshop, name, value)
    if changed & set(CALENDAR_FIELDS):
        workshop.sequence += 1
    workshop.updated_at = now
    workshop.save()
    if changed & set(WHEN_AND_WHERE):
        _notify(WORKSHOP_CHANGED, workshop, _signed_up(workshop), actor_id=user.pk)
    _fill_free_seats(workshop, now=now)
    return workshop


@transaction.atomic
def cancel_workshop(*, user: User, workshop: Workshop) -> Workshop:
    """Cancel a workshop that has not started and tell everyone signed up (seats and waiting list).

    Their registrations stay as they were (the attendance list still says who was coming).
    Raises PermissionDenied, ValidationError (already cancelled, or started).
    """
    workshop = _locked(workshop)
    if not can_manage_workshops(user, workshop.network_id):
        raise PermissionDenied
    now = timezone.now()
    if workshop.status == WorkshopStatus.CANCELLED:
        raise ValidationError(_("This workshop is already cancelled."), code="cancelled")
    if workshop.starts_at <= now:
        raise ValidationError(_("This workshop has started: it can no longer be cancelled."), code="started")
    workshop.status = WorkshopStatus.CANCELLED
    workshop.sequence += 1
    workshop.updated_at = now
    workshop.save(update_fields=["status", "sequence", "updated_at"])
    _notify(WORKSHOP_CANCELLED, workshop, _signed_up(workshop), actor_id=user.pk)
    return workshop


# The members' side ------------------------------------------------------------------------------


@transaction.atomic
def register_for_workshop(*, access: Access, workshop: Workshop) -> WorkshopRegistration:
    """Take a seat, or a place at the end of the waiting list when the seats are taken.

    Through `access.association` (recorded for the attendance list). Registering again while
    signed up returns the existing registration, whichever association it was made through; after
    a cancellation, the same row is used again (at the end of the waiting list if it is full).
    Raises PermissionDenied (not a member, or the network does not follow the association),
    ValidationError (cancelled or started).
    """
    if access.membership is None or not can_see_workshops(access):
        raise PermissionDenied
    user = access.membership.user
    workshop = _locked(workshop)
    now = timezone.now()
    existing = workshop.registrations.filter(user=user).first()
    if existing is not None and existing.status in ACTIVE_STATUSES:
        return existing
    if workshop.status == WorkshopStatus.CANCELLED:
        raise ValidationError(_("This workshop is cancelled."), code="cancelled")
    if workshop.starts_at <= now:
        raise ValidationError(_("Registrations are closed: the workshop has started."), code="started")
    if not can_register_for_workshop(access, workshop, now=now):
        raise PermissionDenied
    # People already waiting go first if seats are free (they always are taken at once; this
    # only repairs rows changed by hand).
    _fill_free_seats(workshop, now=now)
    status = (
        RegistrationStatus.REGISTERED if _registered_count(workshop) < workshop.capacity else RegistrationStatus.WAITING
    )
    if existing is None:
        return WorkshopRegistration.objects.create(
            workshop=workshop, user=user, association=access.association, status=status, queued_at=now
        )
    existing.status = status
    existing.association = access.association
    existing.queued_at = now
    existing.promoted_at = None
    existing.cancelled_at = None
    existing.save(update_fields=["status", "association", "queued_at", "promoted_at", "cancelled_at"])
    return existing


@transaction.atomic
def cancel_registration(*, user: User, workshop: Workshop) -> WorkshopRegistration:
    """Give up one's seat or place in the waiting list, before the workshop starts. A freed seat
    goes to the first of the waiting list in the same transaction, who is told.

    Raises ValidationError (not signed up, or started).
    """
    workshop = _locked(workshop)
    registration = workshop.registrations.filter(user=user, status__in=ACTIVE_STATUSES).first()
    if registration is None:
        raise ValidationError(_("You are not registered for this workshop."), code="not_registered")
    now = timezone.now()
    if workshop.starts_at <= now:
        raise ValidationError(
            _("The workshop has started: your registration can no longer be cancelled."), code="started"
        )
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.save(update_fields=["status", "cancelled_at"])
    _fill_free_seats(workshop, now=now)
    return registration


def cancel_all_registrations(*, user: User) -> int:
    """Give back every seat and waiting-list place the person holds in workshops not started yet,
    each freed seat going to the first of its waiting list (for an account being erased). Returns
    how many were cancelled. One transaction per workshop, each under that workshop's lock."""
    workshop_ids = list(
        WorkshopRegistration.objects.filter(
            user=user, status__in=ACTIVE_STATUSES, workshop__starts_at__gt=timezone.now()
        ).values_list("workshop_id", flat=True)
    )
    cancelled = 0
    for workshop in Workshop.objects.filter(pk__in=workshop_ids):
        try:
            cancel_registration(user=user, workshop=workshop)
        except ValidationError:  # started or cancelled meanwhile: nothing to give back
            continue
        cancelled += 1
    return cancelled


# Reminders --------------------------------------------------------------------------------------


@transaction.atomic
def send_workshop_reminders(*, workshop_id: int, now: datetime | None = None) -> int:
    """Remind the registered people who have not been reminded, once, in the 24 hours before the start.

    Safe to run twice, concurrently, or after a crash: under the workshop's lock, a conditional
    update claims the rows whose `reminded_at` is empty and the events are published in the same
    transaction, so a claim and its notifications commit (or vanish) together. Someone registered
    or moved up from the waiting list later is reminded by the next run. Returns how many were reminded.
    """
    now = now or timezone.now()
    workshop = (
        Workshop.objects.select_for_update(of=("self",))
        .select_related("network")
        .filter(
            pk=workshop_id,
            status=WorkshopStatus.PUBLISHED,
            starts_at__gt=now,
            starts_at__lte=now + REMINDER_BEFORE,
        )
        .first()
    )
    if workshop is None:
        return 0
    due = workshop.registrations.filter(status=RegistrationStatus.REGISTERED, reminded_at__isnull=True)
    rows = list(due.values_list("pk", "association_id", "user_id").order_by("pk"))
    if not rows:
        return 0
    claimed = WorkshopRegistration.objects.filter(pk__in=[pk for pk, _a, _u in rows], reminded_at__isnull=True).update(
        reminded_at=now
    )
    if claimed != len(rows):  # cannot happen under the lock; never remind anyone twice if it did
        raise RuntimeError(f"workshop {workshop_id}: reminder rows claimed concurrently")
    _notify(WORKSHOP_REMINDER, workshop, [(association_id, user_id) for _pk, association_id, user_id in rows])
    return claimed
