import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_scopes import scopes_disabled

from hub import services
from hub.models import Association, Invitation, Membership, NetworkMembership, Role
from hub.tenancy import association_scope
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _in_association_scope(association):
    # Services run inside the scope their entry point (request, task) opened; so do these tests.
    with association_scope(association):
        yield


def memberships(association):
    with scopes_disabled():
        return {m.user.email: (m.role, m.is_active) for m in Membership.objects.filter(association=association)}


def test_sign_up_refuses_a_taken_address_whatever_its_case(alice):
    with pytest.raises(ValidationError) as exc:
        services.sign_up(email="ALICE@exemple.fr", display_name="Autre Alice", password="une-phrase-assez-longue")
    assert "email" in exc.value.error_dict


def test_sign_up_refuses_a_weak_password(db):
    with pytest.raises(ValidationError):
        services.sign_up(email="nouveau@exemple.fr", display_name="Nouveau", password="123")


def test_creating_an_association_makes_its_creator_the_admin(db):
    creator = UserFactory(email="fondatrice@exemple.fr")
    association = services.create_association(creator=creator, name="Jardin Partagé", slug="jardin-partage")
    assert memberships(association) == {"fondatrice@exemple.fr": (Role.ADMIN, True)}


@pytest.mark.parametrize(
    ("field", "value"),
    [("rna", "W12345"), ("rna", "372004512"), ("siren", "443061842"), ("siren", "12345678A"), ("departement", "99")],
)
def test_badly_formed_french_identifiers_are_refused(db, field, value):
    creator = UserFactory()
    with pytest.raises(ValidationError) as exc:
        services.create_association(creator=creator, name="Test", slug="test-ids", **{field: value})
    assert field in exc.value.error_dict
    assert not Association.objects.filter(slug="test-ids").exists()


@pytest.mark.parametrize(("field", "value"), [("rna", "W372004512"), ("siren", "443061841"), ("departement", "2A")])
def test_well_formed_french_identifiers_are_accepted(db, field, value):
    association = services.create_association(creator=UserFactory(), name="Test", slug="test-ok", **{field: value})
    assert getattr(association, field) == value


def test_board_invites_a_member_and_the_invitee_joins(berenice, association, access_of):
    invitation = services.invite_member(access=access_of(berenice), email="Nouvelle@Exemple.fr", role=Role.MEMBER)
    newcomer = UserFactory(email="nouvelle@exemple.fr")
    membership = services.accept_invitation(token=services.invitation_token(invitation), user=newcomer)
    assert membership.role == Role.MEMBER
    assert memberships(association)["nouvelle@exemple.fr"] == (Role.MEMBER, True)


def test_a_board_member_cannot_invite_an_administrator(berenice, access_of):
    with pytest.raises(PermissionDenied):
        services.invite_member(access=access_of(berenice), email="chef@exemple.fr", role=Role.ADMIN)


def test_a_member_cannot_invite(bob, access_of):
    with pytest.raises(PermissionDenied):
        services.invite_member(access=access_of(bob), email="ami@exemple.fr")


def test_inviting_an_existing_member_is_refused(alice, bob, access_of):
    with pytest.raises(ValidationError) as exc:
        services.invite_member(access=access_of(alice), email="bob@exemple.fr")
    assert "email" in exc.value.error_dict


def test_a_second_pending_invitation_to_the_same_address_is_refused(alice, access_of, association):
    services.invite_member(access=access_of(alice), email="x@exemple.fr")
    with pytest.raises(ValidationError):
        services.invite_member(access=access_of(alice), email="x@exemple.fr")
    with scopes_disabled():
        assert Invitation.objects.filter(association=association, email="x@exemple.fr").count() == 1


def test_a_used_invitation_cannot_be_used_again(alice, access_of):
    invitation = services.invite_member(access=access_of(alice), email="nouvelle@exemple.fr")
    token = services.invitation_token(invitation)
    newcomer = UserFactory(email="nouvelle@exemple.fr")
    services.accept_invitation(token=token, user=newcomer)
    with pytest.raises(ValidationError) as exc:
        services.accept_invitation(token=token, user=newcomer)
    assert exc.value.code == "used"


def test_an_expired_invitation_is_refused_and_nothing_changes(alice, access_of, association):
    invitation = services.invite_member(access=access_of(alice), email="tard@exemple.fr")
    token = services.invitation_token(invitation)
    latecomer = UserFactory(email="tard@exemple.fr")
    with time_machine.travel(timezone.now() + timezone.timedelta(days=15)), pytest.raises(ValidationError) as exc:
        services.accept_invitation(token=token, user=latecomer)
    assert exc.value.code == "expired"
    assert "tard@exemple.fr" not in memberships(association)


def test_a_revoked_invitation_is_refused(alice, access_of, association):
    invitation = services.invite_member(access=access_of(alice), email="annule@exemple.fr")
    services.revoke_invitation(access=access_of(alice), invitation=invitation)
    with pytest.raises(ValidationError) as exc:
        services.accept_invitation(
            token=services.invitation_token(invitation), user=UserFactory(email="annule@exemple.fr")
        )
    assert exc.value.code == "revoked"


def test_a_forged_token_is_refused(db):
    with pytest.raises(ValidationError) as exc:
        services.accept_invitation(token="bm90LWEtdG9rZW4:forged", user=UserFactory())
    assert exc.value.code == "invalid"


def test_an_invitation_for_another_address_is_refused(alice, access_of, association, charlie):
    invitation = services.invite_member(access=access_of(alice), email="destinataire@exemple.fr")
    with pytest.raises(ValidationError) as exc:
        services.accept_invitation(token=services.invitation_token(invitation), user=charlie)
    assert exc.value.code == "wrong_user"
    assert "charlie@exemple.fr" not in memberships(association)


def test_an_invitation_brings_back_a_member_who_had_left(alice, bob, access_of, association):
    services.leave_association(access=access_of(bob))
    invitation = services.invite_member(access=access_of(alice), email="bob@exemple.fr", role=Role.BOARD)
    services.accept_invitation(token=services.invitation_token(invitation), user=bob)
    assert memberships(association)["bob@exemple.fr"] == (Role.BOARD, True)


def test_admin_changes_a_role(alice, bob, access_of, association):
    with scopes_disabled():
        membership = Membership.objects.get(user=bob)
    services.change_role(access=access_of(alice), membership=membership, role=Role.BOARD)
    assert memberships(association)["bob@exemple.fr"] == (Role.BOARD, True)


def test_board_cannot_change_roles(berenice, bob, access_of):
    with scopes_disabled():
        membership = Membership.objects.get(user=bob)
    with pytest.raises(PermissionDenied):
        services.change_role(access=access_of(berenice), membership=membership, role=Role.ADMIN)


def test_the_last_admin_cannot_be_demoted(alice, association, access_of):
    with scopes_disabled():
        membership = Membership.objects.get(user=alice)
    with pytest.raises(ValidationError):
        services.change_role(access=access_of(alice), membership=membership, role=Role.MEMBER)
    assert memberships(association)["alice@exemple.fr"] == (Role.ADMIN, True)


def test_the_last_admin_cannot_leave_but_can_once_another_admin_exists(alice, bob, association, access_of):
    with pytest.raises(ValidationError):
        services.leave_association(access=access_of(alice))
    with scopes_disabled():
        bob_membership = Membership.objects.get(user=bob)
    services.change_role(access=access_of(alice), membership=bob_membership, role=Role.ADMIN)
    services.leave_association(access=access_of(alice))
    assert memberships(association)["alice@exemple.fr"] == (Role.ADMIN, False)
    assert access_of(alice) is None


def test_the_last_admin_cannot_be_removed(alice, association, access_of):
    with scopes_disabled():
        membership = Membership.objects.get(user=alice)
    with pytest.raises(ValidationError):
        services.remove_member(access=access_of(alice), membership=membership)


def test_consent_grants_a_conseiller_read_access_and_revoking_it_ends_access(
    alice, association, network, other_conseiller, access_of
):
    from tests.factories import AdvisorFactory

    advisor = UserFactory(email="nouveau-conseiller@exemple.fr")
    AdvisorFactory(network=network, user=advisor)
    assert access_of(advisor) is None
    link = services.request_followup(user=advisor, network=network, association=association)
    assert access_of(advisor) is None, "a request without consent grants nothing"
    services.consent_followup(access=access_of(alice), network=network)
    access = access_of(advisor)
    assert access is not None
    assert access.has("governance.proposals:view")
    assert not access.has("governance.votes:cast")
    assert not access.has("hub.members:manage")
    services.end_followup(user=alice, link=link, access=access_of(alice))
    assert access_of(advisor) is None
    assert access_of(other_conseiller) is None


def test_only_an_admin_consents_to_a_followup(berenice, network, access_of, association):
    with pytest.raises(PermissionDenied):
        services.consent_followup(access=access_of(berenice), network=network)
    with scopes_disabled():
        assert not NetworkMembership.objects.filter(association=association).exists()


def test_a_conseiller_of_another_network_cannot_request_in_its_name(other_conseiller, network, association):
    with pytest.raises(PermissionDenied):
        services.request_followup(user=other_conseiller, network=network, association=association)


def test_accepting_an_invitation_tells_the_board(alice, berenice, association, access_of):
    from notifications.models import Event, Notification

    invitation = services.invite_member(access=access_of(alice), email="nouvelle@exemple.fr")
    newcomer = UserFactory(email="nouvelle@exemple.fr", display_name="Nina Nouvelle")
    services.accept_invitation(token=services.invitation_token(invitation), user=newcomer)
    event = Event.objects.get(kind="invitation.accepted")
    assert (event.actor_id, event.title) == (newcomer.pk, "Nina Nouvelle")
    from notifications.tasks import fan_out_event

    fan_out_event.apply(kwargs={"event_id": event.pk, "association_id": association.pk})
    recipients = set(Notification.objects.values_list("recipient__email", flat=True))
    assert recipients == {"alice@exemple.fr", "berenice@exemple.fr"}
