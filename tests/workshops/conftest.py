"""Workshop fixtures: `network` ("Réseau Asso 37") follows A with A's consent (`conseiller`); B is
not followed. Workshops are published through the service, as the conseillère would."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from hub.models import Role
from notifications.models import Event, Notification
from shared_tools.models import Place, RegistrationStatus, Workshop, WorkshopRegistration
from shared_tools.workshops import services
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def place(db):
    place = Place(
        local_id="epn-tours-1",
        pivot="12345678900011",
        name="Espace numérique des Fontaines",
        commune="Tours",
        postcode="37000",
        address="4 rue de la Loire",
        updated_on=date(2026, 1, 15),
        latitude=47.39,
        longitude=0.69,
    )
    place.refresh_derived()
    place.save()
    return place


def details(**fields):
    start = fields.pop("starts_at", timezone.now() + timedelta(days=7))
    fields.setdefault("title", "Bien démarrer avec Nextcloud")
    fields.setdefault("ends_at", start + timedelta(hours=2))
    fields.setdefault("capacity", 10)
    if "place" not in fields and "online_url" not in fields:
        fields.setdefault("location_detail", "Salle des fêtes, 1 place de la Mairie, Tours")
    return services.WorkshopDetails(starts_at=start, **fields)


@pytest.fixture
def make_workshop(conseiller, network):
    """`make_workshop(**details)` → a workshop of the network published by the conseillère."""

    def _make(by=None, in_network=None, **fields):
        return services.publish_workshop(
            user=by or conseiller, network=in_network or network, details=details(**fields)
        )

    return _make


@pytest.fixture
def workshop(make_workshop):
    return make_workshop()


@pytest.fixture
def crowd(association):
    """`crowd(n)` → n new members of A."""

    def _crowd(n, prefix="participant"):
        users = [UserFactory(email=f"{prefix}{i}@exemple.fr", display_name=f"Participant {i:02d}") for i in range(n)]
        for user in users:
            MembershipFactory(association=association, user=user, role=Role.MEMBER)
        return users

    return _crowd


def statuses(workshop):
    """user email → registration status, for every row of the workshop."""
    return {
        r.user.email: r.status for r in WorkshopRegistration.objects.filter(workshop=workshop).select_related("user")
    }


def count(workshop, status):
    return WorkshopRegistration.objects.filter(workshop=workshop, status=status).count()


def registered(workshop):
    return count(workshop, RegistrationStatus.REGISTERED)


def waiting(workshop):
    return count(workshop, RegistrationStatus.WAITING)


def events_of(kind):
    with scopes_disabled():
        return list(Event.objects.filter(kind=kind).order_by("pk"))


def recipients_of(kind):
    """Every recipient id of the events of `kind` (explicit audiences), flattened."""
    return sorted(user_id for event in events_of(kind) for user_id in event.recipient_ids or [])


def notifications_of(user, kind=None):
    with scopes_disabled():
        rows = Notification.objects.filter(recipient=user).select_related("event")
        if kind:
            rows = rows.filter(event__kind=kind)
        return list(rows)


def add_workshops(network, n, users=()):
    start = timezone.now() + timedelta(days=3)
    workshops = Workshop.objects.bulk_create(
        [
            Workshop(
                network=network,
                title=f"Atelier {i}",
                starts_at=start + timedelta(hours=i),
                ends_at=start + timedelta(hours=i + 1),
                capacity=5,
                location_detail="Salle",
            )
            for i in range(n)
        ]
    )
    WorkshopRegistration.objects.bulk_create(
        [
            WorkshopRegistration(workshop=w, user=u, status=RegistrationStatus.REGISTERED)
            for w in workshops
            for u in users
        ]
    )
    return workshops
