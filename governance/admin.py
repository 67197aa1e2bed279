"""Django admin for platform staff: governance data is read-only here.

The register's integrity depends on nobody editing proposals, ballots or decisions after the
fact, so the admin shows them and changes nothing (the models and, on PostgreSQL, triggers
refuse anyway). The admin runs unscoped on purpose (see hub.tenancy).
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Ballot, Comment, Decision, Elector, Option, Participation, Proposal


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0
    fields = ["position", "label", "tool", "assessments"]
    readonly_fields = ["position", "label", "tool", "assessments"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ["title", "association", "kind", "method", "status", "opens_at", "closes_at"]
    list_filter = ["status", "kind", "method"]
    search_fields = ["title", "association__name", "code"]
    list_select_related = ["association"]
    inlines = [OptionInline]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "association", "proposal", "outcome", "participants", "electorate_size", "recorded_at"]
    list_filter = ["outcome"]
    search_fields = ["proposal__title", "association__name", "hash", "code"]
    list_select_related = ["association", "proposal"]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    """Moderation starts here: staff can read a reported message (deleting it is a deliberate shell act)."""

    list_display = ["proposal", "author", "created_at"]
    search_fields = ["body", "proposal__title"]
    list_select_related = ["proposal", "author"]


@admin.register(Option)
class OptionAdmin(ReadOnlyAdmin):
    list_display = ["label", "proposal", "position", "tool"]
    search_fields = ["label", "proposal__title"]
    list_select_related = ["proposal", "tool"]


@admin.register(Elector)
class ElectorAdmin(ReadOnlyAdmin):
    list_display = ["display_name", "role", "proposal"]
    search_fields = ["display_name", "proposal__title"]
    list_select_related = ["proposal"]


@admin.register(Participation)
class ParticipationAdmin(ReadOnlyAdmin):
    list_display = ["elector", "proposal", "voted_at"]
    list_select_related = ["elector", "proposal"]


@admin.register(Ballot)
class BallotAdmin(ReadOnlyAdmin):
    """Ballots of secret votes have no elector: there is nothing here to link them to a person."""

    list_display = ["proposal", "elector", "choice"]
    list_filter = ["choice"]
    list_select_related = ["proposal", "elector"]
