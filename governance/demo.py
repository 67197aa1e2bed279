"""Demo votes for `seed_demo`: one decided proposal in the register and one open vote.

Written through the services (so the register's hash chain, the stack effects and the events are
the real ones). Idempotent: a proposal is found by its title in its association and skipped when
present, so a second run changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_scopes import scopes_disabled

from hub.models import Association, User
from hub.permissions import Access, access_for
from hub.tenancy import association_scope
from shared_tools.models import Tool

from . import services
from .models import Method, Proposal, ProposalKind
from .services import OptionSpec

DOMAIN = "demo.asso-hub.fr"
ASSOCIATION = "us-chambray-football"
DECIDED = "Adopter Framadate pour les sondages de dates"
OPEN = "Remplacer Google Drive par NextCloud"


def _access(local: str, association: Association) -> Access:
    access = access_for(User.objects.get(email=f"{local}@{DOMAIN}"), association)
    if access is None:
        raise RuntimeError(f"{local} is not a member of {association.slug}: run the hub demo first.")
    return access


def _tool(name: str) -> Tool | None:
    return Tool.objects.filter(name__iexact=name).first() or Tool.objects.filter(name__istartswith=name).first()


def seed_demo_votes() -> int:
    """Create the demo proposals that are missing; return how many were created."""
    with scopes_disabled():
        association = Association.objects.filter(slug=ASSOCIATION).first()
    framadate, nextcloud, drive = _tool("Framadate"), _tool("NextCloud"), _tool("Google Drive")
    if association is None or None in (framadate, nextcloud, drive):
        return 0
    created = 0
    with association_scope(association):
        existing = set(Proposal.objects.filter(title__in=[DECIDED, OPEN]).values_list("title", flat=True))
        admin = _access("sophie.garnier", association)
        if DECIDED not in existing:
            proposal = services.create_proposal(
                access=admin,
                title=DECIDED,
                kind=ProposalKind.ADOPT,
                body="Doodle affiche de la publicité et revend des données. Framadate est libre, "
                "hébergé en France par Framasoft, et les parents l'ont essayé pour le tournoi de mai.",
                method=Method.CONSENT,
                options=[OptionSpec(label="Framadate", tool=framadate)],
                results_hidden=False,
            )
            services.open_proposal(access=admin, proposal=proposal, closes_at=timezone.now() + timedelta(days=7))
            votes = {
                "sophie.garnier": "for",
                "karim.benali": "for",
                "julien.roussel": "for",
                "nathalie.faure": "abstain",
                "thomas.mercier": "for",
                "ines.lambert": "for",
                "lucas.girard": "against",
                "emma.bonnet": "for",
            }
            for local, choice in votes.items():
                reason = "Doodle marche déjà bien pour moi." if choice == "against" else ""
                services.cast_vote(access=_access(local, association), proposal=proposal, choice=choice, reason=reason)
            decision = services.close_proposal(proposal_id=proposal.pk, access=admin)
            if decision is not None:
                services.record_statement(
                    access=admin,
                    decision=decision,
                    statement="Framadate devient l'outil du club pour fixer les dates. Karim prépare "
                    "un tutoriel pour les parents ; Doodle sera retiré à la fin de la saison.",
                )
            created += 1
        if OPEN not in existing:
            board = _access("karim.benali", association)
            proposal = services.create_proposal(
                access=board,
                title=OPEN,
                kind=ProposalKind.REPLACE,
                current_tool=drive,
                body="Nos documents (licences, plannings, comptes) sont sur le Google Drive personnel "
                "de Julien. Proposition : un espace NextCloud chez un hébergeur associatif (CHATON).",
                method=Method.SINGLE,
                criteria=["Coût annuel", "Lieu des données", "Facilité"],
                options=[
                    OptionSpec(
                        label="NextCloud chez un CHATON",
                        tool=nextcloud,
                        assessments={
                            "Coût annuel": "environ 60 €",
                            "Lieu des données": "France",
                            "Facilité": "moyenne",
                        },
                    ),
                    OptionSpec(
                        label="Garder Google Drive",
                        assessments={"Coût annuel": "0 €", "Lieu des données": "hors UE", "Facilité": "bonne"},
                    ),
                ],
                results_hidden=False,
            )
            services.open_proposal(access=board, proposal=proposal, closes_at=timezone.now() + timedelta(days=5))
            first = proposal.options.order_by("position")[0]
            for local in ("karim.benali", "nathalie.faure"):
                services.cast_vote(
                    access=_access(local, association), proposal=proposal, choice="options", options=[str(first.code)]
                )
            created += 1
    return created
