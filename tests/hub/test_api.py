"""The hub REST API under /api/v1/: happy paths, the error body, tenancy, the role matrix,
invitations, query counts, token auth and the OpenAPI schema."""

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_scopes import scopes_disabled
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.authtoken.models import Token

from hub import services
from hub.models import Association, Invitation, Membership, NetworkMembership, Role
from tests.conftest import PASSWORD
from tests.factories import (
    AdvisorFactory,
    AssociationFactory,
    InvitationFactory,
    MembershipFactory,
    NetworkFactory,
    NetworkMembershipFactory,
    UserFactory,
)

API = "/api/v1"
A = f"{API}/associations/amis-du-velo"


def french(message: str) -> str:
    """The message as a French-speaking caller receives it (translations are added later)."""
    with translation.override("fr"):
        return gettext(message)


@pytest.fixture
def as_user(db):
    """`as_user(user)` → a test client signed in as that user (a fresh one per call)."""

    def _as(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return _as


@pytest.fixture
def invitation(association, alice):
    return InvitationFactory(association=association, email="nouvelle@exemple.fr", invited_by=alice)


@pytest.fixture
def codes(association, bob, invitation, conseiller):
    """Real codes of A's rows, to show that knowing one does not open a door."""
    with scopes_disabled():
        return {
            "bob": Membership.objects.get(association=association, user=bob).code,
            "invitation": invitation.code,
            "link": NetworkMembership.objects.get(association=association).code,
        }


def a_endpoints(codes) -> list[tuple[str, str, dict | None]]:
    """Every endpoint of association A, with a body that would change something."""
    return [
        ("get", f"{A}/", None),
        ("patch", f"{A}/", {"name": "Les Amis Piratés"}),
        ("get", f"{A}/memberships/", None),
        ("patch", f"{A}/memberships/{codes['bob']}/", {"role": "admin"}),
        ("delete", f"{A}/memberships/{codes['bob']}/", None),
        ("post", f"{A}/memberships/leave/", None),
        ("get", f"{A}/invitations/", None),
        ("post", f"{A}/invitations/", {"email": "intrus@exemple.fr", "role": "admin"}),
        ("delete", f"{A}/invitations/{codes['invitation']}/", None),
        ("get", f"{A}/networks/", None),
        ("post", f"{A}/networks/asso-37/consent/", None),
        ("post", f"{A}/networks/federation-cher/consent/", None),
        ("post", f"{A}/networks/{codes['link']}/end/", None),
    ]


def call(client: Client, method: str, url: str, data: dict | None = None, **extra):
    if method == "get":
        return client.get(url, **extra)
    return getattr(client, method)(url, data, content_type="application/json", **extra)


def snapshot(association) -> dict:
    """Everything the API could change in one association."""
    with scopes_disabled():
        return {
            "association": Association.objects.filter(pk=association.pk).values().get(),
            "memberships": set(
                Membership.objects.filter(association=association).values_list("code", "role", "is_active")
            ),
            "invitations": set(
                Invitation.objects.filter(association=association).values_list(
                    "code", "email", "role", "accepted_at", "revoked_at"
                )
            ),
            "links": set(
                NetworkMembership.objects.filter(association=association).values_list(
                    "code", "network__slug", "consented_at", "revoked_at"
                )
            ),
        }


def membership_of(user, association) -> Membership:
    with scopes_disabled():
        return Membership.objects.get(user=user, association=association)


# The signed-in person ---------------------------------------------------------------------


def test_me_shows_the_profile(as_user, alice):
    response = as_user(alice).get(f"{API}/me/")

    assert response.status_code == 200
    assert response.json() == {
        "code": str(alice.code),
        "email": "alice@exemple.fr",
        "display_name": "Alice Martin",
        "language": "fr",
        "time_zone": "Europe/Paris",
    }


def test_me_can_be_patched_one_field_at_a_time(as_user, alice):
    response = call(as_user(alice), "patch", f"{API}/me/", {"language": "en"})

    assert response.status_code == 200
    alice.refresh_from_db()
    assert (alice.language, alice.display_name, alice.time_zone) == ("en", "Alice Martin", "Europe/Paris")
    assert response.json()["language"] == "en"


def test_an_unknown_time_zone_is_refused_on_its_field(as_user, alice):
    response = call(as_user(alice), "patch", f"{API}/me/", {"time_zone": "Europe/Atlantis"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"time_zone": [french("Unknown time zone.")]}
    alice.refresh_from_db()
    assert alice.time_zone == "Europe/Paris"


# Associations -----------------------------------------------------------------------------


def test_associations_list_shows_memberships_and_followed_associations_with_the_role(as_user, cast, association):
    alice_sees = as_user(cast["alice"]).get(f"{API}/associations/").json()
    conseiller_sees = as_user(cast["conseiller"]).get(f"{API}/associations/").json()
    charlie_sees = as_user(cast["charlie"]).get(f"{API}/associations/").json()

    assert alice_sees == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "slug": "amis-du-velo",
                "name": "Les Amis du Vélo",
                "commune": "Tours",
                "departement": "37",
                "description": "",
                "role": "admin",
            }
        ],
    }
    assert [(row["slug"], row["role"]) for row in conseiller_sees["results"]] == [("amis-du-velo", "conseiller")]
    assert [(row["slug"], row["role"]) for row in charlie_sees["results"]] == [("echecs-loches", "member")]


def test_a_member_who_also_follows_as_conseiller_is_listed_once_with_the_role(as_user, conseiller, association):
    MembershipFactory(association=association, user=conseiller, role=Role.BOARD)
    other = AssociationFactory(name="Aïkido Club", slug="aikido")
    with scopes_disabled():
        network = conseiller.advisor_links.get().network
    NetworkMembershipFactory(association=other, network=network, consented_at=timezone.now(), consented_by=conseiller)

    rows = as_user(conseiller).get(f"{API}/associations/").json()["results"]

    assert [(row["slug"], row["role"]) for row in rows] == [("aikido", "conseiller"), ("amis-du-velo", "board")]


def test_associations_list_leaves_out_left_associations_and_ended_follow_ups(as_user, bob, conseiller, association):
    with scopes_disabled():
        Membership.objects.filter(user=bob).update(is_active=False)
        NetworkMembership.objects.filter(association=association).update(revoked_at=timezone.now())

    assert as_user(bob).get(f"{API}/associations/").json()["results"] == []
    assert as_user(conseiller).get(f"{API}/associations/").json()["results"] == []


def test_association_detail_shows_governance_defaults_and_the_callers_role(as_user, bob, conseiller):
    by_bob = as_user(bob).get(f"{A}/").json()
    by_conseiller = as_user(conseiller).get(f"{A}/").json()

    assert by_bob["name"] == "Les Amis du Vélo"
    assert by_bob["role"] == "member"
    assert by_bob["default_electorate"] == "board"
    assert by_bob["default_quorum_percent"] == 50
    assert by_conseiller["role"] == "conseiller"


def test_an_admin_changes_details_and_governance_defaults(as_user, alice, association):
    body = {"description": "Ateliers de réparation", "default_quorum_percent": 60, "default_threshold": "two_thirds"}

    response = call(as_user(alice), "patch", f"{A}/", body)

    assert response.status_code == 200
    assert response.json()["default_threshold"] == "two_thirds"
    association.refresh_from_db()
    assert association.description == "Ateliers de réparation"
    assert association.default_quorum_percent == 60
    assert association.name == "Les Amis du Vélo"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"default_quorum_percent": 150}, "default_quorum_percent"),
        ({"default_threshold": "plurality"}, "default_threshold"),
        ({"departement": "99"}, "departement"),  # the model's validator, through the service
        ({"rna": "12345"}, "rna"),
    ],
)
def test_invalid_association_changes_are_refused_on_their_field(as_user, alice, association, body, field):
    before = snapshot(association)

    response = call(as_user(alice), "patch", f"{A}/", body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == [field]
    assert snapshot(association) == before


# Members ----------------------------------------------------------------------------------


def test_members_list_puts_admins_first_then_the_board(as_user, alice, berenice, bob, association):
    response = as_user(alice).get(f"{A}/memberships/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["display_name"], row["role"]) for row in rows] == [
        ("Alice Martin", "admin"),
        ("Bérénice Petit", "board"),
        ("Bob Durand", "member"),
    ]
    assert rows[2]["email"] == "bob@exemple.fr"
    assert rows[2]["code"] == str(membership_of(bob, association).code)


@pytest.mark.parametrize(
    ("who", "sees_emails"),
    [("alice", True), ("berenice", True), ("bob", False), ("conseiller", False)],
)
def test_only_the_board_and_admins_see_members_emails(as_user, cast, who, sees_emails):
    rows = as_user(cast[who]).get(f"{A}/memberships/").json()["results"]

    assert len(rows) == 3
    assert all(("email" in row) is sees_emails for row in rows)
    assert all({"code", "display_name", "role", "joined_at"} <= set(row) for row in rows)


def test_an_admin_changes_a_members_role(as_user, alice, bob, association):
    code = membership_of(bob, association).code

    response = call(as_user(alice), "patch", f"{A}/memberships/{code}/", {"role": "board"})

    assert response.status_code == 200
    assert response.json()["role"] == "board"
    assert membership_of(bob, association).role == Role.BOARD


def test_an_unknown_role_is_refused(as_user, alice, bob, association):
    code = membership_of(bob, association).code

    response = call(as_user(alice), "patch", f"{A}/memberships/{code}/", {"role": "president"})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["role"]
    assert membership_of(bob, association).role == Role.MEMBER


def test_an_admin_removes_a_member_who_then_loses_access(as_user, alice, bob, association):
    code = membership_of(bob, association).code

    response = call(as_user(alice), "delete", f"{A}/memberships/{code}/")

    assert response.status_code == 204
    assert membership_of(bob, association).is_active is False
    assert as_user(bob).get(f"{A}/").status_code == 404
    # A removed member's code is gone from the API, like an unknown one.
    assert call(as_user(alice), "delete", f"{A}/memberships/{code}/").status_code == 404


def test_a_member_leaves(as_user, bob, association):
    response = call(as_user(bob), "post", f"{A}/memberships/leave/")

    assert response.status_code == 204
    assert membership_of(bob, association).is_active is False


def test_the_last_admin_cannot_be_demoted_removed_or_leave(as_user, alice, bob, association):
    code = membership_of(alice, association).code
    client = as_user(alice)
    before = snapshot(association)
    expected = french("The association needs at least one administrator: name another one first.")

    for method, url, body in [
        ("patch", f"{A}/memberships/{code}/", {"role": "member"}),
        ("delete", f"{A}/memberships/{code}/", None),
        ("post", f"{A}/memberships/leave/", None),
    ]:
        response = call(client, method, url, body)
        assert response.status_code == 400, (method, url)
        assert response.json() == {"error": {"code": "invalid", "message": expected}}

    assert snapshot(association) == before


def test_an_admin_can_step_down_once_another_admin_exists(as_user, alice, berenice, association):
    client = as_user(alice)
    call(client, "patch", f"{A}/memberships/{membership_of(berenice, association).code}/", {"role": "admin"})

    response = call(client, "patch", f"{A}/memberships/{membership_of(alice, association).code}/", {"role": "member"})

    assert response.status_code == 200
    assert membership_of(alice, association).role == Role.MEMBER


# Invitations ------------------------------------------------------------------------------


def test_the_board_invites_someone_and_the_email_is_sent_after_commit(
    as_user, berenice, association, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = call(
            as_user(berenice), "post", f"{A}/invitations/", {"email": "Nouvelle@Exemple.fr", "message": "Bienvenue !"}
        )

    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["role"], body["invited_by"], body["sent_at"]) == (
        "nouvelle@exemple.fr",
        "member",
        "Bérénice Petit",
        None,
    )
    assert "token" not in body
    assert len(callbacks) == 1
    with scopes_disabled():
        assert Invitation.objects.get(code=body["code"]).association == association


def test_pending_invitations_are_listed_for_the_board(as_user, berenice, invitation):
    response = as_user(berenice).get(f"{A}/invitations/")

    assert response.status_code == 200
    assert [(row["code"], row["email"], row["invited_by"]) for row in response.json()["results"]] == [
        (str(invitation.code), "nouvelle@exemple.fr", "Alice Martin")
    ]


def test_an_invalid_email_gets_the_error_body_in_french(as_user, alice, association):
    before = snapshot(association)

    response = call(as_user(alice), "post", f"{A}/invitations/", {"email": "pas-une-adresse"})

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": french("The data sent is not valid."),
            "fields": {"email": ["Saisissez une adresse e-mail valide."]},
        }
    }
    assert snapshot(association) == before


def test_inviting_a_member_again_is_refused_on_the_email_field(as_user, alice, bob):
    response = call(as_user(alice), "post", f"{A}/invitations/", {"email": "bob@exemple.fr"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "email": [french("This person is already a member of the association.")]
    }


def test_an_invitation_is_revoked_once(as_user, alice, invitation):
    client = as_user(alice)

    first = call(client, "delete", f"{A}/invitations/{invitation.code}/")
    second = call(client, "delete", f"{A}/invitations/{invitation.code}/")

    assert first.status_code == 204
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert second.status_code == 400
    assert second.json()["error"]["message"] == french("This invitation was already accepted or cancelled.")


def test_an_invitation_of_another_association_cannot_be_revoked_through_this_one(as_user, alice, other_association):
    elsewhere = InvitationFactory(association=other_association, email="ailleurs@exemple.fr")

    response = call(as_user(alice), "delete", f"{A}/invitations/{elsewhere.code}/")

    assert response.status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.revoked_at is None


def test_accepting_an_invitation_joins_the_association_with_its_role(as_user, association, alice):
    invitation = InvitationFactory(association=association, email="nouvelle@exemple.fr", role=Role.BOARD)
    newcomer = UserFactory(email="nouvelle@exemple.fr", display_name="Nora Leroy")

    response = call(
        as_user(newcomer), "post", f"{API}/invitations/accept/", {"token": services.invitation_token(invitation)}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["association"] == {"slug": "amis-du-velo", "name": "Les Amis du Vélo"}
    assert body["role"] == "board"
    assert membership_of(newcomer, association).role == Role.BOARD
    assert as_user(newcomer).get(f"{A}/").status_code == 200


def test_an_invitation_cannot_be_used_twice(as_user, association, invitation):
    newcomer = UserFactory(email="nouvelle@exemple.fr")
    client = as_user(newcomer)
    token = services.invitation_token(invitation)

    assert call(client, "post", f"{API}/invitations/accept/", {"token": token}).status_code == 200
    response = call(client, "post", f"{API}/invitations/accept/", {"token": token})

    assert response.status_code == 400
    assert response.json() == {"error": {"code": "used", "message": french("This invitation has already been used.")}}


@pytest.mark.parametrize(
    ("expires_in", "travel"),
    [
        (timedelta(days=1), timedelta(days=2)),  # the invitation's own deadline
        (timedelta(days=30), timedelta(days=15)),  # the token's signature is older than the maximum age
    ],
)
def test_an_expired_invitation_is_refused(association, expires_in, travel):
    invitation = InvitationFactory(
        association=association, email="nouvelle@exemple.fr", expires_at=timezone.now() + expires_in
    )
    newcomer = UserFactory(email="nouvelle@exemple.fr")
    token = services.invitation_token(invitation)

    with time_machine.travel(timezone.now() + travel):
        client = Client()
        client.force_login(newcomer)
        response = call(client, "post", f"{API}/invitations/accept/", {"token": token})

    assert response.status_code == 400
    assert response.json()["error"]["message"] == french("This invitation has expired. Ask for a new one.")
    with scopes_disabled():
        assert not Membership.objects.filter(user=newcomer).exists()


def test_an_invitation_for_another_address_or_a_forged_token_is_refused(as_user, bob, invitation):
    token = services.invitation_token(invitation)
    client = as_user(bob)

    wrong_user = call(client, "post", f"{API}/invitations/accept/", {"token": token})
    forged = call(client, "post", f"{API}/invitations/accept/", {"token": token[:-2] + "xx"})

    assert wrong_user.status_code == 400
    assert wrong_user.json()["error"]["message"] == french(
        "This invitation was sent to another email address. Sign in with that address to accept it."
    )
    assert forged.status_code == 400
    assert forged.json()["error"]["message"] == french("This invitation link is not valid.")
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


# Network follow-ups -----------------------------------------------------------------------


def test_networks_list_shows_the_follow_ups(as_user, alice, conseiller, codes):
    rows = as_user(alice).get(f"{A}/networks/").json()["results"]

    assert len(rows) == 1
    assert rows[0]["code"] == str(codes["link"])
    assert rows[0]["network"] == {"slug": "asso-37", "name": "Réseau Asso 37", "kind": "support_point", "territory": ""}
    assert (rows[0]["is_active"], rows[0]["is_pending"], rows[0]["revoked_at"]) == (True, False, None)


def test_an_admin_consents_to_a_network_whose_conseillers_can_then_read(as_user, alice, other_conseiller, association):
    assert as_user(other_conseiller).get(f"{A}/").status_code == 404

    response = call(as_user(alice), "post", f"{A}/networks/federation-cher/consent/")

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert as_user(other_conseiller).get(f"{A}/memberships/").status_code == 200


def test_a_pending_request_gives_no_access_until_consent(as_user, alice, other_conseiller, association):
    with scopes_disabled():
        network = other_conseiller.advisor_links.get().network
    NetworkMembershipFactory(association=association, network=network, requested_by=other_conseiller)

    assert as_user(other_conseiller).get(f"{A}/").status_code == 404
    call(as_user(alice), "post", f"{A}/networks/federation-cher/consent/")
    assert as_user(other_conseiller).get(f"{A}/").status_code == 200


def test_ending_a_follow_up_cuts_the_conseillers_access_at_once(as_user, alice, conseiller, codes):
    client = as_user(alice)

    response = call(client, "post", f"{A}/networks/{codes['link']}/end/")

    assert response.status_code == 200
    assert response.json()["revoked_at"] is not None
    assert as_user(conseiller).get(f"{A}/").status_code == 404
    again = call(client, "post", f"{A}/networks/{codes['link']}/end/")
    assert again.status_code == 400
    assert again.json()["error"]["message"] == french("This follow-up has already ended.")


def test_consenting_to_an_unknown_network_is_a_404(as_user, alice, association):
    response = call(as_user(alice), "post", f"{A}/networks/nulle-part/consent/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# Tenancy: outsiders, conseillers, anonymous -----------------------------------------------


def not_found_body(client: Client) -> dict:
    return client.get(f"{API}/associations/nobody-uses-this-slug/").json()


def test_charlie_gets_the_same_404_everywhere_in_a_and_nothing_changes(as_user, cast, codes, association):
    client = as_user(cast["charlie"])
    before = snapshot(association)
    expected = not_found_body(client)

    for method, url, body in a_endpoints(codes):
        response = call(client, method, url, body)
        assert response.status_code == 404, (method, url)
        assert response.json() == expected, (method, url)

    assert expected == {"error": {"code": "not_found", "message": french("Not found.")}}
    assert snapshot(association) == before


def test_an_unknown_code_gives_the_same_404_as_an_outsider(as_user, alice, association):
    client = as_user(alice)
    unknown = uuid.uuid4()

    for method, url, body in [
        ("patch", f"{A}/memberships/{unknown}/", {"role": "board"}),
        ("delete", f"{A}/memberships/{unknown}/", None),
        ("delete", f"{A}/invitations/{unknown}/", None),
        ("post", f"{A}/networks/{unknown}/end/", None),
    ]:
        response = call(client, method, url, body)
        assert response.status_code == 404, (method, url)
        assert response.json() == not_found_body(client)


def test_a_conseiller_of_a_network_a_never_accepted_gets_404_everywhere(as_user, cast, codes, association):
    client = as_user(cast["other_conseiller"])
    before = snapshot(association)

    for method, url, body in a_endpoints(codes):
        response = call(client, method, url, body)
        assert response.status_code == 404, (method, url)
        assert response.json() == not_found_body(client)

    assert snapshot(association) == before


def test_a_conseiller_reads_a_followed_association_but_every_write_is_forbidden(as_user, cast, codes, association):
    client = as_user(cast["conseiller"])
    before = snapshot(association)

    for method, url, body in a_endpoints(codes):
        response = call(client, method, url, body)
        if method == "get" and not url.endswith("/invitations/"):
            assert response.status_code == 200, (method, url)
        else:
            assert response.status_code == 403, (method, url)
            assert response.json() == {
                "error": {
                    "code": "permission_denied",
                    "message": "Vous n'avez pas la permission d'effectuer cette action.",
                }
            }

    assert snapshot(association) == before


def test_anonymous_callers_get_a_401_with_the_token_challenge(cast, codes, association):
    client = Client()
    before = snapshot(association)

    for method, url, body in [
        *a_endpoints(codes),
        ("get", f"{API}/me/", None),
        ("patch", f"{API}/me/", {"display_name": "X"}),
        ("get", f"{API}/associations/", None),
        ("post", f"{API}/invitations/accept/", {"token": "x"}),
        # An unknown slug answers like a known one: anonymous callers cannot probe.
        ("get", f"{API}/associations/nobody-uses-this-slug/", None),
    ]:
        response = call(client, method, url, body)
        assert response.status_code == 401, (method, url)
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {
            "error": {"code": "not_authenticated", "message": "Informations d'authentification non fournies."}
        }

    assert snapshot(association) == before


# The role matrix --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("alice", 200),
        ("berenice", 200),
        ("bob", 200),
        ("conseiller", 200),
        ("other_conseiller", 404),
        ("charlie", 404),
    ],
)
def test_who_reads_the_members(as_user, cast, who, expected):
    assert as_user(cast[who]).get(f"{A}/memberships/").status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("alice", 200),
        ("berenice", 200),
        ("bob", 403),
        ("conseiller", 403),
        ("other_conseiller", 404),
        ("charlie", 404),
    ],
)
def test_who_reads_the_invitations(as_user, cast, who, expected):
    assert as_user(cast[who]).get(f"{A}/invitations/").status_code == expected


@pytest.mark.parametrize(
    ("who", "role", "expected"),
    [
        ("alice", "member", 201),
        ("alice", "admin", 201),
        ("berenice", "member", 201),
        ("berenice", "board", 201),
        ("berenice", "admin", 403),
        ("bob", "member", 403),
        ("conseiller", "member", 403),
        ("other_conseiller", "member", 404),
        ("charlie", "member", 404),
    ],
)
def test_who_invites_with_which_role(as_user, cast, association, who, role, expected):
    response = call(as_user(cast[who]), "post", f"{A}/invitations/", {"email": "nouvelle@exemple.fr", "role": role})

    assert response.status_code == expected
    with scopes_disabled():
        assert Invitation.objects.filter(association=association).exists() is (expected == 201)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("alice", 200),
        ("berenice", 403),
        ("bob", 403),
        ("conseiller", 403),
        ("other_conseiller", 404),
        ("charlie", 404),
    ],
)
def test_who_changes_roles(as_user, cast, association, who, expected):
    code = membership_of(cast["bob"], association).code

    response = call(as_user(cast[who]), "patch", f"{A}/memberships/{code}/", {"role": "board"})

    assert response.status_code == expected
    assert membership_of(cast["bob"], association).role == (Role.BOARD if expected == 200 else Role.MEMBER)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("alice", 200),
        ("berenice", 403),
        ("bob", 403),
        ("conseiller", 403),
        ("other_conseiller", 404),
        ("charlie", 404),
    ],
)
def test_who_changes_the_association(as_user, cast, association, who, expected):
    response = call(as_user(cast[who]), "patch", f"{A}/", {"default_voting_days": 10})

    assert response.status_code == expected
    association.refresh_from_db()
    assert association.default_voting_days == (10 if expected == 200 else 7)


# Query counts: the same for 1 row and for 50 ----------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_members_list_queries_do_not_grow_with_members(as_user, alice, association, django_assert_num_queries, rows):
    MembershipFactory.create_batch(rows - 1, association=association)
    client = as_user(alice)

    # session, user, association, membership, follow-ups, count, page
    with django_assert_num_queries(7):
        response = client.get(f"{A}/memberships/")

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_associations_list_queries_do_not_grow_with_associations(as_user, django_assert_num_queries, rows):
    member = UserFactory()
    for association in AssociationFactory.create_batch(rows):
        MembershipFactory(association=association, user=member)
    client = as_user(member)

    # session, user, memberships, networks
    with django_assert_num_queries(4):
        response = client.get(f"{API}/associations/")

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_followed_associations_list_queries_do_not_grow_with_associations(as_user, django_assert_num_queries, rows):
    advisor = UserFactory()
    network = NetworkFactory()
    AdvisorFactory(network=network, user=advisor)
    for association in AssociationFactory.create_batch(rows):
        NetworkMembershipFactory(
            association=association, network=network, consented_at=timezone.now(), consented_by=advisor
        )
    client = as_user(advisor)

    # session, user, memberships, networks, followed associations of the one network
    with django_assert_num_queries(5):
        response = client.get(f"{API}/associations/")

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_invitations_list_queries_do_not_grow_with_invitations(
    as_user, alice, association, django_assert_num_queries, rows
):
    InvitationFactory.create_batch(rows, association=association, invited_by=alice)
    client = as_user(alice)

    with django_assert_num_queries(7):
        response = client.get(f"{A}/invitations/")

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_networks_list_queries_do_not_grow_with_follow_ups(
    as_user, alice, association, django_assert_num_queries, rows
):
    for _ in range(rows):
        NetworkMembershipFactory(association=association, requested_by=alice, revoked_at=timezone.now())
    client = as_user(alice)

    with django_assert_num_queries(7):
        response = client.get(f"{A}/networks/")

    assert len(response.json()["results"]) == rows


# Token authentication ---------------------------------------------------------------------


def test_a_script_gets_a_token_and_uses_it(alice):
    client = Client()

    response = call(client, "post", f"{API}/auth/token/", {"email": "Alice@Exemple.fr", "password": PASSWORD})

    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=alice).key
    me = client.get(f"{API}/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert me.status_code == 200
    assert me.json()["email"] == "alice@exemple.fr"
    # Asking again returns the same token rather than piling up new ones.
    again = call(client, "post", f"{API}/auth/token/", {"email": "alice@exemple.fr", "password": PASSWORD})
    assert again.json()["token"] == token


def test_a_wrong_password_gets_no_token(alice):
    response = call(Client(), "post", f"{API}/auth/token/", {"email": "alice@exemple.fr", "password": "faux"})

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "Impossible de se connecter avec les informations d'identification fournies.",
        }
    }
    assert not Token.objects.exists()


def test_a_deactivated_account_gets_no_token_and_its_token_stops_working(alice):
    token = Token.objects.create(user=alice)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    client = Client()

    assert call(client, "post", f"{API}/auth/token/", {"email": alice.email, "password": PASSWORD}).status_code == 400
    assert client.get(f"{API}/me/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 401


def test_a_bad_token_is_a_401(db):
    response = Client().get(f"{API}/me/", HTTP_AUTHORIZATION="Token not-a-real-token")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_token_writes_need_no_csrf_token_but_session_writes_do(alice, association):
    token = Token.objects.create(user=alice)
    with_token = Client(enforce_csrf_checks=True)
    with_session = Client(enforce_csrf_checks=True)
    with_session.force_login(alice)

    by_token = call(with_token, "patch", f"{A}/", {"commune": "Joué-lès-Tours"}, HTTP_AUTHORIZATION=f"Token {token}")
    by_session = call(with_session, "patch", f"{A}/", {"commune": "Amboise"})

    assert by_token.status_code == 200
    assert by_session.status_code == 403
    association.refresh_from_db()
    assert association.commune == "Joué-lès-Tours"


# OpenAPI schema and docs ------------------------------------------------------------------


def test_the_schema_generates_without_warnings_or_errors(tmp_path):
    GENERATOR_STATS.reset()

    # --fail-on-warn raises on any warning; --validate checks against the OpenAPI specification.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert not GENERATOR_STATS


def test_every_endpoint_is_in_the_schema_with_its_serializers(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    a = "/api/v1/associations/{association_slug}"

    assert {
        "/api/v1/auth/token/": {"post"},
        "/api/v1/me/": {"get", "patch"},
        "/api/v1/associations/": {"get"},
        "/api/v1/invitations/accept/": {"post"},
        f"{a}/": {"get", "patch"},
        f"{a}/memberships/": {"get"},
        f"{a}/memberships/{{code}}/": {"patch", "delete"},
        f"{a}/memberships/leave/": {"post"},
        f"{a}/invitations/": {"get", "post"},
        f"{a}/invitations/{{code}}/": {"delete"},
        f"{a}/networks/": {"get"},
        f"{a}/networks/{{network_slug}}/consent/": {"post"},
        f"{a}/networks/{{code}}/end/": {"post"},
    }.items() <= {path: set(operations) - {"parameters"} for path, operations in paths.items()}.items()

    def response_ref(path, method, status="200"):
        return paths[path][method]["responses"][status]["content"]["application/json"]["schema"]["$ref"]

    def request_ref(path, method):
        return paths[path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]

    assert response_ref(f"{a}/memberships/", "get").endswith("/PaginatedMemberList")
    assert response_ref(f"{a}/invitations/", "post", "201").endswith("/Invitation")
    assert request_ref(f"{a}/invitations/", "post").endswith("/InvitationCreateRequest")
    assert request_ref(f"{a}/", "patch").endswith("/PatchedAssociationUpdateRequest")
    assert request_ref("/api/v1/invitations/accept/", "post").endswith("/InvitationAcceptRequest")
    assert response_ref(f"{a}/memberships/{{code}}/", "delete", "404").endswith("/Error")
    assert "204" in paths[f"{a}/memberships/{{code}}/"]["delete"]["responses"]
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}


def test_the_api_docs_load_only_local_assets(client, db, settings):
    # Tests run without `collectstatic`, so the manifest storage of production has no manifest.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }

    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    assert page.status_code == 200
    assert script.status_code == 200
    html = page.content.decode()
    for body in (html, script.content.decode()):
        assert "http://" not in body
        assert "https://" not in body
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    static_assets = [url for url in assets if url.startswith("/static/")]
    assert len(static_assets) >= 3  # css, bundle, preset
    for url in static_assets:
        assert finders.find(url.removeprefix("/static/")), url
    assert all(url.startswith("/") for url in assets)


def test_token_endpoint_slows_down_password_guessing(client, bob):
    # Across accounts (one account is cooled off sooner: tests/security/test_brute_force.py).
    url = "/api/v1/auth/token/"
    statuses = [
        client.post(
            url, {"email": f"personne-{n}@exemple.fr", "password": f"essai-{n}"}, content_type="application/json"
        ).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429


def test_a_service_error_code_reaches_the_api_body(client, alice, association):
    from hub import services
    from hub.tenancy import association_scope
    from tests.factories import UserFactory

    newcomer = UserFactory(email="nouvelle@exemple.fr")
    with association_scope(association):
        from hub.permissions import access_for

        invitation = services.invite_member(access=access_for(alice, association), email="nouvelle@exemple.fr")
    token = services.invitation_token(invitation)
    client.force_login(newcomer)
    first = client.post("/api/v1/invitations/accept/", {"token": token}, content_type="application/json")
    again = client.post("/api/v1/invitations/accept/", {"token": token}, content_type="application/json")
    assert first.status_code == 200
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "used"
