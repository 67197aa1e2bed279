"""Users, associations (the tenants), memberships, invitations and networks.

Every association-owned model has a direct `association` FK, a `ScopedManager` (queries outside
an association scope raise `ScopeError`) and a UUID `code` used in URLs.
"""

import uuid
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from .validators import validate_departement, validate_rna, validate_siren


def time_zone_choices() -> list[tuple[str, str]]:
    # Not stored as model choices: the list follows the machine's tz database, and a migration
    # must not change when that database does.
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones()) if "/" in name]


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone."), code="invalid_time_zone") from exc


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        # Logins are case-insensitive: emails are stored lower-cased.
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with an email address."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=150)
    language = models.CharField(_("preferred language"), max_length=8, choices=settings.LANGUAGES, default="fr")
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone], default="Europe/Paris")
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Set when the person deleted their account: the row stays (votes, messages and logs point to
    # it) with everything that identified them erased (`hub.personal_data.delete_account`).
    deleted_at = models.DateTimeField(_("deleted on"), null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        if self.deleted_at is not None:
            return str(_("Deleted account"))
        return self.display_name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name


class Electorate(models.TextChoices):
    BOARD = "board", _("Board members")
    MEMBERS = "members", _("All members")


class Threshold(models.TextChoices):
    SIMPLE = "simple", _("Simple majority")
    TWO_THIRDS = "two_thirds", _("Two-thirds majority")
    UNANIMITY = "unanimity", _("Unanimity (no blocking objection)")


class Association(models.Model):
    """The tenant. Governance defaults seed every new proposal's rules."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name in addresses"), max_length=80, unique=True)
    rna = models.CharField(_("RNA number"), max_length=10, blank=True, validators=[validate_rna])
    siren = models.CharField(_("SIREN number"), max_length=9, blank=True, validators=[validate_siren])
    commune = models.CharField(_("commune"), max_length=120, blank=True)
    departement = models.CharField(_("département"), max_length=3, blank=True, validators=[validate_departement])
    description = models.TextField(_("description"), blank=True)
    default_electorate = models.CharField(
        _("who votes by default"), max_length=16, choices=Electorate.choices, default=Electorate.BOARD
    )
    default_quorum_percent = models.PositiveSmallIntegerField(
        _("default quorum (percentage of voters)"),
        default=50,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    default_threshold = models.CharField(
        _("default majority"), max_length=16, choices=Threshold.choices, default=Threshold.SIMPLE
    )
    default_voting_days = models.PositiveSmallIntegerField(
        _("default voting period (days)"), default=7, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    members_can_propose = models.BooleanField(_("members can open proposals"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("association")
        verbose_name_plural = _("associations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["rna"], condition=~Q(rna=""), name="association_rna_unique"),
            models.CheckConstraint(condition=Q(default_quorum_percent__lte=100), name="association_quorum_at_most_100"),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    MEMBER = "member", _("Member")
    BOARD = "board", _("Board")
    ADMIN = "admin", _("Administrator")


class Membership(models.Model):
    """A user's place in an association. Leaving keeps the row (history) and clears `is_active`."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["association", "user"], name="membership_unique_per_association"),
        ]
        indexes = [models.Index(fields=["user", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.association} ({self.role})"


def default_invitation_expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)


class Invitation(models.Model):
    """An emailed, signed, expiring invitation. Accepting it creates (or reactivates) a membership."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    message = models.TextField(_("personal message"), blank=True, max_length=2000)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=default_invitation_expiry)
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            # One pending invitation per address and association; old ones stay as history.
            models.UniqueConstraint(
                fields=["association", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.association}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class NetworkKind(models.TextChoices):
    FEDERATION = "federation", _("Federation")
    SUPPORT_POINT = "support_point", _("Support point for associations")
    LOCAL_NETWORK = "local_network", _("Local network")


class Network(models.Model):
    """A federation or support point whose conseillers follow associations that consent."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name in addresses"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=NetworkKind.choices, default=NetworkKind.SUPPORT_POINT)
    territory = models.CharField(_("territory"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    advisors = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Advisor", related_name="advised_networks")

    class Meta:
        verbose_name = _("network")
        verbose_name_plural = _("networks")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Advisor(models.Model):
    """A conseiller: a user who works for a network."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="advisor_links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="advisor_links")
    title = models.CharField(_("title"), max_length=120, blank=True)
    since = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("conseiller")
        verbose_name_plural = _("conseillers")
        constraints = [models.UniqueConstraint(fields=["network", "user"], name="advisor_unique_per_network")]

    def __str__(self) -> str:
        return f"{self.user} ({self.network})"


class NetworkMembership(models.Model):
    """A follow-up link between an association and a network.

    Requested by a conseiller or by the association; it grants read access only once an admin of
    the association has consented, and until it is revoked. A revoked link stays as history and a
    new request creates a new row.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="network_links")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="association_links")
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    consented_at = models.DateTimeField(null=True, blank=True)
    consented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("network follow-up")
        verbose_name_plural = _("network follow-ups")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["association", "network"],
                condition=Q(revoked_at__isnull=True),
                name="network_link_one_open_per_pair",
            ),
            models.CheckConstraint(
                condition=Q(consented_at__isnull=True) | Q(consented_by__isnull=False),
                name="network_link_consent_has_author",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.association} ↔ {self.network}"

    @property
    def is_active(self) -> bool:
        return self.consented_at is not None and self.revoked_at is None

    @property
    def is_pending(self) -> bool:
        return self.consented_at is None and self.revoked_at is None


class AdvisorReadLog(models.Model):
    """One read of the association's data by a conseiller who is not a member of it.

    Written by the gates (`frontend.access.association_view`, `hub.api_support.AssociationPermission`
    and the network dashboard) before the data is served, one INSERT per request: a read that
    cannot be recorded is not served. Shown to the association's administrators.
    """

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="advisor_reads")
    # The network through which the conseiller reads (the lowest id when several consented).
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    advisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    path = models.CharField(_("address read"), max_length=300)
    # The URL name (e.g. `frontend:stack`): what was read, in words the page can translate later.
    what = models.CharField(_("page or resource"), max_length=120, blank=True)
    read_at = models.DateTimeField(_("read on"), default=timezone.now)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("conseiller read")
        verbose_name_plural = _("conseiller reads")
        ordering = ["-read_at", "-pk"]
        # The administrators' page lists one association's reads, newest first.
        indexes = [models.Index(fields=["association", "-read_at"])]

    def __str__(self) -> str:
        return f"{self.advisor_id} read {self.path} @ {self.read_at:%Y-%m-%d %H:%M}"


class HelpStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")


OPEN_HELP_STATUSES = (HelpStatus.NEW, HelpStatus.IN_PROGRESS)


class HelpRequest(models.Model):
    """An association asks one of the networks that follow it for help on a topic.

    The tool is named by its catalogue slug and a snapshot of its name, not a foreign key: hub does
    not depend on shared_tools (same choice as `ToolUsageChange.decision_code`).
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="help_requests")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="help_requests")
    title = models.CharField(_("topic"), max_length=200)
    tool_slug = models.SlugField(_("tool"), max_length=200, blank=True)
    tool_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=HelpStatus.choices, default=HelpStatus.NEW)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("help request")
        verbose_name_plural = _("help requests")
        ordering = ["-last_message_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="done", closed_at__isnull=False) | (~Q(status="done") & Q(closed_at__isnull=True)),
                name="help_request_closed_when_done",
            ),
        ]
        # The dashboard counts open requests per association and network.
        indexes = [models.Index(fields=["association", "network", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != HelpStatus.DONE


class HelpMessage(models.Model):
    """One message of a help request's thread, by a board member, an administrator or a conseiller."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="help_messages")
    help_request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    # Kept on the row: the author may stop being a conseiller, the thread must still read right.
    by_advisor = models.BooleanField(default=False)
    body = models.TextField(_("message"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("help message")
        verbose_name_plural = _("help messages")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.help_request_id}: {self.body[:40]}"
