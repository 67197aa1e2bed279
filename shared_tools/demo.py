"""Demo stacks, know-how and tool proposals for the three demo associations of `seed_demo`.

Idempotent: a usage is found by (association, tool), a referent by (member, tool), a proposal by
(name, author); only missing rows are created, with their history, so a second run changes
nothing. Rows are written directly (not through the services) so that the history can carry past
dates. Runs with scopes disabled, like the rest of the demo load.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from hub.models import Association, Membership, User

from .models import (
    Category,
    FreeSoftware,
    KnowHowLevel,
    ProposalStatus,
    Referent,
    Stage,
    Tool,
    ToolProposal,
    ToolUsage,
    ToolUsageChange,
    Visibility,
)
from .selectors import likely_duplicates

DOMAIN = "demo.asso-hub.fr"
M, H, L = KnowHowLevel.MASTERS, KnowHowLevel.CAN_HELP, KnowHowLevel.WANTS_TO_LEARN


@dataclass(frozen=True)
class Step:
    """A stage the tool reached, when, and why (the first step is the addition)."""

    stage: str
    on: date
    reason: str
    by: str  # local part of the demo email


@dataclass(frozen=True)
class DemoUsage:
    tool: str  # match key
    steps: tuple[Step, ...]
    purpose: str = ""
    yearly_cost: Decimal | None = None
    paid_by: str = ""
    satisfaction: int | None = None
    visibility: str = Visibility.MEMBERS
    review_in_days: int | None = None
    referents: tuple[tuple[str, str], ...] = ()  # (local part, level)


STACKS: dict[str, list[DemoUsage]] = {
    "us-chambray-football": [
        DemoUsage(
            "googledrive",
            (
                Step(
                    Stage.ADOPTED, date(2018, 9, 1), "Les licences scannées étaient sur trois clés USB.", "karim.benali"
                ),
            ),
            purpose="Licences scannées, certificats médicaux, feuilles de match.",
            yearly_cost=Decimal(0),
            paid_by="Gratuit (compte du club)",
            satisfaction=3,
            # Only Karim knows where everything is: the stack page flags it.
            referents=(("karim.benali", M), ("lucas.girard", L)),
        ),
        DemoUsage(
            "googleforms",
            (Step(Stage.ADOPTED, date(2020, 6, 15), "Inscriptions de la saison en ligne.", "nathalie.faure"),),
            purpose="Formulaire d'inscription des licenciés à chaque rentrée.",
            yearly_cost=Decimal(0),
            paid_by="Gratuit",
            satisfaction=3,
            review_in_days=60,
            # Nathalie set it up but left the know-how undeclared: "nobody masters it".
            referents=(("thomas.mercier", H),),
        ),
        DemoUsage(
            "wordpress",
            (Step(Stage.ADOPTED, date(2017, 3, 1), "Un site pour les parents et les partenaires.", "sophie.garnier"),),
            purpose="Site du club : calendrier des matchs, résultats, inscriptions à l'école de foot.",
            yearly_cost=Decimal("96.00"),
            paid_by="Le club (hébergement mutualisé)",
            satisfaction=4,
            visibility=Visibility.PUBLIC,
            referents=(("sophie.garnier", M), ("julien.roussel", M), ("emma.bonnet", L)),
        ),
        DemoUsage(
            "facebook",
            (Step(Stage.ADOPTED, date(2016, 1, 10), "Les familles y sont déjà.", "julien.roussel"),),
            purpose="Photos des matchs et annonces aux familles.",
            yearly_cost=Decimal(0),
            satisfaction=2,
            visibility=Visibility.NETWORK,
            referents=(("emma.bonnet", M), ("chloe.fontaine", M)),
        ),
        DemoUsage(
            "doodle",
            (
                Step(
                    Stage.ADOPTED,
                    date(2019, 9, 1),
                    "Planifier les covoiturages des matchs à l'extérieur.",
                    "karim.benali",
                ),
                Step(
                    Stage.RETIRING,
                    date(2024, 10, 5),
                    "Trop de publicités pour les parents : on passe à Framadate d'ici la fin de saison.",
                    "sophie.garnier",
                ),
            ),
            purpose="Sondages pour les covoiturages.",
            yearly_cost=Decimal(0),
            satisfaction=2,
            referents=(("karim.benali", M), ("hugo.dupuis", H)),
        ),
        DemoUsage(
            "framadate",
            (
                Step(
                    Stage.CONSIDERED, date(2024, 9, 20), "Proposé par Thomas à l'AG : sans publicité.", "sophie.garnier"
                ),
                Step(Stage.TRIAL, date(2024, 10, 5), "Essai sur les covoiturages des U13.", "sophie.garnier"),
            ),
            purpose="Remplacer Doodle pour les covoiturages.",
            yearly_cost=Decimal(0),
            paid_by="Gratuit (Framasoft, dons bienvenus)",
            satisfaction=4,
            visibility=Visibility.NETWORK,
            review_in_days=45,
            referents=(("thomas.mercier", M), ("ines.lambert", H), ("mathis.chevalier", L)),
        ),
        DemoUsage(
            "libreoffice",
            (Step(Stage.ADOPTED, date(2021, 1, 15), "Plus de licence Office à renouveler.", "nathalie.faure"),),
            purpose="Budget, comptes rendus de réunion, affiches.",
            yearly_cost=Decimal(0),
            satisfaction=4,
            visibility=Visibility.PUBLIC,
            referents=(("nathalie.faure", M), ("julien.roussel", H), ("lea.robin", L)),
        ),
        DemoUsage(
            "jitsi",
            (Step(Stage.CONSIDERED, date(2025, 1, 12), "Pour les réunions du bureau quand il neige.", "karim.benali"),),
            purpose="Réunions du bureau à distance.",
        ),
    ],
    "arts-de-la-rue-tours": [
        DemoUsage(
            "nextcloud",
            (
                Step(
                    Stage.TRIAL,
                    date(2022, 2, 1),
                    "Un espace partagé pour les régies et les fiches techniques.",
                    "marc.dubois",
                ),
                Step(
                    Stage.ADOPTED,
                    date(2022, 6, 1),
                    "Adopté après le festival : tout le monde s'y retrouve.",
                    "marc.dubois",
                ),
            ),
            purpose="Fiches techniques, contrats, photos du festival.",
            yearly_cost=Decimal("60.00"),
            paid_by="La compagnie (hébergeur associatif)",
            satisfaction=5,
            visibility=Visibility.PUBLIC,
            referents=(("marc.dubois", M), ("camille.renard", M), ("antoine.perrin", L)),
        ),
        DemoUsage(
            "scribus",
            (Step(Stage.ADOPTED, date(2019, 4, 1), "Affiches et programme du festival.", "camille.renard"),),
            purpose="Mise en page des affiches et du programme.",
            yearly_cost=Decimal(0),
            satisfaction=4,
            # Pauline is the only one who can lay out the programme: flagged.
            referents=(("pauline.gauthier", M), ("sarah.morel", L)),
        ),
        DemoUsage(
            "slack",
            (
                Step(
                    Stage.TRIAL, date(2023, 3, 1), "Discuter entre artistes pendant les répétitions.", "camille.renard"
                ),
                Step(
                    Stage.ABANDONED,
                    date(2023, 6, 30),
                    "L'historique disparaît après 90 jours dans la version gratuite.",
                    "marc.dubois",
                ),
            ),
            purpose="Messagerie de l'équipe artistique.",
            satisfaction=2,
        ),
        DemoUsage(
            "mattermost",
            (
                Step(
                    Stage.CONSIDERED,
                    date(2023, 7, 2),
                    "Remplaçant possible de Slack, sur notre hébergeur.",
                    "marc.dubois",
                ),
            ),
            purpose="Messagerie de l'équipe artistique.",
        ),
        DemoUsage(
            "loomio",
            (Step(Stage.TRIAL, date(2025, 2, 1), "Préparer les décisions du CA entre deux réunions.", "marc.dubois"),),
            purpose="Décisions du conseil d'administration.",
            yearly_cost=Decimal(0),
            review_in_days=90,
            referents=(("marc.dubois", H),),
        ),
    ],
    "epicerie-solidaire-lochois": [
        DemoUsage(
            "gmail",
            (Step(Stage.ADOPTED, date(2015, 5, 1), "L'adresse de l'épicerie.", "jeanne.leroy"),),
            purpose="Adresse de contact de l'épicerie, échanges avec les producteurs.",
            yearly_cost=Decimal(0),
            satisfaction=3,
            # Martine alone knows the password and the filters: flagged.
            referents=(("martine.leroux", M), ("monique.barbier", L)),
        ),
        DemoUsage(
            "libreoffice",
            (Step(Stage.ADOPTED, date(2016, 1, 1), "Installé sur l'ordinateur offert par la mairie.", "jeanne.leroy"),),
            purpose="Tableau des stocks, planning des permanences.",
            yearly_cost=Decimal(0),
            paid_by="",
            satisfaction=4,
            visibility=Visibility.NETWORK,
            referents=(("bernard.michaud", M), ("jeanne.leroy", M), ("gerard.colin", H), ("yvette.arnaud", L)),
        ),
        DemoUsage(
            "framalistes",
            (
                Step(
                    Stage.CONSIDERED,
                    date(2024, 3, 1),
                    "Prévenir les bénévoles sans multiplier les courriels.",
                    "martine.leroux",
                ),
                Step(Stage.TRIAL, date(2024, 4, 1), "Essai avec les bénévoles du mardi.", "martine.leroux"),
                Step(
                    Stage.ADOPTED, date(2024, 9, 1), "Tout le monde la reçoit, même sans smartphone.", "bernard.michaud"
                ),
            ),
            purpose="Liste des bénévoles : permanences et collectes.",
            yearly_cost=Decimal(0),
            paid_by="Gratuit (Framasoft, dons bienvenus)",
            satisfaction=5,
            visibility=Visibility.NETWORK,
            referents=(("martine.leroux", M), ("bernard.michaud", M)),
        ),
        DemoUsage(
            "framacalc",
            (
                Step(
                    Stage.CONSIDERED,
                    date(2025, 1, 20),
                    "Un planning des permanences que chacun peut remplir.",
                    "bernard.michaud",
                ),
            ),
            purpose="Planning des permanences partagé.",
            review_in_days=30,
            referents=(("gerard.colin", L), ("monique.barbier", L)),
        ),
    ],
}

PROPOSALS = [
    {
        "name": "Paheko",
        "website": "https://paheko.cloud/",
        "description": "Gestion d'association : adhérents, cotisations et comptabilité simple, en français.",
        "category": "comptabilite",
        "free_software": FreeSoftware.YES,
        "by": "martine.leroux",
        "association": "epicerie-solidaire-lochois",
    },
    {
        "name": "HelloAsso",
        "website": "https://www.helloasso.com/",
        "description": "Adhésions, dons et billetterie en ligne sans commission pour l'association.",
        "category": "dons-et-billetterie",
        "free_software": FreeSoftware.NO,
        "by": "sophie.garnier",
        "association": "us-chambray-football",
    },
    {
        "name": "Google Doc",
        "website": "",
        "description": "Pour écrire les comptes rendus à plusieurs.",
        "category": "edition-collaborative",
        "free_software": FreeSoftware.NO,
        "by": "thomas.mercier",
        "association": "us-chambray-football",
        "rejected_by": "claire.moreau",
        "reason": "Déjà dans le catalogue sous le nom « Google Docs » ; voir aussi Framapad et Etherpad.",
    },
]


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(18, 30)))


def _seed_stack(association: Association, usages: list[DemoUsage], tools: dict[str, Tool]) -> int:
    created = 0
    members = {
        m.user.email.split("@")[0]: m
        for m in Membership.objects.filter(association=association, is_active=True).select_related("user")
    }
    for spec in usages:
        tool = tools.get(spec.tool)
        if tool is None:  # the catalogue did not load this tool: skip rather than fail the demo
            continue
        first, last = spec.steps[0], spec.steps[-1]
        usage, new = ToolUsage.objects.get_or_create(
            association=association,
            tool=tool,
            defaults={
                "stage": last.stage,
                "purpose": spec.purpose,
                "since": next((s.on for s in spec.steps if s.stage in (Stage.TRIAL, Stage.ADOPTED)), None),
                "until": last.on if last.stage == Stage.ABANDONED else None,
                "yearly_cost": spec.yearly_cost,
                "paid_by": spec.paid_by,
                "satisfaction": spec.satisfaction,
                "visibility": spec.visibility,
                "review_on": timezone.localdate() + timedelta(days=spec.review_in_days)
                if spec.review_in_days
                else None,
                "created_at": _at(first.on),
            },
        )
        if new:
            created += 1
            previous = ""
            for step in spec.steps:
                member = members.get(step.by)
                ToolUsageChange.objects.create(
                    association=association,
                    usage=usage,
                    from_stage=previous,
                    to_stage=step.stage,
                    changed_by=member.user if member else None,
                    changed_at=_at(step.on),
                    reason=step.reason,
                )
                previous = step.stage
                created += 1
        for local, level in spec.referents:
            membership = members.get(local)
            if membership is None:
                continue
            _, new = Referent.objects.get_or_create(
                membership=membership, tool=tool, defaults={"association": association, "level": level}
            )
            created += new
    return created


def _seed_proposals(tools: dict[str, Tool]) -> int:
    created = 0
    users = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith=f"@{DOMAIN}")}
    associations = {a.slug: a for a in Association.objects.filter(slug__in={p["association"] for p in PROPOSALS})}
    categories = {c.slug: c for c in Category.objects.filter(slug__in={p["category"] for p in PROPOSALS})}
    for spec in PROPOSALS:
        author = users.get(spec["by"])
        if author is None or ToolProposal.objects.filter(name=spec["name"], proposed_by=author).exists():
            continue
        if Tool.objects.filter(name__iexact=spec["name"]).exists():
            continue  # the catalogue has it now: proposing it again would be noise
        proposal = ToolProposal.objects.create(
            name=spec["name"],
            website=spec["website"],
            description=spec["description"],
            category=categories.get(spec["category"]),
            free_software=spec["free_software"],
            proposed_by=author,
            association=associations.get(spec["association"]),
        )
        proposal.possible_duplicates.set(likely_duplicates(name=proposal.name))
        if "rejected_by" in spec:
            proposal.status = ProposalStatus.REJECTED
            proposal.rejection_reason = spec["reason"]
            proposal.reviewed_by = users.get(spec["rejected_by"])
            proposal.reviewed_at = timezone.now()
            proposal.save(update_fields=["status", "rejection_reason", "reviewed_by", "reviewed_at"])
        created += 1
    return created


@transaction.atomic
def seed_demo_stacks() -> int:
    """Give the demo associations their stacks, referents and a few tool proposals; returns the
    number of rows created (0 on a second run)."""
    with scopes_disabled():
        keys = {usage.tool for usages in STACKS.values() for usage in usages}
        tools = {tool.match_key: tool for tool in Tool.objects.filter(match_key__in=keys)}
        created = 0
        for association in Association.objects.filter(slug__in=list(STACKS)):
            created += _seed_stack(association, STACKS[association.slug], tools)
        return created + _seed_proposals(tools)
