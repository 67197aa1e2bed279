"""Load the demo: the network "Réseau Asso 37", its conseillère and three associations with stacks.

It lives in frontend, the one app that may import all the others.

Idempotent: rows are found by email or slug and created only when missing, so a second run
changes nothing. Demo passwords are set only when DEBUG is on; otherwise the accounts exist
without a usable password.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from hub.models import Advisor, Association, Membership, Network, NetworkKind, NetworkMembership, Role, User

DEMO_PASSWORD = "asso-hub-demo"  # noqa: S105 - only ever set when DEBUG is on
DOMAIN = "demo.asso-hub.fr"

NETWORK = {
    "slug": "reseau-asso-37",
    "name": "Réseau Asso 37",
    "kind": NetworkKind.SUPPORT_POINT,
    "territory": "Indre-et-Loire (37)",
    "description": "Point d'appui à la vie associative d'Indre-et-Loire : accompagnement, formations, "
    "ateliers numériques dans les communes rurales.",
}
CONSEILLERE = ("claire.moreau", "Claire Moreau", "Conseillère vie associative")

ASSOCIATIONS: list[dict[str, Any]] = [
    {
        "slug": "us-chambray-football",
        "name": "US Chambray Football",
        "commune": "Chambray-lès-Tours",
        "departement": "37",
        "rna": "W372004512",
        "siren": "443061841",
        "description": "Club de football amateur : 180 licenciés, une école de foot et une équipe féminine. "
        "Bénévoles nombreux, outils numériques éparpillés.",
        "default_electorate": "members",
        "members_can_propose": True,
        "followed": True,
        "people": [
            ("sophie.garnier", "Sophie Garnier", Role.ADMIN),
            ("karim.benali", "Karim Benali", Role.BOARD),
            ("julien.roussel", "Julien Roussel", Role.BOARD),
            ("nathalie.faure", "Nathalie Faure", Role.BOARD),
            ("thomas.mercier", "Thomas Mercier", Role.MEMBER),
            ("ines.lambert", "Inès Lambert", Role.MEMBER),
            ("lucas.girard", "Lucas Girard", Role.MEMBER),
            ("emma.bonnet", "Emma Bonnet", Role.MEMBER),
            ("hugo.dupuis", "Hugo Dupuis", Role.MEMBER),
            ("chloe.fontaine", "Chloé Fontaine", Role.MEMBER),
            ("mathis.chevalier", "Mathis Chevalier", Role.MEMBER),
            ("lea.robin", "Léa Robin", Role.MEMBER),
        ],
    },
    {
        "slug": "arts-de-la-rue-tours",
        "name": "Compagnie des Arts de la Rue de Tours",
        "commune": "Tours",
        "departement": "37",
        "rna": "W372009874",
        "siren": "",
        "description": "Association culturelle : spectacles de rue, ateliers de cirque pour les enfants, "
        "un festival chaque été.",
        "default_electorate": "board",
        "members_can_propose": False,
        "followed": False,
        "people": [
            ("marc.dubois", "Marc Dubois", Role.ADMIN),
            ("camille.renard", "Camille Renard", Role.BOARD),
            ("pauline.gauthier", "Pauline Gauthier", Role.MEMBER),
            ("antoine.perrin", "Antoine Perrin", Role.MEMBER),
            ("sarah.morel", "Sarah Morel", Role.MEMBER),
            ("karim.benali", "Karim Benali", Role.MEMBER),
        ],
    },
    {
        "slug": "epicerie-solidaire-lochois",
        "name": "Épicerie Solidaire du Lochois",
        "commune": "Loches",
        "departement": "37",
        "rna": "W372011236",
        "siren": "",
        "description": "Épicerie solidaire animée par des bénévoles retraités : accueil des familles, "
        "collecte auprès des producteurs locaux.",
        "default_electorate": "members",
        "members_can_propose": False,
        "followed": True,
        "people": [
            ("jeanne.leroy", "Jeanne Leroy", Role.ADMIN),
            ("martine.leroux", "Martine Leroux", Role.BOARD),
            ("bernard.michaud", "Bernard Michaud", Role.BOARD),
            ("gerard.colin", "Gérard Colin", Role.MEMBER),
            ("monique.barbier", "Monique Barbier", Role.MEMBER),
            ("yvette.arnaud", "Yvette Arnaud", Role.MEMBER),
        ],
    },
]

LOGINS = [
    ("martine.leroux", "bureau de l'Épicerie Solidaire du Lochois"),
    ("sophie.garnier", "administratrice de l'US Chambray Football"),
    ("thomas.mercier", "membre de l'US Chambray Football"),
    ("claire.moreau", "conseillère du Réseau Asso 37"),
]


class Command(BaseCommand):
    help = "Load the demo network, associations and members (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        # The catalogue (global, idempotent) first: the demo stacks point at its tools.
        from governance.demo import seed_demo_votes
        from shared_tools.demo import seed_demo_stacks
        from shared_tools.places.demo import seed_demo_places
        from shared_tools.services import load_catalogue
        from shared_tools.workshops.demo import seed_demo_workshops

        load_catalogue(stdout=self.stdout if options["verbosity"] > 1 else None)
        with transaction.atomic(), scopes_disabled():
            created = self._seed()
            created += seed_demo_stacks()
        # Votes go through the services: they open their own association scopes and transactions.
        created += seed_demo_votes()
        # Places (global open data) go through the importer, which validates them and updates by id.
        created += seed_demo_places()
        # Workshops (after the places they may be held in) through the services too: seats, waiting
        # list and events are the real ones.
        created += seed_demo_workshops()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({created} new rows)."))
        if settings.DEBUG:
            self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
            for local, role in LOGINS:
                self.stdout.write(f"  {local + '@' + DOMAIN:<42} {role}")
        else:
            self.stdout.write("DEBUG is off: demo accounts have no usable password.")

    def _user(self, local: str, name: str) -> tuple[User, bool]:
        user, created = User.objects.get_or_create(
            email=f"{local}@{DOMAIN}", defaults={"display_name": name, "language": "fr"}
        )
        if created:
            if settings.DEBUG:
                user.set_password(DEMO_PASSWORD)
            else:
                user.set_unusable_password()
            user.save(update_fields=["password"])
        return user, created

    def _seed(self) -> int:
        created = 0
        network_fields = {k: v for k, v in NETWORK.items() if k != "slug"}
        network, new = Network.objects.get_or_create(slug=NETWORK["slug"], defaults=network_fields)
        created += new
        local, name, title = CONSEILLERE
        conseillere, new = self._user(local, name)
        created += new
        _, new = Advisor.objects.get_or_create(network=network, user=conseillere, defaults={"title": title})
        created += new

        for spec in ASSOCIATIONS:
            fields = {k: v for k, v in spec.items() if k not in {"slug", "people", "followed"}}
            association, new = Association.objects.get_or_create(slug=spec["slug"], defaults=fields)
            created += new
            admin = None
            for local, name, role in spec["people"]:
                user, new = self._user(local, name)
                created += new
                _, new = Membership.objects.get_or_create(association=association, user=user, defaults={"role": role})
                created += new
                if role == Role.ADMIN:
                    admin = user
            link = NetworkMembership.objects.filter(association=association, network=network).first()
            if link is None:
                consent = {"consented_at": timezone.now(), "consented_by": admin} if spec["followed"] else {}
                NetworkMembership.objects.create(
                    association=association, network=network, requested_by=conseillere, **consent
                )
                created += 1
        return created
