"""Django admin for platform staff. The admin runs unscoped on purpose (see hub.tenancy)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    Advisor,
    AdvisorReadLog,
    Association,
    HelpMessage,
    HelpRequest,
    Invitation,
    Membership,
    Network,
    NetworkMembership,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "language", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "language"]
    search_fields = ["email", "display_name"]
    readonly_fields = ["code", "date_joined", "last_login"]
    fieldsets = (
        (None, {"fields": ("email", "password", "code")}),
        (_("Profile"), {"fields": ("display_name", "language", "time_zone")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "display_name", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "is_active", "joined_at", "left_at"]


@admin.register(Association)
class AssociationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "commune", "departement", "rna", "created_at"]
    search_fields = ["name", "slug", "rna", "siren", "commune"]
    list_filter = ["departement"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["code", "created_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "association", "role", "is_active", "joined_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__email", "user__display_name", "association__name"]
    autocomplete_fields = ["user", "association"]
    list_select_related = ["user", "association"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "association", "role", "created_at", "expires_at", "sent_at", "accepted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["email", "association__name"]
    readonly_fields = ["code", "sent_at", "accepted_at", "accepted_by"]
    list_select_related = ["association"]
    autocomplete_fields = ["association", "invited_by"]


class AdvisorInline(admin.TabularInline):
    model = Advisor
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "territory"]
    search_fields = ["name", "territory"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AdvisorInline]


@admin.register(Advisor)
class AdvisorAdmin(admin.ModelAdmin):
    list_display = ["user", "network", "title", "since"]
    search_fields = ["user__email", "user__display_name", "network__name"]
    autocomplete_fields = ["user", "network"]


@admin.register(NetworkMembership)
class NetworkMembershipAdmin(admin.ModelAdmin):
    list_display = ["association", "network", "requested_at", "consented_at", "revoked_at"]
    list_filter = ["network"]
    search_fields = ["association__name", "network__name"]
    list_select_related = ["association", "network"]
    autocomplete_fields = ["association", "network", "requested_by", "consented_by", "revoked_by"]


class ReadOnlyHistoryAdmin(admin.ModelAdmin):
    """History rows: staff may look, nobody edits (the association was promised a faithful log)."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(AdvisorReadLog)
class AdvisorReadLogAdmin(ReadOnlyHistoryAdmin):
    list_display = ["read_at", "advisor", "network", "association", "path"]
    list_filter = ["network"]
    search_fields = ["association__name", "advisor__email", "path"]
    list_select_related = ["advisor", "network", "association"]
    date_hierarchy = "read_at"


class HelpMessageInline(admin.TabularInline):
    model = HelpMessage
    extra = 0
    fields = ["author", "by_advisor", "body", "created_at"]
    readonly_fields = ["author", "by_advisor", "body", "created_at"]
    can_delete = False


@admin.register(HelpRequest)
class HelpRequestAdmin(admin.ModelAdmin):
    list_display = ["title", "association", "network", "status", "created_at", "last_message_at"]
    list_filter = ["status", "network"]
    search_fields = ["title", "association__name"]
    list_select_related = ["association", "network"]
    readonly_fields = ["code", "opened_by", "created_at", "last_message_at", "closed_at"]
    autocomplete_fields = ["association", "network"]
    inlines = [HelpMessageInline]


@admin.register(HelpMessage)
class HelpMessageAdmin(ReadOnlyHistoryAdmin):
    list_display = ["help_request", "author", "by_advisor", "created_at"]
    search_fields = ["help_request__title", "body"]
    list_select_related = ["help_request", "author"]
