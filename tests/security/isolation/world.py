"""The planted world of the isolation matrix: association A full of objects, each carrying a marker.

Every object of A that has a page or an endpoint is created through the services (as real data
arises), with a unique marker string in a text field its pages show. `Marker.audience` names the
roles allowed to read it; the matrix fails when any response to another role contains it.

Roles: `anonymous`; `bob` (member of A), `berenice` (board of A), `alice` (admin of A);
`conseiller` (network asso-37, which A consented to: read-only); `other_conseiller` (a network A
never accepted); `charlie` (member of B only); `staff` (platform staff, superuser, no membership).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_scopes import scopes_disabled
from PIL import Image

from governance import services as governance_services
from governance.calendar import calendar_token
from governance.models import Method
from hub import services as hub_services
from hub.celery import app as celery_app
from hub.models import Association, Network, Role, User
from hub.permissions import access_for
from hub.tenancy import association_scope
from notifications import services as notification_services
from notifications.models import Notification
from shared_tools import services as tool_services
from shared_tools.diagnostic.questionnaire import load_questionnaire
from shared_tools.models import KnowHowLevel, Stage, Tool, TutorialVisibility, Visibility
from shared_tools.services import StepInput
from tests.factories import AdvisorFactory, AssociationFactory, MembershipFactory, NetworkFactory, UserFactory

PASSWORD = "motdepasse-de-test"
DEMO_PLACES = Path(__file__).resolve().parents[3] / "shared_tools" / "places" / "demo-places-37.csv"
IMPORTED_PLACES = Path(__file__).resolve().parents[3] / "shared_tools" / "data" / "mediation-num-exemple.csv"
PREFIX = "MARKER7f3a"

ANON = "anonymous"
BOB, BERENICE, ALICE = "bob", "berenice", "alice"
CONSEILLER, OTHER_CONSEILLER, CHARLIE, STAFF = "conseiller", "other_conseiller", "charlie", "staff"
ROLES: tuple[str, ...] = (ANON, BOB, BERENICE, ALICE, CONSEILLER, OTHER_CONSEILLER, CHARLIE, STAFF)

# Audiences (who may legitimately read or do something). Staff is an outsider to A: platform
# staff reach A's data through the admin only.
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANON}
NOBODY: frozenset[str] = frozenset()
A_MEMBERS = frozenset({BOB, BERENICE, ALICE})
A_BOARD = frozenset({BERENICE, ALICE})
A_ADMIN = frozenset({ALICE})
A_READERS = A_MEMBERS | {CONSEILLER}  # what members see, conseillers read (while consent stands)
A_HELP = A_BOARD | {CONSEILLER}  # help requests: the board and the network's conseillers
MODERATORS = frozenset({STAFF, CONSEILLER, OTHER_CONSEILLER})  # catalogue proposals


@dataclass(frozen=True)
class Marker:
    kind: str
    audience: frozenset[str]

    @property
    def text(self) -> str:
        return f"{PREFIX}{self.kind}"


@dataclass
class World:
    association: Association
    other_association: Association
    network: Network
    other_network: Network
    users: dict[str, User]
    markers: dict[str, Marker] = field(default_factory=dict)
    # Codes, slugs and tokens the registry builds URLs and bodies from (`world.ref("name")`).
    refs: dict[str, Any] = field(default_factory=dict)
    session_keys: dict[str, str] = field(default_factory=dict)
    _client: Client | None = None

    def mark(self, kind: str, audience: frozenset[str]) -> str:
        assert kind not in self.markers, kind
        self.markers[kind] = Marker(kind, audience)
        return self.markers[kind].text

    def ref(self, name: str) -> Any:
        return self.refs[name]

    def client(self, role: str) -> Client:
        """The one test client (its handler loads the middleware once: WhiteNoise scans every
        static file then), holding only `role`'s session cookie."""
        if self._client is None:
            self._client = Client()
        self._client.cookies = SimpleCookie()
        if role != ANON:
            self._client.cookies[settings.SESSION_COOKIE_NAME] = self.session_keys[role]
        return self._client


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _tool(name: str) -> Tool:
    slug = name.lower().replace(" ", "-")
    return Tool.objects.create(name=name, slug=slug, match_key=slug, short_description="Un outil.")


def plant() -> World:
    """Build the world (inside the caller's transaction). Commit callbacks (fan-out, emails) run
    at once, like a worker would after the commit."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return _plant()
    finally:
        celery_app.conf.task_always_eager = previous


def _member(association: Association, email: str, name: str, role: str) -> User:
    user = UserFactory(email=email, display_name=name)
    MembershipFactory(association=association, user=user, role=role)
    return user


def _plant() -> World:
    a = AssociationFactory(name="Les Amis du Vélo", slug="amis-du-velo", commune="Tours", departement="37")
    b = AssociationFactory(name="Club Échecs de Loches", slug="echecs-loches", commune="Loches", departement="37")
    network = NetworkFactory(name="Réseau Asso 37", slug="asso-37")
    other_network = NetworkFactory(name="Fédération du Cher", slug="federation-cher")
    world = World(association=a, other_association=b, network=network, other_network=other_network, users={})

    bob_email = f"bob.{world.mark('BobEmail', A_BOARD | {BOB})}@exemple.fr"
    users = {
        ALICE: _member(a, "alice@exemple.fr", "Alice Martin", Role.ADMIN),
        BERENICE: _member(a, "berenice@exemple.fr", "Bérénice Petit", Role.BOARD),
        BOB: _member(a, bob_email, "Bob Durand", Role.MEMBER),
        CHARLIE: _member(b, "charlie@exemple.fr", "Charlie Bernard", Role.MEMBER),
        CONSEILLER: UserFactory(email="conseillere@asso37.fr", display_name="Claire Moreau"),
        OTHER_CONSEILLER: UserFactory(email="conseiller@cher.fr", display_name="Denis Roux"),
        STAFF: UserFactory(email="staff@asso-hub.fr", display_name="Sam Staff", is_staff=True, is_superuser=True),
    }
    world.users = users
    AdvisorFactory(network=network, user=users[CONSEILLER])
    AdvisorFactory(network=other_network, user=users[OTHER_CONSEILLER])
    alice, berenice, bob, conseiller = users[ALICE], users[BERENICE], users[BOB], users[CONSEILLER]
    refs = world.refs
    refs |= {"slug": a.slug, "other_slug": b.slug, "network": network.slug, "other_network": other_network.slug}

    def access(user: User):  # type: ignore[no-untyped-def]
        with scopes_disabled():
            return access_for(user, a)

    # Tools of the catalogue (global).
    used, spare, other = _tool("Outil Velo"), _tool("Framadate"), _tool("Nextcloud")
    refs |= {"tool": used.slug, "tool_pk": used.pk, "spare_tool": spare.slug, "spare_tool_pk": spare.pk}
    refs |= {"other_tool": other.slug}

    with association_scope(a):
        hub_services.update_association(
            access=access(alice), description=world.mark("AssociationDescription", A_READERS)
        )
        # Follow-ups: asso-37 asked and A consented; federation-cher asked and waits.
        hub_services.request_followup(user=conseiller, network=network, association=a)
        link = hub_services.consent_followup(access=access(alice), network=network)
        refs["network_link"] = link.code
        pending = hub_services.request_followup(user=users[OTHER_CONSEILLER], network=other_network, association=a)
        refs["pending_link"] = pending.code

        # Members, invitations.
        with scopes_disabled():
            refs["bob_membership"] = bob.memberships.get(association=a).code
            refs["berenice_membership"] = berenice.memberships.get(association=a).code
            refs["alice_membership"] = alice.memberships.get(association=a).code
            bob_membership = bob.memberships.get(association=a)
        invitation = hub_services.invite_member(
            access=access(alice),
            email=f"{world.mark('InvitationEmail', A_BOARD)}@exemple.fr",
            role=Role.MEMBER,
            message=world.mark("InvitationMessage", A_BOARD),
        )
        refs["invitation"] = invitation.code
        # An invitation to charlie's address: its emailed link is the capability the invitation
        # routes are tried with (only charlie may accept it).
        to_charlie = hub_services.invite_member(
            access=access(alice),
            email=users[CHARLIE].email,
            role=Role.MEMBER,
            message=world.mark("InvitationToCharlie", A_BOARD | {CHARLIE}),
        )
        refs["invitation_token"] = hub_services.invitation_token(to_charlie)

        # Stack, its history and know-how.
        usage = tool_services.add_tool_to_stack(
            access=access(alice),
            tool=used,
            stage=Stage.TRIAL,
            purpose=world.mark("StackPurpose", A_READERS),
            visibility=Visibility.MEMBERS,
            reason=world.mark("StackAddReason", A_READERS),
        )
        usage = tool_services.change_stage(
            access=access(alice), usage=usage, to_stage=Stage.ADOPTED, reason=world.mark("StackStageReason", A_READERS)
        )
        refs["usage"] = usage.code
        # A tool added by mistake (no stage change yet): the one that may still be removed.
        fresh = tool_services.add_tool_to_stack(access=access(alice), tool=other, stage=Stage.CONSIDERED)
        refs["usage_fresh"] = fresh.code
        referent = tool_services.declare_referent(
            access=access(bob), tool=used, level=KnowHowLevel.MASTERS, note=world.mark("ReferentNote", A_READERS)
        )
        refs["referent"] = referent.code

        # A tool proposed to the catalogue by bob: the proposer and the moderators read it.
        proposal = tool_services.propose_tool(
            access=access(bob),
            name=f"Outil {world.mark('ToolProposal', MODERATORS | {BOB})}",
            description="Un outil de cartographie.",
        )
        refs["tool_proposal"] = proposal.code

        # Tutorials: a draft, an association-only one (with an image, a question and an answer),
        # a network one and a public one.
        draft = tool_services.create_tutorial(
            access=access(bob),
            title=world.mark("TutorialDraft", A_READERS),
            steps=[StepInput(body="Ouvrez l'outil.")],
            tools=[used],
        )
        refs["tutorial_draft"] = draft.code
        image = SimpleUploadedFile("etape.png", png_bytes(), content_type="image/png")
        from shared_tools.images import clean_image

        assoc = tool_services.create_tutorial(
            access=access(alice),
            title=world.mark("TutorialAssoc", A_READERS),
            summary=world.mark("TutorialSummary", A_READERS),
            steps=[
                StepInput(body=world.mark("TutorialStep", A_READERS)),
                StepInput(body="Cliquez sur Partager.", image=clean_image(image, size=image.size), image_alt="Écran"),
            ],
            tools=[used],
            visibility=TutorialVisibility.ASSOCIATION,
        )
        assoc = tool_services.publish_tutorial(access=access(alice), tutorial=assoc)
        refs["tutorial"] = assoc.code
        with scopes_disabled():
            steps = list(assoc.steps.order_by("position"))
        refs["tutorial_step"] = steps[0].code
        refs["tutorial_image_step"] = steps[1].code
        tool_services.mark_helped(user=bob, tutorial=assoc)
        question = tool_services.ask_question(user=bob, tutorial=assoc, body=world.mark("TutorialQuestion", A_READERS))
        refs["tutorial_question"] = question.code
        tool_services.answer_question(user=alice, question=question, body=world.mark("TutorialAnswer", A_READERS))
        network_tutorial = tool_services.create_tutorial(
            access=access(alice),
            title=world.mark("TutorialNetwork", A_READERS),
            steps=[StepInput(body="Pour le réseau.")],
            visibility=TutorialVisibility.NETWORK,
        )
        refs["tutorial_network"] = tool_services.publish_tutorial(access=access(alice), tutorial=network_tutorial).code
        public = tool_services.create_tutorial(
            access=access(alice),
            title=world.mark("TutorialPublic", EVERYONE),
            steps=[StepInput(body="Pour tout le monde.")],
            visibility=TutorialVisibility.PUBLIC,
        )
        refs["tutorial_public"] = tool_services.publish_tutorial(access=access(alice), tutorial=public).code

        # Governance: a draft, an open vote (a comment, bob's ballot), a secret vote (a receipt),
        # a closed one with its decision and statement.
        draft_proposal = governance_services.create_proposal(
            access=access(alice),
            title=world.mark("ProposalDraft", A_READERS),
            body=world.mark("ProposalDraftBody", A_READERS),
            electorate="members",
            quorum_percent=0,
        )
        refs["proposal_draft"] = draft_proposal.code
        open_proposal = governance_services.create_proposal(
            access=access(alice),
            title=world.mark("ProposalOpen", A_READERS),
            body=world.mark("ProposalOpenBody", A_READERS),
            electorate="members",
            quorum_percent=0,
            results_hidden=False,
            allow_vote_change=True,
        )
        open_proposal = governance_services.open_proposal(
            access=access(alice), proposal=open_proposal, closes_at=timezone.now() + timedelta(days=7)
        )
        refs["proposal_open"] = open_proposal.code
        governance_services.cast_vote(
            access=access(bob), proposal=open_proposal, choice="for", reason=world.mark("BallotReason", A_READERS)
        )
        comment = governance_services.add_comment(
            access=access(bob), proposal=open_proposal, body=world.mark("Comment", A_READERS)
        )
        refs["comment"] = comment.code
        secret = governance_services.create_proposal(
            access=access(alice),
            title=world.mark("ProposalSecret", A_READERS),
            method=Method.SINGLE,
            options=[
                governance_services.OptionSpec(label=world.mark("OptionOne", A_READERS)),
                governance_services.OptionSpec(label="Option deux"),
            ],
            electorate="members",
            quorum_percent=0,
            anonymous=True,
            allow_vote_change=True,
        )
        secret = governance_services.open_proposal(
            access=access(alice), proposal=secret, closes_at=timezone.now() + timedelta(days=7)
        )
        refs["proposal_secret"] = secret.code
        with scopes_disabled():
            options = list(secret.options.order_by("position"))
        refs["secret_option"] = str(options[0].code)
        refs["secret_option_two"] = str(options[1].code)
        cast = governance_services.cast_vote(
            access=access(bob), proposal=secret, choice="options", options=[str(options[0].code)]
        )
        refs["receipt"] = cast.receipt
        closed = governance_services.create_proposal(
            access=access(alice),
            title=world.mark("ProposalClosed", A_READERS),
            electorate="members",
            quorum_percent=0,
        )
        closed = governance_services.open_proposal(
            access=access(alice), proposal=closed, closes_at=timezone.now() + timedelta(days=7)
        )
        governance_services.cast_vote(
            access=access(berenice), proposal=closed, choice="for", reason=world.mark("ClosedBallotReason", A_READERS)
        )
        decision = governance_services.close_proposal(proposal_id=closed.pk, access=access(alice))
        assert decision is not None
        refs["proposal_closed"] = closed.code
        refs["decision"] = decision.code
        governance_services.record_statement(
            access=access(alice), decision=decision, statement=world.mark("DecisionStatement", A_READERS)
        )
        # A second decision without a statement, for the statement routes.
        bare = governance_services.create_proposal(
            access=access(alice), title=world.mark("ProposalBare", A_READERS), electorate="members", quorum_percent=0
        )
        bare = governance_services.open_proposal(
            access=access(alice), proposal=bare, closes_at=timezone.now() + timedelta(days=7)
        )
        bare_decision = governance_services.close_proposal(proposal_id=bare.pk, access=access(alice))
        assert bare_decision is not None
        refs["decision_bare"] = bare_decision.code

        # Help requests to the network, with a conseiller's reply.
        help_request = hub_services.open_help_request(
            access=access(berenice),
            user=berenice,
            network=network,
            title=world.mark("HelpTitle", A_HELP),
            message=world.mark("HelpMessage", A_HELP),
        )
        refs["help_request"] = help_request.code
        with scopes_disabled():
            conseiller_access = access_for(conseiller, a)
        hub_services.reply_to_help_request(
            access=conseiller_access, user=conseiller, help_request=help_request, body=world.mark("HelpReply", A_HELP)
        )
        # A conseiller's read, logged for the administrators.
        hub_services.log_advisor_read(
            access=conseiller_access,
            user=conseiller,
            path=f"/a/{a.slug}/?{world.mark('ReadLogPath', A_ADMIN | {CONSEILLER})}",
        )

        # Diagnostic: an assessment (every first answer), its roadmap; one step postponed.
        questionnaire = load_questionnaire()
        answers = {q.id: q.answers[0].id for d in questionnaire.dimensions for q in d.questions}
        refs["diagnostic_answers"] = answers
        assessment = tool_services.take_assessment(access=access(alice), answers=answers)
        refs["assessment"] = assessment.code
        from shared_tools.models import RoadmapStep

        steps_of_a = list(RoadmapStep.objects.filter(association=a).order_by("proposed_at", "pk"))
        assert len(steps_of_a) >= 2, steps_of_a
        refs["roadmap_step"] = steps_of_a[0].code
        refs["roadmap_step_two"] = steps_of_a[1].code

        # Notifications: preferences, a followed page, bob's own notifications (fanned out on commit).
        notification_services.set_subscription(
            user=bob, association=a, target_kind="proposal", target_code=open_proposal.code, state="follow"
        )
        refs["unsubscribe_token"] = notification_services.unsubscribe_token(user=bob, association=a)

    # Places are open data (global); workshops belong to a network and reach the members of the
    # associations it follows: asso-37's reaches A (bob registered), federation-cher's reaches
    # nobody (A never consented to it).
    from shared_tools.models import Place
    from shared_tools.places.services import import_places
    from shared_tools.workshops import services as workshop_services

    import_places(user=None, content=DEMO_PLACES.read_bytes())
    refs["place"] = Place.objects.order_by("pk").first().code  # type: ignore[union-attr]
    starts = timezone.now() + timedelta(days=10)
    workshop = workshop_services.publish_workshop(
        user=conseiller,
        network=network,
        details=workshop_services.WorkshopDetails(
            title=world.mark("WorkshopTitle", A_MEMBERS | {CONSEILLER}),
            description=world.mark("WorkshopDescription", A_MEMBERS | {CONSEILLER}),
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=10,
            location_detail="Salle des fêtes",
        ),
    )
    refs["workshop"] = workshop.code
    with association_scope(a):
        workshop_services.register_for_workshop(access=access(bob), workshop=workshop)
    elsewhere = workshop_services.publish_workshop(
        user=users[OTHER_CONSEILLER],
        network=other_network,
        details=workshop_services.WorkshopDetails(
            title=world.mark("WorkshopOtherNetwork", frozenset({OTHER_CONSEILLER})),
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            capacity=10,
            location_detail="Salle des fêtes",
        ),
    )
    refs["other_workshop"] = elsewhere.code
    world.refs["calendar_token"] = calendar_token(bob_membership)
    world.refs["reset_uid"] = urlsafe_base64_encode(force_bytes(bob.pk))
    from django.contrib.auth.tokens import default_token_generator

    world.refs["reset_token"] = default_token_generator.make_token(bob)
    world.refs["bob_password"] = PASSWORD
    world.refs["bob_email"] = bob.email
    return world


def finish(world: World) -> None:
    """After the commit callbacks ran: bob's notification, and one session per role."""
    with scopes_disabled():
        notification = Notification.objects.filter(recipient=world.users[BOB], association=world.association).first()
    assert notification is not None, "the planted events reached nobody"
    world.refs["notification"] = notification.code
    for role, user in world.users.items():
        client = Client()
        client.force_login(user)
        world.session_keys[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    _admin_objects(world)


def _admin_objects(world: World) -> None:
    """For each model in the admin, the id of one of A's rows (or a row tied to A) to open."""
    from django.contrib import admin
    from django.contrib.contenttypes.models import ContentType

    a = world.association
    with scopes_disabled():
        for model in admin.site._registry:
            meta = model._meta
            field_names = {f.name for f in meta.get_fields()}
            rows = model._default_manager.all()
            if "association" in field_names:
                rows = rows.filter(association=a)
            elif model is User:
                rows = rows.filter(pk=world.users[BOB].pk)
            elif model is Association:
                rows = rows.filter(pk=a.pk)
            row = rows.order_by("pk").first() or model._default_manager.order_by("pk").first()
            world.refs[f"admin-object:{meta.app_label}_{meta.model_name}"] = str(row.pk) if row else "0"
    world.refs["admin:app_label"] = "hub"
    world.refs["admin:unknown"] = "nulle-part/"
    world.refs["admin:ct"] = ContentType.objects.get_for_model(Association).pk
    world.refs["admin:obj"] = a.pk
