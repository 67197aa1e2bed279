"""Django admin for platform staff: catalogue moderation, proposals, and (read-mostly) stacks."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    Assessment,
    Category,
    DiagnosticAnswer,
    HostingOption,
    Place,
    PlaceServiceOffer,
    Platform,
    Provenance,
    Referent,
    RoadmapStep,
    Tool,
    ToolProposal,
    ToolRelation,
    ToolUsage,
    ToolUsageChange,
    Tutorial,
    TutorialAnswer,
    TutorialHelped,
    TutorialQuestion,
    TutorialRevision,
    TutorialStep,
    Workshop,
    WorkshopRegistration,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "parent", "position"]
    list_filter = ["parent"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["code"]
    list_select_related = ["parent"]


class ToolAdminForm(forms.ModelForm):
    # The list fields are JSON in the database; staff pick values from the choices instead.
    platforms = forms.MultipleChoiceField(
        label=_("platforms"), choices=Platform.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    hosting_options = forms.MultipleChoiceField(
        label=_("hosting options"), choices=HostingOption.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Tool
        fields = ["platforms", "hosting_options"]  # the rest comes from ToolAdmin.fieldsets


class OutgoingRelationInline(admin.TabularInline):
    model = ToolRelation
    fk_name = "from_tool"
    extra = 0
    autocomplete_fields = ["to_tool"]
    fields = ["kind", "to_tool", "note", "source"]
    verbose_name = _("relation to another tool")
    verbose_name_plural = _("relations to other tools")


class ProvenanceInline(admin.TabularInline):
    model = Provenance
    extra = 0
    can_delete = False
    fields = ["source", "record_id", "role", "imported_at"]
    readonly_fields = ["source", "record_id", "role", "imported_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Tool)
class ToolAdmin(admin.ModelAdmin):
    form = ToolAdminForm
    list_display = ["name", "kind", "free_software", "licence", "sill_status", "data_location", "discontinued"]
    list_filter = [
        "discontinued",
        "kind",
        "free_software",
        "sill_status",
        "data_location",
        "pricing",
        "ease_of_use",
        "provenance__source",
        "categories",
    ]
    search_fields = ["name", "match_key", "short_description", "licence", "licence_raw", "website"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["code", "match_key", "created_at", "updated_at"]
    filter_horizontal = ["categories"]
    inlines = [OutgoingRelationInline, ProvenanceInline]
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "short_description", "website", "categories", "discontinued")}),
        (_("Licence"), {"fields": ("free_software", "licence", "licence_raw", "sill_status")}),
        (_("Use"), {"fields": ("platforms", "hosting_options", "data_location", "pricing", "ease_of_use")}),
        (_("Accessibility"), {"fields": ("accessibility_notes",)}),
        (_("Record"), {"fields": ("code", "match_key", "created_at", "updated_at")}),
    )


@admin.register(ToolRelation)
class ToolRelationAdmin(admin.ModelAdmin):
    list_display = ["from_tool", "kind", "to_tool", "source", "created_at"]
    list_filter = ["kind", "source"]
    search_fields = ["from_tool__name", "to_tool__name", "note"]
    autocomplete_fields = ["from_tool", "to_tool"]
    list_select_related = ["from_tool", "to_tool"]
    readonly_fields = ["created_at"]


# Proposals and stacks. The admin runs unscoped (see hub.tenancy): staff see every association.


@admin.register(ToolProposal)
class ToolProposalAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "association", "proposed_by", "created_at", "reviewed_by"]
    list_filter = ["status", "free_software"]
    search_fields = ["name", "description", "website"]
    list_select_related = ["association", "proposed_by", "reviewed_by"]
    readonly_fields = ["code", "created_at", "proposed_by", "association", "possible_duplicates", "tool"]
    # Approving creates the tool: that happens on the proposals page (services.approve_proposal),
    # not by editing the status here.
    fields = [
        "code",
        "name",
        "website",
        "description",
        "category",
        "free_software",
        "proposed_by",
        "association",
        "created_at",
        "possible_duplicates",
        "status",
        "reviewed_by",
        "reviewed_at",
        "rejection_reason",
        "tool",
    ]


class ToolUsageChangeInline(admin.TabularInline):
    model = ToolUsageChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "from_stage", "to_stage", "changed_by", "reason", "decision_code")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ToolUsage)
class ToolUsageAdmin(admin.ModelAdmin):
    list_display = ["tool", "association", "stage", "visibility", "yearly_cost", "review_on"]
    list_filter = ["stage", "visibility"]
    search_fields = ["tool__name", "association__name", "purpose"]
    list_select_related = ["tool", "association"]
    autocomplete_fields = ["tool"]
    readonly_fields = ["code", "association", "stage", "created_at", "updated_at"]
    inlines = [ToolUsageChangeInline]


@admin.register(Referent)
class ReferentAdmin(admin.ModelAdmin):
    list_display = ["tool", "membership", "level", "backup", "association"]
    list_filter = ["level"]
    search_fields = ["tool__name", "membership__user__display_name", "association__name"]
    list_select_related = [
        "tool",
        "association",
        "membership__user",
        "membership__association",
        "backup__user",
        "backup__association",
    ]
    readonly_fields = ["code", "association", "membership", "tool", "updated_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """History rows: staff read them; they are written by the importers and services only."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Provenance)
class ProvenanceAdmin(ReadOnlyAdmin):
    list_display = ["tool", "source", "record_id", "imported_at"]
    list_filter = ["source"]
    search_fields = ["tool__name", "record_id"]
    list_select_related = ["tool"]


@admin.register(ToolUsageChange)
class ToolUsageChangeAdmin(ReadOnlyAdmin):
    list_display = ["usage", "from_stage", "to_stage", "changed_by", "changed_at"]
    list_filter = ["to_stage"]
    list_select_related = ["usage__tool", "usage__association", "changed_by"]


# Tutorials: written through the pages and services (revisions, images); staff read and moderate.


@admin.register(Tutorial)
class TutorialAdmin(ReadOnlyAdmin):
    list_display = ["title", "association", "status", "visibility", "helped_count", "updated_at"]
    list_filter = ["status", "visibility", "level"]
    search_fields = ["title"]
    list_select_related = ["association"]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return True  # moderation: take down an abusive tutorial


@admin.register(TutorialStep)
class TutorialStepAdmin(ReadOnlyAdmin):
    list_display = ["tutorial", "position"]
    list_select_related = ["tutorial"]


@admin.register(TutorialRevision)
class TutorialRevisionAdmin(ReadOnlyAdmin):
    list_display = ["tutorial", "number", "created_by", "created_at"]
    list_select_related = ["tutorial", "created_by"]


@admin.register(TutorialHelped)
class TutorialHelpedAdmin(ReadOnlyAdmin):
    list_display = ["tutorial", "user", "created_at"]
    list_select_related = ["tutorial", "user"]


@admin.register(TutorialQuestion)
class TutorialQuestionAdmin(ReadOnlyAdmin):
    list_display = ["tutorial", "author", "created_at"]
    list_select_related = ["tutorial", "author"]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return True


@admin.register(TutorialAnswer)
class TutorialAnswerAdmin(ReadOnlyAdmin):
    list_display = ["question", "author", "created_at"]
    list_select_related = ["question", "author"]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return True


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["association", "version", "score", "taken_at", "with_advisor", "source"]
    list_filter = ["version", "source"]
    list_select_related = ["association"]


@admin.register(DiagnosticAnswer)
class DiagnosticAnswerAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "question_id", "answer_id", "points"]
    list_select_related = ["assessment"]


@admin.register(RoadmapStep)
class RoadmapStepAdmin(ReadOnlyAdmin):
    list_display = ["association", "key", "status", "postponed_until", "proposed_at"]
    list_filter = ["status"]
    list_select_related = ["association"]


class PlaceServiceOfferInline(admin.TabularInline):
    model = PlaceServiceOffer
    extra = 0
    can_delete = False
    readonly_fields = ["service"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Place)
class PlaceAdmin(ReadOnlyAdmin):
    """Places are written by imports of the national standard only; staff with the right may delete a
    closed one (an import never deletes; the next import of a file that still lists it brings it back)."""

    list_display = ["name", "commune", "postcode", "department", "local_id", "updated_on", "imported_at"]
    list_filter = ["department"]
    search_fields = ["name", "commune", "local_id", "pivot"]
    inlines = [PlaceServiceOfferInline]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Django's own permission (delete_place), not ReadOnlyAdmin's refusal.
        return admin.ModelAdmin.has_delete_permission(self, request, obj)


@admin.register(PlaceServiceOffer)
class PlaceServiceOfferAdmin(ReadOnlyAdmin):
    list_display = ["place", "service"]
    list_filter = ["service"]
    list_select_related = ["place"]


# Workshops: written by the services only (seats, waiting list, notifications stay consistent);
# staff read them.


@admin.register(Workshop)
class WorkshopAdmin(ReadOnlyAdmin):
    list_display = ["title", "network", "starts_at", "capacity", "status"]
    list_filter = ["status", "network"]
    search_fields = ["title"]
    list_select_related = ["network"]


@admin.register(WorkshopRegistration)
class WorkshopRegistrationAdmin(ReadOnlyAdmin):
    list_display = ["workshop", "user", "association", "status", "queued_at"]
    list_filter = ["status"]
    list_select_related = ["workshop", "user", "association"]
