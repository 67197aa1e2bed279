"""Predicates of the shared_tools app: the same function hides a button, guards a view and is
re-checked in the service.

Stack and know-how predicates combine the permission strings of `hub.permissions` with the row:
the row must belong to the association of the access (defence in depth behind the scoped
managers). Catalogue moderation is not tied to an association: platform staff and conseillers
review the proposals of every association.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.models import Advisor

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from hub.models import Membership, User
    from hub.permissions import Access

    from .models import Referent, RoadmapStep, ToolUsage, Tutorial


def can_view_stack(access: Access) -> bool:
    return access.has("shared_tools.stack:view")


def can_change_stack(access: Access) -> bool:
    """Add tools, edit them, move them along the lifecycle: the board and administrators."""
    return access.has("shared_tools.stack:change")


def can_change_usage(access: Access, usage: ToolUsage) -> bool:
    return can_change_stack(access) and usage.association_id == access.association.pk


def can_declare_know_how(access: Access, membership: Membership) -> bool:
    """A member declares their own know-how; the board and administrators anyone's in the association."""
    if membership.association_id != access.association.pk or not membership.is_active:
        return False
    if access.membership is not None and membership.pk == access.membership.pk:
        return access.has("shared_tools.referents:declare")
    return can_change_stack(access)


def can_edit_referent(access: Access, referent: Referent) -> bool:
    return referent.association_id == access.association.pk and can_declare_know_how(access, referent.membership)


def can_propose_tool(access: Access) -> bool:
    return access.has("shared_tools.tools:propose")


def can_moderate_proposals(user: User | AnonymousUser) -> bool:
    """Platform staff and the conseillers of any network review proposed tools."""
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_staff) or Advisor.objects.filter(user=user).exists()


# Tutorials ---------------------------------------------------------------------------------------


def can_write_tutorial(access: Access) -> bool:
    return access.has("shared_tools.tutorials:write")


def can_edit_tutorial(access: Access, tutorial: Tutorial) -> bool:
    """Its author while a member, and the board and administrators of the owning association."""
    if tutorial.association_id != access.association.pk or not can_write_tutorial(access):
        return False
    if access.has("shared_tools.tutorials:moderate"):
        return True
    return access.user is not None and tutorial.author_id == access.user.pk


def can_request_help(access: Access) -> bool:
    return access.is_member and access.has("shared_tools.help:request")


# Diagnostic ------------------------------------------------------------------------------------


def can_view_diagnostic(access: Access) -> bool:
    return access.has("shared_tools.diagnostic:view")


def can_take_diagnostic(access: Access) -> bool:
    """The board and administrators take it (with their conseiller or not); conseillers only read."""
    return access.is_member and access.has("shared_tools.diagnostic:take")


def can_act_on_step(access: Access, step: RoadmapStep) -> bool:
    return can_take_diagnostic(access) and step.association_id == access.association.pk
