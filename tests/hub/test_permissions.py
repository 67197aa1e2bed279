"""The permission table, role by role: one row per (role, permission) that matters."""

import pytest

from hub.permissions import ALL_PERMISSIONS

ROLES = ["alice", "berenice", "bob", "conseiller", "other_conseiller", "charlie"]

# permission → the cast members who hold it in association A
MATRIX = {
    "hub.association:view": {"alice", "berenice", "bob", "conseiller"},
    "hub.members:view": {"alice", "berenice", "bob", "conseiller"},
    "hub.invitations:manage": {"alice", "berenice"},
    "hub.invitations:grant_admin": {"alice"},
    "hub.members:manage": {"alice"},
    "hub.association:change": {"alice"},
    "hub.networks:consent": {"alice"},
    "shared_tools.stack:view": {"alice", "berenice", "bob", "conseiller"},
    "shared_tools.stack:change": {"alice", "berenice"},
    "governance.proposals:view": {"alice", "berenice", "bob", "conseiller"},
    "governance.proposals:open": {"alice", "berenice"},
    "governance.votes:cast": {"alice", "berenice", "bob"},
    "governance.comments:write": {"alice", "berenice", "bob"},
    "hub.data:export": {"alice"},
}


@pytest.mark.parametrize("permission", sorted(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(request, access_of, role, permission, alice, berenice, bob, conseiller):
    user = request.getfixturevalue(role)
    access = access_of(user)
    holds = access is not None and access.has(permission)
    assert holds is (role in MATRIX[permission])


def test_outsiders_have_no_access_at_all(access_of, charlie, other_conseiller):
    assert access_of(charlie) is None
    assert access_of(other_conseiller) is None


def test_a_conseiller_never_holds_a_write_permission(access_of, conseiller):
    access = access_of(conseiller)
    writes = {p for p in access.permissions if not p.endswith(":view")}
    assert writes == set()


def test_an_unknown_permission_string_is_a_programming_error(access_of, alice):
    with pytest.raises(ValueError):
        access_of(alice).has("hub.typo:view")


def test_every_permission_is_named_app_thing_action():
    for permission in ALL_PERMISSIONS:
        app, _, rest = permission.partition(".")
        thing, _, action = rest.partition(":")
        assert app and thing and action, permission
