"""Writes on users, associations, memberships, invitations and network follow-ups.

Every function is keyword-only, runs in a transaction, re-checks its permission predicate and
raises `PermissionDenied` or `ValidationError` (with a translated message) without changing
anything when it refuses.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import events
from .models import (
    AdvisorReadLog,
    Association,
    HelpMessage,
    HelpRequest,
    HelpStatus,
    Invitation,
    Membership,
    Network,
    NetworkMembership,
    Role,
    User,
)
from .permissions import (
    Access,
    can_change_role,
    can_invite_with_role,
    can_leave,
    can_move_help,
    can_remove_member,
    can_reply_to_help,
    can_request_help,
    is_advisor_only,
)
from .tenancy import association_scope

INVITATION_SALT = "hub.invitation"


# Accounts -------------------------------------------------------------------------------


@transaction.atomic
def sign_up(*, email: str, display_name: str, password: str, language: str = "fr") -> User:
    """Create an account. Raises ValidationError when the address is taken or the password weak."""
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("An account already exists with this email address.")})
    candidate = User(email=email, display_name=display_name.strip(), language=language)
    validate_password(password, user=candidate)
    return User.objects.create_user(
        email=email, password=password, display_name=candidate.display_name, language=language
    )


@transaction.atomic
def update_profile(*, user: User, display_name: str, language: str, time_zone: str) -> User:
    """Save the user's display name, language and time zone."""
    user.display_name = display_name.strip()
    user.language = language
    user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name", "language", "time_zone"])
    return user


# Associations ---------------------------------------------------------------------------


@transaction.atomic
def create_association(*, creator: User, name: str, slug: str, **fields: object) -> Association:
    """Create an association whose first administrator is its creator."""
    association = Association(name=name, slug=slug, **fields)
    association.full_clean()
    association.save()
    with association_scope(association):
        Membership.objects.create(association=association, user=creator, role=Role.ADMIN)
    return association


ASSOCIATION_EDITABLE_FIELDS = (
    "name",
    "rna",
    "siren",
    "commune",
    "departement",
    "description",
    "default_electorate",
    "default_quorum_percent",
    "default_threshold",
    "default_voting_days",
    "members_can_propose",
)


@transaction.atomic
def update_association(*, access: Access, **fields: object) -> Association:
    """Change the association's details and governance defaults (admins only)."""
    if not access.has("hub.association:change"):
        raise PermissionDenied
    unknown = set(fields) - set(ASSOCIATION_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    association = Association.objects.select_for_update().get(pk=access.association.pk)
    for name, value in fields.items():
        setattr(association, name, value)
    association.full_clean()
    association.save(update_fields=list(fields))
    return association


# Invitations ----------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps(str(invitation.code), salt=INVITATION_SALT, compress=True)


def invitation_code_from_token(token: str) -> str:
    """The invitation code in a token. Raises ValidationError when forged or too old."""
    max_age = settings.INVITATION_MAX_AGE_DAYS * 24 * 3600
    try:
        return str(signing.loads(token, salt=INVITATION_SALT, max_age=max_age))
    except signing.SignatureExpired as exc:
        raise ValidationError(_("This invitation has expired. Ask for a new one."), code="expired") from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("This invitation link is not valid."), code="invalid") from exc


@transaction.atomic
def invite_member(*, access: Access, email: str, role: str = Role.MEMBER, message: str = "") -> Invitation:
    """Invite someone by email; the invitation email is sent after commit.

    Raises PermissionDenied (board and admins invite; only admins invite admins) and
    ValidationError (already a member, already invited, bad address or role).
    """
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if not can_invite_with_role(access, role):
        raise PermissionDenied
    association = access.association
    email = email.strip().lower()
    if association.memberships.filter(user__email__iexact=email, is_active=True).exists():
        raise ValidationError({"email": _("This person is already a member of the association.")})
    invitation = Invitation(
        association=association,
        email=email,
        role=role,
        message=message,
        invited_by=access.user,
    )
    invitation.full_clean(exclude=["invited_by", "accepted_by"], validate_constraints=False)
    # Older expired invitations to the same address are closed so the new one can be pending.
    association.invitations.filter(
        email=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=timezone.now()
    ).update(revoked_at=timezone.now())
    try:
        with transaction.atomic():
            invitation.save()
    except IntegrityError as exc:
        raise ValidationError({"email": _("An invitation is already waiting for this address.")}) from exc
    from .tasks import send_invitation_email

    send_invitation_email.delay_on_commit(invitation_id=invitation.pk, association_id=association.pk)
    return invitation


@transaction.atomic
def revoke_invitation(*, access: Access, invitation: Invitation) -> Invitation:
    """Cancel a pending invitation. Raises PermissionDenied, ValidationError if already used."""
    if not access.has("hub.invitations:manage") or invitation.association_id != access.association.pk:
        raise PermissionDenied
    updated = access.association.invitations.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not updated:
        raise ValidationError(_("This invitation was already accepted or cancelled."))
    invitation.refresh_from_db()
    return invitation


def find_invitation(*, token: str) -> Invitation:
    """The invitation behind a token, whatever its state. Raises ValidationError."""
    code = invitation_code_from_token(token)
    # The token is the capability: it names one invitation, of whichever association.
    invitation = (
        Invitation.objects.with_scopes_disabled().select_related("association", "invited_by").filter(code=code).first()
    )
    if invitation is None:
        raise ValidationError(_("This invitation link is not valid."), code="invalid")
    return invitation


@transaction.atomic
def accept_invitation(*, token: str, user: User) -> Membership:
    """Join the association the token invites to. Raises ValidationError (expired, used, revoked,
    sent to another address)."""
    invitation = find_invitation(token=token)
    if invitation.revoked_at is not None:
        raise ValidationError(_("This invitation was cancelled by the association."), code="revoked")
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation has already been used."), code="used")
    if invitation.expires_at <= timezone.now():
        raise ValidationError(_("This invitation has expired. Ask for a new one."), code="expired")
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(
            _("This invitation was sent to another email address. Sign in with that address to accept it."),
            code="wrong_user",
        )
    association = invitation.association
    with association_scope(association):
        # The conditional update is the claim: of two concurrent accepts, one wins.
        claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
            accepted_at=timezone.now(), accepted_by=user
        )
        if not claimed:
            raise ValidationError(_("This invitation has already been used."), code="used")
        membership, created = Membership.objects.get_or_create(
            association=association, user=user, defaults={"role": invitation.role}
        )
        if not created:
            ranks: dict[str, int] = {Role.MEMBER: 0, Role.BOARD: 1, Role.ADMIN: 2}
            if not membership.is_active or ranks[invitation.role] > ranks[membership.role]:
                membership.role = invitation.role
            membership.is_active = True
            membership.left_at = None
            membership.save(update_fields=["role", "is_active", "left_at"])
        events.publish(
            kind="invitation.accepted",
            association_id=association.pk,
            actor_id=user.pk,
            target_kind="membership",
            target_code=membership.code,
            title=user.display_name,
        )
    return membership


# Roles and leaving ----------------------------------------------------------------------


def _lock_association(association: Association) -> Association:
    # Serialises role changes per association so two demotions cannot both pass the
    # last-admin check.
    return Association.objects.select_for_update().get(pk=association.pk)


def _active_admins_other_than(association: Association, membership: Membership) -> int:
    return association.memberships.filter(role=Role.ADMIN, is_active=True).exclude(pk=membership.pk).count()


@transaction.atomic
def change_role(*, access: Access, membership: Membership, role: str) -> Membership:
    """Give a member another role (admins only). The last administrator cannot be demoted."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if not can_change_role(access, membership):
        raise PermissionDenied
    association = _lock_association(access.association)
    membership = association.memberships.select_for_update().get(pk=membership.pk, is_active=True)
    if membership.role == Role.ADMIN and role != Role.ADMIN and not _active_admins_other_than(association, membership):
        raise ValidationError(_("The association needs at least one administrator: name another one first."))
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


def _deactivate(membership: Membership) -> Membership:
    association = _lock_association(membership.association)
    membership = association.memberships.select_for_update().get(pk=membership.pk, is_active=True)
    if membership.role == Role.ADMIN and not _active_admins_other_than(association, membership):
        raise ValidationError(_("The association needs at least one administrator: name another one first."))
    membership.is_active = False
    membership.left_at = timezone.now()
    membership.save(update_fields=["is_active", "left_at"])
    return membership


@transaction.atomic
def leave_association(*, access: Access) -> Membership:
    """Leave the association. The last administrator cannot leave."""
    if access.membership is None or not can_leave(access):
        raise PermissionDenied
    return _deactivate(access.membership)


@transaction.atomic
def remove_member(*, access: Access, membership: Membership) -> Membership:
    """Remove someone from the association (admins only). The last administrator stays."""
    if not can_remove_member(access, membership):
        raise PermissionDenied
    return _deactivate(membership)


# Network follow-up ----------------------------------------------------------------------


@transaction.atomic
def request_followup(*, user: User, network: Network, association: Association) -> NetworkMembership:
    """A conseiller of the network asks to follow the association; it waits for an admin's consent."""
    if not network.advisor_links.filter(user=user).exists():
        raise PermissionDenied
    with association_scope(association):
        existing = NetworkMembership.objects.filter(network=network, revoked_at__isnull=True).first()
        if existing is not None:
            return existing
        return NetworkMembership.objects.create(association=association, network=network, requested_by=user)


@transaction.atomic
def consent_followup(*, access: Access, network: Network) -> NetworkMembership:
    """An admin accepts the network's follow-up (completing a pending request or starting one)."""
    if not access.has("hub.networks:consent") or access.user is None:
        raise PermissionDenied
    _lock_association(access.association)
    link = access.association.network_links.filter(network=network, revoked_at__isnull=True).first()
    now = timezone.now()
    if link is None:
        return NetworkMembership.objects.create(
            association=access.association,
            network=network,
            requested_by=access.user,
            consented_at=now,
            consented_by=access.user,
        )
    if link.consented_at is None:
        link.consented_at = now
        link.consented_by = access.user
        link.save(update_fields=["consented_at", "consented_by"])
    return link


@transaction.atomic
def end_followup(*, user: User, link: NetworkMembership, access: Access | None = None) -> NetworkMembership:
    """End (or decline) a follow-up: an admin of the association or a conseiller of the network may.

    Access stops at once: the next request of a conseiller of that network gets a 404.
    """
    is_admin = (
        access is not None and access.has("hub.networks:consent") and access.association.pk == link.association_id
    )
    is_network_advisor = link.network.advisor_links.filter(user=user).exists()
    if not (is_admin or is_network_advisor):
        raise PermissionDenied
    with association_scope(link.association_id):
        updated = NetworkMembership.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=user
        )
        if not updated:
            raise ValidationError(_("This follow-up has already ended."))
        link.refresh_from_db()
    return link


# Conseillers' reads ---------------------------------------------------------------------------

READ_PATH_MAX = 300


def log_advisor_read(*, access: Access, user: User, path: str, what: str = "") -> AdvisorReadLog | None:
    """Record that a conseiller (not a member) read the association's data; one INSERT.

    Called by the gates before the data is served, outside any transaction of the view. If the
    INSERT fails the error propagates and the read is not served: the association was promised
    that every read is recorded, and the row is cheap. Members' reads record nothing.
    """
    if not is_advisor_only(access):
        return None
    with association_scope(access.association):
        return AdvisorReadLog.objects.create(
            association=access.association,
            network_id=min(access.advisor_network_ids),
            advisor=user,
            path=path[:READ_PATH_MAX],
            what=what[:120],
        )


def log_network_reads(*, user: User, network: Network, association_ids: list[int], path: str, what: str) -> None:
    """Record a conseiller's read of several associations at once (the dashboard): one INSERT.

    The caller passes the associations it has just read, i.e. those that consent to `network`.
    """
    if not association_ids:
        return
    now = timezone.now()
    with association_scope(association_ids):
        AdvisorReadLog.objects.bulk_create(
            [
                AdvisorReadLog(
                    association_id=pk, network=network, advisor=user, path=path[:READ_PATH_MAX], what=what, read_at=now
                )
                for pk in association_ids
            ]
        )


# Help requests --------------------------------------------------------------------------------

HELP_REQUEST_OPENED = "help_request.opened"
HELP_REQUEST_REPLIED = "help_request.replied"


@transaction.atomic
def open_help_request(
    *,
    access: Access,
    user: User,
    network: Network,
    title: str,
    message: str,
    tool_slug: str = "",
    tool_name: str = "",
) -> HelpRequest:
    """The board asks a network that follows the association for help; the message starts the thread.

    Raises PermissionDenied (not board), ValidationError (the network does not follow the association).
    """
    if not can_request_help(access):
        raise PermissionDenied
    association = access.association
    if not association.network_links.filter(
        network=network, consented_at__isnull=False, revoked_at__isnull=True
    ).exists():
        raise ValidationError({"network": _("This network does not follow your association.")})
    title, message = title.strip(), message.strip()
    if not title or not message:
        raise ValidationError(_("A topic and a message are required."))
    now = timezone.now()
    help_request = HelpRequest.objects.create(
        association=association,
        network=network,
        title=title,
        tool_slug=tool_slug,
        tool_name=tool_name,
        opened_by=user,
        created_at=now,
        last_message_at=now,
    )
    HelpMessage.objects.create(
        association=association, help_request=help_request, author=user, body=message, created_at=now
    )
    events.publish(
        kind=HELP_REQUEST_OPENED,
        association_id=association.pk,
        actor_id=user.pk,
        target_kind="help_request",
        target_code=help_request.code,
        title=title,
        data={"network": network.name},
    )
    return help_request


@transaction.atomic
def reply_to_help_request(*, access: Access, user: User, help_request: HelpRequest, body: str) -> HelpMessage:
    """Add a message to an open request's thread. A conseiller's first answer takes a new request
    (new → in progress). Raises PermissionDenied, ValidationError (empty or closed)."""
    help_request = HelpRequest.objects.select_for_update().get(pk=help_request.pk)
    if not help_request.is_open:
        raise ValidationError(_("This help request is closed."), code="closed")
    if not can_reply_to_help(access, help_request):
        raise PermissionDenied
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("The message is empty.")})
    now = timezone.now()
    by_advisor = is_advisor_only(access)
    message = HelpMessage.objects.create(
        association_id=help_request.association_id,
        help_request=help_request,
        author=user,
        by_advisor=by_advisor,
        body=body,
        created_at=now,
    )
    update: dict[str, object] = {"last_message_at": now}
    if by_advisor and help_request.status == HelpStatus.NEW:
        update["status"] = HelpStatus.IN_PROGRESS
    HelpRequest.objects.filter(pk=help_request.pk).update(**update)
    events.publish(
        kind=HELP_REQUEST_REPLIED,
        association_id=help_request.association_id,
        actor_id=user.pk,
        target_kind="help_request",
        target_code=help_request.code,
        title=help_request.title,
        data={"by_advisor": by_advisor},
    )
    return message


@transaction.atomic
def move_help_request(*, access: Access, help_request: HelpRequest, status: str) -> HelpRequest:
    """Change a request's status (`permissions.help_moves`). Raises PermissionDenied, ValidationError
    when another person moved it first."""
    if not can_move_help(access, help_request, status):
        raise PermissionDenied
    closed_at = timezone.now() if status == HelpStatus.DONE else None
    # Conditional update: of two people moving the same request at once, one wins, the other is told.
    moved = HelpRequest.objects.filter(pk=help_request.pk, status=help_request.status).update(
        status=status, closed_at=closed_at
    )
    if not moved:
        raise ValidationError(_("This help request has just been changed by someone else."), code="conflict")
    help_request.status, help_request.closed_at = status, closed_at
    return help_request
