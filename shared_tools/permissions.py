"""Predicates of the shared_tools app: the same function hides a button, guards a view and is
re-checked in the service.

Stack and know-how predicates combine the permission strings of `hub.permissions` with the row:
the row must belong to the association of the access (defence in depth behind the scoped
managers). Catalogue moderation is not tied to an association: platform staff and conseillers
review the proposals of every association.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from hub.models import Advisor, NetworkMembership

from .models import RegistrationStatus, WorkshopStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from hub.models import Membership, User
    from hub.permissions import Access

    from .models import Referent, RoadmapStep, ToolUsage, Tutorial, Workshop, WorkshopRegistration


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


def can_react_to_tutorial(user: User | AnonymousUser, tutorial: Tutorial) -> bool:
    """Mark as helpful, ask a question: a reader who sees the tutorial as a member or as part of its
    audience, never through a conseiller's read-only follow-up (that would write into the association)."""
    from .selectors import visible_tutorials

    return (
        user.is_authenticated
        and visible_tutorials(user=user, read_only_followups=False).filter(pk=tutorial.pk).exists()
    )


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


# Workshops ---------------------------------------------------------------------------------------
# A workshop belongs to a network, not to an association. Its network's conseillers publish,
# change and cancel it and see who comes. Active members of an association see it while that
# network's follow-up of the association stands (consented, not revoked), and may register; nobody
# else sees it (404). After a revocation, registrations already made stand: the person keeps their
# seat and sees that one workshop (to cancel it or add it to a calendar); nobody else of the
# association sees it any more.


def is_network_advisor(user: User | AnonymousUser, network_id: int) -> bool:
    """A conseiller of this network (signed in and active)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return Advisor.objects.filter(user=user, network_id=network_id).exists()


def can_manage_workshops(user: User | AnonymousUser, network_id: int) -> bool:
    """Publish, change and cancel the network's workshops, and read their attendance lists."""
    return is_network_advisor(user, network_id)


def network_follows(association_id: int, network_id: int) -> bool:
    """The network's follow-up of the association stands: consented and not revoked."""
    return (
        NetworkMembership.objects.with_scope(association=association_id)
        .filter(network_id=network_id, consented_at__isnull=False, revoked_at__isnull=True)
        .exists()
    )


def can_see_workshops(access: Access) -> bool:
    """Workshops are for the people of the association: its members (a conseiller uses the network's pages)."""
    return access.is_member


def can_register_for_workshop(access: Access, workshop: Workshop, *, now: datetime) -> bool:
    """A member, through an association the workshop's network follows, before it starts, unless cancelled."""
    return (
        can_see_workshops(access)
        and workshop.status == WorkshopStatus.PUBLISHED
        and workshop.starts_at > now
        and network_follows(access.association.pk, workshop.network_id)
    )


def can_cancel_registration(registration: WorkshopRegistration | None, *, now: datetime) -> bool:
    """One's own seat or place in the waiting list, until the workshop starts."""
    return (
        registration is not None
        and registration.status in (RegistrationStatus.REGISTERED, RegistrationStatus.WAITING)
        and registration.workshop.starts_at > now
    )


# Places ------------------------------------------------------------------------------------------
# Places are open data: anyone reads them. Importing (which creates and updates places for
# everyone) is for platform staff and the conseillers of any network, like catalogue moderation.


def can_import_places(user: User | AnonymousUser) -> bool:
    """Platform staff and conseillers (any user with an Advisor link) import places."""
    return can_moderate_proposals(user)
