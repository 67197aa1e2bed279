"""Personal data (RGPD): a person's data export, account deletion, and the registry the apps fill.

hub does not import the other apps (dependencies point to hub). Each app registers, in its
`AppConfig.ready()`, the part it owns (`<app>/personal_data.py`):

- `export(user) -> dict`: what the app holds about the person, as JSON-ready data, in a
  constant number of queries;
- `erase(person)`: detach or pseudonymise the person's rows in that app (runs inside the
  deletion's transaction, before hub erases the account itself);
- `association_export(association, archive)`: the app's files in an association's export.

Reads here cross tenants on purpose (a person's own data in every association): they run with
scopes disabled, like `memberships_of_user`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled
from rest_framework.authtoken.models import Token

from .models import (
    Advisor,
    AdvisorReadLog,
    Association,
    HelpMessage,
    HelpRequest,
    Invitation,
    Membership,
    Role,
    User,
)

if TYPE_CHECKING:
    from .exports import ExportArchive

EXPORT_FORMAT = 1
# What the conseillers' read log calls the pages and endpoints that list an association's members.
MEMBER_LIST_READS = ("frontend:members", "hub_api:membership-list")


@dataclass(frozen=True)
class ErasedPerson:
    """The person being deleted, as they were before anything was erased."""

    user: User
    code: str
    email: str
    display_name: str
    membership_ids: tuple[int, ...]
    erased_at: datetime


Exporter = Callable[[User], dict[str, Any]]
Eraser = Callable[[ErasedPerson], None]
AssociationExporter = Callable[[Association, "ExportArchive"], None]


@dataclass(frozen=True)
class Contributor:
    name: str
    export: Exporter | None = None
    erase: Eraser | None = None
    association_export: AssociationExporter | None = None


_contributors: dict[str, Contributor] = {}


def register(
    name: str,
    *,
    export: Exporter | None = None,
    erase: Eraser | None = None,
    association_export: AssociationExporter | None = None,
) -> None:
    """Add (or replace, on a second `ready()`) an app's part. `name` becomes the export's section."""
    _contributors[name] = Contributor(name=name, export=export, erase=erase, association_export=association_export)


def contributors() -> list[Contributor]:
    return list(_contributors.values())


# A person's own data ---------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def hub_personal_data(user: User) -> dict[str, Any]:
    """The account, memberships, invitations, help requests and conseiller reads (8 queries)."""
    with scopes_disabled():
        memberships = list(
            Membership.objects.filter(user=user).select_related("association").order_by("joined_at", "pk")
        )
        received = Invitation.objects.filter(Q(email__iexact=user.email) | Q(accepted_by=user)).select_related(
            "association", "invited_by"
        )
        sent = Invitation.objects.filter(invited_by=user).select_related("association")
        opened = HelpRequest.objects.filter(opened_by=user).select_related("association", "network")
        messages = HelpMessage.objects.filter(author=user).select_related("association", "help_request")
        advisor_links = Advisor.objects.filter(user=user).select_related("network")
        reads_made = AdvisorReadLog.objects.filter(advisor=user).select_related("association", "network")
        association_ids = [m.association_id for m in memberships]
        reads_about = AdvisorReadLog.objects.filter(
            association_id__in=association_ids, what__in=MEMBER_LIST_READS
        ).select_related("association", "network", "advisor")
        return {
            "account": {
                "code": str(user.code),
                "email": user.email,
                "display_name": user.display_name,
                "language": user.language,
                "time_zone": user.time_zone,
                "date_joined": _iso(user.date_joined),
                "last_login": _iso(user.last_login),
            },
            "memberships": [
                {
                    "association": m.association.name,
                    "association_slug": m.association.slug,
                    "role": m.role,
                    "active": m.is_active,
                    "joined_at": _iso(m.joined_at),
                    "left_at": _iso(m.left_at),
                }
                for m in memberships
            ],
            "invitations_received": [
                {
                    "association": i.association.name,
                    "email": i.email,
                    "role": i.role,
                    "message": i.message,
                    "invited_by": i.invited_by.display_name if i.invited_by else None,
                    "created_at": _iso(i.created_at),
                    "expires_at": _iso(i.expires_at),
                    "accepted_at": _iso(i.accepted_at),
                    "revoked_at": _iso(i.revoked_at),
                }
                for i in received
            ],
            "invitations_sent": [
                {
                    "association": i.association.name,
                    "email": i.email,
                    "role": i.role,
                    "message": i.message,
                    "created_at": _iso(i.created_at),
                    "accepted_at": _iso(i.accepted_at),
                    "revoked_at": _iso(i.revoked_at),
                }
                for i in sent
            ],
            "help_requests_opened": [
                {
                    "association": r.association.name,
                    "network": r.network.name,
                    "topic": r.title,
                    "status": r.status,
                    "created_at": _iso(r.created_at),
                    "closed_at": _iso(r.closed_at),
                }
                for r in opened
            ],
            "help_messages": [
                {
                    "association": m.association.name,
                    "help_request": m.help_request.title,
                    "message": m.body,
                    "as_conseiller": m.by_advisor,
                    "created_at": _iso(m.created_at),
                }
                for m in messages
            ],
            "conseiller_of": [
                {"network": a.network.name, "title": a.title, "since": _iso(a.since)} for a in advisor_links
            ],
            "reads_made_as_conseiller": [
                {
                    "association": r.association.name,
                    "network": r.network.name,
                    "address": r.path,
                    "what": r.what,
                    "read_at": _iso(r.read_at),
                }
                for r in reads_made
            ],
            "member_lists_read_by_conseillers": [
                {
                    "association": r.association.name,
                    "network": r.network.name,
                    "conseiller": r.advisor.display_name,
                    "what": r.what,
                    "read_at": _iso(r.read_at),
                }
                for r in reads_about
            ],
        }


def personal_data(user: User) -> dict[str, Any]:
    """Everything Asso Hub holds about `user`, by app; a constant number of queries."""
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "generated_at": timezone.now().isoformat(),
        "hub": hub_personal_data(user),
    }
    for contributor in contributors():
        if contributor.export is not None:
            data[contributor.name] = contributor.export(user)
    return data


# Deleting an account ---------------------------------------------------------------------------


def deleted_email(user: User) -> str:
    """A unique address nobody can receive mail at (the .invalid TLD is reserved, RFC 2606)."""
    return f"deleted-{user.code.hex}@deleted.invalid"


def last_admin_of(user: User, *, lock: bool = False) -> list[Association]:
    """The associations where `user` is the only active administrator (with `lock`, locks them, in
    id order, as the deletion does; without, for a page that warns beforehand)."""
    with scopes_disabled():
        admin_of = list(
            Membership.objects.filter(user=user, is_active=True, role=Role.ADMIN).values_list(
                "association_id", flat=True
            )
        )
        if not admin_of:
            return []
        # The same lock as the role changes take (hub.services._lock_association): a concurrent
        # demotion of the other administrator cannot pass its check at the same time.
        associations_qs = Association.objects.filter(pk__in=admin_of).order_by("pk")
        associations = list(associations_qs.select_for_update() if lock else associations_qs)
        with_other_admin = set(
            Membership.objects.filter(association_id__in=admin_of, is_active=True, role=Role.ADMIN)
            .exclude(user=user)
            .values_list("association_id", flat=True)
        )
    return [a for a in associations if a.pk not in with_other_admin]


@transaction.atomic
def delete_account(*, user: User, password: str) -> None:
    """Delete the person's account: end their memberships, erase what identifies them, keep what the
    associations need (votes counted but no longer attributable, messages under "former member").

    One transaction: every app's eraser, then the account itself. Raises ValidationError for a wrong
    password, or when they are the last administrator of an association (naming it).
    """
    if not password or not user.check_password(password):
        raise ValidationError({"password": _("This is not your password. Your account was not deleted.")})
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.deleted_at is not None:
        raise ValidationError(_("This account has already been deleted."))
    blocking = last_admin_of(user, lock=True)
    if blocking:
        raise ValidationError(
            _(
                "You are the last administrator of %(associations)s. Name another administrator there first "
                "(or ask the association to do so), then delete your account."
            )
            % {"associations": ", ".join(a.name for a in blocking)},
            code="last_admin",
        )
    now = timezone.now()
    with scopes_disabled():
        membership_ids = tuple(Membership.objects.filter(user=user).values_list("pk", flat=True))
    person = ErasedPerson(
        user=user,
        code=str(user.code),
        email=user.email,
        display_name=user.display_name,
        membership_ids=membership_ids,
        erased_at=now,
    )
    for contributor in contributors():
        if contributor.erase is not None:
            contributor.erase(person)
    _erase_hub(person)


def _erase_hub(person: ErasedPerson) -> None:
    user = person.user
    placeholder = deleted_email(user)
    with scopes_disabled():
        Membership.objects.filter(user=user, is_active=True).update(is_active=False, left_at=person.erased_at)
        Invitation.objects.filter(email__iexact=person.email, accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=person.erased_at
        )
        Invitation.objects.filter(email__iexact=person.email).update(email=placeholder)
        Invitation.objects.filter(invited_by=user).update(invited_by=None)
        HelpRequest.objects.filter(opened_by=user).update(opened_by=None)
        HelpMessage.objects.filter(author=user).update(author=None)
    # No longer a conseiller; the reads they made stay in the associations' log (the log is theirs).
    Advisor.objects.filter(user=user).delete()
    Token.objects.filter(user=user).delete()
    user.groups.clear()
    user.user_permissions.clear()
    user.email = placeholder
    user.display_name = ""
    # Changing the password hash also ends every session: Django checks it on each request.
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.deleted_at = person.erased_at
    user.save()
