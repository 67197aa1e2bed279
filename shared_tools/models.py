"""The global tool catalogue (tools, categories, relations, provenance, proposals) and the
association-owned stacks (tool usages, their history, referents).

The catalogue is shared by every association, so its models have no `association` FK and no
scoped manager. Imported rows are matched by `Tool.match_key` (see `naming.match_key`).
Stack models are tenant data: a direct `association` FK, a `ScopedManager`, a UUID `code`.
"""

import os
import uuid
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from .licences import check_spdx_expression
from .naming import match_key
from .places.territory import department_of, time_zone_of


class FreeSoftware(models.TextChoices):
    YES = "yes", _("Free software")
    NO = "no", _("Proprietary")
    UNKNOWN = "unknown", _("Unknown")


class ToolKind(models.TextChoices):
    SOFTWARE = "software", _("Software")
    SERVICE = "service", _("Online service")


class Platform(models.TextChoices):
    WEB = "web", _("Web browser")
    WINDOWS = "windows", _("Windows")
    MACOS = "macos", _("macOS")
    LINUX = "linux", _("Linux")
    ANDROID = "android", _("Android")
    IOS = "ios", _("iOS")


class HostingOption(models.TextChoices):
    SELF_HOSTED = "self_hosted", _("Self-hosted on your own server")
    ONLINE = "online", _("Online, run by the publisher or a host")
    LOCAL = "local", _("Installed on each computer or phone")


class DataLocation(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    FRANCE = "france", _("France")
    EU = "eu", _("European Union")
    OUTSIDE_EU = "outside_eu", _("Outside the European Union")
    SELF_HOSTED = "self_hosted", _("Wherever you host it")


class Pricing(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    FREE_OF_CHARGE = "free_of_charge", _("Free of charge")
    FREEMIUM = "freemium", _("Free plan with paid options")
    PAID = "paid", _("Paid")
    DONATION = "donation", _("Pay what you want / donations")


class EaseOfUse(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    BEGINNER = "beginner", _("Easy for beginners")
    INTERMEDIATE = "intermediate", _("Needs some practice")
    EXPERT = "expert", _("For technical users")


class SillStatus(models.TextChoices):
    RECOMMENDED = "R", _("Recommended")
    OBSERVATION = "O", _("Under observation")
    NO_LONGER_RECOMMENDED = "FR", _("No longer recommended")


class Source(models.TextChoices):
    SILL = "sill", _("Interministerial free software base (SILL)")
    DEGOOGLISONS = "degooglisons", _("Dégooglisons Internet (Framasoft)")


def validate_spdx_expression(value: str) -> None:
    try:
        check_spdx_expression(value)
    except ValueError as exc:
        raise ValidationError(
            _("Not a valid SPDX licence expression: %(reason)s"), code="invalid_licence", params={"reason": exc}
        ) from exc


def _validate_choice_list(value: object, choices: type[models.TextChoices]) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(_("Expected a list of values."), code="not_a_list")
    unknown = sorted(set(value) - set(choices.values))
    if unknown:
        raise ValidationError(
            _("Unknown values: %(values)s"), code="unknown_values", params={"values": ", ".join(unknown)}
        )


def validate_platforms(value: object) -> None:
    _validate_choice_list(value, Platform)


def validate_hosting_options(value: object) -> None:
    _validate_choice_list(value, HostingOption)


class Category(models.Model):
    """A node of the small category tree shown to associations (seeded by a data migration)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("short name in addresses"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return f"{self.parent} › {self.name}" if self.parent_id else self.name


class Tool(models.Model):
    """A piece of software or an online service, free or not, as associations meet it."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name in addresses"), max_length=220, unique=True)
    # The importers find a tool again by this key (name without case, accents, punctuation or
    # qualifiers); it is set once so that renaming a tool does not make the next import duplicate it.
    match_key = models.CharField(_("matching key"), max_length=200, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=ToolKind.choices, default=ToolKind.SOFTWARE)
    short_description = models.CharField(_("short description"), max_length=300, blank=True)
    website = models.URLField(_("website"), max_length=500, blank=True)
    licence = models.CharField(
        _("licence (SPDX expression)"),
        max_length=200,
        blank=True,
        validators=[validate_spdx_expression],
        help_text=_("Empty when the licence is unknown; the text found in the source is kept below."),
    )
    licence_raw = models.CharField(_("licence as written in the source"), max_length=300, blank=True)
    free_software = models.CharField(
        _("free software"), max_length=8, choices=FreeSoftware.choices, default=FreeSoftware.UNKNOWN
    )
    categories = models.ManyToManyField(Category, blank=True, related_name="tools", verbose_name=_("categories"))
    platforms = models.JSONField(_("platforms"), default=list, blank=True, validators=[validate_platforms])
    hosting_options = models.JSONField(
        _("hosting options"), default=list, blank=True, validators=[validate_hosting_options]
    )
    data_location = models.CharField(
        _("data location"), max_length=16, choices=DataLocation.choices, default=DataLocation.UNKNOWN
    )
    pricing = models.CharField(_("pricing"), max_length=16, choices=Pricing.choices, default=Pricing.UNKNOWN)
    ease_of_use = models.CharField(
        _("ease of use for beginners"), max_length=16, choices=EaseOfUse.choices, default=EaseOfUse.UNKNOWN
    )
    accessibility_notes = models.TextField(_("accessibility notes"), blank=True)
    sill_status = models.CharField(
        _("status in the SILL"),
        max_length=2,
        choices=SillStatus.choices,
        blank=True,
        help_text=_("Empty when the tool is not in the French State's recommended free software list."),
    )
    # Set by moderators, never by the importers: a closed service stays in the catalogue (and is
    # not re-created by the next import) but is no longer proposed.
    discontinued = models.BooleanField(_("no longer available"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("tool")
        verbose_name_plural = _("tools")
        ordering = ["name"]
        indexes = [models.Index(fields=["free_software", "kind"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.match_key:
            self.match_key = match_key(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def licence_is_known(self) -> bool:
        return bool(self.licence)


class RelationKind(models.TextChoices):
    ALTERNATIVE_TO = "alternative_to", _("is an alternative to")
    SIMILAR_TO = "similar_to", _("is similar to")
    PLUGIN_OF = "plugin_of", _("is a plugin of")
    INSTANCE_OF = "instance_of", _("is an online instance of")


class ToolRelation(models.Model):
    """A directed link between two tools.

    `alternative_to` points from the free tool to the proprietary one it replaces; `plugin_of`
    from the plugin to its host; `instance_of` from an online service to the software it runs.
    `similar_to` is symmetric and stored in both directions, so `tool.relations_from` is enough.
    """

    from_tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="relations_from")
    to_tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="relations_to")
    kind = models.CharField(_("kind"), max_length=16, choices=RelationKind.choices)
    note = models.TextField(_("note"), blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("tool relation")
        verbose_name_plural = _("tool relations")
        constraints = [
            models.UniqueConstraint(fields=["from_tool", "to_tool", "kind"], name="tool_relation_unique"),
            models.CheckConstraint(condition=~Q(from_tool=F("to_tool")), name="tool_relation_not_to_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.from_tool} {self.get_kind_display()} {self.to_tool}"


class Provenance(models.Model):
    """One source record behind a tool: which data set, which record, when it was last imported.

    `data` keeps the record as read (after decoding, before cleaning): the importers compare it
    to decide whether a re-import has anything new to say about the tool.
    """

    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="provenance")
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    record_id = models.CharField(_("record id in the source"), max_length=100)
    # Which part of the record named the tool (Dégooglisons: gafam, S, F, FL, altOn, altOff).
    role = models.CharField(_("field in the record"), max_length=16, blank=True)
    data = models.JSONField(_("record as imported"), default=dict)
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)

    class Meta:
        verbose_name = _("provenance")
        verbose_name_plural = _("provenance records")
        ordering = ["source", "record_id", "role"]
        constraints = [
            models.UniqueConstraint(fields=["tool", "source", "record_id", "role"], name="provenance_unique"),
        ]
        indexes = [models.Index(fields=["source", "record_id"])]

    def __str__(self) -> str:
        role = f" ({self.role})" if self.role else ""
        return f"{self.get_source_display()} #{self.record_id}{role}"


# Proposals: members suggest what the catalogue lacks; moderators decide ----------------------


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Added to the catalogue")
    REJECTED = "rejected", _("Not added")


class ToolProposal(models.Model):
    """A member's suggestion of a tool missing from the catalogue, reviewed by platform staff or a
    conseiller. Not association data (the catalogue is global, so the proposal is unscoped), but it
    records who proposed it and from which association."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    website = models.URLField(_("website"), max_length=500, blank=True)
    description = models.TextField(_("what it is for"), max_length=2000)
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("category")
    )
    free_software = models.CharField(
        _("free software"), max_length=8, choices=FreeSoftware.choices, default=FreeSoftware.UNKNOWN
    )
    proposed_by = models.ForeignKey(
        "hub.User", on_delete=models.SET_NULL, null=True, related_name="tool_proposals", verbose_name=_("proposed by")
    )
    association = models.ForeignKey(
        "hub.Association",
        on_delete=models.SET_NULL,
        null=True,
        related_name="tool_proposals",
        verbose_name=_("proposed from"),
    )
    created_at = models.DateTimeField(_("proposed on"), default=timezone.now, editable=False)
    # Filled when the proposal is made, from the catalogue as it was then: what the moderator
    # should compare it with before approving.
    possible_duplicates = models.ManyToManyField(
        Tool, blank=True, related_name="+", verbose_name=_("catalogue tools with a similar name")
    )
    status = models.CharField(_("status"), max_length=8, choices=ProposalStatus.choices, default=ProposalStatus.PENDING)
    reviewed_by = models.ForeignKey(
        "hub.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("reviewed by")
    )
    reviewed_at = models.DateTimeField(_("reviewed on"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for not adding it"), blank=True, max_length=2000)
    tool = models.ForeignKey(
        Tool, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("tool created")
    )

    class Meta:
        verbose_name = _("tool proposal")
        verbose_name_plural = _("tool proposals")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ProposalStatus.REJECTED) | ~Q(rejection_reason=""),
                name="tool_proposal_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# Stacks: which tools an association uses, at which stage, and who knows them -------------------


class Stage(models.TextChoices):
    CONSIDERED = "considered", _("Considered")
    TRIAL = "trial", _("On trial")
    ADOPTED = "adopted", _("Adopted")
    RETIRING = "retiring", _("Being retired")
    ABANDONED = "abandoned", _("Abandoned")


# The lifecycle of a tool in a stack. Forward steps, plus:
# - considered → adopted: a vote may adopt a tool without a trial;
# - considered / trial → abandoned: the idea or the trial did not convince;
# - retiring → adopted: the retirement is called off;
# - abandoned → considered: looked at again later (the history keeps the earlier life).
# Adopted tools are never abandoned in one step: they go through "being retired", which is when
# the association moves its data and tells its members.
STAGE_TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.CONSIDERED: frozenset({Stage.TRIAL, Stage.ADOPTED, Stage.ABANDONED}),
    Stage.TRIAL: frozenset({Stage.ADOPTED, Stage.ABANDONED}),
    Stage.ADOPTED: frozenset({Stage.RETIRING}),
    Stage.RETIRING: frozenset({Stage.ABANDONED, Stage.ADOPTED}),
    Stage.ABANDONED: frozenset({Stage.CONSIDERED}),
}
# Stages in which the association is using the tool (and paying for it): the yearly total counts these.
STAGES_IN_USE = frozenset({Stage.TRIAL, Stage.ADOPTED, Stage.RETIRING})


class KnowHowRisk(models.TextChoices):
    NO_MASTER = "no_master", _("Nobody masters this tool.")
    SINGLE_MASTER = "single_master", _("Only one person masters this tool.")


class Visibility(models.TextChoices):
    MEMBERS = "members", _("Members of the association")
    NETWORK = "network", _("Associations and conseillers of our networks")
    PUBLIC = "public", _("Everyone")


class ToolUsage(models.Model):
    """One tool in one association's stack: its stage, what it is used for, what it costs."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="tool_usages")
    tool = models.ForeignKey(Tool, on_delete=models.PROTECT, related_name="usages", verbose_name=_("tool"))
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.CONSIDERED)
    purpose = models.TextField(_("what we use it for"), blank=True, max_length=2000, help_text=_("In your own words."))
    since = models.DateField(_("used since"), null=True, blank=True)
    until = models.DateField(_("used until"), null=True, blank=True)
    # Unknown (empty) is not the same as free of charge (0).
    yearly_cost = models.DecimalField(
        _("yearly cost (euros)"),
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    paid_by = models.CharField(
        _("who pays"), max_length=200, blank=True, help_text=_("For example: the association, the town hall, a member.")
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction (1 to 5)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    review_on = models.DateField(_("review date"), null=True, blank=True)
    visibility = models.CharField(
        _("who can see it"),
        max_length=8,
        choices=Visibility.choices,
        default=Visibility.MEMBERS,
        help_text=_("Beyond your members, who may see on the tool's page that you use it."),
    )
    created_at = models.DateTimeField(_("added on"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("tool in a stack")
        verbose_name_plural = _("tools in stacks")
        constraints = [
            models.UniqueConstraint(fields=["association", "tool"], name="tool_usage_unique_per_association"),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="tool_usage_satisfaction_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(yearly_cost__isnull=True) | Q(yearly_cost__gte=0), name="tool_usage_cost_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(since__isnull=True) | Q(until__isnull=True) | Q(until__gte=F("since")),
                name="tool_usage_until_after_since",
            ),
        ]
        # The tool page lists the usages of one tool across associations, filtered on visibility.
        indexes = [models.Index(fields=["tool", "visibility"])]

    def __str__(self) -> str:
        return f"{self.tool} @ {self.association_id} ({self.stage})"

    def clean(self) -> None:
        if self.since and self.until and self.until < self.since:
            raise ValidationError({"until": _("The end date cannot be before the start date.")})

    def next_stages(self) -> list[str]:
        """The stages this usage may move to, in lifecycle order."""
        allowed = STAGE_TRANSITIONS[self.stage]
        return [stage for stage in Stage.values if stage in allowed]

    def can_move_to(self, stage: str) -> bool:
        return stage in STAGE_TRANSITIONS.get(self.stage, frozenset())

    @property
    def know_how_risk(self) -> str | None:
        """For an adopted tool that nobody, or a single person, masters: the risk; else None.

        Needs the `master_count` annotation of `selectors.stack_of` (active members only).
        """
        count = getattr(self, "master_count", None)
        if self.stage != Stage.ADOPTED or count is None or count > 1:
            return None
        return KnowHowRisk.NO_MASTER if count == 0 else KnowHowRisk.SINGLE_MASTER


class ToolUsageChange(models.Model):
    """One line of a stack's history: a tool added (`from_stage` empty) or moved to another stage.

    `decision_code` names the decision that caused the change when there was one: governance passes
    it in; this app does not know governance's models.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="tool_usage_changes")
    usage = models.ForeignKey(ToolUsage, on_delete=models.CASCADE, related_name="changes")
    from_stage = models.CharField(_("from"), max_length=12, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=12, choices=Stage.choices)
    changed_by = models.ForeignKey(
        "hub.User", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("by")
    )
    changed_at = models.DateTimeField(_("on"), default=timezone.now)
    reason = models.TextField(_("why"), blank=True, max_length=2000)
    decision_code = models.UUIDField(_("decision"), null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("stack change")
        verbose_name_plural = _("stack changes")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["association", "-changed_at"])]
        constraints = [
            models.CheckConstraint(condition=~Q(from_stage=F("to_stage")), name="tool_usage_change_changes_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.usage_id}: {self.from_stage or '∅'} → {self.to_stage}"


class KnowHowLevel(models.TextChoices):
    MASTERS = "masters", _("Masters it")
    CAN_HELP = "can_help", _("Can help")
    WANTS_TO_LEARN = "wants_to_learn", _("Wants to learn")


class Referent(models.Model):
    """What one member knows of one tool of the stack, and who stands in for them."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="referents")
    membership = models.ForeignKey(
        "hub.Membership", on_delete=models.CASCADE, related_name="know_how", verbose_name=_("member")
    )
    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="referents", verbose_name=_("tool"))
    level = models.CharField(_("level"), max_length=16, choices=KnowHowLevel.choices)
    backup = models.ForeignKey(
        "hub.Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="backing_up",
        verbose_name=_("backup person"),
        help_text=_("Another member who can step in when this person is away."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("referent")
        verbose_name_plural = _("referents")
        constraints = [
            models.UniqueConstraint(fields=["membership", "tool"], name="referent_one_level_per_member_and_tool"),
            models.CheckConstraint(condition=~Q(backup=F("membership")), name="referent_backup_is_someone_else"),
        ]
        indexes = [models.Index(fields=["association", "tool", "level"])]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.level} {self.tool_id}"


# Tutorials: how-tos written by members, shared with the network or everyone, printed ----------


class TutorialLevel(models.TextChoices):
    BEGINNER = "beginner", _("Beginner")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVANCED = "advanced", _("Advanced")


class TutorialAudience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    VOLUNTEERS = "volunteers", _("Volunteers")
    BOARD = "board", _("Board members")
    SENIORS = "seniors", _("Seniors")
    YOUTH = "youth", _("Young people")
    BEGINNERS = "beginners", _("People new to computers")


class ContentLicence(models.TextChoices):
    CC_BY_SA = "CC-BY-SA-4.0", _("Creative Commons BY-SA 4.0")
    ETALAB = "etalab-2.0", _("Licence Ouverte / Etalab 2.0")
    CC_BY_NC_SA = "CC-BY-NC-SA-4.0", _("Creative Commons BY-NC-SA 4.0")
    NONE = "none", _("All rights reserved")


class TutorialStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class TutorialVisibility(models.TextChoices):
    ASSOCIATION = "association", _("Our association only")
    NETWORK = "network", _("Associations of our networks")
    PUBLIC = "public", _("Everyone")


def tutorial_image_path(instance: Any, filename: str) -> str:
    # Never the uploaded name: a random one, under the owning association's id.
    return f"tutorials/{instance.association_id}/{uuid.uuid4().hex}{os.path.splitext(filename)[1].lower()}"


class Tutorial(models.Model):
    """A how-to written by members: ordered Markdown steps, shared as widely as its visibility says.

    Only published tutorials leave the association; `search_text` is a denormalised copy of the
    title, summary and steps, rewritten by the services, that the library searches.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="tutorials")
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=2000, blank=True)
    tools = models.ManyToManyField(Tool, blank=True, related_name="tutorials", verbose_name=_("tools"))
    level = models.CharField(_("level"), max_length=16, choices=TutorialLevel.choices, default=TutorialLevel.BEGINNER)
    audience = models.CharField(
        _("for whom"), max_length=16, choices=TutorialAudience.choices, default=TutorialAudience.EVERYONE
    )
    estimated_minutes = models.PositiveSmallIntegerField(
        _("estimated time (minutes)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    licence = models.CharField(
        _("licence"), max_length=16, choices=ContentLicence.choices, default=ContentLicence.CC_BY_SA
    )
    status = models.CharField(_("status"), max_length=10, choices=TutorialStatus.choices, default=TutorialStatus.DRAFT)
    visibility = models.CharField(
        _("who can read it once published"),
        max_length=12,
        choices=TutorialVisibility.choices,
        default=TutorialVisibility.ASSOCIATION,
    )
    author = models.ForeignKey(
        "hub.User", on_delete=models.SET_NULL, null=True, related_name="tutorials", verbose_name=_("author")
    )
    # Attribution of a copy: the original may later be deleted or hidden, so its name is kept as text.
    copied_from_code = models.UUIDField(_("copied from"), null=True, blank=True)
    copied_from_title = models.CharField(_("original title"), max_length=200, blank=True)
    copied_from_association = models.CharField(_("original association"), max_length=200, blank=True)
    helped_count = models.PositiveIntegerField(_("“it helped me” count"), default=0)
    search_text = models.TextField(editable=False, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    published_at = models.DateTimeField(_("published on"), null=True, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("tutorial")
        verbose_name_plural = _("tutorials")
        ordering = ["-updated_at", "-pk"]
        # The library and the tool pages read published tutorials by visibility.
        indexes = [models.Index(fields=["status", "visibility"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == TutorialStatus.PUBLISHED


class TutorialStep(models.Model):
    """One step of a tutorial, in Markdown, with an optional image (re-encoded by `images.clean_image`)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="tutorial_steps")
    tutorial = models.ForeignKey(Tutorial, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    body = models.TextField(_("what to do (Markdown)"), max_length=10000)
    image = models.FileField(_("image"), upload_to=tutorial_image_path, blank=True, max_length=200)
    image_print = models.FileField(_("image for print"), upload_to=tutorial_image_path, blank=True, max_length=200)
    image_alt = models.CharField(_("image description"), max_length=300, blank=True)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("tutorial step")
        verbose_name_plural = _("tutorial steps")
        ordering = ["tutorial", "position"]
        constraints = [
            models.UniqueConstraint(fields=["tutorial", "position"], name="tutorial_step_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.tutorial_id} #{self.position}"


class TutorialRevision(models.Model):
    """A snapshot of a tutorial's text after each save, with who saved it and when."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="tutorial_revisions")
    tutorial = models.ForeignKey(Tutorial, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("number"))
    snapshot = models.JSONField(_("content"), default=dict)
    created_by = models.ForeignKey("hub.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("saved on"), default=timezone.now)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("tutorial revision")
        verbose_name_plural = _("tutorial revisions")
        ordering = ["tutorial", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tutorial", "number"], name="tutorial_revision_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.tutorial_id} v{self.number}"


class TutorialHelped(models.Model):
    """“It helped me”: at most one per person and tutorial (stored in the owner's association)."""

    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="+")
    tutorial = models.ForeignKey(Tutorial, on_delete=models.CASCADE, related_name="helped")
    user = models.ForeignKey("hub.User", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("“it helped me”")
        verbose_name_plural = _("“it helped me”")
        constraints = [models.UniqueConstraint(fields=["tutorial", "user"], name="tutorial_helped_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.tutorial_id}"


class TutorialQuestion(models.Model):
    """A reader's question under a tutorial; its author or the tool's referents answer."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="+")
    tutorial = models.ForeignKey(Tutorial, on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey("hub.User", on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(_("question"), max_length=4000)
    created_at = models.DateTimeField(_("asked on"), default=timezone.now)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("question on a tutorial")
        verbose_name_plural = _("questions on tutorials")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.tutorial_id}: {self.body[:40]}"


class TutorialAnswer(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey(TutorialQuestion, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey("hub.User", on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(_("answer"), max_length=4000)
    created_at = models.DateTimeField(_("answered on"), default=timezone.now)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("answer on a tutorial")
        verbose_name_plural = _("answers on tutorials")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.body[:40]}"


# Diagnostic: self-assessments of digital maturity and the small-steps roadmap -----------------


class AssessmentSource(models.TextChoices):
    ONLINE = "online", _("Filled in online")
    PAPER = "paper", _("Transcribed from the paper form")


class Assessment(models.Model):
    """One self-assessment taken by the association's board, on one version of the questionnaire.

    The version, the answers' ids (`DiagnosticAnswer`) and the computed scores are stored, so a new
    questionnaire version never changes an old result; `score` is the overall share (0–100) and
    `scores` each dimension's, keyed by the dimension id of that version.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="assessments")
    version = models.PositiveSmallIntegerField(_("questionnaire version"))
    taken_at = models.DateTimeField(_("taken on"), default=timezone.now)
    taken_by = models.ForeignKey(
        "hub.User", on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("recorded by")
    )
    with_advisor = models.BooleanField(_("taken with our conseiller"), default=False)
    source = models.CharField(_("how"), max_length=8, choices=AssessmentSource.choices, default=AssessmentSource.ONLINE)
    score = models.PositiveSmallIntegerField(_("overall score"), validators=[MaxValueValidator(100)])
    scores = models.JSONField(_("scores per dimension"), default=dict)

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("diagnostic")
        verbose_name_plural = _("diagnostics")
        ordering = ["-taken_at", "-pk"]
        # The history page and the dashboard's "latest diagnostic" subquery read by this index.
        indexes = [models.Index(fields=["association", "-taken_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=100), name="assessment_score_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.association_id} v{self.version} {self.score}"


class DiagnosticAnswer(models.Model):
    """The answer chosen to one question of an assessment, by id, with the points it gave then."""

    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question_id = models.CharField(_("question"), max_length=80)
    answer_id = models.CharField(_("answer"), max_length=80)
    points = models.PositiveSmallIntegerField(_("points"))

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("diagnostic answer")
        verbose_name_plural = _("diagnostic answers")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "question_id"], name="diagnostic_answer_once_per_question"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} {self.question_id}={self.answer_id}"


class StepStatus(models.TextChoices):
    PROPOSED = "proposed", _("To do")
    POSTPONED = "postponed", _("Postponed")
    DONE = "done", _("Done")
    DISMISSED = "dismissed", _("Dismissed")


class StepLink(models.TextChoices):
    TOOL = "tool", _("A tool of the catalogue")
    TUTORIAL = "tutorial", _("A tutorial")
    LIBRARY = "library", _("A search in the tutorial library")
    PROPOSAL = "proposal", _("A proposal to adopt a tool")
    WORKSHOP = "workshop", _("A workshop of a network")
    PLACE = "place", _("A digital-mediation place")


class RoadmapStep(models.Model):
    """A small next step proposed from the weakest dimensions of the latest diagnostic.

    `key` is the candidate's id in the questionnaire (plus the tool's slug for a dynamic
    alternative): a step done or dismissed is never proposed again. The title and detail are
    copied from the questionnaire data when proposed.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey("hub.Association", on_delete=models.CASCADE, related_name="roadmap_steps")
    key = models.CharField(_("candidate"), max_length=200)
    version = models.PositiveSmallIntegerField(_("questionnaire version"))
    dimension = models.CharField(_("dimension"), max_length=80)
    title = models.CharField(_("title"), max_length=300)
    detail = models.TextField(_("detail"), blank=True)
    link_kind = models.CharField(_("link"), max_length=10, choices=StepLink.choices)
    tool = models.ForeignKey(Tool, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    tutorial = models.ForeignKey(Tutorial, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    workshop = models.ForeignKey("Workshop", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    place = models.ForeignKey("Place", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    search = models.CharField(_("words searched"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=StepStatus.choices, default=StepStatus.PROPOSED)
    postponed_until = models.DateField(_("postponed until"), null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=2000, blank=True)
    proposed_at = models.DateTimeField(_("proposed on"), default=timezone.now)
    acted_at = models.DateTimeField(_("updated on"), null=True, blank=True)
    acted_by = models.ForeignKey("hub.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = ScopedManager(association="association")

    class Meta:
        verbose_name = _("roadmap step")
        verbose_name_plural = _("roadmap steps")
        ordering = ["proposed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["association", "key"], name="roadmap_step_once_per_association"),
            models.CheckConstraint(
                condition=~Q(status=StepStatus.DISMISSED) | ~Q(reason=""), name="roadmap_step_dismissal_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(status=StepStatus.POSTPONED) | Q(postponed_until__isnull=False),
                name="roadmap_step_postponement_has_date",
            ),
        ]
        indexes = [models.Index(fields=["association", "status"])]

    def __str__(self) -> str:
        return f"{self.association_id} {self.key} ({self.status})"


# Places: digital-mediation places, global, following the national data standard ---------------


class PlaceService(models.TextChoices):
    """The `services` vocabulary of the national standard (La MedNum / ANCT, v1.0.2), verbatim."""

    ADMINISTRATIVE = "Aide aux démarches administratives", _("Help with online administrative procedures")
    EVERYDAY_TOOLS = "Maîtrise des outils numériques du quotidien", _("Everyday digital tools")
    EMPLOYMENT = "Insertion professionnelle via le numérique", _("Finding work through digital tools")
    SAFETY = "Utilisation sécurisée du numérique", _("Using digital tools safely")
    PARENTING = "Parentalité et éducation avec le numérique", _("Parenting and education with digital tools")
    LEISURE = "Loisirs et créations numériques", _("Digital leisure and creation")
    UNDERSTANDING = "Compréhension du monde numérique", _("Understanding the digital world")
    ACCESS = "Accès internet et matériel informatique", _("Internet access and computers")
    EQUIPMENT = "Acquisition de matériel informatique à prix solidaire", _("Low-cost computers")


class Place(models.Model):
    """A digital-mediation place (EPN, France Services, médiathèque, tiers-lieu...).

    One row per place of the national standard (schema v1.0.2): every field is kept so that an
    export gives back what was imported. Multi-valued fields are lists (`|` in the CSV);
    `services` lives in `PlaceServiceOffer` so that the list can be filtered by service with an
    index on every database. Places are global: no association owns them.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    local_id = models.CharField(_("identifier"), max_length=200, unique=True, help_text="id")
    pivot = models.CharField(_("SIRET, RNA or RIDET"), max_length=14)
    name = models.CharField(_("name"), max_length=300)
    commune = models.CharField(_("commune"), max_length=200, db_index=True)
    postcode = models.CharField(_("postcode"), max_length=5, db_index=True)
    # Derived on import (`refresh_derived`) so that the list filters with an index on every database:
    # the département (from the INSEE code, else the postcode) and the commune without accents or case.
    department = models.CharField(_("département"), max_length=3, db_index=True, editable=False, default="")
    commune_key = models.CharField(max_length=200, db_index=True, editable=False, default="")
    insee_code = models.CharField(_("INSEE code"), max_length=5, blank=True)
    address = models.CharField(_("address"), max_length=300)
    address_complement = models.CharField(_("address complement"), max_length=300, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    typologies = models.JSONField(_("kinds of structure"), default=list, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    emails = models.JSONField(_("email addresses"), default=list, blank=True)
    websites = models.JSONField(_("websites"), default=list, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=1000, blank=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("collected by"), max_length=300, blank=True)
    itinerance = models.JSONField(_("fixed or mobile"), default=list, blank=True)
    parent_structure = models.CharField(_("parent structure"), max_length=300, blank=True)
    updated_on = models.DateField(_("data updated on"))
    publics = models.JSONField(_("publics specifically addressed"), default=list, blank=True)
    specific_support = models.JSONField(_("specific support"), default=list, blank=True)
    fees = models.JSONField(_("fees"), default=list, blank=True)
    national_programmes = models.JSONField(_("national programmes"), default=list, blank=True)
    training_labels = models.JSONField(_("training and labels"), default=list, blank=True)
    other_training_labels = models.CharField(_("other training and labels"), max_length=1000, blank=True)
    access_modes = models.JSONField(_("how to come"), default=list, blank=True)
    support_modes = models.JSONField(_("kinds of support"), default=list, blank=True)
    acces_libre_url = models.URLField(_("accessibility sheet (Accès libre)"), max_length=500, blank=True)
    booking_url = models.URLField(_("online booking"), max_length=500, blank=True)
    imported_at = models.DateTimeField(_("imported on"), default=timezone.now)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["commune", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.commune})"

    def refresh_derived(self) -> None:
        self.department = department_of(self.postcode, self.insee_code)
        self.commune_key = slugify(self.commune)

    @property
    def time_zone(self) -> ZoneInfo:
        """The zone its opening hours are written in: Europe/Paris, or the overseas one."""
        return time_zone_of(self.postcode)


class PlaceServiceOffer(models.Model):
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="service_offers")
    service = models.CharField(_("service"), max_length=100, choices=PlaceService.choices)

    class Meta:
        verbose_name = _("service offered")
        verbose_name_plural = _("services offered")
        ordering = ["place", "pk"]
        constraints = [models.UniqueConstraint(fields=["place", "service"], name="place_service_once")]
        indexes = [models.Index(fields=["service", "place"])]

    def __str__(self) -> str:
        return f"{self.place_id} {self.service}"


# Workshops: published by a network's conseillers, attended by members of followed associations --


class WorkshopStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class Workshop(models.Model):
    """A workshop a network's conseillers run, in a place or online, with a capacity.

    `sequence` counts changes that matter to a calendar (RFC 5545 SEQUENCE) so that an updated
    .ics replaces the earlier one in the attendee's calendar.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    network = models.ForeignKey("hub.Network", on_delete=models.CASCADE, related_name="workshops")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=10000, blank=True)
    tool = models.ForeignKey(Tool, on_delete=models.SET_NULL, null=True, blank=True, related_name="workshops")
    level = models.CharField(_("level"), max_length=12, choices=TutorialLevel.choices, default=TutorialLevel.BEGINNER)
    audience = models.CharField(
        _("audience"), max_length=12, choices=TutorialAudience.choices, default=TutorialAudience.EVERYONE
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.ForeignKey(Place, on_delete=models.SET_NULL, null=True, blank=True, related_name="workshops")
    location_detail = models.CharField(_("room or address details"), max_length=300, blank=True)
    online_url = models.URLField(_("online meeting link"), max_length=500, blank=True)
    capacity = models.PositiveIntegerField(_("seats"), validators=[MinValueValidator(1), MaxValueValidator(10000)])
    status = models.CharField(
        _("status"), max_length=10, choices=WorkshopStatus.choices, default=WorkshopStatus.PUBLISHED
    )
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey("hub.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="workshop_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="workshop_has_a_seat"),
        ]
        indexes = [models.Index(fields=["network", "starts_at"]), models.Index(fields=["status", "starts_at"])]

    def __str__(self) -> str:
        return self.title


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    WAITING = "waiting", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


class WorkshopRegistration(models.Model):
    """One person's seat (or place in the waiting list) at a workshop.

    A person has at most one row per workshop; cancelling keeps the row (history, and a later
    re-registration reuses it). `association` is the one through which the person came, for the
    conseiller's attendance list. The waiting list is ordered by `queued_at`.
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey("hub.User", on_delete=models.CASCADE, related_name="workshop_registrations")
    association = models.ForeignKey(
        "hub.Association", on_delete=models.SET_NULL, null=True, blank=True, related_name="workshop_registrations"
    )
    status = models.CharField(_("status"), max_length=10, choices=RegistrationStatus.choices)
    queued_at = models.DateTimeField(_("registered on"), default=timezone.now)
    promoted_at = models.DateTimeField(_("moved from the waiting list on"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled on"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded on"), null=True, blank=True)

    class Meta:
        verbose_name = _("workshop registration")
        verbose_name_plural = _("workshop registrations")
        ordering = ["workshop", "queued_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "user"], name="workshop_registration_once_per_person"),
        ]
        indexes = [models.Index(fields=["workshop", "status", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.workshop_id} {self.user_id} ({self.status})"
