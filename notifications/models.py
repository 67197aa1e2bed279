"""Events (what happened), notifications (event × recipient), preferences, the email outbox and digests.

`Event`, `Notification`, `Preference`, `Subscription` and `OutboxEmail` belong to one association:
direct `association` FK and a `ScopedManager`. `NotificationSettings` (how a person wants to be
reached: digest rhythm, daily cap, quiet hours, pause) and `DigestRun` (one email across all of a
person's associations) belong to a user, like `hub.User` itself, and are not scoped.
"""

import uuid
from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from hub.models import Association


class Category(models.TextChoices):
    """What an event is about, as a member chooses how to hear of it. Other apps pick one."""

    VOTE_REQUIRED = "vote_required", _("Votes I must cast")
    DECISIONS = "decisions", _("Decisions recorded")
    PROPOSALS = "proposals", _("Proposals and discussions")
    TOOLS = "tools", _("Our tools and tutorials")
    HELP = "help", _("Requests for help")
    MEMBERS = "members", _("New members")
    NETWORK = "network", _("Messages from our conseillers")


# Decisions open the digest: they are what a member most needs to know happened.
DIGEST_ORDER: tuple[str, ...] = (
    Category.DECISIONS,
    Category.VOTE_REQUIRED,
    Category.PROPOSALS,
    Category.TOOLS,
    Category.HELP,
    Category.MEMBERS,
    Category.NETWORK,
)


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", _("On the site and by email right away")
    DIGEST = "digest", _("On the site and in my summary email")
    IN_APP = "in_app", _("On the site only")
    OFF = "off", _("Never")


# Calm defaults: everything waits for the weekly summary, except a vote the member must cast.
DEFAULT_MODES: dict[str, str] = dict.fromkeys(Category.values, Mode.DIGEST.value) | {
    Category.VOTE_REQUIRED.value: Mode.IMMEDIATE.value
}


class DigestFrequency(models.TextChoices):
    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("Every week")
    NEVER = "never", _("Never")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Event(models.Model):
    """One thing that happened in an association, recorded once by the service that made it happen.

    The target is named by a kind string and a UUID code, never by a foreign key: notifications
    does not import the apps that publish, and a deleted proposal leaves its history readable
    through the title snapshot.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=64)
    category = models.CharField(max_length=32, choices=Category.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    target_kind = models.CharField(max_length=40, blank=True)
    target_code = models.UUIDField(null=True, blank=True)
    title = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # The explicit audience (an electorate snapshot) for kinds whose rule says so; user ids.
    recipient_ids = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["association", "-created_at"]),
            models.Index(fields=["target_kind", "target_code"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"


class Route(models.TextChoices):
    """Why a notification reached its recipient the way it did (`notifications.routing.route`)."""

    IMMEDIATE = "immediate", _("Emailed right away")
    HELD = "held", _("Email held until the quiet hours end")
    CAP_REACHED = "cap_reached", _("Daily email limit reached: in the next summary")
    DIGEST = "digest", _("In the next summary")
    IN_APP = "in_app", _("On the site only")
    PAUSED = "paused", _("Paused: in the first summary after the pause")


class Notification(models.Model):
    """An event as one recipient sees it. Unique per (event, recipient): a second fan-out adds nothing."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="notifications")
    # No index of their own: the unique (event, recipient) and the recipient's indexes below start
    # with them, and every index costs each of the thousands of rows a fan-out writes.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notifications", db_index=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )
    # Copied from the event so the inbox filters and the digest query stay on one table.
    category = models.CharField(max_length=32, choices=Category.choices)
    created_at = models.DateTimeField(default=timezone.now)
    route = models.CharField(max_length=16, choices=Route.choices)
    read_at = models.DateTimeField(null=True, blank=True)
    # Waiting for the recipient's next summary email until `digested_at` is set.
    in_digest = models.BooleanField(default=False)
    digested_at = models.DateTimeField(null=True, blank=True)
    digest_run = models.ForeignKey(
        "DigestRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
        db_index=False,  # partial index below: a new notification has none, and is not indexed for it
    )

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient"], name="notification_once_per_recipient"),
        ]
        indexes = [
            # The inbox.
            models.Index(fields=["recipient", "-created_at"]),
            # Unread counts (the header's, the fan-out's pushes): per association, checked against
            # the memberships, read from the index alone.
            models.Index(
                fields=["recipient", "association"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            # The digest planner: what still waits for a summary.
            models.Index(
                fields=["recipient", "created_at"],
                condition=Q(in_digest=True, digested_at__isnull=True),
                name="notification_digest_pending",
            ),
            # What a summary email carried (and SET_NULL when a run is deleted).
            models.Index(fields=["digest_run"], condition=Q(digest_run__isnull=False), name="notification_digest_run"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class OutboxEmail(models.Model):
    """An immediate email to send for one notification, once (the notification is the unique key).

    Written with the notification; a sender claims it under a row lock and sets `sent_at` only
    after the mail server accepted it, so a crash leaves it for the next pass.
    """

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="+")
    notification = models.OneToOneField(Notification, on_delete=models.CASCADE, related_name="outbox_email")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    # Set instead of `sent_at` when the email became pointless (read on the site meanwhile).
    skipped_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("email to send")
        verbose_name_plural = _("emails to send")
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(sent_at__isnull=True, skipped_at__isnull=True), name="outbox_pending"
            ),
            models.Index(fields=["recipient", "due_at"]),
        ]

    def __str__(self) -> str:
        return f"email for notification {self.notification_id}"


class Preference(models.Model):
    """How a member hears of one category in one association. No row means the category's default."""

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="notification_preferences")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    category = models.CharField(max_length=32, choices=Category.choices)
    mode = models.CharField(max_length=16, choices=Mode.choices)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["association", "user", "category"], name="preference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.association_id}: {self.category} → {self.mode}"


class SubscriptionState(models.TextChoices):
    FOLLOW = "follow", _("Follow")
    MUTE = "mute", _("Mute")


class Subscription(models.Model):
    """A member follows or mutes one target (a proposal, a tutorial…), named by kind and code."""

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="notification_subscriptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    target_kind = models.CharField(max_length=40)
    target_code = models.UUIDField()
    state = models.CharField(max_length=8, choices=SubscriptionState.choices)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("follow or mute")
        verbose_name_plural = _("follows and mutes")
        constraints = [
            models.UniqueConstraint(
                fields=["association", "user", "target_kind", "target_code"], name="subscription_unique"
            ),
        ]
        indexes = [models.Index(fields=["association", "target_kind", "target_code"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.state}s {self.target_kind} {self.target_code}"


class NotificationSettings(models.Model):
    """How a person wants to be reached, whatever the association. No row means the defaults below."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    digest_frequency = models.CharField(
        _("summary email"), max_length=8, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY
    )
    digest_hour = models.PositiveSmallIntegerField(
        _("time of the summary"), default=8, validators=[MinValueValidator(0), MaxValueValidator(23)]
    )
    digest_weekday = models.PositiveSmallIntegerField(
        _("day of the weekly summary"), choices=Weekday.choices, default=Weekday.MONDAY
    )
    daily_email_cap = models.PositiveSmallIntegerField(
        _("at most this many immediate emails a day"), default=3, validators=[MaxValueValidator(50)]
    )
    quiet_start = models.TimeField(_("quiet hours: no email from"), null=True, blank=True, default=time(21, 0))
    quiet_end = models.TimeField(_("until"), null=True, blank=True, default=time(8, 0))
    paused_until = models.DateField(_("pause all emails until (included)"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")
        constraints = [
            models.CheckConstraint(condition=Q(digest_hour__lte=23), name="notification_settings_hour_valid"),
            models.CheckConstraint(condition=Q(digest_weekday__lte=6), name="notification_settings_weekday_valid"),
        ]

    def __str__(self) -> str:
        return f"settings of {self.user_id}"


class DigestRun(models.Model):
    """One summary email for one person and one period: the exactly-once key, claimed before sending.

    `cutoff` is fixed at the claim: the email holds what was waiting at that instant, so a
    late or repeated send picks the same items (minus those already sent or read).
    """

    # No index of its own: the unique (recipient, period) starts with it.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_runs", db_index=False
    )
    period = models.CharField(max_length=32)  # "daily:2026-03-02", "weekly:2026-W10"
    cutoff = models.DateTimeField()
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("summary email")
        verbose_name_plural = _("summary emails")
        constraints = [models.UniqueConstraint(fields=["recipient", "period"], name="digest_run_once_per_period")]
        indexes = [models.Index(fields=["claimed_at"], condition=Q(sent_at__isnull=True), name="digest_run_unsent")]

    def __str__(self) -> str:
        return f"{self.period} for {self.recipient_id}"
