"""The notifications API (DRF), included by hub/api_urls.py.

A person's inbox and delivery settings live under `notifications/` (they span the caller's
associations: the views open the scope of those and nothing else); per-association preferences
and follow/mute under `associations/<association_slug>/notifications/`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from hub.api import AssociationAPIView, HubAPIView, errors, signed_in_user, valid_data
from hub.api_support import LocalTimeField
from hub.models import Association, User
from hub.selectors import memberships_of_user
from hub.tenancy import association_scope

from . import registry, selectors, services
from .models import DEFAULT_MODES, Category, Mode, Notification, NotificationSettings, SubscriptionState

app_name = "notifications_api"


# Serializers ----------------------------------------------------------------------------------


class NotificationSerializer(serializers.Serializer):
    code = serializers.UUIDField(read_only=True)
    association = serializers.SlugField(source="association.slug", read_only=True)
    association_name = serializers.CharField(source="association.name", read_only=True)
    kind = serializers.CharField(source="event.kind", read_only=True)
    category = serializers.ChoiceField(Category.choices, read_only=True)
    line = serializers.SerializerMethodField(help_text=gettext_lazy("The event as one sentence, in your language."))
    title = serializers.CharField(source="event.title", read_only=True)
    target_kind = serializers.CharField(source="event.target_kind", read_only=True)
    target_code = serializers.UUIDField(source="event.target_code", read_only=True, allow_null=True)
    actor = serializers.CharField(source="event.actor.display_name", read_only=True, allow_null=True, default=None)
    url = serializers.SerializerMethodField(help_text=gettext_lazy("The target's page on the site, when it has one."))
    created_at = serializers.DateTimeField(read_only=True)
    read_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def get_url(self, notification: Notification) -> str:
        return registry.target_path(notification.event, notification.association.slug)

    def get_line(self, notification: Notification) -> str:
        return registry.render_line(notification.event, association_name=notification.association.name)


class SettingsSerializer(serializers.ModelSerializer):
    # Wall-clock times in the person's zone: the schema must not ask for an offset.
    quiet_start = LocalTimeField(allow_null=True, required=False, label=gettext_lazy("quiet hours: no email from"))
    quiet_end = LocalTimeField(allow_null=True, required=False, label=gettext_lazy("until"))

    class Meta:
        model = NotificationSettings
        fields = list(services.SETTINGS_FIELDS)


class PreferenceSerializer(serializers.Serializer):
    category = serializers.ChoiceField(Category.choices)
    category_label = serializers.CharField(read_only=True)
    mode = serializers.ChoiceField(Mode.choices)
    default = serializers.CharField(read_only=True, help_text=gettext_lazy("The mode used when you never chose."))


class PreferencesUpdateSerializer(serializers.Serializer):
    modes = serializers.DictField(
        child=serializers.ChoiceField(Mode.choices),
        help_text=gettext_lazy("Category → mode, for the categories to change."),
    )


class ReadAllSerializer(serializers.Serializer):
    association = serializers.SlugField(required=False)
    category = serializers.ChoiceField(Category.choices, required=False)


class SubscriptionSerializer(serializers.Serializer):
    target_kind = serializers.SlugField(max_length=40)
    target_code = serializers.UUIDField()
    state = serializers.ChoiceField(SubscriptionState.choices, allow_null=True)


COUNT_SERIALIZER = inline_serializer(name="UnreadCount", fields={"count": serializers.IntegerField()})
MARKED_SERIALIZER = inline_serializer(name="MarkedRead", fields={"marked": serializers.IntegerField()})


# The caller's inbox and settings ---------------------------------------------------------------


def _association_ids(user: User) -> dict[str, int]:
    return {m.association.slug: m.association_id for m in memberships_of_user(user)}


class InboxView(HubAPIView):
    """The caller's notifications across their associations, newest first."""

    @extend_schema(
        tags=["notifications"],
        parameters=[
            OpenApiParameter("association", str, description="An association's slug"),
            OpenApiParameter("category", str, enum=Category.values),
            OpenApiParameter("unread", bool),
        ],
        responses={200: NotificationSerializer(many=True), **errors(401)},
    )
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        ids = _association_ids(user)
        slug = request.query_params.get("association")
        chosen = [ids[slug]] if slug in ids else ([] if slug else list(ids.values()))
        category = request.query_params.get("category")
        with association_scope(list(ids.values())):
            rows = selectors.inbox(
                user,
                association_ids=chosen,
                category=category if category in Category.values else None,
                unread_only=request.query_params.get("unread") in ("1", "true", "yes"),
            )
            return self.paginated(rows, NotificationSerializer)


class UnreadCountView(HubAPIView):
    """How many notifications the caller has not read."""

    @extend_schema(tags=["notifications"], responses={200: COUNT_SERIALIZER, **errors(401)})
    def get(self, request: Request) -> Response:
        return Response({"count": selectors.unread_count(signed_in_user(request))})


class ReadView(HubAPIView):
    """Mark one notification read."""

    @extend_schema(tags=["notifications"], request=None, responses={200: NotificationSerializer, **errors(401, 404)})
    def post(self, request: Request, code: UUID) -> Response:
        user = signed_in_user(request)
        ids = list(_association_ids(user).values())
        with association_scope(ids):
            notification = (
                Notification.objects.select_related("event__actor", "association")
                .filter(code=code, recipient=user, association_id__in=ids)
                .first()
            )
            if notification is None:
                raise Http404
            services.mark_read(user=user, notification=notification)
            notification.refresh_from_db(fields=["read_at"])
            return Response(NotificationSerializer(notification).data)


class ReadAllView(HubAPIView):
    """Mark all the caller's notifications read (optionally of one association or category)."""

    @extend_schema(
        tags=["notifications"], request=ReadAllSerializer, responses={200: MARKED_SERIALIZER, **errors(400, 401)}
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        data = valid_data(ReadAllSerializer, request)
        ids = _association_ids(user)
        slug = data.get("association")
        chosen = [ids[slug]] if slug in ids else ([] if slug else list(ids.values()))
        with association_scope(list(ids.values())):
            marked = services.mark_all_read(user=user, association_ids=chosen, category=data.get("category"))
        return Response({"marked": marked})


class SettingsView(HubAPIView):
    """How the caller is reached: summary rhythm, daily cap of immediate emails, quiet hours, pause."""

    @extend_schema(tags=["notifications"], responses={200: SettingsSerializer, **errors(401)})
    def get(self, request: Request) -> Response:
        return Response(SettingsSerializer(selectors.settings_of(signed_in_user(request))).data)

    @extend_schema(
        tags=["notifications"], request=SettingsSerializer, responses={200: SettingsSerializer, **errors(400, 401)}
    )
    def patch(self, request: Request) -> Response:
        user = signed_in_user(request)
        serializer = SettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        saved = services.update_notification_settings(user=user, **serializer.validated_data)
        return Response(SettingsSerializer(saved).data)


# Per association -----------------------------------------------------------------------------------


def _preference_rows(user: User, association: Association) -> list[dict[str, Any]]:
    modes = selectors.modes_of(user, [association.pk])
    return [
        {
            "category": c.value,
            "category_label": str(c.label),
            "mode": modes[(association.pk, c)],
            "default": DEFAULT_MODES[c],
        }
        for c in Category
    ]


class PreferencesView(AssociationAPIView):
    """How the caller hears of each category in this association (defaults filled in)."""

    required_permissions = {"GET": "notifications.inbox:view", "PATCH": "notifications.inbox:view"}
    # One row per category, always all of them: a plain list, not a page.
    pagination_class = None  # type: ignore[assignment]

    @extend_schema(tags=["notifications"], responses={200: PreferenceSerializer(many=True), **errors(401, 403, 404)})
    def get(self, request: Request, association_slug: str) -> Response:
        return Response(
            PreferenceSerializer(_preference_rows(signed_in_user(request), self.access.association), many=True).data
        )

    @extend_schema(
        tags=["notifications"],
        request=PreferencesUpdateSerializer,
        responses={200: PreferenceSerializer(many=True), **errors(400, 401, 403, 404)},
    )
    def patch(self, request: Request, association_slug: str) -> Response:
        user = signed_in_user(request)
        data = valid_data(PreferencesUpdateSerializer, request)
        unknown = [c for c in data["modes"] if c not in Category.values]
        if unknown:
            raise serializers.ValidationError({"modes": [f"Unknown category: {c}" for c in unknown]})
        services.set_preferences(user=user, association=self.access.association, modes=data["modes"])
        return Response(PreferenceSerializer(_preference_rows(user, self.access.association), many=True).data)


class SubscriptionView(AssociationAPIView):
    """Follow or mute one target (a proposal, a tutorial…); `state: null` goes back to the usual preferences."""

    required_permissions = {"PUT": "notifications.inbox:view"}

    @extend_schema(
        tags=["notifications"],
        request=SubscriptionSerializer,
        responses={200: SubscriptionSerializer, **errors(400, 401, 403, 404)},
    )
    def put(self, request: Request, association_slug: str) -> Response:
        data = valid_data(SubscriptionSerializer, request)
        services.set_subscription(user=signed_in_user(request), association=self.access.association, **data)
        return Response(SubscriptionSerializer(data).data)


ASSOCIATION = "associations/<slug:association_slug>/"

urlpatterns = [
    path("notifications/", InboxView.as_view(), name="notification-list"),
    path("notifications/unread-count/", UnreadCountView.as_view(), name="notification-unread-count"),
    path("notifications/read-all/", ReadAllView.as_view(), name="notification-read-all"),
    path("notifications/settings/", SettingsView.as_view(), name="notification-settings"),
    path("notifications/<uuid:code>/read/", ReadView.as_view(), name="notification-read"),
    path(f"{ASSOCIATION}notifications/preferences/", PreferencesView.as_view(), name="notification-preferences"),
    path(f"{ASSOCIATION}notifications/subscriptions/", SubscriptionView.as_view(), name="notification-subscription"),
]
