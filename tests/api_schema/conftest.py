"""The world the schemathesis run aims at, and the counts it prints at the end of the run.

`world` plants one real object behind every path parameter of the API (association A of the cast,
a tool in its stack, a referent, a tutorial with a question, a tool proposal, a diagnostic and its
roadmap, a help request, an invitation, proposals open, in draft and decided, a notification), so
that generated requests reach the handlers instead of stopping at a 404.
"""

from __future__ import annotations

import json
import os
import zlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test.utils import override_settings
from django.utils import timezone
from django_scopes import scopes_disabled
from rest_framework.authtoken.models import Token

from governance import services as governance
from governance.models import Method
from governance.services import OptionSpec
from hub import services as hub
from hub.models import Role
from hub.permissions import access_for
from hub.tenancy import association_scope
from notifications import services as notifications
from notifications.models import Event
from shared_tools import services as tools
from shared_tools.diagnostic.questionnaire import load_questionnaire
from shared_tools.models import KnowHowLevel, Place, RoadmapStep, Stage, TutorialVisibility
from shared_tools.services import StepInput
from shared_tools.workshops import services as workshops
from tests.factories import (
    AdvisorFactory,
    AssociationFactory,
    MembershipFactory,
    NetworkFactory,
    NetworkMembershipFactory,
    UserFactory,
)
from tests.shared_tools.factories import ToolFactory

# Path parameter → the planted objects it may name. `{code}` is told apart by the path segment
# before it (`/stack/{code}/` is a tool usage, `/proposals/{code}/` a proposal...).
CODE_SEGMENTS = {
    "assessments": "assessment",
    "decisions": "decision",
    "help-requests": "help_request",
    "invitations": "invitation",
    "memberships": "membership",
    "networks": "network_link",
    "notifications": "notification",
    "places": "place",
    "proposals": "proposal",
    "questions": "question",
    "referents": "referent",
    "roadmap": "step",
    "stack": "usage",
    "tool-proposals": "tool_proposal",
    "tutorials": "tutorial",
    "workshops": "workshop",
}


MEMBER, BOARD, CONSEILLER = "bob (member)", "bérénice (board)", "claire (conseillère of asso-37)"


@dataclass
class World:
    tokens: dict[str, str]
    # Planted values by kind (`association_slug`, `tool_slug`, `usage`...), as sent in a URL.
    values: dict[str, list[str]]


@dataclass
class RunStats:
    """What the run sent, for the summary: examples per operation and status classes per caller."""

    examples: Counter[tuple[str, str]] = field(default_factory=Counter)
    statuses: Counter[tuple[str, str]] = field(default_factory=Counter)
    phases: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Path parameters no planted object stands for (a new endpoint: add it to `world`).
    unaimed: set[str] = field(default_factory=set)


STATS = RunStats()


def kind_of(path: str, name: str) -> str | None:
    """Which planted kind the path parameter `name` of the operation at `path` names."""
    if name in {"association_slug", "network_slug"}:
        return name
    if name == "slug" and path.startswith("/api/v1/tools/"):
        return "tool_slug"
    if name == "code":
        segment = path.split("{code}")[0].rstrip("/").rsplit("/", 1)[-1]
        return CODE_SEGMENTS.get(segment)
    return None


def aim(case, world: World) -> None:
    """Point 3 requests in 4 at planted objects; the 4th keeps the generated value (unknown or
    malformed: the 404 paths). Chosen from a checksum of the generated value, so a run is
    reproducible. Done on the case rather than in a generation hook because the coverage phase
    builds its cases at collection time, before the test database exists."""
    parameters = case.path_parameters or {}
    for name, generated in list(parameters.items()):
        kind = kind_of(case.operation.path, name)
        candidates = world.values.get(kind or "", [])
        if not candidates:
            STATS.unaimed.add(f"{case.operation.label} {{{name}}}")
            continue
        pick = zlib.crc32(str(generated).encode("utf-8", "surrogatepass")) % 4
        if pick < 3:
            parameters[name] = candidates[pick % len(candidates)]


def _first_answers() -> dict[str, str]:
    questionnaire = load_questionnaire()
    return {
        question.id: question.answers[0].id
        for dimension in questionnaire.dimensions
        for question in dimension.questions
    }


def _member(association, email: str, name: str, role: str):
    user = UserFactory(email=email, display_name=name)
    MembershipFactory(association=association, user=user, role=role)
    return user


def plant() -> World:
    """The cast of tests/conftest.py (same names, same roles), then one object of each kind."""
    association = AssociationFactory(name="Les Amis du Vélo", slug="amis-du-velo", commune="Tours", departement="37")
    other = AssociationFactory(name="Club Échecs de Loches", slug="echecs-loches", commune="Loches", departement="37")
    alice = _member(association, "alice@exemple.fr", "Alice Martin", Role.ADMIN)
    berenice = _member(association, "berenice@exemple.fr", "Bérénice Petit", Role.BOARD)
    bob = _member(association, "bob@exemple.fr", "Bob Durand", Role.MEMBER)
    _member(other, "charlie@exemple.fr", "Charlie Bernard", Role.MEMBER)
    now = timezone.now()
    network = NetworkFactory(name="Réseau Asso 37", slug="asso-37")
    conseiller = UserFactory(email="conseillere@asso37.fr", display_name="Claire Moreau")
    AdvisorFactory(network=network, user=conseiller)
    NetworkMembershipFactory(
        association=association,
        network=network,
        requested_by=conseiller,
        consented_at=now,
        consented_by=alice,
    )
    NetworkFactory(name="Fédération du Cher", slug="federation-cher")
    with scopes_disabled():
        admin, board, member = (access_for(user, association) for user in (alice, berenice, bob))
    nextcloud = ToolFactory(name="Nextcloud", slug="nextcloud")
    ToolFactory(name="Framadate", slug="framadate")
    with association_scope(association):
        usage = tools.add_tool_to_stack(access=board, tool=nextcloud, stage=Stage.ADOPTED, purpose="Nos fichiers")
        referent = tools.declare_referent(access=member, tool=nextcloud, level=KnowHowLevel.MASTERS)
        tutorial = tools.create_tutorial(
            access=member,
            title="Partager un dossier",
            steps=[StepInput(body="Ouvrez **Nextcloud**."), StepInput(body="Cliquez sur Partager.")],
            tools=[nextcloud],
            visibility=TutorialVisibility.PUBLIC,
        )
        tutorial = tools.publish_tutorial(access=member, tutorial=tutorial)
        question = tools.ask_question(user=berenice, tutorial=tutorial, body="Et depuis un téléphone ?")
        tool_proposal = tools.propose_tool(access=member, name="Mobilizon", description="Pour nos événements.")
        assessment = tools.take_assessment(access=board, answers=_first_answers())
        steps = [str(step.code) for step in RoadmapStep.objects.filter(association=association)]
        help_request = hub.open_help_request(
            access=board, user=berenice, network=network, title="Sauvegardes", message="Comment faire ?"
        )
        invitation = hub.invite_member(access=admin, email="nouvelle@exemple.fr")
        opened = governance.create_proposal(
            access=board,
            title="Adopter Nextcloud",
            method=Method.SINGLE,
            options=[OptionSpec(label="Oui"), OptionSpec(label="Plus tard")],
            electorate="members",
        )
        opened = governance.open_proposal(access=board, proposal=opened, closes_at=now + timedelta(days=7))
        draft = governance.create_proposal(access=board, title="Changer d'agenda partagé")
        decided = governance.create_proposal(
            access=board, title="Quitter Google Drive", electorate="members", quorum_percent=0
        )
        decided = governance.open_proposal(access=board, proposal=decided, closes_at=now + timedelta(days=7))
        governance.cast_vote(access=member, proposal=decided, choice="for")
        decision = governance.close_proposal(proposal_id=decided.pk, access=board)
        assert decision is not None
        # Events are fanned out after commit, which the planting transaction never reaches.
        for event in Event.objects.filter(association=association):
            notifications.fan_out(event=event)
    with scopes_disabled():
        notification = bob.notifications.order_by("pk").first()
        memberships = [str(m.code) for m in association.memberships.filter(user__in=[bob, alice]).order_by("pk")]
        link = association.network_links.get(network=network)
    place = Place(
        local_id="epn-tours-1",
        pivot="12345678900011",
        name="Espace numérique des Fontaines",
        commune="Tours",
        postcode="37000",
        address="4 rue de la Loire",
        updated_on=date(2026, 1, 15),
    )
    place.refresh_derived()
    place.save()
    workshop = workshops.publish_workshop(
        user=conseiller,
        network=network,
        details=workshops.WorkshopDetails(
            title="Bien démarrer avec Nextcloud",
            starts_at=now + timedelta(days=7),
            ends_at=now + timedelta(days=7, hours=2),
            capacity=10,
            tool=nextcloud,
            place=place,
        ),
    )
    assert notification is not None and steps
    return World(
        tokens={
            caller: Token.objects.create(user=user).key
            for caller, user in ((MEMBER, bob), (BOARD, berenice), (CONSEILLER, conseiller))
        },
        values={
            "association_slug": [association.slug],
            "network_slug": [network.slug, "federation-cher"],
            "tool_slug": [nextcloud.slug],
            "usage": [str(usage.code)],
            "referent": [str(referent.code)],
            "tutorial": [str(tutorial.code)],
            "question": [str(question.code)],
            "tool_proposal": [str(tool_proposal.code)],
            "assessment": [str(assessment.code)],
            "step": steps,
            "help_request": [str(help_request.code)],
            "invitation": [str(invitation.code)],
            "membership": memberships,
            "network_link": [str(link.code)],
            "proposal": [str(opened.code), str(draft.code), str(decided.code)],
            "decision": [str(decision.code)],
            "notification": [str(notification.code)],
            "place": [str(place.code)],
            "workshop": [str(workshop.code)],
        },
    )


@contextmanager
def connection_kept_open():
    """Requests go to the WSGI app itself, whose request signals close the database connection
    (in a test transaction, on PostgreSQL): unhook that for the run, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Planted once per module in a transaction rolled back at its end; each test adds its own
    (pytest-django's `db`) and each example a savepoint, so nothing leaks from one to the next."""
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        connection_kept_open(),
        transaction.atomic(),
    ):
        yield plant()
        transaction.set_rollback(True)


def pytest_terminal_summary(terminalreporter) -> None:
    # In CI's single process; under xdist the workers keep their counts (the controller never
    # loads this conftest).
    if not STATS.examples:
        return
    terminalreporter.section("API schema (schemathesis)")

    def counts(counter: Counter[tuple[str, str]], caller: str) -> str:
        return ", ".join(f"{key} {n}" for (who, key), n in sorted(counter.items()) if who == caller)

    for caller in sorted({caller for caller, _label in STATS.examples}):
        operations = {label for who, label in STATS.examples if who == caller}
        total = sum(n for (who, _label), n in STATS.examples.items() if who == caller)
        terminalreporter.write_line(
            f"as {caller}: {len(operations)} operations, {total} examples checked "
            f"({counts(STATS.phases, caller)}); responses {counts(STATS.statuses, caller)}"
        )
    if STATS.unaimed:
        terminalreporter.write_line(
            "path parameters with no planted object (left to chance): " + "; ".join(sorted(STATS.unaimed))
        )
    report_dir = os.environ.get("QUALITY_REPORT_DIR")
    if report_dir:
        # Read by `python -m bench.quality` for docs/quality.md. A failed operation test is a server
        # error or a response breaking the schema (the checks fail the test on either).
        failed = [r for r in terminalreporter.stats.get("failed", []) if "api_schema" in r.nodeid]
        summary = {
            "operations": len({label for _who, label in STATS.examples}),
            "operation_runs": len(STATS.examples),
            "examples": sum(STATS.examples.values()),
            "server_errors": sum(1 for r in failed if "Server error" in str(r.longrepr)),
            "schema_violations": sum(1 for r in failed if "Server error" not in str(r.longrepr)),
            "callers": sorted({caller for caller, _label in STATS.examples}),
        }
        Path(report_dir).mkdir(parents=True, exist_ok=True)
        (Path(report_dir) / "schema.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
