"""Reads on workshops. Each selector owns its joins and annotations, so a list runs the same number
of queries for one workshop or fifty (seats are counted in SQL, never per row in Python).

Workshops and registrations belong to a network, not to an association: they are not scoped.
The follow-up links (`NetworkMembership`) and memberships they are checked against are; each
selector says which association it reads them for, and the one that crosses associations
(`announcement_audience`) names its bypass.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from hub.models import Association, Membership, Network, NetworkMembership, User

from ..models import RegistrationStatus, Workshop, WorkshopRegistration, WorkshopStatus

ACTIVE_STATUSES = (RegistrationStatus.REGISTERED, RegistrationStatus.WAITING)


def _count(status: str) -> Coalesce:
    # A correlated subquery per figure: a Count() over the join would multiply with other annotations.
    rows = (
        WorkshopRegistration.objects.filter(workshop=OuterRef("pk"), status=status)
        .order_by()
        .values("workshop")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def with_seats(workshops: QuerySet[Workshop]) -> QuerySet[Workshop]:
    """Annotate `registered_count`, `waiting_count` and `seats_left` (never below zero), in SQL."""
    return workshops.annotate(
        registered_count=_count(RegistrationStatus.REGISTERED),
        waiting_count=_count(RegistrationStatus.WAITING),
    ).annotate(
        seats_left=Greatest(
            ExpressionWrapper(F("capacity") - F("registered_count"), output_field=IntegerField()),
            Value(0),
            output_field=IntegerField(),
        )
    )


def with_registration_of(workshops: QuerySet[Workshop], user: User) -> QuerySet[Workshop]:
    """Annotate the user's own registration: `my_status` ("" when none, or cancelled), and the
    name and slug of the association they registered through."""
    mine = WorkshopRegistration.objects.filter(workshop=OuterRef("pk"), user=user, status__in=ACTIVE_STATUSES)
    return workshops.annotate(
        my_status=Coalesce(Subquery(mine.values("status")[:1]), Value("")),
        my_association_name=Subquery(mine.values("association__name")[:1]),
        my_association_slug=Subquery(mine.values("association__slug")[:1]),
    )


def _listed(workshops: QuerySet[Workshop]) -> QuerySet[Workshop]:
    return with_seats(workshops.select_related("network", "tool", "place")).order_by("starts_at", "pk")


def followed_by(association_id: int) -> Exists:
    """True for workshops of a network whose follow-up of the association stands now."""
    return Exists(
        NetworkMembership.objects.with_scope(association=association_id).filter(
            association_id=association_id,
            network_id=OuterRef("network_id"),
            consented_at__isnull=False,
            revoked_at__isnull=True,
        )
    )


def upcoming_for_member(association: Association, user: User, *, now: datetime | None = None) -> QuerySet[Workshop]:
    """Published workshops not yet started, of the networks that follow the association now, soonest
    first, with seats and the user's registration."""
    now = now or timezone.now()
    workshops = Workshop.objects.filter(followed_by(association.pk), status=WorkshopStatus.PUBLISHED, starts_at__gt=now)
    return with_registration_of(_listed(workshops), user)


def workshop_for_member(association: Association, user: User, *, code: str) -> Workshop:
    """One workshop as a member of the association sees it. Raises Workshop.DoesNotExist.

    Visible while the network follows the association; after a revocation, still visible to a
    person who holds a seat (or a place in the waiting list) taken through this association.
    """
    holds_a_seat = Exists(
        WorkshopRegistration.objects.filter(
            workshop=OuterRef("pk"), user=user, association=association, status__in=ACTIVE_STATUSES
        )
    )
    workshops = Workshop.objects.filter(Q(followed_by(association.pk)) | Q(holds_a_seat), code=code)
    return with_registration_of(_listed(workshops), user).annotate(is_followed=followed_by(association.pk)).get()


def my_registration(workshop: Workshop, user: User) -> WorkshopRegistration | None:
    """The user's registration (any status, cancelled included) with its association, or None."""
    return (
        WorkshopRegistration.objects.filter(workshop=workshop, user=user)
        .select_related("association", "workshop")
        .first()
    )


def waiting_position(registration: WorkshopRegistration) -> int | None:
    """1 for the first in the waiting list; None when not waiting."""
    if registration.status != RegistrationStatus.WAITING:
        return None
    ahead = WorkshopRegistration.objects.filter(workshop_id=registration.workshop_id, status=RegistrationStatus.WAITING)
    ahead = ahead.filter(
        Q(queued_at__lt=registration.queued_at) | Q(queued_at=registration.queued_at, pk__lt=registration.pk)
    )
    return ahead.count() + 1


def registrations_of(user: User, *, now: datetime | None = None) -> QuerySet[WorkshopRegistration]:
    """The user's seats and waiting-list places in workshops not over yet (cancelled workshops
    included, so the person sees the cancellation), soonest first."""
    now = now or timezone.now()
    return (
        WorkshopRegistration.objects.filter(user=user, status__in=ACTIVE_STATUSES, workshop__ends_at__gt=now)
        .select_related("workshop__network", "workshop__place", "workshop__tool", "association")
        .order_by("workshop__starts_at", "workshop__pk")
    )


# The network's side -----------------------------------------------------------------------------


def workshops_of_network(network: Network, *, past: bool = False, now: datetime | None = None) -> QuerySet[Workshop]:
    """The network's workshops not over yet (soonest first) or over (latest first), with seats."""
    now = now or timezone.now()
    if past:
        return _listed(network.workshops.filter(ends_at__lte=now)).order_by("-starts_at", "-pk")
    return _listed(network.workshops.filter(ends_at__gt=now))


def workshop_of_network(network: Network, *, code: str) -> Workshop:
    """One of the network's workshops, with seats. Raises Workshop.DoesNotExist."""
    return _listed(network.workshops.filter(code=code)).get()


def attendance_of(workshop: Workshop) -> QuerySet[WorkshopRegistration]:
    """Who comes: registered people in the order they registered, then the waiting list in order."""
    return (
        WorkshopRegistration.objects.filter(workshop=workshop, status__in=ACTIVE_STATUSES)
        .select_related("user", "association")
        .annotate(waiting=Case(When(status=RegistrationStatus.WAITING, then=Value(1)), default=Value(0)))
        .order_by("waiting", "queued_at", "pk")
    )


def announcement_audience(network: Network) -> dict[int, list[int]]:
    """Association id → user ids to tell of a new workshop: the active members of the associations
    the network follows now, each person once (through the first of their associations).

    Crosses associations on purpose (a network's audience spans them): two queries whatever their number.
    """
    association_ids = list(
        NetworkMembership.objects.with_scopes_disabled()
        .filter(network=network, consented_at__isnull=False, revoked_at__isnull=True)
        .values_list("association_id", flat=True)
    )
    rows = (
        Membership.objects.with_scopes_disabled()
        .filter(association_id__in=association_ids, is_active=True, user__is_active=True)
        .order_by("association_id", "user_id")
        .values_list("association_id", "user_id")
    )
    audience: dict[int, list[int]] = {}
    seen: set[int] = set()
    for association_id, user_id in rows:
        if user_id in seen:
            continue
        seen.add(user_id)
        audience.setdefault(association_id, []).append(user_id)
    return audience


def workshops_to_remind(*, now: datetime, before: datetime) -> list[int]:
    """Ids of published workshops starting in (now, before] with registered people not yet reminded."""
    unreminded = WorkshopRegistration.objects.filter(
        workshop=OuterRef("pk"), status=RegistrationStatus.REGISTERED, reminded_at__isnull=True
    )
    return list(
        Workshop.objects.filter(status=WorkshopStatus.PUBLISHED, starts_at__gt=now, starts_at__lte=before)
        .filter(Exists(unreminded))
        .order_by("starts_at", "pk")
        .values_list("pk", flat=True)
    )
