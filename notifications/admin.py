"""Django admin for platform staff: read-mostly views to understand what was sent and why.

The admin runs unscoped on purpose (see hub.tenancy). Events and notifications are history:
staff can read them, not edit them.
"""

from django.contrib import admin

from .models import DigestRun, Event, Notification, NotificationSettings, OutboxEmail, Preference, Subscription


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "association", "actor", "title", "fanned_out_at"]
    list_filter = ["kind", "category"]
    search_fields = ["title", "association__name"]
    list_select_related = ["association", "actor"]
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "recipient", "association", "category", "route", "read_at", "digested_at"]
    list_filter = ["category", "route", "in_digest"]
    search_fields = ["recipient__email", "event__title"]
    list_select_related = ["recipient", "association"]
    raw_id_fields = ["event", "recipient", "digest_run"]


@admin.register(OutboxEmail)
class OutboxEmailAdmin(ReadOnlyAdmin):
    list_display = ["due_at", "recipient", "association", "sent_at", "skipped_at", "attempts"]
    search_fields = ["recipient__email"]
    list_select_related = ["recipient", "association"]
    raw_id_fields = ["notification", "recipient"]


@admin.register(DigestRun)
class DigestRunAdmin(ReadOnlyAdmin):
    list_display = ["period", "recipient", "cutoff", "claimed_at", "sent_at", "item_count"]
    search_fields = ["recipient__email", "period"]
    list_select_related = ["recipient"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "association", "category", "mode"]
    list_filter = ["category", "mode"]
    search_fields = ["user__email", "association__name"]
    list_select_related = ["user", "association"]
    raw_id_fields = ["user", "association"]


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "association", "target_kind", "target_code", "state"]
    list_filter = ["state", "target_kind"]
    raw_id_fields = ["user", "association"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(admin.ModelAdmin):
    list_display = ["user", "digest_frequency", "daily_email_cap", "quiet_start", "quiet_end", "paused_until"]
    list_filter = ["digest_frequency"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
