"""Who sees which association's use of a tool on the tool's page (selectors.visible_usages)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django_scopes import scopes_disabled

from hub.models import NetworkMembership, Role
from shared_tools.models import Visibility
from shared_tools.selectors import visible_usages
from tests.factories import AssociationFactory, MembershipFactory, NetworkMembershipFactory, UserFactory
from tests.shared_tools.factories import ToolFactory, ToolUsageFactory


@pytest.fixture
def tools(association):
    """One tool per visibility, each used by association A with that visibility."""
    result = {}
    for visibility in Visibility.values:
        tool = ToolFactory(name=f"Outil {visibility}")
        ToolUsageFactory(association=association, tool=tool, visibility=visibility)
        result[visibility] = tool
    return result


def member_of(association, email):
    user = UserFactory(email=email)
    MembershipFactory(association=association, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def neighbour(network, conseiller):
    """dora: member of an association that also accepted A's network."""
    other = AssociationFactory(name="Jardin Partagé", slug="jardin-partage")
    NetworkMembershipFactory(association=other, network=network, consented_at=timezone.now(), consented_by=conseiller)
    return member_of(other, "dora@exemple.fr")


@pytest.fixture
def pending_neighbour(network, conseiller):
    """eve: member of an association the network asked to follow, which has not consented."""
    other = AssociationFactory(name="Théâtre de Loches", slug="theatre-loches")
    NetworkMembershipFactory(association=other, network=network, requested_by=conseiller)
    return member_of(other, "eve@exemple.fr")


def seen_by(user, tools):
    return {visibility for visibility, tool in tools.items() if visible_usages(tool=tool, user=user).exists()}


PUBLIC = {Visibility.PUBLIC}
NETWORK = {Visibility.PUBLIC, Visibility.NETWORK}
ALL = set(Visibility.values)


@pytest.mark.parametrize(
    ("viewer", "expected"),
    [
        ("anonymous", PUBLIC),
        ("charlie", PUBLIC),
        ("other_conseiller", PUBLIC),
        ("pending_neighbour", PUBLIC),
        ("neighbour", NETWORK),
        ("conseiller", NETWORK),
        ("bob", ALL),
        ("alice", ALL),
    ],
)
def test_each_viewer_sees_the_usages_their_place_allows(request, tools, viewer, expected):
    user = AnonymousUser() if viewer == "anonymous" else request.getfixturevalue(viewer)

    assert seen_by(user, tools) == expected


def test_a_members_only_usage_never_shows_to_outsiders(tools, charlie, neighbour, conseiller):
    members_only = tools[Visibility.MEMBERS]

    for user in (AnonymousUser(), charlie, neighbour, conseiller):
        assert not visible_usages(tool=members_only, user=user).exists()


def test_joining_the_network_shows_network_usages_and_leaving_hides_them(
    tools, charlie, other_association, network, conseiller
):
    assert seen_by(charlie, tools) == PUBLIC

    link = NetworkMembershipFactory(
        association=other_association, network=network, consented_at=timezone.now(), consented_by=charlie
    )
    assert seen_by(charlie, tools) == NETWORK

    with scopes_disabled():
        NetworkMembership.objects.filter(pk=link.pk).update(revoked_at=timezone.now())
    assert seen_by(charlie, tools) == PUBLIC


def test_when_the_association_ends_the_follow_up_its_network_usages_hide(tools, association, neighbour, conseiller):
    with scopes_disabled():
        NetworkMembership.objects.filter(association=association).update(revoked_at=timezone.now())

    assert seen_by(neighbour, tools) == PUBLIC
    assert seen_by(conseiller, tools) == PUBLIC


def test_a_former_member_no_longer_sees_members_only_usages(tools, bob, association):
    from hub.models import Membership

    with scopes_disabled():
        Membership.objects.filter(user=bob, association=association).update(is_active=False)

    assert seen_by(bob, tools) == PUBLIC
