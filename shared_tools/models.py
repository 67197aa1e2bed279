"""The global tool catalogue: tools, their categories, the relations between them and where each
imported fact came from.

The catalogue is shared by every association, so none of these models has an `association` FK or
a scoped manager. Imported rows are matched by `Tool.match_key` (see `importers.match_key`).
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .licences import check_spdx_expression
from .naming import match_key


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
