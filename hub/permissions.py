"""Who may do what in an association: the one table, and the access a request carries.

Roles map to permission strings `"<app>.<thing>:<action>"`. Conseillers of a network that the
association consented to get the read-only subset; they never write and never vote. Apps add
predicates in their own `permissions.py` that combine these strings with state (phase,
deadline); the same predicate hides the button, guards the view and is re-checked in the service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser

from .models import HelpRequest, HelpStatus, Membership, NetworkMembership, Role

if TYPE_CHECKING:
    from .models import Association, User

MEMBER_PERMISSIONS: frozenset[str] = frozenset(
    {
        "hub.association:view",
        "hub.members:view",
        "hub.networks:view",
        "hub.membership:leave",
        "shared_tools.stack:view",
        "shared_tools.referents:declare",
        "shared_tools.tools:propose",
        "shared_tools.tutorials:view",
        "shared_tools.tutorials:write",
        "shared_tools.help:request",
        "shared_tools.diagnostic:view",
        "governance.proposals:view",
        "governance.votes:cast",
        "governance.comments:write",
        "governance.decisions:view",
        "notifications.inbox:view",
    }
)
BOARD_PERMISSIONS: frozenset[str] = MEMBER_PERMISSIONS | {
    "hub.invitations:view",
    "hub.invitations:manage",
    "shared_tools.stack:change",
    "shared_tools.diagnostic:take",
    # Edit, publish and delete any tutorial of the association, not only one's own.
    "shared_tools.tutorials:moderate",
    "governance.proposals:open",
    "governance.proposals:close",
    "governance.decisions:write",
    "hub.help:request",
    "hub.help:view",
    "hub.help:reply",
    "hub.help:close",
}
ADMIN_PERMISSIONS: frozenset[str] = BOARD_PERMISSIONS | {
    "hub.association:change",
    "hub.members:manage",
    "hub.invitations:grant_admin",
    "hub.networks:consent",
    "hub.data:export",
    "hub.reads:view",
}
# Conseillers read what the association shows its members and nothing else: no write, no vote,
# no invitations (they carry email addresses), no export of personal data.
ADVISOR_PERMISSIONS: frozenset[str] = frozenset(
    {
        "hub.association:view",
        "hub.members:view",
        "hub.networks:view",
        "shared_tools.stack:view",
        "shared_tools.tutorials:view",
        "shared_tools.diagnostic:view",
        "governance.proposals:view",
        "governance.decisions:view",
        "hub.help:view",
    }
)

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.MEMBER: MEMBER_PERMISSIONS,
    Role.BOARD: BOARD_PERMISSIONS,
    Role.ADMIN: ADMIN_PERMISSIONS,
}
ALL_PERMISSIONS: frozenset[str] = ADMIN_PERMISSIONS | ADVISOR_PERMISSIONS


@dataclass(frozen=True)
class Access:
    """What one user may do in one association: through a membership, a network follow-up, or both."""

    association: Association
    membership: Membership | None = None
    advisor_network_ids: tuple[int, ...] = field(default_factory=tuple)

    @property
    def user(self) -> User | None:
        return self.membership.user if self.membership else None

    @property
    def role(self) -> str | None:
        return self.membership.role if self.membership else None

    @property
    def is_member(self) -> bool:
        return self.membership is not None

    @property
    def is_advisor(self) -> bool:
        return bool(self.advisor_network_ids)

    @property
    def permissions(self) -> frozenset[str]:
        granted: frozenset[str] = frozenset()
        if self.membership is not None:
            granted = ROLE_PERMISSIONS[self.membership.role]
        if self.advisor_network_ids:
            granted = granted | ADVISOR_PERMISSIONS
        return granted

    def has(self, permission: str) -> bool:
        if permission not in ALL_PERMISSIONS:
            raise ValueError(f"Unknown permission {permission!r}: add it to hub/permissions.py.")
        return permission in self.permissions


def access_for(user: User | AnonymousUser, association: Association) -> Access | None:
    """The user's access to the association, or None for an outsider (who must get a 404)."""
    if not user.is_authenticated or not user.is_active:
        return None
    membership = (
        Membership.objects.with_scope(association=association.pk)
        .select_related("user")
        .filter(user=user, is_active=True)
        .first()
    )
    network_ids = tuple(
        NetworkMembership.objects.with_scope(association=association.pk)
        .filter(consented_at__isnull=False, revoked_at__isnull=True, network__advisor_links__user=user)
        .values_list("network_id", flat=True)
    )
    if membership is None and not network_ids:
        return None
    if membership is not None:
        membership.association = association
    return Access(association=association, membership=membership, advisor_network_ids=network_ids)


# Predicates for hub itself ---------------------------------------------------------------


def can_change_role(access: Access, target: Membership) -> bool:
    return access.has("hub.members:manage") and target.association_id == access.association.pk


def can_invite_with_role(access: Access, role: str) -> bool:
    if role == Role.ADMIN:
        return access.has("hub.invitations:grant_admin")
    return access.has("hub.invitations:manage")


def can_remove_member(access: Access, target: Membership) -> bool:
    return access.has("hub.members:manage") and target.association_id == access.association.pk


def can_leave(access: Access) -> bool:
    return access.has("hub.membership:leave")


# Help requests ------------------------------------------------------------------------------
# Conseillers never hold a write permission of the table (their access is read-only). A help
# thread is the one exception, and a narrow one: the association asked the network, so the
# conseillers of a network it consented to may answer and move the request's status. That
# right is granted here, by predicate, so ADVISOR_PERMISSIONS stays the read-only subset.

# Who moves a request where: conseillers take it, finish it and may reopen it; the association
# may close it (its problem is solved, or it no longer needs help).
ADVISOR_HELP_MOVES: dict[str, frozenset[str]] = {
    HelpStatus.NEW: frozenset({HelpStatus.IN_PROGRESS, HelpStatus.DONE}),
    HelpStatus.IN_PROGRESS: frozenset({HelpStatus.DONE}),
    HelpStatus.DONE: frozenset({HelpStatus.IN_PROGRESS}),
}
ASSOCIATION_HELP_MOVES: dict[str, frozenset[str]] = {
    HelpStatus.NEW: frozenset({HelpStatus.DONE}),
    HelpStatus.IN_PROGRESS: frozenset({HelpStatus.DONE}),
    HelpStatus.DONE: frozenset(),
}


def can_view_help(access: Access) -> bool:
    return access.has("hub.help:view")


def can_request_help(access: Access) -> bool:
    return access.has("hub.help:request")


def can_reply_to_help(access: Access, help_request: HelpRequest) -> bool:
    if help_request.association_id != access.association.pk or not help_request.is_open:
        return False
    return access.has("hub.help:reply") or access.is_advisor


def help_moves(access: Access, help_request: HelpRequest) -> frozenset[str]:
    """The statuses the caller may move the request to (empty for a member or an outsider)."""
    if help_request.association_id != access.association.pk:
        return frozenset()
    moves: frozenset[str] = frozenset()
    if access.is_advisor:
        moves |= ADVISOR_HELP_MOVES[help_request.status]
    if access.has("hub.help:close"):
        moves |= ASSOCIATION_HELP_MOVES[help_request.status]
    return moves


def can_move_help(access: Access, help_request: HelpRequest, status: str) -> bool:
    return status in help_moves(access, help_request)


def is_advisor_only(access: Access) -> bool:
    """A conseiller reading an association they are not a member of: such reads are logged."""
    return access.is_advisor and not access.is_member
