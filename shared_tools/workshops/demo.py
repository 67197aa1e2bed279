"""Demo workshops for `seed_demo`: two upcoming workshops of Réseau Asso 37 with a few registrations.

Written through the services (events, seats and the waiting list are the real ones). Idempotent:
a workshop is found by its title among the network's upcoming ones and skipped when present, and
a person already on a workshop's list (even cancelled) is left as they are, so a second run
changes nothing. Once the demo workshops are over, the next run publishes new ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from hub.models import Association, Network, User
from hub.permissions import access_for

from ..models import Place, Tool, TutorialAudience, TutorialLevel, Workshop, WorkshopRegistration
from . import services

DOMAIN = "demo.asso-hub.fr"
NETWORK = "reseau-asso-37"
CONSEILLERE = "claire.moreau"
PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class DemoWorkshop:
    title: str
    description: str
    tool: str
    level: str
    audience: str
    in_days: int
    at: time
    hours: float
    capacity: int
    location: str = ""
    online_url: str = ""
    people: tuple[tuple[str, str], ...] = ()  # (person, association slug)


WORKSHOPS = [
    DemoWorkshop(
        title="Bien démarrer avec Nextcloud : partager les documents de l'association",
        description="Créer un dossier partagé pour le bureau, donner un lien aux bénévoles, retrouver une "
        "ancienne version d'un fichier. Apportez votre ordinateur portable si vous en avez un.",
        tool="Nextcloud",
        level=TutorialLevel.BEGINNER,
        audience=TutorialAudience.VOLUNTEERS,
        in_days=9,
        at=time(14, 0),
        hours=2.5,
        capacity=8,
        location="Maison des associations de Tours, salle 2, 31 rue du Général Renault, 37000 Tours",
        people=(
            ("thomas.mercier", "us-chambray-football"),
            ("ines.lambert", "us-chambray-football"),
            ("gerard.colin", "epicerie-solidaire-lochois"),
            ("monique.barbier", "epicerie-solidaire-lochois"),
        ),
    ),
    DemoWorkshop(
        title="Réunions à distance avec Jitsi Meet",
        description="Organiser une réunion de bureau en visioconférence sans compte ni logiciel à installer : "
        "créer le lien, couper les micros, partager son écran.",
        tool="Jitsi",
        level=TutorialLevel.BEGINNER,
        audience=TutorialAudience.BOARD,
        in_days=16,
        at=time(18, 30),
        hours=1.5,
        capacity=12,
        online_url="https://meet.jit.si/reseau-asso-37-atelier-visio",
        people=(("martine.leroux", "epicerie-solidaire-lochois"), ("karim.benali", "us-chambray-football")),
    ),
]


def _start(spec: DemoWorkshop) -> datetime:
    day = timezone.localdate(timezone=PARIS) + timedelta(days=spec.in_days)
    return datetime.combine(day, spec.at, tzinfo=PARIS)


def _place() -> Place | None:
    # A real mediation place of Indre-et-Loire when the places were imported; else the typed address.
    return Place.objects.filter(department="37").order_by("commune", "name", "pk").first()


def seed_demo_workshops() -> int:
    """Publish the demo workshops that are missing and register their people; return the rows created."""
    network = Network.objects.filter(slug=NETWORK).first()
    conseillere = User.objects.filter(email=f"{CONSEILLERE}@{DOMAIN}").first()
    if network is None or conseillere is None:
        return 0
    created = 0
    now = timezone.now()
    for spec in WORKSHOPS:
        workshop = network.workshops.filter(title=spec.title, starts_at__gt=now).order_by("starts_at").first()
        if workshop is None:
            starts_at = _start(spec)
            place = _place() if spec.location else None
            workshop = services.publish_workshop(
                user=conseillere,
                network=network,
                details=services.WorkshopDetails(
                    title=spec.title,
                    description=spec.description,
                    tool=Tool.objects.filter(name__istartswith=spec.tool).order_by("name").first(),
                    level=spec.level,
                    audience=spec.audience,
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(hours=spec.hours),
                    capacity=spec.capacity,
                    place=place,
                    location_detail="" if place else spec.location,
                    online_url=spec.online_url,
                ),
            )
            created += 1
        created += _register(workshop, spec.people)
    return created


def _register(workshop: Workshop, people: tuple[tuple[str, str], ...]) -> int:
    created = 0
    for local, slug in people:
        user = User.objects.filter(email=f"{local}@{DOMAIN}").first()
        association = Association.objects.filter(slug=slug).first()
        if (
            user is None
            or association is None
            or WorkshopRegistration.objects.filter(workshop=workshop, user=user).exists()
        ):
            continue
        access = access_for(user, association)
        if access is None:
            continue
        services.register_for_workshop(access=access, workshop=workshop)
        created += 1
    return created
