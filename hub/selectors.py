"""Reads on people, associations and networks. Each selector owns its joins."""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from .models import (
    OPEN_HELP_STATUSES,
    AdvisorReadLog,
    Association,
    HelpMessage,
    HelpRequest,
    Invitation,
    Membership,
    Network,
    NetworkMembership,
    Role,
    User,
)

ROLE_ORDER = Case(
    When(role=Role.ADMIN, then=Value(0)),
    When(role=Role.BOARD, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def memberships_of_user(user: User) -> QuerySet[Membership]:
    """The user's active memberships across associations, with the association joined.

    Crosses tenants on purpose (it is the user's own list), so it names its scope bypass.
    """
    return (
        Membership.objects.with_scopes_disabled()
        .filter(user=user, is_active=True)
        .select_related("association")
        .order_by("association__name")
    )


def members_of(association: Association) -> QuerySet[Membership]:
    """Active members, administrators first, then board, then by name. Needs the association scope."""
    return (
        association.memberships.filter(is_active=True)
        .select_related("user")
        .annotate(role_rank=ROLE_ORDER)
        .order_by("role_rank", "user__display_name", "pk")
    )


def member_counts(association: Association) -> dict[str, int]:
    """How many active members hold each role."""
    counts = association.memberships.filter(is_active=True).values("role").annotate(n=Count("pk"))
    result = {role: 0 for role in Role.values}
    result.update({row["role"]: row["n"] for row in counts})
    return result


def pending_invitations(association: Association) -> QuerySet[Invitation]:
    """Invitations not yet accepted, cancelled or expired, newest first."""
    return association.invitations.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("invited_by")


def network_links_of(association: Association) -> QuerySet[NetworkMembership]:
    """The association's follow-ups, open ones first."""
    return association.network_links.select_related("network", "requested_by", "consented_by", "revoked_by").order_by(
        "revoked_at", "-requested_at"
    )


def networks_of_advisor(user: User) -> QuerySet[Network]:
    """Networks the user is a conseiller of."""
    return Network.objects.filter(advisor_links__user=user).order_by("name")


def followed_associations(network: Network) -> QuerySet[Association]:
    """Associations that currently consent to the network's follow-up, with their member count."""
    return (
        Association.objects.filter(
            network_links__network=network,
            network_links__consented_at__isnull=False,
            network_links__revoked_at__isnull=True,
        )
        .annotate(member_count=Count("memberships", filter=Q(memberships__is_active=True), distinct=True))
        .order_by("name")
    )


def pending_followups(network: Network) -> QuerySet[NetworkMembership]:
    """Follow-up requests of the network still waiting for the association's consent."""
    return (
        NetworkMembership.objects.with_scopes_disabled()
        .filter(network=network, consented_at__isnull=True, revoked_at__isnull=True)
        .select_related("association")
        .order_by("association__name")
    )


def followed_association_ids(network: Network) -> list[int]:
    """Ids of the associations that consent to the network's follow-up now (one query)."""
    return list(
        NetworkMembership.objects.with_scopes_disabled()
        .filter(network=network, consented_at__isnull=False, revoked_at__isnull=True)
        .values_list("association_id", flat=True)
    )


def advisor_reads_of(association: Association) -> QuerySet[AdvisorReadLog]:
    """Reads of the association's data by conseillers, newest first, with the person and network."""
    return AdvisorReadLog.objects.filter(association=association).select_related("advisor", "network")


def help_requests_of(association: Association) -> QuerySet[HelpRequest]:
    """The association's help requests, open ones first then by last message, with `message_count`."""
    return (
        HelpRequest.objects.filter(association=association)
        .select_related("network", "opened_by")
        .annotate(
            message_count=Count("messages"),
            is_closed=Case(When(status__in=OPEN_HELP_STATUSES, then=Value(0)), default=Value(1)),
        )
        .order_by("is_closed", "-last_message_at", "-pk")
    )


def help_requests_for_network(network: Network, association_ids: list[int]) -> QuerySet[HelpRequest]:
    """Requests addressed to the network by the given associations (those that consent to it, from
    `followed_association_ids`), open ones first. Needs a scope covering those associations."""
    return (
        HelpRequest.objects.filter(network=network, association_id__in=association_ids)
        .select_related("association", "opened_by")
        .annotate(
            message_count=Count("messages"),
            is_closed=Case(When(status__in=OPEN_HELP_STATUSES, then=Value(0)), default=Value(1)),
        )
        .order_by("is_closed", "-last_message_at", "-pk")
    )


def help_messages_of(help_request: HelpRequest) -> QuerySet[HelpMessage]:
    """The thread, oldest first, with the authors."""
    return HelpMessage.objects.filter(help_request=help_request).select_related("author").order_by("created_at", "pk")


def active_networks_of(association: Association) -> QuerySet[Network]:
    """Networks that follow the association with its consent now (those it may ask for help)."""
    return Network.objects.filter(
        association_links__association=association,
        association_links__consented_at__isnull=False,
        association_links__revoked_at__isnull=True,
    ).order_by("name")
